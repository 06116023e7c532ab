import { createHash } from 'node:crypto';
import type { Category } from './categories.js';
import type { FindingGroup } from './index.js';

/**
 * Alert planning: what one (API, stage, category) group does in one invocation, given what the state
 * table remembers about it. Pure, so the cooldown, first-seen, suppressed-count and idempotency rules
 * are decided here and tested without a table; the adapter only reads and writes the state.
 */

export interface GroupKey {
  readonly apiId: string;
  readonly stage: string;
  readonly category: Category;
}

/** An alert that was claimed (state written) but whose publish has not been confirmed yet. */
export interface PendingAlert {
  readonly batchId: string;
  readonly alertedAt: number;
  readonly suppressedSinceLast: number;
  readonly lastAlertAt?: number;
  readonly firstSeen: boolean;
}

/** One group's memory in the state table (item `cooldown#{apiId}#{stage}#{category}`). */
export interface CooldownState {
  readonly firstSeenAt: number;
  readonly lastAlertAt?: number;
  /** 403s seen and not alerted since `lastAlertAt` (cooldown or below the alert threshold). */
  readonly suppressedCount: number;
  /** Batches already applied to this group, with the time they were applied, pruned by age. */
  readonly batches: Readonly<Record<string, number>>;
  readonly pending?: PendingAlert;
  /** Optimistic-concurrency version: every write is conditional on the version read. */
  readonly version: number;
}

export interface PlanConfig {
  readonly cooldownMs: number;
  readonly minAlertCount: number;
  /** How long a batch id is remembered: longer than Lambda's asynchronous retry window (6 h). */
  readonly idempotencyMs: number;
}

export interface PlanInput {
  readonly batchId: string;
  readonly count: number;
  readonly now: number;
}

export type AlertPlan =
  | { readonly action: 'skip'; readonly why: 'already-applied' }
  | {
      readonly action: 'suppress';
      readonly why: 'cooldown' | 'below-threshold';
      readonly next: CooldownState;
    }
  | {
      /** Publish, then confirm. `resumed` when a retry finds its own unconfirmed claim. */
      readonly action: 'alert';
      readonly alert: PendingAlert;
      readonly next: CooldownState;
      readonly resumed: boolean;
    };

export const DEFAULT_IDEMPOTENCY_MS = 7 * 60 * 60 * 1000;
/** A group's memory outlives its cooldown so that "first seen" means new for this stage in 30 days. */
export const STATE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export function cooldownKey(key: GroupKey): string {
  return `cooldown#${key.apiId}#${key.stage}#${key.category}`;
}

/** A batch is identified by its log event ids, which CloudWatch Logs keeps across redeliveries. */
export function batchIdOf(eventIds: readonly string[]): string {
  const hash = createHash('sha256');
  for (const id of [...eventIds].sort()) hash.update(id).update('\n');
  return hash.digest('hex').slice(0, 32);
}

export function planGroupAlert(
  state: CooldownState | undefined,
  input: PlanInput,
  config: PlanConfig,
): AlertPlan {
  const { batchId, count, now } = input;
  if (state?.pending?.batchId === batchId) {
    return { action: 'alert', alert: state.pending, next: state, resumed: true };
  }
  if (state?.batches[batchId] !== undefined) return { action: 'skip', why: 'already-applied' };

  const batches = { ...pruneBatches(state?.batches ?? {}, now - config.idempotencyMs), [batchId]: now };
  const base: CooldownState = {
    firstSeenAt: state?.firstSeenAt ?? now,
    suppressedCount: state?.suppressedCount ?? 0,
    batches,
    version: (state?.version ?? 0) + 1,
    ...(state?.lastAlertAt === undefined ? {} : { lastAlertAt: state.lastAlertAt }),
    ...(state?.pending === undefined ? {} : { pending: state.pending }),
  };
  const coolingDown = state?.lastAlertAt !== undefined && now - state.lastAlertAt < config.cooldownMs;
  const belowThreshold = base.suppressedCount + count < config.minAlertCount;
  if (coolingDown || belowThreshold) {
    return {
      action: 'suppress',
      why: coolingDown ? 'cooldown' : 'below-threshold',
      next: { ...base, suppressedCount: base.suppressedCount + count },
    };
  }
  const alert: PendingAlert = {
    batchId,
    alertedAt: now,
    suppressedSinceLast: base.suppressedCount,
    firstSeen: state?.lastAlertAt === undefined,
    ...(state?.lastAlertAt === undefined ? {} : { lastAlertAt: state.lastAlertAt }),
  };
  return {
    action: 'alert',
    alert,
    next: { ...base, lastAlertAt: now, suppressedCount: 0, pending: alert },
    resumed: false,
  };
}

/** The state after the publish of `batchId`'s alert succeeded. */
export function confirmAlert(state: CooldownState, batchId: string): CooldownState {
  if (state.pending?.batchId !== batchId) return state;
  const { pending: _confirmed, ...rest } = state;
  return { ...rest, version: state.version + 1 };
}

function pruneBatches(batches: Readonly<Record<string, number>>, oldest: number): Record<string, number> {
  return Object.fromEntries(Object.entries(batches).filter(([, at]) => at >= oldest));
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
