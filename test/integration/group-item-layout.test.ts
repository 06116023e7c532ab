import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, STATE_TABLE, startLocalAws } from '../../cli/peers/local-aws.js';
import { monitorConfig } from '../../lambda/adapters/env-config.js';
import { groupItem, groupState } from '../../lambda/adapters/group-item.js';
import { type GroupPlan, StateStore } from '../../lambda/adapters/state-store.js';
import { batchIdOf } from '../../lambda/core/alerts.js';
import {
  type GroupDecision,
  type GroupKey,
  type GroupState,
  groupItemKey,
  HOUR_SLOTS,
  PERIOD_SLOTS,
  planGroup,
  type Resolution,
  type Ring,
  settingsFor,
  TallyBuilder,
} from '../../lambda/core/lifecycle.js';
import { GROUP_ATTRIBUTES, STATE_KEY_ATTRIBUTE } from '../../lambda/core/state-table.js';
import { LEGACY_ITEM, LEGACY_KEY, LEGACY_STATE } from '../fixtures/legacy-group-item.js';
import { itemSize } from '../fixtures/state-table.js';

/**
 * The group item's layout on the table (lambda/adapters/group-item.ts): a write costs one WCU per KB of
 * the item (DynamoDB counts each attribute's name and value), so the common groups' items stay under
 * 1 KB; and an item in the layout before is read, and rewritten by its next write, over a live table.
 */

let local: LocalAws;
let dynamo: DynamoDBClient;
const START = Date.parse('2026-11-30T00:00:00Z');
const MINUTE = 60_000;
const KB = 1_024;

