import { describe, expect, it } from 'vitest';
import {
  addToSlot,
  emptyRing,
  type GroupDecision,
  type GroupState,
  type GroupTally,
  HOUR_MS,
  type LifecycleSettings,
  planGroup,
  resolveGroup,
  settingsFor,
  sumBetween,
  summariseForDigest,
  sweep,
  TallyBuilder,
} from '../../lambda/core/lifecycle.js';
import { type NoisePolicy, parseNoisePolicy } from '../../lambda/core/noise-policy.js';

const MINUTE = 60_000;
/** 2026-11-30T00:00:00Z: windows and hours start on it. */
const DAY = Date.parse('2026-11-30T00:00:00Z');
const KEY = { apiId: 'a1b2c3d4e5', stage: 'prod', category: 'INVALID_API_KEY' } as const;

function policyOf(input: unknown = {}): NoisePolicy {
  const result = parseNoisePolicy(input);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.policy;
}

const DEFAULTS = settingsFor(policyOf(), KEY);

/** `count` 403s spread over the minute starting at `at`; `muted` more that a rule mutes. */
function tally(at: number, count: number, muted = 0, deploymentId?: string): GroupTally {
  const builder = new TallyBuilder();
  for (let i = 0; i < count; i += 1) builder.add(at + ((i * 997) % MINUTE), false, deploymentId);
  for (let i = 0; i < muted; i += 1) builder.add(at + i, true);
  return builder.build();
}

let batch = 0;
/** Plays batches through planGroup as the monitor would, each applied as its write. */
function play(
  state: GroupState | undefined,
  at: number,
  count: number,
  settings: LifecycleSettings = DEFAULTS,
  muted = 0,
): { state: GroupState | undefined; decision: GroupDecision } {
  batch += 1;
  const decision = planGroup(
    state,
    {
      batchId: `b${batch}`,
      tally: tally(at, count, muted),
      sources: [{ value: '198.51.100.7', count }],
      now: at + MINUTE,
    },
    settings,
  );
  return { state: decision.kind === 'write' ? decision.next : state, decision };
}

/** A group that has seen `perWindow` 403s in every 5-minute window of the hour before `until`. */
function steady(perWindow: number, until: number, settings = DEFAULTS): GroupState | undefined {
  let state: GroupState | undefined;
  for (let at = until - 60 * MINUTE; at < until; at += 5 * MINUTE)
    state = play(state, at, perWindow, settings).state;
  return state;
}

