import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ONLY_CATEGORIES } from '../../lambda/core/categories.js';
import { FORWARDER_ENV, MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { STATE_TABLE_ACTIONS } from '../../lib/apigw-403-monitor.js';
import { CONTEXT_KEY, type MonitorConfig, parseConfig } from '../../lib/config.js';
import { LOGGED_CATEGORIES } from '../../lib/dashboard.js';
import { accessLogFilterPattern, executionLogFilterPattern } from '../../lib/filter-patterns.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';
import { applyNagSuppressions } from '../../lib/nag-suppressions.js';
import { type Json, joined, ofType } from './template-json.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

function configOf(raw: unknown): MonitorConfig {
  const result = parseConfig(raw);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

function build(raw: unknown, acknowledge = true) {
  const app = new App();
  const stack = new Apigw403MonitorStack(app, 'Apigw403Monitor', { config: configOf(raw) });
  if (acknowledge) applyNagSuppressions(stack.monitor);
  return { app, stack };
}

let example: { app: App; stack: Apigw403MonitorStack };
let template: Template;
let json: Json;
let monitorFunctionId: string;
let forwarderId: string;

beforeAll(() => {
  example = build(cdkJson.context[CONTEXT_KEY]);
  template = Template.fromStack(example.stack);
  json = template.toJSON();
  const functions = ofType(json, 'AWS::Lambda::Function');
  monitorFunctionId = functions.find(([id]) => id.startsWith('MonitorMonitorFunction'))?.[0] ?? '';
  forwarderId = functions.find(([id]) => id.startsWith('MonitorSlackForwarderFunction'))?.[0] ?? '';
});

describe('the monitor function', () => {
  it('is Node.js 22 on arm64 with explicit memory, timeout and log group, and no reserved concurrency', () => {
    const props = json.Resources[monitorFunctionId].Properties;
    expect(props).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 60,
      Handler: 'index.handler',
    });
    // Reserving any concurrency fails in an account with less than that + 100 unreserved.
    expect(props.ReservedConcurrentExecutions).toBeUndefined();
    const logGroupId = props.LoggingConfig.LogGroup.Ref as string;
    expect(json.Resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
  });

  it('gets the contract environment', () => {
    const env = json.Resources[monitorFunctionId].Properties.Environment.Variables;
    const E = MONITOR_ENV;
    expect(Object.keys(env).sort()).toEqual(
      [
        E.metricNamespace,
        'NODE_OPTIONS',
        E.noisePolicy,
        E.serviceName,
        E.stateTableName,
        E.topicArn,
        E.watchedStages,
      ].sort(),
    );
    expect(env).toMatchObject({
      [E.metricNamespace]: 'Apigw403Monitor',
      [E.serviceName]: 'apigw-403-monitor',
      // No policy in cdk.json: the functions apply the defaults of lambda/core/noise-policy.ts.
      [E.noisePolicy]: '{}',
    });
    expect(env[E.topicArn].Ref).toMatch(/^MonitorAlertTopic/);
    expect(env[E.stateTableName].Ref).toMatch(/^MonitorStateTable/);
    expect(JSON.parse(joined(env[E.watchedStages]))).toEqual([
      {
        apiId: 'a1b2c3d4e5',
        stage: 'prod',
        accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod',
        executionLogs: true,
      },
      {
        apiId: 'f6g7h8i9j0',
        stage: '$default',
        accessLogGroup: '/aws/apigateway/f6g7h8i9j0/default',
        executionLogs: false,
      },
    ]);
  });

  it('retries asynchronous invocations a bounded number of times, then sends them to the encrypted failure queue', () => {
    const configs = ofType(json, 'AWS::Lambda::EventInvokeConfig');
    const scheduledId = ofType(json, 'AWS::Lambda::Function').find(([id]) =>
      id.startsWith('MonitorDigestFunction'),
    )?.[0];
    expect(configs.map(([, c]) => c.Properties.FunctionName.Ref).sort()).toEqual(
      [monitorFunctionId, forwarderId, scheduledId].sort(),
    );
    for (const [, config] of configs) {
      expect(config.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21600,
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [expect.stringMatching(/^MonitorFailureQueue/), 'Arn'] },
          },
        },
      });
    }
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('alarms on the failure queue depth, to the alert topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitorAlertTopic') }],
    });
  });
});

