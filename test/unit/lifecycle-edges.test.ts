import { describe, expect, it } from 'vitest';
import {
  batchTag,
  DEFAULT_IDEMPOTENCY_MS,
  FAILED_BATCH_RETENTION_MS,
  type GroupState,
  type GroupTally,
  HOUR_SLOTS,
  PERIOD_SLOTS,
  planGroup,
  RECENT_BATCHES,
  settingsFor,
  TallyBuilder,
} from '../../lambda/core/lifecycle.js';
import { parseNoisePolicy } from '../../lambda/core/noise-policy.js';

/**
 * The exact edges of planGroup's decisions (a count at the bar, a claim as old as the idempotency
 * window, a full ring of recent batches), one step either side. The scenario tests of
 * lifecycle.test.ts land well inside them, so an off-by-one there goes unseen.
 */

const MINUTE = 60_000;
const WINDOW = 5 * MINUTE;
/** A window boundary: the batch lands in the window starting here. */
const NOW = Date.parse('2026-11-30T12:00:00Z');
const SLOT = NOW / WINDOW;
const KEY = { apiId: 'a1b2c3d4e5', stage: 'prod', category: 'WAF_FILTERED' } as const;

function settingsOf(input: unknown) {
  const parsed = parseNoisePolicy(input);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return settingsFor(parsed.policy, KEY);
}

/** Window 5 min, 4 windows of baseline, bar max(10, 2 × usual), re-alert after 60 min. */
const SETTINGS = settingsOf({
  windowMinutes: 5,
  baselineWindows: 4,
  escalationMinCount: 10,
  escalationFactor: 2,
});

function tallyAt(at: number, count: number): GroupTally {
  const builder = new TallyBuilder();
  for (let i = 0; i < count; i += 1) builder.add(at + i, false);
  return builder.build();
}

/** A live group seen a minute ago, with the 5 windows up to this one holding `windows` (newest last). */
function group(windows: readonly number[], more: Partial<GroupState> = {}): GroupState {
  return {
    lifecycle: 'ongoing',
    firstSeenAt: NOW - 6 * 60 * MINUTE,
    lastSeenAt: NOW - MINUTE,
    sinceAlert: 0,
    windowMs: WINDOW,
    windows: { end: SLOT, counts: [...windows] },
    hours: {
      counts: { end: 0, counts: new Array<number>(HOUR_SLOTS).fill(0) },
      muted: { end: 0, counts: new Array<number>(PERIOD_SLOTS).fill(0) },
      alerts: { end: 0, counts: new Array<number>(PERIOD_SLOTS).fill(0) },
    },
    topSources: [],
    version: 3,
    expiresAt: Math.ceil(NOW / 1000) + 3600,
    ...more,
  };
}

/** Batch `this` of `count` 403s at NOW. */
const plan = (state: GroupState, count: number, resumed?: true) =>
  planGroup(
    state,
    { batchId: 'this', tally: tallyAt(NOW, count), sources: [], now: NOW, ...(resumed ? { resumed } : {}) },
    SETTINGS,
  );

