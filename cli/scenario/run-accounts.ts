import { SQSClient } from '@aws-sdk/client-sqs';
import {
  INVALID_PAYLOADS_METRIC,
  METRIC_NAME,
  UNLISTED_ACCOUNT_METRIC,
} from '../../lambda/core/render/index.js';
import type { KinesisBatchSummary } from '../../lambda/kinesis.js';
import { drainWithMapping, putRawRecord, putSubscriptionRecord, startKinesis } from '../peers/kinesis.js';
import { startLocalAws } from '../peers/local-aws.js';
import { messageForProtocol, receiveAll } from '../peers/sns-delivery.js';
import { buildAccountsScenario, LISTED_ACCOUNTS } from './accounts.js';

const STREAM = 'apigw-403-central';
const SHARDS = 2;

/**
 * `npm start -- --scenario accounts`: two source accounts (and one that is not listed) deliver through
 * the central account's CloudWatch Logs destination. Records land on a real Kinesis stream
 * (kinesalite), an event source mapping reads each shard into the real Kinesis entry point of the
 * monitor, and SNS (fauxqs), the state table (dynalite) and the on-failure queue are the usual peers.
 */
export async function runAccountsScenario(): Promise<void> {
  const began = performance.now();
  const kinesis = await startKinesis();
  const local = await startLocalAws();
  Object.assign(process.env, local.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  try {
    const streamArn = await kinesis.createStream(STREAM, SHARDS);
    const start = Date.now() - 10 * 60_000;
    const scenario = buildAccountsScenario(start);
    for (const delivery of scenario.deliveries)
      await putSubscriptionRecord(kinesis.client, STREAM, delivery.document);
    // A record on the stream that CloudWatch Logs did not write: counted and skipped.
    await putRawRecord(kinesis.client, STREAM, Buffer.from('{"not":"a subscription payload"}'));
    console.log(
      `\n== CloudWatch Logs destination -> Kinesis stream ${STREAM} (${SHARDS} shards, kinesalite) ==\n  ${scenario.deliveries.length} subscription deliveries from ${new Set(scenario.deliveries.map((delivery) => delivery.account)).size} accounts, 1 foreign record`,
    );

    const { createKinesisHandler } = await import('../../lambda/kinesis-handler.js');
    const metric: Record<string, unknown>[] = [];
    const monitor = createKinesisHandler({
      now: () => start + 3 * 60_000,
      metrics: (documents) => metric.push(...documents),
      sourceAccounts: LISTED_ACCOUNTS,
    });
    console.log('\n== Event source mapping (batch size 3, bisect on error, 2 retries, on-failure SQS) ==');
    const logged = async (event: unknown): Promise<KinesisBatchSummary> => {
      const result = await monitor(event);
      const alerts = result.summaries
        .flatMap((summary) => summary.outcomes)
        .filter((o) => o.action === 'alert');
      console.log(
        `  batch of ${String(result.records).padStart(2)}  403s ${String(result.summaries.reduce((sum, s) => sum + s.findings, 0)).padStart(3)}  alerts ${alerts.length}  unlisted ${result.unlisted}  unreadable ${result.malformed}  failures ${result.batchItemFailures.length}`,
      );
      return result;
    };
    const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    const run = await drainWithMapping(logged, {
      client: kinesis.client,
      streamName: STREAM,
      streamArn,
      batchSize: 3,
      onFailure: { sqs, queueUrl: local.queueUrls.onFailure },
    });

    const alerts = await receiveAll(sqs, local.queueUrls.all);
    console.log(`\n== Alerts (${alerts.length}) ==`);
    for (const { envelope } of alerts) {
      console.log(`  account ${envelope.MessageAttributes?.account?.Value ?? '-'}  ${envelope.Subject}`);
    }
    const first = alerts[0]?.envelope;
    if (first) console.log(`\n---- Subject: ${first.Subject}\n${messageForProtocol(first.Message, 'email')}`);

    console.log(`\n== Metric ${METRIC_NAME} by (Account, Category) ==`);
    const rows = new Map<string, number>();
    for (const document of metric) {
      const count = document[METRIC_NAME];
      if (typeof count !== 'number') continue;
      const key = `${String(document.Account).padEnd(14)} ${String(document.Category)}`;
      rows.set(key, (rows.get(key) ?? 0) + count);
    }
    for (const [key, count] of [...rows].sort())
      console.log(`  ${key.padEnd(46)} ${String(count).padStart(5)}`);
    const total = (name: string) =>
      metric.reduce(
        (sum, document) => sum + (typeof document[name] === 'number' ? (document[name] as number) : 0),
        0,
      );
    console.log(
      `\n== Dropped ==\n  documents of unlisted accounts (${UNLISTED_ACCOUNT_METRIC}): ${total(UNLISTED_ACCOUNT_METRIC)}   unreadable records (${INVALID_PAYLOADS_METRIC}): ${total(INVALID_PAYLOADS_METRIC)}`,
    );
    console.log(
      `  mapping: ${run.invocations} invocations, ${run.records} records, ${run.failedBatches} failed batches, ${run.sentToFailureQueue} records to the on-failure queue`,
    );
    console.log(`  done in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  } finally {
    await local.stop();
    await kinesis.close();
  }
}