describe('subscriptions', () => {
  it('puts one filter on each watched group with the 403 patterns', () => {
    const filters = ofType(json, 'AWS::Logs::SubscriptionFilter').map(([, f]) => f.Properties);
    expect(filters.map((f) => [f.LogGroupName, f.FilterPattern])).toEqual([
      // a1b2c3d4e5/prod has an access log: its execution lines are read by the evidence lookup.
      ['/aws/apigateway/a1b2c3d4e5/prod', accessLogFilterPattern()],
      ['/aws/apigateway/f6g7h8i9j0/default', accessLogFilterPattern()],
    ]);
    for (const filter of filters)
      expect(filter.DestinationArn).toEqual({ 'Fn::GetAtt': [monitorFunctionId, 'Arn'] });
  });

  it('gives each filter an invoke permission of its own, scoped by account and its log-group ARN', () => {
    const permissions = new Map(
      ofType(json, 'AWS::Lambda::Permission').filter(
        ([, p]) => p.Properties.Principal === 'logs.amazonaws.com',
      ),
    );
    const filters = ofType(json, 'AWS::Logs::SubscriptionFilter');
    expect(permissions.size).toBe(filters.length);
    for (const [, filter] of filters) {
      const own = (filter.DependsOn as string[]).filter((id) => permissions.has(id));
      expect(own).toHaveLength(1);
      const permission = permissions.get(own[0] ?? '');
      expect(permission?.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [monitorFunctionId, 'Arn'] },
        SourceAccount: { Ref: 'AWS::AccountId' },
      });
      expect(joined(permission?.Properties.SourceArn)).toBe(
        `arn:<{Ref:AWS::Partition}>:logs:<{Ref:AWS::Region}>:<{Ref:AWS::AccountId}>:log-group:${filter.Properties.LogGroupName}:*`,
      );
    }
  });

  it('creates a missing execution log group for the evidence lookup, ignoring one that exists, and does not subscribe it', () => {
    const [creatorId, creator] = ofType(json, 'Custom::AWS')[0] ?? ['', {}];
    const create = JSON.parse(joined(creator.Properties.Create));
    expect(create).toMatchObject({
      service: 'CloudWatchLogs',
      action: 'createLogGroup',
      parameters: { logGroupName: 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod' },
      physicalResourceId: { id: 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod' },
      ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
    });
    expect(creator.Properties.InstallLatestAwsSdk).toBe(false);
    expect(creator.Properties.Delete).toBeUndefined();
    expect(creatorId).not.toBe('');
    const executionFilter = ofType(json, 'AWS::Logs::SubscriptionFilter').find(
      ([, f]) => f.Properties.LogGroupName === 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod',
    );
    expect(executionFilter).toBeUndefined();
  });
});

