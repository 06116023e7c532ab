import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drainWithMapping,
  type LocalKinesis,
  putSubscriptionRecord,
  startKinesis,
} from '../../cli/peers/kinesis.js';
import { type LocalAws, startLocalAws } from '../../cli/peers/local-aws.js';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { LISTED_ACCOUNTS, SOURCE_ACCOUNT_A } from '../../cli/scenario/accounts.js';
import { accessLine } from '../../cli/scenario/payload.js';
import { StateStore } from '../../lambda/adapters/state-store.js';
import { batchIdOf } from '../../lambda/core/alerts.js';
import type { LogsDocument } from '../../lambda/core/index.js';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';

/**
 * The central monitor and a record whose batch an earlier invocation still leases (a crash: timeout,
 * out of memory; the lease runs that invocation's remaining time and a margin). The event source
 * mapping retries back to back, only once the failed invocation is over, so the Kinesis path takes the
 * lease over rather than failing every retry until only a shard pointer reaches the failure queue.
 * Peers: kinesalite with the project's event source mapping emulation, dynalite, fauxqs.
 */
let local: LocalAws;
let kinesis: LocalKinesis;
let sqs: SQSClient;

beforeAll(async () => {
  kinesis = await startKinesis();
  local = await startLocalAws();
  Object.assign(process.env, local.env, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
  sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
});
afterAll(async () => {
  await local?.stop();
  await kinesis?.close();
});

const START = Date.UTC(2026, 11, 1, 10);

function documentOf(api: string, id: number): LogsDocument {
  return {
    messageType: 'DATA_MESSAGE',
    owner: SOURCE_ACCOUNT_A,
    logGroup: `/aws/apigateway/${api}/prod`,
    logStream: 's',
    subscriptionFilters: ['apigw-403-monitor'],
    logEvents: [0, 1, 2].map((i) => ({
      id: `${id}${i}`.padEnd(56, '0'),
      timestamp: START - 10_000 + i,
      message: accessLine(
        {
          requestId: `k1n30000-0000-4000-8000-0000000${id}00${i}`,
          apiId: api,
          stage: 'prod',
          timestamp: START - 10_000 + i,
        },
        {
          error: { message: 'Forbidden', responseType: 'WAF_FILTERED' },
          waf: { responseCode: 'WAF_BLOCK', status: '403' },
        },
      ),
    })),
  };
}

/** What the earlier invocation left on the batch record before the mapping's retries. */
type Earlier = (store: StateStore, batchId: string) => Promise<void>;
const day = Math.floor(START / 1000) + 86_400;
const crashed: Earlier = async (store, batchId) => {
  // Claimed with its 60 s and the 30 s margin, then killed: nothing finished, nothing released.
  expect((await store.claimBatch(batchId, 'crashed', START + 90_000, START, day)).kind).toBe('fresh');
};
const finished: Earlier = async (store, batchId) => {
  await store.claimBatch(batchId, 'earlier', START + 90_000, START, day);
  expect(await store.finishBatch(batchId, 'earlier', START)).toBe(true);
};

describe('central monitor: a record whose batch an earlier invocation leases', () => {
  it.each([
    {
      name: 'a crashed lease is taken over: the 403s alert, nothing goes to the failure queue',
      id: 41,
      earlier: crashed,
      alerts: 1,
    },
    { name: 'no earlier invocation (control)', id: 42, earlier: undefined, alerts: 1 },
    { name: 'a finished batch is not run again', id: 43, earlier: finished, alerts: 0 },
  ])('$name', async ({ id, earlier, alerts }) => {
    let clock = START;
    const api = `k1n3s1s0${id}`;
    const stream = `lease-${id}`;
    const document = documentOf(api, id);
    const streamArn = await kinesis.createStream(stream, 1);
    await putSubscriptionRecord(kinesis.client, stream, document);
    const store = new StateStore(new DynamoDBClient({}), local.env[MONITOR_ENV.stateTableName] ?? '');
    const batchId = batchIdOf(
      document.logEvents.map((e) => e.id),
      SOURCE_ACCOUNT_A,
    );
    await earlier?.(store, batchId);

    const { createKinesisHandler } = await import('../../lambda/kinesis-handler.js');
    const monitor = createKinesisHandler({
      now: () => clock,
      metrics: () => {},
      sourceAccounts: LISTED_ACCOUNTS,
    });
    let alerted = 0;
    const run = await drainWithMapping(
      async (event) => {
        // Each retry of the mapping comes a few seconds after the one before: well inside the lease.
        clock += 2_000;
        const result = await monitor(event);
        for (const summary of result.summaries)
          alerted += summary.outcomes.filter((o) => o.action === 'alert').length;
        return result;
      },
      {
        client: kinesis.client,
        streamName: stream,
        streamArn,
        maximumRetryAttempts: 3,
        onFailure: { sqs, queueUrl: local.queueUrls.onFailure },
      },
    );
    expect(run.sentToFailureQueue).toBe(0);
    expect(alerted).toBe(alerts);
    const published = await receiveAll(sqs, local.queueUrls.all);
    expect(published.filter((m) => m.envelope.Message.includes(api))).toHaveLength(alerts);
  });
});