describe('planGroup: the lifecycle', () => {
  it('a group never seen is new and alerts, with the reason in one line', () => {
    const { decision } = play(undefined, DAY, 3);
    expect(decision).toMatchObject({
      kind: 'write',
      why: 'new',
      alert: {
        lifecycle: 'new',
        firstSeen: true,
        reason: 'New: first 403 of this category for this stage in 24 h',
      },
      next: { lifecycle: 'new', firstSeenAt: expect.any(Number), sinceAlert: 0 },
    });
  });

  it('names the deployment a new group was first seen in', () => {
    const decision = planGroup(
      undefined,
      { batchId: 'd', tally: tally(DAY, 2, 0, 'x7k2p9'), sources: [], now: DAY },
      DEFAULTS,
    );
    expect(decision).toMatchObject({
      alert: {
        reason: 'New: first 403 of this category for this stage in 24 h, first seen in deployment x7k2p9',
      },
      next: { deploymentId: 'x7k2p9' },
    });
    // What a line claims is a deployment id only when it looks like one.
    const forged = planGroup(
      undefined,
      { batchId: 'e', tally: tally(DAY, 2, 0, '<!here> x'), sources: [], now: DAY },
      DEFAULTS,
    );
    expect(forged.kind === 'write' ? forged.next.deploymentId : 'not written').toBeUndefined();
  });

  it('the next 403s are ongoing: counted, not alerted', () => {
    const first = play(undefined, DAY, 3);
    const second = play(first.state, DAY + 7 * MINUTE, 4);
    expect(second.decision).toMatchObject({
      kind: 'write',
      why: 'ongoing',
      next: { lifecycle: 'ongoing', sinceAlert: 4 },
    });
    expect(second.decision.kind === 'write' && second.decision.alert).toBeUndefined();
  });

  it('new again after the quiet period without a 403, not before', () => {
    const first = play(undefined, DAY, 3);
    const within = play(first.state, DAY + 23 * 60 * MINUTE, 1);
    expect(within.decision).toMatchObject({ why: 'ongoing' });
    const after = play(within.state, DAY + 23 * 60 * MINUTE + 24 * 60 * MINUTE, 1);
    expect(after.decision).toMatchObject({ why: 'new', alert: { lifecycle: 'new', suppressedSinceLast: 1 } });
  });

  it('escalates when a window reaches max(escalationMinCount, factor × its usual), and says by how much', () => {
    const start = DAY + 120 * MINUTE;
    const usual = steady(3, start);
    // 3 per window: the bar is max(20, 5 × 3) = 20; 19 is not enough.
    expect(play(usual, start, 19).decision).toMatchObject({ why: 'ongoing' });
    const escalated = play(usual, start, 140);
    expect(escalated.decision).toMatchObject({
      why: 'escalated',
      alert: { lifecycle: 'escalated', reason: 'Escalated: 140 in 5 min against a usual 3' },
      next: { lifecycle: 'escalated' },
    });
  });

  it('a quiet group needs escalationMinCount, a busy one its factor over the usual', () => {
    const start = DAY + 120 * MINUTE;
    const busy = steady(30, start);
    expect(play(busy, start, 100).decision).toMatchObject({ why: 'ongoing' });
    expect(play(busy, start, 150).decision).toMatchObject({
      why: 'escalated',
      alert: { reason: 'Escalated: 150 in 5 min against a usual 30' },
    });
    const quiet = play(undefined, start - 70 * MINUTE, 1).state;
    expect(play(quiet, start, 19).decision).toMatchObject({ why: 'ongoing' });
    expect(play(quiet, start, 20).decision).toMatchObject({ why: 'escalated' });
  });

  it('rates follow the events’ timestamps, not the batches: 20 in one window escalates, 20 over two does not', () => {
    const start = DAY + 120 * MINUTE;
    const usual = steady(1, start);
    let split = play(usual, start, 10).state;
    split = play(split, start + 5 * MINUTE, 10).state;
    expect(split?.lifecycle).toBe('ongoing');
    let together = play(usual, start, 10).state;
    const second = play(together, start + MINUTE, 10);
    together = second.state;
    expect(second.decision).toMatchObject({ why: 'escalated' });
  });

  it('an escalated group re-alerts at most every realertMinutes while it stays escalated', () => {
    const start = DAY + 120 * MINUTE;
    let state = play(steady(3, start), start, 100).state;
    const wait = play(state, start + 5 * MINUTE, 100);
    expect(wait.decision).toMatchObject({ why: 'realert-wait', next: { lifecycle: 'escalated' } });
    state = wait.state;
    for (let at = start + 10 * MINUTE; at < start + 60 * MINUTE; at += 5 * MINUTE)
      state = play(state, at, 100).state;
    expect(play(state, start + 60 * MINUTE, 100).decision).toMatchObject({
      why: 'escalated',
      alert: { lifecycle: 'escalated' },
    });
  });

  it('goes back to ongoing once a whole window stays under the bar, not at the first 403s of a window', () => {
    const start = DAY + 120 * MINUTE;
    const state = play(steady(3, start), start, 100).state;
    // The next window's first batch is small, but the window before it was above: still escalated.
    const early = play(state, start + 5 * MINUTE, 2);
    expect(early.state?.lifecycle).toBe('escalated');
    const calm = play(early.state, start + 10 * MINUTE, 2);
    expect(calm.state?.lifecycle).toBe('ongoing');
  });

  it('a new group that bursts alerts once as new; its escalation waits for realertMinutes', () => {
    const first = play(undefined, DAY, 5);
    expect(play(first.state, DAY + MINUTE, 200).decision).toMatchObject({ why: 'realert-wait' });
  });

  it('muted 403s count for the digest, never for the lifecycle', () => {
    const onlyMuted = play(undefined, DAY, 0, DEFAULTS, 50);
    expect(onlyMuted.decision).toMatchObject({ kind: 'write', why: 'muted', next: { lastSeenAt: 0 } });
    expect(onlyMuted.decision.kind === 'write' && onlyMuted.decision.alert).toBeUndefined();
    const state = onlyMuted.state as GroupState;
    expect(sumBetween(state.hours.muted, HOUR_MS, DAY, DAY + HOUR_MS)).toBe(50);
    expect(sumBetween(state.hours.counts, HOUR_MS, DAY, DAY + HOUR_MS)).toBe(0);
    // A muted flood on a known group does not escalate it.
    const start = DAY + 120 * MINUTE;
    expect(play(steady(3, start), start, 1, DEFAULTS, 500).decision).toMatchObject({ why: 'ongoing' });
  });

  it('the digest action tracks the lifecycle and never publishes', () => {
    const digestOnly = settingsFor(policyOf({ categories: { INVALID_API_KEY: { action: 'digest' } } }), KEY);
    const { decision } = play(undefined, DAY, 5, digestOnly);
    expect(decision).toMatchObject({ kind: 'write', why: 'digest-only', next: { lifecycle: 'new' } });
    expect(decision.kind === 'write' && decision.alert).toBeUndefined();
  });

  it('a redelivered batch resumes its own claim, and is not counted twice', () => {
    const tallyOf = tally(DAY, 3);
    const input = { batchId: 'same', tally: tallyOf, sources: [], now: DAY };
    const first = planGroup(undefined, input, DEFAULTS);
    if (first.kind !== 'write') throw new Error('expected a write');
    expect(planGroup(first.next, input, DEFAULTS)).toEqual({ kind: 'resume', alert: first.alert });
    const ongoing = planGroup(first.next, { ...input, batchId: 'other', now: DAY + MINUTE }, DEFAULTS);
    if (ongoing.kind !== 'write') throw new Error('expected a write');
    expect(planGroup(ongoing.next, { ...input, batchId: 'other', now: DAY + MINUTE }, DEFAULTS)).toEqual({
      kind: 'applied',
    });
    // Past the idempotency window (the batch record's TTL) the batch is a new one, counted again.
    expect(planGroup(first.next, { ...input, now: DAY + 8 * 60 * MINUTE }, DEFAULTS)).toMatchObject({
      kind: 'write',
      why: 'ongoing',
    });
  });

  it('an expired item is absent: new again, nothing carried over', () => {
    const first = play(undefined, DAY, 3).state as GroupState;
    const expired = { ...first, expiresAt: Math.floor(DAY / 1000) };
    const decision = planGroup(
      expired,
      { batchId: 'x', tally: tally(DAY + MINUTE, 1), sources: [], now: DAY + MINUTE },
      DEFAULTS,
    );
    expect(decision).toMatchObject({ why: 'new', next: { version: first.version + 1, sinceAlert: 0 } });
  });
});

