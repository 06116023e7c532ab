import { randomUUID } from 'node:crypto';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { MonitorConfig, WatchedStage } from './adapters/env-config.js';
import { MonitorError } from './adapters/errors.js';
import { evidenceBudgetMs, lookupExecutionEvidence } from './adapters/evidence-lookup.js';
import type { MetricSink } from './adapters/metrics-sink.js';
import { publishAlert } from './adapters/sns-publisher.js';
import type { StateStore } from './adapters/state-store.js';
import {
  BatchIdBuilder,
  encodeProgress,
  eventsByRequestId,
  finishedGroups,
  groupsDigest,
  mergeEvidence,
  orderGroups,
} from './core/alerts.js';
import { isGatewayStage } from './core/gateway-ids.js';
import { nestedMap } from './core/group.js';
import {
  type Category,
  classifyDocuments,
  classifyIntoGroups,
  type DecodeResult,
  decodeSubscriptionEvent,
  executionLogGroupName,
  type Finding,
  type FindingGroup,
  type GroupedBatchResult,
  groupFindings,
  type LogEvent,
  type LogsDocument,
  parseExecutionLogGroup,
} from './core/index.js';
import { isAccountId } from './core/kinesis-records.js';
import {
  DEFAULT_IDEMPOTENCY_MS,
  FAILED_BATCH_RETENTION_MS,
  type GroupDecision,
  type GroupKey,
  type GroupState,
  type GroupTally,
  HOUR_MS,
  type LifecycleSettings,
  type PendingAlert,
  planGroup,
  publishes,
  type Resolution,
  settingsFor,
  sumBetween,
  TallyBuilder,
  ttlSeconds,
} from './core/lifecycle.js';
import { compileMuteRules, type MuteMatcher } from './core/mute.js';
import { SWEEP_EVENT } from './core/noise-policy.js';
import {
  buildAlertView,
  countDocument,
  FOREIGN_LINES_METRIC,
  forbiddenRequestDocuments,
  invalidPayloadDocument,
  type RenderedPublish,
  renderPublish,
  SKIPPED_EVENTS_METRIC,
  UNWATCHED_GROUP_METRIC,
} from './core/render/index.js';
import { wellFormedFinding } from './core/well-formed.js';

/** What the monitor needs from the outside world; the Lambda entry point builds it from the env. */
export interface MonitorDeps {
  readonly config: MonitorConfig;
  readonly sns: SNSClient;
  readonly logs: CloudWatchLogsClient;
  readonly store: StateStore;
  readonly metrics: MetricSink;
  readonly now: () => number;
  /**
   * Classify log groups the configuration does not name, from what their lines say. Only for the
   * central monitor of a cross-account destination: there the source-account stacks chose the groups
   * and the listed accounts gate them. Otherwise only configured log groups count.
   * @default false
   */
  readonly anyLogGroup?: boolean;
  /**
   * Account-wide mode: the stages watched for an event of this log group, the listed ones and the
   * discovered ones (lambda/adapters/discovery-store.ts, cached).
   * @default - the configured stages only
   */
  readonly watchedStagesFor?: (logGroup: string) => Promise<readonly WatchedStage[]>;
  /** The invocation's remaining time (the Lambda context's); it bounds the groups one invocation handles. */
  readonly remainingMs?: () => number;
  /**
   * Take over a batch another invocation holds a lease on, resuming what it recorded, instead of
   * failing for a retry after the lease. For the Kinesis path: an event source mapping retries a record
   * only once the invocation that failed it is over, back to back, so a lease it finds is a dead
   * holder's, which would outlast every retry (see docs/pipeline.md, "A crashed Kinesis invocation").
   * @default false
   */
  readonly takeOverLeases?: boolean;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, counts: Record<string, unknown>) => void;
}

export interface AlertOutcome {
  readonly apiId: string;
  readonly stage: string;
  readonly category: string;
  readonly count: number;
  readonly action: 'alert' | 'suppress' | 'skip' | 'none';
  readonly why?: string;
  readonly rendered?: RenderedPublish;
  readonly messageId?: string;
  /** Writes of this group that other invocations' writes refused before this one's went through. */
  readonly conflicts?: number;
  /** A resumed batch counted into a group too busy to tell whether its crashed attempt had (`mayRecount`). */
  readonly mayRecount?: true;
  /** The group's source account (the central monitor's groups only). */
  readonly account?: string;
}

