import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, STATE_TABLE, startLocalAws } from '../../cli/peers/local-aws.js';
import { monitorConfig } from '../../lambda/adapters/env-config.js';
import { groupState } from '../../lambda/adapters/group-item.js';
import { GroupConflictError, type GroupPlan, StateStore } from '../../lambda/adapters/state-store.js';
import { type GroupKey, type GroupState, settingsFor } from '../../lambda/core/lifecycle.js';
import { monitorEnvironment } from '../../lambda/core/monitor-contract.js';
import type { MonitorDeps } from '../../lambda/monitor.js';
import { deliverAsLambda, groupItem, type Handler, oneWafBatch, planOne403 } from '../fixtures/one-group.js';

/**
 * One hot group written by many containers at once (docs/pipeline.md, "The group write"): every group
 * write is conditional on the version it was computed from, so concurrent batches of one group race;
 * the loser waits, re-reads and decides again (StateStore.updateGroup). Nothing may be lost or counted
 * twice, and the group alerts once as new. (At volume, 100,000 batches: `npm run test:soak`.)
 */

let local: LocalAws;
let dynamo: DynamoDBClient;
let createHandler: typeof import('../../lambda/handler.js').createHandler;
const START = Date.parse('2026-11-30T10:00:00Z');
const INTERVAL_MS = 2_500;
/** The monitor function's timeout (DEFAULT_REMAINING_MS): what an invocation without a context has left. */
const DEPLOYED_TIMEOUT_MS = 60_000;
const APIS = ['h0tgroup01', 'h0tgroup02', 'h0tgroup03', 'h0tgroup04'];
const accessGroup = (apiId: string) => `/aws/apigateway/${apiId}/prod`;
const keyOf = (apiId: string): GroupKey => ({ apiId, stage: 'prod', category: 'WAF_FILTERED' });

beforeAll(async () => {
  local = await startLocalAws();
  Object.assign(process.env, local.env, {
    ...monitorEnvironment({
      watchedStages: APIS.map((apiId) => ({ apiId, stage: 'prod', accessLogGroup: accessGroup(apiId) })),
    }),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ createHandler } = await import('../../lambda/handler.js'));
  dynamo = new DynamoDBClient({ endpoint: local.dynamoEndpoint });
});

afterAll(async () => {
  await local?.stop();
});

/**
 * Batch `index` of `apiId`: one WAF 403 at its own time. Its event id is the batch's alone (a batch
 * handed out twice is the same event), and differs between APIs: a batch's id is its events' ids.
 */
function batchEvent(apiId: string, index: number) {
  const timestamp = START + index * INTERVAL_MS;
  return oneWafBatch(
    accessGroup(apiId),
    apiId,
    timestamp,
    `h-${index}`,
    `${timestamp}${APIS.indexOf(apiId)}`,
  );
}

async function storedState(key: GroupKey): Promise<GroupState | undefined> {
  const item = await groupItem(dynamo, STATE_TABLE, key);
  return item ? groupState(item) : undefined;
}

const sum = (counts: readonly number[]) => counts.reduce((total, count) => total + count, 0);

/** What one delivery of a batch ended with. */
interface DeliveryRecord {
  readonly index: number;
  readonly skipped: number;
  readonly retried: number;
}

interface RaceResult {
  readonly alerts: string[];
  readonly skipped: number;
  readonly conflicts: number;
  /** Invocations that failed retryably and were run again, as Lambda retries an asynchronous event. */
  readonly retried: number;
  /** Deliveries still failing after Lambda's two retries: the on-failure queue's. */
  readonly exhausted: number;
  readonly deliveries: readonly DeliveryRecord[];
  /** The batches handed out twice. */
  readonly duplicated: ReadonlySet<number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A delivery running an invocation, or not (waiting for a retry, or over), and a wait for the latter. */
class Running {
  private running = true;
  private readonly waiters = new Set<() => void>();

