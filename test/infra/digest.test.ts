/**
 * The digest's deploy-time half: its function, its EventBridge Scheduler schedule and both roles, as
 * the templates of the context's settings make them. Bundling is skipped.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DIGEST_EVENT } from '../../lambda/core/digest-event.js';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { DEFAULT_SWEEP_SCHEDULE, SWEEP_EVENT } from '../../lambda/core/noise-policy.js';
import { parseConfig } from '../../lib/config.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';
import { type Json, ofType } from './template-json.js';

const BASE = {
  apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod' }],
  alertEmails: ['ops@example.com'],
};

function synth(extra: Record<string, unknown>): Json {
  const result = parseConfig({ ...BASE, ...extra });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new Apigw403MonitorStack(app, 'Digest', { config: result.config })).toJSON();
}

const statementsOf = (json: Json, rolePrefix: string) =>
  ofType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => String(r.Ref).startsWith(rolePrefix)))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);

describe('the digest', () => {
  const json = synth({ kmsEncryption: true });
  const [digestId, digest] =
    ofType(json, 'AWS::Lambda::Function').find(([id]) => id.startsWith('MonitorDigestFunction')) ?? [];

  const scheduleOf = (input: object) =>
    ofType(json, 'AWS::Scheduler::Schedule').find(
      ([, s]) => s.Properties.Target.Input === JSON.stringify(input),
    )?.[1];

  it('runs daily at 08:00 UTC by default, with the input the handler reads and the failure queue behind it', () => {
    expect(ofType(json, 'AWS::Scheduler::Schedule')).toHaveLength(2);
    const [queueId] = ofType(json, 'AWS::SQS::Queue')[0] ?? [];
    expect(scheduleOf(DIGEST_EVENT)?.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 8 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [digestId, 'Arn'] },
        Input: JSON.stringify(DIGEST_EVENT),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      },
    });
  });

  it('sweeps every 15 minutes on the same function (the monitor may be a Kinesis consumer)', () => {
    expect(scheduleOf(SWEEP_EVENT)?.Properties).toMatchObject({
      ScheduleExpression: DEFAULT_SWEEP_SCHEDULE,
      Target: { Arn: { 'Fn::GetAtt': [digestId, 'Arn'] } },
    });
    expect(DEFAULT_SWEEP_SCHEDULE).toBe('rate(15 minutes)');
  });

  it('reads the topic, table and policy by the monitor contract names', () => {
    const env = digest?.Properties.Environment.Variables;
    expect(Object.keys(env).sort()).toEqual(
      [
        MONITOR_ENV.topicArn,
        MONITOR_ENV.stateTableName,
        MONITOR_ENV.noisePolicy,
        MONITOR_ENV.serviceName,
        'NODE_OPTIONS',
      ].sort(),
    );
    expect(env[MONITOR_ENV.noisePolicy]).toBe('{}');
  });

  it('may scan the table and publish to the topic (encrypted), nothing else', () => {
    const statements = statementsOf(json, 'MonitorDigestRole');
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      ['WriteOwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents']],
      // A failed run ends on the failure queue, like every function's.
      ['SendToFailureQueue', 'sqs:SendMessage'],
      ['EncryptFailureRecords', ['kms:Decrypt', 'kms:GenerateDataKey']],
      ['PublishDigests', 'sns:Publish'],
      ['EncryptDigests', ['kms:Decrypt', 'kms:GenerateDataKey']],
      ['ReadGroupSummaries', ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:UpdateItem']],
    ]);
  });

  it("lets only this account's Scheduler invoke it and keep undelivered runs", () => {
    const [, role] =
      ofType(json, 'AWS::IAM::Role').find(([id]) => id.startsWith('MonitorSchedulesRole')) ?? [];
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
    const statements = statementsOf(json, 'MonitorSchedulesRole');
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      ['KeepUndeliveredRuns', 'sqs:SendMessage'],
      ['EncryptUndeliveredRuns', ['kms:Decrypt', 'kms:GenerateDataKey']],
      ['InvokeScheduledFunction', 'lambda:InvokeFunction'],
    ]);
    expect(statements[2]?.Resource).toEqual({ 'Fn::GetAtt': [digestId, 'Arn'] });
  });
});

describe('digest settings', () => {
  const inputs = (json: Json) => ofType(json, 'AWS::Scheduler::Schedule').map(([, s]) => s.Properties);

  it('takes the policy schedule and time zone', () => {
    const json = synth({
      noisePolicy: { digestSchedule: 'cron(30 6 ? * MON-FRI *)', digestTimezone: 'Europe/Paris' },
    });
    expect(inputs(json).find((p) => p.Target.Input === JSON.stringify(DIGEST_EVENT))).toMatchObject({
      ScheduleExpression: 'cron(30 6 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
    });
  });

  it('deploys no digest schedule with digest: false, and still sweeps', () => {
    const json = synth({ noisePolicy: { digest: false } });
    expect(inputs(json).map((p) => p.Target.Input)).toEqual([JSON.stringify(SWEEP_EVENT)]);
  });
});
