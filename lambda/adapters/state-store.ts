import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  type BatchClaim,
  type BatchProgress,
  type BatchRecord,
  batchClaimOf,
  batchItemKey,
} from '../core/alerts.js';
import { CATEGORIES, type Category } from '../core/categories.js';
import { FairListing } from '../core/fair-listing.js';
import {
  type DigestPeriod,
  type GroupKey,
  type GroupState,
  groupItemKey,
  HOUR_SLOTS,
  isLive,
  LIFECYCLE_ITEM_PREFIX,
  PERIOD_SLOTS,
  type PendingAlert,
  RECENT_BATCHES,
  type Resolution,
  type Ring,
  summariseForDigest,
  sweep,
  WINDOW_SLOTS,
} from '../core/lifecycle.js';
import {
  type DigestGroupSummary,
  LIFECYCLES,
  type Lifecycle,
  type NoisePolicy,
} from '../core/noise-policy.js';
import { STATE_KEY_ATTRIBUTE, STATE_TTL_ATTRIBUTE } from '../core/state-table.js';
import { deliveryError, MonitorError } from './errors.js';

/**
 * What a caller makes of one sight of a group's state: the state to write (conditional on the version
 * it was computed from) or nothing to write, and what to return once that holds.
 */
export type GroupPlan<T> = { readonly write?: GroupState; readonly result: T };

export interface GroupUpdate<T> {
  readonly value: T;
  /** The writes other invocations' writes refused first (each then waited, re-read and decided again). */
  readonly conflicts: number;
}

/**
 * A group write refused because another invocation wrote the group first, this many times in a row
 * (or once the caller's deadline passed): the batch fails retryably and Lambda's retry runs it again.
 */
const MAX_GROUP_CONFLICTS = 100;
/**
 * After a refused write, this container reads a group before it writes it for this long: while other
 * containers write the group too, its own last state is a wrong guess, and a read costs less than a
 * refused write.
 */
const HOT_GROUP_MS = 60_000;
/** Full jitter: the wait after the n-th refusal is uniform in [0, min(cap, base × 2^n)). */
const CONFLICT_BACKOFF_BASE_MS = 5;
const CONFLICT_BACKOFF_CAP_MS = 200;

/** The group's state kept changing under this invocation: retryable (Lambda runs the batch again). */
export class GroupConflictError extends MonitorError {
  constructor(
    readonly key: GroupKey,
    readonly conflicts: number,
  ) {
    super(
      `the state of ${key.apiId}/${key.stage}/${key.category} kept changing (${conflicts} refused writes)`,
      true,
    );
    this.name = 'GroupConflictError';
  }
}

