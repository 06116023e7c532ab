import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyDocuments, type Finding, groupFindings } from '../../lambda/core/index.js';
import { ACCESS_GROUP, accessLine, documentOf, MESSAGES } from '../fixtures/evidence.js';

const line = (index: number, overrides: Record<string, unknown>) =>
  accessLine({
    requestId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    identity: {
      sourceIp: `198.51.100.${index % 3}`,
      userAgent: index % 2 ? 'curl/8.10.1' : 'python-requests/2.32',
      apiKeyId: `key-${index % 2}-abcdef`,
    },
    path: `/prod/items/${index % 4}`,
    ...overrides,
  });

describe('groupFindings', () => {
  const waf = { error: { message: MESSAGES.forbidden, responseType: 'WAF_FILTERED' } };
  const apiKey = { error: { message: MESSAGES.forbidden, responseType: 'INVALID_API_KEY' } };
  const lines = [
    ...Array.from({ length: 12 }, (_, index) => line(index, waf)),
    ...Array.from({ length: 3 }, (_, index) => line(100 + index, apiKey)),
    ...Array.from({ length: 2 }, (_, index) => line(200 + index, { ...waf, stage: 'dev' })),
  ];
  const { findings } = classifyDocuments([documentOf(ACCESS_GROUP, lines, 1_000)]);
  const groups = groupFindings(findings);

  it('makes one group per (API, stage, category), largest first', () => {
    expect(groups.map((group) => [group.apiId, group.stage, group.category, group.count])).toEqual([
      ['a1b2c3d4e5', 'prod', 'WAF_FILTERED', 12],
      ['a1b2c3d4e5', 'prod', 'INVALID_API_KEY', 3],
      ['a1b2c3d4e5', 'dev', 'WAF_FILTERED', 2],
    ]);
  });

  it('keeps the window, five samples and the top values with counts', () => {
    const [top] = groups;
    expect(top?.firstSeen).toBe(1_000);
    expect(top?.lastSeen).toBe(1_011);
    expect(top?.sampleRequestIds).toHaveLength(5);
    expect(top?.sampleRequestIds[0]).toBe('00000000-0000-4000-8000-000000000000');
    expect(top?.topSourceIps).toEqual([
      { value: '198.51.100.0', count: 4 },
      { value: '198.51.100.1', count: 4 },
      { value: '198.51.100.2', count: 4 },
    ]);
    expect(top?.topUserAgents).toEqual([
      { value: 'curl/8.10.1', count: 6 },
      { value: 'python-requests/2.32', count: 6 },
    ]);
    expect(top?.topPaths.map((path) => path.count)).toEqual([3, 3, 3, 3]);
    expect(top?.confidence).toEqual({ high: 12, medium: 0, low: 0 });
  });

  it('shows API key ids masked only', () => {
    const keys = groups[1]?.topApiKeyIds.map((key) => key.value);
    expect(keys).toEqual(['****cdef']);
    expect(JSON.stringify(groups)).not.toContain('key-0-abcdef');
    expect(groups[1]?.reasons).toEqual([{ value: 'unknown', count: 3 }]);
  });

  it('honours smaller sample and top sizes', () => {
    const [top] = groupFindings(findings, { sampleSize: 2, topN: 1 });
    expect(top?.sampleRequestIds).toHaveLength(2);
    expect(top?.topSourceIps).toHaveLength(1);
  });
});

describe('the top values of a group', () => {
  // The one-pass selection against the definition: sort every distinct value by count (largest
  // first), then by value, and take the first n.
  const finding = (sourceIp: string): Finding => ({
    requestId: 'r',
    category: 'WAF_FILTERED',
    confidence: 'high',
    status: 403,
    apiId: 'a1b2c3d4e5',
    stage: 'prod',
    sources: ['access'],
    timestamp: 1,
    sourceIp,
    signals: [],
    evidence: [],
  });

  it('are the n most frequent, ties in value order, for any n', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'B', 'é', '10', '9'), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 0, max: 12 }),
        (ips, topN) => {
          const counts = new Map<string, number>();
          for (const ip of ips) counts.set(ip, (counts.get(ip) ?? 0) + 1);
          const expected = [...counts]
            .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
            .slice(0, topN)
            .map(([value, count]) => ({ value, count }));
          const [group] = groupFindings(ips.map(finding), { topN });
          expect(group?.topSourceIps).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
