import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputUsageError, prepareInputs } from '../../cli/scenario/inputs.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';

// `npm start -- --input a.json --config mars.json` with noisePolicy.digestTimezone "Mars/Olympus"
// prints "--config mars.json: noisePolicy.digestSchedule digestTimezone "Mars/Olympus" is not an
// IANA time zone": the setting named is the wrong one (every ScheduleError is prefixed with
// digestSchedule). The deploy-time schema meanwhile accepts any non-empty digestTimezone.
const dir = mkdtempSync(join(tmpdir(), 'attack-tz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a digestTimezone the simulated clock cannot use', () => {
  it('is refused naming noisePolicy.digestTimezone, not digestSchedule', async () => {
    const input = join(dir, 'a.json');
    writeFileSync(
      input,
      JSON.stringify(
        subscriptionEvent(
          logsDocument('/aws/apigateway/ed6e5ca5e1/prod', [
            { timestamp: Date.parse('2026-11-30T06:00:00Z'), message: '{"status":"403"}' },
          ]),
        ),
      ),
    );
    const config = join(dir, 'mars.json');
    writeFileSync(
      config,
      JSON.stringify({
        apis: [{ restApiId: 'ed6e5ca5e1', stage: 'prod', accessLogGroup: '/aws/apigateway/ed6e5ca5e1/prod' }],
        alertEmails: ['ops@example.com'],
        noisePolicy: { digestTimezone: 'Mars/Olympus' },
      }),
    );
    const error = (await prepareInputs([input], config).catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(InputUsageError);
    expect(error.message).toMatch(/noisePolicy\.digestTimezone/);
    expect(error.message).not.toMatch(/digestSchedule/);
  });
});
