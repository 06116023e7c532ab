import { gzipSync } from 'node:zlib';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drainWithMapping,
  kinesisEvent,
  type LocalKinesis,
  putRawRecord,
  putSubscriptionRecord,
  startKinesis,
} from '../../cli/peers/kinesis.js';
import { type LocalAws, startLocalAws } from '../../cli/peers/local-aws.js';
import { messageForProtocol, receiveAll } from '../../cli/peers/sns-delivery.js';
import {
  buildAccountsScenario,
  LISTED_ACCOUNTS,
  SOURCE_ACCOUNT_A,
  UNLISTED_ACCOUNT,
} from '../../cli/scenario/accounts.js';
import { logsDocument } from '../../cli/scenario/payload.js';
import {
  INVALID_PAYLOADS_METRIC,
  METRIC_NAME,
  UNLISTED_ACCOUNT_METRIC,
} from '../../lambda/core/render/index.js';

let local: LocalAws;
let kinesis: LocalKinesis;
let sqs: SQSClient;
let createKinesisHandler: typeof import('../../lambda/kinesis-handler.js').createKinesisHandler;
let metric: Record<string, unknown>[] = [];
let clock = Date.now();

beforeAll(async () => {
  kinesis = await startKinesis();
  local = await startLocalAws();
  Object.assign(process.env, local.env, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
  ({ createKinesisHandler } = await import('../../lambda/kinesis-handler.js'));
  sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
});

afterAll(async () => {
  await local?.stop();
  await kinesis?.close();
});

const monitor = () =>
  createKinesisHandler({
    now: () => clock,
    metrics: (documents) => metric.push(...documents),
    sourceAccounts: LISTED_ACCOUNTS,
  });

function totals(name: string, key: (document: Record<string, unknown>) => string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const document of metric) {
    const value = document[name];
    if (typeof value === 'number') sums[key(document)] = (sums[key(document)] ?? 0) + value;
  }
  return sums;
}

/** One WAF 403 of account A on an API of its own, so a test's cooldown state is its own. */
const wafDocument = (apiId: string, id: string) => ({
  ...logsDocument(`/aws/apigateway/${apiId}/prod`, [
    {
      timestamp: clock,
      message: JSON.stringify({
        requestId: id,
        apiId,
        stage: 'prod',
        status: '403',
        error: { message: 'Forbidden', responseType: 'WAF_FILTERED' },
        waf: { responseCode: 'WAF_BLOCK', status: '403' },
      }),
    },
  ]),
  owner: SOURCE_ACCOUNT_A,
});

