/**
 * Every documented setting of the `apigw403` context, alone and together, through the same path
 * `npx cdk deploy` takes: the zod schema, the stack, cdk-nag's AwsSolutions pack with the project's
 * acknowledgements, and the CloudFormation resource definitions of each synthesized resource.
 * Bundling is skipped (stack.test.ts bundles the example): these templates are checked for their
 * resources, not their code.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';
import { applyNagSuppressions } from '../../lib/nag-suppressions.js';
import { cfnSchemaProblems } from './cfn-schema.js';
import { type Json, ofType } from './template-json.js';

const REST = { restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod' };
const HTTP = {
  httpApiId: 'f6g7h8i9j0',
  stage: '$default',
  accessLogGroup: '/aws/apigateway/f6g7h8i9j0/default',
};
const EMAIL = { alertEmails: ['api-oncall@example.com'] };
const WEBHOOK = 'apigw-403-monitor/slack-webhook';
const WEBHOOK_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack/hook-AbC123';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const CHATBOT = { workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF' };

/** Each documented setting, and the combinations where they interact. */
const SETTINGS: Record<string, Record<string, unknown>> = {
  'minimal REST access log': { apis: [REST], ...EMAIL },
  'HTTP API only': { apis: [HTTP], ...EMAIL },
  'text access logs': { apis: [{ ...REST, accessLogFormat: 'text' }], ...EMAIL },
  'custom JSON keys, no response type': {
    apis: [{ ...REST, statusKey: 'http.status', responseTypeKey: null }],
    ...EMAIL,
  },
  'execution logs only': {
    apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod', executionLogs: true }],
    ...EMAIL,
  },
  'access and execution logs': { apis: [{ ...REST, executionLogs: true }], ...EMAIL },
  'several stages sharing a group': {
    apis: [
      { ...REST, accessLogGroup: '/aws/apigateway/shared' },
      { ...REST, stage: 'test', accessLogGroup: '/aws/apigateway/shared', executionLogs: true },
      { ...HTTP, accessLogGroup: '/aws/apigateway/shared' },
    ],
    ...EMAIL,
  },
  'Slack webhook by name': { apis: [REST], slack: { webhookSecret: WEBHOOK } },
  'Slack webhook by ARN on a customer-managed key': {
    apis: [REST],
    slack: { webhookSecret: WEBHOOK_ARN, webhookSecretKmsKeyArn: KEY_ARN },
  },
  'Chatbot only': { apis: [REST], slack: { chatbot: CHATBOT } },
  'Chatbot with a configuration name': {
    apis: [REST],
    slack: { chatbot: { ...CHATBOT, configurationName: 'apigw-403-alerts-eu' } },
  },
  'KMS encryption': { apis: [REST], ...EMAIL, kmsEncryption: true },
  'KMS encryption with webhook, Chatbot and alarms': {
    apis: [{ ...REST, executionLogs: true }, HTTP],
    ...EMAIL,
    slack: { webhookSecret: WEBHOOK, webhookSecretKmsKeyArn: KEY_ARN, chatbot: CHATBOT },
    alarms: { WAF_FILTERED: { threshold: 100 } },
    kmsEncryption: true,
  },
  alarms: {
    apis: [REST, HTTP],
    ...EMAIL,
    alarms: {
      WAF_FILTERED: { threshold: 100, periodMinutes: 5 },
      INVALID_API_KEY: { threshold: 1, periodMinutes: 60 },
    },
  },
  'noise policy and routes to e-mail and Slack, on KMS': {
    apis: [REST, HTTP],
    ...EMAIL,
    slack: { webhookSecret: WEBHOOK },
    kmsEncryption: true,
    noisePolicy: {
      categories: { WAF_FILTERED: { action: 'digest' }, INVALID_API_KEY: { action: 'page' } },
      mute: [{ userAgentContains: 'zgrab', reason: 'scanner' }],
      digestSchedule: 'cron(0 7 ? * MON-FRI *)',
      digestTimezone: 'Europe/Paris',
    },
    routes: [
      {
        name: 'payments',
        match: { apiId: 'a1b2c3d4e5', severity: ['critical', 'high'] },
        emails: ['pay@example.com'],
        slack: { webhookSecret: WEBHOOK_ARN, webhookSecretKmsKeyArn: KEY_ARN },
      },
      { name: 'digests', match: { kind: 'digest' }, emails: ['digests@example.com'] },
    ],
  },
  'routes to AWS Chatbot channels (one with a webhook too), on KMS': {
    apis: [REST, HTTP],
    ...EMAIL,
    kmsEncryption: true,
    routes: [
      {
        name: 'prod-chat',
        match: { stage: 'prod', severity: ['critical', 'high'] },
        slack: { chatbot: CHATBOT },
      },
      {
        name: 'digest-chat',
        match: { kind: 'digest' },
        slack: { webhookSecret: WEBHOOK, chatbot: { ...CHATBOT, configurationName: 'apigw-403-digests' } },
      },
    ],
  },
  'a route to an AWS Chatbot channel, no KMS': {
    apis: [REST],
    ...EMAIL,
    routes: [{ name: 'chat', slack: { chatbot: CHATBOT } }],
  },
  'account-wide, no listed stage': { accountWide: {}, ...EMAIL },
  'account-wide with listed stages, exclusions and KMS': {
    accountWide: { refreshMinutes: 5, excludeApiIds: ['x1x2x3x4x5'] },
    apis: [{ ...REST, executionLogs: true }],
    ...EMAIL,
    kmsEncryption: true,
  },
  'reserved concurrency, retention, stack name': {
    apis: [REST],
    ...EMAIL,
    reservedConcurrency: 10,
    logRetentionDays: 365,
    stackName: 'Watch-Prod',
  },
};

