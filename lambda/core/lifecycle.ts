import type { Category } from './categories.js';
import type { Top } from './group.js';
import { FAILURE_QUEUE_RETENTION_DAYS } from './monitor-contract.js';
import {
  type Action,
  type DigestGroupSummary,
  type GroupPolicy,
  groupPolicy,
  type Lifecycle,
  MAX_BASELINE_WINDOWS,
  type NoisePolicy,
} from './noise-policy.js';
import { redact } from './redact.js';

/**
 * A group's lifecycle (new, ongoing, escalated, resolved) and what it remembers for the digest, as
 * pure functions of its stored state, this batch's 403s and the policy. The adapter writes the state
 * a decision returns with one conditional write (lambda/adapters/state-store.ts); the state is a
 * fixed set of scalars and fixed-length rings, so its size does not depend on traffic.
 */

export interface GroupKey {
  /**
   * The source account whose lines the group counts: set by the central monitor only (the
   * subscription document's `owner`, which CloudWatch Logs writes), so that one account's lines never
   * reach another account's group. A single-account monitor leaves it out and keeps its keys.
   */
  readonly account?: string;
  readonly apiId: string;
  readonly stage: string;
  readonly category: Category;
}

/**
 * Counts of consecutive time slots of one length, newest last: `counts[i]` is slot
 * `end - counts.length + 1 + i` (slot n covers [n × length, (n + 1) × length) in epoch ms).
 */
export interface Ring {
  readonly end: number;
  readonly counts: readonly number[];
}

/**
 * The most slots of the short-window ring: the current window and up to MAX_BASELINE_WINDOWS before
 * it. A group's ring holds its policy's `baselineWindows + 1`.
 */
export const WINDOW_SLOTS = MAX_BASELINE_WINDOWS + 1;
/**
 * The longest period a digest counts in full: a weekday schedule's Monday run covers the 72 hours
 * since Friday's, and a fall-back night adds an hour (a schedule with longer gaps, weekly, has its
 * digest name the hours it cannot cover: digest-event.ts).
 */
export const DIGEST_PERIOD_HOURS = 73;
/** Hour slots of the 403 counts: the longest period and the one before it (the trend), and the hour in progress. */
export const HOUR_SLOTS = 2 * DIGEST_PERIOD_HOURS + 1;
/** Hour slots of the muted counts and alerts: the longest period and the hour in progress (no trend is shown). */
export const PERIOD_SLOTS = DIGEST_PERIOD_HOURS + 1;
export const HOUR_MS = 60 * 60_000;
/** Sources remembered for the digest (the most frequent over the hour ring, approximately). */
export const TOP_SOURCES = 5;
const MAX_SOURCE_CHARS = 64;
const MAX_DEPLOYMENT_ID_CHARS = 32;
/** A slot holds at most this much (the rings are stored as 32-bit counters). */
const MAX_SLOT_COUNT = 0xffff_ffff;

/** What a group's hours hold: its 403s, the muted ones among them, and the alerts it sent. */
export interface HourRings {
  readonly counts: Ring;
  readonly muted: Ring;
  readonly alerts: Ring;
}

/** The last alert claimed for a batch: the claim's holder publishes it; a resumed batch publishes it again. */
export interface PendingAlert {
  readonly batchId: string;
  readonly alertedAt: number;
  /** Always set by `planGroup`; a view built without a lifecycle (an older caller) has none. */
  readonly lifecycle?: Lifecycle;
  /** One line, the monitor's own words: why this group alerts now. */
  readonly reason?: string;
  readonly suppressedSinceLast: number;
  readonly lastAlertAt?: number;
  readonly firstSeen: boolean;
}

/**
 * One group's memory (item `groupItemKey`). Times of 403s are their events'
 * timestamps; times of alerts are the monitor's clock.
 */
