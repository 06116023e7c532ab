import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyPlan,
  batchClaimOf,
  batchIdOf,
  encodeProgress,
  eventsByRequestId,
  finishedGroups,
  type GroupState,
  groupsDigest,
  orderGroups,
  type PendingAlert,
  planGroupAlert,
} from '../../lambda/core/alerts.js';

const MINUTE = 60_000;
const config = { cooldownMs: 15 * MINUTE, minAlertCount: 1, idempotencyMs: 7 * 60 * MINUTE };
const NOW = 1_784_692_374_821;
const LIVE = Math.ceil((NOW + 30 * 24 * 60 * MINUTE) / 1000);

const state = (overrides: Partial<GroupState> = {}): GroupState => ({
  firstSeenAt: NOW - 60 * MINUTE,
  suppressedCount: 0,
  version: 3,
  expiresAt: LIVE,
  ...overrides,
});

describe('planGroupAlert', () => {
  it.each([
    [
      'a category never seen alerts, first seen',
      undefined,
      5,
      { action: 'alert', alert: { firstSeen: true, suppressedSinceLast: 0 } },
    ],
    [
      'inside the cooldown it suppresses',
      state({ lastAlertAt: NOW - 5 * MINUTE }),
      7,
      { action: 'suppress', why: 'cooldown' },
    ],
    [
      'after the cooldown it alerts with what was suppressed',
      state({ lastAlertAt: NOW - 20 * MINUTE, suppressedCount: 340 }),
      2,
      {
        action: 'alert',
        alert: { firstSeen: false, suppressedSinceLast: 340, lastAlertAt: NOW - 20 * MINUTE },
      },
    ],
    [
      'an expired item (TTL passed, not yet deleted) is absent: first seen again',
      state({ lastAlertAt: NOW - MINUTE, suppressedCount: 9, expiresAt: Math.floor(NOW / 1000) }),
      1,
      { action: 'alert', alert: { firstSeen: true, suppressedSinceLast: 0 } },
    ],
  ] as const)('%s', (_name, previous, count, expected) => {
    expect(planGroupAlert(previous, { batchId: 'b1', count, now: NOW }, config)).toMatchObject(expected);
  });

  it('resumes the claim of its own batch, not another batch’s, and not one older than the window', () => {
    const pending: PendingAlert = { batchId: 'b1', alertedAt: NOW, suppressedSinceLast: 4, firstSeen: false };
    const claimed = state({ lastAlertAt: NOW, pending });
    expect(planGroupAlert(claimed, { batchId: 'b1', count: 3, now: NOW + 1 }, config)).toEqual({
      action: 'alert',
      resumed: true,
      alert: pending,
    });
    expect(planGroupAlert(claimed, { batchId: 'b2', count: 3, now: NOW + 1 }, config)).toMatchObject({
      action: 'suppress',
    });
    const later = NOW + config.idempotencyMs + MINUTE;
    expect(planGroupAlert(claimed, { batchId: 'b1', count: 3, now: later }, config)).toMatchObject({
      action: 'alert',
      resumed: false,
    });
  });

  it('holds sub-threshold counts until they reach the minimum alert count', () => {
    const five = { ...config, minAlertCount: 5 };
    const input = { batchId: 'b1', count: 2, now: NOW };
    const below = planGroupAlert(undefined, input, five);
    expect(below).toMatchObject({ action: 'suppress', why: 'below-threshold' });
    const next = applyPlan(undefined, below, input, 30 * 24 * 60 * MINUTE);
    expect(next).toMatchObject({ suppressedCount: 2, version: 1 });
    expect(planGroupAlert(next, { batchId: 'b2', count: 3, now: NOW }, five)).toMatchObject({
      action: 'alert',
      alert: { suppressedSinceLast: 2 },
    });
  });

  it('keeps the group state a fixed set of fields, whatever the traffic', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 300 }), (counts) => {
        let current: GroupState | undefined;
        counts.forEach((count, index) => {
          const input = { batchId: `b${index}`, count, now: NOW + index * 2_500 };
          current = applyPlan(current, planGroupAlert(current, input, config), input, 30 * 24 * 60 * MINUTE);
        });
        expect(JSON.stringify(current).length).toBeLessThan(400);
      }),
    );
  });

  it('identifies a batch by its sorted event ids', () => {
    expect(batchIdOf(['2', '1'])).toBe(batchIdOf(['1', '2']));
    expect(batchIdOf(['1'])).not.toBe(batchIdOf(['1', '2']));
  });
});

describe('batch records', () => {
  const record = { owner: 'a', leaseUntil: NOW + MINUTE, expiresAt: LIVE };
  it.each([
    ['no record: fresh', undefined, 'fresh'],
    ['an expired record is absent: fresh', { ...record, expiresAt: Math.floor(NOW / 1000) }, 'fresh'],
    ['finished: done', { ...record, doneAt: NOW - MINUTE }, 'done'],
    ['a live lease: busy', record, 'busy'],
    ['an expired lease: resume', { ...record, leaseUntil: NOW }, 'resume'],
  ] as const)('%s', (_name, found, kind) => {
    expect(batchClaimOf(found, NOW).kind).toBe(kind);
  });

  it('round-trips progress bits for the same group list only', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_000 }), fc.array(fc.nat()), (size, picks) => {
        const done = new Set(picks.map((pick) => pick % size));
        const progress = encodeProgress('digest', done, size);
        expect(progress.done.length).toBe(Math.ceil(size / 8));
        expect(finishedGroups(progress, 'digest', size)).toEqual(done);
        expect(finishedGroups(progress, 'other', size).size).toBe(0);
      }),
    );
  });

  it('orders groups most severe first, then largest, deterministically', () => {
    const groups = [
      { apiId: 'a', stage: 'p', category: 'MISSING_AUTHENTICATION_TOKEN', count: 900 },
      { apiId: 'a', stage: 'p', category: 'WAF_FILTERED', count: 3 },
      { apiId: 'b', stage: 'p', category: 'WAF_FILTERED', count: 3 },
      { apiId: 'a', stage: 'p', category: 'INVALID_API_KEY', count: 50 },
    ] as const;
    const ordered = orderGroups(groups);
    expect(ordered.map((group) => `${group.apiId}/${group.category}`)).toEqual([
      'a/MISSING_AUTHENTICATION_TOKEN',
      'a/INVALID_API_KEY',
      'a/WAF_FILTERED',
      'b/WAF_FILTERED',
    ]);
    expect(orderGroups([...groups].reverse())).toEqual(ordered);
    expect(groupsDigest(ordered)).toBe(groupsDigest(orderGroups([...groups].reverse())));
    expect(groupsDigest(ordered)).not.toBe(groupsDigest(ordered.slice(1)));
  });
});

describe('eventsByRequestId', () => {
  it('indexes access lines by request id once, skipping lines that do not parse', () => {
    const line = (requestId: string) =>
      JSON.stringify({ requestId, status: '403', httpMethod: 'GET', resourcePath: '/x' });
    const events = [
      { id: '1', timestamp: NOW, message: line('r-1') },
      { id: '2', timestamp: NOW, message: 'not a line' },
      { id: '3', timestamp: NOW, message: line('r-2') },
      { id: '4', timestamp: NOW, message: line('r-1') },
    ];
    const index = eventsByRequestId(events);
    expect(index.get('r-1')?.map((event) => event.id)).toEqual(['1', '4']);
    expect(index.get('r-2')?.map((event) => event.id)).toEqual(['3']);
    // A sample id that is a substring of another request's id finds nothing (the scan it replaces did).
    expect(index.get('r-')).toBeUndefined();
  });
});
