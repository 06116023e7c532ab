import { createHash } from 'node:crypto';
import { parseAccessLine } from './access-log.js';
import type { Category } from './categories.js';
import type { FindingGroup } from './group.js';
import { type GroupKey, groupItemKey, isLive } from './lifecycle.js';
import { RULES, type Severity } from './rules.js';

/**
 * The batch side of alerting: which batch a delivery is, who holds it, what of it is finished, and
 * the order its groups are handled in. Pure; the adapter turns the same rules into the condition
 * expressions of its writes (lambda/adapters/state-store.ts). What a group does with a batch is
 * lambda/core/lifecycle.ts.
 */

export {
  DEFAULT_IDEMPOTENCY_MS,
  type GroupKey,
  type GroupState,
  groupItemKey,
  isLive,
  type PendingAlert,
  STATE_RETENTION_MS,
  ttlSeconds,
} from './lifecycle.js';

export function batchItemKey(batchId: string): string {
  return `batch#${batchId}`;
}

/**
 * A batch is identified by its log event ids, which CloudWatch Logs keeps across redeliveries; the
 * central monitor also scopes it by the source account, so no account's batch can stand for another's.
 */
export function batchIdOf(eventIds: readonly string[], account?: string): string {
  const builder = new BatchIdBuilder(account);
  for (const id of eventIds) builder.add(id);
  return builder.digest();
}

/** Ids hashed together: one update per chunk costs less than one per id, and keeps no batch's text. */
const BATCH_ID_CHUNK = 256;

/**
 * `batchIdOf` fed one id at a time, as a batch's events are walked: the ids are hashed while they
 * are in the processor's cache, not in a second walk over a megabyte document. Each id and a newline,
 * hashed in chunks (the same bytes as one text). A batch's ids usually arrive in order (CloudWatch
 * Logs numbers a stream's events upwards): otherwise they are sorted first, so that the id does not
 * depend on the order of delivery.
 */
export class BatchIdBuilder {
  private readonly ids: string[] = [];
  private hashed = 0;
  private inOrder = true;
  private readonly hash = createHash('sha256');

  constructor(private readonly account?: string) {
    if (account !== undefined) this.hash.update(`account ${account}\n`);
  }

  add(id: string): void {
    const { ids } = this;
    if (this.inOrder && ids.length > 0 && (ids[ids.length - 1] as string) > id) this.inOrder = false;
    ids.push(id);
    if (this.inOrder && ids.length - this.hashed >= BATCH_ID_CHUNK) this.hashFrom(this.hashed);
  }

  digest(): string {
    if (this.inOrder) {
      this.hashFrom(this.hashed);
      return this.hash.digest('hex').slice(0, 32);
    }
    const sorted = new BatchIdBuilder(this.account);
    for (const id of [...this.ids].sort()) sorted.add(id);
    return sorted.digest();
  }

  private hashFrom(start: number): void {
    if (start === this.ids.length) return;
    this.hash.update(this.ids.slice(start).join('\n')).update('\n');
    this.hashed = this.ids.length;
  }
}

/**
 * A batch's record (item `batch#{batchId}`): who works on it until when, and what is finished. Only
 * one invocation holds a live lease; a crashed holder's batch is resumed once its lease has expired.
 */
export interface BatchRecord {
  readonly owner: string;
  readonly leaseUntil: number;
  readonly doneAt?: number;
  /** Groups finished by earlier attempts (a handled failure or deferral records them). */
  readonly progress?: BatchProgress;
  readonly expiresAt: number;
}

export interface BatchProgress {
  /** Identifies the ordered group list the bits refer to (groupsDigest). */
  readonly digest: string;
  /** Bit i set: group i of the ordered list is finished. */
  readonly done: Uint8Array;
}

export type BatchClaim =
  /** First delivery (or the old record expired): count the metric, process every group. */
  | { readonly kind: 'fresh' }
  /** An earlier attempt failed or crashed and its lease is over: process what it did not finish. */
  | { readonly kind: 'resume'; readonly progress?: BatchProgress }
  | { readonly kind: 'done' }
  /** Another invocation holds a live lease on this batch. */
  | { readonly kind: 'busy'; readonly leaseUntil: number };

