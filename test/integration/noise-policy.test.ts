import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { STATE_TABLE } from '../../cli/peers/local-aws.js';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { StateStore } from '../../lambda/adapters/state-store.js';
import { NOISE_POLICY_ENV, parseNoisePolicy, SWEEP_EVENT } from '../../lambda/core/noise-policy.js';
import { METRIC_NAME } from '../../lambda/core/render/index.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

/**
 * The noise policy on the real handler and the peers (dynalite, fauxqs): each lifecycle transition,
 * a mute rule, the sweep, the deployment an alert names, and the digest's listing of the groups.
 */

const MINUTE = 60_000;
const APIS = ['l1fecycle0', 'mut3d00001', 'depl0yed01', 'l1st1ng001', 'ign0red001'];
const peers = useMonitorPeers(
  APIS.map((apiId) => ({
    apiId,
    stage: 'prod',
    accessLogGroup: `/aws/apigateway/${apiId}/prod`,
    executionLogs: false,
  })),
);

const POLICY = {
  notifyResolved: true,
  mute: [{ userAgentContains: 'zgrab', reason: 'the scanner we know' }],
  overrides: [{ apiId: 'ign0red001', action: 'ignore' as const }],
};
const policy = (() => {
  const parsed = parseNoisePolicy(POLICY);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.policy;
})();

let clock = Date.parse('2026-11-30T06:00:00Z');
const metric: Record<string, unknown>[] = [];
const container = () => {
  process.env[NOISE_POLICY_ENV] = JSON.stringify(POLICY);
  return peers.createHandler({ now: () => clock, metrics: (documents) => metric.push(...documents) });
};

let request = 0;
/** `count` WAF 403s of `apiId`'s prod stage at the clock, each line changed by `fields`. */
function batch(apiId: string, count: number, fields: Record<string, unknown> = {}) {
  const events = Array.from({ length: count }, (_, index) => {
    request += 1;
    const requestId = `9a0c2b4e-0000-4000-8000-${String(request).padStart(12, '0')}`;
    return { timestamp: clock + index * 100, message: wafAccessLine(apiId, 'prod', requestId, fields) };
  });
  return subscriptionEvent(logsDocument(`/aws/apigateway/${apiId}/prod`, events));
}

async function published() {
  return (await receiveAll(peers.sqs, peers.local.queueUrls.all)).map(({ envelope }) => ({
    subject: envelope.Subject,
    attributes: Object.fromEntries(
      Object.entries(envelope.MessageAttributes ?? {}).map(([name, value]) => [name, value.Value]),
    ),
    view: JSON.parse(JSON.parse(envelope.Message).default) as Record<string, unknown>,
  }));
}

const store = () => new StateStore(new DynamoDBClient({}), STATE_TABLE);

