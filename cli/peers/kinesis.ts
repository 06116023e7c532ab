import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-kinesis';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';
import type { LogsDocument } from '../../lambda/core/index.js';
import { LOCAL_REGION } from './http-peer.js';

/**
 * A real Kinesis implementation (kinesalite, in memory) on 127.0.0.1, plus the two AWS services that
 * stand on either side of the central account's stream: what a CloudWatch Logs destination writes,
 * and how a Lambda event source mapping reads, retries and gives up on a shard.
 */
export interface LocalKinesis {
  readonly endpoint: string;
  readonly client: KinesisClient;
  createStream(name: string, shards: number): Promise<string>;
  close(): Promise<void>;
}

export async function startKinesis(): Promise<LocalKinesis> {
  const server: Server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new KinesisClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // The default handler speaks HTTP/2 (for SubscribeToShard), which kinesalite does not.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 10_000 }),
  });
  return {
    endpoint,
    client,
    createStream: async (name, shards) => {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: name }));
      return StreamDescription?.StreamARN ?? '';
    },
    close: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error?: Error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/**
 * What CloudWatch Logs puts on the destination's stream for one subscription delivery: one record,
 * data = gzip(JSON document). With the default `ByLogStream` distribution a log stream's deliveries
 * share a partition key, so they stay in order on one shard.
 */
export async function putSubscriptionRecord(
  client: KinesisClient,
  streamName: string,
  document: LogsDocument,
): Promise<string> {
  const partitionKey = createHash('md5')
    .update(`${document.logGroup}\u0000${document.logStream}`)
    .digest('hex');
  const result = await client.send(
    new PutRecordCommand({
      StreamName: streamName,
      PartitionKey: partitionKey,
      Data: gzipSync(JSON.stringify(document)),
    }),
  );
  return result.SequenceNumber ?? '';
}

/** A raw record put by anything else with `kinesis:PutRecord` (for hostile-input tests). */
export async function putRawRecord(
  client: KinesisClient,
  streamName: string,
  data: Uint8Array,
): Promise<string> {
  const result = await client.send(
    new PutRecordCommand({ StreamName: streamName, PartitionKey: 'raw', Data: data }),
  );
  return result.SequenceNumber ?? '';
}

export interface EventSourceMappingOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly streamArn: string;
  /** @default 100 */
  readonly batchSize?: number;
  /** Retries of a failing batch before it goes to the on-failure destination. @default 2 */
  readonly maximumRetryAttempts?: number;
  /** Split a failing batch in two before retrying (the mapping's `BisectBatchOnFunctionError`). @default true */
  readonly bisectBatchOnFunctionError?: boolean;
  /** Where a batch that exhausted its retries is described (the mapping's on-failure destination). */
  readonly onFailure?: { readonly sqs: SQSClient; readonly queueUrl: string };
}

export interface MappingRun {
  readonly invocations: number;
  readonly records: number;
  readonly failedBatches: number;
  readonly sentToFailureQueue: number;
}

type Handler = (event: unknown) => Promise<{ batchItemFailures?: readonly { itemIdentifier: string }[] }>;

/**
 * A Lambda event source mapping on every shard, run until the stream is drained: the Lambda Kinesis
 * event shape, partial batch responses (`ReportBatchItemFailures`: resume at the lowest reported
 * sequence number), a thrown error failing the whole batch, bisect on error, a retry budget, and an
 * on-failure record naming the shard and sequence range like Lambda's.
 */
export async function drainWithMapping(
  handler: Handler,
  options: EventSourceMappingOptions,
): Promise<MappingRun> {
  const { StreamDescription } = await options.client.send(
    new DescribeStreamCommand({ StreamName: options.streamName }),
  );
  const run = { invocations: 0, records: 0, failedBatches: 0, sentToFailureQueue: 0 };
  const limits = {
    batchSize: options.batchSize ?? 100,
    maxRetries: options.maximumRetryAttempts ?? 2,
    bisect: options.bisectBatchOnFunctionError ?? true,
  };
  for (const shard of StreamDescription?.Shards ?? [])
    await drainShard(handler, options, limits, shard.ShardId ?? '', run);
  return run;
}

