import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupAccumulator } from '../../lambda/core/group.js';
import { classifyDocuments, type Finding, groupFindings } from '../../lambda/core/index.js';
import type { EvidenceSource } from '../../lambda/core/model.js';
import { redact } from '../../lambda/core/redact.js';
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

describe('GroupAccumulator against a plain grouping', () => {
  // The accumulator's shortcuts (the last value of each counter compared before any look-up, a
  // finding's arrays skipped when they are the ones met last) against the definition:
  // redact every finding first, key groups by a joined string, count in plain maps, sort to pick.
  const shared = {
    evidence: [['gateway message: Forbidden'], ['a', 'b'], ['password=hunter2 in /x'], []],
    signals: [['waf-block'], ['a', 'b'], ['a', 'c'], ['b'], []],
    sources: [['access'], ['access', 'execution'], ['execution']],
  } as const;
  const pick = <T>(pool: readonly (readonly T[])[]) =>
    fc.oneof(
      fc.constantFrom(...pool),
      fc.constantFrom(...pool).map((items) => [...items]),
    );
  const value = (...values: string[]) => fc.option(fc.constantFrom(...values), { nil: undefined });
  const finding = fc.record({
    apiId: fc.constantFrom('a1', 'b2'),
    stage: fc.constantFrom('prod', 'dev'),
    category: fc.constantFrom('WAF_FILTERED', 'INVALID_API_KEY', 'ROUTE_NOT_FOUND' as const),
    confidence: fc.constantFrom('high', 'medium', 'low' as const),
    timestamp: fc.integer({ min: 0, max: 10 }),
    requestId: fc.constantFrom('r1', 'r2', 'r3'),
    sourceIp: value('198.51.100.1', '198.51.100.2'),
    // A caller's path may spell a route template: both are counted in one top, only one redacted.
    path: value('/x', '/y', '/x?token=s3cr3t-v4lu3-0123456789', '/x?token=0123456789-s3cr3t-v4lu3'),
    // A template spelled as a redactable path is counted as written, never redacted.
    resourcePath: value('/x', '/y', '/{proxy+}', '/x?token=s3cr3t-v4lu3-0123456789', '/x?token=[redacted]'),
    userAgent: value('curl/8', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2ln'),
    apiKeyId: value('****abcd', '****wxyz'),
    httpMethod: value('GET', 'POST'),
    reason: value('missing', 'unknown'),
    evidence: pick<string>(shared.evidence),
    signals: pick<string>(shared.signals),
    sources: pick<EvidenceSource>(shared.sources),
  });

  const topOf = (values: readonly (string | undefined)[], n: number) => {
    const counts = new Map<string, number>();
    for (const item of values) if (item !== undefined) counts.set(item, (counts.get(item) ?? 0) + 1);
    return [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([item, count]) => ({ value: item, count }));
  };

  function reference(findings: readonly Finding[], redactText: (text: string) => string) {
    const groups = new Map<string, Finding[]>();
    for (const f of findings) {
      const key = [f.apiId, f.stage, f.category].join('\u0000');
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    return [...groups.values()]
      .map((members) => {
        const [first] = members as [Finding];
        const evidence = new Set<string>();
        for (const f of members)
          for (const line of f.evidence) {
            if (evidence.size >= 5) break;
            evidence.add(redactText(line));
          }
        return {
          apiId: first.apiId,
          stage: first.stage,
          category: first.category,
          count: members.length,
          firstSeen: Math.min(...members.map((f) => f.timestamp)),
          lastSeen: Math.max(...members.map((f) => f.timestamp)),
          sampleRequestIds: members.slice(0, 5).map((f) => f.requestId),
          topSourceIps: topOf(
            members.map((f) => f.sourceIp),
            5,
          ),
          topPaths: topOf(
            members.map((f) => (f.path !== undefined ? redactText(f.path) : f.resourcePath)),
            5,
          ),
          topUserAgents: topOf(
            members.map((f) => f.userAgent && redactText(f.userAgent)),
            5,
          ),
          topApiKeyIds: topOf(
            members.map((f) => f.apiKeyId),
            5,
          ),
          httpMethods: topOf(
            members.map((f) => f.httpMethod),
            5,
          ),
          reasons: topOf(
            members.map((f) => f.reason),
            5,
          ),
          confidence: {
            high: members.filter((f) => f.confidence === 'high').length,
            medium: members.filter((f) => f.confidence === 'medium').length,
            low: members.filter((f) => f.confidence === 'low').length,
          },
          signals: [...new Set(members.flatMap((f) => f.signals))].sort(),
          evidence: [...evidence],
          sources: [...new Set(members.flatMap((f) => f.sources))].sort(),
        };
      })
      .sort(
        (a, b) =>
          b.count - a.count ||
          a.apiId.localeCompare(b.apiId) ||
          a.stage.localeCompare(b.stage) ||
          a.category.localeCompare(b.category),
      );
  }

  it.each([
    ['as the findings say', false],
    ['with redaction', true],
  ])('gives the same groups %s, in any order of any findings', (_name, redactValues) => {
    fc.assert(
      fc.property(fc.array(finding, { minLength: 1, maxLength: 40 }), (drawn) => {
        const findings = drawn.map((f) => {
          const { path, resourcePath, userAgent, apiKeyId, httpMethod, reason, sourceIp, ...rest } = f;
          // Absent, not undefined: as the classifier builds them.
          return Object.assign(
            { ...rest, status: 403 },
            ...Object.entries({ path, resourcePath, userAgent, apiKeyId, httpMethod, reason, sourceIp })
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => ({ [k]: v })),
          ) as Finding;
        });
        const accumulator = new GroupAccumulator({ redact: redactValues });
        for (const f of findings) accumulator.add(f);
        expect(accumulator.build()).toEqual(reference(findings, redactValues ? redact : (text) => text));
      }),
      { numRuns: 300 },
    );
  });
});
