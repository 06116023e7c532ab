/**
 * Routes become SNS subscriptions with filter policies on the message attributes: the template holds
 * them, and the same policies, given to SNS (fauxqs on 127.0.0.1), deliver each message where the
 * README says. Bundling is skipped: these templates are read for their subscriptions.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_ENV, LOCAL_REGION } from '../../cli/peers/http-peer.js';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { FORWARDER_ENV, MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { Apigw403Monitor } from '../../lib/apigw-403-monitor.js';
import { parseConfig } from '../../lib/config.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';
import { type RouteMatch, routesOverlap } from '../../lib/routes.js';
import { type Json, ofType } from './template-json.js';

const REST = { restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod' };
const CONTEXT = {
  apis: [REST, { ...REST, stage: 'test', accessLogGroup: '/aws/apigateway/a1b2c3d4e5/test' }],
  alertEmails: ['everything@example.com'],
  slack: { webhookSecret: 'apigw-403-monitor/slack-webhook' },
  routes: [
    {
      name: 'prod-urgent',
      match: { stage: 'prod', severity: ['critical', 'high'] },
      emails: ['prod-oncall@example.com'],
      slack: { webhookSecret: 'apigw-403-monitor/prod-oncall' },
    },
    { name: 'pages', match: { action: 'page' }, emails: ['pager@example.com'] },
    { name: 'digests', match: { kind: 'digest' }, emails: ['digests@example.com'] },
    { name: 'copy', emails: ['audit@example.com'] },
    {
      name: 'test-chat',
      match: { stage: 'test' },
      slack: { chatbot: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF' } },
    },
  ],
};

let json: Json;

beforeAll(() => {
  const result = parseConfig(CONTEXT);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  json = Template.fromStack(new Apigw403MonitorStack(app, 'Routes', { config: result.config })).toJSON();
});

/** Each subscription as `protocol endpoint`, with its filter policy. */
function subscriptions(): Map<string, Json | undefined> {
  const forwarderOf = (ref: Json) => String(ref['Fn::GetAtt']?.[0] ?? '');
  return new Map(
    ofType(json, 'AWS::SNS::Subscription').map(([, sub]) => {
      const endpoint =
        sub.Properties.Protocol === 'lambda' ? forwarderOf(sub.Properties.Endpoint) : sub.Properties.Endpoint;
      return [`${sub.Properties.Protocol} ${endpoint}`, sub.Properties.FilterPolicy];
    }),
  );
}

const forwarderId = (name: string) =>
  ofType(json, 'AWS::Lambda::Function').find(([id]) => id.startsWith(name))?.[0] ?? `none:${name}`;

