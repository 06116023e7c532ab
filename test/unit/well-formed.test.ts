import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../lambda/core/model.js';
import { repairDeep, wellFormed, wellFormedDeep, wellFormedFinding } from '../../lambda/core/well-formed.js';

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

describe('wellFormedFinding', () => {
  // Every key of a finding (Required: a key added to Finding must be added here too).
  const full: Required<Finding> = {
    requestId: 'r-1',
    extendedRequestId: 'Mc7UVioPPHcEKPA=',
    category: 'INVALID_API_KEY',
    confidence: 'medium',
    reason: 'missing',
    candidates: [
      { category: 'INVALID_API_KEY', why: 'a missing key' },
      { category: 'WAF_FILTERED', why: 'a WAF block' },
    ],
    status: 403,
    apiId: 'a1b2c3d4e5',
    stage: 'prod',
    sources: ['access', 'execution'],
    timestamp: 1_764_460_800_000,
    httpMethod: 'GET',
    resourcePath: '/orders/{id}',
    path: '/prod/orders/7',
    domainName: 'api.example.com',
    sourceIp: '198.51.100.7',
    userAgent: 'curl/8.10.1',
    apiKeyId: '****abcd',
    deploymentId: 'abc123',
    signals: ['reason-missing', 'custom-domain'],
    evidence: ['gateway message: Forbidden'],
    missingFields: ['$context.error.responseType'],
  };

  /** The paths of every string in `value`. */
  function textPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
    if (typeof value === 'string') return [path];
    if (typeof value !== 'object' || value === null) return [];
    return Object.entries(value).flatMap(([key, item]) =>
      textPaths(item, [...path, Array.isArray(value) ? Number(key) : key]),
    );
  }

  function withText(value: unknown, path: readonly (string | number)[], text: string): unknown {
    if (path.length === 0) return text;
    const [head, ...rest] = path as [string | number, ...(string | number)[]];
    const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
      string | number,
      unknown
    >;
    copy[head] = withText((value as Record<string | number, unknown>)[head], rest, text);
    return copy;
  }

  it('keeps a well-formed finding as it is (the same object)', () => {
    expect(wellFormedFinding(full)).toBe(full);
  });

  it.each(textPaths(full).map((path) => [path.join('.'), path] as const))(
    'repairs a lone surrogate in %s as repairDeep does',
    (_name, path) => {
      const dirty = withText(full, path, 'x\ud800y') as Finding;
      const repaired = wellFormedFinding(dirty);
      expect(repaired).toEqual(repairDeep(dirty));
      expect(JSON.stringify(repaired)).not.toMatch(/\\ud800/);
    },
  );
});
