/**
 * The digest's and the sweep's bounded listing (lambda/core/fair-listing.ts) is max-min fair: no
 * account is cut while another keeps more than one group over it, and inside an account the same for
 * stages; what it keeps is min(all, limit), in any arrival order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FairListing, fairShares } from '../../lambda/core/fair-listing.js';

interface Entry {
  readonly account?: string;
  readonly apiId: string;
  readonly stage: string;
  readonly id: number;
}

const entries = fc
  .array(
    fc.record({
      account: fc.option(fc.constantFrom('111111111111', '222222222222', '333333333333', '444444444444'), {
        nil: undefined,
      }),
      apiId: fc.constantFrom('a1b2c3d4e5', 'f6g7h8i9j0'),
      stage: fc.constantFrom('prod', 'dev', 'staging'),
    }),
    { maxLength: 400 },
  )
  .map((list) => list.map((entry, id): Entry => ({ ...entry, id })));

const countBy = <T>(list: readonly T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of list) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

/** Max-min fairness of `kept` within `all` over `key`: a cut bucket holds at least every other one's count - 1. */
function expectFair<T>(all: readonly T[], kept: readonly T[], key: (item: T) => string): void {
  const total = countBy(all, key);
  const held = countBy(kept, key);
  for (const [bucket, size] of total) {
    const mine = held.get(bucket) ?? 0;
    expect(mine).toBeLessThanOrEqual(size);
    if (mine < size) for (const other of held.values()) expect(mine).toBeGreaterThanOrEqual(other - 1);
  }
}

describe('the fair listing', () => {
  it('keeps min(all, limit), fairly per account and per stage inside an account, in any order', () => {
    fc.assert(
      fc.property(entries, fc.integer({ min: 0, max: 120 }), (all, limit) => {
        const listing = new FairListing<Entry>(limit, (entry) => entry);
        for (const entry of all) listing.add(entry);
        const kept = listing.entries();
        expect(kept).toHaveLength(Math.min(all.length, limit));
        expect(new Set(kept.map((entry) => entry.id)).size).toBe(kept.length);
        expect(listing.truncated).toBe(all.length > limit);
        expectFair(all, kept, (entry) => entry.account ?? '');
        for (const account of new Set(all.map((entry) => entry.account ?? ''))) {
          const of = (list: readonly Entry[]) => list.filter((entry) => (entry.account ?? '') === account);
          expectFair(of(all), of(kept), (entry) => `${entry.apiId}/${entry.stage}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays fair per stage when an account gains the unit a level leaves over after a compaction', () => {
    // Found by the property: a compaction cut this account to 1 (its stage dev kept), the final one
    // gave it 2, and both went to dev while prod had none.
    const all: Entry[] = [
      { account: '333333333333', apiId: 'f6g7h8i9j0', stage: 'dev', id: 0 },
      { account: '333333333333', apiId: 'a1b2c3d4e5', stage: 'prod', id: 1 },
      { account: '333333333333', apiId: 'a1b2c3d4e5', stage: 'prod', id: 2 },
      { apiId: 'a1b2c3d4e5', stage: 'prod', id: 3 },
      { account: '111111111111', apiId: 'a1b2c3d4e5', stage: 'prod', id: 4 },
      { apiId: 'a1b2c3d4e5', stage: 'prod', id: 5 },
      { account: '333333333333', apiId: 'f6g7h8i9j0', stage: 'dev', id: 6 },
    ];
    const listing = new FairListing<Entry>(4, (entry) => entry);
    for (const entry of all) listing.add(entry);
    const kept = listing.entries();
    expect(kept).toHaveLength(4);
    const of = (list: readonly Entry[]) => list.filter((entry) => entry.account === '333333333333');
    expectFair(of(all), of(kept), (entry) => `${entry.apiId}/${entry.stage}`);
  });

  it("a noisy account's 50,000 groups leave a quiet account's 10 in a 20,000 listing", () => {
    const listing = new FairListing<Entry>(20_000, (entry) => entry);
    for (let id = 0; id < 50_000; id += 1)
      listing.add({ account: '111111111111', apiId: 'n0i1s2y3a4', stage: `s${id % 500}`, id });
    for (let id = 0; id < 10; id += 1)
      listing.add({ account: '222222222222', apiId: 'q1u2i3e4t5', stage: 'prod', id });
    const kept = listing.entries();
    expect(kept).toHaveLength(20_000);
    expect(kept.filter((entry) => entry.account === '222222222222')).toHaveLength(10);
  });

  it.each([
    [[5, 5, 5], 9, [3, 3, 3]],
    [[1, 10, 10], 9, [1, 4, 4]],
    [[1, 2, 3], 100, [1, 2, 3]],
    [[7, 7], 3, [2, 1]],
    [[], 5, []],
  ])('fairShares(%j, %i) is %j', (sizes, capacity, shares) => {
    expect(fairShares(sizes, capacity)).toEqual(shares);
  });
});
