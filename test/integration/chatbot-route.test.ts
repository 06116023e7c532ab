/**
 * A route to an AWS Chatbot channel on the real parts: the monitor publishes to the alert topic
 * (fauxqs), the relay's subscription (a queue standing in for the Lambda protocol, with the filter
 * policy the synthesized template gives it) feeds the real relay handler, the relay publishes to the
 * route's topic, and a queue subscribed to that topic stands in for Chatbot's HTTPS subscription.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { SNSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deliverToLambda,
  messageForProtocol,
  receiveAll,
  type SnsEnvelope,
  snsEventFor,
} from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { parseConfig } from '../../lib/config.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';
import { scheduledDigest, useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';
import { ofType } from '../infra/template-json.js';

const API = 'c4a7b0a11e';
const group = (stage: string) => `/aws/apigateway/${API}/${stage}`;
const peers = useMonitorPeers(
  ['prod', 'test'].map((stage) => ({
    apiId: API,
    stage,
    accessLogGroup: group(stage),
    executionLogs: false,
  })),
);
const NOW = Date.UTC(2026, 11, 1, 7, 30);
let relayQueue = '';
let chatbotQueue = '';
let routeTopicArn = '';
let relay: (event: SNSEvent) => Promise<void>;
/** The prod alert as the monitor published it to the alert topic. */
let original: SnsEnvelope | undefined;

beforeAll(async () => {
  // The relay's subscription as the template has it: the route's match, and only monitor messages.
  const config = parseConfig({
    apis: [{ restApiId: API, stage: 'prod', accessLogGroup: group('prod') }],
    routes: [
      {
        name: 'prod-chat',
        match: { stage: 'prod' },
        slack: { chatbot: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF' } },
      },
    ],
  });
  if (!config.ok) throw new Error(config.errors.join('\n'));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const json = Template.fromStack(new Apigw403MonitorStack(app, 'Chat', { config: config.config })).toJSON();
  const [, subscription] =
    ofType(json, 'AWS::SNS::Subscription').find(([, sub]) =>
      JSON.stringify(sub.Properties.Endpoint).includes('ChatbotRelay'),
    ) ?? [];
  expect(subscription?.Properties.FilterPolicy).toEqual({ stage: ['prod'], apiId: [{ exists: true }] });

  const { fauxqs } = peers.local;
  relayQueue = fauxqs.createQueue('chatbot-relay-in').queueUrl;
  fauxqs.subscribe({
    topic: 'apigw-403-alerts',
    queue: 'chatbot-relay-in',
    attributes: { FilterPolicy: JSON.stringify(subscription?.Properties.FilterPolicy) },
  });
  routeTopicArn = fauxqs.createTopic('route-prod-chat').topicArn;
  chatbotQueue = fauxqs.createQueue('chatbot-channel').queueUrl;
  fauxqs.subscribe({ topic: 'route-prod-chat', queue: 'chatbot-channel' });
  ({ handler: relay } = await import('../../lambda/chatbot-relay.js'));
});

/** Runs `work` as the relay is deployed: its own function, whose TOPIC_ARN is `topicArn`. */
async function asRelay<T>(topicArn: string, work: () => Promise<T>): Promise<T> {
  const alertTopic = process.env[MONITOR_ENV.topicArn];
  process.env[MONITOR_ENV.topicArn] = topicArn;
  try {
    return await work();
  } finally {
    process.env[MONITOR_ENV.topicArn] = alertTopic;
  }
}

/** What the relay's subscription holds, delivered to the relay as SNS would invoke it. */
const relayed = () => asRelay(routeTopicArn, () => deliverToLambda(peers.sqs, relayQueue, relay));

const deliver = (stage: string, count: number) =>
  peers.createHandler({ now: () => NOW, metrics: () => {} })(
    subscriptionEvent(
      logsDocument(
        group(stage),
        Array.from({ length: count }, (_, i) => ({
          timestamp: NOW - 60_000 + i,
          message: wafAccessLine(
            API,
            stage,
            `c4a70000-0000-4000-8000-${stage === 'prod' ? 1 : 2}${String(i).padStart(11, '0')}`,
          ),
        })),
      ),
    ),
  );

describe('a route to an AWS Chatbot channel', () => {
  it("reaches the channel with the route's messages only, rendered as the monitor rendered them", async () => {
    await deliver('prod', 3);
    await deliver('test', 2);
    const all = await receiveAll(peers.sqs, peers.local.queueUrls.all);
    expect(all.map((m) => m.envelope.MessageAttributes?.stage?.Value).sort()).toEqual(['prod', 'test']);

    expect(await relayed()).toBe(1);
    const channel = await receiveAll(peers.sqs, chatbotQueue);
    expect(channel).toHaveLength(1);
    original = all.find((m) => m.envelope.MessageAttributes?.stage?.Value === 'prod')?.envelope;
    const [received] = channel;
    // What Chatbot's HTTPS subscription gets: the custom notification, the same as on the alert topic.
    const notification = JSON.parse(messageForProtocol(received?.envelope.Message ?? '{}', 'https'));
    expect(notification).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
    });
    expect(received?.envelope.Message).toBe(original?.Message);
    expect(received?.envelope.Subject).toBe(original?.Subject);
    expect(received?.envelope.MessageAttributes).toEqual(original?.MessageAttributes);
  });

  it("relays the stage's digest too (a digest carries stage and apiId)", async () => {
    await scheduledDigest(peers, '2026-12-01T08:00:00Z', Date.UTC(2026, 11, 1, 8));
    expect(await relayed()).toBe(1);
    const [digest] = await receiveAll(peers.sqs, chatbotQueue);
    expect(digest?.envelope.MessageAttributes).toMatchObject({
      kind: { Value: 'digest' },
      stage: { Value: 'prod' },
    });
    expect(JSON.parse(messageForProtocol(digest?.envelope.Message ?? '{}', 'https'))).toMatchObject({
      version: '1.0',
    });
  });

  it('leaves what is not a monitor message, and throws when the route topic refuses, so SNS retries', async () => {
    const sns = new SNSClient({});
    await sns.send(
      new PublishCommand({
        TopicArn: peers.local.topicArn,
        Message: JSON.stringify({ default: 'hand-written <!channel>' }),
        MessageStructure: 'json',
        MessageAttributes: {
          apiId: { DataType: 'String', StringValue: API },
          stage: { DataType: 'String', StringValue: 'prod' },
        },
      }),
    );
    expect(await relayed()).toBe(1);
    expect(await receiveAll(peers.sqs, chatbotQueue)).toEqual([]);

    // The prod alert again, as the monitor published it.
    await sns.send(
      new PublishCommand({
        TopicArn: peers.local.topicArn,
        Subject: original?.Subject ?? '',
        Message: original?.Message ?? '',
        MessageStructure: 'json',
        MessageAttributes: Object.fromEntries(
          Object.entries(original?.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value.Value },
          ]),
        ),
      }),
    );
    const [pending] = await receiveAll(peers.sqs, relayQueue);
    const event = snsEventFor(
      pending?.envelope ?? ({} as SnsEnvelope),
      'arn:aws:sns:us-east-1:000000000000:relay',
    );
    await expect(asRelay(`${routeTopicArn}-gone`, () => relay(event))).rejects.toThrow(
      /publishing the alert/,
    );
    expect(await receiveAll(peers.sqs, chatbotQueue)).toEqual([]);
    // SNS retries the invocation (then the on-failure destination keeps it): the retry reaches the channel.
    await asRelay(routeTopicArn, () => relay(event));
    expect(await receiveAll(peers.sqs, chatbotQueue)).toHaveLength(1);
  });
});
