/**
 * A digest invoked by hand (no scheduledTime) reports and changes nothing for the schedule: on the
 * peers, a `rate(6 hours)` digest runs at 08:00, by hand at 12:30, and again on schedule at 14:00.
 * The hand-made run covers the last interval up to its hour (it cannot place the rate's firings,
 * which count from the schedule's creation) and says it was run by hand; the 14:00 run still covers
 * exactly the hours since the 08:00 one, neither moved nor widened by the run in between.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { DIGEST_EVENT, HOUR_MS } from '../../lambda/core/digest-event.js';
import type { DigestView } from '../../lambda/core/render/digest-view.js';
import { digestOn, useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

const API = 'b7a0d1e2f3';
const GROUP = `/aws/apigateway/${API}/prod`;
const peers = useMonitorPeers([{ apiId: API, stage: 'prod', accessLogGroup: GROUP, executionLogs: false }]);
const POLICY = { digestSchedule: 'rate(6 hours)' };
const DAY = Date.UTC(2026, 11, 1);
const hour = (h: number) => DAY + h * HOUR_MS;

/** `count` WAF 403s at `at`. */
async function deliver(at: number, count: number): Promise<void> {
  const handler = peers.createHandler({ now: () => at, metrics: () => {} });
  const events = Array.from({ length: count }, (_, i) => ({
    timestamp: at + i,
    message: wafAccessLine(API, 'prod', `b7a0d1e2-0000-4000-8000-${String(at / 1000 + i).padStart(12, '0')}`),
  }));
  await handler(subscriptionEvent(logsDocument(GROUP, events)));
}

/** The digest views the topic received since the last call. */
const digests = async (): Promise<DigestView[]> =>
  (await receiveAll(peers.sqs, peers.local.queueUrls.all))
    .filter((m) => m.envelope.MessageAttributes?.kind?.Value === 'digest')
    .map((m) => JSON.parse(JSON.parse(m.envelope.Message).default as string) as DigestView);

const scheduled = (at: number) => ({ ...DIGEST_EVENT, scheduledTime: new Date(at).toISOString() });
const runs: Record<string, { period: unknown; views: DigestView[] }> = {};

beforeAll(async () => {
  await deliver(hour(7), 2);
  runs.first = {
    period: (await digestOn(peers, scheduled(hour(8)), hour(8) + 20_000, POLICY)).period,
    views: [],
  };
  runs.first.views = await digests();
  await deliver(hour(9), 3);
  await deliver(hour(12), 4);
  const byHand = await digestOn(peers, { apigw403: 'digest' }, hour(12) + 30 * 60_000, POLICY);
  runs.byHand = { period: byHand.period, views: await digests() };
  const next = await digestOn(peers, scheduled(hour(14)), hour(14) + 20_000, POLICY);
  runs.next = { period: next.period, views: await digests() };
});

describe('a rate() digest run by hand between two scheduled runs', () => {
  it('covers the last interval up to its hour, and says it was run by hand', () => {
    expect(runs.byHand?.period).toEqual({ start: hour(6), end: hour(12), byHand: true });
    expect(runs.byHand?.views.map((view) => view.total)).toEqual([5]);
    expect(runs.byHand?.views[0]?.notes[0]).toMatch(/^Run by hand, not by the schedule/);
  });

  it('leaves the next scheduled run the hours since the one before, with no note', () => {
    expect(runs.first?.period).toEqual({ start: hour(2), end: hour(8) });
    expect(runs.first?.views.map((view) => view.total)).toEqual([2]);
    expect(runs.next?.period).toEqual({ start: hour(8), end: hour(14) });
    expect(runs.next?.views.map((view) => [view.total, view.notes])).toEqual([[7, []]]);
  });
});