/** A batch's group, scoped to its source account when the central monitor handles it (GroupKey.account). */
export type ScopedGroup = FindingGroup & Pick<GroupKey, 'account'>;

export interface InvocationSummary {
  readonly kind: 'data' | 'control' | 'invalid' | 'unwatched' | 'evidence-only' | 'sweep';
  readonly batchId?: string;
  readonly findings: number;
  readonly metricEmitted: boolean;
  readonly outcomes: readonly AlertOutcome[];
}

export async function processSubscriptionEvent(
  event: unknown,
  deps: MonitorDeps,
): Promise<InvocationSummary> {
  if (isSweepEvent(event)) return runSweep(deps);
  return processDecodedEvent(decodeSubscriptionEvent(event), deps);
}

/**
 * A payload decoded once: the central monitor decodes each record to check its owner first, and the
 * events the decode left out must still be counted (a second decode of the kept ones finds none).
 */
export async function processDecodedEvent(
  decoded: DecodeResult,
  deps: MonitorDeps,
): Promise<InvocationSummary> {
  const { config, log } = deps;
  if (decoded.kind === 'control') return { kind: 'control', findings: 0, metricEmitted: false, outcomes: [] };
  if (decoded.kind === 'invalid') {
    log('warn', 'dropped an invalid subscription payload', { reason: decoded.reason });
    deps.metrics([invalidPayloadDocument(config.metricNamespace, deps.now())]);
    return { kind: 'invalid', findings: 0, metricEmitted: true, outcomes: [] };
  }
  const document = decoded.document;
  // Discovered stages count as configured ones from here on (a listed stage wins where both name one).
  const scoped = deps.watchedStagesFor
    ? { ...deps, config: { ...config, watchedStages: await deps.watchedStagesFor(document.logGroup) } }
    : deps;
  const watch = watchOf(scoped.config, document.logGroup, deps.anyLogGroup === true);
  // The central monitor scopes every group by the document's owner, which CloudWatch Logs writes (the
  // account of the log group), never by anything a line says: one account's lines reach its own groups only.
  const account = deps.anyLogGroup === true ? document.owner : undefined;
  if (watch.kind === 'unwatched' || (account !== undefined && !isAccountId(account))) {
    // Only configured log groups may alert: a subscription someone else points at the function, or a
    // stage removed from the configuration, is counted and dropped.
    log('warn', 'dropped a payload from a log group that is not watched', {
      events: document.logEvents.length,
    });
    deps.metrics([countDocument(UNWATCHED_GROUP_METRIC, config.metricNamespace, deps.now(), 1)]);
    return { kind: 'unwatched', findings: 0, metricEmitted: true, outcomes: [] };
  }
  if (watch.kind === 'evidence') {
    // The stage's access log counts these requests; its execution lines are fetched as evidence.
    log('info', 'execution lines of a stage with access logs: evidence only', {
      events: document.logEvents.length,
    });
    return { kind: 'evidence-only', findings: 0, metricEmitted: false, outcomes: [] };
  }

  const { classified, tallies, batchId } = classifyWatchedDocument(document, watch.stages, config, account);
  const { findings, dropped: foreign } = classified;
  const now = deps.now();
  log('info', 'classified a batch', {
    ...classified.stats,
    skippedEvents: decoded.skippedEvents ?? 0,
    ...(decoded.skippedReason ? { skippedReason: decoded.skippedReason } : {}),
    foreignLines: foreign,
    findings,
    batchId,
  });
  const dropped = [
    { metric: SKIPPED_EVENTS_METRIC, count: decoded.skippedEvents ?? 0 },
    { metric: FOREIGN_LINES_METRIC, count: foreign },
  ].filter((entry) => entry.count > 0);
  if (dropped.length > 0) {
    deps.metrics(
      dropped.map((entry) => countDocument(entry.metric, config.metricNamespace, now, entry.count)),
    );
  }
  if (findings === 0) return { kind: 'data', batchId, findings: 0, metricEmitted: false, outcomes: [] };

  const groups =
    account === undefined ? classified.groups : classified.groups.map((group) => ({ ...group, account }));
  return alertBatch({ groups, findings }, document, batchId, now, scoped, tallies);
}

