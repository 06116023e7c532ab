import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupItem, groupState } from '../../lambda/adapters/group-item.js';
import {
  type GroupDecision,
  type GroupState,
  HOUR_SLOTS,
  PERIOD_SLOTS,
  planGroup,
  RECENT_BATCHES,
  settingsFor,
  TallyBuilder,
  TOP_SOURCES,
  WINDOW_SLOTS,
} from '../../lambda/core/lifecycle.js';
import { parseNoisePolicy } from '../../lambda/core/noise-policy.js';
import { itemSize } from '../fixtures/state-table.js';

const MINUTE = 60_000;
const START = Date.parse('2026-11-30T00:00:00Z');
const KEY = { apiId: 'a1b2c3d4e5', stage: 'prod', category: 'WAF_FILTERED' } as const;
/**
 * The largest a group item may be, whatever the traffic: a fixed set of scalars and fixed rings
 * (1,500 bytes, and the 784 the hour rings grew by to hold a weekday digest's weekend).
 */
const MAX_ITEM_BYTES = 1_500 + 784;

const batchArbitrary = fc.record({
  /** Minutes after the previous batch; negative: a late delivery of older events. */
  gap: fc.oneof(fc.integer({ min: -90, max: 10 }), fc.integer({ min: 0, max: 4 * 24 * 60 })),
  /** Spread of the batch's events, in seconds. */
  spread: fc.integer({ min: 0, max: 3_600 }),
  count: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 5_000 })),
  muted: fc.integer({ min: 0, max: 200 }),
  sources: fc.array(
    fc.record({ value: fc.string({ maxLength: 300 }), count: fc.integer({ min: 1, max: 10_000 }) }),
    {
      maxLength: 8,
    },
  ),
  deploymentId: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
});

const policyArbitrary = fc.record({
  windowMinutes: fc.integer({ min: 1, max: 60 }),
  baselineWindows: fc.integer({ min: 2, max: 48 }),
  escalationMinCount: fc.integer({ min: 1, max: 50 }),
  escalationFactor: fc.double({ min: 1.5, max: 20, noNaN: true }),
  notifyResolved: fc.boolean(),
});

describe('group state stays bounded under any traffic', () => {
  it('the item keeps its rings’ lengths and stays under MAX_ITEM_BYTES, and round-trips through its attributes', () => {
    fc.assert(
      fc.property(
        policyArbitrary,
        fc.array(batchArbitrary, { minLength: 1, maxLength: 120 }),
        (written, batches) => {
          const parsed = parseNoisePolicy(written);
          if (!parsed.ok) throw new Error(parsed.problems.join('; '));
          const settings = settingsFor(parsed.policy, KEY);
          let state: GroupState | undefined;
          let at = START;
          batches.forEach((batch, index) => {
            at += batch.gap * MINUTE;
            const tally = new TallyBuilder();
            for (let i = 0; i < batch.count; i += 1)
              tally.add(at + ((i * 7919) % (batch.spread * 1000 + 1)), false, batch.deploymentId);
            for (let i = 0; i < batch.muted; i += 1) tally.add(at + i, true);
            const decision = planGroup(
              state,
              { batchId: `b${index}`, tally: tally.build(), sources: batch.sources, now: at },
              settings,
            );
            if (decision.kind !== 'write') return;
            state = groupState(groupItem(KEY, decision.next));
            expect(state).toEqual(decision.next);
            expect(state.windows.counts).toHaveLength(settings.baselineWindows + 1);
            expect(state.windows.counts.length).toBeLessThanOrEqual(WINDOW_SLOTS);
            expect(state.hours.counts.counts).toHaveLength(HOUR_SLOTS);
            for (const ring of [state.hours.muted, state.hours.alerts])
              expect(ring.counts).toHaveLength(PERIOD_SLOTS);
            expect(state.topSources.length).toBeLessThanOrEqual(TOP_SOURCES);
            expect(state.recentBatches?.length).toBeLessThanOrEqual(Math.min(index + 1, RECENT_BATCHES));
            expect(itemSize(groupItem(KEY, state))).toBeLessThanOrEqual(MAX_ITEM_BYTES);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

const WINDOW = 5 * MINUTE;
const defaults = parseNoisePolicy({});
if (!defaults.ok) throw new Error(defaults.problems.join('; '));
const SETTINGS = settingsFor(defaults.policy, KEY);
const WINDOWS_START = Date.parse('2026-11-30T02:00:00Z');

type Events = readonly { readonly window: number; readonly second: number }[];

function decide(state: GroupState | undefined, events: Events, batchId: string, now: number): GroupDecision {
  const builder = new TallyBuilder();
  for (const { window, second } of events)
    builder.add(WINDOWS_START + window * WINDOW + second * 1000, false);
  return planGroup(state, { batchId, tally: builder.build(), sources: [], now }, SETTINGS);
}

const written = (state: GroupState | undefined, decision: GroupDecision) =>
  decision.kind === 'write' ? decision.next : state;

/** A known group: `perWindow` 403s in each window of the hour before WINDOWS_START, one batch a window. */
function known(perWindow: number): GroupState | undefined {
  let state: GroupState | undefined;
  for (let window = -12; window < 0; window += 1) {
    const events = Array.from({ length: perWindow }, (_, second) => ({ window, second }));
    state = written(state, decide(state, events, `steady${window}`, WINDOWS_START + (window + 1) * WINDOW));
  }
  return state;
}

describe('one batch over several windows decides as one batch per window would (attack finding 19)', () => {
  it('the same lifecycle, windows and usual at the end, and an alert iff a window would alert', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        // 403s per window, some windows quiet, some under the bar, some over it.
        fc.array(
          fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 15, max: 80 })),
          {
            minLength: 6,
            maxLength: 6,
          },
        ),
        fc.integer({ min: 0, max: 299 }),
        (perWindow, counts, offset) => {
          const events = counts.flatMap((count, window) =>
            Array.from({ length: count }, (_, index) => ({ window, second: (offset + index * 7) % 300 })),
          );
          fc.pre(events.length > 0);
          const base = known(perWindow);
          const now = WINDOWS_START + 6 * WINDOW;
          const whole = decide(base, events, 'whole', now);
          let state = base;
          let alerted = false;
          for (let window = 0; window <= 5; window += 1) {
            const part = events.filter((event) => event.window === window);
            if (part.length === 0) continue;
            const decision = decide(state, part, `part${window}`, now);
            alerted ||= decision.kind === 'write' && decision.alert !== undefined;
            state = written(state, decision);
          }
          if (whole.kind !== 'write') throw new Error('expected a write');
          expect(whole.alert !== undefined).toBe(alerted);
          expect(whole.next.lifecycle).toBe(state?.lifecycle);
          expect(whole.next.windows).toEqual(state?.windows);
          expect(whole.next.usual).toBe(state?.usual);
        },
      ),
      { numRuns: 300 },
    );
  });
});