describe('the central monitor on kinesalite', () => {
  it('reads two source accounts from the destination stream: counts, alerts and attributes name the account', async () => {
    metric = [];
    const start = Date.now() - 10 * 60_000;
    const scenario = buildAccountsScenario(start);
    const streamArn = await kinesis.createStream('central-403', 2);
    for (const delivery of scenario.deliveries)
      await putSubscriptionRecord(kinesis.client, 'central-403', delivery.document);
    // Written by something that is not CloudWatch Logs: counted, skipped, never retried.
    await putRawRecord(kinesis.client, 'central-403', Buffer.from('not a subscription payload'));
    clock = start + 3 * 60_000;
    const run = await drainWithMapping(monitor(), {
      client: kinesis.client,
      streamName: 'central-403',
      streamArn,
      batchSize: 3,
    });
    expect(run).toMatchObject({
      records: scenario.deliveries.length + 1,
      failedBatches: 0,
      sentToFailureQueue: 0,
    });

    const expected: Record<string, number> = {};
    for (const [account, categories] of Object.entries(scenario.sent))
      for (const [category, count] of Object.entries(categories)) expected[`${account}/${category}`] = count;
    expect(totals(METRIC_NAME, (document) => `${document.Account}/${document.Category}`)).toEqual(expected);
    for (const document of metric.filter((entry) => METRIC_NAME in entry)) {
      expect(JSON.stringify(document._aws)).toContain(
        '[["ApiId","Stage","Category"],["Account","Category"]]',
      );
    }
    expect(totals(UNLISTED_ACCOUNT_METRIC, () => 'all')).toEqual({ all: scenario.unlistedDocuments });
    expect(totals(INVALID_PAYLOADS_METRIC, () => 'all')).toEqual({ all: 1 });

    const alerts = await receiveAll(sqs, local.queueUrls.all);
    const accounts = alerts.map((entry) => entry.envelope.MessageAttributes?.account?.Value);
    expect(new Set(accounts)).toEqual(new Set(LISTED_ACCOUNTS));
    expect(accounts).not.toContain(UNLISTED_ACCOUNT);
    const fromA = alerts.find(
      (entry) => entry.envelope.MessageAttributes?.account?.Value === SOURCE_ACCOUNT_A,
    );
    expect(messageForProtocol(fromA?.envelope.Message ?? '{}', 'email')).toContain(
      `account ${SOURCE_ACCOUNT_A}`,
    );
    const view = JSON.parse(messageForProtocol(fromA?.envelope.Message ?? '{}', 'sqs')) as {
      account?: string;
    };
    expect(view.account).toBe(SOURCE_ACCOUNT_A);
  });

  it('reports the first record whose delivery failed; the retry publishes once and counts once', async () => {
    metric = [];
    clock = Date.now();
    const records = [wafDocument('f1a2i3l4e5', 'req-f1'), wafDocument('f6a7i8l9e0', 'req-f2')].map(
      (doc, index) => ({
        SequenceNumber: `4968000000000000000000000000000000000000000000000000000${index}`,
        PartitionKey: 'p',
        Data: gzipSync(JSON.stringify(doc)),
        ApproximateArrivalTimestamp: new Date(clock),
      }),
    );
    const event = kinesisEvent(
      records,
      'shardId-000000000000',
      'arn:aws:kinesis:us-east-1:999999999999:stream/s',
    );
    const handler = monitor();
    local.snsProxy.setDown(true);
    const failed = await handler(event);
    local.snsProxy.setDown(false);
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.SequenceNumber }]);
    expect(failed.summaries).toHaveLength(0);
    expect(totals(METRIC_NAME, () => 'all')).toEqual({ all: 1 });

    const retried = await handler(event);
    expect(retried.batchItemFailures).toEqual([]);
    expect(totals(METRIC_NAME, () => 'all')).toEqual({ all: 2 });
    const published = await receiveAll(sqs, local.queueUrls.all);
    expect(published.map((entry) => entry.envelope.MessageAttributes?.apiId?.Value).sort()).toEqual([
      'f1a2i3l4e5',
      'f6a7i8l9e0',
    ]);
  });

  it('keeps a batch that exhausts its retries on the on-failure queue, after bisecting it', async () => {
    metric = [];
    clock = Date.now();
    const streamArn = await kinesis.createStream('central-outage', 1);
    const listed = ['o1u2t3a4g5', 'o6u7t8a9g0', 'o1u3t5a7g9', 'o2u4t6a8g0'].map((apiId) =>
      wafDocument(apiId, `req-${apiId}`),
    );
    for (const document of listed) await putSubscriptionRecord(kinesis.client, 'central-outage', document);
    local.snsProxy.setDown(true);
    try {
      const run = await drainWithMapping(monitor(), {
        client: kinesis.client,
        streamName: 'central-outage',
        streamArn,
        batchSize: 4,
        maximumRetryAttempts: 1,
        onFailure: { sqs, queueUrl: local.queueUrls.onFailure },
      });
      expect(run.sentToFailureQueue).toBe(listed.length);
      // 4 fail, then 2 twice, 2 → 1 and 1 twice, the last 1 twice: every record given up on after one retry.
      expect(run).toMatchObject({ invocations: 6, records: 0, failedBatches: 6 });
    } finally {
      local.snsProxy.setDown(false);
    }
    const kept = await receiveAll(sqs, local.queueUrls.onFailure);
    const described = kept.map(
      (entry) => entry.envelope as unknown as { KinesisBatchInfo: { batchSize: number } },
    );
    expect(described.reduce((sum, entry) => sum + entry.KinesisBatchInfo.batchSize, 0)).toBe(listed.length);
  });
});