/**
 * Everything the monitor does per line of a watched document before any AWS call: classify, group,
 * attribute to the watched stages, tally per minute, and the batch id. `stages` undefined: any log
 * group (the lines say which API and stage). `account`: the central monitor's source account, which
 * scopes the tallies and the batch id. Exported for the throughput benchmark, which must time
 * exactly this.
 */
export function classifyWatchedDocument(
  document: LogsDocument,
  stages: readonly WatchedStage[] | undefined,
  config: MonitorConfig,
  account?: string,
): { classified: GroupedBatchResult; tallies: Tallies; batchId: string } {
  const only = stages?.length === 1 ? stages[0] : undefined;
  // Folded into groups as classified: no finding per request is kept, and only what a group keeps
  // is redacted (the groups are those of groupFindings over the attributed findings).
  const attribute = attributor(stages);
  const tallies = new Tallies(mutesOf(config, account), account);
  const batchIds = new BatchIdBuilder(account);
  const classified = classifyIntoGroups([document], {
    resolveStage: () => (only ? { apiId: only.apiId, stage: only.stage } : undefined),
    eachEventId: (id) => batchIds.add(id),
    keep: (finding, wellFormed) => {
      const kept = attribute(finding, wellFormed);
      if (kept) tallies.add(kept);
      return kept;
    },
  });
  return { classified, tallies, batchId: batchIds.digest() };
}

function isSweepEvent(event: unknown): boolean {
  return (
    typeof event === 'object' &&
    event !== null &&
    Object.keys(event).length === 1 &&
    (event as Record<string, unknown>).apigw403 === SWEEP_EVENT.apigw403
  );
}

/**
 * The policy's mute rules for one source account (none: a single-account monitor), compiled once per
 * policy object and account (a warm container keeps its config).
 */
const MUTES = new WeakMap<MonitorConfig, Map<string | undefined, MuteMatcher>>();
function mutesOf(config: MonitorConfig, account: string | undefined): MuteMatcher {
  let byAccount = MUTES.get(config);
  if (!byAccount) {
    byAccount = new Map();
    MUTES.set(config, byAccount);
  }
  let matcher = byAccount.get(account);
  if (!matcher) {
    matcher = compileMuteRules(config.noisePolicy.mute, account);
    byAccount.set(account, matcher);
  }
  return matcher;
}

/** Each group's 403s of the batch by minute, muted ones apart, as they are classified. */
class Tallies {
  /** API id → stage → category: no key string built per line (the batch's account is one). */
  private readonly builders = new Map<string, Map<string, Map<Category, TallyBuilder>>>();
  /**
   * The categories of the last finding's stage: a batch's lines are of one stage or a few, while
   * neighbouring lines are mostly of different categories (so the cache is per stage, not per group).
   */
  private last: { apiId: string; stage: string; categories: Map<Category, TallyBuilder> } | undefined;

  constructor(
    private readonly muted: MuteMatcher,
    private readonly account: string | undefined,
  ) {}

  add(finding: Finding): void {
    this.builderOf(finding).add(finding.timestamp, this.muted(finding), finding.deploymentId);
  }

  private builderOf(finding: Finding): TallyBuilder {
    let { last } = this;
    if (last === undefined || last.apiId !== finding.apiId || last.stage !== finding.stage) {
      last = {
        apiId: finding.apiId,
        stage: finding.stage,
        categories: this.categoriesOf(finding.apiId, finding.stage),
      };
      this.last = last;
    }
    let builder = last.categories.get(finding.category);
    if (!builder) {
      builder = new TallyBuilder();
      last.categories.set(finding.category, builder);
    }
    return builder;
  }

  private categoriesOf(apiId: string, stage: string): Map<Category, TallyBuilder> {
    return nestedMap(nestedMap(this.builders, apiId), stage);
  }

