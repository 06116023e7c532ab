/**
 * Account-wide mode end to end on the loopback peers: the real discovery handler lists the stages of
 * the API Gateway peer (REST GetRestApis/GetStages, v2 GetApis/GetStages, every page) through the SDK,
 * stores the mapping in dynalite and keeps its filters on the CloudWatch Logs peer; the real monitor
 * then reads that mapping, alerts on a discovered stage's 403 and drops, and counts, an unknown group's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayServer } from '../../cli/peers/api-gateway-server.js';
import { CloudWatchLogsServer } from '../../cli/peers/cloudwatch-logs-server.js';
import { type LocalAws, startLocalAws } from '../../cli/peers/local-aws.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { recommendedAccessLogFormat } from '../../lambda/core/access-log-format.js';
import { DEFAULT_FILTER_NAME_PREFIX } from '../../lambda/core/discovery.js';
import { DISCOVERY_ENV, MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { UNWATCHED_GROUP_METRIC } from '../../lambda/core/render/index.js';
import {
  accessLogFilterPattern,
  executionLogFilterPattern,
  patternOptionsFor,
} from '../../lib/filter-patterns.js';
import { wafAccessLine } from '../fixtures/monitor-peers.js';

const MONITOR_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:apigw-403-monitor';
const SIEM_ARN = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/siem';
const groupArn = (name: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${name}`;
const REST_GROUP = '/aws/apigateway/a1b2c3d4e5/prod';
const HTTP_GROUP = '/aws/apigateway/f6g7h8i9j0/default';
const WS_GROUP = '/aws/apigateway/w1s2o3c4k5/prod';
const FULL_GROUP = '/aws/apigateway/full0full0/prod';
const EXECUTION_GROUP = 'API-Gateway-Execution-Logs_a1b2c3d4e5/test';

let apiGateway: ApiGatewayServer;
let logs: CloudWatchLogsServer;
let local: LocalAws;
let discovery: typeof import('../../lambda/discovery-handler.js');
let createHandler: typeof import('../../lambda/handler.js').createHandler;

beforeAll(async () => {
  // Page size 1: every list call of the sweep has to follow its pages.
  apiGateway = await ApiGatewayServer.start({ pageSize: 1 });
  logs = await CloudWatchLogsServer.start();
  local = await startLocalAws({ logsEndpoint: logs.endpoint });
  Object.assign(process.env, local.env, {
    AWS_ENDPOINT_URL_API_GATEWAY: apiGateway.endpoint,
    AWS_ENDPOINT_URL_APIGATEWAYV2: apiGateway.endpoint,
    [DISCOVERY_ENV.monitorArn]: MONITOR_ARN,
    [MONITOR_ENV.accountWide]: 'true',
    [MONITOR_ENV.watchedStages]: '[]',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  apiGateway.addRestApi({ id: 'a1b2c3d4e5' });
  apiGateway.addStage('a1b2c3d4e5', {
    stageName: 'prod',
    accessLogSettings: { destinationArn: groupArn(REST_GROUP), format: recommendedAccessLogFormat('rest') },
  });
  apiGateway.addStage('a1b2c3d4e5', {
    stageName: 'test',
    methodSettings: { '*/*': { loggingLevel: 'INFO' } },
  });
  apiGateway.addStage('a1b2c3d4e5', { stageName: 'quiet' });
  apiGateway.addHttpApi({ apiId: 'f6g7h8i9j0' });
  apiGateway.addHttpStage('f6g7h8i9j0', {
    stageName: '$default',
    accessLogSettings: { destinationArn: groupArn(HTTP_GROUP), format: '$context.requestId $context.status' },
  });
  apiGateway.addHttpApi({ apiId: 'full0full0' });
  apiGateway.addHttpStage('full0full0', {
    stageName: 'prod',
    accessLogSettings: {
      destinationArn: `${groupArn(FULL_GROUP)}:*`,
      format: recommendedAccessLogFormat('http'),
    },
  });
  for (const group of [REST_GROUP, HTTP_GROUP, FULL_GROUP, EXECUTION_GROUP, WS_GROUP])
    logs.createLogGroup(group);
  logs.putSubscriptionFilter(HTTP_GROUP, 'siem', '', SIEM_ARN);
  logs.putSubscriptionFilter(FULL_GROUP, 'siem', '', SIEM_ARN);
  logs.putSubscriptionFilter(FULL_GROUP, 'archive', '', SIEM_ARN);
  // Named like ours but delivering elsewhere (another stack's): not ours either.
  logs.putSubscriptionFilter(REST_GROUP, `${DEFAULT_FILTER_NAME_PREFIX}`, '', SIEM_ARN);
  discovery = await import('../../lambda/discovery-handler.js');
  ({ createHandler } = await import('../../lambda/handler.js'));
});

afterAll(async () => {
  await local?.stop();
  await logs?.close();
  await apiGateway?.close();
});

