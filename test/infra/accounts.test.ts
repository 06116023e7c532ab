import { readdirSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { parseConfig } from '../../lib/config.js';
import { buildDeployment } from '../../lib/deployment.js';
import { type Json, joined, ofType } from './template-json.js';

const EXAMPLES = new URL('../../examples/', import.meta.url);
const exampleFiles = readdirSync(EXAMPLES).filter((name) => name.endsWith('.json'));
const example = (name: string): unknown => JSON.parse(readFileSync(new URL(name, EXAMPLES), 'utf8'));

const synthesized = new Map<string, ReturnType<typeof synth>>();

/** Each example is synthesized (Lambda bundling included) once for all the tests that read it. */
function synthExample(name: string): { app: App; json: Json } {
  let built = synthesized.get(name);
  if (!built) {
    built = synth(example(name));
    synthesized.set(name, built);
  }
  return built;
}

function synth(raw: unknown) {
  const result = parseConfig(raw);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const app = new App();
  const stack = buildDeployment(app, result.config);
  return { app, json: Template.fromStack(stack).toJSON() as Json };
}

const nagErrors = (app: App) =>
  new AwsSolutionsChecks(undefined, { verbose: true })
    .validateScope(app)
    .violations.filter((violation) => violation.severity === 'error')
    .map((violation) => violation.ruleName);

const only = (json: Json, type: string): Json => {
  const [entry, ...more] = ofType(json, type);
  expect(more).toHaveLength(0);
  return (entry?.[1] ?? {}) as Json;
};

describe('examples/', () => {
  it('holds one file per deployment mode, each a single line (`-c apigw403="$(cat …)"` passes one argument)', () => {
    expect(exampleFiles.sort()).toEqual([
      'account-wide.json',
      'central-account.json',
      'listed-stages.json',
      'noise-policy.json',
      'source-account-policy.json',
      'source-account.json',
    ]);
    for (const name of exampleFiles) {
      expect(readFileSync(new URL(name, EXAMPLES), 'utf8').trimEnd()).not.toContain('\n');
    }
  });

  it.each(exampleFiles)('%s synthesizes cdk-nag clean', (name) => {
    const { app } = synthExample(name);
    expect(nagErrors(app)).toEqual([]);
  });
});

describe('the central account', () => {
  let json: Json;
  beforeAll(() => {
    ({ json } = synthExample('central-account.json'));
  });

  it('reads the stream with batching, partial batch responses, bisect, retries and the failure queue', () => {
    const mapping = only(json, 'AWS::Lambda::EventSourceMapping').Properties;
    const [queueId] = ofType(json, 'AWS::SQS::Queue')[0] ?? [];
    const [streamId] = ofType(json, 'AWS::Kinesis::Stream')[0] ?? [];
    expect(mapping).toMatchObject({
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 6 * 3600,
      StartingPosition: 'TRIM_HORIZON',
      EventSourceArn: { 'Fn::GetAtt': [streamId, 'Arn'] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('alarms to the alert topic when the monitor reads the stream more than an hour behind', () => {
    const [streamId] = ofType(json, 'AWS::Kinesis::Stream')[0] ?? [];
    const [topicId] = ofType(json, 'AWS::SNS::Topic')[0] ?? [];
    const [, lag] =
      ofType(json, 'AWS::CloudWatch::Alarm').find(
        ([, alarm]) => alarm.Properties.MetricName === 'GetRecords.IteratorAgeMilliseconds',
      ) ?? [];
    expect(lag?.Properties).toMatchObject({
      Namespace: 'AWS/Kinesis',
      Statistic: 'Maximum',
      Threshold: 3_600_000,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'StreamName', Value: { Ref: streamId } }],
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('encrypts the stream and sizes it as configured', () => {
    expect(only(json, 'AWS::Kinesis::Stream').Properties).toMatchObject({
      ShardCount: 2,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  it('lets only the listed accounts subscribe, through a role CloudWatch Logs of those accounts assumes', () => {
    const destination = only(json, 'AWS::Logs::Destination').Properties;
    const policy = JSON.parse(
      joined(destination.DestinationPolicy).replaceAll('<{Ref:AWS::Partition}>', 'aws'),
    );
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: ['111111111111', '222222222222'] },
        Action: ['logs:PutSubscriptionFilter', 'logs:PutAccountPolicy'],
      }),
    ]);
    expect(policy.Statement[0].Resource).toMatch(/:destination:apigw-403-monitor$/);
    const roleId = destination.RoleArn['Fn::GetAtt'][0];
    const trust = json.Resources[roleId].Properties.AssumeRolePolicyDocument.Statement[0];
    expect(trust.Principal).toEqual({ Service: 'logs.amazonaws.com' });
    expect(trust.Condition.StringLike['aws:SourceArn'].map(joined)).toEqual([
      'arn:<{Ref:AWS::Partition}>:logs:<{Ref:AWS::Region}>:<{Ref:AWS::AccountId}>:*',
      'arn:<{Ref:AWS::Partition}>:logs:<{Ref:AWS::Region}>:111111111111:*',
      'arn:<{Ref:AWS::Partition}>:logs:<{Ref:AWS::Region}>:222222222222:*',
    ]);
    const grants = ofType(json, 'AWS::IAM::Policy')
      .filter(([, resource]) => resource.Properties.Roles.some((role: Json) => role.Ref === roleId))
      .flatMap(([, resource]) => resource.Properties.PolicyDocument.Statement);
    expect(grants).toEqual([
      expect.objectContaining({ Action: 'kinesis:PutRecord', Resource: destination.TargetArn }),
    ]);
  });

  it('runs the Kinesis entry point with the accepted accounts, and subscribes no log group of its own', () => {
    const [, fn] =
      ofType(json, 'AWS::Lambda::Function').find(([id]) => id.startsWith('MonitorMonitorFunction')) ?? [];
    expect(fn?.Properties.Environment.Variables[MONITOR_ENV.sourceAccounts]).toBe(
      '["111111111111","222222222222"]',
    );
    expect(ofType(json, 'AWS::Logs::SubscriptionFilter')).toHaveLength(0);
    expect(ofType(json, 'AWS::Lambda::Permission')).toHaveLength(0);
  });

  it('lets an organisation in by aws:PrincipalOrgID and leaves the owner check to the destination', () => {
    const { json: org, app } = synth({
      mode: 'central',
      central: { organizationId: 'o-a1b2c3d4e5' },
      alertEmails: ['oncall@example.com'],
    });
    const destination = only(org, 'AWS::Logs::Destination').Properties;
    const policy = JSON.parse(joined(destination.DestinationPolicy));
    expect(policy.Statement[0]).toMatchObject({
      Principal: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ['o-a1b2c3d4e5'] } },
    });
    const roleId = destination.RoleArn['Fn::GetAtt'][0];
    expect(org.Resources[roleId].Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceOrgID': 'o-a1b2c3d4e5' },
    });
    const [, fn] =
      ofType(org, 'AWS::Lambda::Function').find(([id]) => id.startsWith('MonitorMonitorFunction')) ?? [];
    expect(fn?.Properties.Environment.Variables[MONITOR_ENV.sourceAccounts]).toBeUndefined();
    expect(nagErrors(app)).toEqual([]);
  });
});

describe('a source account', () => {
  it('subscribes each listed access log group to the destination, with no asset and no bootstrap rule', () => {
    const { json } = synthExample('source-account.json');
    const filters = ofType(json, 'AWS::Logs::SubscriptionFilter').map(([, resource]) => resource.Properties);
    expect(filters.map((filter) => filter.LogGroupName).sort()).toEqual([
      '/aws/apigateway/c8a7t6l5g4/live',
      '/aws/apigateway/p4y5m6n7t8/prod',
    ]);
    for (const filter of filters) {
      expect(filter.DestinationArn).toBe('arn:aws:logs:eu-west-1:999999999999:destination:apigw-403-monitor');
      expect(filter.FilterPattern).toContain('$.status = "403"');
      expect(filter.RoleArn).toBeUndefined();
    }
    // StackSets deploy the template as it is: nothing may need the CDK bootstrap stack.
    expect(json.Parameters?.BootstrapVersion).toBeUndefined();
    expect(json.Rules).toBeUndefined();
    expect(Object.values(json.Resources as Json).map((resource) => resource.Type)).toEqual([
      'AWS::Logs::SubscriptionFilter',
      'AWS::Logs::SubscriptionFilter',
    ]);
  });

  it('or sets the account subscription filter policy, with a sender role for an organisation destination', () => {
    const { json } = synthExample('source-account-policy.json');
    const policy = only(json, 'AWS::Logs::AccountPolicy');
    expect(policy.Properties).toMatchObject({
      PolicyType: 'SUBSCRIPTION_FILTER_POLICY',
      Scope: 'ALL',
      SelectionCriteria: 'LogGroupName NOT IN ["/aws/lambda/log-shipper"]',
    });
    const [roleId] = ofType(json, 'AWS::IAM::Role')[0] ?? [];
    expect(policy.DependsOn).toEqual(expect.arrayContaining([roleId]));
    const document = JSON.parse(joined(policy.Properties.PolicyDocument));
    expect(document).toMatchObject({
      DestinationArn: 'arn:aws:logs:eu-west-1:999999999999:destination:apigw-403-monitor',
      Distribution: 'Random',
    });
    expect(document.RoleArn).toBe(`<{Fn::GetAtt:[${roleId},Arn]}>`);
    expect(only(json, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Action: 'logs:PutLogEvents',
        Resource: 'arn:aws:logs:eu-west-1:999999999999:destination:apigw-403-monitor',
      }),
    ]);
  });
});

describe('deployment modes in the context', () => {
  const destinationArn = 'arn:aws:logs:eu-west-1:999999999999:destination:apigw-403-monitor';
  it.each([
    [
      'central without its settings',
      { mode: 'central', alertEmails: ['a@example.com'] },
      'apigw403.central: is required',
    ],
    [
      'central naming both accounts and an organisation',
      {
        mode: 'central',
        central: { sourceAccounts: ['111111111111'], organizationId: 'o-a1b2c3d4e5' },
        alertEmails: ['a@example.com'],
      },
      'apigw403.central: sets both sourceAccounts and organizationId',
    ],
    [
      'central with a short account id',
      { mode: 'central', central: { sourceAccounts: ['1111'] }, alertEmails: ['a@example.com'] },
      'apigw403.central.sourceAccounts[0]: "1111" is not a 12-digit account id',
    ],
    [
      'central with stages of its own',
      {
        mode: 'central',
        central: { sourceAccounts: ['111111111111'] },
        apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/g' }],
        alertEmails: ['a@example.com'],
      },
      'apigw403.apis: is not read by a central monitor',
    ],
    [
      'a source account subscribing both ways',
      {
        mode: 'source',
        source: {
          destinationArn,
          apis: [{ apiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/g' }],
          accountPolicy: {},
        },
      },
      'apigw403.source: sets both apis and accountPolicy',
    ],
    [
      'a source account with a Lambda ARN as destination',
      {
        mode: 'source',
        source: { destinationArn: 'arn:aws:lambda:eu-west-1:999999999999:function:x', accountPolicy: {} },
      },
      'apigw403.source.destinationArn: "arn:aws:lambda:eu-west-1:999999999999:function:x" is not a CloudWatch Logs destination ARN',
    ],
    [
      'central settings in listed-stages mode',
      {
        apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/g' }],
        alertEmails: ['a@example.com'],
        central: { sourceAccounts: ['111111111111'] },
      },
      'apigw403.central: is set but mode is "stages"',
    ],
    [
      'listed stages without apis',
      { alertEmails: ['a@example.com'] },
      'apigw403.apis: a missing value is not a non-empty list',
    ],
    [
      'an unknown mode',
      { mode: 'everything', alertEmails: ['a@example.com'] },
      'apigw403.mode: "everything" is not a mode',
    ],
  ])('refuses %s with a message that names the key', (_name, raw, message) => {
    const result = parseConfig(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toContain(message);
  });

  it('needs no alert destination in a source account', () => {
    const result = parseConfig({ mode: 'source', source: { destinationArn, accountPolicy: {} } });
    expect(result.ok && result.config.deployment).toEqual({
      mode: 'source',
      source: { destinationArn, accountPolicy: { excludeLogGroups: [] }, organizationSender: false },
    });
  });
});
