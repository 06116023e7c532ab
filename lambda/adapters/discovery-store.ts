/**
 * The discovered mapping's one state-table item: the discovery function writes it (a newer sweep is
 * never overwritten by an older one), the monitor reads it through a cache with a time to live. The same
 * item keeps the set of groups that may carry the function's filters, so a later sweep can remove them.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DISCOVERY_GENERATION_ATTRIBUTE,
  DISCOVERY_ITEM_KEY,
  DISCOVERY_MAPPING_ATTRIBUTE,
  DISCOVERY_SUBSCRIBED_ATTRIBUTE,
  type DiscoveryMapping,
  decodeMapping,
  encodeMapping,
  mergeWatchedStages,
  watchedGroupsOf,
} from '../core/discovery.js';
import { STATE_KEY_ATTRIBUTE } from '../core/state-table.js';
import type { WatchedStage } from './env-config.js';

const KEY = { [STATE_KEY_ATTRIBUTE]: { S: DISCOVERY_ITEM_KEY } };

export async function readMapping(
  client: DynamoDBClient,
  tableName: string,
): Promise<DiscoveryMapping | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: KEY }));
  return decodeMapping(Item?.[DISCOVERY_MAPPING_ATTRIBUTE]?.S);
}

/** The groups that may carry one of this monitor's discovery filters (a string set: concurrent sweeps add up). */
export async function readSubscribedGroups(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: KEY,
      ProjectionExpression: '#sub',
      ExpressionAttributeNames: { '#sub': DISCOVERY_SUBSCRIBED_ATTRIBUTE },
    }),
  );
  return Item?.[DISCOVERY_SUBSCRIBED_ATTRIBUTE]?.SS ?? [];
}

/**
 * Stores the mapping unless a sweep that started later already stored one (two sweeps can overlap: a
 * burst of stage changes each triggers one). Returns whether it was stored. The subscribed-group set
 * of the same item is left as it is.
 */
export async function writeMapping(
  client: DynamoDBClient,
  tableName: string,
  mapping: DiscoveryMapping,
): Promise<boolean> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: KEY,
        UpdateExpression: 'SET #map = :map, #gen = :gen',
        ConditionExpression: 'attribute_not_exists(#gen) OR #gen < :gen',
        ExpressionAttributeNames: {
          '#map': DISCOVERY_MAPPING_ATTRIBUTE,
          '#gen': DISCOVERY_GENERATION_ATTRIBUTE,
        },
        ExpressionAttributeValues: {
          ':map': { S: encodeMapping(mapping) },
          ':gen': { N: String(mapping.generatedAt) },
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Adds groups to (`ADD`) or removes them from (`DELETE`) the subscribed-group set. */
export async function updateSubscribedGroups(
  client: DynamoDBClient,
  tableName: string,
  action: 'ADD' | 'DELETE',
  groups: readonly string[],
): Promise<void> {
  // DynamoDB refuses an empty set.
  if (groups.length === 0) return;
  await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: KEY,
      UpdateExpression: `${action} #sub :groups`,
      ExpressionAttributeNames: { '#sub': DISCOVERY_SUBSCRIBED_ATTRIBUTE },
      ExpressionAttributeValues: { ':groups': { SS: [...new Set(groups)] } },
    }),
  );
}

/** How long a container trusts the mapping it read. */
export const MAPPING_CACHE_MS = 60_000;
/** A group the cached mapping does not know is looked up again at most this often (a stage just found). */
export const MAPPING_MISS_REFRESH_MS = 5_000;

/**
 * The mapping as the monitor sees it: read once, then again after `MAPPING_CACHE_MS`, or sooner when
 * an event comes from a group the cached copy does not name (at most every `MAPPING_MISS_REFRESH_MS`,
 * so unknown groups cost one read per interval, not one per event). A failed read keeps the last copy;
 * with none, it throws and the invocation is retried.
 */
export class MappingCache<T> {
  private value: { readonly at: number; readonly derived: T } | undefined;

  constructor(
    private readonly read: () => Promise<DiscoveryMapping | undefined>,
    private readonly derive: (mapping: DiscoveryMapping | undefined) => T,
    private readonly knows: (derived: T, logGroup: string) => boolean,
    private readonly now: () => number,
  ) {}

  async lookup(logGroup: string): Promise<T> {
    const now = this.now();
    const cached = this.value;
    const stale = !cached || now - cached.at >= MAPPING_CACHE_MS;
    const unknown = cached !== undefined && !this.knows(cached.derived, logGroup);
    if (!stale && !(unknown && now - cached.at >= MAPPING_MISS_REFRESH_MS)) return cached.derived;
    try {
      this.value = { at: now, derived: this.derive(await this.read()) };
    } catch (error) {
      if (!cached) throw error;
      // Keep serving the last copy; try again after the miss interval, not on every event.
      this.value = { at: now - MAPPING_CACHE_MS + MAPPING_MISS_REFRESH_MS, derived: cached.derived };
    }
    return this.value.derived;
  }
}

/**
 * The monitor's view in account-wide mode: for an event's log group, the stages to watch (the listed
 * ones, then the discovered ones no listed entry names), from the cached mapping.
 */
export function watchedStagesLookup(
  client: DynamoDBClient,
  tableName: string,
  listed: readonly WatchedStage[],
  now: () => number,
): (logGroup: string) => Promise<readonly WatchedStage[]> {
  const cache = new MappingCache(
    () => readMapping(client, tableName),
    (mapping) => {
      const stages = mergeWatchedStages(
        listed,
        mapping?.stages ?? [],
        ({ apiId, stage, accessLogGroup, executionLogs }) => ({
          apiId,
          stage,
          ...(accessLogGroup ? { accessLogGroup } : {}),
          executionLogs,
        }),
      );
      return { stages, groups: watchedGroupsOf(stages) };
    },
    (derived, logGroup) => derived.groups.has(logGroup),
    now,
  );
  return async (logGroup) => (await cache.lookup(logGroup)).stages;
}