/** What a delivery of a batch may do, given the record it found (the claim's condition, in code). */
export function batchClaimOf(record: BatchRecord | undefined, now: number): BatchClaim {
  if (!record || !isLive(record, now)) return { kind: 'fresh' };
  if (record.doneAt !== undefined) return { kind: 'done' };
  if (record.leaseUntil > now) return { kind: 'busy', leaseUntil: record.leaseUntil };
  return { kind: 'resume', ...(record.progress ? { progress: record.progress } : {}) };
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * The order groups are handled in, and that progress bits refer to: most severe first, then the
 * largest, so what a time budget leaves for the retry is the least urgent. Deterministic, because a
 * redelivered batch must list its groups in the same order.
 */
export function orderGroups<T extends GroupKey & { readonly count: number }>(groups: readonly T[]): T[] {
  return [...groups].sort(
    (a, b) =>
      SEVERITY_RANK[RULES[a.category].severity] - SEVERITY_RANK[RULES[b.category].severity] ||
      b.count - a.count ||
      compare(groupItemKey(a), groupItemKey(b)),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function groupsDigest(groups: readonly GroupKey[]): string {
  const hash = createHash('sha256');
  for (const group of groups) hash.update(groupItemKey(group)).update('\n');
  return hash.digest('hex').slice(0, 16);
}

export function encodeProgress(digest: string, done: ReadonlySet<number>, size: number): BatchProgress {
  const bits = new Uint8Array(Math.ceil(size / 8));
  for (const index of done) bits[index >> 3] = (bits[index >> 3] ?? 0) | (1 << (index & 7));
  return { digest, done: bits };
}

/** The finished group indices a progress record gives for this group list (none if it is another list). */
export function finishedGroups(
  progress: BatchProgress | undefined,
  digest: string,
  size: number,
): Set<number> {
  const done = new Set<number>();
  if (!progress || progress.digest !== digest) return done;
  for (let index = 0; index < size; index += 1) {
    if (((progress.done[index >> 3] ?? 0) >> (index & 7)) & 1) done.add(index);
  }
  return done;
}

/**
 * The log events of each request id, built once per invocation so that the evidence of every
 * alerting group is a lookup, not a scan of the batch per sample id.
 */
export function eventsByRequestId<E extends { readonly message: string }>(
  events: readonly E[],
): Map<string, E[]> {
  const index = new Map<string, E[]>();
  for (const event of events) {
    const requestId = parseAccessLine(event.message)?.values.requestId;
    if (requestId === undefined) continue;
    const list = index.get(requestId);
    if (list) list.push(event);
    else index.set(requestId, [event]);
  }
  return index;
}

/**
 * Joins execution evidence fetched for a group's sample requests into the group found from access
 * logs. The count stays the access log's; causes, reasons and evidence lines gain what only the
 * execution log says (the usage-plan reason, the authorizer's policy effect).
 */
export function mergeEvidence(group: FindingGroup, enriched: readonly FindingGroup[]): MergedEvidence {
  const same = enriched.find((candidate) => candidate.category === group.category);
  const otherCategories = enriched
    .filter((candidate) => candidate.category !== group.category)
    .map((candidate) => candidate.category);
  if (!same) return { group, otherCategories };
  const union = <T>(first: readonly T[], second: readonly T[]): T[] => [...new Set([...first, ...second])];
  return {
    group: {
      ...group,
      // The joined findings know the execution log's reason, which beats the access log's guess.
      reasons: same.reasons.length > 0 ? same.reasons : group.reasons,
      signals: union(group.signals, same.signals),
      evidence: union(same.evidence, group.evidence).slice(0, Math.max(5, group.evidence.length)),
      sources: union(group.sources, same.sources),
    },
    otherCategories,
  };
}

export interface MergedEvidence {
  readonly group: FindingGroup;
  /** Categories the execution evidence points to for some sample requests, other than the group's. */
  readonly otherCategories: readonly Category[];
}