  of(key: GroupKey): GroupTally {
    const builder =
      key.account === this.account
        ? this.builders.get(key.apiId)?.get(key.stage)?.get(key.category)
        : undefined;
    return (builder ?? new TallyBuilder()).build();
  }
}

/** What a log group is to the monitor: only groups of configured stages are classified. */
type Watch =
  /** `stages` undefined: not configured (`anyLogGroup`), the lines say which API and stage. */
  | { readonly kind: 'classify'; readonly stages?: readonly WatchedStage[] }
  | { readonly kind: 'evidence' }
  | { readonly kind: 'unwatched' };

/**
 * An access log group is classified for the stages configured with it. An execution log group is
 * classified only for a stage watched without an access log (its execution lines are then all there
 * is); with an access log, the access line counts the request and the lookup fetches the evidence.
 */
function watchOf(config: MonitorConfig, logGroup: string, anyLogGroup: boolean): Watch {
  const unwatched: Watch = anyLogGroup ? { kind: 'classify' } : { kind: 'unwatched' };
  const execution = parseExecutionLogGroup(logGroup);
  if (execution) {
    const stage = watchedStage(config, execution);
    if (!stage?.executionLogs) return unwatched;
    return stage.accessLogGroup ? { kind: 'evidence' } : { kind: 'classify', stages: [stage] };
  }
  const stages = config.watchedStages.filter((entry) => entry.accessLogGroup === logGroup);
  return stages.length > 0 ? { kind: 'classify', stages } : unwatched;
}

/**
 * The API id and stage come from the configuration, never from the line alone: a group of one stage
 * is that stage's; in a group shared by several, a finding keeps the stage its line names only when it
 * is one of them. The others (`foreign`) are counted and dropped. Every text a finding took from its
 * line is made well-formed here, before any of it reaches a key, a link or a request, unless the
 * classifier knows from the line that none can hold a lone surrogate (`textsAreWellFormed`; the
 * configured API ids and stage names are ASCII, checked at synth). Without
 * configured stages (the central monitor), a line must name its API id and stage as API Gateway
 * spells them; others are foreign too.
 */
function attributor(
  stages: readonly WatchedStage[] | undefined,
): (finding: Finding, wellFormed: boolean) => Finding | undefined {
  const repaired = (finding: Finding, wellFormed: boolean) =>
    wellFormed ? finding : wellFormedFinding(finding);
  if (!stages)
    return (finding, wellFormed) =>
      isGatewayStage(finding.apiId, finding.stage) ? repaired(finding, wellFormed) : undefined;
  const [only] = stages;
  return (finding, wellFormed) => {
    if (only && stages.length === 1) {
      const own = finding.apiId === only.apiId && finding.stage === only.stage;
      return own
        ? repaired(finding, wellFormed)
        : wellFormedFinding({ ...finding, apiId: only.apiId, stage: only.stage });
    }
    return stages.some((entry) => entry.apiId === finding.apiId && entry.stage === finding.stage)
      ? repaired(finding, wellFormed)
      : undefined;
  };
}

function watchedStage(
  config: MonitorConfig,
  key: { apiId: string; stage: string },
): WatchedStage | undefined {
  return config.watchedStages.find((entry) => entry.apiId === key.apiId && entry.stage === key.stage);
}

/** Groups handled at once: bounds the DynamoDB and SNS calls in flight, whatever the batch holds. */
export const MAX_GROUPS_IN_FLIGHT = 16;
/** FilterLogEvents has a low per-account quota: the most urgent groups of a batch get evidence. */
export const MAX_EVIDENCE_LOOKUPS = 10;
/** Without a Lambda context (tests, `npm start`): the deployed function's timeout. */
const DEFAULT_REMAINING_MS = 60_000;
/** No group is started when less than this (or a quarter of the invocation's time) is left. */
const MIN_RESERVE_MS = 10_000;
const RESERVE_FRACTION = 0.25;
/** A batch's lease outlives its invocation by this much, so only a dead holder's batch is resumed. */
const LEASE_MARGIN_MS = 30_000;

