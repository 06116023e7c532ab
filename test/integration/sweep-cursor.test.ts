import {
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAws, STATE_TABLE, startLocalAws } from '../../cli/peers/local-aws.js';
import { groupItem, groupState } from '../../lambda/adapters/group-item.js';
import { StateStore, type StoreOptions } from '../../lambda/adapters/state-store.js';
import {
  type GroupKey,
  type GroupState,
  groupItemKey,
  HOUR_SLOTS,
  PERIOD_SLOTS,
  type Resolution,
} from '../../lambda/core/lifecycle.js';
import { SWEEP_EVENT } from '../../lambda/core/noise-policy.js';
import {
  STATE_KEY_ATTRIBUTE,
  STATE_TTL_ATTRIBUTE,
  SWEEP_CURSOR_ATTRIBUTE,
  SWEEP_CURSOR_KEY,
} from '../../lambda/core/state-table.js';
import type { InvocationSummary, MonitorDeps } from '../../lambda/monitor.js';

/**
 * The sweep at scale (docs/pipeline.md, "The sweep at scale"): each run reads a bounded number of
 * Scan pages from where the last run stopped (a cursor item), resolves the quiet groups on each page,
 * and says when its pass goes on in the next run. Small pages are injected so that a few hundred items
 * stand for a table of millions.
 */

let local: LocalAws;
let dynamo: DynamoDBClient;
let createHandler: typeof import('../../lambda/handler.js').createHandler;
const START = Date.parse('2026-11-30T00:00:00Z');
const HOUR = 60 * 60_000;
/** Two hours after the groups' last 403s: every one of them is past the default 60 quiet minutes. */
const NOW = START + 2 * HOUR;
const GROUPS = 120;
const PAGE_ITEMS = 10;
const PAGES_PER_RUN = 3;