describe('planGroup at the edges of its decisions', () => {
  // An escalated group holding a usual of 1: the bar is max(10, 2 × 1) = 10.
  it.each([
    { previous: 11, lifecycle: 'escalated' },
    { previous: 10, lifecycle: 'escalated' },
    { previous: 9, lifecycle: 'ongoing' },
  ])(
    'an escalation whose previous window held $previous against a bar of 10 is $lifecycle',
    ({ previous, lifecycle }) => {
      const decision = plan(group([1, 1, 1, previous, 0], { lifecycle: 'escalated', usual: 1 }), 1);
      expect(decision).toMatchObject({ kind: 'write', next: { lifecycle } });
    },
  );

  it.each([
    { count: 10, why: 'escalated' },
    { count: 9, why: 'ongoing' },
  ])('a window of $count against a bar of 10 is $why', ({ count, why }) => {
    expect(plan(group([1, 1, 1, 1, 0]), count)).toMatchObject({ kind: 'write', why });
  });

  // The baseline's 4 windows start at NOW - 4 windows: a group first seen then has a usual to keep.
  it.each([
    { firstSeenAt: NOW - 4 * WINDOW, usual: 2 },
    { firstSeenAt: NOW - 4 * WINDOW + 1, usual: undefined },
  ])('an escalation of a group first seen at $firstSeenAt keeps usual $usual', ({ firstSeenAt, usual }) => {
    const decision = plan(group([2, 2, 2, 2, 0], { firstSeenAt }), 40);
    expect(decision).toMatchObject({ kind: 'write', why: 'escalated' });
    expect(decision.kind === 'write' ? decision.next.usual : 'not written').toBe(usual);
  });

  it.each([
    { age: DEFAULT_IDEMPOTENCY_MS - 1, kind: 'resume' },
    { age: DEFAULT_IDEMPOTENCY_MS, kind: 'write' },
  ])('a claim $age ms old: the same batch gives $kind', ({ age, kind }) => {
    const pending = { batchId: 'this', alertedAt: NOW - age, suppressedSinceLast: 0, firstSeen: true };
    expect(plan(group([0, 0, 0, 0, 0], { pending }), 1)).toMatchObject({ kind });
  });

  // A failed batch's record outlives the window (FAILED_BATCH_RETENTION_MS): its replay from the
  // failure queue is a resumed delivery and publishes the claim, however old; a new delivery counts.
  it.each([
    { age: DEFAULT_IDEMPOTENCY_MS, resumed: true as const, kind: 'resume' },
    { age: FAILED_BATCH_RETENTION_MS, resumed: true as const, kind: 'resume' },
    { age: FAILED_BATCH_RETENTION_MS, resumed: undefined, kind: 'write' },
  ])('a claim $age ms old, resumed $resumed: the same batch gives $kind', ({ age, resumed, kind }) => {
    const pending = { batchId: 'this', alertedAt: NOW - age, suppressedSinceLast: 0, firstSeen: true };
    expect(plan(group([0, 0, 0, 0, 0], { pending }), 1, resumed)).toMatchObject({ kind });
  });

  it.each([
    { age: DEFAULT_IDEMPOTENCY_MS - 1, kind: 'applied' },
    { age: DEFAULT_IDEMPOTENCY_MS, kind: 'write' },
  ])('the last batch written $age ms ago, delivered again, gives $kind', ({ age, kind }) => {
    expect(plan(group([0, 0, 0, 0, 0], { lastBatch: 'this', lastBatchAt: NOW - age }), 1)).toMatchObject({
      kind,
    });
  });

  it.each([
    { tags: RECENT_BATCHES - 1, mayRecount: undefined },
    { tags: RECENT_BATCHES, mayRecount: true },
  ])('a resumed batch missing from $tags recent tags: mayRecount $mayRecount', ({ tags, mayRecount }) => {
    const recentBatches = Array.from({ length: tags }, (_, i) => batchTag(`other-${i}`));
    const decision = plan(group([0, 0, 0, 0, 0], { recentBatches }), 1, true);
    expect(decision).toMatchObject({ kind: 'write' });
    expect(decision.kind === 'write' ? decision.mayRecount : 'not written').toBe(mayRecount);
    // Its tag among them: applied, not counted again.
    const withOwn = [...recentBatches.slice(1), batchTag('this')];
    const found = plan(group([0, 0, 0, 0, 0], { recentBatches: withOwn }), 1, true);
    expect(found).toEqual({ kind: 'applied' });
  });
});

describe('the remembered top sources at the edge of the hour ring', () => {
  const HOUR = 60 * MINUTE;
  const hourNow = Math.floor(NOW / HOUR);
  // The ring holds hours hourNow - (HOUR_SLOTS - 1) .. hourNow: sources whose newest hour is older
  // count nothing now.
  it.each([
    { ago: HOUR_SLOTS - 1, kept: true },
    { ago: HOUR_SLOTS, kept: false },
  ])('sources whose newest hour is $ago hours old are kept: $kept', ({ ago, kept }) => {
    const newestHour = hourNow - ago;
    const topSources = [{ value: '198.51.100.7', count: 3 }];
    const state = group([0, 0, 0, 0, 0], {
      hours: {
        counts: { end: newestHour, counts: [...new Array<number>(HOUR_SLOTS - 1).fill(0), 3] },
        muted: { end: newestHour, counts: new Array<number>(PERIOD_SLOTS).fill(0) },
        alerts: { end: newestHour, counts: new Array<number>(PERIOD_SLOTS).fill(0) },
      },
      topSources,
    });
    const decision = plan(state, 1);
    expect(decision.kind === 'write' ? decision.next.topSources : 'not written').toEqual(
      kept ? topSources : [],
    );
  });
});