/**
 * One batch, once: the batch record gives this invocation a lease (or says the batch is finished or
 * held by a live invocation); the metric is written when the batch is first claimed; the groups are
 * handled most urgent first, at most MAX_GROUPS_IN_FLIGHT at a time, while the time budget lasts.
 * What is not finished (a failure, or the budget ran out) is recorded and the invocation fails, so
 * Lambda's retry resumes exactly the rest.
 */
export async function alertBatch(
  classified: { readonly groups: readonly ScopedGroup[]; readonly findings: number },
  document: LogsDocument,
  batchId: string,
  now: number,
  deps: MonitorDeps,
  tallies?: { of(key: GroupKey): GroupTally },
): Promise<InvocationSummary> {
  const { store, log } = deps;
  const { findings } = classified;
  const groups = orderGroups(classified.groups);
  const budget = timeBudget(deps);
  const owner = randomUUID();
  const claim = await store.claimBatch(
    batchId,
    owner,
    now + budget.leaseMs,
    now,
    ttlSeconds(now, DEFAULT_IDEMPOTENCY_MS),
    deps.takeOverLeases === true,
  );
  if (claim.kind === 'busy') {
    // Returning here would drop the batch if the holder then fails; its retry will find it finished.
    throw new MonitorError(`batch ${batchId} is held by another invocation; retry after its lease`, true);
  }
  const skipped = (why: string) =>
    groups.map((group) => ({ ...outcomeBase(group), action: 'skip' as const, why }));
  if (claim.kind === 'done') {
    return {
      kind: 'data',
      batchId,
      findings,
      metricEmitted: false,
      outcomes: skipped('already-applied'),
    };
  }
  const metricEmitted = claim.kind === 'fresh';
  if (metricEmitted)
    deps.metrics(
      forbiddenRequestDocuments(
        classified.groups.map(({ account, apiId, stage, category, count }) => ({
          ...(account === undefined ? {} : { account }),
          apiId,
          stage,
          category,
          count,
        })),
        deps.config.metricNamespace,
        now,
        document.owner,
      ),
    );

  const digest = groupsDigest(groups);
  const finished =
    claim.kind === 'resume' ? finishedGroups(claim.progress, digest, groups.length) : new Set<number>();
  const earlier = [...finished];
  const evidence = new EvidenceContext(document);
  const todo = groups.flatMap((group, index) => (finished.has(index) ? [] : [{ group, index }]));
  let failed = false;
  const run = await runBounded(
    todo,
    MAX_GROUPS_IN_FLIGHT,
    () => failed || budget.exhausted(),
    async ({ group, index }) => {
      try {
        const tally = tallies?.of(group) ?? unmutedTally(group);
        const outcome = await handleGroup(
          group,
          tally,
          document,
          batchId,
          now,
          evidence,
          deps,
          budget.exhausted,
          claim.kind === 'resume',
        );
        finished.add(index);
        return outcome;
      } catch (error) {
        failed = true;
        throw error;
      }
    },
  );
  const failures = run.settled.filter(
    (result): result is PromiseRejectedResult => result.status === 'rejected',
  );
  const outcomes: AlertOutcome[] = [
    ...earlier.flatMap((index) => {
      const group = groups[index];
      return group ? [{ ...outcomeBase(group), action: 'skip' as const, why: 'already-applied' }] : [];
    }),
    ...run.settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])),
  ];
  const counts = {
    groups: groups.length,
    alerted: outcomes.filter((outcome) => outcome.action === 'alert').length,
    suppressed: outcomes.filter((outcome) => outcome.action === 'suppress').length,
    failed: failures.length,
    deferred: run.notStarted,
    conflicts: outcomes.reduce((sum, outcome) => sum + (outcome.conflicts ?? 0), 0),
    mayRecount: outcomes.filter((outcome) => outcome.mayRecount).length,
    resumed: claim.kind === 'resume',
  };
  // Counted rather than skipped (skipping would lose them when the crashed attempt had not): see planGroup.
  if (counts.mayRecount > 0) log('warn', 'a resumed batch may have counted groups a second time', counts);
  if (failures.length === 0 && run.notStarted === 0) {
    if (!(await store.finishBatch(batchId, owner, now)))
      log('warn', 'the batch lease ran out before it was finished', counts);
    log('info', 'alert groups processed', counts);
    return { kind: 'data', batchId, findings, metricEmitted, outcomes };
  }
  await store
    .releaseBatch(
      batchId,
      owner,
      encodeProgress(digest, finished, groups.length),
      ttlSeconds(now, FAILED_BATCH_RETENTION_MS),
    )
    .catch((error: unknown) =>
      log('error', 'could not record the batch progress', { ...counts, error: String(error) }),
    );
  log('error', 'alert groups left for the retry', counts);
  const [firstFailure] = failures;
  if (firstFailure) throw firstFailure.reason;
  throw new MonitorError(
    `${run.notStarted} of ${groups.length} alert groups did not fit in this invocation's time; the retry resumes them`,
    true,
  );
}