describe('the lifecycle on the peers', () => {
  it('new → ongoing → escalated → resolved, each alert saying why in one line', async () => {
    await published();
    const handler = container();
    const first = await handler(batch('l1fecycle0', 3));
    expect(first.outcomes).toMatchObject([{ action: 'alert', why: 'new' }]);
    const [alert] = await published();
    expect(alert?.attributes).toMatchObject({
      kind: 'alert',
      action: 'alert',
      lifecycle: 'new',
      category: 'WAF_FILTERED',
    });
    expect(alert?.view).toMatchObject({
      lifecycle: 'new',
      lifecycleReason: 'New: first 403 of this category for this stage in 24 h',
      firstSeen: true,
    });

    // An hour of its usual 3 per 5 minutes: ongoing, counted, nothing sent.
    for (let window = 1; window <= 12; window += 1) {
      clock += 5 * MINUTE;
      expect((await handler(batch('l1fecycle0', 3))).outcomes).toMatchObject([
        { action: 'suppress', why: 'ongoing' },
      ]);
    }
    expect(await published()).toEqual([]);

    clock += 5 * MINUTE;
    expect((await handler(batch('l1fecycle0', 140))).outcomes).toMatchObject([
      { action: 'alert', why: 'escalated' },
    ]);
    const [escalated] = await published();
    expect(escalated?.attributes).toMatchObject({ lifecycle: 'escalated', action: 'alert' });
    expect(escalated?.view.lifecycleReason).toBe('Escalated: 140 in 5 min against a usual 3');
    expect(escalated?.view.suppressedSinceLast).toBe(36);

    // Quiet for an hour: the sweep resolves it and, with notifyResolved, says so.
    clock += 59 * MINUTE;
    expect((await handler(SWEEP_EVENT)).outcomes.filter((o) => o.apiId === 'l1fecycle0')).toEqual([]);
    clock += 2 * MINUTE;
    const swept = await handler(SWEEP_EVENT);
    expect(swept.kind).toBe('sweep');
    expect(swept.outcomes.filter((o) => o.apiId === 'l1fecycle0')).toMatchObject([
      { action: 'alert', why: 'resolved' },
    ]);
    const resolved = (await published()).filter((message) => message.view.apiId === 'l1fecycle0');
    expect(resolved).toMatchObject([
      {
        attributes: { lifecycle: 'resolved', kind: 'alert' },
        view: { lifecycleReason: 'Resolved: no 403 of this category for 60 min' },
      },
    ]);
    // A second sweep has nothing left to resolve or say.
    expect((await handler(SWEEP_EVENT)).outcomes.filter((o) => o.apiId === 'l1fecycle0')).toEqual([]);

    const { summaries } = await store().listDigestSummaries(
      { start: clock - 24 * 60 * MINUTE, end: clock },
      policy,
      clock,
    );
    expect(summaries.find((summary) => summary.apiId === 'l1fecycle0')).toMatchObject({
      lifecycle: 'resolved',
      count: 3 + 12 * 3 + 140,
      mutedCount: 0,
      alertsSent: 3,
      topSources: [{ value: '203.0.113.7', count: 3 + 12 * 3 + 140 }],
    });
  });

  it('a muted source is in the metric and the digest, never alerted', async () => {
    await published();
    const handler = container();
    const before = metric.length;
    const scanner = { identity: { sourceIp: '198.51.100.9', userAgent: 'Mozilla/5.0 zgrab/0.x' } };
    const summary = await handler(batch('mut3d00001', 30, scanner));
    expect(summary.outcomes).toMatchObject([{ action: 'suppress', why: 'muted', count: 30 }]);
    expect(metric.slice(before).map((document) => document[METRIC_NAME])).toEqual([30]);
    expect(await published()).toEqual([]);
    // One request that no rule mutes: new, and the alert says how many of the batch were muted.
    clock += MINUTE;
    const mixed = subscriptionEvent(
      logsDocument('/aws/apigateway/mut3d00001/prod', [
        {
          timestamp: clock,
          message: wafAccessLine('mut3d00001', 'prod', '9a0c2b4e-1111-4000-8000-000000000001'),
        },
        {
          timestamp: clock + 1,
          message: wafAccessLine('mut3d00001', 'prod', '9a0c2b4e-1111-4000-8000-000000000002', scanner),
        },
      ]),
    );
    expect((await handler(mixed)).outcomes).toMatchObject([{ action: 'alert', why: 'new' }]);
    const [alert] = await published();
    expect(alert?.view.notes).toContain(
      '1 of these 2 403s match mute rules; they are not counted for alerting.',
    );
    const { summaries } = await store().listDigestSummaries(
      { start: clock - 60 * MINUTE, end: clock + 60 * MINUTE },
      policy,
      clock,
    );
    expect(summaries.find((entry) => entry.apiId === 'mut3d00001')).toMatchObject({
      count: 1,
      mutedCount: 31,
      alertsSent: 1,
    });
  });

  it('an ignored group counts in the metric only: no write, no line in the digest', async () => {
    const handler = container();
    const before = metric.length;
    expect((await handler(batch('ign0red001', 4))).outcomes).toMatchObject([
      { action: 'none', why: 'ignored' },
    ]);
    expect(metric.slice(before).map((document) => document[METRIC_NAME])).toEqual([4]);
    const { summaries } = await store().listDigestSummaries(
      { start: clock - MINUTE, end: clock + MINUTE },
      policy,
      clock,
    );
    expect(summaries.some((entry) => entry.apiId === 'ign0red001')).toBe(false);
  });

  it('names the deployment a new group was first seen in, in the alert and the digest', async () => {
    await published();
    const handler = container();
    expect((await handler(batch('depl0yed01', 2, { deploymentId: 'x7k2p9' }))).outcomes).toMatchObject([
      { action: 'alert', why: 'new' },
    ]);
    const [alert] = await published();
    expect(alert?.view.lifecycleReason).toBe(
      'New: first 403 of this category for this stage in 24 h, first seen in deployment x7k2p9',
    );
    const { summaries } = await store().listDigestSummaries(
      { start: clock - MINUTE, end: clock + MINUTE },
      policy,
      clock,
    );
    expect(summaries.find((entry) => entry.apiId === 'depl0yed01')).toMatchObject({ deploymentId: 'x7k2p9' });
  });

  it('the listing is bounded and says when it stopped', async () => {
    const handler = container();
    expect((await handler(batch('l1st1ng001', 1))).outcomes).toHaveLength(1);
    const all = await store().listGroups(clock);
    expect(all.truncated).toBe(false);
    expect(all.groups.length).toBeGreaterThanOrEqual(4);
    const some = await store().listGroups(clock, 2);
    expect(some).toMatchObject({ truncated: true });
    expect(some.groups).toHaveLength(2);
  });
});
