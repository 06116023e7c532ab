/**
 * What the central monitor does with lines and events it cannot count as 403s, read from a Kinesis
 * stream on kinesalite with the event source mapping emulation (fauxqs, dynalite for the rest):
 * - malformed events of a document are counted (ClassifierSkippedEvents and the batch log's
 *   `skippedEvents`) as on a Lambda subscription (attack finding 03: the central path decoded each
 *   record, then decoded the filtered document again and counted nothing);
 * - an account policy (every log group of the source account, the JSON access-log pattern) also
 *   delivers applications' own JSON lines with a `status` of 403: they name no API, so they are
 *   counted in DroppedForeignStageLines and never alert, while an API Gateway line of the same
 *   account still does (attack finding 04).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  drainWithMapping,
  type LocalKinesis,
  putRawRecord,
  putSubscriptionRecord,
  startKinesis,
} from '../../cli/peers/kinesis.js';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { LISTED_ACCOUNTS, SOURCE_ACCOUNT_A } from '../../cli/scenario/accounts.js';
import { subscriptionEvent } from '../../cli/scenario/payload.js';
import type { LogsDocument } from '../../lambda/core/index.js';
import { FOREIGN_LINES_METRIC, SKIPPED_EVENTS_METRIC } from '../../lambda/core/render/index.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

const API = 'a1b2c3d4e5';
const GROUP = `/aws/apigateway/${API}/prod`;
// The central monitor reads any group; the Lambda subscription path compared with it needs its stage.
const peers = useMonitorPeers([{ apiId: API, stage: 'prod', accessLogGroup: GROUP, executionLogs: false }]);
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
const MIXED_API = 'm1x3d0a1bb';

/** Events CloudWatch Logs never writes but a payload can hold: each is left out and counted. */
const ROWS: readonly (readonly [string, readonly unknown[], string | undefined])[] = [
  ['none', [], undefined],
  [
    'a timestamp that is text and a message that is a number',
    [{ id: 'x1', timestamp: 'not a time', message: 42 }],
    'logEvents[1]',
  ],
  [
    'three shapes',
    [null, { timestamp: NOW, message: 'no id' }, { id: 'x3', timestamp: NOW }],
    'logEvents[1]',
  ],
];

/** A document of account A with one 403 first, then `malformed`. */
function documentOf(row: number, malformed: readonly unknown[]): LogsDocument {
  const line = wafAccessLine(API, 'prod', `${String(row).padStart(8, '0')}-0000-4000-8000-000000000000`);
  return {
    messageType: 'DATA_MESSAGE',
    owner: SOURCE_ACCOUNT_A,
    logGroup: GROUP,
    logStream: `stream-${row}`,
    subscriptionFilters: ['apigw403'],
    logEvents: [
      { id: `e${row}`, timestamp: NOW - 1_000, message: line },
      ...malformed,
    ] as LogsDocument['logEvents'],
  };
}

interface Counted {
  readonly metric: number;
  readonly logged: unknown[];
  readonly reasons: unknown[];
}

/** Runs `deliver` with deps that record the metric points and the batch log. */
async function counted(deliver: (deps: Record<string, unknown>) => Promise<void>): Promise<Counted> {
  const points: Record<string, unknown>[] = [];
  const batches: Record<string, unknown>[] = [];
  await deliver({
    now: () => NOW,
    metrics: (documents: Record<string, unknown>[]) => points.push(...documents),
    log: (_level: string, message: string, fields: Record<string, unknown> = {}) => {
      if (message === 'classified a batch') batches.push(fields);
    },
  });
  const metric = points.reduce((sum, point) => {
    const value = point[SKIPPED_EVENTS_METRIC];
    return sum + (typeof value === 'number' ? value : 0);
  }, 0);
  return {
    metric,
    logged: batches.map((fields) => fields.skippedEvents),
    reasons: batches.map((fields) => fields.skippedReason),
  };
}

describe.each(ROWS.map((row, index) => [index, ...row] as const))(
  'a document with %i: %s malformed',
  (index, _what, malformed, reason) => {
    const expected = {
      metric: malformed.length,
      logged: [malformed.length],
      reasons: [
        reason === undefined
          ? undefined
          : expect.stringMatching(new RegExp(`^${reason.replace(/[[\]]/g, '\\$&')}`)),
      ],
    };

    it('through a Lambda subscription: counts every malformed event', async () => {
      const result = await counted(async (deps) => {
        await peers.createHandler(deps)(subscriptionEvent(documentOf(10 + index, malformed)));
      });
      expect(result).toEqual(expected);
    });

    it('through the central monitor on a Kinesis stream: counts the same', async () => {
      const stream = `skipped-${index}`;
      const streamArn = await kinesis.createStream(stream, 1);
      await putRawRecord(kinesis.client, stream, gzipSync(JSON.stringify(documentOf(20 + index, malformed))));
      const result = await counted(async (deps) => {
        const run = await drainWithMapping(
          createKinesisHandler({ ...deps, sourceAccounts: LISTED_ACCOUNTS }),
          {
            client: kinesis.client,
            streamName: stream,
            streamArn,
          },
        );
        expect(run).toMatchObject({ records: 1, failedBatches: 0, sentToFailureQueue: 0 });
      });
      expect(result).toEqual(expected);
    });
  },
);

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

function accountDocument(logGroup: string, messages: readonly string[], stream: string): LogsDocument {
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
  // Each test reads what it published: the alerts of the tests before it are taken off the queue.
  beforeEach(async () => {
    await receiveAll(peers.sqs, peers.local.queueUrls.all);
  });

  it.each(APP_LINES)('%s: counted as a foreign line, never alerted', async (_what, group, line) => {
    const stream = `app-${group.replace(/\W/g, '-')}`;
    const streamArn = await kinesis.createStream(stream, 1);
    await putSubscriptionRecord(kinesis.client, stream, accountDocument(group, [line, line], stream));
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

  // An API of its own: the group of the tests above is in its cooldown.
  it('an API Gateway access line of the same account still alerts, next to the application lines', async () => {
    const stream = 'mixed';
    const streamArn = await kinesis.createStream(stream, 1);
    await putSubscriptionRecord(
      kinesis.client,
      stream,
      accountDocument(
        `/aws/apigateway/${MIXED_API}/prod`,
        [wafAccessLine(MIXED_API, 'prod', 'a1b20000-0000-4000-8000-000000000001')],
        stream,
      ),
    );
    for (const [, group, line] of APP_LINES)
      await putSubscriptionRecord(
        kinesis.client,
        stream,
        accountDocument(group, [line], `${stream}-${group}`),
      );
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
    ).toEqual([[SOURCE_ACCOUNT_A, MIXED_API, 'prod', 'WAF_FILTERED']]);
  });
});