describe('the deploy-time subscription check', () => {
  it('describes every subscribed group before any filter is created, the monitor named as the destination', () => {
    const checks = ofType(json, 'Custom::SubscriptionCheck');
    expect(checks).toHaveLength(1);
    const [checkId, check] = checks[0] ?? ['', {}];
    expect(check.Properties.LogGroups).toEqual([
      '/aws/apigateway/a1b2c3d4e5/prod',
      '/aws/apigateway/f6g7h8i9j0/default',
    ]);
    expect(check.Properties.DestinationArn).toEqual({ 'Fn::GetAtt': [monitorFunctionId, 'Arn'] });
    expect(check.Properties.ServiceToken['Fn::GetAtt'][0]).toMatch(/^MonitorSubscriptionCheckFunction/);
    // It runs after the missing execution log group is created, and every filter waits for it.
    const [creatorId] = ofType(json, 'Custom::AWS')[0] ?? [''];
    expect(check.DependsOn).toContain(creatorId);
    for (const [, filter] of ofType(json, 'AWS::Logs::SubscriptionFilter'))
      expect(filter.DependsOn).toContain(checkId);
  });

  it('may only describe the subscription filters of those groups', () => {
    const checkFunction = ofType(json, 'AWS::Lambda::Function').find(([id]) =>
      id.startsWith('MonitorSubscriptionCheckFunction'),
    )?.[1];
    const role = checkFunction?.Properties.Role['Fn::GetAtt'][0];
    const statements = ofType(json, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    const describe = statements.find((statement) => statement.Sid === 'DescribeSubscribedGroups');
    expect(describe?.Action).toBe('logs:DescribeSubscriptionFilters');
    expect(
      ((describe?.Resource ?? []) as Json[]).map(joined).map((arn) => arn.replace(/^.*:log-group:/, '')),
    ).toEqual(['/aws/apigateway/a1b2c3d4e5/prod:*', '/aws/apigateway/f6g7h8i9j0/default:*']);
    const others = statements.filter((statement) => statement.Sid !== 'DescribeSubscribedGroups');
    expect(others.map((statement) => [statement.Action].flat().sort())).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
    ]);
  });
});

describe('alerts', () => {
  it('has a TLS-only topic that CloudWatch alarms of this account may publish to', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ].map((statement) => Match.objectLike(statement)),
      },
    });
    expect(ofType(json, 'AWS::SNS::Topic')[0]?.[1].Properties.KmsMasterKeyId).toBeUndefined();
  });

  it('subscribes the e-mail addresses of the context', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'api-oncall@example.com',
    });
  });

  it('forwards to Slack with the secret read at run time, never in the environment', () => {
    const props = json.Resources[forwarderId].Properties;
    expect(props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    const secretArn = joined(props.Environment.Variables[FORWARDER_ENV.webhookSecretArn]);
    expect(secretArn).toMatch(/:secretsmanager:.*:secret:apigw-403-monitor\/slack-webhook$/);
    expect(JSON.stringify(json)).not.toMatch(/hooks\.slack\.com/);
    // Every message, CloudWatch alarm notifications (no attributes) too: the forwarder renders them.
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [forwarderId, 'Arn'] },
      FilterPolicy: Match.absent(),
    });
  });

  it('keeps cooldown state in an on-demand table with TTL and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});

describe('least privilege', () => {
  const statementsOf = (roleRef: string) =>
    ofType(json, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleRef))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
  const roleOf = (functionId: string) =>
    json.Resources[functionId].Properties.Role['Fn::GetAtt'][0] as string;

  it('gives the monitor exactly its actions, each on its own resource', () => {
    const role = roleOf(monitorFunctionId);
    expect(json.Resources[role].Properties.ManagedPolicyArns).toBeUndefined();
    const grants = statementsOf(role).map((s) => ({
      actions: [s.Action].flat().sort(),
      resources: [s.Resource].flat().map(joined),
    }));
    expect(grants).toEqual(
      expect.arrayContaining([
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [expect.stringMatching(/MonitorMonitorLogGroup.*Arn/)],
        },
        { actions: ['sns:Publish'], resources: [expect.stringMatching(/MonitorAlertTopic/)] },
        {
          actions: [...STATE_TABLE_ACTIONS].sort(),
          resources: [expect.stringMatching(/MonitorStateTable.*Arn/)],
        },
        {
          actions: ['logs:FilterLogEvents'],
          resources: [expect.stringMatching(/:log-group:API-Gateway-Execution-Logs_a1b2c3d4e5\/prod:\*$/)],
        },
        { actions: ['sqs:SendMessage'], resources: [expect.stringMatching(/MonitorFailureQueue.*Arn/)] },
      ]),
    );
    expect(grants).toHaveLength(5);
    for (const grant of grants) expect(grant.resources).not.toContain('*');
  });

  it('gives the forwarder GetSecretValue on its one secret and nothing else of Secrets Manager', () => {
    const statements = statementsOf(roleOf(forwarderId));
    const secretStatements = statements.filter((s) =>
      [s.Action].flat().some((a: string) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0]?.Action).toBe('secretsmanager:GetSecretValue');
    expect(joined(secretStatements[0]?.Resource)).toMatch(
      /:secret:apigw-403-monitor\/slack-webhook-\?\?\?\?\?\?$/,
    );
  });
});