function conflictBackoff(conflicts: number): Promise<void> {
  const ceiling = Math.min(CONFLICT_BACKOFF_CAP_MS, CONFLICT_BACKOFF_BASE_MS * 2 ** conflicts);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** Groups whose last known state a warm container keeps, to choose each group's first write. */
const DEFAULT_MEMORY_SIZE = 10_000;

/** Attribute names (all aliased: several are DynamoDB reserved words). */
const NAMES = {
  '#pk': STATE_KEY_ATTRIBUTE,
  '#exp': STATE_TTL_ATTRIBUTE,
  '#ver': 'version',
  '#owner': 'owner',
  '#lease': 'leaseUntil',
  '#done': 'doneAt',
  '#prog': 'progress',
  '#dig': 'progressDigest',
} as const;
type Name = keyof typeof NAMES;

/** The group item's attributes besides the key, the TTL and the version (GroupState, flattened). */
const GROUP = {
  account: 'account',
  apiId: 'apiId',
  stage: 'stage',
  category: 'category',
  lifecycle: 'lifecycle',
  firstSeenAt: 'firstSeenAt',
  lastSeenAt: 'lastSeenAt',
  resolvedAt: 'resolvedAt',
  lastAlertAt: 'lastAlertAt',
  sinceAlert: 'sinceAlert',
  usual: 'usual',
  windowMs: 'windowMs',
  windows: 'windows',
  windowsEnd: 'windowsEnd',
  hourCounts: 'hourCounts',
  hourCountsEnd: 'hourCountsEnd',
  hourMuted: 'hourMuted',
  hourMutedEnd: 'hourMutedEnd',
  hourAlerts: 'hourAlerts',
  hourAlertsEnd: 'hourAlertsEnd',
  topSources: 'topSources',
  deploymentId: 'deploymentId',
  recentBatches: 'recentBatches',
  lastBatch: 'lastBatch',
  lastBatchAt: 'lastBatchAt',
  pendingBatch: 'pendingBatch',
  pendingAt: 'pendingAt',
  pendingLifecycle: 'pendingLifecycle',
  pendingReason: 'pendingReason',
  pendingSuppressed: 'pendingSuppressed',
  previousAlertAt: 'previousAlertAt',
} as const;

/**
 * The most group items one listing keeps (the digest and the sweep), shared fairly per account, then
 * stage (core/fair-listing.ts), and the pages it may read.
 */
export const MAX_LISTED_GROUPS = 20_000;
const MAX_SCAN_PAGES = 200;

export interface GroupListing {
  readonly groups: readonly { readonly key: GroupKey; readonly state: GroupState }[];
  /** True when the table held more than MAX_LISTED_GROUPS groups (or pages): some were left out. */
  readonly truncated: boolean;
}

/**
 * The state table (partition key STATE_KEY_ATTRIBUTE, TTL attribute STATE_TTL_ATTRIBUTE in epoch
 * seconds). Two item kinds, both of a fixed size: `group#{apiId}#{stage}#{category}` (one group's
 * lifecycle, windowed counts and digest bookkeeping, written with one conditional UpdateItem per
 * group and batch, conditional on the version it was computed from) and `batch#{batchId}` (who holds
 * the batch, until when, and what is finished; TTL 7 h).
 */
export class StateStore {
  private readonly memory = new Map<string, GroupState>();
  /** Groups this container saw another container write lately, and until when (`performance.now()`). */
  private readonly hot = new Map<string, number>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly memorySize = DEFAULT_MEMORY_SIZE,
  ) {}

  /** The group's state as this container last saw it (a guess to compute the first write, never trusted). */
  recall(key: GroupKey): GroupState | undefined {
    return this.memory.get(groupItemKey(key));
  }

  /** The group's stored state, read consistently (a redelivery checks its guess with it). */
  async read(key: GroupKey): Promise<GroupState | undefined> {
    const pk = groupItemKey(key);
    const item = await this.get(pk, 'reading the group state');
    return this.remember(pk, item ? groupState(item) : undefined);
  }

  /**
   * Read, decide, write, for one group: `plan` decides on the state this container last saw (one
   * request when it is right), and a decision not to write is only trusted on the stored state (read
   * consistently). A write another invocation's write refused (its condition is the version `plan`
   * saw) is decided again: after a full-jitter wait, so that the invocations racing on a hot group do
   * not retry in step, on the state read then. At most MAX_GROUP_CONFLICTS refusals, and none past
   * `stop()` (the invocation's deadline), then GroupConflictError (retryable). `plan` must be pure:
   * it runs once per sight.
   */
  async updateGroup<T>(
    key: GroupKey,
    plan: (state: GroupState | undefined) => GroupPlan<T>,
    stop: () => boolean = () => false,
  ): Promise<GroupUpdate<T>> {
    const pk = groupItemKey(key);
    const hot = (this.hot.get(pk) ?? 0) > performance.now();
    let state = hot ? await this.read(key) : this.recall(key);
    let verified = hot;
    for (let conflicts = 0; ; ) {
      const decision = plan(state);
      if (decision.write === undefined) {
        if (verified) return { value: decision.result, conflicts };
      } else if (await this.writeGroup(key, decision.write, state?.version)) {
        return { value: decision.result, conflicts };
      } else {
        conflicts += 1;
        this.markHot(pk);
        if (conflicts >= MAX_GROUP_CONFLICTS || stop()) throw new GroupConflictError(key, conflicts);
        await conflictBackoff(conflicts);
      }
      state = await this.read(key);
      verified = true;
    }
  }

  /** Writes `next` if the item is still at `version` (absent when `version` is undefined); false if not. */
  async writeGroup(key: GroupKey, next: GroupState, version: number | undefined): Promise<boolean> {
    const pk = groupItemKey(key);
    const { set, remove, values } = groupUpdate(key, next);
    const update = `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`;
    const condition = version === undefined ? 'attribute_not_exists(#pk)' : `#${NAMES['#ver']} = :expected`;
    const names: Record<string, string> = Object.fromEntries(
      [...Object.values(GROUP), STATE_TTL_ATTRIBUTE, NAMES['#ver']].map((name) => [`#${name}`, name]),
    );
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [STATE_KEY_ATTRIBUTE]: { S: pk } },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            ...Object.fromEntries(Object.entries(names).filter(([alias]) => used(alias, update))),
            ...(version === undefined ? { '#pk': STATE_KEY_ATTRIBUTE } : {}),
          },
          ExpressionAttributeValues: {
            ...values,
            ...(version === undefined ? {} : { ':expected': number(version) }),
          },
        }),
      );
      this.remember(pk, next);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw deliveryError('writing the group state', error);
    }
  }

  /**
   * Every group item of the table (Scan, `begins_with(pk, 'group#')`, paginated), at most
   * MAX_LISTED_GROUPS. Expired items (DynamoDB deletes them within days) are left out.
   */
  async listGroups(now: number, limit = MAX_LISTED_GROUPS): Promise<GroupListing> {
    // Read to the end (up to MAX_SCAN_PAGES), keeping a fair share per account and stage: stopping
    // at the limit would let whichever groups the scan meets first, one noisy account's, fill it.
    const groups = new FairListing<{ key: GroupKey; state: GroupState }>(limit, (entry) => entry.key);
    let start: Record<string, AttributeValue> | undefined;
    let pages = 0;
    do {
      let page: ScanCommandOutput;
      try {
        page = await this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: 'begins_with(#pk, :prefix)',
            ExpressionAttributeNames: { '#pk': STATE_KEY_ATTRIBUTE },
            ExpressionAttributeValues: { ':prefix': { S: LIFECYCLE_ITEM_PREFIX } },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
      } catch (error) {
        throw deliveryError('listing the groups', error);
      }
      pages += 1;
      for (const item of page.Items ?? []) {
        const key = groupKeyOfItem(item);
        const state = groupState(item);
        if (key && isLive(state, now)) groups.add({ key, state });
      }
      start = page.LastEvaluatedKey;
    } while (start && pages < MAX_SCAN_PAGES);
    return { groups: groups.entries(), truncated: groups.truncated || start !== undefined };
  }

  /**
   * The digest's lines: every live group's summary of `period` (summariseForDigest), for the digest
   * function. Groups whose action is `ignore` have no item and no line.
   */
  async listDigestSummaries(
    period: DigestPeriod,
    policy: NoisePolicy,
    now: number,
  ): Promise<{ summaries: DigestGroupSummary[]; truncated: boolean }> {
    const { groups, truncated } = await this.listGroups(now);
    return {
      summaries: groups.map(({ key, state }) => summariseForDigest(key, state, period, policy)),
      truncated,
    };
  }

  /** The groups that resolve at `now` (the pure `sweep` over the listing); apply each with `resolve`. */
  async quietGroups(
    now: number,
    policy: NoisePolicy,
  ): Promise<{ resolutions: Resolution[]; truncated: boolean }> {
    const { groups, truncated } = await this.listGroups(now);
    return { resolutions: sweep(groups, now, policy), truncated };
  }

  /** Writes a resolution if the group is still as it was read; false when a batch changed it since. */
  async resolve(resolution: Resolution): Promise<boolean> {
    return this.writeGroup(resolution.key, resolution.next, resolution.version);
  }

  /**
   * Takes the batch for `owner` until `leaseUntil` if nobody holds a live lease on it and it is not
   * finished; says what the delivery may do (batchClaimOf). `takeOver`: a live lease is taken too, and
   * the claim is a `resume` of what its holder recorded (for a caller that knows the holder is over).
   */
  async claimBatch(
    batchId: string,
    owner: string,
    leaseUntil: number,
    now: number,
    expiresAt: number,
    takeOver = false,
  ): Promise<BatchClaim> {
    const pk = batchItemKey(batchId);
    const values = {
      ':owner': { S: owner },
      ':lease': number(leaseUntil),
      ':exp': number(expiresAt),
      ':now': number(now),
      ':nowSec': number(Math.floor(now / 1000)),
    };
    const update = 'SET #owner = :owner, #lease = :lease, #exp = :exp';
    const condition = takeOver
      ? 'attribute_not_exists(#pk) OR #exp <= :nowSec OR attribute_not_exists(#done)'
      : 'attribute_not_exists(#pk) OR #exp <= :nowSec OR (attribute_not_exists(#done) AND #lease <= :now)';
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [STATE_KEY_ATTRIBUTE]: { S: pk } },
          UpdateExpression: update,
          ConditionExpression: condition,
          ...expression(`${update} ${condition}`, values),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ReturnValues: 'ALL_OLD',
        }),
      );
      const previous = Attributes ? batchRecord(Attributes) : undefined;
      const claim = batchClaimOf(previous && takeOver ? { ...previous, leaseUntil: now } : previous, now);
      // An expired record's finish and progress belong to an old delivery: start from a clean record.
      if (previous && claim.kind === 'fresh') await this.resetBatch(pk, owner, leaseUntil, expiresAt);
      return claim;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const found = error.Item ?? (await this.get(pk, 'reading the batch record'));
        const claim = batchClaimOf(found ? batchRecord(found) : undefined, now);
        // Claimable by the time it was read: it changed hands in between, so someone else holds it.
        return claim.kind === 'done' || claim.kind === 'busy' ? claim : { kind: 'busy', leaseUntil: now };
      }
      throw deliveryError('claiming the batch', error);
    }
  }

  /** Marks the batch finished; false when `owner` no longer holds it. */
  finishBatch(batchId: string, owner: string, now: number): Promise<boolean> {
    return this.updateBatch(batchId, owner, 'SET #done = :now', { ':now': number(now) });
  }

  /**
   * Hands the batch back (lease over now) with what is finished, for the retry to resume; the record
   * is kept until `expiresAt` (epoch seconds), as long as the failure queue may hold its event.
   */
  releaseBatch(batchId: string, owner: string, progress: BatchProgress, expiresAt: number): Promise<boolean> {
    return this.updateBatch(batchId, owner, 'SET #lease = :zero, #prog = :prog, #dig = :dig, #exp = :exp', {
      ':zero': number(0),
      ':prog': { B: progress.done },
      ':dig': { S: progress.digest },
      ':exp': number(expiresAt),
    });
  }

  private async get(pk: string, what: string): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [STATE_KEY_ATTRIBUTE]: { S: pk } },
          ConsistentRead: true,
        }),
      );
      return Item;
    } catch (error) {
      throw deliveryError(what, error);
    }
  }

  private async resetBatch(pk: string, owner: string, leaseUntil: number, expiresAt: number): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [STATE_KEY_ATTRIBUTE]: { S: pk },
            [NAMES['#owner']]: { S: owner },
            [NAMES['#lease']]: number(leaseUntil),
            [STATE_TTL_ATTRIBUTE]: number(expiresAt),
          },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': NAMES['#owner'] },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      );
    } catch (error) {
      throw deliveryError('claiming the batch', error);
    }
  }

  private async updateBatch(
    batchId: string,
    owner: string,
    update: string,
    values: Record<string, AttributeValue>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [STATE_KEY_ATTRIBUTE]: { S: batchItemKey(batchId) } },
          UpdateExpression: update,
          ConditionExpression: '#owner = :owner',
          ...expression(`${update} #owner = :owner`, { ...values, ':owner': { S: owner } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw deliveryError('recording the batch', error);
    }
  }

  private markHot(pk: string): void {
    this.hot.delete(pk);
    this.hot.set(pk, performance.now() + HOT_GROUP_MS);
    if (this.hot.size > this.memorySize) {
      const oldest = this.hot.keys().next().value;
      if (oldest !== undefined) this.hot.delete(oldest);
    }
  }

  private remember(pk: string, state: GroupState | undefined): GroupState | undefined {
    this.memory.delete(pk);
    if (state) this.memory.set(pk, state);
    if (this.memory.size > this.memorySize) {
      const oldest = this.memory.keys().next().value;
      if (oldest !== undefined) this.memory.delete(oldest);
    }
    return state;
  }
}

