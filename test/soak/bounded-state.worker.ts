/**
 * One process of Lambda instances for test/soak/bounded-state.soak.test.ts. Each instance is a handler
 * of lambda/handler.ts with its own clock, and takes the batches of its slot one at a time, as Lambda
 * gives an instance one invocation at a time; the instances of all processes run concurrently against
 * the one dynalite, as a function's concurrent instances share its table. Its share comes as JSON in
 * argv[2]; it prints one JSON line (`SoakWorkerResult`) and exits 0, or throws (exit code 1).
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { MonitorError } from '../../lambda/adapters/errors.js';
import { groupItemKey } from '../../lambda/core/alerts.js';
import { STATE_KEY_ATTRIBUTE } from '../../lambda/core/state-table.js';
import { createHandler } from '../../lambda/handler.js';
import { itemSize, wafLine } from '../fixtures/state-table.js';

export interface SoakShare {
  readonly batches: number;
  /** Instance `slot` takes the batches `slot`, `slot + slotCount`, ... */
  readonly slots: readonly number[];
  readonly slotCount: number;
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

export interface SoakWorkerResult {
  readonly batches: number;
  readonly alerts: number;
  /** [batch index, the group item's size in bytes after it]. */
  readonly samples: readonly (readonly [number, number])[];
  /** User and system CPU time of this process. */
  readonly cpuSeconds: number;
  /** Invocations that failed retryably and were run again, as Lambda retries an asynchronous event. */
  readonly retried: number;
  /** Batches that still failed after Lambda's retries: the ones the on-failure queue would keep. */
  readonly exhausted: number;
}

/** Lambda's asynchronous retries of a failed event (the construct's default `retryAttempts`). */
const LAMBDA_RETRIES = 2;

/** One event as Lambda runs it: again after a retryable failure, up to LAMBDA_RETRIES times. */
async function invoke(
  handler: ReturnType<typeof createHandler>,
  event: unknown,
): Promise<{ alerts: number; retried: number; done: boolean }> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const summary = await handler(event);
      const alerts = summary.outcomes.filter((outcome) => outcome.action === 'alert').length;
      return { alerts, retried: attempt, done: true };
    } catch (error) {
      if (!(error instanceof MonitorError && error.retryable)) throw error;
      if (attempt === LAMBDA_RETRIES) return { alerts: 0, retried: attempt, done: false };
    }
  }
}

async function run(share: SoakShare): Promise<SoakWorkerResult> {
  const dynamo = new DynamoDBClient({});
  const groupKey = { apiId: share.apiId, stage: share.stage, category: 'WAF_FILTERED' as const };
  const samples: [number, number][] = [];
  let batches = 0;
  let alerts = 0;
  let retried = 0;
  let exhausted = 0;
  const instance = async (slot: number) => {
    let clock = share.start;
    const handler = createHandler({ now: () => clock, metrics: () => {} });
    for (let index = slot; index < share.batches; index += share.slotCount) {
      clock = share.start + index * share.intervalMs;
      const event = subscriptionEvent(
        logsDocument(share.logGroup, [{ timestamp: clock, message: wafLine(`r-${index}`, share.apiId) }]),
      );
      batches += 1;
      const outcome = await invoke(handler, event);
      alerts += outcome.alerts;
      retried += outcome.retried;
      if (!outcome.done) exhausted += 1;
      if (index % share.sampleEvery === 0) {
        const { Item } = await dynamo.send(
          new GetItemCommand({
            TableName: share.table,
            Key: { [STATE_KEY_ATTRIBUTE]: { S: groupItemKey(groupKey) } },
          }),
        );
        if (Item) samples.push([index, itemSize(Item)]);
      }
    }
  };
  await Promise.all(share.slots.map(instance));
  const cpu = process.cpuUsage();
  return { batches, alerts, samples, cpuSeconds: (cpu.user + cpu.system) / 1e6, retried, exhausted };
}

const result = await run(JSON.parse(process.argv[2] ?? '') as SoakShare);
process.stdout.write(`${JSON.stringify(result)}\n`);