describe('classification summary', () => {
  it('graphs every log-visible category for each watched stage', () => {
    const [, dashboard] = ofType(json, 'AWS::CloudWatch::Dashboard')[0] ?? ['', {}];
    const body = JSON.parse(joined(dashboard.Properties.DashboardBody));
    const graphs = (body.widgets as Json[]).filter((w) =>
      String(w.properties.title).startsWith('403s by category'),
    );
    expect(graphs.map((g) => g.properties.title)).toEqual([
      '403s by category: a1b2c3d4e5 / prod',
      '403s by category: f6g7h8i9j0 / $default',
    ]);
    for (const graph of graphs) {
      const metrics = graph.properties.metrics as unknown[][];
      expect(metrics.map((m) => m.slice(0, 8))).toEqual(
        LOGGED_CATEGORIES.map((category) => [
          'Apigw403Monitor',
          'Forbidden403Requests',
          'ApiId',
          graph.properties.title.includes('a1b2c3d4e5') ? 'a1b2c3d4e5' : 'f6g7h8i9j0',
          'Category',
          category,
          'Stage',
          graph.properties.title.includes('a1b2c3d4e5') ? 'prod' : '$default',
        ]),
      );
    }
    expect(LOGGED_CATEGORIES).toHaveLength(21);
    for (const category of CLIENT_ONLY_CATEGORIES) expect(LOGGED_CATEGORIES).not.toContain(category);
  });

  it("graphs the pipeline's health: every count of what was dropped instead of classified", () => {
    const [, dashboard] = ofType(json, 'AWS::CloudWatch::Dashboard')[0] ?? ['', {}];
    const body = JSON.parse(joined(dashboard.Properties.DashboardBody));
    const health = (body.widgets as Json[]).filter((w) =>
      String(w.properties.title).startsWith('Pipeline health'),
    );
    expect(health.map((w) => (w.properties.metrics as unknown[][]).map((m) => m.slice(0, 2)))).toEqual([
      [
        ['Apigw403Monitor', 'ClassifierSkippedEvents'],
        ['Apigw403Monitor', 'DroppedUnwatchedGroupDocuments'],
        ['Apigw403Monitor', 'DroppedForeignStageLines'],
        ['Apigw403Monitor', 'DroppedUnlistedAccountDocuments'],
      ],
    ]);
  });

  it('creates the per-category alarms of the context for each stage', () => {
    for (const [apiId, stage] of [
      ['a1b2c3d4e5', 'prod'],
      ['f6g7h8i9j0', '$default'],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Apigw403Monitor',
        MetricName: 'Forbidden403Requests',
        Dimensions: Match.arrayWith([
          { Name: 'ApiId', Value: apiId },
          { Name: 'Category', Value: 'WAF_FILTERED' },
          { Name: 'Stage', Value: stage },
        ]),
        Statistic: 'Sum',
        Period: 300,
        Threshold: 100,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitorAlertTopic') }],
      });
    }
  });
});

