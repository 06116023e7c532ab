import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupItem, groupKeyOfItem, groupState } from '../../lambda/adapters/group-item.js';
import { CATEGORIES } from '../../lambda/core/categories.js';
import {
  type GroupKey,
  type GroupState,
  HOUR_SLOTS,
  PERIOD_SLOTS,
  RECENT_BATCHES,
  type Ring,
  TOP_SOURCES,
  WINDOW_SLOTS,
} from '../../lambda/core/lifecycle.js';
import { LIFECYCLES } from '../../lambda/core/noise-policy.js';
import { GROUP_ATTRIBUTES, STATE_KEY_ATTRIBUTE } from '../../lambda/core/state-table.js';

/**
 * The compact group item (lambda/adapters/group-item.ts) holds every state the lifecycle can make,
 * whatever its figures: slots up to the 32-bit cap, any time, sources of any text, keys whose parts
 * hold the key's own separator.
 */

const count = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 200 }),
  fc.integer({ min: 0, max: 0xffff_ffff }),
);
const time = fc.integer({ min: 0, max: 4_102_444_800_000 });
const ring = (length: fc.Arbitrary<number>): fc.Arbitrary<Ring> =>
  length.chain((size) =>
    fc.record({
      end: fc.integer({ min: 0, max: 2 ** 31 }),
      counts: fc.array(count, { minLength: size, maxLength: size }),
    }),
  );
const batchId = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{32}$/),
  fc.string({ maxLength: 40 }),
  fc.constant('ABCDEF'),
);
const text = fc.string({ unit: 'grapheme', maxLength: 64 });

const pendingArbitrary = fc
  .record(
    {
      batchId,
      alertedAt: time,
      lifecycle: fc.constantFrom(...LIFECYCLES),
      reason: fc.string({ minLength: 1, maxLength: 120 }),
      suppressedSinceLast: count,
      lastAlertAt: time,
    },
    { requiredKeys: ['batchId', 'alertedAt', 'suppressedSinceLast'] },
  )
  .map((pending) => ({ ...pending, firstSeen: pending.lifecycle === 'new' }));

const stateArbitrary: fc.Arbitrary<GroupState> = fc.record(
  {
    lifecycle: fc.constantFrom(...LIFECYCLES),
    firstSeenAt: time,
    lastSeenAt: time,
    resolvedAt: time,
    lastAlertAt: time,
    sinceAlert: count,
    usual: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
    windowMs: fc.integer({ min: 60_000, max: 3_600_000 }),
    windows: ring(fc.integer({ min: 1, max: WINDOW_SLOTS })),
    hours: fc.record({
      counts: ring(fc.constant(HOUR_SLOTS)),
      muted: ring(fc.constant(PERIOD_SLOTS)),
      alerts: ring(fc.constant(PERIOD_SLOTS)),
    }),
    topSources: fc.array(fc.record({ value: text, count: fc.integer({ min: 1, max: 2 ** 40 }) }), {
      maxLength: TOP_SOURCES,
    }),
    deploymentId: fc.string({ maxLength: 32 }),
    pending: pendingArbitrary,
    recentBatches: fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), {
      minLength: 1,
      maxLength: RECENT_BATCHES,
    }),
    lastBatch: batchId,
    lastBatchAt: time,
    version: fc.integer({ min: 0, max: 2 ** 40 }),
    expiresAt: fc.integer({ min: 0, max: 4_102_444_800 }),
  },
  {
    requiredKeys: [
      'lifecycle',
      'firstSeenAt',
      'lastSeenAt',
      'sinceAlert',
      'windowMs',
      'windows',
      'hours',
      'topSources',
      'version',
      'expiresAt',
    ],
  },
);

const part = fc.oneof(
  fc.stringMatching(/^[a-z0-9]{1,10}$/),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('#', '%23', '%', 'a#b%25c'),
);
const keyArbitrary: fc.Arbitrary<GroupKey> = fc.record(
  { account: part, apiId: part, stage: part, category: fc.constantFrom(...CATEGORIES) },
  { requiredKeys: ['apiId', 'stage', 'category'] },
);

describe('the compact group item', () => {
  it('reads back every state it was written from, and the key from its partition key alone', () => {
    fc.assert(
      fc.property(keyArbitrary, stateArbitrary, (key, state) => {
        const item = groupItem(key, state);
        expect(groupState(item)).toEqual(state);
        expect(groupKeyOfItem(item)).toEqual(key);
        // The key is in the partition key only, not spelt out again.
        expect(Object.keys(item).sort()).toEqual(
          Object.keys(item)
            .filter(
              (name) =>
                name === STATE_KEY_ATTRIBUTE ||
                name === 'expiresAt' ||
                Object.values(GROUP_ATTRIBUTES).includes(name as never),
            )
            .sort(),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('reads any bytes in its packed attributes as some state, never throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 }), (rings, sources) => {
        const item: Record<string, AttributeValue> = {
          [STATE_KEY_ATTRIBUTE]: { S: 'group#api#prod#WAF_FILTERED' },
          [GROUP_ATTRIBUTES.version]: { N: '3' },
          [GROUP_ATTRIBUTES.rings]: { B: rings },
          [GROUP_ATTRIBUTES.topSources]: { B: sources },
        };
        const state = groupState(item);
        expect(state.hours.counts.counts).toHaveLength(HOUR_SLOTS);
        expect(state.hours.muted.counts).toHaveLength(PERIOD_SLOTS);
        expect(state.hours.alerts.counts).toHaveLength(PERIOD_SLOTS);
        expect(state.windows.counts.length).toBeGreaterThanOrEqual(1);
        expect(state.windows.counts.length).toBeLessThanOrEqual(WINDOW_SLOTS);
      }),
      { numRuns: 300 },
    );
  });
});
