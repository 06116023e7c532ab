import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEY, EXAMPLE_CONTEXT, parseConfig } from '../../lib/config.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  app: string;
  context: Record<string, unknown>;
};
const valid = cdkJson.context[CONTEXT_KEY] as Record<string, unknown>;
const api = { restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod' };
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const withApi = (extra: Record<string, unknown>) => ({
  apis: [{ ...api, ...extra }],
  alertEmails: ['a@example.com'],
});

describe('the cdk.json example', () => {
  it('runs the app with tsx and validates as is', () => {
    expect(cdkJson.app).toBe('npx tsx bin/app.ts');
    const result = parseConfig(valid);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('fills the documented defaults', () => {
    const result = parseConfig({ apis: [api], alertEmails: ['a@example.com'] });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config).toEqual({
      stackName: 'Apigw403Monitor',
      apis: [
        {
          kind: 'rest',
          apiId: 'a1b2c3d4e5',
          stage: 'prod',
          accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod',
          accessLogFormat: 'json',
          statusKey: 'status',
          responseTypeKey: 'error.responseType',
          executionLogs: false,
        },
      ],
      alertEmails: ['a@example.com'],
      alarms: [],
      logRetentionDays: 30,
      kmsEncryption: false,
      reservedConcurrency: null,
      deployment: { mode: 'stages' },
      noisePolicy: {},
      routes: [],
    });
  });

  it('reads the JSON text `cdk -c apigw403=...` passes, and every option', () => {
    const result = parseConfig(
      JSON.stringify({
        stackName: 'Watch-Prod',
        apis: [
          {
            ...api,
            accessLogFormat: 'json',
            statusKey: 'httpStatus',
            responseTypeKey: null,
            executionLogs: true,
          },
          { httpApiId: 'f6g7h8i9j0', stage: '$default', accessLogGroup: '/http', accessLogFormat: 'text' },
        ],
        slack: {
          webhookSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack/hook-AbC123',
          chatbot: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF', configurationName: 'alerts' },
        },
        alarms: { INVALID_API_KEY: { threshold: 10 }, WAF_FILTERED: { threshold: 1, periodMinutes: 1 } },
        logRetentionDays: 365,
        kmsEncryption: true,
        reservedConcurrency: 20,
        noisePolicy: { categories: { WAF_FILTERED: { action: 'digest' } }, digest: false },
        routes: [
          {
            name: 'payments',
            match: { apiId: 'a1b2c3d4e5', severity: ['critical', 'high'] },
            emails: ['pay@example.com'],
            slack: { webhookSecret: 'pay/hook', webhookSecretKmsKeyArn: KEY_ARN },
          },
          { name: 'all-digests', match: { kind: 'digest' }, emails: ['d@example.com'] },
          {
            name: 'prod-chat',
            match: { stage: 'prod' },
            slack: {
              chatbot: {
                workspaceId: 'T0123ABCD',
                channelId: 'C0456PRODCHAT',
                configurationName: 'prod-chat',
              },
            },
          },
        ],
      }),
    );
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.noisePolicy).toEqual({
      categories: { WAF_FILTERED: { action: 'digest' } },
      digest: false,
    });
    expect(result.config.routes).toEqual([
      {
        name: 'payments',
        // One value or a list: always a list after parsing, as a filter policy needs.
        match: { apiId: ['a1b2c3d4e5'], severity: ['critical', 'high'] },
        emails: ['pay@example.com'],
        slackWebhookSecret: 'pay/hook',
        slackWebhookSecretKmsKeyArn: KEY_ARN,
      },
      { name: 'all-digests', match: { kind: ['digest'] }, emails: ['d@example.com'] },
      {
        name: 'prod-chat',
        match: { stage: ['prod'] },
        emails: [],
        chatbot: { workspaceId: 'T0123ABCD', channelId: 'C0456PRODCHAT', configurationName: 'prod-chat' },
      },
    ]);
    expect(result.config.apis[0]).toMatchObject({
      statusKey: 'httpStatus',
      responseTypeKey: null,
      executionLogs: true,
    });
    expect(result.config.apis[1]).toMatchObject({ kind: 'http', stage: '$default', accessLogFormat: 'text' });
    expect(result.config.chatbot).toEqual({
      workspaceId: 'T0123ABCD',
      channelId: 'C0123ABCDEF',
      configurationName: 'alerts',
    });
    expect(result.config.alarms).toEqual([
      { category: 'INVALID_API_KEY', threshold: 10, periodMinutes: 5 },
      { category: 'WAF_FILTERED', threshold: 1, periodMinutes: 1 },
    ]);
    expect(result.config).toMatchObject({
      reservedConcurrency: 20,
      kmsEncryption: true,
    });
  });
});

// Each bad context, and the start of the one message it must produce: the key, then the example.
const BAD: [string, unknown, string, string][] = [
  ['missing entirely', undefined, 'apigw403: a missing value is not an object', '"apigw403":{"apis"'],
  ['not JSON text', '{apis:', 'apigw403: "{apis:" is not an object', 'Example (cdk.json'],
  [
    'no apis',
    { alertEmails: ['a@example.com'] },
    'apigw403.apis: a missing value is not a non-empty list',
    'Example: [{"restApiId"',
  ],
  [
    'empty apis',
    { apis: [], alertEmails: ['a@example.com'] },
    'apigw403.apis: [] is not a non-empty list',
    'Example: [{',
  ],
  [
    'unknown top key',
    { ...withApi({}), cooldown: 5 },
    'apigw403.cooldown: is not a known key',
    'Example: {"apis"',
  ],
  [
    'api not an object',
    { apis: ['a1b2c3d4e5'], alertEmails: ['a@example.com'] },
    'apigw403.apis[0]: "a1b2c3d4e5" is not an object',
    'Example: {"restApiId"',
  ],
  [
    'both ids',
    withApi({ httpApiId: 'f6g7h8i9j0' }),
    'apigw403.apis[0]: sets both restApiId and httpApiId',
    'Example: "restApiId": "a1b2c3d4e5"',
  ],
  [
    'no id',
    { apis: [{ stage: 'prod', accessLogGroup: '/g' }], alertEmails: ['a@example.com'] },
    'apigw403.apis[0]: sets neither',
    'Example: "restApiId"',
  ],
  [
    'bad id',
    withApi({ restApiId: 'ABC' }),
    'apigw403.apis[0].restApiId: "ABC" is not an API id',
    'Example: "restApiId": "a1b2c3d4e5"',
  ],
  [
    'bad stage',
    withApi({ stage: 'pr od' }),
    'apigw403.apis[0].stage: "pr od" is not a stage name',
    'Example: "stage": "prod"',
  ],
  [
    '$default on REST',
    withApi({ stage: '$default' }),
    'apigw403.apis[0].stage: "$default" is not a stage name',
    'Example: "stage": "prod"',
  ],
  [
    'bad group',
    withApi({ accessLogGroup: 'a group' }),
    'apigw403.apis[0].accessLogGroup: "a group" is not a log group name',
    'Example: "accessLogGroup": "/aws/apigateway/',
  ],
  [
    'bad format',
    withApi({ accessLogFormat: 'clf' }),
    'apigw403.apis[0].accessLogFormat: "clf" is not "json" or "text"',
    'Example: "accessLogFormat": "json"',
  ],
  [
    'bad key path',
    withApi({ statusKey: '$.status' }),
    'apigw403.apis[0].statusKey: "$.status" is not a JSON key path',
    'Example: "statusKey": "status"',
  ],
  [
    'keys on text',
    withApi({ accessLogFormat: 'text', statusKey: 'status' }),
    'apigw403.apis[0].accessLogFormat: is "text", so statusKey',
    'Example: "accessLogFormat": "json"',
  ],
  [
    'executionLogs not boolean',
    withApi({ executionLogs: 'yes' }),
    'apigw403.apis[0].executionLogs: "yes" is not true or false',
    'Example: "executionLogs": true',
  ],
  [
    'HTTP execution logs',
    {
      apis: [{ httpApiId: 'f6g7h8i9j0', stage: '$default', executionLogs: true }],
      alertEmails: ['a@example.com'],
    },
    'apigw403.apis[0].executionLogs: is true for an HTTP API',
    'Example: remove "executionLogs"',
  ],
  [
    'watches nothing',
    { apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod' }], alertEmails: ['a@example.com'] },
    'apigw403.apis[0]: watches nothing',
    'Example: "accessLogGroup"',
  ],
  [
    'unknown api key',
    withApi({ accessLog: '/g' }),
    'apigw403.apis[0].accessLog: is not a known key',
    'Example: {"restApiId"',
  ],
  [
    'duplicate stage',
    { apis: [api, api], alertEmails: ['a@example.com'] },
    'apigw403.apis[1]: watches a1b2c3d4e5/prod again (already apis[0])',
    'Example: one entry',
  ],
  [
    'shared group, different format',
    { apis: [api, { ...api, stage: 'test', accessLogFormat: 'text' }], alertEmails: ['a@example.com'] },
    'apigw403.apis[1].accessLogGroup: shares /aws/apigateway/a1b2c3d4e5/prod with another API',
    'Example: the same accessLogFormat',
  ],
  [
    'no destination',
    { apis: [api] },
    'apigw403.alertEmails: is missing and so is slack',
    'Example: "alertEmails": ["api-oncall@example.com"]',
  ],
  [
    'emails not a list',
    { apis: [api], alertEmails: 'a@example.com' },
    'apigw403.alertEmails: "a@example.com" is not a list',
    'Example: "alertEmails": [',
  ],
  [
    'bad email',
    { apis: [api], alertEmails: ['ops'] },
    'apigw403.alertEmails[0]: "ops" is not an e-mail address',
    'Example: "api-oncall@example.com"',
  ],
  [
    'slack not an object',
    { apis: [api], slack: 'https://hooks.slack.com/x' },
    'apigw403.slack: "https://hooks.slack.com/x" is not an object',
    'Example: "slack": {"webhookSecret"',
  ],
  [
    'slack empty',
    { apis: [api], slack: {} },
    'apigw403.slack: sets neither webhookSecret nor chatbot',
    'Example: "slack": {',
  ],
  [
    'webhook URL as secret',
    { apis: [api], slack: { webhookSecret: 'https://hooks.slack.com/services/T/B/x' } },
    'apigw403.slack.webhookSecret: "https://hooks.slack.com/services/T/B/x" is not a Secrets Manager secret',
    'Example: "webhookSecret": "apigw-403-monitor/slack-webhook"',
  ],
  [
    'partial secret ARN',
    { apis: [api], slack: { webhookSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook' } },
    'apigw403.slack.webhookSecret:',
    'full secret ARN',
  ],
  [
    'chatbot ids',
    { apis: [api], slack: { chatbot: { workspaceId: 't01', channelId: 'C01' } } },
    'apigw403.slack.chatbot.workspaceId: "t01" is not a Slack workspace id',
    'Example: "workspaceId": "T0123ABCD"',
  ],
  [
    'chatbot missing channel',
    { apis: [api], slack: { chatbot: { workspaceId: 'T01' } } },
    'apigw403.slack.chatbot.channelId: a missing value is not a Slack channel id',
    'Example: "channelId": "C0123ABCDEF"',
  ],
  // The cooldown-only monitor's settings: refused (whatever the value) with what replaced them.
  [
    'cooldownMinutes, removed',
    { ...withApi({}), cooldownMinutes: 15 },
    'apigw403.cooldownMinutes: was removed: the noise policy decides when a group alerts again (an escalated group after noisePolicy.realertMinutes, a quiet group as new after noisePolicy.quietPeriodMinutes)',
    'Example: "noisePolicy": {"realertMinutes": 60}',
  ],
  [
    'cooldownMinutes 0, removed',
    { ...withApi({}), cooldownMinutes: 0 },
    'apigw403.cooldownMinutes: was removed',
    'Example: "noisePolicy": {"realertMinutes": 60}',
  ],
  [
    'minAlertCount, removed',
    { ...withApi({}), minAlertCount: 5 },
    'apigw403.minAlertCount: was removed: it counted 403s per invocation (a batch size); a group escalates from noisePolicy.escalationMinCount 403s in one noisePolicy.windowMinutes window',
    'Example: "noisePolicy": {"escalationMinCount": 20}',
  ],
  [
    'alarms a list',
    { ...withApi({}), alarms: ['WAF_FILTERED'] },
    'apigw403.alarms: ["WAF_FILTERED"] is not an object',
    'Example: "alarms": {"WAF_FILTERED"',
  ],
  [
    'alarm unknown category',
    { ...withApi({}), alarms: { WAF: { threshold: 1 } } },
    'apigw403.alarms.WAF: is not a category id (one of AUTHORIZER_EXPLICIT_DENY',
    'Example: "alarms": {"WAF_FILTERED"',
  ],
  [
    'alarm client-only category',
    { ...withApi({}), alarms: { INVALID_STAGE: { threshold: 1 } } },
    'apigw403.alarms.INVALID_STAGE: is seen only by clients',
    'Example: "alarms"',
  ],
  [
    'alarm threshold',
    { ...withApi({}), alarms: { WAF_FILTERED: { threshold: 0 } } },
    'apigw403.alarms.WAF_FILTERED.threshold: 0 is not a whole number of 403s',
    'Example: "threshold": 100',
  ],
  [
    'alarm period',
    { ...withApi({}), alarms: { WAF_FILTERED: { threshold: 5, periodMinutes: 0.5 } } },
    'apigw403.alarms.WAF_FILTERED.periodMinutes: 0.5 is not a whole number of minutes',
    'Example: "periodMinutes": 5',
  ],
  [
    'retention',
    { ...withApi({}), logRetentionDays: 10 },
    'apigw403.logRetentionDays: 10 is not a CloudWatch Logs retention',
    'Example: "logRetentionDays": 30',
  ],
  [
    'kms',
    { ...withApi({}), kmsEncryption: 'yes' },
    'apigw403.kmsEncryption: "yes" is not true or false',
    'Example: "kmsEncryption": true',
  ],
  [
    'concurrency',
    { ...withApi({}), reservedConcurrency: 0 },
    'apigw403.reservedConcurrency: 0 is not a whole number from 1 to 1000',
    'Example: "reservedConcurrency": 5 (default null: none reserved)',
  ],
  [
    'webhook key not a KMS key ARN',
    { apis: [api], slack: { webhookSecret: 'hook', webhookSecretKmsKeyArn: 'alias/slack' } },
    'apigw403.slack.webhookSecretKmsKeyArn: "alias/slack" is not a KMS key ARN',
    'Example: "webhookSecretKmsKeyArn": "arn:aws:kms:',
  ],
  [
    'webhook key without a secret',
    {
      apis: [api],
      alertEmails: ['a@example.com'],
      slack: {
        chatbot: { workspaceId: 'T01', channelId: 'C01' },
        webhookSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
    },
    'apigw403.slack.webhookSecretKmsKeyArn: is set without webhookSecret',
    'Example: "slack": {"webhookSecret"',
  ],
  [
    'unknown chatbot key',
    { apis: [api], slack: { chatbot: { workspaceId: 'T01', channelId: 'C01', channel: '#ops' } } },
    'apigw403.slack.chatbot.channel: is not a known key (known: workspaceId, channelId, configurationName)',
    'Example: "chatbot": {"workspaceId"',
  ],
  [
    'filter pattern past 1,024 characters',
    withApi({ responseTypeKey: Array.from({ length: 25 }, (_, i) => `segment${i}`).join('.') }),
    'apigw403.apis[0].responseTypeKey: makes the access-log filter pattern 1',
    'Example: "responseTypeKey": "error.responseType" (or null)',
  ],
  [
    'flat key with a dash',
    withApi({ responseTypeKey: 'error-type' }),
    'apigw403.apis[0].responseTypeKey: "error-type" is not a JSON key path',
    'Example: "responseTypeKey"',
  ],
  [
    'noise policy not an object',
    { ...withApi({}), noisePolicy: 'quiet' },
    'apigw403.noisePolicy: "quiet" is not an object',
    'Example: "noisePolicy": {"categories"',
  ],
  [
    'noise policy unknown key',
    { ...withApi({}), noisePolicy: { quietMinutes: 60 } },
    'apigw403.noisePolicy.quietMinutes: is not a known key (known: windowMinutes, baselineWindows',
    'Example: "noisePolicy"',
  ],
  [
    'a mute rule account that is no account id',
    { ...withApi({}), noisePolicy: { mute: [{ account: '1111', userAgentContains: 'zgrab' }] } },
    'apigw403.noisePolicy.mute[0].account: account must be a 12-digit AWS account id',
    'Example: "111122223333"',
  ],
  [
    'an account-scoped mute rule on a single-account monitor',
    { ...withApi({}), noisePolicy: { mute: [{ account: '111122223333', userAgentContains: 'zgrab' }] } },
    'apigw403.noisePolicy.mute[0].account: scopes a rule to a source account of a central monitor, but mode is "stages"',
    'Example: "mode": "central"',
  ],
  [
    'an override account outside central.sourceAccounts',
    {
      mode: 'central',
      central: { sourceAccounts: ['111111111111'] },
      alertEmails: ['oncall@example.com'],
      noisePolicy: { overrides: [{ account: '222222222222', action: 'ignore' }] },
    },
    'apigw403.noisePolicy.overrides[0].account: "222222222222" is not one of central.sourceAccounts',
    'Example: "111111111111"',
  ],
  [
    'noise policy unknown key in an override',
    { ...withApi({}), noisePolicy: { overrides: [{ stage: 'prod', quiet: 5 }] } },
    'apigw403.noisePolicy.overrides[0].quiet: is not a known key (known: account, apiId, stage, category, action',
    'Example: "noisePolicy"',
  ],
  [
    'noise policy action',
    { ...withApi({}), noisePolicy: { categories: { WAF_FILTERED: { action: 'mute' } } } },
    'apigw403.noisePolicy.categories.WAF_FILTERED.action: "mute" is not one of page, alert, digest, ignore',
    'Example: "digest"',
  ],
  [
    'noise policy category key',
    { ...withApi({}), noisePolicy: { categories: { WAF: { action: 'digest' } } } },
    'apigw403.noisePolicy.categories.WAF: "WAF" is not a category id (docs/403-taxonomy.md)',
    'Example: "WAF_FILTERED"',
  ],
  [
    'noise policy quiet period',
    { ...withApi({}), noisePolicy: { quietPeriodMinutes: 0 } },
    'apigw403.noisePolicy.quietPeriodMinutes: quietPeriodMinutes must be at least 1',
    'Example: 1440',
  ],
  [
    'mute rule without a source',
    { ...withApi({}), noisePolicy: { mute: [{ stage: 'prod' }] } },
    'apigw403.noisePolicy.mute[0]: a mute rule needs sourceIp, userAgentContains, pathPrefix or apiKeyId',
    'Example: { "userAgentContains": "zgrab" }',
  ],
  [
    'mute rule CIDR',
    { ...withApi({}), noisePolicy: { mute: [{ sourceIp: '300.1.1.0/24' }] } },
    'apigw403.noisePolicy.mute[0].sourceIp: sourceIp must be an IP address or CIDR',
    'Example: "203.0.113.0/24"',
  ],
  [
    'digest schedule',
    { ...withApi({}), noisePolicy: { digestSchedule: '0 8 * * *' } },
    'apigw403.noisePolicy.digestSchedule: 0 8 * * *: not an EventBridge Scheduler cron(minutes hours day-of-month month day-of-week year) or rate(value unit) expression',
    'Example: "cron(0 8 * * ? *)"',
  ],
  [
    'digest schedule with both day fields',
    { ...withApi({}), noisePolicy: { digestSchedule: 'cron(0 8 * * * *)' } },
    'apigw403.noisePolicy.digestSchedule: cron(0 8 * * * *): day-of-month and day-of-week cannot both be given',
    'Example: "cron(0 8 * * ? *)"',
  ],
  [
    'digest time zone',
    { ...withApi({}), noisePolicy: { digestTimezone: 'Mars/Olympus' } },
    'apigw403.noisePolicy.digestTimezone: "Mars/Olympus" is not an IANA time zone',
    'Example: "Europe/Paris"',
  ],
  [
    'routes not a list',
    { ...withApi({}), routes: { name: 'x' } },
    'apigw403.routes: {"name":"x"} is not a list of routes',
    'Example: [{"name": "payments-oncall"',
  ],
  [
    'route without a destination',
    { ...withApi({}), routes: [{ name: 'payments' }] },
    'apigw403.routes[0]: has no destination: give emails and/or slack (webhookSecret, chatbot)',
    'Example: {"name": "payments-oncall"',
  ],
  [
    'route name',
    { ...withApi({}), routes: [{ name: 'pay ments', emails: ['p@example.com'] }] },
    'apigw403.routes[0].name: must be 1 to 64 letters, digits or -',
    'Example: {"name"',
  ],
  [
    'route name twice',
    {
      ...withApi({}),
      routes: [
        { name: 'pay', emails: ['p@example.com'] },
        { name: 'pay', emails: ['q@example.com'] },
      ],
    },
    'apigw403.routes[1].name: names routes[0] already',
    'Example: {"name"',
  ],
  [
    'route match key',
    { ...withApi({}), routes: [{ name: 'pay', match: { api: 'a1b2c3d4e5' }, emails: ['p@example.com'] }] },
    'apigw403.routes[0].match.api: is not a known key (known: apiId, stage, category, severity, action, kind, account)',
    'Example: "match": {"stage"',
  ],
  [
    'route match severity',
    { ...withApi({}), routes: [{ name: 'pay', match: { severity: ['urgent'] }, emails: ['p@example.com'] }] },
    'apigw403.routes[0].match.severity[0]: "urgent" is not a severity (critical, high, medium, low)',
    'Example: "critical"',
  ],
  [
    'route match action digest',
    { ...withApi({}), routes: [{ name: 'pay', match: { action: 'digest' }, emails: ['p@example.com'] }] },
    'apigw403.routes[0].match.action: "digest" is not an action that publishes (page, alert)',
    'Example: "page"',
  ],
  [
    'route match empty list',
    { ...withApi({}), routes: [{ name: 'pay', match: { stage: [] }, emails: ['p@example.com'] }] },
    'apigw403.routes[0].match.stage: is an empty list, which nothing matches',
    'Example: {"name"',
  ],
  [
    'two routes with one e-mail (any case)',
    {
      ...withApi({}),
      routes: [
        { name: 'pay', match: { stage: 'prod' }, emails: ['oncall@example.com'] },
        { name: 'digests', match: { kind: 'digest' }, emails: ['OnCall@example.com'] },
      ],
    },
    'apigw403.routes[1].emails[0]: route "digests" gives "OnCall@example.com", which route "pay" (routes[0]) gives already: SNS keeps one subscription per address and topic, with one filter policy, so give it to one route',
    'Example: {"name"',
  ],
  [
    'a route with an alertEmails address',
    {
      ...withApi({}),
      alertEmails: ['ops@example.com'],
      routes: [{ name: 'pay', match: { stage: 'prod' }, emails: ['ops@example.com'] }],
    },
    'apigw403.routes[0].emails[0]: route "pay" gives "ops@example.com", which the top-level alertEmails gives already (every message reaches it): remove it here',
    'Example: {"name"',
  ],
  [
    'an alertEmails address twice',
    { ...withApi({}), alertEmails: ['ops@example.com', 'ops@example.com'] },
    'apigw403.alertEmails[1]: the top level gives "ops@example.com", which the top-level alertEmails gives already',
    'Example: {"name"',
  ],
  [
    'two routes with one Slack webhook',
    {
      ...withApi({}),
      routes: [
        { name: 'pay', match: { stage: 'prod' }, slack: { webhookSecret: 'hooks/pay' } },
        { name: 'all', slack: { webhookSecret: 'hooks/pay' } },
      ],
    },
    'apigw403.routes[1].slack.webhookSecret: route "all" gives Slack webhook secret "hooks/pay", which route "pay" (routes[0]) gives already: a message both routes match would be posted twice',
    'Example: {"name"',
  ],
  [
    'a route with the top-level Chatbot channel',
    {
      ...withApi({}),
      slack: { chatbot: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF' } },
      routes: [
        {
          name: 'pay',
          match: { stage: 'prod' },
          slack: { chatbot: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF' } },
        },
      ],
    },
    'apigw403.routes[0].slack.chatbot: route "pay" gives AWS Chatbot channel T0123ABCD/C0123ABCDEF, which the top-level slack.chatbot gives already',
    'Example: {"name"',
  ],
  [
    'a route stage shaped like a credential',
    {
      ...withApi({}),
      routes: [
        {
          name: 'pay',
          match: { stage: 'ghp_0123456789abcdefghijABCDEFGHIJ012345' },
          emails: ['p@example.com'],
        },
      ],
    },
    'apigw403.routes[0].match.stage: "ghp_0123456789abcdefghijABCDEFGHIJ012345" looks like a credential, which alerts carry redacted, so no message names it',
    'Example: "prod"',
  ],
  [
    'route over the SNS combinations',
    {
      ...withApi({}),
      routes: [
        {
          name: 'pay',
          match: {
            category: ['WAF_FILTERED', 'INVALID_API_KEY', 'ROUTE_NOT_FOUND', 'AUTHORIZER_EXPLICIT_DENY'],
            severity: ['critical', 'high', 'medium', 'low'],
            stage: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
          },
          emails: ['p@example.com'],
        },
      ],
    },
    'apigw403.routes[0].match: makes 160 value combinations, over the 150 SNS accepts',
    'Example: {"name"',
  ],
  [
    'route with a Slack destination over five attributes',
    {
      ...withApi({}),
      routes: [
        {
          name: 'pay',
          match: {
            stage: 'prod',
            category: 'WAF_FILTERED',
            severity: 'high',
            kind: 'alert',
            account: '111111111111',
          },
          slack: { webhookSecret: 'apigw-403-monitor/payments' },
        },
      ],
    },
    'apigw403.routes[0].match: makes a filter policy of 6 attributes, over the 5 SNS accepts (a Slack or Chatbot destination adds apiId)',
    'Example: {"name"',
  ],
  [
    'route Chatbot channel without its channel id',
    {
      ...withApi({}),
      routes: [{ name: 'pay', slack: { webhookSecret: 'hook', chatbot: { workspaceId: 'T1' } } }],
    },
    'apigw403.routes[0].slack.chatbot.channelId: a missing value is not a Slack channel id',
    'Example: "channelId": "C0123ABCDEF"',
  ],
  [
    'route Slack with neither a webhook nor a channel',
    { ...withApi({}), routes: [{ name: 'pay', emails: ['p@example.com'], slack: {} }] },
    'apigw403.routes[0].slack: sets neither webhookSecret nor chatbot',
    'Example: "slack"',
  ],
  [
    'stack name',
    { ...withApi({}), stackName: '1stack' },
    'apigw403.stackName: "1stack" is not a CloudFormation stack name',
    'Example: "stackName": "Apigw403Monitor"',
  ],
];

describe('account-scoped noise policy', () => {
  it('a central monitor takes a mute rule and an override naming one of its source accounts', () => {
    const result = parseConfig({
      mode: 'central',
      central: { sourceAccounts: ['111111111111', '222222222222'] },
      alertEmails: ['oncall@example.com'],
      noisePolicy: {
        mute: [{ account: '222222222222', userAgentContains: 'zgrab' }],
        overrides: [{ account: '111111111111', apiId: 'a1b2c3d4e5', action: 'digest' }],
      },
    });
    expect(result.ok ? result.config.noisePolicy.mute?.[0]?.account : result.errors).toBe('222222222222');
  });
});

describe('bad contexts', () => {
  it.each(BAD)('%s', (_label, context, message, example) => {
    const result = parseConfig(context);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
    expect(errors[0]).toContain(example);
    expect(errors[0]?.startsWith(`${CONTEXT_KEY}`)).toBe(true);
  });

  it('reports every problem at once, not the first only', () => {
    const result = parseConfig({
      apis: [
        { restApiId: 'bad', stage: 'prod', accessLogGroup: '/g' },
        { ...api, accessLogFormat: 'xml' },
      ],
      alertEmails: ['nope'],
      cooldownMinutes: -5,
    });
    expect(result.ok ? [] : result.errors.map((error) => error.split(':')[0])).toEqual([
      'apigw403.apis[0].restApiId',
      'apigw403.apis[1].accessLogFormat',
      'apigw403.alertEmails[0]',
      'apigw403.cooldownMinutes',
    ]);
  });

  it('shows the whole example when the object is missing', () => {
    const result = parseConfig(undefined);
    expect(result.ok ? '' : result.errors[0]).toContain(JSON.stringify({ [CONTEXT_KEY]: EXAMPLE_CONTEXT }));
  });
});
