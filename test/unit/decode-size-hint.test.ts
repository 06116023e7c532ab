import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeSubscriptionEvent } from '../../lambda/core/index.js';
import { ACCESS_GROUP, accessLine, documentOf } from '../fixtures/evidence.js';

/** A subscription event whose gzip trailer (ISIZE, the size decode sizes its buffer by) says `isize`. */
function eventWithTrailer(json: string, isize?: number): { awslogs: { data: string } } {
  const gzip = gzipSync(Buffer.from(json, 'utf8'));
  if (isize !== undefined) gzip.writeUInt32LE(isize, gzip.length - 4);
  return { awslogs: { data: gzip.toString('base64') } };
}

describe('decode with the gzip size trailer as a hint', () => {
  const document = documentOf(
    ACCESS_GROUP,
    Array.from({ length: 300 }, (_, index) => accessLine({ path: `/prod/items/${index}` })),
  );
  const json = JSON.stringify(document);

  it('decodes the whole document when the trailer is right', () => {
    const decoded = decodeSubscriptionEvent(eventWithTrailer(json));
    expect(decoded.kind === 'data' && decoded.document.logEvents).toEqual(document.logEvents);
  });

  it.each([
    ['too small', 10],
    ['too large', 0xffffffff],
  ])(
    'does not trust a trailer that is %s: zlib reports the mismatch, the cap still holds',
    (_label, isize) => {
      // zlib checks ISIZE itself, so a wrong trailer is a corrupt stream, not a wrong buffer size.
      const decoded = decodeSubscriptionEvent(eventWithTrailer(json, isize));
      expect(decoded.kind).toBe('invalid');
    },
  );

  it('still refuses to inflate past the cap', () => {
    const decoded = decodeSubscriptionEvent(eventWithTrailer(json), { maxDecompressedBytes: 1024 });
    expect(decoded).toEqual({ kind: 'invalid', reason: 'decompressed size exceeds the 1024-byte cap' });
  });
});
