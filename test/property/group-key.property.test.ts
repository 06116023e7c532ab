/**
 * The state table's group key (`groupItemKey`): one item per (account, API, stage, category), so no
 * line can reach another group's item. A table of forging attempts, and a property over ids drawn from
 * the characters a forgery needs (`#`, `%`, the digits of `%23`), with and without an account.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchIdOf } from '../../lambda/core/alerts.js';
import { CATEGORIES } from '../../lambda/core/categories.js';
import { API_ID_PATTERN, isGatewayStage, STAGE_NAME_PATTERN } from '../../lambda/core/gateway-ids.js';
import { type GroupKey, groupItemKey } from '../../lambda/core/lifecycle.js';
import { digestThreadIdOf, threadIdOf } from '../../lambda/core/render/alert-view.js';

const A = '111111111111';
const B = '222222222222';
const same = (a: GroupKey, b: GroupKey) =>
  a.account === b.account && a.apiId === b.apiId && a.stage === b.stage && a.category === b.category;

const part = fc.string({ unit: fc.constantFrom('#', '%', '2', '3', 'a', 'B', '/', '\u00e9'), maxLength: 8 });
const key: fc.Arbitrary<GroupKey> = fc
  .record({
    account: fc.option(fc.oneof(fc.constantFrom(A, B), part), { nil: undefined }),
    apiId: part,
    stage: part,
    category: fc.constantFrom(...CATEGORIES),
  })
  .map(({ account, ...rest }) => (account === undefined ? rest : { account, ...rest }));

describe('groupItemKey', () => {
  it.each<[string, GroupKey, GroupKey]>([
    [
      'a # moved from the stage into the API id',
      { apiId: 'a#b', stage: 'c', category: 'WAF_FILTERED' },
      { apiId: 'a', stage: 'b#c', category: 'WAF_FILTERED' },
    ],
    [
      'an account spelled into the API id',
      { apiId: `${B}#v1c2t3i4m5`, stage: 'prod', category: 'WAF_FILTERED' },
      { account: B, apiId: 'v1c2t3i4m5', stage: 'prod', category: 'WAF_FILTERED' },
    ],
    [
      "an account spelled into another account's API id",
      { account: A, apiId: `${B}#v1c2t3i4m5`, stage: 'prod', category: 'WAF_FILTERED' },
      { account: A, apiId: B, stage: 'v1c2t3i4m5#prod', category: 'WAF_FILTERED' },
    ],
    [
      'a category spelled into the stage',
      { apiId: 'v1c2t3i4m5', stage: 'prod#WAF_FILTERED', category: 'UNCLASSIFIED' },
      { apiId: 'v1c2t3i4m5', stage: 'prod', category: 'UNCLASSIFIED' },
    ],
    [
      'a percent-encoded #',
      { apiId: 'a%23b', stage: 'c', category: 'WAF_FILTERED' },
      { apiId: 'a#b', stage: 'c', category: 'WAF_FILTERED' },
    ],
    [
      'the same API and stage in two accounts',
      { account: A, apiId: 'v1c2t3i4m5', stage: 'prod', category: 'WAF_FILTERED' },
      { account: B, apiId: 'v1c2t3i4m5', stage: 'prod', category: 'WAF_FILTERED' },
    ],
    [
      'an empty account and none',
      { account: '', apiId: 'v1c2t3i4m5', stage: 'prod', category: 'WAF_FILTERED' },
      { apiId: 'v1c2t3i4m5', stage: 'prod', category: 'WAF_FILTERED' },
    ],
  ])('keeps apart %s', (_label, a, b) => {
    expect(groupItemKey(a)).not.toBe(groupItemKey(b));
    expect(threadIdOf(a)).not.toBe(threadIdOf(b));
  });

  it("gives a stage's digests one thread per account, named by a hash, apart from its alerts' threads", () => {
    const stage = { apiId: 'v1c2t3i4m5', stage: 'prod' };
    expect(digestThreadIdOf(stage)).toBe(digestThreadIdOf({ ...stage }));
    expect(digestThreadIdOf(stage)).toMatch(/^apigw403-digest-[0-9a-f]{32}$/);
    expect(digestThreadIdOf({ ...stage, account: A })).not.toBe(digestThreadIdOf({ ...stage, account: B }));
    expect(digestThreadIdOf({ ...stage, account: A })).not.toBe(digestThreadIdOf(stage));
    expect(digestThreadIdOf(stage)).not.toBe(digestThreadIdOf({ apiId: 'v1c2t3i4m5', stage: 'test' }));
    expect(digestThreadIdOf(stage)).not.toBe(threadIdOf({ ...stage, category: 'WAF_FILTERED' }));
  });

  it('never gives two groups one key (ids drawn from #, % and the digits of %23)', () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        fc.pre(!same(a, b));
        expect(groupItemKey(a)).not.toBe(groupItemKey(b));
      }),
      { numRuns: 5000 },
    );
  });

  it("keeps a single-account monitor's keys and thread ids as they were (no migration)", () => {
    const apiId = fc.stringMatching(API_ID_PATTERN);
    const stage = fc.stringMatching(STAGE_NAME_PATTERN);
    fc.assert(
      fc.property(apiId, stage, fc.constantFrom(...CATEGORIES), (api, name, category) => {
        expect(isGatewayStage(api, name)).toBe(true);
        expect(groupItemKey({ apiId: api, stage: name, category })).toBe(`group#${api}#${name}#${category}`);
        expect(groupItemKey({ account: A, apiId: api, stage: name, category })).toBe(
          `group#${A}#${api}#${name}#${category}`,
        );
      }),
    );
    expect(threadIdOf({ apiId: 'a1b2c3d4e5', stage: 'prod', category: 'WAF_FILTERED' })).toBe(
      'apigw403-WAF_FILTERED-72b5b7edb6d16c6cdf0c93d4f9268bd8',
    );
  });

  it("scopes a batch id by its account: one account's redelivered events never stand for another's", () => {
    const ids = ['3195310660696698337880902507980421114328961542429822156'];
    expect(batchIdOf(ids)).toBe(batchIdOf([...ids]));
    expect(batchIdOf(ids, A)).not.toBe(batchIdOf(ids, B));
    expect(batchIdOf(ids, A)).not.toBe(batchIdOf(ids));
  });
});

describe('isGatewayStage (what the central monitor accepts from a line)', () => {
  it.each([
    ['v1c2t3i4m5', 'prod', true],
    ['v1c2t3i4m5', '$default', true],
    // A line that logs no API id: an application's JSON line in a central monitor's account-wide feed.
    ['unknown', 'unknown', false],
    ['unknown', 'prod', false],
    ['v1c2t3i4m5', 's'.repeat(128), true],
    ['v1c2t3i4m5', 's'.repeat(129), false],
    ['v1c2t3i4m5#x', 'prod', false],
    ['v1c2t3i4m5', 'prod#WAF_FILTERED', false],
    ['v1c2t3i4m5', 'prod/live', false],
    ['V1C2T3I4M5', 'prod', false],
    ['v1c2t3i4m', 'prod', false],
    ['v1c2t3i4m\u0455', 'prod', false],
    ['v1c2t3i4m5', 'pr\u043ed', false],
    ['v1c2t3i4m5', '', false],
    ['', 'prod', false],
    ['v1c2t3i4m5', 'prod\n', false],
  ])('%j / %j: %s', (apiId, stage, expected) => {
    expect(isGatewayStage(apiId, stage)).toBe(expected);
  });
});
