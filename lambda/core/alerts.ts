import { createHash } from 'node:crypto';
import { parseAccessLine } from './access-log.js';
import type { Category } from './categories.js';
import type { FindingGroup } from './group.js';
import { RULES, type Severity } from './rules.js';

/**
 * Alert planning: what one (API, stage, category) group does in one invocation, given what the state
 * table remembers about it. Pure, so the cooldown, first-seen, suppressed-count, lease and resume
 * rules are decided here and tested without a table; the adapter turns the same rules into the
 * condition expressions of its writes (lambda/adapters/state-store.ts).
 */

export interface GroupKey {
  readonly apiId: string;
  readonly stage: string;
  readonly category: Category;
}

/** An alert that was claimed (group state written) for a batch; published by the claim's holder. */
export interface PendingAlert {
  readonly batchId: string;
  readonly alertedAt: number;
  readonly suppressedSinceLast: number;
  readonly lastAlertAt?: number;
  readonly firstSeen: boolean;
}

/**
 * One group's memory (item `group#{apiId}#{stage}#{category}`): a fixed set of scalars, so its size
 * does not depend on traffic. Which batches were applied lives in the batch items.
 */
export interface GroupState {
  readonly firstSeenAt: number;
  readonly lastAlertAt?: number;
  /** 403s seen and not alerted since `lastAlertAt` (cooldown or below the alert threshold). */
  readonly suppressedCount: number;
  /** The last alert claimed; it stays until the next claim replaces it. */
  readonly pending?: PendingAlert;
  /** Incremented by every write; a replacement of an expired item is conditional on it. */
  readonly version: number;
  /** The TTL, epoch seconds (STATE_TTL_ATTRIBUTE). */
  readonly expiresAt: number;
}

export interface PlanConfig {
  readonly cooldownMs: number;
  readonly minAlertCount: number;
  /** How long a batch is remembered: longer than Lambda's asynchronous retry window (6 h). */
  readonly idempotencyMs: number;
}

export interface PlanInput {
  readonly batchId: string;
  readonly count: number;
  readonly now: number;
}

export type AlertPlan =
  | { readonly action: 'suppress'; readonly why: 'cooldown' | 'below-threshold' }
  | {
      /** Claim, then publish. `resumed` when the group already holds this batch's claim. */
      readonly action: 'alert';
      readonly alert: PendingAlert;
      readonly resumed: boolean;
    };

export const DEFAULT_IDEMPOTENCY_MS = 7 * 60 * 60 * 1000;
/** A group's memory outlives its cooldown so that "first seen" means new for this stage in 30 days. */
export const STATE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export function groupItemKey(key: GroupKey): string {
  return `group#${key.apiId}#${key.stage}#${key.category}`;
}

export function batchItemKey(batchId: string): string {
  return `batch#${batchId}`;
}

/** A TTL in epoch seconds, `afterMs` from `now`. */
export function ttlSeconds(now: number, afterMs: number): number {
  return Math.ceil((now + afterMs) / 1000);
}

/** An item whose TTL has passed is absent, whether or not DynamoDB has deleted it yet. */
export function isLive(item: { readonly expiresAt: number } | undefined, now: number): boolean {
  return item !== undefined && item.expiresAt > Math.floor(now / 1000);
}

/** A batch is identified by its log event ids, which CloudWatch Logs keeps across redeliveries. */
export function batchIdOf(eventIds: readonly string[]): string {
  const hash = createHash('sha256');
  for (const id of [...eventIds].sort()) hash.update(id).update('\n');
  return hash.digest('hex').slice(0, 32);
}

/**
 * The thresholds one group write is decided on, shared by the pure plan and the adapter's condition
 * expressions so both apply the same rule: cooling down when `lastAlertAt > cooldownStart`, below the
 * threshold when `suppressedCount < need`, this batch's own claim when `pending.batchId === batchId`
 * and `pending.alertedAt > resumeStart`.
 */
export interface WriteGuard {
  readonly batchId: string;
  readonly now: number;
  readonly count: number;
  readonly cooldownStart: number;
  readonly need: number;
  readonly resumeStart: number;
}

export function writeGuard(input: PlanInput, config: PlanConfig): WriteGuard {
  return {
    batchId: input.batchId,
    now: input.now,
    count: input.count,
    cooldownStart: input.now - config.cooldownMs,
    need: config.minAlertCount - input.count,
    resumeStart: input.now - config.idempotencyMs,
  };
}

export function planGroupAlert(
  stored: GroupState | undefined,
  input: PlanInput,
  config: PlanConfig,
): AlertPlan {
  const guard = writeGuard(input, config);
  const state = isLive(stored, input.now) ? stored : undefined;
  if (state?.pending && ownsClaim(state.pending, guard)) {
    return { action: 'alert', alert: state.pending, resumed: true };
  }
  const coolingDown = state?.lastAlertAt !== undefined && state.lastAlertAt > guard.cooldownStart;
  if (coolingDown || (state?.suppressedCount ?? 0) < guard.need) {
    return { action: 'suppress', why: coolingDown ? 'cooldown' : 'below-threshold' };
  }
  return {
    action: 'alert',
    alert: {
      batchId: input.batchId,
      alertedAt: input.now,
      suppressedSinceLast: state?.suppressedCount ?? 0,
      firstSeen: state?.lastAlertAt === undefined,
      ...(state?.lastAlertAt === undefined ? {} : { lastAlertAt: state.lastAlertAt }),
    },
    resumed: false,
  };
}

function ownsClaim(pending: PendingAlert, guard: WriteGuard): boolean {
  return pending.batchId === guard.batchId && pending.alertedAt > guard.resumeStart;
}

/** Why a suppress write was accepted: the state it left is cooling down, else below the threshold. */
export function suppressReason(state: GroupState, guard: WriteGuard): 'cooldown' | 'below-threshold' {
  return state.lastAlertAt !== undefined && state.lastAlertAt > guard.cooldownStart
    ? 'cooldown'
    : 'below-threshold';
}

/** The group's state after a write the plan chose (what the adapter's update expressions do). */
export function applyPlan(
  stored: GroupState | undefined,
  plan: AlertPlan,
  input: PlanInput,
  retentionMs: number,
): GroupState {
  const state = isLive(stored, input.now) ? stored : undefined;
  const base = {
    firstSeenAt: state?.firstSeenAt ?? input.now,
    version: (stored?.version ?? 0) + 1,
    expiresAt: ttlSeconds(input.now, retentionMs),
  };
  if (plan.action === 'alert') {
    return { ...base, lastAlertAt: plan.alert.alertedAt, suppressedCount: 0, pending: plan.alert };
  }
  return {
    ...base,
    suppressedCount: (state?.suppressedCount ?? 0) + input.count,
    ...(state?.lastAlertAt === undefined ? {} : { lastAlertAt: state.lastAlertAt }),
    ...(state?.pending === undefined ? {} : { pending: state.pending }),
  };
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
