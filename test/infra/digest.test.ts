/**
 * The digest's deploy-time half: its function, its EventBridge Scheduler schedule and both roles, as
 * the templates of the context's settings make them. Bundling is skipped.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DIGEST_EVENT } from '../../lambda/core/digest-event.js';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
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

  it('runs daily at 08:00 UTC by default, with the input the handler reads and the failure queue behind it', () => {
    const schedules = ofType(json, 'AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(1);
    const [queueId] = ofType(json, 'AWS::SQS::Queue')[0] ?? [];
    expect(schedules[0]?.[1].Properties).toMatchObject({
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
      ['ReadGroupSummaries', 'dynamodb:Scan'],
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
      ['InvokeDigest', 'lambda:InvokeFunction'],
    ]);
    expect(statements[2]?.Resource).toEqual({ 'Fn::GetAtt': [digestId, 'Arn'] });
  });
});

describe('digest settings', () => {
  it('takes the policy schedule and time zone', () => {
    const json = synth({
      noisePolicy: { digestSchedule: 'cron(30 6 ? * MON-FRI *)', digestTimezone: 'Europe/Paris' },
    });
    expect(ofType(json, 'AWS::Scheduler::Schedule')[0]?.[1].Properties).toMatchObject({
      ScheduleExpression: 'cron(30 6 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
    });
  });

  it('deploys no digest function and no schedule with digest: false', () => {
    const json = synth({ noisePolicy: { digest: false } });
    expect(ofType(json, 'AWS::Scheduler::Schedule')).toEqual([]);
    expect(
      ofType(json, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .filter((id) => id.includes('Digest')),
    ).toEqual([]);
  });
});