beforeAll(async () => {
  local = await startLocalAws();
  Object.assign(process.env, local.env, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
  dynamo = new DynamoDBClient({ endpoint: local.dynamoEndpoint });
});

afterAll(async () => {
  await local?.stop();
});

const sum = (counts: readonly number[]) => counts.reduce((total, count) => total + count, 0);

/** `batches` batches of `perBatch` 403s each, `intervalMs` apart, from `sources` addresses, through planGroup. */
function history(
  key: GroupKey,
  options: { batches: number; intervalMs: number; perBatch: number; sources: number; deploymentId?: string },
): GroupState {
  const settings = settingsFor(monitorConfig().noisePolicy, key);
  let state: GroupState | undefined;
  for (let index = 0; index < options.batches; index += 1) {
    const now = START + index * options.intervalMs;
    const tally = new TallyBuilder();
    for (let i = 0; i < options.perBatch; i += 1) tally.add(now - i, false, options.deploymentId);
    const decision = planGroup(
      state,
      {
        batchId: batchIdOf([`${key.apiId}-${index}`]),
        tally: tally.build(),
        sources: [{ value: `198.51.100.${index % options.sources}`, count: options.perBatch }],
        now,
      },
      settings,
    );
    if (decision.kind === 'write') state = decision.next;
  }
  if (!state) throw new Error('no write');
  return state;
}

async function consumedByPut(item: PutItemCommandOutput['Attributes']): Promise<number | undefined> {
  const { ConsumedCapacity } = await dynamo.send(
    new PutItemCommand({ TableName: STATE_TABLE, Item: item, ReturnConsumedCapacity: 'TOTAL' }),
  );
  return ConsumedCapacity?.CapacityUnits;
}

const account = '123456789012';
const COMMON: readonly [string, GroupKey, Parameters<typeof history>[1]][] = [
  [
    'a quiet group: one 403, alerted as new',
    { account, apiId: 'qu1etap1aa', stage: 'prod', category: 'WAF_FILTERED' },
    { batches: 1, intervalMs: MINUTE, perBatch: 1, sources: 1 },
  ],
  [
    'a quiet group: a 403 an hour for two days',
    { account, apiId: 'qu1etap1bb', stage: 'prod', category: 'AUTHORIZER_EXPLICIT_DENY' },
    { batches: 48, intervalMs: 60 * MINUTE, perBatch: 1, sources: 2 },
  ],
  [
    'a busy alerting group: 20 403s a minute from 5 addresses for 50 hours, the hour ring full',
    { account, apiId: 'busyap1ccc', stage: 'production', category: 'WAF_FILTERED' },
    { batches: 3_000, intervalMs: MINUTE, perBatch: 20, sources: 5, deploymentId: 'a1b2c3' },
  ],
  [
    'the soak’s group: one 403 every 2.5 s for 5 hours',
    { apiId: 'b0undedap1', stage: 'prod', category: 'WAF_FILTERED' },
    { batches: 7_200, intervalMs: 2_500, perBatch: 1, sources: 1 },
  ],
];

describe('the group item’s size: one WCU a write for the common groups', () => {
  it.each(COMMON)('%s: under 1 KB, 1 WCU at the peer', async (_name, key, options) => {
    const state = history(key, options);
    const item = groupItem(key, state);
    expect(itemSize(item)).toBeLessThan(KB);
    expect(await consumedByPut(item)).toBe(1);
  });

  it('the layout before: its item of a group of 200 batches weighed over 1 KB, 2 WCUs a write', async () => {
    expect(itemSize(LEGACY_ITEM)).toBeGreaterThan(KB);
    expect(await consumedByPut(LEGACY_ITEM)).toBe(2);
    const compact = groupItem({ ...LEGACY_KEY, apiId: 'c0mpactap1' }, LEGACY_STATE);
    expect(itemSize(compact)).toBeLessThan(KB);
    expect(await consumedByPut(compact)).toBe(1);
    // A write's cost is the larger of the item before and after it: rewriting an item of the layout
    // before costs 2 WCUs once.
    expect(
      await consumedByPut({ ...compact, [STATE_KEY_ATTRIBUTE]: LEGACY_ITEM[STATE_KEY_ATTRIBUTE] as never }),
    ).toBe(2);
  });
});

describe('an item of the layout before, over a live table', () => {
  /** The legacy item, of another API (its key attributes spell its key, as the layout before wrote them). */
  const legacyOf = (key: GroupKey) => ({
    ...LEGACY_ITEM,
    [STATE_KEY_ATTRIBUTE]: { S: groupItemKey(key) },
    apiId: { S: key.apiId },
  });
  const stored = async (key: GroupKey) =>
    (
      await dynamo.send(
        new GetItemCommand({
          TableName: STATE_TABLE,
          Key: { [STATE_KEY_ATTRIBUTE]: { S: groupItemKey(key) } },
        }),
      )
    ).Item;
  const LEGACY_COUNT = sum(LEGACY_STATE.hours.counts.counts);
  /** The 403s the stored item's hour ring holds. */
  const counted = async (key: GroupKey) => sum(groupState((await stored(key)) ?? {}).hours.counts.counts);
  const planned =
    (key: GroupKey, index: number) =>
    (state: GroupState | undefined): GroupPlan<GroupDecision> => {
      const tally = new TallyBuilder();
      const now = LEGACY_STATE.lastSeenAt + index * 10_000;
      tally.add(now, false);
      const decision = planGroup(
        state,
        { batchId: batchIdOf([`after-${index}`]), tally: tally.build(), sources: [], now },
        settingsFor(monitorConfig().noisePolicy, key),
      );
      return decision.kind === 'write' ? { write: decision.next, result: decision } : { result: decision };
    };

  it('reads as the state the release before read from it, its rings grown to today’s lengths', () => {
    const grown = (ring: Ring, size: number): Ring => ({
      end: ring.end,
      counts: [...new Array<number>(size - ring.counts.length).fill(0), ...ring.counts],
    });
    expect(groupState(LEGACY_ITEM)).toEqual({
      ...LEGACY_STATE,
      hours: {
        counts: grown(LEGACY_STATE.hours.counts, HOUR_SLOTS),
        muted: grown(LEGACY_STATE.hours.muted, PERIOD_SLOTS),
        alerts: grown(LEGACY_STATE.hours.alerts, PERIOD_SLOTS),
      },
    });
  });

  it('is rewritten in the compact layout by its next write, its history and version kept', async () => {
    await dynamo.send(new PutItemCommand({ TableName: STATE_TABLE, Item: LEGACY_ITEM }));
    // A container that has not seen the group: its first guess (no item) is refused, then it reads.
    const store = new StateStore(dynamo, STATE_TABLE);
    const { value, conflicts } = await store.updateGroup(LEGACY_KEY, planned(LEGACY_KEY, 1));
    expect(value.kind).toBe('write');
    expect(conflicts).toBe(1);
    const item = await stored(LEGACY_KEY);
    // Only the compact layout's attributes are left.
    expect(Object.keys(item ?? {}).sort()).toEqual(
      Object.keys(groupItem(LEGACY_KEY, groupState(item ?? {}))).sort(),
    );
    expect(item?.[GROUP_ATTRIBUTES.version]).toEqual({ N: String(LEGACY_STATE.version + 1) });
    const state = groupState(item ?? {});
    expect(sum(state.hours.counts.counts)).toBe(sum(LEGACY_STATE.hours.counts.counts) + 1);
    expect(state.firstSeenAt).toBe(LEGACY_STATE.firstSeenAt);
    expect(state.pending).toEqual(LEGACY_STATE.pending);
    expect(state.recentBatches?.slice(0, -1)).toEqual(LEGACY_STATE.recentBatches?.slice(1));
    expect(state.topSources).toEqual(LEGACY_STATE.topSources);
    // The next write is an ordinary one, on the state this container wrote: no refusal.
    expect((await store.updateGroup(LEGACY_KEY, planned(LEGACY_KEY, 2))).conflicts).toBe(0);
    expect(await counted(LEGACY_KEY)).toBe(LEGACY_COUNT + 2);
  });

  it('a write computed on the old layout is refused once another container rewrote the item', async () => {
    const key: GroupKey = { ...LEGACY_KEY, apiId: 'rac1ngap1x' };
    await dynamo.send(new PutItemCommand({ TableName: STATE_TABLE, Item: legacyOf(key) }));
    const mine = new StateStore(dynamo, STATE_TABLE);
    const theirs = new StateStore(dynamo, STATE_TABLE);
    const old = await mine.read(key);
    await theirs.updateGroup(key, planned(key, 1));
    const next = planned(key, 2)(old).write;
    if (!next) throw new Error('no write');
    expect(await mine.writeGroup(key, next, old?.version)).toBe(false);
    // Decided again on the compact item, it is written: both 403s counted once.
    await mine.updateGroup(key, planned(key, 2));
    expect(await counted(key)).toBe(LEGACY_COUNT + 2);
  });

  it('the sweep lists it under its key and resolves it in the compact layout', async () => {
    const key: GroupKey = { ...LEGACY_KEY, apiId: 'sweepap1xx' };
    await dynamo.send(new PutItemCommand({ TableName: STATE_TABLE, Item: legacyOf(key) }));
    const store = new StateStore(dynamo, STATE_TABLE);
    const later = LEGACY_STATE.lastSeenAt + 24 * 60 * MINUTE;
    const resolved: Resolution[] = [];
    await store.sweepGroups(later, monitorConfig().noisePolicy, async (resolutions) => {
      for (const resolution of resolutions) if (await store.resolve(resolution)) resolved.push(resolution);
    });
    expect(resolved.find((found) => found.key.apiId === key.apiId)?.key).toEqual(key);
    const item = await stored(key);
    expect(item?.[GROUP_ATTRIBUTES.version]).toBeDefined();
    expect(item?.version).toBeUndefined();
    expect(groupState(item ?? {}).lifecycle).toBe('resolved');
  });

  it('an item of the cooldown-only monitor (no version, no lifecycle) is written, not refused forever', async () => {
    const key: GroupKey = { apiId: 'c00ldownap', stage: 'prod', category: 'WAF_FILTERED' };
    await dynamo.send(
      new PutItemCommand({
        TableName: STATE_TABLE,
        Item: {
          [STATE_KEY_ATTRIBUTE]: { S: groupItemKey(key) },
          lastAlertAt: { N: String(LEGACY_STATE.lastSeenAt) },
          expiresAt: { N: String(LEGACY_STATE.expiresAt) },
        },
      }),
    );
    const { value } = await new StateStore(dynamo, STATE_TABLE).updateGroup(key, planned(key, 1));
    expect(value.kind).toBe('write');
    const state = groupState((await stored(key)) ?? {});
    expect(state.version).toBe(1);
    expect(sum(state.hours.counts.counts)).toBe(1);
  });
});