export interface GroupState {
  readonly lifecycle: Lifecycle;
  /** The first unmuted 403 since the group was last new (0: none yet, only muted ones). */
  readonly firstSeenAt: number;
  /** The latest unmuted 403 (0: none yet). */
  readonly lastSeenAt: number;
  readonly resolvedAt?: number;
  readonly lastAlertAt?: number;
  /** Unmuted 403s counted and not alerted since `lastAlertAt`. */
  readonly sinceAlert: number;
  /**
   * The usual rate (403s per window) when the group escalated, kept while it stays escalated: an
   * incident that goes on must not become its own baseline and stop re-alerting.
   */
  readonly usual?: number;
  /** The window length `windows` was counted in (a policy change starts a new ring). */
  readonly windowMs: number;
  readonly windows: Ring;
  readonly hours: HourRings;
  readonly topSources: readonly Top[];
  /** `$context.deploymentId` of the group's first 403 when it was last new. */
  readonly deploymentId?: string;
  readonly pending?: PendingAlert;
  /**
   * Tags (`batchTag`) of the last RECENT_BATCHES batches applied, oldest first: a resumed batch whose
   * crashed attempt applied this group before others wrote it finds its tag here and is not counted twice.
   */
  readonly recentBatches?: readonly number[];
  /** The last batch applied, and when: its redelivery within the idempotency window is not counted twice. */
  readonly lastBatch?: string;
  readonly lastBatchAt?: number;
  /** Incremented by every write; each write is conditional on the version it read. */
  readonly version: number;
  /** The TTL, epoch seconds (STATE_TTL_ATTRIBUTE). */
  readonly expiresAt: number;
}

/** A group's memory lasts this long after its last write: "new" means not seen in the quiet period. */
export const STATE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** How long a batch's claim is resumable: longer than Lambda's asynchronous retry window (6 h). */
export const DEFAULT_IDEMPOTENCY_MS = 7 * 60 * 60 * 1000;
/**
 * How long the record of a batch that failed is kept (`releaseBatch`): the failure queue's retention and
 * a day, so its replay resumes it, and publishes the alert its failed attempts claimed, however late.
 */
export const FAILED_BATCH_RETENTION_MS = (FAILURE_QUEUE_RETENTION_DAYS + 1) * 24 * HOUR_MS;

/**
 * How many writers' tags a group keeps. A crashed attempt's retry comes after its lease (the
 * invocation's time + 30 s) and Lambda's asynchronous retry delays (1 min, then 2 min): about 4 min.
 * 64 covers a group written every 4 s or less often over that gap, at 256 bytes of the item; a group
 * hotter than that can count a crashed batch again (`GroupDecision.mayRecount`).
 */
export const RECENT_BATCHES = 64;

