/**
 * Account-wide mode at deploy time: the `accountWide` key's schema and messages, and the template
 * (the discovery function, its two triggers, least-privilege grants, the monitor's invoke permission).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DISCOVERY_ITEM_KEY, STAGE_CHANGE_EVENT_NAMES } from '../../lambda/core/discovery.js';
import { DISCOVERY_ENV, MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { DISCOVERY_LOGS_ACTIONS } from '../../lib/account-wide.js';
import { DEFAULT_DISCOVERY_REFRESH_MINUTES } from '../../lib/account-wide-config.js';
import { parseConfig } from '../../lib/config.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';
import { type Json, joined, ofType } from './template-json.js';

const EMAIL = { alertEmails: ['api-oncall@example.com'] };
const REST = { restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod' };

const errorsOf = (raw: unknown) => {
  const result = parseConfig(raw);
  return result.ok ? [] : result.errors;
};

describe('the accountWide key', () => {
  it('needs no apis[] and fills its defaults', () => {
    const result = parseConfig({ accountWide: {}, ...EMAIL });
    expect(result.ok && result.config.accountWide).toEqual({
      refreshMinutes: DEFAULT_DISCOVERY_REFRESH_MINUTES,
      excludeApiIds: [],
    });
    expect(result.ok && result.config.apis).toEqual([]);
  });

  it.each([
    [
      { accountWide: true, ...EMAIL },
      'apigw403.accountWide: true is not an object (use {} for the defaults)',
    ],
    [
      { accountWide: { refreshMinutes: 0 }, ...EMAIL },
      'apigw403.accountWide.refreshMinutes: 0 is not a whole number of minutes from 1 to 720',
    ],
    [
      { accountWide: { excludeApiIds: ['PROD'] }, ...EMAIL },
      'apigw403.accountWide.excludeApiIds[0]: "PROD" is not an API id',
    ],
    [
      { accountWide: { every: true }, ...EMAIL },
      'apigw403.accountWide.every: is not a known key (known: refreshMinutes, excludeApiIds)',
    ],
    [
      { mode: 'central', central: { sourceAccounts: ['111111111111'] }, accountWide: {}, ...EMAIL },
      'apigw403.accountWide: is for a monitor of its own account; mode "central" cannot use it',
    ],
    [{ accountWide: {} }, 'apigw403.alertEmails: is missing and so is slack'],
  ])('%j -> one clear line', (raw, message) => {
    const errors = errorsOf(raw);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
    expect(errors[0]).toContain('Example:');
  });
});

describe('the account-wide template', () => {
  let json: Json;
  beforeAll(() => {
    const result = parseConfig({
      accountWide: { refreshMinutes: 10, excludeApiIds: ['x1x2x3x4x5'] },
      apis: [REST],
      ...EMAIL,
    });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    json = Template.fromStack(
      new Apigw403MonitorStack(app, 'AccountWide', { config: result.config }),
    ).toJSON();
  });
  const functions = () => ofType(json, 'AWS::Lambda::Function').map(([, fn]) => fn.Properties);
  const discoveryFunction = () => {
    const found = functions().find(
      (fn) => fn.Environment?.Variables?.[DISCOVERY_ENV.monitorArn] !== undefined,
    );
    if (!found) throw new Error('no discovery function');
    return found;
  };
  /** The statements of a function's role (`Role` is `Fn::GetAtt [id, Arn]`, a policy's `Roles` `Ref id`). */
  const policyOf = (roleArn: Json) =>
    ofType(json, 'AWS::IAM::Policy')
      .filter(
        ([, policy]) =>
          JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleArn['Fn::GetAtt'][0] }]),
      )
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[]);

  it('turns the mapping on in the monitor and tells the discovery function where everything is', () => {
    const monitor = functions().find((fn) => fn.Environment?.Variables?.[MONITOR_ENV.topicArn] !== undefined);
    expect(monitor?.Environment.Variables[MONITOR_ENV.accountWide]).toBe('true');
    const variables = discoveryFunction().Environment.Variables;
    expect(variables[DISCOVERY_ENV.excludeApiIds]).toBe('["x1x2x3x4x5"]');
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(Object.values(DISCOVERY_ENV)));
    expect(discoveryFunction().Timeout).toBe(300);
  });

  it('sweeps on a schedule and on successful API Gateway stage changes', () => {
    const rules = ofType(json, 'AWS::Events::Rule').map(([, rule]) => rule.Properties);
    expect(rules.map((rule) => rule.ScheduleExpression).filter(Boolean)).toEqual(['rate(10 minutes)']);
    const pattern = rules.find((rule) => rule.EventPattern)?.EventPattern;
    expect(pattern).toEqual({
      source: ['aws.apigateway'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['apigateway.amazonaws.com'],
        eventName: [...STAGE_CHANGE_EVENT_NAMES],
        errorCode: [{ exists: false }],
      },
    });
    for (const rule of rules)
      expect(rule.Targets[0].RetryPolicy).toEqual({
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
      });
  });

  it('grants the discovery function only its reads, its filter calls and the mapping item', () => {
    const statements = policyOf(discoveryFunction().Role);
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    expect(bySid.ListStages.Action).toBe('apigateway:GET');
    expect(bySid.ListStages.Resource.map(joined)).toEqual([
      expect.stringMatching(/:apigateway:.*::\/restapis$/),
      expect.stringMatching(/::\/restapis\/\*\/stages$/),
      expect.stringMatching(/::\/apis$/),
      expect.stringMatching(/::\/apis\/\*\/stages$/),
    ]);
    expect(bySid.KeepSubscriptionFilters.Action).toEqual([...DISCOVERY_LOGS_ACTIONS]);
    expect(joined(bySid.KeepSubscriptionFilters.Resource)).toMatch(/:log-group:\*:\*$/);
    expect(bySid.StoreMapping).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [DISCOVERY_ITEM_KEY] } },
    });
    expect(statements.map((statement) => statement.Sid).sort()).toEqual([
      'KeepSubscriptionFilters',
      'ListStages',
      'StoreMapping',
      'WriteOwnLogs',
    ]);
  });

  it("lets this account's log groups invoke the monitor, and the monitor read execution groups for evidence", () => {
    const permissions = ofType(json, 'AWS::Lambda::Permission').map(
      ([, permission]) => permission.Properties,
    );
    const anyGroup = permissions.filter((permission) =>
      joined(permission.SourceArn).endsWith(':log-group:*:*'),
    );
    expect(anyGroup).toHaveLength(1);
    expect(anyGroup[0]).toMatchObject({ Principal: 'logs.amazonaws.com', Action: 'lambda:InvokeFunction' });
    expect(anyGroup[0].SourceAccount).toBeDefined();
    const statements = ofType(json, 'AWS::IAM::Policy').flatMap(
      ([, policy]) => policy.Properties.PolicyDocument.Statement as Json[],
    );
    const evidence = statements.find((statement) => statement.Sid === 'DiscoveredEvidenceLookup');
    expect(joined(evidence?.Resource)).toMatch(/:log-group:API-Gateway-Execution-Logs_\*:\*$/);
  });

  it("keeps the listed stage's own filter and alarms on two failed sweeps in a row", () => {
    expect(ofType(json, 'AWS::Logs::SubscriptionFilter')).toHaveLength(1);
    const alarm = ofType(json, 'AWS::CloudWatch::Alarm')
      .map(([, entry]) => entry.Properties)
      .find((entry) => entry.MetricName === 'Errors');
    expect(alarm).toMatchObject({ EvaluationPeriods: 2, Threshold: 1, Period: 600 });
    expect(alarm?.AlarmActions).toHaveLength(1);
    expect(Object.keys(json.Outputs)).toContain('DiscoveryFunctionName');
  });
});