describe('resolution (the sweep)', () => {
  const state = steady(3, DAY + 120 * MINUTE) as GroupState;

  it('resolves a group with no 403 for resolveAfterMinutes, and not before', () => {
    const last = state.lastSeenAt;
    expect(resolveGroup(KEY, state, last + 59 * MINUTE, DEFAULTS)).toBeUndefined();
    expect(resolveGroup(KEY, state, last + 60 * MINUTE, DEFAULTS)).toMatchObject({
      notify: false,
      version: state.version,
      next: { lifecycle: 'resolved', resolvedAt: last + 60 * MINUTE, version: state.version + 1 },
    });
  });

  it('notifies only with notifyResolved, a publishing action, and an alert since it last resolved', () => {
    const notifying = settingsFor(policyOf({ notifyResolved: true }), KEY);
    const resolved = resolveGroup(KEY, state, state.lastSeenAt + 61 * MINUTE, notifying);
    expect(resolved).toMatchObject({ notify: true, reason: 'Resolved: no 403 of this category for 60 min' });
    // Seen again without alerting, then quiet: nothing new to say.
    const again = play(resolved?.next, state.lastSeenAt + 90 * MINUTE, 1, notifying).state as GroupState;
    expect(resolveGroup(KEY, again, again.lastSeenAt + 61 * MINUTE, notifying)).toMatchObject({
      notify: false,
    });
    const silent = settingsFor(policyOf({ notifyResolved: true, action: 'digest' }), KEY);
    expect(resolveGroup(KEY, state, state.lastSeenAt + 61 * MINUTE, silent)).toMatchObject({ notify: false });
  });

  it('sweep picks the quiet groups of a listing, each with its own policy', () => {
    const policy = policyOf({ overrides: [{ stage: 'staging', resolveAfterMinutes: 240 }] });
    const staging = { ...KEY, stage: 'staging' };
    const now = state.lastSeenAt + 90 * MINUTE;
    const resolved = sweep(
      [
        { key: KEY, state },
        { key: staging, state },
        {
          key: { ...KEY, category: 'WAF_FILTERED' as const },
          state: { ...state, lifecycle: 'resolved' as const },
        },
      ],
      now,
      policy,
    );
    expect(resolved.map((entry) => entry.key)).toEqual([KEY]);
  });
});

describe('summariseForDigest', () => {
  it('counts the period and the one before in whole hours, with muted 403s and alerts apart', () => {
    let state: GroupState | undefined;
    // Yesterday: 10 an hour. Today: 15 an hour and 5 muted, over 24 hours (never escalated).
    for (let hour = 0; hour < 48; hour += 1) {
      state = play(state, DAY + hour * HOUR_MS, hour < 24 ? 10 : 15, DEFAULTS, hour < 24 ? 0 : 5).state;
    }
    const end = DAY + 48 * HOUR_MS;
    const summary = summariseForDigest(
      KEY,
      state as GroupState,
      { start: end - 24 * HOUR_MS, end },
      policyOf(),
    );
    expect(summary).toMatchObject({
      ...KEY,
      action: 'alert',
      count: 24 * 15,
      previousCount: 24 * 10,
      mutedCount: 24 * 5,
      alertsSent: 0,
      topSources: [{ value: '198.51.100.7', count: 24 * 10 + 24 * 15 }],
    });
    // The one alert (new) was yesterday.
    expect(
      summariseForDigest(KEY, state as GroupState, { start: DAY, end: DAY + 24 * HOUR_MS }, policyOf()),
    ).toMatchObject({
      alertsSent: 1,
      previousCount: 0,
    });
  });

  it('says resolved for a group quiet at the period’s end, even before the sweep ran', () => {
    const state = play(undefined, DAY, 3).state as GroupState;
    const summary = summariseForDigest(KEY, state, { start: DAY, end: DAY + 24 * HOUR_MS }, policyOf());
    expect(summary.lifecycle).toBe('resolved');
  });
});