describe('the template', () => {
  it('subscribes every route destination with its filter policy, and the defaults without one', () => {
    const subs = subscriptions();
    expect(Object.fromEntries(subs)).toEqual({
      'email everything@example.com': undefined,
      [`lambda ${forwarderId('MonitorSlackForwarderFunction')}`]: undefined,
      'email prod-oncall@example.com': { stage: ['prod'], severity: ['critical', 'high'] },
      [`lambda ${forwarderId('MonitorRouteprodurgentSlackForwarderFunction')}`]: {
        stage: ['prod'],
        severity: ['critical', 'high'],
        apiId: [{ exists: true }],
      },
      'email pager@example.com': { action: ['page'] },
      'email digests@example.com': { kind: ['digest'] },
      'email audit@example.com': undefined,
      [`lambda ${forwarderId('MonitorRoutetestchatChatbotRelayFunction')}`]: {
        stage: ['test'],
        apiId: [{ exists: true }],
      },
    });
  });

  it('gives a Chatbot route a topic of its own, a relay that may publish there only, and the channel on it', () => {
    const [topicId] =
      ofType(json, 'AWS::SNS::Topic').find(([id]) => id.startsWith('MonitorRoutetestchatChatbotTopic')) ?? [];
    const [alertTopicId] =
      ofType(json, 'AWS::SNS::Topic').find(([id]) => id.startsWith('MonitorAlertTopic')) ?? [];
    expect(topicId).toBeDefined();
    // The channel subscribes the route's topic; the top-level channel (none here) would keep the alert topic.
    const channels = ofType(json, 'AWS::Chatbot::SlackChannelConfiguration');
    expect(channels.map(([, channel]) => channel.Properties.SnsTopicArns)).toEqual([[{ Ref: topicId }]]);
    expect(JSON.stringify(channels[0]?.[1].Properties.ConfigurationName)).toContain('-test-chat');
    expect(channels[0]?.[1].Properties.GuardrailPolicies).toHaveLength(1);
    // Nothing subscribes the route's topic but Chatbot (which subscribes itself): no filterless copy elsewhere.
    expect(
      ofType(json, 'AWS::SNS::Subscription').filter(([, sub]) => sub.Properties.TopicArn?.Ref === topicId),
    ).toEqual([]);
    // TLS only, like the alert topic.
    const policies = ofType(json, 'AWS::SNS::TopicPolicy').filter(([, policy]) =>
      JSON.stringify(policy.Properties.Topics).includes(String(topicId)),
    );
    expect(JSON.stringify(policies)).toContain('aws:SecureTransport');
    const relayId = forwarderId('MonitorRoutetestchatChatbotRelayFunction');
    const relay = json.Resources[relayId];
    expect(relay.Properties.Environment.Variables[MONITOR_ENV.topicArn]).toEqual({ Ref: topicId });
    const statements = ofType(json, 'AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties.Roles).includes('RoutetestchatChatbotRelay'))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[]);
    // Besides its own logs and the failure queue (every function's), the route's topic only.
    expect(statements.filter((s) => s.Sid !== 'WriteOwnLogs' && s.Sid !== 'SendToFailureQueue')).toEqual([
      { Sid: 'PublishToRouteTopic', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId } },
    ]);
    expect(JSON.stringify(statements)).not.toContain(String(alertTopicId));
  });

  it("gives a route's forwarder its own secret only", () => {
    const fn = json.Resources[forwarderId('MonitorRouteprodurgentSlackForwarderFunction')];
    expect(JSON.stringify(fn.Properties.Environment.Variables[FORWARDER_ENV.webhookSecretArn])).toContain(
      'apigw-403-monitor/prod-oncall',
    );
    const grants = ofType(json, 'AWS::IAM::Policy')
      .filter(([, policy]) =>
        JSON.stringify(policy.Properties.Roles).includes('RouteprodurgentSlackForwarder'),
      )
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[])
      .filter((statement) => statement.Sid === 'ReadWebhookSecret');
    expect(JSON.stringify(grants)).toContain('prod-oncall');
    expect(JSON.stringify(grants)).not.toContain('slack-webhook');
  });
});

describe('routesOverlap (whether one message can match two routes)', () => {
  it.each<[RouteMatch | undefined, RouteMatch | undefined, boolean]>([
    [undefined, { stage: ['prod'] }, true],
    [{ stage: ['prod'] }, { stage: ['test'] }, false],
    [{ stage: ['prod', 'test'] }, { stage: ['test'] }, true],
    [{ stage: ['prod'] }, { severity: ['high'] }, true],
    [{ kind: ['digest'] }, { severity: ['high'] }, false],
    [{ kind: ['digest'] }, { category: ['WAF_FILTERED'] }, false],
    [{ kind: ['digest'] }, { action: ['page'] }, false],
    [{ kind: ['digest', 'alert'] }, { action: ['page'] }, true],
    [{ kind: ['digest'] }, { stage: ['prod'] }, true],
    [{ kind: ['alert'] }, { kind: ['digest'] }, false],
    [{ apiId: ['a1b2c3d4e5'], stage: ['prod'] }, { apiId: ['b2c3d4e5f6'] }, false],
  ])('%j and %j: %s', (a, b, expected) => {
    expect(routesOverlap(a, b)).toBe(expected);
    expect(routesOverlap(b, a)).toBe(expected);
  });
});