const filtersOf = async (group: string) => {
  const { DescribeSubscriptionFiltersCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const { logsClient } = await import('../../lambda/adapters/clients.js');
  const page = await logsClient().send(new DescribeSubscriptionFiltersCommand({ logGroupName: group }));
  return (page.subscriptionFilters ?? []).map(({ filterName, destinationArn, filterPattern }) => ({
    filterName,
    destinationArn,
    filterPattern,
  }));
};

const runSweep = () =>
  discovery.sweep({ config: discovery.discoveryConfig(), now: Date.now, log: () => undefined });

describe('the discovery sweep on the peers', () => {
  it('maps every REST and HTTP stage that logs, subscribes each group once, and leaves foreign filters alone', async () => {
    const summary = await runSweep();
    expect(summary).toMatchObject({ stages: 4, stored: true, full: [FULL_GROUP], missing: [] });
    // A foreign filter holds the prefix name: ours takes another (the same name would replace it).
    expect(await filtersOf(REST_GROUP)).toEqual([
      { filterName: DEFAULT_FILTER_NAME_PREFIX, destinationArn: SIEM_ARN, filterPattern: '' },
      {
        filterName: `${DEFAULT_FILTER_NAME_PREFIX}-1`,
        destinationArn: MONITOR_ARN,
        filterPattern: accessLogFilterPattern(patternOptionsFor(recommendedAccessLogFormat('rest'))),
      },
    ]);
    expect(await filtersOf(HTTP_GROUP)).toEqual([
      { filterName: DEFAULT_FILTER_NAME_PREFIX, destinationArn: MONITOR_ARN, filterPattern: '"403"' },
      { filterName: 'siem', destinationArn: SIEM_ARN, filterPattern: '' },
    ]);
    expect(await filtersOf(EXECUTION_GROUP)).toEqual([
      {
        filterName: DEFAULT_FILTER_NAME_PREFIX,
        destinationArn: MONITOR_ARN,
        filterPattern: executionLogFilterPattern(),
      },
    ]);
    expect((await filtersOf(FULL_GROUP)).map((filter) => filter.filterName).sort()).toEqual([
      'archive',
      'siem',
    ]);
    expect(apiGateway.requestsFor('GetRestApis').length).toBeGreaterThan(0);
    expect(apiGateway.requestsFor('GetApis').length).toBeGreaterThan(1);
  });
});

describe('stages that appear and disappear', () => {
  it('picks up a new stage on the next sweep and removes only its own filter when a stage is deleted', async () => {
    const NEW_GROUP = '/aws/apigateway/n1e2w3a4p5/prod';
    apiGateway.addHttpApi({ apiId: 'n1e2w3a4p5', protocolType: 'WEBSOCKET' });
    apiGateway.addHttpStage('n1e2w3a4p5', {
      stageName: 'prod',
      accessLogSettings: {
        destinationArn: groupArn(NEW_GROUP),
        format: '{"requestId":"$context.requestId","status":"$context.status"}',
      },
    });
    logs.createLogGroup(NEW_GROUP);
    logs.putSubscriptionFilter(NEW_GROUP, 'siem', '', SIEM_ARN);
    expect(await runSweep()).toMatchObject({ stages: 5, created: 1, removed: 0 });
    expect((await filtersOf(NEW_GROUP)).map((filter) => filter.destinationArn)).toEqual([
      MONITOR_ARN,
      SIEM_ARN,
    ]);
    const { readMapping } = await import('../../lambda/adapters/discovery-store.js');
    const { dynamoClient } = await import('../../lambda/adapters/clients.js');
    const mapping = await readMapping(dynamoClient(), local.env[MONITOR_ENV.stateTableName] ?? '');
    expect(mapping?.stages).toContainEqual({
      kind: 'websocket',
      apiId: 'n1e2w3a4p5',
      stage: 'prod',
      accessLogGroup: NEW_GROUP,
      executionLogs: false,
    });

    apiGateway.deleteStage('v2', 'n1e2w3a4p5', 'prod');
    expect(await runSweep()).toMatchObject({ stages: 4, created: 0, removed: 1 });
    expect(await filtersOf(NEW_GROUP)).toEqual([
      { filterName: 'siem', destinationArn: SIEM_ARN, filterPattern: '' },
    ]);
    const after = await readMapping(dynamoClient(), local.env[MONITOR_ENV.stateTableName] ?? '');
    expect(after?.stages.map((stage) => stage.apiId)).not.toContain('n1e2w3a4p5');
    // A sweep with nothing changed changes nothing.
    expect(await runSweep()).toMatchObject({ created: 0, removed: 0 });
  });
});

describe('the monitor in account-wide mode', () => {
  const metrics: Record<string, unknown>[] = [];
  const monitor = () => createHandler({ metrics: (documents) => metrics.push(...documents) });

  it('alerts on a discovered stage and drops, and counts, an event of a group no stage writes to', async () => {
    const handler = monitor();
    const line = (requestId: string) => [
      { timestamp: Date.now(), message: wafAccessLine('a1b2c3d4e5', 'prod', requestId) },
    ];
    const discovered = await handler(subscriptionEvent(logsDocument(REST_GROUP, line('req-discovered-1'))));
    expect(discovered.kind).toBe('data');
    expect(discovered.outcomes).toMatchObject([
      { apiId: 'a1b2c3d4e5', stage: 'prod', category: 'WAF_FILTERED', action: 'alert' },
    ]);

    const unknown = await handler(
      subscriptionEvent(logsDocument('/aws/lambda/some-app', line('req-unknown-1'))),
    );
    expect(unknown).toMatchObject({ kind: 'unwatched', findings: 0 });
    expect(metrics.filter((document) => UNWATCHED_GROUP_METRIC in document)).toHaveLength(1);
  });
});