function outcomeBase(group: ScopedGroup) {
  return {
    ...(group.account === undefined ? {} : { account: group.account }),
    apiId: group.apiId,
    stage: group.stage,
    category: group.category,
    count: group.count,
  };
}

function keyOf(group: Pick<ScopedGroup, 'account' | 'apiId' | 'stage' | 'category'>): GroupKey {
  return {
    ...(group.account === undefined ? {} : { account: group.account }),
    apiId: group.apiId,
    stage: group.stage,
    category: group.category,
  };
}

interface TimeBudget {
  readonly leaseMs: number;
  exhausted(): boolean;
}

function timeBudget(deps: MonitorDeps): TimeBudget {
  const started = performance.now();
  const initial = deps.remainingMs?.() ?? DEFAULT_REMAINING_MS;
  const reserve = Math.max(MIN_RESERVE_MS, initial * RESERVE_FRACTION);
  const remaining = () => deps.remainingMs?.() ?? initial - (performance.now() - started);
  return { leaseMs: initial + LEASE_MARGIN_MS, exhausted: () => remaining() < reserve };
}

/** Runs `work` over `items`, `limit` at a time; once `stop()` says so, no further item is started. */
async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  stop: () => boolean,
  work: (item: T) => Promise<R>,
): Promise<{ settled: PromiseSettledResult<R>[]; notStarted: number }> {
  const settled: PromiseSettledResult<R>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      const item = items[next] as T;
      next += 1;
      try {
        settled.push({ status: 'fulfilled', value: await work(item) });
      } catch (reason) {
        settled.push({ status: 'rejected', reason });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return { settled, notStarted: items.length - next };
}

/** A group's 403s when no tally was kept (a caller of `alertBatch` without one): none muted. */
function unmutedTally(group: FindingGroup): GroupTally {
  const builder = new TallyBuilder();
  for (let index = 0; index < group.count; index += 1) builder.add(group.lastSeen, false);
  return builder.build();
}

async function handleGroup(
  group: ScopedGroup,
  tally: GroupTally,
  document: LogsDocument,
  batchId: string,
  now: number,
  evidence: EvidenceContext,
  deps: MonitorDeps,
  stop: () => boolean,
  resumed: boolean,
): Promise<AlertOutcome> {
  const { store } = deps;
  const key = keyOf(group);
  const settings = settingsFor(deps.config.noisePolicy, key);
  const base = outcomeBase(group);
  // `ignore`: the metric has counted them; no state, no digest line, no alert.
  if (settings.group.action === 'ignore') return { ...base, action: 'none', why: 'ignored' };
  const input = { batchId, tally, sources: group.topSourceIps, now, resumed };
  const publish = async (alert: PendingAlert, resumed: boolean): Promise<AlertOutcome> => {
    const notes =
      tally.muted > 0
        ? [`${tally.muted} of these ${group.count} 403s match mute rules; they are not counted for alerting.`]
        : [];
    const rendered = await renderGroup(group, document, alert, evidence, deps, settings, notes);
    const messageId = await publishAlert(deps.sns, deps.config.topicArn, rendered);
    return {
      ...base,
      action: 'alert',
      rendered,
      messageId,
      why: resumed ? 'resumed' : (alert.lifecycle ?? 'new'),
    };
  };
  // One read-modify-write, retried on the state table's side when other invocations write the group
  // at the same time (StateStore.updateGroup); it stops retrying where the invocation stops starting groups.
  const { value: decision, conflicts } = await store.updateGroup<GroupDecision>(
    key,
    (state) => {
      const planned = planGroup(state, input, settings);
      return planned.kind === 'write' ? { write: planned.next, result: planned } : { result: planned };
    },
    stop,
  );
  const raced = {
    ...(conflicts > 0 ? { conflicts } : {}),
    ...(decision.kind === 'write' && decision.mayRecount ? { mayRecount: true as const } : {}),
  };
  if (decision.kind === 'resume') return { ...(await publish(decision.alert, true)), ...raced };
  if (decision.kind === 'applied') return { ...base, action: 'skip', why: 'already-applied', ...raced };
  if (decision.alert) return { ...(await publish(decision.alert, false)), ...raced };
  return { ...base, action: 'suppress', why: decision.why, ...raced };
}

/**
 * The periodic sweep (SWEEP_EVENT on a schedule): every group with no unmuted 403 for its
 * `resolveAfterMinutes` is resolved; one that alerted since it last resolved and whose policy says
 * `notifyResolved` publishes a resolved alert first (so a failed publish leaves it for the next
 * sweep: at least once). Each resolution is conditional on the version it read, so a batch that
 * arrives meanwhile wins and the group stays open.
 */
export async function runSweep(deps: MonitorDeps): Promise<InvocationSummary> {
  const now = deps.now();
  const budget = timeBudget(deps);
  const outcomes: AlertOutcome[] = [];
  let failed = 0;
  const resolveOne = async (resolution: Resolution): Promise<AlertOutcome> => {
    const base = { ...resolution.key, count: 0 };
    let rendered: RenderedPublish | undefined;
    let messageId: string | undefined;
    if (resolution.notify) {
      rendered = renderResolved(resolution, now, deps);
      messageId = await publishAlert(deps.sns, deps.config.topicArn, rendered);
    }
    const applied = await deps.store.resolve(resolution);
    return {
      ...base,
      action: rendered ? 'alert' : 'none',
      why: applied ? 'resolved' : 'active-again',
      ...(rendered ? { rendered, messageId } : {}),
    };
  };
  // Page by page: a page whose resolutions fail keeps the cursor before it, for the next run.
  const swept = await deps.store
    .sweepGroups(
      now,
      deps.config.noisePolicy,
      async (resolutions) => {
        const run = await runBounded(resolutions, MAX_GROUPS_IN_FLIGHT, () => false, resolveOne);
        const failures = run.settled.filter(
          (result): result is PromiseRejectedResult => result.status === 'rejected',
        );
        outcomes.push(
          ...run.settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])),
        );
        failed += failures.length;
        const [firstFailure] = failures;
        if (firstFailure) throw firstFailure.reason;
      },
      budget.exhausted,
    )
    .catch((error: unknown) => {
      deps.log('error', 'swept the groups', { ...sweepCounts(outcomes), failed });
      throw error;
    });
  // A pass that did not reach the end of the table this run: the next run resumes from its cursor,
  // and groups past it resolve a run later than their policy says.
  deps.log(swept.complete || swept.raced ? 'info' : 'warn', 'swept the groups', {
    ...sweepCounts(outcomes),
    failed,
    pages: swept.pages,
    groups: swept.groups,
    resumed: swept.resumed,
    passComplete: swept.complete,
    ...(swept.raced ? { raced: true } : {}),
  });
  return { kind: 'sweep', findings: 0, metricEmitted: false, outcomes };
}

