import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { InputUsageError, MAX_REPLAY_DAYS, prepareInputs } from '../../cli/scenario/inputs.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import type { PublishedMessage } from '../../cli/scenario/timeline.js';
import { CATEGORIES } from '../../lambda/core/categories.js';
import { wafAccessLine } from '../fixtures/monitor-peers.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

/**
 * The simulated clock's edges, through `npm start -- --input ... --config ... --report` on the peers:
 * a day with no background and an incident exactly at the digest time, payloads whose clocks
 * disagree, a policy that ignores every category, and inputs that cannot run.
 */

const dir = plainTempDir('apigw403-edges-');
afterAll(() => rm(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);
const API = 'ed6e5ca5e1';
const DIGEST = Date.parse('2026-11-30T08:00:00Z');
const MINUTE = 60_000;
let request = 0;

/** A payload of WAF 403s at the given times (in that order), from `userAgent`. */
const payload = (times: readonly number[], userAgent = 'curl/8.10.1') =>
  JSON.stringify(
    subscriptionEvent(
      logsDocument(
        `/aws/apigateway/${API}/prod`,
        times.map((timestamp) => {
          request += 1;
          return {
            timestamp,
            message: wafAccessLine(
              API,
              'prod',
              `ed6e0000-0000-4000-8000-${String(request).padStart(12, '0')}`,
              {
                identity: { sourceIp: '203.0.113.9', userAgent },
              },
            ),
          };
        }),
      ),
    ),
  );

const config = (noisePolicy: object) =>
  JSON.stringify({
    apis: [{ restApiId: API, stage: 'prod', accessLogGroup: `/aws/apigateway/${API}/prod` }],
    alertEmails: ['ops@example.com'],
    noisePolicy,
  });

async function replay(files: readonly string[], configFile: string, report: string) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'cli/start.ts', '--input', ...files, '--config', configFile, '--report', report],
    { timeout: 90_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  const parsed = JSON.parse(await readFile(report, 'utf8')) as {
    messages: PublishedMessage[];
    metric: Record<string, number>;
  };
  return { stdout, ...parsed };
}

describe('the simulated clock at its edges', () => {
  it('no background, skewed payloads, an incident exactly at 08:00: alerted, and every 403 in a digest', async () => {
    // Given in the wrong order, with events out of order inside one payload and a muted scanner.
    await writeFile(
      file('skewed.json'),
      payload([DIGEST - 15 * MINUTE, DIGEST - 25 * MINUTE, DIGEST - 30 * MINUTE]),
    );
    await writeFile(file('incident.json'), payload(Array.from({ length: 40 }, () => DIGEST)));
    await writeFile(
      file('scanner.json'),
      payload(
        [0, 1, 2, 3, 4].map((n) => DIGEST - 10 * MINUTE + n),
        'zgrab/0.x',
      ),
    );
    await writeFile(
      file('mute.json'),
      config({ mute: [{ userAgentContains: 'zgrab', reason: 'scanner' }], realertMinutes: 10 }),
    );
    const { messages, stdout } = await replay(
      [file('incident.json'), file('scanner.json'), file('skewed.json')],
      file('mute.json'),
      file('edges.json'),
    );
    expect(messages.map((m) => [m.at, m.kind, m.lifecycle])).toEqual([
      ['2026-11-30T07:45:00.000Z', 'alert', 'new'],
      // The delivery at 08:00:00.000 runs before the digest of 08:00, and alerts at once.
      ['2026-11-30T08:00:00.000Z', 'alert', 'escalated'],
      ['2026-11-30T08:00:00.000Z', 'digest', undefined],
      ['2026-12-01T08:00:00.000Z', 'digest', undefined],
    ]);
    // The 08:00 digest covers up to 08:00 exclusive; the incident's 403s are the next one's: none lost.
    const [first, second] = messages.filter((m) => m.kind === 'digest');
    expect(first?.groups).toEqual([
      expect.objectContaining({ category: 'WAF_FILTERED', count: 3, mutedCount: 5 }),
    ]);
    expect(second?.groups).toEqual([
      expect.objectContaining({ category: 'WAF_FILTERED', count: 40, previousCount: 3, mutedCount: 0 }),
    ]);
    expect(stdout).toMatch(/2 digest runs \(2026-11-30T08:00, 2026-12-01T08:00\), 2 digests/);
    expect(stdout).toMatch(/E-mail \(2 alerts, 2 digests\)/);
  });

  it('a policy that ignores every category sends nothing, no digest either, and still counts the metric', async () => {
    await writeFile(file('burst.json'), payload(Array.from({ length: 30 }, (_, n) => DIGEST - MINUTE + n)));
    await writeFile(
      file('ignore.json'),
      config({
        categories: Object.fromEntries(CATEGORIES.map((category) => [category, { action: 'ignore' }])),
      }),
    );
    const { messages, metric } = await replay(
      [file('burst.json')],
      file('ignore.json'),
      file('ignore-report.json'),
    );
    expect(messages).toEqual([]);
    expect(metric).toEqual({ WAF_FILTERED: 30 });
  });

  it('a digest off (`digest: false`) runs no digest; the alerts still go', async () => {
    await writeFile(file('off.json'), config({ digest: false }));
    const { messages, stdout } = await replay(
      [file('burst.json')],
      file('off.json'),
      file('off-report.json'),
    );
    expect(messages.map((m) => m.kind)).toEqual(['alert']);
    expect(stdout).toMatch(/0 digest runs \(no digest schedule\)/);
  });

  it('refuses, before any peer starts, what the clock cannot replay: one line each', async () => {
    await writeFile(file('future.json'), payload([Date.parse('2031-01-01T00:00:00Z')]));
    await writeFile(file('now.json'), payload([DIGEST]));
    await writeFile(file('empty.json'), '');
    await writeFile(file('last-day.json'), config({ digestSchedule: 'cron(0 8 L * ? *)' }));
    const refused = async (files: string[], configFile?: string) => {
      const error = await prepareInputs(files, configFile).catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(InputUsageError);
      expect((error as Error).message).not.toContain('\n');
      return (error as Error).message;
    };
    // A stray timestamp years away would otherwise sweep every 15 simulated minutes until then.
    expect(await refused([file('now.json'), file('future.json')])).toMatch(
      new RegExp(
        `^the inputs' events span 1493 days \\(.*now\\.json at 2026-11-30T08:00:00\\.000Z to .*future\\.json at 2031-01-01T00:00:00\\.000Z\\); a replay plays at most ${MAX_REPLAY_DAYS} days`,
      ),
    );
    expect(await refused([file('now.json')], file('last-day.json'))).toMatch(
      /^--config .*last-day\.json: noisePolicy\.digestSchedule cron\(0 8 L \* \? \*\): "L" \(L, W and # fields are not simulated/,
    );
    // An empty input is a problem of its own, not a run of nothing.
    const empty = await prepareInputs([file('empty.json')]);
    expect(empty.deliveries).toEqual([]);
    expect(empty.problems).toEqual([expect.stringMatching(/empty\.json: /)]);
  });
});
