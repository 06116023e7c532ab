import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  type BatchClaim,
  type BatchProgress,
  type BatchRecord,
  batchClaimOf,
  batchItemKey,
  type GroupKey,
  type GroupState,
  groupItemKey,
  type PendingAlert,
  type WriteGuard,
} from '../core/alerts.js';
import { STATE_KEY_ATTRIBUTE, STATE_TTL_ATTRIBUTE } from '../core/state-table.js';
import { deliveryError } from './errors.js';

/** A conditional group write: applied, with the state it left; or refused, with the state it found. */
export interface GroupWriteResult {
  readonly applied: boolean;
  readonly state: GroupState | undefined;
}

/** Groups whose last known state a warm container keeps, to choose each group's first write. */
const DEFAULT_MEMORY_SIZE = 10_000;

/** Attribute names (all aliased: several are DynamoDB reserved words). */
const NAMES = {
  '#pk': STATE_KEY_ATTRIBUTE,
  '#exp': STATE_TTL_ATTRIBUTE,
  '#first': 'firstSeenAt',
  '#last': 'lastAlertAt',
  '#supp': 'suppressedCount',
  '#ver': 'version',
  '#pb': 'pendingBatch',
  '#ps': 'pendingSuppressed',
  '#prev': 'previousAlertAt',
  '#owner': 'owner',
  '#lease': 'leaseUntil',
  '#done': 'doneAt',
  '#prog': 'progress',
  '#dig': 'progressDigest',
} as const;
type Name = keyof typeof NAMES;

/** The group rules of `planGroupAlert`, as condition expressions over the stored item. */
const LIVE = '#exp > :nowSec';
const NOT_OWN_CLAIM = '(attribute_not_exists(#pb) OR #pb <> :batch OR #last <= :resumeStart)';
const COOLING_DOWN = '#last > :cooldownStart';
const BELOW_THRESHOLD = '#supp < :need';

/**
 * The state table (partition key STATE_KEY_ATTRIBUTE, TTL attribute STATE_TTL_ATTRIBUTE in epoch
 * seconds). Two item kinds, both of a fixed size: `group#{apiId}#{stage}#{category}` (one group's
 * cooldown memory, written with one conditional UpdateItem per group and batch) and `batch#{batchId}`
 * (who holds the batch, until when, and what is finished; TTL 7 h). Every group write carries its
 * rule in its condition, so concurrent invocations never both claim a group's alert and suppressed
 * counts add up without a read.
 */