interface Synthesized {
  readonly app: App;
  readonly template: Json;
}

const synthesized = new Map<string, Synthesized>();

beforeAll(() => {
  for (const [label, context] of Object.entries(SETTINGS)) {
    const result = parseConfig(context);
    if (!result.ok) throw new Error(`${label}: ${result.errors.join('; ')}`);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Apigw403MonitorStack(app, result.config.stackName, { config: result.config });
    applyNagSuppressions(stack.monitor);
    synthesized.set(label, { app, template: Template.fromStack(stack).toJSON() });
  }
});

const of = (label: string): Synthesized => {
  const entry = synthesized.get(label);
  if (!entry) throw new Error(`not synthesized: ${label}`);
  return entry;
};

describe.each(Object.keys(SETTINGS))('%s', (label) => {
  it('has no unacknowledged cdk-nag AwsSolutions error', () => {
    const errors = new AwsSolutionsChecks(undefined, { verbose: true })
      .validateScope(of(label).app)
      .violations.filter((violation) => violation.severity === 'error')
      .map(
        (violation) =>
          `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
    expect(errors).toEqual([]);
  });

  it('fits the CloudFormation resource definitions', () => {
    expect(cfnSchemaProblems(of(label).template)).toEqual([]);
  });
});

describe('the schema check itself', () => {
  const base = () => structuredClone(of('minimal REST access log').template);
  const filterOf = (template: Json) => ofType(template, 'AWS::Logs::SubscriptionFilter')[0]?.[1] as Json;

  it('finds a missing required property, an unknown one, a wrong type and an unknown type', () => {
    const template = base();
    const filter = filterOf(template);
    delete filter.Properties.FilterPattern;
    filter.Properties.Pattern = 'x';
    const [, fn] = ofType(template, 'AWS::Lambda::Function')[0] ?? [];
    if (fn) fn.Properties.MemorySize = 'lots';
    template.Resources.Extra = { Type: 'AWS::Logs::NoSuchThing', Properties: {} };
    const problems = cfnSchemaProblems(template);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/AWS::Logs::SubscriptionFilter\): required FilterPattern is missing$/),
        expect.stringMatching(/AWS::Logs::SubscriptionFilter\)\.Pattern: not a property of this type$/),
        expect.stringMatching(/AWS::Lambda::Function\)\.MemorySize: "lots" is not an integer$/),
        'Extra: AWS::Logs::NoSuchThing is not a CloudFormation resource type',
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('checks nested property types and both branches of Fn::If, and lets other intrinsics stand', () => {
    const template = base();
    const [, fn] = ofType(template, 'AWS::Lambda::Function')[0] ?? [];
    if (!fn) throw new Error('no function');
    fn.Properties.Environment.Variables.EXTRA = 7;
    fn.Properties.Timeout = { 'Fn::If': ['Cond', 30, 'thirty'] };
    fn.Properties.Description = { 'Fn::Join': ['', ['a', { Ref: 'AWS::Region' }]] };
    expect(cfnSchemaProblems(template)).toEqual([
      expect.stringMatching(/\.Environment\.Variables\.EXTRA: 7 is not a string$/),
      expect.stringMatching(/\.Timeout: "thirty" is not an integer$/),
    ]);
  });
});