function sweepCounts(outcomes: readonly AlertOutcome[]): { resolved: number; notified: number } {
  return {
    resolved: outcomes.length,
    notified: outcomes.filter((outcome) => outcome.action === 'alert').length,
  };
}

/** A resolved alert: the group's last day as its count, its remembered sources, no evidence. */
function renderResolved(resolution: Resolution, now: number, deps: MonitorDeps): RenderedPublish {
  const { key, next } = resolution;
  const state: GroupState = next;
  const group: ScopedGroup = {
    ...key,
    count: Math.max(1, sumBetween(state.hours.counts, HOUR_MS, now - 24 * HOUR_MS, now + HOUR_MS)),
    firstSeen: state.firstSeenAt,
    lastSeen: state.lastSeenAt,
    sampleRequestIds: [],
    topSourceIps: state.topSources,
    topPaths: [],
    topUserAgents: [],
    topApiKeyIds: [],
    httpMethods: [],
    reasons: [],
    confidence: { high: 0, medium: 0, low: 0 },
    signals: [],
    evidence: [],
    sources: ['access'],
  };
  const stage = key.account === undefined ? watchedStage(deps.config, key) : undefined;
  const settings = settingsFor(deps.config.noisePolicy, key);
  return renderPublish(
    buildAlertView(group, {
      region: deps.config.region,
      ...(key.account === undefined ? {} : { account: key.account }),
      logGroups: stage?.accessLogGroup ? [stage.accessLogGroup] : [],
      alert: {
        batchId: `resolved-${now}`,
        alertedAt: now,
        lifecycle: 'resolved',
        reason: resolution.reason,
        suppressedSinceLast: 0,
        firstSeen: false,
      },
      ...actionOf(settings),
    }),
  );
}

