import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PendingAlert } from '../../lambda/core/alerts.js';
import { CATEGORIES, type FindingGroup } from '../../lambda/core/index.js';
import { buildAlertView, renderPublish, renderSlackMessage } from '../../lambda/core/render/index.js';

const SECRETS = [
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2VjcmV0LXNpZ25hdHVyZQ',
];
const planted = fc.oneof(
  fc.constantFrom(...SECRETS.map((secret) => `Authorization: Bearer ${secret}`)),
  fc.constantFrom('AKIAIOSFODNN7EXAMPLE', `aws_secret_access_key=${SECRETS[1]}`, SECRETS[2] ?? ''),
  fc.constantFrom('<!channel>', '<!here>', '<https://evil.example|click>', '<@U123>', '<script>'),
);
/** Log text: random text with planted secrets and Slack control sequences. */
const logText = fc
  .tuple(fc.string({ maxLength: 30 }), planted, fc.string({ maxLength: 30 }))
  .map(([before, secret, after]) => `${before} ${secret} ${after}`);
const tops = fc.array(fc.record({ value: logText, count: fc.nat(1000) }), { maxLength: 6 });

const groupArb: fc.Arbitrary<FindingGroup> = fc.record({
  apiId: fc.constant('a1b2c3d4e5'),
  stage: fc.constant('prod'),
  category: fc.constantFrom(...CATEGORIES),
  count: fc.integer({ min: 1, max: 10_000 }),
  firstSeen: fc.constant(1_784_692_374_821),
  lastSeen: fc.constant(1_784_692_434_821),
  sampleRequestIds: fc.array(logText, { maxLength: 5 }),
  topSourceIps: tops,
  topPaths: tops,
  topUserAgents: tops,
  topApiKeyIds: tops,
  httpMethods: tops,
  reasons: tops,
  confidence: fc.constant({ high: 1, medium: 0, low: 0 }),
  signals: fc.constant([]),
  evidence: fc.array(logText, { maxLength: 6 }),
  sources: fc.constant(['access' as const]),
});

const alert: PendingAlert = { batchId: 'b', alertedAt: 0, suppressedSinceLast: 0, firstSeen: true };

describe('rendered alerts', () => {
  it('never carry a planted secret or a raw < > from log text', () => {
    fc.assert(
      fc.property(groupArb, (group) => {
        const view = buildAlertView(group, { region: 'us-east-1', logGroups: ['/g'], alert });
        const rendered = renderPublish(view);
        const message = JSON.parse(rendered.message) as Record<string, string>;
        const outputs = [
          rendered.subject,
          message.email ?? '',
          message.https ?? '',
          message.default ?? '',
          JSON.stringify(renderSlackMessage(view)),
        ];
        for (const output of outputs) {
          for (const secret of SECRETS) expect(output).not.toContain(secret);
          for (const markup of ['<!channel>', '<!here>', '<https://evil', '<@U123>', '<script>'])
            expect(output).not.toContain(markup);
        }
      }),
      { numRuns: 300 },
    );
  });
});
