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
import { FairListing } from '../core/fair-listing.js';
import {
  type DigestPeriod,
  type GroupKey,
  type GroupState,
  groupItemKey,
  isLive,
  LIFECYCLE_ITEM_PREFIX,
  type Resolution,
  summariseForDigest,
  sweep,
  ttlSeconds,
} from '../core/lifecycle.js';
import type { DigestGroupSummary, NoisePolicy } from '../core/noise-policy.js';
import {
  STATE_KEY_ATTRIBUTE,
  STATE_TTL_ATTRIBUTE,
  SWEEP_CURSOR_ATTRIBUTE,
  SWEEP_CURSOR_KEY,
} from '../core/state-table.js';
import { deliveryError, MonitorError } from './errors.js';
import { groupKeyOfItem, groupState, groupWrite, isLegacyGroupItem, number, numberOf } from './group-item.js';

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
  '#owner': 'owner',
  '#lease': 'leaseUntil',
  '#done': 'doneAt',
  '#prog': 'progress',
  '#dig': 'progressDigest',
} as const;
type Name = keyof typeof NAMES;

/**
 * The most group items one listing keeps (the digest and the sweep), shared fairly per account, then
 * stage (core/fair-listing.ts), and the pages it may read.
 */
export const MAX_LISTED_GROUPS = 20_000;
const MAX_SCAN_PAGES = 200;

/**
 * Scan pages one sweep run reads at most (each up to 1 MB: some 1,500 compact group items); the run
 * also stops when its time runs short. Past that the next run resumes from the cursor.
 */
export const DEFAULT_SWEEP_PAGES = 50;
/** A cursor older than this is a stale position (the sweep stopped running): the next run starts over. */
const SWEEP_CURSOR_TTL_MS = 24 * 60 * 60_000;

export interface StoreOptions {
  /** Items a Scan page evaluates at most (Scan's `Limit`). @default - DynamoDB's 1 MB pages */
  readonly pageItems?: number;
  /** Scan pages one sweep run reads at most. @default DEFAULT_SWEEP_PAGES */
  readonly sweepPages?: number;
}

/** What one sweep run read. */
export interface SweepRun {
  readonly pages: number;
  /** Live groups on those pages. */
  readonly groups: number;
  /** It started from the cursor a run before left. */
  readonly resumed: boolean;
  /** It reached the end of the table: the pass is over, and the next run starts a new one. */
  readonly complete: boolean;
  /** It stopped because another run moved the cursor first. */
  readonly raced: boolean;
}