/** Whether an expression uses a name or value token (DynamoDB refuses unused ones). */
function used(token: string, text: string): boolean {
  return new RegExp(`${token}(?![\\w])`).test(text);
}

/** The names and values an expression uses. */
function expression(
  text: string,
  values: Record<string, AttributeValue>,
): Pick<UpdateItemCommandInput, 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const names = Object.fromEntries(
    (Object.keys(NAMES) as Name[]).filter((alias) => used(alias, text)).map((alias) => [alias, NAMES[alias]]),
  );
  return {
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: Object.fromEntries(
      Object.entries(values).filter(([token]) => used(token, text)),
    ),
  };
}

function number(value: number): AttributeValue {
  return { N: String(value) };
}

function numberOf(item: Record<string, AttributeValue>, name: string): number | undefined {
  const value = item[name]?.N;
  return value === undefined ? undefined : Number(value);
}

function ringBytes(ring: Ring, size: number): Uint8Array {
  const bytes = new Uint8Array(size * 4);
  const view = new DataView(bytes.buffer);
  const counts = ring.counts.slice(-size);
  const offset = size - counts.length;
  counts.forEach((count, index) => {
    view.setUint32((offset + index) * 4, count);
  });
  return bytes;
}

/**
 * A stored ring as a ring of `size` slots, its newest slot last: a ring stored with fewer slots (an
 * item written before the rings grew) keeps its hours, the older slots empty; one with more keeps
 * its newest `size`.
 */
