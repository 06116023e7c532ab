/**
 * A central monitor fed by an account policy (every log group of the source account, the JSON
 * access-log pattern) also receives applications' own JSON lines with a `status` of 403. They name
 * no API, so they are counted in DroppedForeignStageLines and never alert; an API Gateway access line
 * of the same account, in the same stream, still does (attack finding 04). Peers: kinesalite with the
 * event source mapping emulation, fauxqs, dynalite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drainWithMapping,
  type LocalKinesis,
  putSubscriptionRecord,
  startKinesis,
} from '../../cli/peers/kinesis.js';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { LISTED_ACCOUNTS, SOURCE_ACCOUNT_A } from '../../cli/scenario/accounts.js';
import type { LogsDocument } from '../../lambda/core/index.js';
import { FOREIGN_LINES_METRIC } from '../../lambda/core/render/index.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

const peers = useMonitorPeers([]);
let kinesis: LocalKinesis;
let createKinesisHandler: typeof import('../../lambda/kinesis-handler.js').createKinesisHandler;

beforeAll(async () => {
  kinesis = await startKinesis();
  ({ createKinesisHandler } = await import('../../lambda/kinesis-handler.js'));
});
afterAll(async () => {
  await kinesis?.close();
});

const NOW = Date.UTC(2026, 11, 1, 10);
const API = 'a1b2c3d4e5';

/** Applications' JSON lines that the access-log pattern (`$.status = 403`) selects. */
const APP_LINES: readonly (readonly [string, string, string])[] = [
  [
    'a Lambda structured log',
    '/aws/lambda/orders-service',
    '{"level":"WARN","message":"user not allowed to read order","status":403,"service":"orders","timestamp":"2026-12-01T10:00:00.000Z"}',
  ],
  [
    'a Powertools logger line with a request id',
    '/aws/lambda/payments',
    '{"level":"WARN","message":"forbidden","timestamp":"2026-12-01T10:00:00.000Z","service":"payments","xray_trace_id":"1-6751b0a0-0123456789abcdef01234567","requestId":"c6af9ac6-7b61-11e6-9a41-93e812345678","status":"403"}',
  ],
  [
    'a container access log naming a stage',
    '/ecs/web',
    '{"time":"2026-12-01T10:00:00Z","method":"GET","path":"/admin","status":403,"stage":"prod","ip":"203.0.113.9"}',
  ],
];

function documentOf(logGroup: string, messages: readonly string[], stream: string): LogsDocument {
  return {
    messageType: 'DATA_MESSAGE',
    owner: SOURCE_ACCOUNT_A,
    logGroup,
    logStream: stream,
    subscriptionFilters: ['apigw-403-monitor-account-policy'],
    logEvents: messages.map((message, index) => ({
      id: `${stream.length}${index}`.padEnd(56, '0'),
      timestamp: NOW + index * 1000,
      message,
    })),
  };
}

describe('central monitor fed by an account policy', () => {
  it.each(APP_LINES)('%s: counted as a foreign line, never alerted', async (_what, group, line) => {
    const stream = `app-${group.replace(/\W/g, '-')}`;
    const streamArn = await kinesis.createStream(stream, 1);
    await putSubscriptionRecord(kinesis.client, stream, documentOf(group, [line, line], stream));
    const metrics: Record<string, unknown>[] = [];
    const monitor = createKinesisHandler({
      now: () => NOW + 5_000,
      metrics: (documents) => metrics.push(...documents),
      sourceAccounts: LISTED_ACCOUNTS,
    });
    const run = await drainWithMapping(monitor, { client: kinesis.client, streamName: stream, streamArn });
    expect(run).toMatchObject({ records: 1, failedBatches: 0, sentToFailureQueue: 0 });
    const foreign = metrics.reduce((sum, point) => sum + (Number(point[FOREIGN_LINES_METRIC]) || 0), 0);
    expect(foreign).toBe(2);
    expect(await receiveAll(peers.sqs, peers.local.queueUrls.all)).toEqual([]);
  });

  it('an API Gateway access line of the same account still alerts, next to the application lines', async () => {
    const stream = 'mixed';
    const streamArn = await kinesis.createStream(stream, 1);
    await putSubscriptionRecord(
      kinesis.client,
      stream,
      documentOf(
        `/aws/apigateway/${API}/prod`,
        [wafAccessLine(API, 'prod', 'a1b20000-0000-4000-8000-000000000001')],
        stream,
      ),
    );
    for (const [, group, line] of APP_LINES)
      await putSubscriptionRecord(kinesis.client, stream, documentOf(group, [line], `${stream}-${group}`));
    const monitor = createKinesisHandler({
      now: () => NOW + 5_000,
      metrics: () => {},
      sourceAccounts: LISTED_ACCOUNTS,
    });
    const run = await drainWithMapping(monitor, { client: kinesis.client, streamName: stream, streamArn });
    expect(run).toMatchObject({ records: 1 + APP_LINES.length, failedBatches: 0 });
    const published = await receiveAll(peers.sqs, peers.local.queueUrls.all);
    expect(
      published.map((message) => [
        message.envelope.MessageAttributes?.account?.Value,
        message.envelope.MessageAttributes?.apiId?.Value,
        message.envelope.MessageAttributes?.stage?.Value,
        message.envelope.MessageAttributes?.category?.Value,
      ]),
    ).toEqual([[SOURCE_ACCOUNT_A, API, 'prod', 'WAF_FILTERED']]);
  });
});