  set(running: boolean): void {
    this.running = running;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  async idle(): Promise<void> {
    while (this.running) await new Promise<void>((resolve) => this.waiters.add(resolve));
  }
}

/**
 * A DynamoDB client for one container, without the Lambda's 2-second request timeout: on a loaded
 * machine the in-process peer can take longer than that, and a write that timed out at the client
 * but was applied makes a retry that finds its group applied. What this test races is the
 * conditional writes, not the peer's latency (the timeouts have their own tests).
 */
const patientDynamo = () => new DynamoDBClient({});

/**
 * `batches` batches of one group through `containers` containers at once: each container takes the
 * next batch from one queue when it is free; every `duplicateEvery`-th batch is handed out twice.
 * A retryable failure is run again, twice, as Lambda does; Lambda waits about 1 and 2 minutes, after
 * the invocations it raced with are over, so here the retry waits until the other delivery of its
 * batch is over or waiting for a retry itself, and then a tenth of a second. The containers' clocks
 * are the batches' (simulated) times, and each invocation has the deployed function's whole timeout
 * left: a wall-clock deadline on a loaded machine is not the simulated invocation's.
 */
async function race(
  apiId: string,
  options: { containers: number; batches: number; duplicateEvery: number },
): Promise<RaceResult> {
  const queue: number[] = [];
  const duplicated = new Set<number>();
  for (let index = 0; index < options.batches; index += 1) {
    queue.push(index);
    if (index % options.duplicateEvery === options.duplicateEvery - 1) {
      queue.push(index);
      duplicated.add(index);
    }
  }
  const running = new Map<number, Running[]>();
  const deliveries: DeliveryRecord[] = [];
  const result = { alerts: [] as string[], skipped: 0, conflicts: 0, retried: 0, exhausted: 0 };
  const deliver = async (handler: Handler, index: number, mine: Running) => {
    const delivery = await deliverAsLambda(handler, batchEvent(apiId, index), async () => {
      mine.set(false);
      const others = (running.get(index) ?? []).filter((other) => other !== mine);
      await Promise.all(others.map((other) => other.idle()));
      await sleep(100);
      mine.set(true);
    });
    deliveries.push({ index, skipped: delivery.skipped, retried: delivery.retried });
    result.alerts.push(...delivery.alerts);
    result.skipped += delivery.skipped;
    result.conflicts += delivery.conflicts;
    result.retried += delivery.retried;
    if (!delivery.done) result.exhausted += 1;
  };
  const container = async () => {
    let clock = START;
    const handler = createHandler({
      now: () => clock,
      metrics: () => {},
      remainingMs: () => DEPLOYED_TIMEOUT_MS,
      store: new StateStore(patientDynamo(), STATE_TABLE),
    } satisfies Partial<MonitorDeps>);
    for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
      clock = START + index * INTERVAL_MS;
      const mine = new Running();
      running.set(index, [...(running.get(index) ?? []), mine]);
      await deliver(handler, index, mine).finally(() => mine.set(false));
    }
  };
  await Promise.all(Array.from({ length: options.containers }, container));
  return { ...result, deliveries, duplicated };
}

/**
 * Every skip explained: each batch handed out twice was found applied by one of its deliveries, and
 * any other batch only by a delivery that was retried (its failed attempt had written the group).
 * With no such retry, exactly the duplicates' second copies skip.
 */
function expectSkipsExplained(result: RaceResult): void {
  for (const index of result.duplicated) {
    const skips = result.deliveries.filter((delivery) => delivery.index === index);
    expect(
      skips.reduce((total, delivery) => total + delivery.skipped, 0),
      `batch ${index}`,
    ).toBeGreaterThanOrEqual(1);
  }
  const single = result.deliveries.filter((delivery) => !result.duplicated.has(delivery.index));
  expect(single.filter((delivery) => delivery.skipped > 0 && delivery.retried === 0)).toEqual([]);
  if (single.every((delivery) => delivery.retried === 0)) expect(result.skipped).toBe(result.duplicated.size);
}

// A hang guard, not a threshold: seconds on an idle machine, up to 150 s at a load of 25 (2 cores).
describe('one group written by many containers at once', { timeout: 300_000 }, () => {
  it('16 containers, 48 batches (every 8th delivered twice): none lost, none counted twice, one new alert', async () => {
    const [apiId = ''] = APIS;
    const result = await race(apiId, { containers: 16, batches: 48, duplicateEvery: 8 });
    const state = await storedState(keyOf(apiId));
    expect(result.exhausted).toBe(0);
    // The race happened: without concurrent writes this test could not fail for the reason it is here.
    expect(result.conflicts).toBeGreaterThan(0);
    // The second copy of each duplicate found its batch applied (6 of them), and no other batch
    // skipped unless a retry of it found its own earlier write.
    expect(result.duplicated.size).toBe(6);
    expectSkipsExplained(result);
    // Every 403 counted once: 48 batches of one 403 in the hour ring and in the window ring (which
    // holds the current window and the 12 before it: the 2 minutes fit).
    expect(sum(state?.hours.counts.counts ?? [])).toBe(48);
    expect(sum(state?.windows.counts ?? [])).toBe(48);
    expect(state?.lastSeenAt).toBe(START + 47 * INTERVAL_MS);
    expect(result.alerts).toEqual(['new']);
    expect(state?.sinceAlert).toBe(47);
  });

  it('with the state table throttling (the SDK retries each 429), still none lost and none counted twice', async () => {
    const apiId = APIS[1] ?? '';
    // Throttled answers stretch the read-to-write windows; a request may exhaust the SDK's 3 attempts,
    // and its invocation fails retryably and is run again. 8 throttles cannot fail one delivery's 3
    // invocations of 3 attempts each: a lost batch here is the monitor's.
    local.dynamoProxy.throttleNext(8);
    const result = await race(apiId, { containers: 4, batches: 40, duplicateEvery: 8 });
    const state = await storedState(keyOf(apiId));
    expect(result.exhausted).toBe(0);
    // A retried invocation may find its group applied too (its first attempt wrote it, then failed).
    expect(result.duplicated.size).toBe(5);
    expectSkipsExplained(result);
    expect(sum(state?.hours.counts.counts ?? [])).toBe(40);
    expect(result.alerts).toEqual(['new']);
  });
});

describe('StateStore.updateGroup: the read-modify-write of one group', () => {
  /** What the monitor decides for batch `index` of one 403 (planGroup), as a plan for updateGroup. */
  const plan =
    (index: number) =>
    (state: GroupState | undefined): GroupPlan<string> => {
      const settings = settingsFor(monitorConfig().noisePolicy, keyOf(APIS[2] ?? ''));
      const decision = planOne403(state, settings, {
        batchId: `u-${index}`,
        now: START + index * INTERVAL_MS,
        sources: [],
      });
      return decision.kind === 'write'
        ? { write: decision.next, result: 'written' }
        : { result: decision.kind };
    };

  it('past the deadline a refused write is not retried: retryable, and the item is the other writer’s', async () => {
    const key = keyOf(APIS[2] ?? '');
    const mine = new StateStore(dynamo, STATE_TABLE);
    const theirs = new StateStore(dynamo, STATE_TABLE);
    expect(await mine.updateGroup(key, plan(0))).toEqual({ value: 'written', conflicts: 0 });
    // Another container writes the group: this container's memory of it is now stale.
    expect(await theirs.updateGroup(key, plan(1))).toMatchObject({ value: 'written' });
    const error = await mine.updateGroup(key, plan(2), () => true).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GroupConflictError);
    expect((error as GroupConflictError).retryable).toBe(true);
    expect((error as GroupConflictError).conflicts).toBe(1);
    expect(sum((await storedState(key))?.hours.counts.counts ?? [])).toBe(2);
    // Before the deadline the same race is decided again on the stored state and written.
    expect(await mine.updateGroup(key, plan(2))).toEqual({ value: 'written', conflicts: 0 });
    expect(sum((await storedState(key))?.hours.counts.counts ?? [])).toBe(3);
  });

  it('a container that lost a race reads before it writes: one GetItem and one UpdateItem, no refused write', async () => {
    const key = keyOf(APIS[3] ?? '');
    // Through the proxy, where requests are counted.
    const counted = new DynamoDBClient({});
    const mine = new StateStore(counted, STATE_TABLE);
    const theirs = new StateStore(counted, STATE_TABLE);
    await mine.updateGroup(key, plan(0));
    await theirs.updateGroup(key, plan(1));
    const before = local.awsRequests.snapshot();
    expect(await mine.updateGroup(key, plan(2))).toEqual({ value: 'written', conflicts: 1 });
    expect(local.awsRequests.since(before)).toEqual({ dynamodb: { UpdateItem: 2, GetItem: 1 } });
    await theirs.updateGroup(key, plan(3));
    const hot = local.awsRequests.snapshot();
    expect(await mine.updateGroup(key, plan(4))).toEqual({ value: 'written', conflicts: 0 });
    expect(local.awsRequests.since(hot)).toEqual({ dynamodb: { GetItem: 1, UpdateItem: 1 } });
    expect(sum((await storedState(key))?.hours.counts.counts ?? [])).toBe(5);
  });
});