function ringOf(bytes: Uint8Array | undefined, end: number | undefined, size: number): Ring {
  const counts = new Array<number>(size).fill(0);
  if (bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const stored = Math.floor(bytes.byteLength / 4);
    const skipped = Math.max(0, stored - size);
    const offset = Math.max(0, size - stored);
    for (let index = skipped; index < stored; index += 1)
      counts[offset + index - skipped] = view.getUint32(index * 4);
  }
  return { end: end ?? 0, counts };
}

/** The newest RECENT_BATCHES tags, 4 bytes each, oldest first. */
function tagBytes(tags: readonly number[]): Uint8Array {
  const kept = tags.slice(-RECENT_BATCHES);
  const bytes = new Uint8Array(kept.length * 4);
  const view = new DataView(bytes.buffer);
  kept.forEach((tag, index) => {
    view.setUint32(index * 4, tag);
  });
  return bytes;
}

function tagsOf(bytes: Uint8Array | undefined): number[] {
  if (!bytes) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.min(RECENT_BATCHES, Math.floor(bytes.byteLength / 4));
  const first = Math.floor(bytes.byteLength / 4) - count;
  return Array.from({ length: count }, (_, index) => view.getUint32((first + index) * 4));
}

/** The group item's attributes (undefined: absent), besides its key. */
function groupAttributes(key: GroupKey, state: GroupState): Record<string, AttributeValue | undefined> {
  const pending = state.pending;
  return {
    [GROUP.account]: key.account === undefined ? undefined : { S: key.account },
    [GROUP.apiId]: { S: key.apiId },
    [GROUP.stage]: { S: key.stage },
    [GROUP.category]: { S: key.category },
    [GROUP.lifecycle]: { S: state.lifecycle },
    [GROUP.firstSeenAt]: number(state.firstSeenAt),
    [GROUP.lastSeenAt]: number(state.lastSeenAt),
    [GROUP.resolvedAt]: optionalNumber(state.resolvedAt),
    [GROUP.lastAlertAt]: optionalNumber(state.lastAlertAt),
    [GROUP.sinceAlert]: number(state.sinceAlert),
    [GROUP.usual]: optionalNumber(state.usual),
    [GROUP.windowMs]: number(state.windowMs),
    [GROUP.windows]: { B: ringBytes(state.windows, Math.min(WINDOW_SLOTS, state.windows.counts.length)) },
    [GROUP.windowsEnd]: number(state.windows.end),
    [GROUP.hourCounts]: { B: ringBytes(state.hours.counts, HOUR_SLOTS) },
    [GROUP.hourCountsEnd]: number(state.hours.counts.end),
    [GROUP.hourMuted]: { B: ringBytes(state.hours.muted, PERIOD_SLOTS) },
    [GROUP.hourMutedEnd]: number(state.hours.muted.end),
    [GROUP.hourAlerts]: { B: ringBytes(state.hours.alerts, PERIOD_SLOTS) },
    [GROUP.hourAlertsEnd]: number(state.hours.alerts.end),
    [GROUP.topSources]: { S: JSON.stringify(state.topSources.map((top) => [top.value, top.count])) },
    [GROUP.deploymentId]: state.deploymentId === undefined ? undefined : { S: state.deploymentId },
    [GROUP.recentBatches]:
      state.recentBatches && state.recentBatches.length > 0
        ? { B: tagBytes(state.recentBatches) }
        : undefined,
    [GROUP.lastBatch]: state.lastBatch === undefined ? undefined : { S: state.lastBatch },
    [GROUP.lastBatchAt]: optionalNumber(state.lastBatchAt),
    [GROUP.pendingBatch]: pending ? { S: pending.batchId } : undefined,
    [GROUP.pendingAt]: pending ? number(pending.alertedAt) : undefined,
    [GROUP.pendingLifecycle]: pending?.lifecycle ? { S: pending.lifecycle } : undefined,
    [GROUP.pendingReason]: pending?.reason ? { S: pending.reason } : undefined,
    [GROUP.pendingSuppressed]: pending ? number(pending.suppressedSinceLast) : undefined,
    [GROUP.previousAlertAt]: optionalNumber(pending?.lastAlertAt),
    [STATE_TTL_ATTRIBUTE]: number(state.expiresAt),
    [NAMES['#ver']]: number(state.version),
  };
}

