import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import type { PublishedMessage } from '../../cli/scenario/timeline.js';
import { wafAccessLine } from '../fixtures/monitor-peers.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

/**
 * `npm start -- --input FILE... --config FILE --report R`: payloads replayed in the order of their
 * events' timestamps on a clock that follows them, the sweep on the same clock, the config's policy.
 */

const dir = plainTempDir('apigw403-replay-');
afterAll(() => rm(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);
const MINUTE = 60_000;
const T = Date.parse('2026-11-30T10:00:00Z');
const API = 'r3pl4y0001';

const payload = (minute: number, count: number) =>
  JSON.stringify(
    subscriptionEvent(
      logsDocument(
        `/aws/apigateway/${API}/prod`,
        Array.from({ length: count }, (_, index) => ({
          timestamp: T + minute * MINUTE + index,
          message: wafAccessLine(
            API,
            'prod',
            `5e1c0a2b-7777-4000-8000-${String(minute * 1000 + index).padStart(12, '0')}`,
          ),
        })),
      ),
    ),
  );

/** `npm start -- --input FILES --config CONFIG --report R`, and R's messages. */
async function replay(
  inputs: readonly string[],
  config: string,
  name: string,
): Promise<{ messages: PublishedMessage[] }> {
  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'cli/start.ts', '--input', ...inputs, '--config', config, '--report', file(name)],
    { timeout: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  return JSON.parse(await readFile(file(name), 'utf8')) as { messages: PublishedMessage[] };
}

describe('npm start --input on the simulated clock', () => {
  it('replays in event order, runs the sweep on the same clock, and reports every message with its time', async () => {
    // Given in the wrong order: the escalation's file first, the quiet start second.
    await writeFile(file('later.json'), payload(70, 150));
    await writeFile(file('earlier.json'), [0, 5, 10, 15].map((minute) => payload(minute, 3)).join('\n'));
    await writeFile(
      file('cdk.json'),
      JSON.stringify({
        context: {
          apigw403: {
            alertEmails: ['ops@example.com'],
            apis: [{ restApiId: API, stage: 'prod', accessLogGroup: `/aws/apigateway/${API}/prod` }],
            noisePolicy: { notifyResolved: true, realertMinutes: 30 },
          },
        },
      }),
    );
    const report = await replay([file('later.json'), file('earlier.json')], file('cdk.json'), 'report.json');
    expect(report.messages.map((message) => [message.at, message.lifecycle])).toEqual([
      ['2026-11-30T10:00:00.002Z', 'new'],
      ['2026-11-30T11:10:00.149Z', 'escalated'],
      // No 403 for 60 minutes after 11:10: the first sweep after 12:10 resolves it and, as the
      // config's policy says, notifies.
      ['2026-11-30T12:15:00.000Z', 'resolved'],
      // The default digest schedule (daily 08:00 UTC): the first run after the last delivery covers it.
      ['2026-12-01T08:00:00.000Z', undefined],
    ]);
    expect(report.messages[3]).toMatchObject({
      kind: 'digest',
      apiId: API,
      stage: 'prod',
      reason: '162 403s in 1 group, 0 muted',
      groups: [{ category: 'WAF_FILTERED', count: 162, mutedCount: 0, alertsSent: 3, lifecycle: 'resolved' }],
    });
    expect(report.messages[1]).toMatchObject({
      kind: 'alert',
      apiId: API,
      stage: 'prod',
      category: 'WAF_FILTERED',
      action: 'alert',
      reason: expect.stringMatching(/^Escalated: 150 in 5 min against a usual /),
    });
  });
});

describe('npm start --input with a digest time zone that changes clocks', () => {
  it("counts the 403s of the hour before the fall-back day's run in that run's digest", async () => {
    // Europe/Paris 08:00 is 06:00Z on Saturday 2026-10-24 and 07:00Z on Sunday: the 06:30Z 403s come
    // after Saturday's run and before Sunday's, whose period starts at Saturday's run (25 hours).
    const at = Date.parse('2026-10-24T06:30:00Z');
    await writeFile(
      file('dst.json'),
      JSON.stringify(
        subscriptionEvent(
          logsDocument(
            `/aws/apigateway/${API}/prod`,
            [0, 1, 2].map((index) => ({
              timestamp: at + index,
              message: wafAccessLine(API, 'prod', `5e1c0a2b-8888-4000-8000-00000000000${index}`),
            })),
          ),
        ),
      ),
    );
    await writeFile(
      file('paris.json'),
      JSON.stringify({
        alertEmails: ['ops@example.com'],
        apis: [{ restApiId: API, stage: 'prod', accessLogGroup: `/aws/apigateway/${API}/prod` }],
        noisePolicy: { digestTimezone: 'Europe/Paris' },
      }),
    );
    const report = await replay([file('dst.json')], file('paris.json'), 'dst-report.json');
    const digests = report.messages.filter((message) => message.kind === 'digest');
    expect(digests).toMatchObject([
      { at: '2026-10-25T07:00:00.000Z', reason: '3 403s in 1 group, 0 muted', groups: [{ count: 3 }] },
    ]);
  });
});

describe('npm start --input with a weekday digest schedule', () => {
  /** `times` WAF 403s of the stage, one payload. */
  const at = (times: readonly string[], tag: string) =>
    JSON.stringify(
      subscriptionEvent(
        logsDocument(
          `/aws/apigateway/${API}/prod`,
          times.map((time, index) => ({
            timestamp: Date.parse(time),
            message: wafAccessLine(API, 'prod', `5e1c0a2b-${tag}-4000-8000-00000000000${index}`),
          })),
        ),
      ),
    );
  const weekdays = (timezone: string) =>
    JSON.stringify({
      alertEmails: ['ops@example.com'],
      apis: [{ restApiId: API, stage: 'prod', accessLogGroup: `/aws/apigateway/${API}/prod` }],
      noisePolicy: { digestSchedule: 'cron(0 8 ? * MON-FRI *)', digestTimezone: timezone },
    });

  it("counts in Monday's digest every 403 since Friday's run, the weekend's too", async () => {
    await writeFile(
      file('weekend.json'),
      at(
        [
          '2026-11-27T09:00:00Z',
          '2026-11-27T23:59:00Z',
          '2026-11-28T10:00:00Z',
          '2026-11-29T06:00:00Z',
          '2026-11-30T07:59:00Z',
        ],
        'aaaa',
      ),
    );
    await writeFile(file('weekdays.json'), weekdays('UTC'));
    const report = await replay([file('weekend.json')], file('weekdays.json'), 'weekend-report.json');
    expect(report.messages.filter((message) => message.kind === 'digest')).toMatchObject([
      { at: '2026-11-30T08:00:00.000Z', reason: '5 403s in 1 group, 0 muted', groups: [{ count: 5 }] },
    ]);
  });

  it("counts the 73 hours from Friday's run to Monday's across a fall-back night", async () => {
    // Paris falls back on Sunday 25 October 2026: Friday 08:00 is 06:00Z, Monday 08:00 is 07:00Z.
    await writeFile(
      file('fall-back.json'),
      at(['2026-10-23T06:30:00Z', '2026-10-25T01:30:00Z', '2026-10-26T06:59:00Z'], 'bbbb'),
    );
    await writeFile(file('paris-weekdays.json'), weekdays('Europe/Paris'));
    const report = await replay(
      [file('fall-back.json')],
      file('paris-weekdays.json'),
      'fall-back-report.json',
    );
    expect(report.messages.filter((message) => message.kind === 'digest')).toMatchObject([
      { at: '2026-10-26T07:00:00.000Z', reason: '3 403s in 1 group, 0 muted', groups: [{ count: 3 }] },
    ]);
  });
});
