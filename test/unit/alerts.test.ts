import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BatchIdBuilder,
  batchClaimOf,
  batchIdOf,
  encodeProgress,
  eventsByRequestId,
  finishedGroups,
  groupsDigest,
  orderGroups,
} from '../../lambda/core/alerts.js';

const MINUTE = 60_000;
const NOW = 1_784_692_374_821;
const LIVE = Math.ceil((NOW + 30 * 24 * 60 * MINUTE) / 1000);

describe('batches', () => {
  it('identifies a batch by its sorted event ids', () => {
    expect(batchIdOf(['2', '1'])).toBe(batchIdOf(['1', '2']));
    expect(batchIdOf(['1'])).not.toBe(batchIdOf(['1', '2']));
  });

  // A batch id is kept in the state table across redeliveries and deployments: it must not change.
  const byUpdates = (ids: readonly string[]): string => {
    const hash = createHash('sha256');
    for (const id of [...ids].sort()) hash.update(id).update('\n');
    return hash.digest('hex').slice(0, 32);
  };

  it('is the sha-256 of the sorted ids, each followed by a newline', () => {
    expect(batchIdOf(['2', '1'])).toBe(createHash('sha256').update('1\n2\n').digest('hex').slice(0, 32));
    expect(batchIdOf([])).toBe(createHash('sha256').digest('hex').slice(0, 32));
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 20 }), fc.boolean(), (ids, sort) => {
        // Ids in order skip the sort: drawn both ways.
        const given = sort ? [...ids].sort() : ids;
        expect(batchIdOf(given)).toBe(byUpdates(given));
      }),
    );
  });

  // Hashed in chunks of 256 as the events are walked: batches across chunk edges, in order or not
  // (out of order only after some chunks are hashed too), with and without an account.
  it('is the same hashed a chunk at a time, for batches of any length', () => {
    const account = '123456789012';
    const scoped = (ids: readonly string[]): string => {
      const hash = createHash('sha256').update(`account ${account}\n`);
      for (const id of [...ids].sort()) hash.update(id).update('\n');
      return hash.digest('hex').slice(0, 32);
    };
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[0-9]{1,6}$/), { maxLength: 900 }),
        fc.boolean(),
        fc.nat(),
        (ids, sort, swapAt) => {
          const given = sort ? [...ids].sort() : ids;
          const shuffled = [...given];
          if (shuffled.length > 1) shuffled.push(shuffled.splice(swapAt % shuffled.length, 1)[0] as string);
          for (const batch of [given, shuffled]) {
            const builder = new BatchIdBuilder();
            for (const id of batch) builder.add(id);
            expect(builder.digest()).toBe(byUpdates(batch));
            expect(batchIdOf(batch, account)).toBe(scoped(batch));
          }
        },
      ),
      { numRuns: 200 },
    );
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
