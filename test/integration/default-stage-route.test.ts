/**
 * A route that names a stage receives that stage's alerts and digests on the real SNS peer (fauxqs),
 * with the filter policy the stack synthesizes: an HTTP API's `$default` and stages with an `_` at a
 * word's edge (`v1_`, `_beta`) as much as a REST API's `prod`. The attributes carry the stage as API
 * Gateway spells it; only the text shows `v1-` (attack finding 01: `$default` was published as
 * `-default`; later `v1_` as `v1-`, so their routes never matched).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { parseConfig } from '../../lib/config.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';
import { scheduledDigest, useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';
import { ofType } from '../infra/template-json.js';

/** One watched stage: its API (REST unless `http`), how the alert text shows it, and its log group. */
const row = (apiId: string, stage: string, shown: string, group = stage, http = false) => ({
  api: http ? { httpApiId: apiId } : { restApiId: apiId },
  ...{ apiId, stage, shown, group: `/aws/apigateway/${apiId}/${group}` },
});

/** One watched stage per row, each with a route that matches only it. */
const ROWS = [
  row('f6g7h8i9j0', '$default', '$default', 'default', true),
  row('a1b2c3d4e5', 'prod', 'prod'),
  row('a1b2c3d4e5', 'v1_', 'v1-'),
  row('b2c3d4e5f6', '_beta', '-beta'),
];
const routeOf = (stage: string) => `stage-${stage.replace(/[^A-Za-z0-9]/g, '')}`;

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
type Received = Awaited<ReturnType<typeof receiveAll>>;
const received = new Map<string, Received>();

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
    expect(policy, row.stage).toEqual([{ stage: [row.stage] }]);
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
  await scheduledDigest(peers, '2026-12-01T08:00:00Z', Date.UTC(2026, 11, 1, 8, 0, 30));
  for (const row of ROWS)
    received.set(row.stage, await receiveAll(peers.sqs, routeQueues.get(row.stage) ?? ''));
});

describe.each(ROWS)('stage $stage', (row) => {
  it('reaches the route that names it, alert and digest, and only that route', () => {
    const routed = received.get(row.stage) ?? [];
    const attributes = routed.map((message) => message.envelope.MessageAttributes ?? {});
    expect(attributes.map((a) => [a.kind?.Value, a.stage?.Value, a.apiId?.Value]).sort()).toEqual([
      ['alert', row.stage, row.apiId],
      ['digest', row.stage, row.apiId],
    ]);
  });

  it(`is shown as ${row.shown} in the text, named as spelled in the view's names`, () => {
    const messages = received.get(row.stage) ?? [];
    expect(messages).toHaveLength(2);
    for (const message of messages) {
      const view = JSON.parse(JSON.parse(message.envelope.Message).default as string);
      expect(view).toMatchObject({ stage: row.shown, names: { apiId: row.apiId, stage: row.stage } });
    }
  });
});
