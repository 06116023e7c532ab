import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupItem, groupState } from '../../lambda/adapters/group-item.js';
import {
  batchTag,
  type GroupDecision,
  type GroupState,
  planGroup,
  RECENT_BATCHES,
  settingsFor,
  TallyBuilder,
} from '../../lambda/core/lifecycle.js';
import { parseNoisePolicy } from '../../lambda/core/noise-policy.js';

const KEY = { apiId: 'a1b2c3d4e5', stage: 'prod', category: 'WAF_FILTERED' } as const;
const parsed = parseNoisePolicy({});
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
const SETTINGS = settingsFor(parsed.policy, KEY);
const START = Date.parse('2026-11-30T00:00:00Z');

function tally(at: number, count: number) {
  const builder = new TallyBuilder();
  for (let index = 0; index < count; index += 1) builder.add(at + index, false);
  return builder.build();
}

/** Applies `batchId` (through the item's attributes, as the table stores it); the new state, or the decision. */
function apply(state: GroupState | undefined, batchId: string, at: number, resumed = false) {
  const decision = planGroup(
    state,
    { batchId, tally: tally(at, 2), sources: [], now: at, resumed },
    SETTINGS,
  );
  return { decision, state: decision.kind === 'write' ? groupState(groupItem(KEY, decision.next)) : state };
}

/** Applies each batch a second apart, checking the ring after each write. */
function history(ids: readonly string[]): GroupState | undefined {
  let state: GroupState | undefined;
  ids.forEach((id, index) => {
    state = apply(state, id, START + (index + 1) * 1_000).state;
    expect(state?.recentBatches?.length).toBeLessThanOrEqual(RECENT_BATCHES);
    expect(state?.recentBatches?.at(-1)).toBe(batchTag(id));
  });
  return state;
}

function outcome(decision: GroupDecision): string {
  if (decision.kind !== 'write') return decision.kind;
  return decision.mayRecount ? 'recount' : 'write';
}

describe('the ring of recent writers', () => {
  it(`holds at most ${RECENT_BATCHES} tags, newest last; a resumed batch is skipped while its tag is there, counted (flagged) once it is not`, () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[0-9a-f]{32}$/), { minLength: 1, maxLength: 3 * RECENT_BATCHES }),
        fc.nat({ max: 3 * RECENT_BATCHES }),
        (ids, crashedAt) => {
          const crashed = ids[crashedAt % ids.length] as string;
          const others = new Set(ids.filter((id) => id !== crashed).map(batchTag));
          fc.pre(!others.has(batchTag(crashed))); // a 32-bit collision (about 1 in 10^7 here)
          const at = START + (ids.length + 1) * 1_000;
          const state = history(ids);
          // Writers after the crashed one (its tag is the newest `after` + 1 in the ring).
          const after = ids.length - 1 - ids.indexOf(crashed);
          // Its alert claimed and not since replaced: resumed (published again, nothing counted).
          const alerted = state?.pending?.batchId === crashed;
          const retry = apply(state, crashed, at + 600_000, true).decision;
          expect(outcome(retry)).toBe(alerted ? 'resume' : after < RECENT_BATCHES ? 'applied' : 'recount');
          // Not resumed (a fresh claim): the ring is not consulted, only `lastBatch`.
          const fresh = apply(state, crashed, at + 600_000).decision;
          expect(outcome(fresh)).toBe(alerted ? 'resume' : after === 0 ? 'applied' : 'write');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a resumed batch on a group with fewer writers than the ring holds is counted, unflagged, when it never wrote it', () => {
    let state: GroupState | undefined;
    for (let index = 0; index < RECENT_BATCHES - 1; index += 1)
      state = apply(state, `b${index}`, START + index).state;
    const retry = apply(state, 'never-wrote', START + 600_000, true).decision;
    expect(retry.kind).toBe('write');
    expect(retry.kind === 'write' && retry.mayRecount).toBeUndefined();
  });
});
