/**
 * `redactName` and the alert view's `identifier`: a resource name people give (a stage, an API id, a
 * CloudFormation physical name) is kept as spelled, so the `stage` SNS attribute a route matches and
 * the commands an alert prints name the real stage; a name that is a credential by its shape still goes,
 * checked with the independent oracle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactName } from '../../lambda/core/index.js';
import { identifier } from '../../lambda/core/render/alert-view.js';
import { chars } from '../fixtures/random-text.js';
import { oracleFindings } from '../fixtures/secret-oracle.js';

/** Names the entropy rule took for tokens (attack findings 03, 05, 06). */
const NAMES = [
  'prod',
  '$default',
  'a1b2c3d4e5',
  'feat-AddUserOAuth2Login',
  'SomeLongStageNameWithMixedCase2026',
  'Apigw403Monitor-FilterAccess-1X2Y3Z',
  'Apigw403Monitor-MonitorFunctionAF678A08-AbCdEfGh1234',
  'DatadogStack-ForwarderSubscriptionFilter3F5A2B1C-1A2B3C4D5E6F7',
  'LogsStack-SubscriptionFilter-9ZK3D2LWQ0PX',
];

describe('a resource name is kept as spelled', () => {
  it.each(NAMES)('%s', (name) => {
    expect(redactName(name)).toBe(name);
    expect(identifier(name)).toBe(name);
  });

  it('the reason for redactName: redact takes these names for tokens', () => {
    expect(NAMES.filter((name) => redact(name) !== name).length).toBeGreaterThan(0);
  });
});

describe('a name that is a credential by its shape still goes', () => {
  it.each([
    ['an access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['an access key id glued to a word', 'stage_ASIAIOSFODNN7EXAMPLE'],
    ['a 40-character secret key', 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYab'],
    ['a GitHub token', 'ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5'],
    ['a Slack bot token', 'xoxb-12345678901-123456789012-aB3dE5fG7hI9jK1lM3nO5pQ7'],
    ['a GitLab token after a word', 'feat-glpat-aB3dE5fG7hI9jK1lM3nO5'],
  ])('%s', (_label, name) => {
    expect(redactName(name)).toContain(REDACTED);
    expect(identifier(name)).toContain('-redacted-');
  });

  it('text that is not a name is redacted as log text', () => {
    expect(redactName('prod password=hunter2')).toBe(redact('prod password=hunter2'));
    expect(identifier('evil.example/x')).toBe('evil-example-x');
  });
});

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DIGITS = '0123456789';
/** Oracle-known credentials written only with name characters. */
const nameShapedSecret = fc.oneof(
  fc
    .tuple(fc.constantFrom('AKIA', 'ASIA', 'AROA'), chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16))
    .map(([prefix, rest]) => prefix + rest),
  chars(ALNUM, 36).map((rest) => `ghp_${rest}`),
  chars(ALNUM, 24).map((rest) => `glpat-${rest}`),
  chars(ALNUM, 36).map((rest) => `npm_${rest}`),
  chars(ALNUM, 52).map((rest) => `gsk_${rest}`),
  fc.tuple(chars(DIGITS, 11), chars(DIGITS, 12), chars(ALNUM, 24)).map(([a, b, c]) => `xoxb-${a}-${b}-${c}`),
);

describe('oracle', () => {
  it('finds nothing in a name that carries a credential, wherever it sits in the name', async () => {
    await fc.assert(
      fc.asyncProperty(
        nameShapedSecret,
        fc.constantFrom('', 'feat-', 'stage_', 'x-'),
        fc.constantFrom('', '-v2', '_prod'),
        async (secret, before, after) => {
          const name = `${before}${secret}${after}`;
          expect(await oracleFindings(secret)).not.toEqual([]);
          expect(await oracleFindings(redactName(name))).toEqual([]);
          expect(await oracleFindings(identifier(name))).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('an IAM principal ARN in a gateway message keeps who was denied', () => {
  const CALLERS = [
    'arn:aws:sts::123456789012:assumed-role/OrdersStack-OrdersLambdaServiceRole4A2B3C4D-Ab12Cd34Ef56/OrdersStack-OrdersFunction1A2B3C4D-XyZ9aBcDeF01',
    'arn:aws:sts::123456789012:assumed-role/OrdersCluster-OrdersServiceTaskRole-1A2B3C4D5E6F/3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c',
    'arn:aws-us-gov:iam::123456789012:role/service-role/PipelineStack-DeployRoleB5E3F1A2-kQ3xZ9wLmN2p',
    'arn:aws:sts::123456789012:assumed-role/MyAppRole/botocore-session-1700000000',
  ];
  const message = (caller: string) =>
    `User: ${caller} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders`;

  it.each(CALLERS)('%s', (caller) => {
    expect(redact(message(caller))).toBe(message(caller));
  });

  it.each([
    ['a key id as the user', 'arn:aws:iam::123456789012:user/AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
    [
      'a token as the session',
      'arn:aws:sts::123456789012:assumed-role/R/ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5',
      'ghp_',
    ],
    [
      'a random token in an execute-api path (not a principal)',
      'arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/reset/Zx8kQ2mV7pL4sT9wR1yB6nC3dF5gH0jK',
      'Zx8kQ2mV7pL4sT9wR1yB6nC3dF5gH0jK',
    ],
  ])('still redacts %s', (_label, text, secret) => {
    expect(redact(text)).not.toContain(secret);
  });

  it('oracle: a credential planted as the session name does not survive', async () => {
    await fc.assert(
      fc.asyncProperty(nameShapedSecret, async (secret) => {
        const text = message(
          `arn:aws:sts::123456789012:assumed-role/OrdersStack-Role4A2B3C4D-Ab12Cd34Ef56/${secret}`,
        );
        expect(await oracleFindings(redact(text))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