function actionOf(settings: LifecycleSettings): { action?: 'page' | 'alert' } {
  const { action } = settings.group;
  return publishes(action) ? { action: action as 'page' | 'alert' } : {};
}

/** Per invocation: the evidence lookups made so far, and the access lines by request id (built once). */
class EvidenceContext {
  lookups = 0;
  private index: Map<string, LogEvent[]> | undefined;

  constructor(private readonly document: LogsDocument) {}

  accessLinesOf(requestIds: readonly string[]): LogEvent[] {
    this.index ??= eventsByRequestId(this.document.logEvents);
    return [...new Set(requestIds.flatMap((id) => this.index?.get(id) ?? []))];
  }
}

async function renderGroup(
  group: ScopedGroup,
  document: LogsDocument,
  alert: Parameters<typeof buildAlertView>[1]['alert'],
  evidence: EvidenceContext,
  deps: MonitorDeps,
  settings: LifecycleSettings,
  groupNotes: readonly string[],
): Promise<RenderedPublish> {
  // A source account's group never gets the central account's own stage (its evidence or log groups).
  const stage = group.account === undefined ? watchedStage(deps.config, group) : undefined;
  const logGroups = [document.logGroup];
  const notes: string[] = [...groupNotes];
  let enriched = group;
  if (stage?.executionLogs && !parseExecutionLogGroup(document.logGroup)) {
    logGroups.push(executionLogGroupName(group.apiId, group.stage));
    if (evidence.lookups >= MAX_EVIDENCE_LOOKUPS) {
      notes.push(
        `Execution-log evidence is looked up for the ${MAX_EVIDENCE_LOOKUPS} most urgent groups of a batch; causes are ranked from the access log only.`,
      );
    } else {
      evidence.lookups += 1;
      try {
        const execution = await lookupExecutionEvidence(
          deps.logs,
          {
            apiId: group.apiId,
            stage: group.stage,
            requestIds: group.sampleRequestIds,
            start: group.firstSeen,
            end: group.lastSeen,
          },
          { timeoutMs: evidenceBudgetMs(deps.remainingMs?.()) },
        );
        if (execution) {
          const sampleAccess = { ...document, logEvents: evidence.accessLinesOf(group.sampleRequestIds) };
          const joined = classifyDocuments([sampleAccess, execution], {
            resolveStage: () => ({ apiId: group.apiId, stage: group.stage }),
          });
          const merged = mergeEvidence(group, groupFindings(joined.findings));
          enriched = merged.group;
          if (merged.otherCategories.length > 0) {
            notes.push(
              `Execution logs suggest ${merged.otherCategories.join(', ')} for some sample requests.`,
            );
          }
        }
      } catch (error) {
        // Evidence makes an alert better; its absence must not stop the alert.
        deps.log('warn', 'execution-log lookup failed', {
          error: error instanceof Error ? error.name : 'unknown',
        });
        notes.push('The execution-log lookup failed; causes are ranked from the access log only.');
      }
    }
  }
  return renderPublish(
    buildAlertView(enriched, {
      region: deps.config.region,
      account: document.owner,
      logGroups,
      alert,
      notes,
      ...actionOf(settings),
    }),
  );
}