async function drainShard(
  handler: Handler,
  options: EventSourceMappingOptions,
  { batchSize, maxRetries, bisect }: { batchSize: number; maxRetries: number; bisect: boolean },
  shardId: string,
  run: { invocations: number; records: number; failedBatches: number; sentToFailureQueue: number },
): Promise<void> {
  const pending = await readShard(options.client, options.streamName, shardId);
  let retries = 0;
  let size = batchSize;
  while (pending.length > 0) {
    const batch = pending.slice(0, size);
    run.invocations += 1;
    const failedAt = await invoke(handler, batch, shardId, options.streamArn);
    // Records before the first failed one are checkpointed.
    const done = failedAt ?? batch.length;
    run.records += done;
    pending.splice(0, done);
    if (failedAt !== undefined) run.failedBatches += 1;
    const exhausted = done === 0 && retries >= maxRetries;
    if (exhausted) {
      if (options.onFailure) await sendFailure(options.onFailure, shardId, options.streamArn, batch);
      run.sentToFailureQueue += batch.length;
      pending.splice(0, batch.length);
    }
    if (done > 0 || exhausted) {
      retries = 0;
      size = batchSize;
    } else {
      retries += 1;
      if (bisect && batch.length > 1) size = Math.ceil(batch.length / 2);
    }
  }
}

async function readShard(
  client: KinesisClient,
  streamName: string,
  shardId: string,
): Promise<StreamRecord[]> {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const records: StreamRecord[] = [];
  let iterator = ShardIterator;
  while (iterator) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    const got = page.Records ?? [];
    if (got.length === 0) break;
    records.push(...got);
    iterator = page.NextShardIterator;
  }
  return records;
}

/** The Lambda Kinesis event of one batch, as the event source mapping builds it. */
export function kinesisEvent(records: readonly StreamRecord[], shardId: string, streamArn: string) {
  return {
    Records: records.map((record) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.PartitionKey ?? '',
        sequenceNumber: record.SequenceNumber ?? '',
        data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${record.SequenceNumber ?? ''}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${streamArn.split(':')[4] ?? ''}:role/apigw-403-monitor`,
      awsRegion: LOCAL_REGION,
      eventSourceARN: streamArn,
    })),
  };
}

/** `undefined` when the batch succeeded, else the index of the first record to retry from. */
async function invoke(
  handler: Handler,
  batch: readonly StreamRecord[],
  shardId: string,
  streamArn: string,
): Promise<number | undefined> {
  let response: Awaited<ReturnType<Handler>>;
  try {
    response = await handler(kinesisEvent(batch, shardId, streamArn));
  } catch {
    return 0;
  }
  const failed = (response?.batchItemFailures ?? []).map((failure) =>
    batch.findIndex((record) => record.SequenceNumber === failure.itemIdentifier),
  );
  if (failed.length === 0) return undefined;
  // An identifier that is not in the batch fails the whole batch, as Lambda does.
  return Math.max(0, Math.min(...failed));
}

async function sendFailure(
  target: NonNullable<EventSourceMappingOptions['onFailure']>,
  shardId: string,
  streamArn: string,
  records: readonly StreamRecord[],
): Promise<void> {
  const first = records[0];
  const last = records.at(-1);
  await target.sqs.send(
    new SendMessageCommand({
      QueueUrl: target.queueUrl,
      MessageBody: JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 1 },
        KinesisBatchInfo: {
          shardId,
          startSequenceNumber: first?.SequenceNumber,
          endSequenceNumber: last?.SequenceNumber,
          approximateArrivalOfFirstRecord: first?.ApproximateArrivalTimestamp?.toISOString(),
          approximateArrivalOfLastRecord: last?.ApproximateArrivalTimestamp?.toISOString(),
          batchSize: records.length,
          streamArn,
        },
      }),
    }),
  );
}