describe('options', () => {
  let variant: Json;
  beforeAll(() => {
    const { stack } = build({
      apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod', executionLogs: true }],
      slack: { chatbot: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF' } },
      kmsEncryption: true,
      reservedConcurrency: null,
    });
    variant = Template.fromStack(stack).toJSON();
  });

  it('encrypts topic and queue with a rotated key CloudWatch alarms may use', () => {
    const [keyId, key] = ofType(variant, 'AWS::KMS::Key')[0] ?? ['', {}];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
    expect(ofType(variant, 'AWS::SNS::Topic')[0]?.[1].Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [keyId, 'Arn'],
    });
    expect(ofType(variant, 'AWS::SQS::Queue')[0]?.[1].Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [keyId, 'Arn'],
    });
  });

  it('configures AWS Chatbot for Slack without a webhook forwarder, and no reserved concurrency', () => {
    const [, channel] = ofType(variant, 'AWS::Chatbot::SlackChannelConfiguration')[0] ?? ['', {}];
    expect(channel.Properties).toMatchObject({
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCDEF',
      SnsTopicArns: [{ Ref: expect.stringMatching(/^MonitorAlertTopic/) }],
    });
    expect(joined(channel.Properties.GuardrailPolicies[0])).toBe(
      'arn:<{Ref:AWS::Partition}>:iam::aws:policy/CloudWatchReadOnlyAccess',
    );
    expect(channel.Properties.GuardrailPolicies).toHaveLength(1);
    // Chatbot names are unique per account across regions: the default carries the region.
    expect(joined(channel.Properties.ConfigurationName)).toBe(
      'Apigw403Monitor-<{Ref:AWS::Region}>-403-alerts',
    );
    const functions = ofType(variant, 'AWS::Lambda::Function').filter(
      ([id, f]) =>
        f.Properties.Runtime === 'nodejs22.x' &&
        !id.startsWith('MonitorSubscriptionCheck') &&
        // The scheduled work (digest and sweep), which posts to no one itself.
        !id.startsWith('MonitorDigestFunction'),
    );
    expect(functions).toHaveLength(1);
    expect(functions[0]?.[1].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('narrows the invoke permission to the execution log group when only execution logs are watched', () => {
    const permissions = ofType(variant, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'logs.amazonaws.com',
    );
    expect(permissions.map(([, p]) => joined(p.Properties.SourceArn))).toEqual([
      'arn:<{Ref:AWS::Partition}>:logs:<{Ref:AWS::Region}>:<{Ref:AWS::AccountId}>:log-group:API-Gateway-Execution-Logs_a1b2c3d4e5/prod:*',
    ]);
    // Without an access log, the execution lines are classified: their group is subscribed.
    expect(
      ofType(variant, 'AWS::Logs::SubscriptionFilter').map(([, f]) => [
        f.Properties.LogGroupName,
        f.Properties.FilterPattern,
      ]),
    ).toEqual([['API-Gateway-Execution-Logs_a1b2c3d4e5/prod', executionLogFilterPattern()]]);
  });

  it('grants exactly the KMS actions publishing and failure records need, on the key, never a wildcard', () => {
    const [keyId] = ofType(variant, 'AWS::KMS::Key')[0] ?? [''];
    const kmsStatements = ofType(variant, 'AWS::IAM::Policy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
      .filter((statement) => [statement.Action].flat().some((a: string) => a.startsWith('kms:')));
    expect(kmsStatements.length).toBeGreaterThanOrEqual(2);
    for (const statement of kmsStatements) {
      expect([statement.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    }
  });
});

describe('a webhook secret on a customer-managed KMS key', () => {
  const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const forwarderStatements = (raw: unknown) => {
    const variant = Template.fromStack(build(raw).stack).toJSON();
    return ofType(variant, 'AWS::IAM::Policy')
      .filter(([id]) => id.startsWith('MonitorSlackForwarderRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
  };

  it('lets the forwarder decrypt it through Secrets Manager only, from slack.webhookSecretKmsKeyArn', () => {
    const statements = forwarderStatements({
      apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod', executionLogs: true }],
      slack: { webhookSecret: 'apigw-403-monitor/slack-webhook', webhookSecretKmsKeyArn: KEY },
    });
    const decrypt = statements.filter((statement) => statement.Sid === 'DecryptWebhookSecret');
    expect(decrypt).toHaveLength(1);
    expect(decrypt[0]).toMatchObject({ Action: 'kms:Decrypt', Resource: KEY });
    expect(joined(decrypt[0]?.Condition.StringEquals['kms:ViaService'])).toBe(
      'secretsmanager.<{Ref:AWS::Region}>.amazonaws.com',
    );
  });

  it('grants no KMS action for a secret on the AWS managed key', () => {
    const statements = forwarderStatements({
      apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod', executionLogs: true }],
      slack: { webhookSecret: 'apigw-403-monitor/slack-webhook' },
    });
    expect(
      statements.flatMap((statement) => [statement.Action].flat()).filter((a) => a.startsWith('kms:')),
    ).toEqual([]);
  });
});

describe('stack outputs', () => {
  it('name the monitor and forwarder functions (replay and doctor take them), the topic, queue and dashboard', () => {
    expect(Object.keys(json.Outputs).sort()).toEqual(
      [
        'AlertTopicArn',
        'DashboardName',
        'FailureQueueUrl',
        'MonitorFunctionName',
        'SlackForwarderFunctionName',
      ].sort(),
    );
    expect(json.Outputs.MonitorFunctionName.Value).toEqual({ Ref: monitorFunctionId });
    expect(json.Outputs.SlackForwarderFunctionName.Value).toEqual({ Ref: forwarderId });
  });
});

describe('cdk-nag', () => {
  const errorsOf = (app: App) =>
    new AwsSolutionsChecks(undefined, { verbose: true })
      .validateScope(app)
      .violations.filter((v) => v.severity === 'error')
      .map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);

  it('reports no unacknowledged AwsSolutions error', () => {
    expect(errorsOf(example.app)).toEqual([]);
  });

  it('would report exactly the acknowledged findings without nag-suppressions.ts', () => {
    const { app } = build(cdkJson.context[CONTEXT_KEY], false);
    expect(
      errorsOf(app)
        .map((e) => e.split(' at ')[0])
        .sort(),
    ).toEqual(
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:API-Gateway-Execution-Logs_a1b2c3d4e5/prod:*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/apigateway/a1b2c3d4e5/prod:*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/apigateway/f6g7h8i9j0/default:*]',
        'AwsSolutions-L1',
        'AwsSolutions-SQS3',
      ].sort(),
    );
  });

  it('runs as a validation plugin of the app, with a reason on every acknowledgement', () => {
    const source = readFileSync(new URL('../../bin/app.ts', import.meta.url), 'utf8');
    expect(source).toMatch(
      /Validations\.of\(app\)\.addPlugins\(new AwsSolutionsChecks\(app, \{ verbose: true \}\)\)/,
    );
    const acknowledged = example.stack.node
      .findAll()
      .flatMap((node) =>
        node.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
      )
      .flatMap((m) => Object.values(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThanOrEqual(5);
    for (const reason of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });
});

describe('bin/app.ts', () => {
  it('prints every context error and exits non-zero before synthesizing', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'apigw403-'));
    let stderr = '';
    let status = 0;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
        cwd: new URL('../..', import.meta.url),
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ [CONTEXT_KEY]: { apis: [{ restApiId: 'x', stage: 'prod' }] } }),
        },
        stdio: 'pipe',
      });
    } catch (error) {
      const failed = error as { status: number; stderr: Buffer };
      status = failed.status;
      stderr = failed.stderr.toString();
    }
    expect(status).toBe(1);
    expect(stderr).toContain('cdk.json context "apigw403" is not valid');
    expect(stderr).toContain('apigw403.apis[0].restApiId');
    expect(stderr).toContain('apigw403.apis[0]: watches nothing');
    expect(stderr).toContain('apigw403.alertEmails: is missing and so is slack');
  });
});

describe('snapshot', () => {
  it('matches, with asset hashes masked', () => {
    const masked = JSON.parse(
      JSON.stringify(json)
        .replace(/[0-9a-f]{64}(\.zip|\.json)?/g, '<asset-hash>$1')
        .replace(/"cdk-hnb659fds-assets-[^"]+"/g, '"<asset-bucket>"'),
    );
    expect(masked).toMatchSnapshot();
  });
});