describe('the construct', () => {
  const build = (props: Partial<ConstructorParameters<typeof Apigw403Monitor>[2]>) => () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    new Apigw403Monitor(stack, 'M', {
      watchedStages: [{ apiId: 'a1b2c3d4e5', stageName: 'prod', executionLogs: true }],
      ...props,
    });
  };

  it('refuses a route without a destination, a bad name and a policy SNS would reject, in one message', () => {
    expect(
      build({ routes: [{ name: 'a b' }, { name: 'x', emails: ['x@example.com'], match: { stage: [] } }] }),
    ).toThrow(
      'M: routes[0]: name: must be 1 to 64 letters, digits or -; routes[0]: route: has no destination: give emails and/or slack (webhookSecret, chatbot); routes[1]: match.stage: is an empty list, which nothing matches',
    );
  });

  it("refuses a destination two routes give, or a route gives beside the defaults, in CDK's stead", () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    const hook = secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'hook');
    const other = secretsmanager.Secret.fromSecretNameV2(stack, 'Other', 'other-hook');
    const channel = { slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCDEF' };
    const build = () =>
      new Apigw403Monitor(stack, 'M', {
        watchedStages: [{ apiId: 'a1b2c3d4e5', stageName: 'prod', executionLogs: true }],
        alertEmails: ['ops@example.com'],
        chatbotSlackChannel: channel,
        routes: [
          {
            name: 'pay',
            match: { stage: ['prod'] },
            emails: ['pay@example.com'],
            slackWebhookSecret: hook,
          },
          { name: 'digests', match: { kind: ['digest'] }, emails: ['pay@example.com', 'ops@example.com'] },
          { name: 'hooks', slackWebhookSecret: hook, chatbotSlackChannel: channel },
          // Digests and prod alerts never meet in one message: one webhook may have both.
          {
            name: 'prod-alerts',
            match: { stage: ['prod'], severity: ['high'] },
            slackWebhookSecret: other,
          },
          { name: 'prod-digests', match: { stage: ['prod'], kind: ['digest'] }, slackWebhookSecret: other },
        ],
      });
    expect(build).toThrow(
      new Error(
        [
          'Default/M: routes[1].emails[0]: route "digests" gives "pay@example.com", which route "pay" (routes[0]) gives already: SNS keeps one subscription per address and topic, with one filter policy, so give it to one route (or use another address, e.g. a +tag alias)',
          'routes[1].emails[1]: route "digests" gives "ops@example.com", which the top-level alertEmails gives already (every message reaches it): remove it here',
          'routes[2].slackWebhookSecret: route "hooks" gives Slack webhook secret Default/S, which route "pay" (routes[0]) gives already: a message both routes match would be posted twice, so give it to one route, or match no message in both',
          'routes[2].chatbotSlackChannel: route "hooks" gives AWS Chatbot channel T0123ABCD/C0123ABCDEF, which the top-level chatbotSlackChannel gives already (every message reaches it): remove it here',
        ].join('; '),
      ),
    );
  });

  it('refuses a Slack route over the five filter attributes SNS allows', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'hook');
    expect(
      () =>
        new Apigw403Monitor(stack, 'M', {
          watchedStages: [{ apiId: 'a1b2c3d4e5', stageName: 'prod', executionLogs: true }],
          routes: [
            {
              name: 'wide',
              slackWebhookSecret: secret,
              match: {
                stage: ['prod'],
                category: ['WAF_FILTERED'],
                severity: ['high'],
                kind: ['alert'],
                account: ['111111111111'],
              },
            },
          ],
        }),
    ).toThrow('routes[0]: match: makes a filter policy of 6 attributes, over the 5 SNS accepts');
  });

  it('refuses a noise policy the functions could not read, or one past their environment', () => {
    expect(build({ noisePolicy: { windowMinutes: 0 } })).toThrow(
      'M: noisePolicy: windowMinutes: windowMinutes must be at least 1',
    );
    const mute = Array.from({ length: 100 }, (_, i) => ({
      userAgentContains: `scanner-${i}`,
      reason: 'x'.repeat(20),
    }));
    expect(build({ noisePolicy: { mute } })).toThrow(/M: noisePolicy is \d+ bytes as JSON, over the 2500/);
  });

  it("refuses a rule scoped to an account that the construct's groups can never carry, as the context does", () => {
    const rule = { account: '222222222222', userAgentContains: 'scanner', reason: 'our scanner' };
    expect(build({ noisePolicy: { mute: [rule] } })).toThrow(
      /M: noisePolicy\.mute\.0\.account: scopes a rule to a source account of a central monitor, but mode is "stages"/,
    );
    const central = { sourceAccounts: ['111111111111'] };
    expect(
      build({
        centralIngest: central,
        noisePolicy: { overrides: [{ account: rule.account, stage: 'prod', escalationMinCount: 50 }] },
      }),
    ).toThrow(/M: noisePolicy\.overrides\.0\.account: "222222222222" is not one of central\.sourceAccounts/);
    expect(
      build({ centralIngest: { sourceAccounts: ['222222222222'] }, noisePolicy: { mute: [rule] } }),
    ).not.toThrow();
  });
});

