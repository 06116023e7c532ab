import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareInputs } from '../../cli/scenario/inputs.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';

// A delivery's simulated time is `max(0, ...event timestamps) || Date.now()`: a document whose events
// are all at or before the epoch (timestamps the decoder accepts: |t| <= MAX_EVENT_TIME_MS) is
// delivered at the machine's wall clock, so the replay depends on when it runs and its span check
// names a time that is in no input ("... at 2026-12-01T13:...Z").
const dir = mkdtempSync(join(tmpdir(), 'attack-zero-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const waf = JSON.stringify({
  requestId: 'r-1',
  apiId: 'ed6e5ca5e1',
  stage: 'prod',
  status: '403',
  errorMessage: 'Forbidden',
  errorResponseType: 'WAF_FILTERED',
  wafResponseCode: 'WAF_BLOCK',
});

describe('replay of events at or before the epoch', () => {
  it.each([0, -60_000])(
    'a document whose only event is at %d ms is delivered at that time',
    async (timestamp) => {
      const file = join(dir, `t${timestamp}.json`);
      writeFileSync(
        file,
        JSON.stringify(
          subscriptionEvent(logsDocument('/aws/apigateway/ed6e5ca5e1/prod', [{ timestamp, message: waf }])),
        ),
      );
      const prepared = await prepareInputs([file]);
      expect(prepared.problems).toEqual([]);
      expect(prepared.deliveries.map((delivery) => delivery.at)).toEqual([timestamp]);
    },
  );
});