/** A stored cursor position as Scan's ExclusiveStartKey (the table has a partition key only). */
function cursorKey(position: string | undefined): Record<string, AttributeValue> | undefined {
  return position === undefined ? undefined : { [STATE_KEY_ATTRIBUTE]: { S: position } };
}

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
  /**
   * Groups last read in the layout before GROUP_ATTRIBUTES: their next write is conditional on the
   * old version attribute and rewrites the item. Forgotten, a write is refused and decided again on
   * a fresh read, which finds the layout again.
   */
  private readonly legacy = new Set<string>();

  private readonly options: Required<Omit<StoreOptions, 'pageItems'>> & Pick<StoreOptions, 'pageItems'>;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly memorySize = DEFAULT_MEMORY_SIZE,
    options: StoreOptions = {},
  ) {
    this.options = { ...options, sweepPages: options.sweepPages ?? DEFAULT_SWEEP_PAGES };
  }

  /** The group's state as this container last saw it (a guess to compute the first write, never trusted). */
  recall(key: GroupKey): GroupState | undefined {
    return this.memory.get(groupItemKey(key));
  }

  /** The group's stored state, read consistently (a redelivery checks its guess with it). */
  async read(key: GroupKey): Promise<GroupState | undefined> {
    const pk = groupItemKey(key);
    const item = await this.get(pk, 'reading the group state');
    return this.remember(pk, item ? this.stateOf(pk, item) : undefined);
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
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [STATE_KEY_ATTRIBUTE]: { S: pk } },
          ...groupWrite(next, version, this.legacy.has(pk)),
        }),
      );
      this.legacy.delete(pk);
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
      const page = await this.scanGroups(start, now, 'listing the groups');
      pages += 1;
      for (const group of page.groups) groups.add(group);
      start = page.next;
    } while (start && pages < MAX_SCAN_PAGES);
    return { groups: groups.entries(), truncated: groups.truncated || start !== undefined };
  }

  /**
   * One run of the sweep: from where the last run stopped (the cursor item SWEEP_CURSOR_KEY), up to
   * `sweepPages` Scan pages and while `stop()` says no, each page's resolutions (the pure `sweep`)
   * handed to `apply` and the cursor moved past the page once `apply` is done: a page whose `apply`
   * throws is read again by the next run. At the end of the table the cursor is cleared, and the next
   * run starts a new pass. A run that finds the cursor moved by another run stops (that run sweeps on).
   */
  async sweepGroups(
    now: number,
    policy: NoisePolicy,
    apply: (resolutions: Resolution[]) => Promise<void>,
    stop: () => boolean = () => false,
  ): Promise<SweepRun> {
    const stored = await this.sweepCursor();
    // An expired cursor (a sweep that has not run for a day) is a stale position: start a new pass.
    let start = stored && stored.expiresAt > Math.floor(now / 1000) ? stored.position : undefined;
    const resumed = start !== undefined;
    let previous = stored?.position;
    let pages = 0;
    let groups = 0;
    do {
      const page = await this.scanGroups(cursorKey(start), now, 'sweeping the groups');
      pages += 1;
      groups += page.groups.length;
      await apply(sweep(page.groups, now, policy));
      start = page.next?.[STATE_KEY_ATTRIBUTE]?.S;
      if (!(await this.moveSweepCursor(previous, start, now)))
        return { pages, groups, resumed, complete: false, raced: true };
      previous = start;
    } while (start !== undefined && pages < this.options.sweepPages && !stop());
    return { pages, groups, resumed, complete: start === undefined, raced: false };
  }

  private async scanGroups(
    start: Record<string, AttributeValue> | undefined,
    now: number,
    what: string,
  ): Promise<{
    groups: { key: GroupKey; state: GroupState }[];
    next: Record<string, AttributeValue> | undefined;
  }> {
    let page: ScanCommandOutput;
    try {
      page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ExpressionAttributeNames: { '#pk': STATE_KEY_ATTRIBUTE },
          ExpressionAttributeValues: { ':prefix': { S: LIFECYCLE_ITEM_PREFIX } },
          ...(start ? { ExclusiveStartKey: start } : {}),
          ...(this.options.pageItems === undefined ? {} : { Limit: this.options.pageItems }),
        }),
      );
    } catch (error) {
      throw deliveryError(what, error);
    }
    const groups: { key: GroupKey; state: GroupState }[] = [];
    for (const item of page.Items ?? []) {
      const key = groupKeyOfItem(item);
      const state = key && this.stateOf(groupItemKey(key), item);
      if (key && state && isLive(state, now)) groups.push({ key, state });
    }
    return { groups, next: page.LastEvaluatedKey };
  }

  private async sweepCursor(): Promise<{ position?: string; expiresAt: number } | undefined> {
    const item = await this.get(SWEEP_CURSOR_KEY, 'reading the sweep cursor');
    if (!item) return undefined;
    const position = item[SWEEP_CURSOR_ATTRIBUTE]?.S;
    return {
      ...(position === undefined ? {} : { position }),
      expiresAt: numberOf(item, STATE_TTL_ATTRIBUTE) ?? 0,
    };
  }

  /** Moves the cursor from `previous` to `next` (undefined: the pass is over); false if another run moved it. */
  private async moveSweepCursor(
    previous: string | undefined,
    next: string | undefined,
    now: number,
  ): Promise<boolean> {
    const values: Record<string, AttributeValue> = {
      ':exp': number(ttlSeconds(now, SWEEP_CURSOR_TTL_MS)),
      ...(previous === undefined ? {} : { ':prev': { S: previous } }),
      ...(next === undefined ? {} : { ':next': { S: next } }),
    };
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [STATE_KEY_ATTRIBUTE]: { S: SWEEP_CURSOR_KEY } },
          UpdateExpression: next === undefined ? 'SET #exp = :exp REMOVE #c' : 'SET #exp = :exp, #c = :next',
          ConditionExpression: previous === undefined ? 'attribute_not_exists(#c)' : '#c = :prev',
          ExpressionAttributeNames: { '#exp': STATE_TTL_ATTRIBUTE, '#c': SWEEP_CURSOR_ATTRIBUTE },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw deliveryError('moving the sweep cursor', error);
    }
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
    // Taking over waives only the lease: a finished batch stays finished either way.
    const leaseOver = takeOver ? '' : ' AND #lease <= :now';
    const condition = `attribute_not_exists(#pk) OR #exp <= :nowSec OR (attribute_not_exists(#done)${leaseOver})`;
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

  /** The item's state; a legacy item's pk is kept so that its next write rewrites its layout. */
  private stateOf(pk: string, item: Record<string, AttributeValue>): GroupState {
    this.legacy.delete(pk);
    if (isLegacyGroupItem(item)) {
      this.legacy.add(pk);
      if (this.legacy.size > this.memorySize) {
        const oldest = this.legacy.values().next().value;
        if (oldest !== undefined) this.legacy.delete(oldest);
      }
    }
    return groupState(item);
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