/** The whole item that holds `state` (what a Scan returns; its size is what DynamoDB bounds). */
export function groupItem(key: GroupKey, state: GroupState): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = { [STATE_KEY_ATTRIBUTE]: { S: groupItemKey(key) } };
  for (const [name, value] of Object.entries(groupAttributes(key, state))) if (value) item[name] = value;
  return item;
}

/** The SET and REMOVE clauses and values that make the item `state` (every attribute written). */
function groupUpdate(
  key: GroupKey,
  state: GroupState,
): { set: string[]; remove: string[]; values: Record<string, AttributeValue> } {
  const attributes = groupAttributes(key, state);
  const set: string[] = [];
  const remove: string[] = [];
  const values: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) remove.push(`#${name}`);
    else {
      set.push(`#${name} = :${name}`);
      values[`:${name}`] = value;
    }
  }
  return { set, remove, values };
}

function optionalNumber(value: number | undefined): AttributeValue | undefined {
  return value === undefined ? undefined : number(value);
}

function groupKeyOfItem(item: Record<string, AttributeValue>): GroupKey | undefined {
  const apiId = item[GROUP.apiId]?.S;
  const stage = item[GROUP.stage]?.S;
  const category = item[GROUP.category]?.S;
  if (apiId === undefined || stage === undefined || !CATEGORIES.includes(category as Category))
    return undefined;
  const account = item[GROUP.account]?.S;
  const key: GroupKey = {
    ...(account === undefined ? {} : { account }),
    apiId,
    stage,
    category: category as Category,
  };
  // The sweep writes back to the key it rebuilds: an item whose attributes do not spell its own key is not a group.
  return item[STATE_KEY_ATTRIBUTE]?.S === groupItemKey(key) ? key : undefined;
}