describe('delivery through the filter policies', () => {
  let fauxqs: FauxqsServer;
  let sqs: SQSClient;
  let sns: SNSClient;
  const queues = new Map<string, string>();
  const TOPIC = 'routes-topic';

  beforeAll(async () => {
    Object.assign(process.env, LOCAL_ACCOUNT_ENV);
    fauxqs = await startFauxqs({
      port: 0,
      logger: false,
      host: '127.0.0.1',
      defaultRegion: LOCAL_REGION,
    } as Parameters<typeof startFauxqs>[0]);
    fauxqs.createTopic(TOPIC);
    let index = 0;
    for (const [destination, policy] of subscriptions()) {
      const name = `q${index++}`;
      queues.set(destination, fauxqs.createQueue(name).queueUrl);
      fauxqs.subscribe({
        topic: TOPIC,
        queue: name,
        ...(policy ? { attributes: { FilterPolicy: JSON.stringify(policy) } } : {}),
      });
    }
    const config = { region: LOCAL_REGION, endpoint: fauxqs.address };
    sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
    sns = new SNSClient(config);
  });
  afterAll(async () => {
    await fauxqs?.stop();
  });

  const publish = (label: string, attributes: Record<string, string>) =>
    sns.send(
      new PublishCommand({
        TopicArn: `arn:aws:sns:${LOCAL_REGION}:000000000000:${TOPIC}`,
        Message: label,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );

  it('sends each message to the routes it matches, every message to the default forwarder', async () => {
    const alert = { kind: 'alert', apiId: 'a1b2c3d4e5', category: 'WAF_FILTERED', lifecycle: 'new' };
    await publish('prod-high', { ...alert, stage: 'prod', severity: 'high', action: 'alert' });
    await publish('prod-page-low', { ...alert, stage: 'prod', severity: 'low', action: 'page' });
    await publish('test-critical', { ...alert, stage: 'test', severity: 'critical', action: 'alert' });
    await publish('digest-prod', { kind: 'digest', apiId: 'a1b2c3d4e5', stage: 'prod' });
    await publish('alarm', {});
    const received: Record<string, string[]> = {};
    for (const [destination, url] of queues) {
      received[destination] = (await receiveAll(sqs, url)).map((m) => m.envelope.Message).sort();
    }
    const all = ['alarm', 'digest-prod', 'prod-high', 'prod-page-low', 'test-critical'];
    expect(received).toEqual({
      'email everything@example.com': all,
      // The default forwarder takes the alarms too: in a Slack-only monitor it is their one destination.
      [`lambda ${forwarderId('MonitorSlackForwarderFunction')}`]: all,
      'email prod-oncall@example.com': ['prod-high'],
      [`lambda ${forwarderId('MonitorRouteprodurgentSlackForwarderFunction')}`]: ['prod-high'],
      'email pager@example.com': ['prod-page-low'],
      'email digests@example.com': ['digest-prod'],
      'email audit@example.com': all,
      [`lambda ${forwarderId('MonitorRoutetestchatChatbotRelayFunction')}`]: ['test-critical'],
    });
  });
});
