import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type CooldownState, cooldownKey, type GroupKey, type PendingAlert } from '../core/alerts.js';
import { deliveryError } from './errors.js';

/**
 * The state table (partition key `pk`, TTL attribute `expiresAt` in epoch seconds). Two item kinds:
 * `cooldown#{apiId}#{stage}#{category}` (one group's memory) and `batch#{batchId}` (a batch whose
 * metric was already emitted). Every cooldown write is conditional on the version read, so two
 * concurrent invocations for one group cannot both claim its alert.
 */
export class StateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(key: GroupKey): Promise<CooldownState | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: cooldownKey(key) } },
          ConsistentRead: true,
        }),
      );
      return Item ? fromItem(Item) : undefined;
    } catch (error) {
      throw deliveryError('reading the cooldown state', error);
    }
  }

  /** Writes `next` if the item still has `previousVersion` (0: absent); false when someone else won. */
  async write(
    key: GroupKey,
    next: CooldownState,
    previousVersion: number,
    expiresAtMs: number,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(cooldownKey(key), next, expiresAtMs),
          ...(previousVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :v',
                ExpressionAttributeValues: { ':v': { N: String(previousVersion) } },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw deliveryError('writing the cooldown state', error);
    }
  }

  /** Records that `batchId` was seen; false when it already was (a retried invocation). */
  async markBatch(batchId: string, expiresAtMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: `batch#${batchId}` }, expiresAt: { N: String(Math.ceil(expiresAtMs / 1000)) } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw deliveryError('recording the batch', error);
    }
  }
}

function toItem(pk: string, state: CooldownState, expiresAtMs: number): Record<string, AttributeValue> {
  return {
    pk: { S: pk },
    firstSeenAt: { N: String(state.firstSeenAt) },
    suppressedCount: { N: String(state.suppressedCount) },
    version: { N: String(state.version) },
    batches: { S: JSON.stringify(state.batches) },
    expiresAt: { N: String(Math.ceil(expiresAtMs / 1000)) },
    ...(state.lastAlertAt === undefined ? {} : { lastAlertAt: { N: String(state.lastAlertAt) } }),
    ...(state.pending === undefined ? {} : { pending: { S: JSON.stringify(state.pending) } }),
  };
}

function fromItem(item: Record<string, AttributeValue>): CooldownState {
  const number = (name: string): number | undefined => {
    const value = item[name]?.N;
    return value === undefined ? undefined : Number(value);
  };
  const lastAlertAt = number('lastAlertAt');
  const pending = item.pending?.S;
  return {
    firstSeenAt: number('firstSeenAt') ?? 0,
    suppressedCount: number('suppressedCount') ?? 0,
    version: number('version') ?? 1,
    batches: JSON.parse(item.batches?.S ?? '{}') as Record<string, number>,
    ...(lastAlertAt === undefined ? {} : { lastAlertAt }),
    ...(pending === undefined ? {} : { pending: JSON.parse(pending) as PendingAlert }),
  };
}
