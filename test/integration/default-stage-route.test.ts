/**
 * A route that names a stage receives that stage's alerts on the real SNS peer (fauxqs), with the
 * filter policy the stack synthesizes: an HTTP API's `$default` as much as a REST API's `prod`
 * (attack finding 01: `$default` was published as `-default`, so its route never matched).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { parseConfig } from '../../lib/config.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';
import { ofType } from '../infra/template-json.js';

/** One watched stage per row, each with a route that matches only it. */
const ROWS = [
  {
    api: { httpApiId: 'f6g7h8i9j0' },
    apiId: 'f6g7h8i9j0',
    stage: '$default',
    group: '/aws/apigateway/f6g7h8i9j0/default',
  },
  {
    api: { restApiId: 'a1b2c3d4e5' },
    apiId: 'a1b2c3d4e5',
    stage: 'prod',
    group: '/aws/apigateway/a1b2c3d4e5/prod',
  },
] as const;
const routeOf = (stage: string) => `stage-${stage.replace('$', '')}`;

const peers = useMonitorPeers(
  ROWS.map((row) => ({
    apiId: row.apiId,
    stage: row.stage,
    accessLogGroup: row.group,
    executionLogs: false,
  })),
);
const NOW = Date.UTC(2026, 11, 1, 7, 30);
const routeQueues = new Map<string, string>();

beforeAll(async () => {
  const config = parseConfig({
    apis: ROWS.map((row) => ({ ...row.api, stage: row.stage, accessLogGroup: row.group })),
    routes: ROWS.map((row) => ({
      name: routeOf(row.stage),
      match: { stage: [row.stage] },
      emails: [`${routeOf(row.stage)}@example.com`],
    })),
  });
  if (!config.ok) throw new Error(config.errors.join('\n'));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const json = Template.fromStack(
    new Apigw403MonitorStack(app, 'Stages', { config: config.config }),
  ).toJSON();
  const policies = ofType(json, 'AWS::SNS::Subscription').flatMap(([, sub]) =>
    sub.Properties.FilterPolicy ? [sub.Properties.FilterPolicy as Record<string, unknown>] : [],
  );
  const { fauxqs } = peers.local;
  for (const row of ROWS) {
    const policy = policies.filter((candidate) =>
      JSON.stringify(candidate).includes(JSON.stringify(row.stage)),
    );
    expect(policy, row.stage).toHaveLength(1);
    const queue = routeOf(row.stage);
    routeQueues.set(row.stage, fauxqs.createQueue(queue).queueUrl);
    fauxqs.subscribe({
      topic: 'apigw-403-alerts',
      queue,
      attributes: { FilterPolicy: JSON.stringify(policy[0]) },
    });
  }
  const handler = peers.createHandler({ now: () => NOW, metrics: () => {} });
  for (const [index, row] of ROWS.entries()) {
    const line = wafAccessLine(row.apiId, row.stage, `00000000-0000-4000-8000-00000000000${index}`);
    await handler(subscriptionEvent(logsDocument(row.group, [{ timestamp: NOW - 1_000, message: line }])));
  }
});

describe.each(ROWS)('stage $stage', (row) => {
  it('keeps its name in the alert and reaches the route that names it, and only that one', async () => {
    const routed = await receiveAll(peers.sqs, routeQueues.get(row.stage) ?? '');
    expect(routed.map((message) => message.envelope.MessageAttributes?.stage?.Value)).toEqual([row.stage]);
    expect(routed[0]?.envelope.MessageAttributes?.apiId?.Value).toBe(row.apiId);
  });
});
