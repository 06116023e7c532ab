/**
 * The hour rings grew (49 → 147 slots of 403 counts, 25 → 74 of muted counts and alerts) so that a
 * weekday digest's Monday run counts the weekend. A group item written before keeps its hours when
 * read: its shorter rings end at the same newest hour, the older slots empty; a longer one (read by
 * an older function during a rollback) keeps its newest slots.
 */
import { describe, expect, it } from 'vitest';
import { groupState } from '../../lambda/adapters/group-item.js';
import {
  addToSlot,
  emptyRing,
  type GroupState,
  HOUR_MS,
  HOUR_SLOTS,
  PERIOD_SLOTS,
  type Ring,
  sumBetween,
} from '../../lambda/core/lifecycle.js';
import { LEGACY_ITEM } from '../fixtures/legacy-group-item.js';

const NOW = Date.parse('2026-11-30T08:00:00Z');
const HOUR = Math.floor(NOW / HOUR_MS);

/** A ring of `size` slots with `count` 403s in each of the `hours` before the current hour. */
const filled = (size: number, hours: number, count: number): Ring => {
  let ring = emptyRing(size, HOUR);
  for (let back = 1; back <= hours; back += 1) ring = addToSlot(ring, HOUR - back, count + back);
  return ring;
};

const stateWith = (counts: Ring, muted: Ring, alerts: Ring): GroupState => ({
  lifecycle: 'ongoing',
  firstSeenAt: NOW - 48 * HOUR_MS,
  lastSeenAt: NOW,
  sinceAlert: 0,
  windowMs: 300_000,
  windows: emptyRing(13),
  hours: { counts, muted, alerts },
  topSources: [],
  version: 0,
  expiresAt: Math.floor(NOW / 1000) + 3600,
});

/** The item as a function with rings of `countSlots` and `periodSlots` wrote it. */
function itemWithRings(countSlots: number, periodSlots: number) {
  const state = stateWith(
    filled(countSlots, countSlots - 1, 100),
    filled(periodSlots, periodSlots - 1, 10),
    filled(periodSlots, periodSlots - 1, 1),
  );
  // As ringBytes writes a ring: big-endian 32-bit counters, oldest first.
  const bigEndian = (ring: Ring) => {
    const out = new Uint8Array(ring.counts.length * 4);
    const view = new DataView(out.buffer);
    for (const [index, count] of ring.counts.entries()) view.setUint32(index * 4, count);
    return { B: out };
  };
  return {
    state,
    // The layout those functions wrote (lambda/adapters/group-item.ts LEGACY), with these rings.
    item: {
      ...LEGACY_ITEM,
      hourCounts: bigEndian(state.hours.counts),
      hourCountsEnd: { N: String(state.hours.counts.end) },
      hourMuted: bigEndian(state.hours.muted),
      hourMutedEnd: { N: String(state.hours.muted.end) },
      hourAlerts: bigEndian(state.hours.alerts),
      hourAlertsEnd: { N: String(state.hours.alerts.end) },
    },
  };
}

const sums = (state: GroupState, hours: number) => {
  const from = NOW - hours * HOUR_MS;
  return [
    sumBetween(state.hours.counts, HOUR_MS, from, NOW),
    sumBetween(state.hours.muted, HOUR_MS, from, NOW),
    sumBetween(state.hours.alerts, HOUR_MS, from, NOW),
  ];
};

describe('a group item written with other ring sizes', () => {
  it('keeps the hours of the 49- and 25-slot rings an older function wrote, the newest last', () => {
    const { state, item } = itemWithRings(49, 25);
    const read = groupState(item);
    expect(read.hours.counts.counts).toHaveLength(HOUR_SLOTS);
    expect(read.hours.muted.counts).toHaveLength(PERIOD_SLOTS);
    expect(sums(read, 24)).toEqual(sums(state, 24));
    expect(sums(read, 48)).toEqual([sums(state, 48)[0], sums(state, 24)[1], sums(state, 24)[2]]);
    expect(sums(read, 24)[0]).toBeGreaterThan(0);
  });

  it('keeps the newest slots of longer rings', () => {
    const { state, item } = itemWithRings(HOUR_SLOTS + 20, PERIOD_SLOTS + 20);
    const read = groupState(item);
    expect(read.hours.counts.counts).toHaveLength(HOUR_SLOTS);
    expect(sums(read, PERIOD_SLOTS - 1)).toEqual(sums(state, PERIOD_SLOTS - 1));
  });
});
