/**
 * Malformed events of a subscription document are counted (ClassifierSkippedEvents, and the batch
 * log's `skippedEvents`) the same on both paths: a Lambda subscription, and the central monitor
 * reading the document from a Kinesis stream on kinesalite (attack finding 03: the central path
 * decoded each record, then decoded the filtered document again and counted nothing).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainWithMapping, type LocalKinesis, putRawRecord, startKinesis } from '../../cli/peers/kinesis.js';
import { LISTED_ACCOUNTS, SOURCE_ACCOUNT_A } from '../../cli/scenario/accounts.js';
import { subscriptionEvent } from '../../cli/scenario/payload.js';
import type { LogsDocument } from '../../lambda/core/index.js';
import { SKIPPED_EVENTS_METRIC } from '../../lambda/core/render/index.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

const API = 'a1b2c3d4e5';
const GROUP = `/aws/apigateway/${API}/prod`;
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
