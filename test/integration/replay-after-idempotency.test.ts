/**
 * An alert whose Publish failed on the first attempt and on Lambda's retries waits on the failure
 * queue (14 days); the operator replays the record (`apigw403 replay` sends the same event through the
 * handler) hours or days later, past the batch's idempotency window (7 h). The failed attempts had
 * written the group and claimed its alert, so a replay that counted the batch again found the group
 * already seen and published nothing: the alert was lost and replay deleted its record. Real monitor
 * handler on fauxqs and dynalite, the clock injected, SNS down through the fault proxy.
 */
import { describe, expect, it } from 'vitest';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { MonitorError } from '../../lambda/adapters/errors.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

const HOUR = 60 * 60_000;
const CASES = [
  { when: 'inside the idempotency window (2 h)', apiId: 'r3pl4y02hx', after: 2 * HOUR },
  { when: 'the next morning (10 h)', apiId: 'r3pl4y10hx', after: 10 * HOUR },
  { when: 'near the failure queue retention (13 days)', apiId: 'r3pl4y13dx', after: 13 * 24 * HOUR },
];
const groupOf = (apiId: string) => `/aws/apigateway/${apiId}/prod`;
const peers = useMonitorPeers(
  CASES.map(({ apiId }) => ({ apiId, stage: 'prod', accessLogGroup: groupOf(apiId), executionLogs: false })),
);

describe('a failed alert replayed from the failure queue is published once', () => {
  it.each(CASES)('$when', async ({ apiId, after }) => {
    const t0 = Date.now();
    let now = t0;
    const handler = peers.createHandler({ metrics: () => {}, log: () => {}, now: () => now });
    const event = subscriptionEvent(
      logsDocument(groupOf(apiId), [{ timestamp: t0, message: wafAccessLine(apiId, 'prod', `r-${apiId}`) }]),
    );
    await receiveAll(peers.sqs, peers.local.queueUrls.all);
    peers.local.snsProxy.setDown(true);
    try {
      // The first attempt and Lambda's two asynchronous retries (1 and 3 minutes later) all fail.
      for (const retry of [0, 60_000, 180_000]) {
        now = t0 + retry;
        expect(await handler(event).catch((error: unknown) => error)).toBeInstanceOf(MonitorError);
      }
    } finally {
      peers.local.snsProxy.setDown(false);
    }
    expect(await receiveAll(peers.sqs, peers.local.queueUrls.all)).toHaveLength(0);
    now = t0 + after;
    const replayed = await handler(event);
    expect(replayed.outcomes.map((outcome) => outcome.action)).toEqual(['alert']);
    const published = await receiveAll(peers.sqs, peers.local.queueUrls.all);
    expect(published.map((message) => message.envelope.MessageAttributes?.apiId?.Value)).toEqual([apiId]);
    // The replay finished the batch: the same record replayed again publishes nothing more.
    now += 60_000;
    await handler(event);
    expect(await receiveAll(peers.sqs, peers.local.queueUrls.all)).toHaveLength(0);
  });
});