/** A batch's 32-bit tag in `recentBatches` (FNV-1a of its id): short, and only ever compared on a resume. */
export function batchTag(batchId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < batchId.length; index += 1) {
    hash ^= batchId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Every group item's key starts so (the digest and the sweep list them by it). */
export const LIFECYCLE_ITEM_PREFIX = 'group#';

/**
 * `group#{apiId}#{stage}#{category}`, or `group#{account}#{apiId}#{stage}#{category}` for a group of
 * the central monitor. Each part has `%` and `#` percent-encoded, so the key is injective: no API id
 * or stage a line names can spell another group's key, and the part count tells the two shapes apart.
 * API Gateway's own ids and stage names hold neither character, so their keys read as before.
 */
export function groupItemKey(key: GroupKey): string {
  const scope = key.account === undefined ? '' : `${keyPart(key.account)}#`;
  return `${LIFECYCLE_ITEM_PREFIX}${scope}${keyPart(key.apiId)}#${keyPart(key.stage)}#${key.category}`;
}

const keyPart = (text: string): string =>
  text.includes('%') || text.includes('#') ? text.replace(/%/g, '%25').replace(/#/g, '%23') : text;

/** A TTL in epoch seconds, `afterMs` from `now`. */
export function ttlSeconds(now: number, afterMs: number): number {
  return Math.ceil((now + afterMs) / 1000);
}

/** An item whose TTL has passed is absent, whether or not DynamoDB has deleted it yet. */
export function isLive(item: { readonly expiresAt: number } | undefined, now: number): boolean {
  return item !== undefined && item.expiresAt > Math.floor(now / 1000);
}

// ---- rings ----

export function emptyRing(size: number, end = 0): Ring {
  return { end, counts: new Array<number>(size).fill(0) };
}

/** The ring moved forward so that its newest slot is `end` (never backwards). */
export function advance(ring: Ring, end: number): Ring {
  if (end <= ring.end) return ring;
  const size = ring.counts.length;
  const shift = end - ring.end;
  if (shift >= size) return emptyRing(size, end);
  return { end, counts: [...ring.counts.slice(shift), ...new Array<number>(shift).fill(0)] };
}

/** The count of slot `slot`: 0 when it is outside the ring. */
function slotCount(ring: Ring, slot: number): number {
  const index = slot - (ring.end - ring.counts.length + 1);
  return index >= 0 && index < ring.counts.length ? (ring.counts[index] ?? 0) : 0;
}

/** `count` added to slot `slot`, the ring moving forward to it; a slot older than the ring is dropped. */
export function addToSlot(ring: Ring, slot: number, count: number): Ring {
  const moved = advance(ring, slot);
  const index = slot - (moved.end - moved.counts.length + 1);
  if (index < 0 || count === 0) return moved;
  const counts = [...moved.counts];
  counts[index] = Math.min(MAX_SLOT_COUNT, (counts[index] ?? 0) + count);
  return { end: moved.end, counts };
}

/** The sum of the slots covering [from, to) (slot length `slotMs`). */
export function sumBetween(ring: Ring, slotMs: number, from: number, to: number): number {
  let sum = 0;
  for (let slot = Math.floor(from / slotMs); slot * slotMs < to; slot += 1) sum += slotCount(ring, slot);
  return sum;
}

// ---- one batch's 403s of a group ----

/** A group's 403s in one batch, per minute of their timestamps, muted ones apart. */
export interface GroupTally {
  /** Minute (epoch ms / 60,000) → unmuted 403s. */
  readonly minutes: ReadonlyMap<number, number>;
  readonly mutedMinutes: ReadonlyMap<number, number>;
  readonly count: number;
  readonly muted: number;
  /** Earliest and latest unmuted 403 (undefined when all were muted). */
  readonly firstAt?: number;
  readonly lastAt?: number;
  /** `$context.deploymentId` of the earliest unmuted 403 that logged one. */
  readonly deploymentId?: string;
}

/** Folds one group's requests of a batch into a tally, one call per request. */
export class TallyBuilder {
  private readonly minutes = new Map<number, number>();
  private readonly mutedMinutes = new Map<number, number>();
  private count = 0;
  private muted = 0;
  private firstAt: number | undefined;
  private lastAt: number | undefined;
  private deploymentAt = Number.POSITIVE_INFINITY;
  private deploymentId: string | undefined;
  /**
   * The requests of one minute, muted or not, not yet in its map: a batch's lines come in time order,
   * so most requests add one to a run instead of a map look-up and a store.
   */
  private runMinute = 0;
  private runMuted = false;
  private runCount = 0;

  add(timestamp: number, muted: boolean, deploymentId?: string): void {
    const minute = Math.floor(timestamp / 60_000);
    if (minute !== this.runMinute || muted !== this.runMuted) {
      this.flush();
      this.runMinute = minute;
      this.runMuted = muted;
    }
    this.runCount += 1;
    if (muted) {
      this.muted += 1;
      return;
    }
    this.count += 1;
    if (this.firstAt === undefined || timestamp < this.firstAt) this.firstAt = timestamp;
    if (this.lastAt === undefined || timestamp > this.lastAt) this.lastAt = timestamp;
    // Only an earlier request can change the deployment: the id is checked then, not on every line.
    if (deploymentId !== undefined && timestamp < this.deploymentAt) {
      const id = deploymentIdOf(deploymentId);
      if (id !== undefined) {
        this.deploymentAt = timestamp;
        this.deploymentId = id;
      }
    }
  }

  build(): GroupTally {
    this.flush();
    return {
      minutes: this.minutes,
      mutedMinutes: this.mutedMinutes,
      count: this.count,
      muted: this.muted,
      ...(this.firstAt === undefined ? {} : { firstAt: this.firstAt }),
      ...(this.lastAt === undefined ? {} : { lastAt: this.lastAt }),
      ...(this.deploymentId === undefined ? {} : { deploymentId: this.deploymentId }),
    };
  }

  private flush(): void {
    if (this.runCount === 0) return;
    const into = this.runMuted ? this.mutedMinutes : this.minutes;
    into.set(this.runMinute, (into.get(this.runMinute) ?? 0) + this.runCount);
    this.runCount = 0;
  }
}

/** A deployment id as API Gateway writes them (alphanumeric); anything else a line claims is not one. */
function deploymentIdOf(value: string): string | undefined {
  return /^[A-Za-z0-9]{1,32}$/.test(value) ? value.slice(0, MAX_DEPLOYMENT_ID_CHARS) : undefined;
}

// ---- the policy, in milliseconds ----

export interface LifecycleSettings {
  readonly windowMs: number;
  readonly baselineWindows: number;
  readonly realertMs: number;
  readonly group: GroupPolicy;
}

export function settingsFor(policy: NoisePolicy, key: GroupKey): LifecycleSettings {
  return {
    windowMs: policy.windowMinutes * 60_000,
    baselineWindows: Math.min(policy.baselineWindows, WINDOW_SLOTS - 1),
    realertMs: policy.realertMinutes * 60_000,
    group: groupPolicy(policy, key),
  };
}

/** `page` and `alert` publish; `digest` and `ignore` do not. */
export function publishes(action: Action): boolean {
  return action === 'page' || action === 'alert';
}

// ---- one batch of a group ----

export interface GroupInput {
  readonly batchId: string;
  readonly tally: GroupTally;
  /** The batch's most frequent sources of the group (its `topSourceIps`). */
  readonly sources: readonly Top[];
  /** The monitor's clock: alert times and the TTL. */
  readonly now: number;
  /**
   * The batch resumes an attempt that died without recording its progress: it may have applied this
   * group already, and is not counted again if the group's `recentBatches` holds its tag.
   */
  readonly resumed?: boolean;
}

export type GroupDecision =
  /** This batch claimed the group's alert already (a resumed delivery): publish it again, write nothing. */
  | { readonly kind: 'resume'; readonly alert: PendingAlert }
  /** This batch was the group's last write: nothing to count again. */
  | { readonly kind: 'applied' }
  | {
      readonly kind: 'write';
      readonly next: GroupState;
      /** Present when this write claims an alert (the state's `pending`). */
      readonly alert?: PendingAlert;
      /** Why no alert: the lifecycle says nothing new, or it would but its action does not publish. */
      readonly why: 'new' | 'escalated' | 'ongoing' | 'muted' | 'realert-wait' | 'digest-only';
      /**
       * A resumed batch whose tag is not among the group's RECENT_BATCHES (all taken): its crashed
       * attempt may have applied the group before they did, so its 403s may now count twice. Counting
       * (at least once) rather than skipping (which would lose them when it had not).
       */
      readonly mayRecount?: true;
    };

type WriteReason = Extract<GroupDecision, { readonly kind: 'write' }>['why'];

/** The thresholds of the window a batch lands in: its count, its group's usual, and the bar. */
export interface WindowRate {
  readonly count: number;
  readonly baseline: number;
  readonly threshold: number;
}

function windowRate(windows: Ring, slot: number, settings: LifecycleSettings, usual?: number): WindowRate {
  let sum = 0;
  for (let back = 1; back <= settings.baselineWindows; back += 1) sum += slotCount(windows, slot - back);
  const baseline = usual ?? sum / settings.baselineWindows;
  const threshold = Math.max(settings.group.escalationMinCount, settings.group.escalationFactor * baseline);
  return { count: slotCount(windows, slot), baseline, threshold };
}

function emptyState(settings: LifecycleSettings): GroupState {
  return {
    lifecycle: 'resolved',
    firstSeenAt: 0,
    lastSeenAt: 0,
    sinceAlert: 0,
    windowMs: settings.windowMs,
    windows: emptyRing(settings.baselineWindows + 1),
    hours: { counts: emptyRing(HOUR_SLOTS), muted: emptyRing(PERIOD_SLOTS), alerts: emptyRing(PERIOD_SLOTS) },
    topSources: [],
    version: 0,
    expiresAt: 0,
  };
}

function addMinutes(ring: Ring, minutes: ReadonlyMap<number, number>, slotMs: number): Ring {
  let result = ring;
  for (const minute of [...minutes.keys()].sort((a, b) => a - b)) {
    result = addToSlot(result, Math.floor((minute * 60_000) / slotMs), minutes.get(minute) ?? 0);
  }
  return result;
}

/**
 * The most frequent sources: the batch's added to the remembered ones, the largest kept. Counts
 * restart when the hour ring has rolled past everything they counted (no 403 for two days).
 */
function mergeSources(kept: readonly Top[], batch: readonly Top[]): Top[] {
  const merged = new Map<string, number>();
  for (const top of [...kept, ...batch]) {
    const value = top.value.slice(0, MAX_SOURCE_CHARS);
    merged.set(value, Math.min(MAX_SLOT_COUNT, (merged.get(value) ?? 0) + top.count));
  }
  return [...merged]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP_SOURCES)
    .map(([value, count]) => ({ value, count }));
}

function formatMinutes(minutes: number): string {
  return minutes >= 120 && minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

function formatUsual(baseline: number): string {
  return baseline >= 10 ? String(Math.round(baseline)) : String(Math.round(baseline * 10) / 10);
}

/** The one line an alert gives for its lifecycle. */
export function lifecycleReason(
  lifecycle: Lifecycle,
  settings: LifecycleSettings,
  detail: { readonly rate?: WindowRate; readonly deploymentId?: string } = {},
): string {
  switch (lifecycle) {
    case 'new':
      return `New: first 403 of this category for this stage in ${formatMinutes(settings.group.quietPeriodMinutes)}${
        // The deployment the first lines carry, which may be days old: where it was seen, not a cause.
        // Log text like any other, redacted as the digest's is: a line may log a credential there.
        detail.deploymentId ? `, first seen in deployment ${redact(detail.deploymentId)}` : ''
      }`;
    case 'escalated':
      return `Escalated: ${detail.rate?.count ?? 0} in ${formatMinutes(settings.windowMs / 60_000)} against a usual ${formatUsual(detail.rate?.baseline ?? 0)}`;
    case 'resolved':
      return `Resolved: no 403 of this category for ${formatMinutes(settings.group.resolveAfterMinutes)}`;
    default:
      return 'Ongoing: within its usual rate';
  }
}

/**
 * What one batch does to one group. New: no unmuted 403 for the quiet period (or never). Escalated:
 * a window the batch touches reaches max(escalationMinCount, escalationFactor × the mean of the
 * `baselineWindows` windows before it). An escalated group goes back to ongoing once a whole window
 * has stayed under the bar. A group alerts when it becomes new, and when a window escalates and its
 * last alert is at least `realertMinutes` old or it resolved since; only the `page` and `alert`
 * actions publish.
 */
export function planGroup(
  stored: GroupState | undefined,
  input: GroupInput,
  settings: LifecycleSettings,
  idempotencyMs = DEFAULT_IDEMPOTENCY_MS,
): GroupDecision {
  const live = isLive(stored, input.now) ? stored : undefined;
  const repeat = repeatedBatch(live, input, idempotencyMs);
  if (repeat) return repeat;
  const uncertain = mayRecount(live, input) ? { mayRecount: true as const } : {};
  const base = live ?? emptyState(settings);
  // The version goes on from the stored item even when its TTL has passed: the write is conditional on it.
  const counted = withBatchCounted(base, input, (stored?.version ?? 0) + 1);
  const { firstAt, lastAt } = input.tally;
  if (firstAt === undefined || lastAt === undefined) {
    return { kind: 'write', next: counted, why: 'muted', ...uncertain };
  }
  const seen: Sighting = { firstAt, lastAt };
  const step = nextLifecycle(base, input.tally, seen, settings);
  const next = withLifecycle(counted, base, input.tally, seen, step, settings);
  if (!alertDue(step, base, input.now, settings) || !publishes(settings.group.action)) {
    return {
      kind: 'write',
      next: dropUndefined({ ...next, sinceAlert: base.sinceAlert + input.tally.count }),
      why: whyNoAlert(step, base, input.now, settings),
      ...uncertain,
    };
  }
  const alert = alertOf(step, base, input, next.deploymentId, settings);
  return {
    kind: 'write',
    next: dropUndefined({
      ...next,
      sinceAlert: 0,
      lastAlertAt: input.now,
      pending: alert,
      hours: { ...next.hours, alerts: addToSlot(next.hours.alerts, Math.floor(input.now / HOUR_MS), 1) },
    }),
    alert,
    why: alertedLifecycle(step),
    ...uncertain,
  };
}

/**
 * A batch seen before: its claimed alert is published again (a resumed delivery), or it was the
 * group's last write, or (resumed) its tag is among the recent batches. Undefined: count it. A
 * resumed batch (its record says it was never finished) resumes its claim however old, so a replay
 * from the failure queue publishes the alert its failed attempts claimed.
 */
function repeatedBatch(
  live: GroupState | undefined,
  { batchId, now, resumed }: GroupInput,
  idempotencyMs: number,
): GroupDecision | undefined {
  if (
    live?.pending?.batchId === batchId &&
    (resumed === true || live.pending.alertedAt > now - idempotencyMs)
  ) {
    return { kind: 'resume', alert: live.pending };
  }
  if (live?.lastBatch === batchId && (live.lastBatchAt ?? 0) > now - idempotencyMs)
    return { kind: 'applied' };
  if (resumed && (live?.recentBatches ?? []).includes(batchTag(batchId))) return { kind: 'applied' };
  return undefined;
}

/** A resumed batch whose tag may have been pushed out of a full `recentBatches` (see `mayRecount`). */
function mayRecount(live: GroupState | undefined, input: GroupInput): boolean {
  return input.resumed === true && (live?.recentBatches ?? []).length >= RECENT_BATCHES;
}

/** The batch's 403s and sources added to the hour rings, and the batch recorded as applied. */
function withBatchCounted(base: GroupState, input: GroupInput, version: number): GroupState {
  const { tally, batchId, now } = input;
  const hours: HourRings = {
    counts: addMinutes(base.hours.counts, tally.minutes, HOUR_MS),
    muted: addMinutes(base.hours.muted, tally.mutedMinutes, HOUR_MS),
    alerts: base.hours.alerts,
  };
  return {
    ...base,
    hours,
    topSources: mergeSources(sourcesStillCounted(base, hours), input.sources),
    recentBatches: [...(base.recentBatches ?? []), batchTag(batchId)].slice(-RECENT_BATCHES),
    lastBatch: batchId,
    lastBatchAt: now,
    version,
    expiresAt: ttlSeconds(now, STATE_RETENTION_MS),
  };
}

/** The remembered top sources, or none once the hour ring has rolled past everything they counted. */
function sourcesStillCounted(base: GroupState, hours: HourRings): readonly Top[] {
  return base.hours.counts.end <= hours.counts.end - HOUR_SLOTS ? [] : base.topSources;
}

/** A batch's earliest and latest unmuted 403 (a batch of muted ones only has none). */
interface Sighting {
  readonly firstAt: number;
  readonly lastAt: number;
}

/** Where a batch with unmuted 403s takes the group, and the window figures that decided it. */
interface LifecycleStep {
  readonly lifecycle: 'new' | 'ongoing' | 'escalated';
  readonly windows: Ring;
  /** The busiest window of the batch that reached the bar, else the batch's last window. */
  readonly rate: WindowRate;
  /**
   * A window the batch touches reaches the bar (an escalation can also hold on from the window
   * before): the batch escalates, even when a later window of it is calm again.
   */
  readonly above: boolean;
  /** The usual rate an escalated group keeps (undefined otherwise, or while it has none yet). */
  readonly usual: number | undefined;
}

/**
 * Every window the batch touches, oldest first, as if each were a batch of its own: a batch that
 * spans windows (a late or large delivery) escalates on any of them, not only on its last, and each
 * window is measured against the windows before it, the batch's earlier ones included.
 */
function nextLifecycle(
  base: GroupState,
  tally: GroupTally,
  { firstAt }: Sighting,
  settings: LifecycleSettings,
): LifecycleStep {
  const isNew = isNewAfterQuiet(base, firstAt, settings);
  let walk: WindowWalk = {
    windows: isNew ? freshWindows(settings) : windowsFor(base, settings),
    escalated: !isNew && base.lifecycle === 'escalated',
    usual: !isNew && base.lifecycle === 'escalated' ? base.usual : undefined,
  };
  for (const [slot, count] of countsBySlot(tally.minutes, settings.windowMs))
    walk = windowStep(walk, base, slot, count, settings, !isNew);
  const { windows, peak } = walk;
  const rate = peak ?? walk.last ?? windowRate(windows, windows.end, settings);
  const above = peak !== undefined;
  if (isNew) return { lifecycle: 'new', windows, rate, above, usual: undefined };
  return walk.escalated
    ? { lifecycle: 'escalated', windows, rate, above, usual: walk.usual }
    : { lifecycle: 'ongoing', windows, rate, above, usual: undefined };
}

/** Where the walk over a batch's windows stands after the windows it has taken. */
interface WindowWalk {
  readonly windows: Ring;
  readonly escalated: boolean;
  readonly usual: number | undefined;
  /** The busiest window that reached the bar. */
  readonly peak?: WindowRate;
  readonly last?: WindowRate;
}

/** One window of the batch: its 403s added, then measured as a batch landing in it would be. */
function windowStep(
  walk: WindowWalk,
  base: GroupState,
  slot: number,
  count: number,
  settings: LifecycleSettings,
  known: boolean,
): WindowWalk {
  const windows = addToSlot(walk.windows, slot, count);
  const rate = windowRate(windows, slot, settings, walk.escalated ? walk.usual : undefined);
  const above = rate.count >= rate.threshold;
  const peak = above && (walk.peak === undefined || rate.count > walk.peak.count) ? rate : walk.peak;
  // Back to ongoing only when the window before this one stayed under the bar too: the first 403s
  // of a fresh window must not end an escalation that is still going on.
  const held = walk.escalated && slotCount(windows, slot - 1) >= rate.threshold;
  const escalated = known && (above || held);
  const usual = escalated
    ? (walk.usual ?? (hasBaseline(base, slot, settings) ? rate.baseline : undefined))
    : undefined;
  return { windows, escalated, usual, last: rate, ...(peak === undefined ? {} : { peak }) };
}

/** A tally's minutes summed per window slot, oldest first. */
function countsBySlot(minutes: ReadonlyMap<number, number>, slotMs: number): [number, number][] {
  const slots = new Map<number, number>();
  for (const [minute, count] of minutes) {
    const slot = Math.floor((minute * 60_000) / slotMs);
    slots.set(slot, (slots.get(slot) ?? 0) + count);
  }
  return [...slots].sort((a, b) => a[0] - b[0]);
}

/** New: never seen unmuted, or the batch's first 403 comes a whole quiet period after the last. */
function isNewAfterQuiet(base: GroupState, firstAt: number, settings: LifecycleSettings): boolean {
  return base.lastSeenAt === 0 || firstAt - base.lastSeenAt >= settings.group.quietPeriodMinutes * 60_000;
}

function freshWindows(settings: LifecycleSettings): Ring {
  return emptyRing(settings.baselineWindows + 1);
}

/**
 * The stored window ring, or a fresh one after a policy change (window length or baseline): old
 * slots mean other windows.
 */
function windowsFor(base: GroupState, settings: LifecycleSettings): Ring {
  const samePolicy =
    base.windowMs === settings.windowMs && base.windows.counts.length === settings.baselineWindows + 1;
  return samePolicy ? base.windows : freshWindows(settings);
}

/** A group younger than its baseline has no usual rate yet to hold on to: its mean keeps rolling. */
function hasBaseline(base: GroupState, slot: number, settings: LifecycleSettings): boolean {
  return base.firstSeenAt <= slot * settings.windowMs - settings.baselineWindows * settings.windowMs;
}

/** The counted state moved to the step's lifecycle and windows, with the group's sightings. */
function withLifecycle(
  counted: GroupState,
  base: GroupState,
  tally: GroupTally,
  { firstAt, lastAt }: Sighting,
  step: LifecycleStep,
  settings: LifecycleSettings,
): GroupState {
  const isNew = step.lifecycle === 'new';
  return {
    ...counted,
    lifecycle: step.lifecycle,
    windowMs: settings.windowMs,
    windows: step.windows,
    firstSeenAt: isNew ? firstAt : base.firstSeenAt,
    lastSeenAt: Math.max(base.lastSeenAt, lastAt),
    usual: step.usual,
    // A new group's deployment is the one of its first lines (none: the old one is dropped).
    ...(isNew ? { deploymentId: tally.deploymentId } : {}),
  };
}

/** New groups alert; known ones when a window of the batch reaches the bar and a re-alert is due. */
function alertDue(step: LifecycleStep, base: GroupState, now: number, settings: LifecycleSettings): boolean {
  return step.lifecycle === 'new' || (step.above && realertDue(base, now, settings));
}

/**
 * The re-alert wait spaces the alerts of one incident: a group that has not alerted since it last
 * resolved (the sweep found it quiet) is in a new one, whose first alert goes out at once, however
 * recent the last alert or resolved notice.
 */
function realertDue(base: GroupState, now: number, settings: LifecycleSettings): boolean {
  return !alertedSinceResolved(base) || now - (base.lastAlertAt ?? 0) >= settings.realertMs;
}

/** The group alerted since it last resolved (a resolved notice stamps both times alike: not since). */
function alertedSinceResolved(state: GroupState): boolean {
  return state.lastAlertAt !== undefined && state.lastAlertAt > (state.resolvedAt ?? 0);
}

/** What an alert says the group is: new, or escalated by a window of this batch. */
function alertedLifecycle(step: LifecycleStep): 'new' | 'escalated' {
  return step.lifecycle === 'new' ? 'new' : 'escalated';
}

/** Why a counted batch publishes nothing: a quiet action, the re-alert wait, or its lifecycle. */
function whyNoAlert(
  step: LifecycleStep,
  base: GroupState,
  now: number,
  settings: LifecycleSettings,
): Exclude<WriteReason, 'muted'> {
  if (alertDue(step, base, now, settings)) return 'digest-only';
  if (step.above) return 'realert-wait';
  return step.lifecycle;
}

function alertOf(
  step: LifecycleStep,
  base: GroupState,
  { batchId, now }: GroupInput,
  deploymentId: string | undefined,
  settings: LifecycleSettings,
): PendingAlert {
  return {
    batchId,
    alertedAt: now,
    lifecycle: alertedLifecycle(step),
    reason: lifecycleReason(alertedLifecycle(step), settings, {
      rate: step.rate,
      ...(deploymentId === undefined ? {} : { deploymentId }),
    }),
    suppressedSinceLast: base.sinceAlert,
    firstSeen: step.lifecycle === 'new',
    ...(base.lastAlertAt === undefined ? {} : { lastAlertAt: base.lastAlertAt }),
  };
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

// ---- resolution (the periodic sweep) ----

export interface Resolution {
  readonly key: GroupKey;
  readonly next: GroupState;
  /** Publish a resolved alert: `notifyResolved`, a publishing action, and it alerted since it last resolved. */
  readonly notify: boolean;
  readonly reason: string;
  /** The version the write is conditional on. */
  readonly version: number;
}

/**
 * Which groups resolve at `now`: live, not resolved yet, and no unmuted 403 for their
 * `resolveAfterMinutes`. Pure; the adapter writes each (conditional on the version it read).
 */
export function sweep(
  states: readonly { readonly key: GroupKey; readonly state: GroupState }[],
  now: number,
  policy: NoisePolicy,
): Resolution[] {
  return states.flatMap(({ key, state }) => {
    const resolution = resolveGroup(key, state, now, settingsFor(policy, key));
    return resolution ? [resolution] : [];
  });
}

export function resolveGroup(
  key: GroupKey,
  state: GroupState,
  now: number,
  settings: LifecycleSettings,
): Resolution | undefined {
  if (!isLive(state, now) || state.lifecycle === 'resolved' || state.lastSeenAt === 0) return undefined;
  if (now - state.lastSeenAt < settings.group.resolveAfterMinutes * 60_000) return undefined;
  const notify =
    settings.group.notifyResolved && publishes(settings.group.action) && alertedSinceResolved(state);
  const reason = lifecycleReason('resolved', settings);
  const resolved: GroupState = {
    ...state,
    lifecycle: 'resolved',
    resolvedAt: now,
    version: state.version + 1,
  };
  const next: GroupState = notify
    ? {
        ...resolved,
        lastAlertAt: now,
        sinceAlert: 0,
        hours: { ...state.hours, alerts: addToSlot(state.hours.alerts, Math.floor(now / HOUR_MS), 1) },
      }
    : resolved;
  return { key, next, notify, reason, version: state.version };
}

// ---- the digest's view of a group ----

export interface DigestPeriod {
  /** Epoch ms, inclusive; counted in whole hours (the hour ring's slots). */
  readonly start: number;
  /** Epoch ms, exclusive. */
  readonly end: number;
}

/**
 * One group's line in a digest of `period`: its 403s, muted 403s and alerts in the period (whole
 * hours), the same length of time before it, its top sources, and its lifecycle at the period's end.
 * A period is cut to DIGEST_PERIOD_HOURS before its end (digest-event.ts MAX_DIGEST_PERIOD_MS): the
 * period, the one before it and the hour in progress fit the 403 ring; the period and the hour in
 * progress the muted and alert rings.
 */
export function summariseForDigest(
  key: GroupKey,
  state: GroupState,
  period: DigestPeriod,
  policy: NoisePolicy,
): DigestGroupSummary {
  const length = Math.min(period.end - period.start, DIGEST_PERIOD_HOURS * HOUR_MS);
  const start = period.end - length;
  const { counts, muted, alerts } = state.hours;
  const group = groupPolicy(policy, key);
  const quiet = state.lastSeenAt !== 0 && period.end - state.lastSeenAt >= group.resolveAfterMinutes * 60_000;
  return {
    ...(key.account === undefined ? {} : { account: key.account }),
    apiId: key.apiId,
    stage: key.stage,
    category: key.category,
    lifecycle: quiet ? 'resolved' : state.lifecycle,
    action: group.action,
    count: sumBetween(counts, HOUR_MS, start, period.end),
    previousCount: sumBetween(counts, HOUR_MS, start - length, start),
    mutedCount: sumBetween(muted, HOUR_MS, start, period.end),
    alertsSent: sumBetween(alerts, HOUR_MS, start, period.end),
    topSources: state.topSources,
    firstSeenAt: state.firstSeenAt,
    lastSeenAt: state.lastSeenAt,
    ...(state.deploymentId === undefined ? {} : { deploymentId: state.deploymentId }),
  };
}
