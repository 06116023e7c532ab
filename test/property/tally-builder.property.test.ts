import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GroupTally, TallyBuilder } from '../../lambda/core/lifecycle.js';

const MINUTE = 60_000;
const START = Date.parse('2026-11-30T00:00:00Z');

interface Request {
  readonly timestamp: number;
  readonly muted: boolean;
  readonly deploymentId?: string;
}

/** The tally by its definition: a map look-up per request, every deployment id checked. */
function referenceTally(requests: readonly Request[]): GroupTally {
  const minutes = new Map<number, number>();
  const mutedMinutes = new Map<number, number>();
  let count = 0;
  let muted = 0;
  let firstAt: number | undefined;
  let lastAt: number | undefined;
  let deploymentAt = Number.POSITIVE_INFINITY;
  let deploymentId: string | undefined;
  for (const request of requests) {
    const minute = Math.floor(request.timestamp / MINUTE);
    const into = request.muted ? mutedMinutes : minutes;
    into.set(minute, (into.get(minute) ?? 0) + 1);
    if (request.muted) {
      muted += 1;
      continue;
    }
    count += 1;
    firstAt = Math.min(firstAt ?? request.timestamp, request.timestamp);
    lastAt = Math.max(lastAt ?? request.timestamp, request.timestamp);
    const id =
      request.deploymentId !== undefined && /^[A-Za-z0-9]{1,32}$/.test(request.deploymentId)
        ? request.deploymentId
        : undefined;
    if (id !== undefined && request.timestamp < deploymentAt) {
      deploymentAt = request.timestamp;
      deploymentId = id;
    }
  }
  return {
    minutes,
    mutedMinutes,
    count,
    muted,
    ...(firstAt === undefined ? {} : { firstAt }),
    ...(lastAt === undefined ? {} : { lastAt }),
    ...(deploymentId === undefined ? {} : { deploymentId }),
  };
}

/** Maps compared with their order: the minutes are written to the item in it. */
const plain = (tally: GroupTally) => ({
  ...tally,
  minutes: [...tally.minutes],
  mutedMinutes: [...tally.mutedMinutes],
});

// Mostly in time order (as a stream's lines are), with jumps back, muted runs and odd deployment ids.
const request = fc.record(
  {
    timestamp: fc.integer({ min: START - 3 * MINUTE, max: START + 5 * MINUTE }),
    muted: fc.boolean(),
    deploymentId: fc.constantFrom('abc123', 'Zz9', 'not-an-id', '', 'x'.repeat(33), 'dep2'),
  },
  { requiredKeys: ['timestamp', 'muted'] },
);
const requests = fc.oneof(
  fc.array(request, { maxLength: 60 }),
  fc.array(request, { maxLength: 60 }).map((list) => [...list].sort((a, b) => a.timestamp - b.timestamp)),
);

describe('TallyBuilder', () => {
  it('tallies as its definition does, in the same minute order, whatever the order of requests', () => {
    fc.assert(
      fc.property(requests, (list) => {
        const builder = new TallyBuilder();
        for (const r of list) builder.add(r.timestamp, r.muted, r.deploymentId);
        expect(plain(builder.build())).toEqual(plain(referenceTally(list)));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same tally when built before the last requests and again after them', () => {
    fc.assert(
      fc.property(requests, fc.nat(), (list, cut) => {
        const at = list.length === 0 ? 0 : cut % list.length;
        const builder = new TallyBuilder();
        for (const r of list.slice(0, at)) builder.add(r.timestamp, r.muted, r.deploymentId);
        expect(plain(builder.build())).toEqual(plain(referenceTally(list.slice(0, at))));
        for (const r of list.slice(at)) builder.add(r.timestamp, r.muted, r.deploymentId);
        expect(plain(builder.build())).toEqual(plain(referenceTally(list)));
      }),
      { numRuns: 200 },
    );
  });
});