export class StateStore {
  private readonly memory = new Map<string, GroupState>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly memorySize = DEFAULT_MEMORY_SIZE,
  ) {}

  /** The group's state as this container last saw it (a guess to choose the first write, never trusted). */
  recall(key: GroupKey): GroupState | undefined {
    return this.memory.get(groupItemKey(key));
  }

  /** Adds this batch's 403s to a group that is cooling down or below its threshold. */
  suppress(key: GroupKey, guard: WriteGuard, expiresAt: number): Promise<GroupWriteResult> {
    const existing = `${LIVE} AND ${NOT_OWN_CLAIM} AND (${COOLING_DOWN} OR ${BELOW_THRESHOLD})`;
    return this.updateGroup(key, guard, {
      UpdateExpression: 'SET #exp = :exp, #first = if_not_exists(#first, :now) ADD #supp :count, #ver :one',
      ConditionExpression: guard.need > 0 ? `attribute_not_exists(#pk) OR (${existing})` : existing,
      values: { ':exp': number(expiresAt), ':count': number(guard.count) },
    });
  }

  /** Takes the group's alert for this batch: `lastAlertAt` = now, the count since the last alert kept. */
  claim(key: GroupKey, guard: WriteGuard, expiresAt: number): Promise<GroupWriteResult> {
    const existing = `${LIVE} AND ${NOT_OWN_CLAIM} AND (attribute_not_exists(#last) OR #last <= :cooldownStart) AND #supp >= :need`;
    return this.updateGroup(key, guard, {
      UpdateExpression:
        'SET #last = :now, #supp = :zero, #pb = :batch, #ps = if_not_exists(#supp, :zero), ' +
        '#prev = if_not_exists(#last, :zero), #first = if_not_exists(#first, :now), #exp = :exp ADD #ver :one',
      ConditionExpression: guard.need <= 0 ? `attribute_not_exists(#pk) OR (${existing})` : existing,
      values: { ':exp': number(expiresAt), ':zero': number(0) },
    });
  }

  /** Writes `next` over an expired item (DynamoDB had not deleted it yet) if it is still `version`. */
  async replace(key: GroupKey, next: GroupState, version: number): Promise<GroupWriteResult> {
    const pk = groupItemKey(key);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: groupItem(pk, next),
          ConditionExpression: '#ver = :ver',
          ExpressionAttributeNames: { '#ver': NAMES['#ver'] },
          ExpressionAttributeValues: { ':ver': number(version) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, state: this.remember(pk, next) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { applied: false, state: this.remember(pk, await this.current(pk, error)) };
      }
      throw deliveryError('writing the cooldown state', error);
    }
  }

  /**
   * Takes the batch for `owner` until `leaseUntil` if nobody holds a live lease on it and it is not
   * finished; says what the delivery may do (batchClaimOf).
   */
  async claimBatch(
    batchId: string,
    owner: string,
    leaseUntil: number,
    now: number,
    expiresAt: number,
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
    const condition =
      'attribute_not_exists(#pk) OR #exp <= :nowSec OR (attribute_not_exists(#done) AND #lease <= :now)';
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
      const claim = batchClaimOf(previous, now);
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

  /** Hands the batch back (lease over now) with what is finished, for the retry to resume. */
  releaseBatch(batchId: string, owner: string, progress: BatchProgress): Promise<boolean> {
    return this.updateBatch(batchId, owner, 'SET #lease = :zero, #prog = :prog, #dig = :dig', {
      ':zero': number(0),
      ':prog': { B: progress.done },
      ':dig': { S: progress.digest },
    });
  }

  private async updateGroup(
    key: GroupKey,
    guard: WriteGuard,
    write: {
      readonly UpdateExpression: string;
      readonly ConditionExpression: string;
      readonly values: Record<string, AttributeValue>;
    },
  ): Promise<GroupWriteResult> {
    const pk = groupItemKey(key);
    const values: Record<string, AttributeValue> = {
      ':now': number(guard.now),
      ':nowSec': number(Math.floor(guard.now / 1000)),
      ':batch': { S: guard.batchId },
      ':resumeStart': number(guard.resumeStart),
      ':cooldownStart': number(guard.cooldownStart),
      ':need': number(guard.need),
      ':count': number(guard.count),
      ':one': number(1),
      ...write.values,
    };
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [STATE_KEY_ATTRIBUTE]: { S: pk } },
          UpdateExpression: write.UpdateExpression,
          ConditionExpression: write.ConditionExpression,
          ...expression(`${write.UpdateExpression} ${write.ConditionExpression}`, values),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, state: this.remember(pk, Attributes ? groupState(Attributes) : undefined) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { applied: false, state: this.remember(pk, await this.current(pk, error)) };
      }
      throw deliveryError('writing the cooldown state', error);
    }
  }

  /**
   * The item a refused write found. DynamoDB returns it with the refusal
   * (`ReturnValuesOnConditionCheckFailure`); a peer that does not (dynalite) costs one consistent read.
   */
  private async current(pk: string, error: ConditionalCheckFailedException): Promise<GroupState | undefined> {
    const item = error.Item ?? (await this.get(pk, 'reading the cooldown state'));
    return item ? groupState(item) : undefined;
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

/** The names and values an expression uses (DynamoDB refuses unused ones). */
function expression(
  text: string,
  values: Record<string, AttributeValue>,
): Pick<UpdateItemCommandInput, 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const used = (token: string) => new RegExp(`${token}(?![\\w])`).test(text);
  const names = Object.fromEntries(
    (Object.keys(NAMES) as Name[]).filter(used).map((alias) => [alias, NAMES[alias]]),
  );
  return {
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: Object.fromEntries(Object.entries(values).filter(([token]) => used(token))),
  };
}

function number(value: number): AttributeValue {
  return { N: String(value) };
}

function numberOf(item: Record<string, AttributeValue>, name: string): number | undefined {
  const value = item[name]?.N;
  return value === undefined ? undefined : Number(value);
}

function groupItem(pk: string, state: GroupState): Record<string, AttributeValue> {
  const pending = state.pending;
  return {
    [STATE_KEY_ATTRIBUTE]: { S: pk },
    [NAMES['#first']]: number(state.firstSeenAt),
    [NAMES['#supp']]: number(state.suppressedCount),
    [NAMES['#ver']]: number(state.version),
    [STATE_TTL_ATTRIBUTE]: number(state.expiresAt),
    ...(state.lastAlertAt === undefined ? {} : { [NAMES['#last']]: number(state.lastAlertAt) }),
    ...(pending === undefined
      ? {}
      : {
          [NAMES['#pb']]: { S: pending.batchId },
          [NAMES['#ps']]: number(pending.suppressedSinceLast),
          [NAMES['#prev']]: number(pending.lastAlertAt ?? 0),
        }),
  };
}

function groupState(item: Record<string, AttributeValue>): GroupState {
  const lastAlertAt = numberOf(item, NAMES['#last']);
  const pendingBatch = item[NAMES['#pb']]?.S;
  const previousAlertAt = numberOf(item, NAMES['#prev']) ?? 0;
  const pending: PendingAlert | undefined =
    pendingBatch === undefined || lastAlertAt === undefined
      ? undefined
      : {
          batchId: pendingBatch,
          alertedAt: lastAlertAt,
          suppressedSinceLast: numberOf(item, NAMES['#ps']) ?? 0,
          firstSeen: previousAlertAt === 0,
          ...(previousAlertAt === 0 ? {} : { lastAlertAt: previousAlertAt }),
        };
  return {
    firstSeenAt: numberOf(item, NAMES['#first']) ?? 0,
    suppressedCount: numberOf(item, NAMES['#supp']) ?? 0,
    version: numberOf(item, NAMES['#ver']) ?? 0,
    expiresAt: numberOf(item, STATE_TTL_ATTRIBUTE) ?? 0,
    ...(lastAlertAt === undefined ? {} : { lastAlertAt }),
    ...(pending === undefined ? {} : { pending }),
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
