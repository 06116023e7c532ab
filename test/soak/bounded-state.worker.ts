/**
 * One process of Lambda instances for test/soak/bounded-state.soak.test.ts (started with `fork`). Each
 * instance is a handler of lambda/handler.ts (a container: its own clients and memory) with its own
 * clock; it asks the parent for its next batch (`SoakRequest`), as Lambda's asynchronous queue hands
 * each event to an instance that is free, and runs one invocation at a time. The instances of all
 * processes run concurrently against the one dynalite, as a function's concurrent instances share its
 * table. Its share comes as JSON in argv[2]; it sends one `SoakWorkerResult` and exits 0, or throws
 * (exit code 1).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHandler } from '../../lambda/handler.js';
import { deliverAsLambda, groupItem, oneWafBatch } from '../fixtures/one-group.js';
import { itemSize } from '../fixtures/state-table.js';

export interface SoakShare {
  /** This process's instances. */
  readonly instances: number;
  /** Batch `i`'s events are at `start + i × intervalMs`, the invocation's clock too. */
  readonly start: number;
  /** Simulated time between two batches. */
  readonly intervalMs: number;
  readonly apiId: string;
  readonly stage: string;
  readonly logGroup: string;
  readonly table: string;
  /** The instance that handled batch `i` with `i % sampleEvery === 0` reads the group item's size. */
  readonly sampleEvery: number;
}

/** An instance that is free asks for a batch; the parent answers with its index, or `null`: no more. */
export interface SoakRequest {
  readonly instance: number;
}
export interface SoakAssignment {
  readonly instance: number;
  readonly index: number | null;
}

export interface SoakWorkerResult {
  /** Deliveries (a batch the parent handed out twice counts twice). */
  readonly invocations: number;
  /** [batch index, why] of every alert published (`new`, `escalated`, `resumed`). */
  readonly alerts: readonly (readonly [number, string])[];
  /** Deliveries that found their batch already applied (`skip`): the second copy of a duplicate. */
  readonly skipped: number;
  /** Group writes refused by another instance's write, then decided again and written. */
  readonly conflicts: number;
  /** [batch index, the group item's size in bytes after it]. */
  readonly samples: readonly (readonly [number, number])[];
  /** User and system CPU time of this process. */
  readonly cpuSeconds: number;
  /** Invocations that failed retryably and were run again, as Lambda retries an asynchronous event. */
  readonly retried: number;
  /** Batches that still failed after Lambda's retries: the ones the on-failure queue would keep. */
  readonly exhausted: number;
}

/**
 * The waits before Lambda's asynchronous retries of a failed event: Lambda waits about 1 and 2 minutes,
 * after the invocations the failed one raced with are over (a duplicate delivery that found its batch
 * held is told to retry); here 1 and 2 s, still far longer than any invocation of this run takes.
 */
const LAMBDA_RETRY_DELAYS_MS = [1_000, 2_000];
const sleepBeforeRetry = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, LAMBDA_RETRY_DELAYS_MS[attempt]));

const waiting = new Map<number, (index: number | null) => void>();
process.on('message', (message: SoakAssignment) => {
  waiting.get(message.instance)?.(message.index);
  waiting.delete(message.instance);
});

function nextBatch(instance: number): Promise<number | null> {
  return new Promise((resolve) => {
    waiting.set(instance, resolve);
    process.send?.({ instance } satisfies SoakRequest);
  });
}

async function run(share: SoakShare): Promise<SoakWorkerResult> {
  const dynamo = new DynamoDBClient({});
  const groupKey = { apiId: share.apiId, stage: share.stage, category: 'WAF_FILTERED' as const };
  const samples: [number, number][] = [];
  const alerts: [number, string][] = [];
  const totals = { invocations: 0, skipped: 0, conflicts: 0, retried: 0, exhausted: 0 };
  const instance = async (id: number) => {
    let clock = share.start;
    const handler = createHandler({ now: () => clock, metrics: () => {} });
    for (let index = await nextBatch(id); index !== null; index = await nextBatch(id)) {
      clock = share.start + index * share.intervalMs;
      // The event id from the batch alone, so that a batch handed out twice is the same event.
      const event = oneWafBatch(share.logGroup, share.apiId, clock, `r-${index}`, `${clock}`);
      const delivery = await deliverAsLambda(handler, event, sleepBeforeRetry);
      totals.invocations += 1;
      for (const why of delivery.alerts) alerts.push([index, why]);
      if (delivery.skipped > 0) totals.skipped += 1;
      totals.conflicts += delivery.conflicts;
      totals.retried += delivery.retried;
      if (!delivery.done) totals.exhausted += 1;
      if (index % share.sampleEvery === 0) {
        const item = await groupItem(dynamo, share.table, groupKey);
        if (item) samples.push([index, itemSize(item)]);
      }
    }
  };
  await Promise.all(Array.from({ length: share.instances }, (_, id) => instance(id)));
  const cpu = process.cpuUsage();
  return { ...totals, alerts, samples, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const result = await run(JSON.parse(process.argv[2] ?? '') as SoakShare);
process.send?.(result, () => process.disconnect());
