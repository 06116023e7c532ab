import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPayloadSet, PAYLOAD_MIXES } from '../../bench/payloads.js';
import {
  type ClassifyOptions,
  classifyDocuments,
  classifyIntoGroups,
  decodeSubscriptionEvent,
  groupFindings,
  type LogsDocument,
} from '../../lambda/core/index.js';
import {
  ACCESS_GROUP,
  accessLine,
  documentOf,
  E28,
  E29,
  E40_E46,
  EXECUTION_GROUP,
  MESSAGES,
} from '../fixtures/evidence.js';

/** What the monitor did before: a finding per request, redacted, then grouped. */
const reference = (documents: readonly LogsDocument[], resolveStage?: ClassifyOptions['resolveStage']) =>
  groupFindings(classifyDocuments(documents, { resolveStage }).findings);

describe('classifyIntoGroups', () => {
  for (const mix of PAYLOAD_MIXES) {
    it(`gives the same groups as groupFindings(classifyDocuments()) on the ${mix} benchmark payloads`, () => {
      const set = buildPayloadSet(8, mix, 7);
      const resolveStage = (group: string) => set.stages.get(group);
      const documents = set.payloads.map((payload) => {
        const decoded = decodeSubscriptionEvent(payload.event);
        if (decoded.kind !== 'data') throw new Error('payload did not decode');
        return decoded.document;
      });
      for (const document of documents) {
        const grouped = classifyIntoGroups([document], { resolveStage });
        expect(grouped.groups).toEqual(reference([document], resolveStage));
        expect(grouped.findings).toBe(classifyDocuments([document], { resolveStage }).findings.length);
      }
      expect(classifyIntoGroups(documents, { resolveStage }).groups).toEqual(
        reference(documents, resolveStage),
      );
    });
  }

  it('joins execution lines and keeps unjoined ones as the finding-per-request path does', () => {
    const documents = [
      documentOf(EXECUTION_GROUP, [
        E29,
        E28,
        ...E40_E46.map((line) => `(412e45a2-9321-4077-8b0b-f044a4364918) ${line}`),
      ]),
      documentOf(ACCESS_GROUP, [
        accessLine({ requestId: '412e45a2-9321-4077-8b0b-f044a4364918' }),
        accessLine(),
      ]),
    ];
    expect(classifyIntoGroups(documents).groups).toEqual(reference(documents));
  });

  // Secrets in what callers control (path, user agent) and values that differ only in the secret,
  // so that two raw values redact to one: the counts must merge exactly as before.
  const secret = fc.constantFrom(
    'AKIAIOSFODNN7EXAMPLE',
    'AKIAI44QH8DHBEXAMPLE',
    'api_key=zzzz9999yyyy',
    'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
    'api_key=abcd1234efgh',
    'x-amz-security-token=FQoGZXIvYXdzEXAMPLE',
  );
  const value = fc.oneof(
    fc.constantFrom('/prod/orders', 'curl/8.10.1', 'python-requests/2.32'),
    fc.tuple(fc.constantFrom('/prod/orders?', 'agent ', '/x/'), secret).map(([a, b]) => `${a}${b}`),
    fc.string({ maxLength: 12 }),
  );
  const request = fc.record({
    path: value,
    userAgent: value,
    message: fc.constantFrom(MESSAGES.forbidden, MESSAGES.explicitDeny, 'Missing Authentication Token'),
    responseType: fc.constantFrom('WAF_FILTERED', 'INVALID_API_KEY', 'ACCESS_DENIED', '-'),
    status: fc.constantFrom('403', '401', '200'),
  });

  it('redacts what the groups keep, with the same counts as redacting every finding first', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 40 }), (requests) => {
        const lines = requests.map((r, index) =>
          accessLine({
            requestId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
            status: r.status,
            path: r.path,
            identity: { sourceIp: '198.51.100.7', userAgent: r.userAgent },
            error: { message: r.message, responseType: r.responseType },
          }),
        );
        const document = documentOf(ACCESS_GROUP, lines);
        const grouped = classifyIntoGroups([document]).groups;
        expect(grouped).toEqual(reference([document]));
        const text = JSON.stringify(grouped);
        for (const leaked of [
          'NN7EXAMPLE',
          'QH8DHBEXAMPLE',
          'c2lnbmF0dXJl',
          'abcd1234efgh',
          'zzzz9999',
          'ZXIvYXdzEXAMPLE',
        ])
          expect(text).not.toContain(leaked);
      }),
      { numRuns: 150 },
    );
  });
});

describe('classifyIntoGroups with keep', () => {
  const lines = [
    accessLine({ requestId: 'r-1', apiId: 'a1b2c3d4e5', stage: 'prod' }),
    accessLine({ requestId: 'r-2', apiId: 'zzzzzzzzzz', stage: 'prod' }),
  ];
  const document = documentOf(ACCESS_GROUP, lines);

  it('groups what keep returns and counts what it drops', () => {
    const grouped = classifyIntoGroups([document], {
      keep: (finding) => (finding.apiId === 'a1b2c3d4e5' ? { ...finding, stage: 'renamed' } : undefined),
    });
    expect(grouped.findings).toBe(1);
    expect(grouped.dropped).toBe(1);
    expect(grouped.groups.map((group) => [group.apiId, group.stage, group.count])).toEqual([
      ['a1b2c3d4e5', 'renamed', 1],
    ]);
  });
});