describe('rings', () => {
  it('move forward, drop what falls out, and ignore slots older than they hold', () => {
    let ring = addToSlot(emptyRing(3), 10, 1);
    ring = addToSlot(ring, 12, 2);
    expect(ring).toEqual({ end: 12, counts: [1, 0, 2] });
    expect(addToSlot(ring, 9, 5)).toEqual(ring);
    expect(addToSlot(ring, 20, 4)).toEqual({ end: 20, counts: [0, 0, 4] });
  });
});

describe('a group that resolved and fires again (attack finding 16)', () => {
  const start = DAY + 120 * MINUTE;
  // Resolves 10 min after its last 403, re-alerts an incident at most hourly.
  it.each([
    { notifyResolved: true, said: 'with a resolved notice' },
    { notifyResolved: false, said: 'without a resolved notice' },
  ])('alerts its next escalation at once, $said, not after realertMinutes', ({ notifyResolved }) => {
    const settings = settingsFor(policyOf({ resolveAfterMinutes: 10, notifyResolved }), KEY);
    const escalated = play(steady(3, start, settings), start, 100, settings);
    expect(escalated.decision).toMatchObject({ why: 'escalated' });
    const resolved = resolveGroup(KEY, escalated.state as GroupState, start + 12 * MINUTE, settings);
    expect(resolved).toMatchObject({ notify: notifyResolved, next: { lifecycle: 'resolved' } });
    // A first small batch after the resolve, then the burst: a new incident, alerted at once.
    const back = play(resolved?.next, start + 20 * MINUTE, 1, settings);
    expect(back.decision).toMatchObject({ why: 'ongoing' });
    const again = play(back.state, start + 25 * MINUTE, 100, settings);
    expect(again.decision).toMatchObject({ why: 'escalated', alert: { lifecycle: 'escalated' } });
    // Its incident's next escalation waits again.
    expect(play(again.state, start + 30 * MINUTE, 300, settings).decision).toMatchObject({
      why: 'realert-wait',
    });
  });
});

describe('a batch that spans windows (attack finding 19)', () => {
  const start = DAY + 120 * MINUTE;

  /** One batch: `counts[i]` 403s in the i-th 5-minute window from `at`, delivered at `now`. */
  function spanning(state: GroupState | undefined, at: number, counts: readonly number[]): GroupDecision {
    const builder = new TallyBuilder();
    counts.forEach((count, window) => {
      for (let i = 0; i < count; i += 1) builder.add(at + window * 5 * MINUTE + ((i * 997) % MINUTE), false);
    });
    batch += 1;
    return planGroup(
      state,
      { batchId: `s${batch}`, tally: builder.build(), sources: [], now: at + counts.length * 5 * MINUTE },
      DEFAULTS,
    );
  }

  it.each([
    { counts: [25, 1], lifecycle: 'escalated', reason: 'Escalated: 25 in 5 min against a usual 3' },
    { counts: [1, 25, 2], lifecycle: 'escalated', reason: 'Escalated: 25 in 5 min against a usual 2.8' },
    // Escalated in its second window and calm for a whole window after it: it alerts, and is ongoing.
    { counts: [1, 40, 1, 1], lifecycle: 'ongoing', reason: 'Escalated: 40 in 5 min against a usual 2.8' },
    { counts: [40, 0, 60], lifecycle: 'escalated', reason: 'Escalated: 60 in 5 min against a usual 3' },
  ])('$counts escalates on the window that reaches the bar', ({ counts, lifecycle, reason }) => {
    const decision = spanning(steady(3, start), start, counts);
    expect(decision).toMatchObject({
      kind: 'write',
      why: 'escalated',
      alert: { lifecycle: 'escalated', reason },
      next: { lifecycle },
    });
  });

  it('spread under the bar in every window, it stays ongoing', () => {
    expect(spanning(steady(3, start), start, [15, 15, 15])).toMatchObject({
      why: 'ongoing',
      next: { lifecycle: 'ongoing' },
    });
  });
});
