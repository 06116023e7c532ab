/**
 * A stage name people give (`feat-AddUserOAuth2Login`, valid in API Gateway and in a route's
 * `match.stage`) reaches the alert as configured, through the real monitor handler on fauxqs and
 * dynalite: the `stage` message attribute a route's filter policy matches, the subscription with that
 * policy, and the stage in the e-mail's checks. The entropy rule of `redact` once made it `-redacted-`.
 */

import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { messageForProtocol, receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

const API = 'a1b2c3d4e5';
const STAGES = ['prod', 'feat-AddUserOAuth2Login', 'SomeLongStageNameWithMixedCase2026'];
const peers = useMonitorPeers(
  STAGES.map((stage) => ({
    apiId: API,
    stage,
    accessLogGroup: `/aws/apigateway/${API}/${stage}`,
    executionLogs: false,
  })),
);
/** One queue per stage, subscribed with the filter policy a route `{"match": {"stage": [stage]}}` gets. */
const routeQueues = new Map<string, string>();

beforeAll(async () => {
  const sns = new SNSClient({});
  for (const [i, stage] of STAGES.entries()) {
    const { QueueUrl } = await peers.sqs.send(new CreateQueueCommand({ QueueName: `route-stage-${i}` }));
    const { Attributes } = await peers.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn: peers.local.topicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: { FilterPolicy: JSON.stringify({ stage: [stage] }) },
      }),
    );
    routeQueues.set(stage, QueueUrl ?? '');
  }
});

describe('a configured stage name reaches its alert and its route as configured', () => {
  it.each(STAGES)('%s', async (stage) => {
    await receiveAll(peers.sqs, peers.local.queueUrls.all);
    const handler = peers.createHandler({ metrics: () => {}, log: () => {} });
    const group = `/aws/apigateway/${API}/${stage}`;
    const line = wafAccessLine(API, stage, `req-${stage.length}-0001`);
    await handler(subscriptionEvent(logsDocument(group, [{ timestamp: Date.now(), message: line }])));
    const [published] = await receiveAll(peers.sqs, peers.local.queueUrls.all);
    expect(published?.envelope.MessageAttributes?.stage?.Value).toBe(stage);
    expect(messageForProtocol(published?.envelope.Message ?? '{}', 'email')).toContain(`/stages/${stage}`);
    const routed = await receiveAll(peers.sqs, routeQueues.get(stage) ?? '');
    expect(routed.map((message) => message.envelope.MessageAttributes?.stage?.Value)).toEqual([stage]);
  });
});