function lifecycleOf(value: string | undefined): Lifecycle | undefined {
  return LIFECYCLES.find((lifecycle) => lifecycle === value);
}

function topSourcesOf(text: string | undefined): { value: string; count: number }[] {
  try {
    const parsed: unknown = JSON.parse(text ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((entry: unknown) =>
      Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number'
        ? [{ value: entry[0], count: entry[1] }]
        : [],
    );
  } catch {
    return [];
  }
}

/** The state an item holds; an item of the old cooldown shape reads as a group with no history. */
export function groupState(item: Record<string, AttributeValue>): GroupState {
  const n = (name: string) => numberOf(item, name);
  const lastAlertAt = n(GROUP.lastAlertAt);
  // An item the cooldown-only monitor wrote has no lifecycle: its last alert is its last sight, so
  // the upgrade does not make every known group new again.
  const legacy = item[GROUP.lifecycle] === undefined && lastAlertAt !== undefined;
  return {
    lifecycle: lifecycleOf(item[GROUP.lifecycle]?.S) ?? (legacy ? 'ongoing' : 'resolved'),
    firstSeenAt: n(GROUP.firstSeenAt) ?? 0,
    lastSeenAt: n(GROUP.lastSeenAt) ?? (legacy ? lastAlertAt : 0),
    sinceAlert: n(GROUP.sinceAlert) ?? 0,
    windowMs: n(GROUP.windowMs) ?? 0,
    windows: windowRingOf(item),
    hours: {
      counts: ringOf(item[GROUP.hourCounts]?.B, n(GROUP.hourCountsEnd), HOUR_SLOTS),
      muted: ringOf(item[GROUP.hourMuted]?.B, n(GROUP.hourMutedEnd), PERIOD_SLOTS),
      alerts: ringOf(item[GROUP.hourAlerts]?.B, n(GROUP.hourAlertsEnd), PERIOD_SLOTS),
    },
    topSources: topSourcesOf(item[GROUP.topSources]?.S),
    version: n(NAMES['#ver']) ?? 0,
    expiresAt: n(STATE_TTL_ATTRIBUTE) ?? 0,
    ...optionalStateOf(item),
  };
}

/** The window ring as long as the item wrote it (its policy's baseline), within 1 to WINDOW_SLOTS slots. */
function windowRingOf(item: Record<string, AttributeValue>): Ring {
  const bytes = item[GROUP.windows]?.B;
  const slots = Math.max(1, Math.min(WINDOW_SLOTS, Math.floor((bytes?.byteLength ?? 0) / 4)));
  return ringOf(bytes, numberOf(item, GROUP.windowsEnd), slots);
}

/** The state's optional fields: each present only when the item holds its attribute. */
function optionalStateOf(item: Record<string, AttributeValue>): Partial<GroupState> {
  const n = (name: string) => numberOf(item, name);
  const resolvedAt = n(GROUP.resolvedAt);
  const lastAlertAt = n(GROUP.lastAlertAt);
  const deploymentId = item[GROUP.deploymentId]?.S;
  const recentBatches = tagsOf(item[GROUP.recentBatches]?.B);
  const lastBatch = item[GROUP.lastBatch]?.S;
  const usual = n(GROUP.usual);
  const lastBatchAt = n(GROUP.lastBatchAt);
  const pending = pendingAlertOf(item);
  return {
    ...(resolvedAt === undefined ? {} : { resolvedAt }),
    ...(lastAlertAt === undefined ? {} : { lastAlertAt }),
    ...(deploymentId === undefined ? {} : { deploymentId }),
    ...(recentBatches.length === 0 ? {} : { recentBatches }),
    ...(lastBatch === undefined ? {} : { lastBatch }),
    ...(usual === undefined ? {} : { usual }),
    ...(lastBatchAt === undefined ? {} : { lastBatchAt }),
    ...(pending === undefined ? {} : { pending }),
  };
}

/** The alert the item's last batch claimed: none unless both its batch and its time are there. */
function pendingAlertOf(item: Record<string, AttributeValue>): PendingAlert | undefined {
  const pendingBatch = item[GROUP.pendingBatch]?.S;
  const pendingAt = numberOf(item, GROUP.pendingAt);
  if (pendingBatch === undefined || pendingAt === undefined) return undefined;
  const lifecycle = lifecycleOf(item[GROUP.pendingLifecycle]?.S);
  const reason = item[GROUP.pendingReason]?.S;
  const lastAlertAt = numberOf(item, GROUP.previousAlertAt);
  return {
    batchId: pendingBatch,
    alertedAt: pendingAt,
    suppressedSinceLast: numberOf(item, GROUP.pendingSuppressed) ?? 0,
    firstSeen: lifecycle === 'new',
    ...(lifecycle === undefined ? {} : { lifecycle }),
    ...(reason === undefined ? {} : { reason }),
    ...(lastAlertAt === undefined ? {} : { lastAlertAt }),
  };
}

function batchRecord(item: Record<string, AttributeValue>): BatchRecord {
  const doneAt = numberOf(item, NAMES['#done']);
  const bits = item[NAMES['#prog']]?.B;
  const digest = item[NAMES['#dig']]?.S;
  return {
    owner: item[NAMES['#owner']]?.S ?? '',
    leaseUntil: numberOf(item, NAMES['#lease']) ?? 0,
    expiresAt: numberOf(item, STATE_TTL_ATTRIBUTE) ?? 0,
    ...(doneAt === undefined ? {} : { doneAt }),
    ...(bits && digest ? { progress: { digest, done: bits } } : {}),
  };
}
