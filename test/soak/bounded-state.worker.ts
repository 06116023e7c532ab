/**
 * One process of Lambda instances for test/soak/bounded-state.soak.test.ts. Each instance is a handler
 * of lambda/handler.ts with its own clock, and takes the batches of its slot one at a time, as Lambda
 * gives an instance one invocation at a time; the instances of all processes run concurrently against
 * the one dynalite, as a function's concurrent instances share its table. Its share comes as JSON in
 * argv[2]; it prints one JSON line (`SoakWorkerResult`) and exits 0, or throws (exit code 1).
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
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
}

async function run(share: SoakShare): Promise<SoakWorkerResult> {
  const dynamo = new DynamoDBClient({});
  const groupKey = { apiId: share.apiId, stage: share.stage, category: 'WAF_FILTERED' as const };
  const samples: [number, number][] = [];
  let batches = 0;
  let alerts = 0;
  const instance = async (slot: number) => {
    let clock = share.start;
    const handler = createHandler({ now: () => clock, metrics: () => {} });
    for (let index = slot; index < share.batches; index += share.slotCount) {
      clock = share.start + index * share.intervalMs;
      const event = subscriptionEvent(
        logsDocument(share.logGroup, [{ timestamp: clock, message: wafLine(`r-${index}`, share.apiId) }]),
      );
      const summary = await handler(event);
      batches += 1;
      alerts += summary.outcomes.filter((outcome) => outcome.action === 'alert').length;
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
  return { batches, alerts, samples, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const result = await run(JSON.parse(process.argv[2] ?? '') as SoakShare);
process.stdout.write(`${JSON.stringify(result)}\n`);
