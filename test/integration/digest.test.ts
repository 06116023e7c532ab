/**
 * The digest on the real parts: the monitor's handler fills the state table (dynalite) from
 * subscription deliveries of two stages, then the digest run reads it with the state store, publishes
 * to fauxqs, and the Slack forwarder posts what it received to the receiver on 127.0.0.1.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { receiveAll, snsEventFor } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { StateStore } from '../../lambda/adapters/state-store.js';
import { DIGEST_EVENT } from '../../lambda/core/digest-event.js';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { parseNoisePolicy } from '../../lambda/core/noise-policy.js';
import type { DigestView } from '../../lambda/core/render/digest-view.js';
import { runDigest } from '../../lambda/digest-handler.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

const API = 'a1b2c3d4e5';
const group = (stage: string) => `/aws/apigateway/${API}/${stage}`;
const peers = useMonitorPeers([
  { apiId: API, stage: 'prod', accessLogGroup: group('prod'), executionLogs: false },
  { apiId: API, stage: 'test', accessLogGroup: group('test'), executionLogs: false },
]);
const POLICY = { mute: [{ userAgentContains: 'zgrab', reason: 'scanner' }] };
const SCHEDULED = Date.UTC(2026, 11, 1, 8);
let clock = SCHEDULED - 90 * 60_000;

beforeAll(() => {
  process.env[MONITOR_ENV.noisePolicy] = JSON.stringify(POLICY);
});

/** `count` WAF 403s on a stage at the clock, from `userAgent`. */
const deliver = async (stage: string, count: number, userAgent: string, ip: string) => {
  const handler = peers.createHandler({ now: () => clock, metrics: () => {} });
  const events = Array.from({ length: count }, (_, i) => ({
    timestamp: clock + i,
    message: wafAccessLine(API, stage, `${stage}-${userAgent}-${clock}-${i}`, {
      identity: { sourceIp: ip, userAgent },
    }),
  }));
  await handler(subscriptionEvent(logsDocument(group(stage), events)));
};

describe('the digest run', () => {
  it('publishes one digest per stage with its counts, muted counts and sources; Slack renders it', async () => {
    await deliver('prod', 30, 'curl/8.10.1', '203.0.113.7');
    await deliver('prod', 12, 'zgrab/0.x', '198.51.100.9');
    clock += 20 * 60_000;
    await deliver('test', 4, 'curl/8.10.1', '203.0.113.7');
    const before = (await receiveAll(peers.sqs, peers.local.queueUrls.all)).length;
    expect(before).toBeGreaterThan(0);

    const policy = parseNoisePolicy(POLICY);
    if (!policy.ok) throw new Error(policy.problems.join('; '));
    clock = SCHEDULED + 42_000;
    const run = await runDigest(
      {
        source: new StateStore(new DynamoDBClient({}), peers.local.env[MONITOR_ENV.stateTableName] ?? ''),
        sns: new SNSClient({}),
        topicArn: peers.local.topicArn,
        policy: policy.policy,
        region: 'us-east-1',
        now: () => clock,
      },
      { ...DIGEST_EVENT, scheduledTime: '2026-12-01T08:00:00Z' },
    );
    expect(run.period).toEqual({ start: SCHEDULED - 24 * 3_600_000, end: SCHEDULED });
    expect(run.digests.map((d) => [d.stage, d.total])).toEqual(
      expect.arrayContaining([
        ['prod', 30],
        ['test', 4],
      ]),
    );
    expect(run.digests).toHaveLength(2);

    const published = (await receiveAll(peers.sqs, peers.local.queueUrls.all)).filter(
      (m) => m.envelope.MessageAttributes?.kind?.Value === 'digest',
    );
    expect(published.map((m) => m.envelope.MessageAttributes?.stage?.Value).sort()).toEqual(['prod', 'test']);
    const prodEnvelope = published.find(
      (m) => m.envelope.MessageAttributes?.stage?.Value === 'prod',
    )?.envelope;
    if (!prodEnvelope) throw new Error('no prod digest');
    const view = JSON.parse(JSON.parse(prodEnvelope.Message).default) as DigestView;
    // Muted 403s are counted apart: 30 unmuted, 12 from the muted scanner.
    expect(view).toMatchObject({ apiId: API, stage: 'prod', total: 30, mutedTotal: 12, previousTotal: 0 });
    expect(view.categories.map((line) => [line.category, line.count, line.mutedCount])).toEqual([
      ['WAF_FILTERED', 30, 12],
    ]);
    expect(view.topSources[0]).toEqual({ value: '203.0.113.7', count: 30 });
    expect(JSON.parse(prodEnvelope.Message).email).toContain('WAF_FILTERED: 30 (new, was 0, 12 muted');

    const { handler: forwarder } = await import('../../lambda/slack-forwarder.js');
    const posted = peers.local.slack.messages.length;
    await forwarder(snsEventFor(prodEnvelope, `${prodEnvelope.TopicArn}:slack-forwarder`));
    const slack = peers.local.slack.messages.slice(posted);
    expect(slack).toHaveLength(1);
    expect(slack[0]?.blocks?.[0]?.text?.text).toBe(`403 digest: ${API}/prod`);
    expect(slack[0]?.text).toContain('30 403s between 2026-11-30T08:00:00.000Z and 2026-12-01T08:00:00.000Z');
  });

  it('fails the run when a publish fails, after trying every stage', async () => {
    const policy = parseNoisePolicy({});
    if (!policy.ok) throw new Error('default policy');
    // SNS down: both stages' publishes fail (the SDK's own retries included); the run throws once.
    peers.local.snsProxy.setDown(true);
    const failing = expect(
      runDigest(
        {
          source: new StateStore(new DynamoDBClient({}), peers.local.env[MONITOR_ENV.stateTableName] ?? ''),
          sns: new SNSClient({ maxAttempts: 1 }),
          topicArn: peers.local.topicArn,
          policy: policy.policy,
          region: 'us-east-1',
          now: () => clock,
        },
        { ...DIGEST_EVENT, scheduledTime: '2026-12-01T08:00:00Z' },
      ),
    ).rejects.toThrow(/publishing the alert/);
    await failing.finally(() => peers.local.snsProxy.setDown(false));
  });
});