beforeAll(async () => {
  local = await startLocalAws();
  Object.assign(process.env, local.env, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
  ({ createHandler } = await import('../../lambda/handler.js'));
  dynamo = new DynamoDBClient({ endpoint: local.dynamoEndpoint });
});

afterAll(async () => {
  await local?.stop();
});

/** An ongoing group whose last 403 was at START: the sweep resolves it at NOW. */
function quietState(): GroupState {
  return {
    lifecycle: 'ongoing',
    firstSeenAt: START - HOUR,
    lastSeenAt: START,
    sinceAlert: 3,
    lastAlertAt: START - HOUR,
    windowMs: 5 * 60_000,
    windows: { end: Math.floor(START / 300_000), counts: [1, 0, 0] },
    hours: {
      counts: {
        end: Math.floor(START / HOUR),
        counts: new Array(HOUR_SLOTS).fill(0).fill(2, HOUR_SLOTS - 2),
      },
      muted: { end: 0, counts: new Array(PERIOD_SLOTS).fill(0) },
      alerts: { end: 0, counts: new Array(PERIOD_SLOTS).fill(0) },
    },
    topSources: [],
    version: 4,
    expiresAt: Math.ceil((START + 30 * 24 * HOUR) / 1000),
  };
}

const keyOf = (index: number, run: string): GroupKey => ({
  account: String(100_000_000_000 + (index % 7)),
  apiId: `${run}${String(index).padStart(5, '0')}`,
  stage: 'prod',
  category: 'WAF_FILTERED',
});

/** `GROUPS` quiet groups of run `run`, with batch records between them (the Scan reads and skips those). */
async function seed(run: string): Promise<GroupKey[]> {
  const keys = Array.from({ length: GROUPS }, (_, index) => keyOf(index, run));
  const items = [
    ...keys.map((key) => groupItem(key, quietState())),
    ...Array.from({ length: GROUPS / 4 }, (_, index) => ({
      [STATE_KEY_ATTRIBUTE]: { S: `batch#${run}-${index}` },
      owner: { S: 'someone' },
      [STATE_TTL_ATTRIBUTE]: { N: String(Math.ceil(NOW / 1000) + 3_600) },
    })),
  ];
  for (let offset = 0; offset < items.length; offset += 25)
    await dynamo.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [STATE_TABLE]: items.slice(offset, offset + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  return keys;
}

interface Logged {
  readonly level: string;
  readonly message: string;
  readonly counts: Record<string, unknown>;
}

function sweeper(store: StateStore) {
  const logs: Logged[] = [];
  const handler = createHandler({
    now: () => NOW,
    metrics: () => {},
    store,
    log: (level, message, counts) => logs.push({ level, message, counts }),
  } satisfies Partial<MonitorDeps>);
  return { logs, run: () => handler(SWEEP_EVENT) };
}

const small = (options: StoreOptions = {}) =>
  new StateStore(new DynamoDBClient({}), STATE_TABLE, undefined, {
    pageItems: PAGE_ITEMS,
    sweepPages: PAGES_PER_RUN,
    ...options,
  });

const resolvedIds = (summaries: readonly InvocationSummary[]) =>
  summaries.flatMap((summary) => summary.outcomes.filter((o) => o.why === 'resolved').map((o) => o.apiId));

async function clearTable(): Promise<void> {
  // Every test starts a pass of its own: the resolved groups of the tests before stay, but resolve no more.
  await dynamo.send(
    new PutItemCommand({
      TableName: STATE_TABLE,
      Item: { [STATE_KEY_ATTRIBUTE]: { S: SWEEP_CURSOR_KEY }, [STATE_TTL_ATTRIBUTE]: { N: '1' } },
    }),
  );
}

beforeEach(clearTable);

describe('the sweep at scale: bounded pages per run, resumed from a cursor', () => {
  it('resolves every group exactly once over as many runs as the table needs, each run saying whether its pass is over', async () => {
    const keys = await seed('cur');
    const { logs, run } = sweeper(small());
    const summaries: InvocationSummary[] = [];
    for (let runs = 0; runs < 50; runs += 1) {
      summaries.push(await run());
      if (logs.at(-1)?.counts.passComplete === true) break;
    }
    // Each run read at most its pages, and the pass took several runs.
    expect(logs.length).toBeGreaterThan(3);
    for (const log of logs) expect(log.counts.pages).toBeLessThanOrEqual(PAGES_PER_RUN);
    const resolved = resolvedIds(summaries);
    expect([...resolved].sort()).toEqual(keys.map((key) => key.apiId).sort());
    expect(new Set(resolved).size).toBe(resolved.length);
    // Every run but the last warns that its pass goes on; each after the first resumed.
    expect(logs.slice(0, -1).every((log) => log.level === 'warn' && log.counts.passComplete === false)).toBe(
      true,
    );
    expect(logs.at(-1)).toMatchObject({ level: 'info', counts: { passComplete: true } });
    expect(logs.slice(1).every((log) => log.counts.resumed === true)).toBe(true);
    const stored = await Promise.all(
      keys.map((key) =>
        dynamo.send(
          new GetItemCommand({
            TableName: STATE_TABLE,
            Key: { [STATE_KEY_ATTRIBUTE]: { S: groupItemKey(key) } },
          }),
        ),
      ),
    );
    expect(stored.every(({ Item }) => Item && groupState(Item).lifecycle === 'resolved')).toBe(true);
    // The next run starts a new pass from the start of the table.
    await run();
    expect(logs.at(-1)?.counts).toMatchObject({ resumed: false });
  });

  it('two runs at once: the one that finds the cursor moved stops, and no group resolves twice', async () => {
    await seed('two');
    const first = sweeper(small());
    const second = sweeper(small());
    const summaries: InvocationSummary[] = [];
    for (let runs = 0; runs < 50; runs += 1) {
      summaries.push(...(await Promise.all([first.run(), second.run()])));
      if ([...first.logs, ...second.logs].some((log) => log.counts.passComplete === true)) break;
    }
    const resolved = resolvedIds(summaries).filter((id) => id.startsWith('two'));
    expect(resolved).toHaveLength(GROUPS);
    expect(new Set(resolved).size).toBe(GROUPS);
    expect([...first.logs, ...second.logs].some((log) => log.counts.raced === true)).toBe(true);
  });

  it('a page whose resolutions fail keeps the cursor before it: the next run resolves that page', async () => {
    const keys = await seed('flt');
    const failing = keys[15]?.apiId;
    let failures = 0;
    class FailsOnce extends StateStore {
      override resolve(resolution: Resolution): Promise<boolean> {
        if (resolution.key.apiId === failing && failures === 0) {
          failures += 1;
          return Promise.reject(new Error('injected: the resolution write failed'));
        }
        return super.resolve(resolution);
      }
    }
    const { logs, run } = sweeper(
      new FailsOnce(new DynamoDBClient({}), STATE_TABLE, undefined, {
        pageItems: PAGE_ITEMS,
        sweepPages: PAGES_PER_RUN,
      }),
    );
    const summaries: InvocationSummary[] = [];
    let thrown = 0;
    for (let runs = 0; runs < 50; runs += 1) {
      const summary = await run().catch(() => undefined);
      if (summary) summaries.push(summary);
      else thrown += 1;
      if (logs.at(-1)?.counts.passComplete === true) break;
    }
    expect(thrown).toBe(1);
    expect(logs.filter((log) => log.level === 'error')).toHaveLength(1);
    const resolved = resolvedIds(summaries).filter((id) => id.startsWith('flt'));
    expect(resolved).toContain(failing);
    // The failed run resolved groups before its error (its outcomes went with the throw); the runs after
    // resolved every other group once, the failed one included.
    expect(resolved.length).toBe(new Set(resolved).size);
    expect(resolved.length).toBe(GROUPS - countResolvedInFailedRun(logs));
  });

  it('a cursor older than a day is stale: the run starts a new pass', async () => {
    await dynamo.send(
      new PutItemCommand({
        TableName: STATE_TABLE,
        Item: {
          [STATE_KEY_ATTRIBUTE]: { S: SWEEP_CURSOR_KEY },
          [SWEEP_CURSOR_ATTRIBUTE]: { S: groupItemKey(keyOf(3, 'cur')) },
          [STATE_TTL_ATTRIBUTE]: { N: String(Math.floor(NOW / 1000) - 1) },
        },
      }),
    );
    const { logs, run } = sweeper(small());
    await run();
    expect(logs.at(-1)?.counts).toMatchObject({ resumed: false });
  });
});

/** The groups the failed run resolved before its error (its outcomes are lost with the throw). */
function countResolvedInFailedRun(logs: readonly Logged[]): number {
  const failed = logs.find((log) => log.level === 'error');
  return Number(failed?.counts.resolved ?? 0);
}
