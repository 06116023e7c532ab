import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repairDeep, wellFormed, wellFormedDeep } from '../../lambda/core/well-formed.js';

const lone = /\p{Cs}/u;

describe('wellFormed', () => {
  it.each([
    ['a lone high surrogate', 'a\ud800b', 'a\ufffdb'],
    ['a lone low surrogate at the end', 'ab\udfff', 'ab\ufffd'],
    ['a reversed pair', '\udc00\ud800', '\ufffd\ufffd'],
    ['a pair (an emoji) is kept', 'ua \ud83d\ude00', 'ua \ud83d\ude00'],
    ['plain text is returned as is', 'curl/8.10.1', 'curl/8.10.1'],
  ])('%s', (_name, input, expected) => {
    expect(wellFormed(input)).toBe(expected);
  });

  it('every output encodes as a URI component, and well-formed input is unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const output = wellFormed(text);
        expect(() => encodeURIComponent(output)).not.toThrow();
        expect(output).not.toMatch(lone);
        expect(output.length).toBe(text.length);
        if (!lone.test(text)) expect(output).toBe(text);
      }),
    );
  });

  it('wellFormedDeep repairs nested strings and keeps untouched objects by identity', () => {
    const clean = { a: 'x', b: ['y', { c: 'z' }], n: 1 };
    expect(wellFormedDeep(clean)).toBe(clean);
    const dirty = { a: 'x', b: ['y', { c: 'z\ud800' }], n: 1 };
    expect(wellFormedDeep(dirty)).toEqual({ a: 'x', b: ['y', { c: 'z\ufffd' }], n: 1 });
    expect(dirty.b[1]).toEqual({ c: 'z\ud800' });
  });
});

describe('wellFormedDeep against the copying walk', () => {
  // Findings' shapes: nested records and arrays of strings, numbers and literals.
  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(fc.string({ unit: 'binary' }), fc.integer(), fc.boolean(), fc.constant(null)),
    node: fc.oneof(
      { depthSize: 'small' },
      tie('leaf'),
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
    ),
  })).node;

  it('gives what repairDeep gives, and the value itself whenever repairDeep changes nothing', () => {
    fc.assert(
      fc.property(value, (input) => {
        const expected = repairDeep(input);
        const output = wellFormedDeep(input);
        expect(output).toEqual(expected);
        if (expected === input) expect(output).toBe(input);
      }),
    );
  });
});
