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
  type AlertPlan,
  applyPlan,
  batchIdOf,
  DEFAULT_IDEMPOTENCY_MS,
  encodeProgress,
  eventsByRequestId,
  finishedGroups,
  type GroupKey,
  groupsDigest,
  isLive,
  mergeEvidence,
  orderGroups,
  type PendingAlert,
  type PlanConfig,
  planGroupAlert,
  STATE_RETENTION_MS,
  suppressReason,
  ttlSeconds,
  writeGuard,
} from './core/alerts.js';
import {
  classifyDocuments,
  classifyIntoGroups,
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
import { wellFormedDeep } from './core/well-formed.js';

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
  /** The invocation's remaining time (the Lambda context's); it bounds the groups one invocation handles. */
  readonly remainingMs?: () => number;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, counts: Record<string, unknown>) => void;
}

export interface AlertOutcome {
  readonly apiId: string;
  readonly stage: string;
  readonly category: string;
  readonly count: number;
  readonly action: AlertPlan['action'] | 'skip' | 'none';
  readonly why?: string;
  readonly rendered?: RenderedPublish;
  readonly messageId?: string;
}

export interface InvocationSummary {
  readonly kind: 'data' | 'control' | 'invalid' | 'unwatched' | 'evidence-only';
  readonly batchId?: string;
  readonly findings: number;
  readonly metricEmitted: boolean;
  readonly outcomes: readonly AlertOutcome[];
}

/** A claim raced with another invocation this many times in a row: give up and let Lambda retry. */
const MAX_STATE_CONFLICTS = 5;

export async function processSubscriptionEvent(
  event: unknown,
  deps: MonitorDeps,
): Promise<InvocationSummary> {
  const { config, log } = deps;
  const decoded = decodeSubscriptionEvent(event);
  if (decoded.kind === 'control') return { kind: 'control', findings: 0, metricEmitted: false, outcomes: [] };
  if (decoded.kind === 'invalid') {
    log('warn', 'dropped an invalid subscription payload', { reason: decoded.reason });
    deps.metrics([invalidPayloadDocument(config.metricNamespace, deps.now())]);
    return { kind: 'invalid', findings: 0, metricEmitted: true, outcomes: [] };
  }
  const document = decoded.document;
  const watch = watchOf(config, document.logGroup, deps.anyLogGroup === true);
  if (watch.kind === 'unwatched') {
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

  const only = watch.stages?.length === 1 ? watch.stages[0] : undefined;
  // Folded into groups as classified: no finding per request is kept, and only what a group keeps
  // is redacted (the groups are those of groupFindings over the attributed findings).
  const classified = classifyIntoGroups([document], {
    resolveStage: () => (only ? { apiId: only.apiId, stage: only.stage } : undefined),
    keep: attributor(watch.stages),
  });
  const { findings, dropped: foreign } = classified;
  const batchId = batchIdOf(document.logEvents.map((logEvent) => logEvent.id));
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

  return alertBatch(classified, document, batchId, now, deps);
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
 * line is made well-formed here, before any of it reaches a key, a link or a request.
 */
function attributor(stages: readonly WatchedStage[] | undefined): (finding: Finding) => Finding | undefined {
  if (!stages) return wellFormedDeep;
  const [only] = stages;
  return (finding) => {
    if (only && stages.length === 1) {
      const own = finding.apiId === only.apiId && finding.stage === only.stage;
      return wellFormedDeep(own ? finding : { ...finding, apiId: only.apiId, stage: only.stage });
    }
    return stages.some((entry) => entry.apiId === finding.apiId && entry.stage === finding.stage)
      ? wellFormedDeep(finding)
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
  classified: Pick<GroupedBatchResult, 'groups' | 'findings'>,
  document: LogsDocument,
  batchId: string,
  now: number,
  deps: MonitorDeps,
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
        classified.groups.map(({ apiId, stage, category, count }) => ({ apiId, stage, category, count })),
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
        const outcome = await handleGroup(group, document, batchId, now, evidence, deps);
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
  const outcomes = [
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
    resumed: claim.kind === 'resume',
  };
  if (failures.length === 0 && run.notStarted === 0) {
    if (!(await store.finishBatch(batchId, owner, now)))
      log('warn', 'the batch lease ran out before it was finished', counts);
    log('info', 'alert groups processed', counts);
    return { kind: 'data', batchId, findings, metricEmitted, outcomes };
  }
  await store
    .releaseBatch(batchId, owner, encodeProgress(digest, finished, groups.length))
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

function outcomeBase(group: FindingGroup) {
  return { apiId: group.apiId, stage: group.stage, category: group.category, count: group.count };
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

async function handleGroup(
  group: FindingGroup,
  document: LogsDocument,
  batchId: string,
  now: number,
  evidence: EvidenceContext,
  deps: MonitorDeps,
): Promise<AlertOutcome> {
  const { store } = deps;
  const key: GroupKey = { apiId: group.apiId, stage: group.stage, category: group.category };
  const planConfig: PlanConfig = {
    cooldownMs: deps.config.cooldownMinutes * 60_000,
    minAlertCount: deps.config.minAlertCount,
    idempotencyMs: DEFAULT_IDEMPOTENCY_MS,
  };
  const input = { batchId, count: group.count, now };
  const guard = writeGuard(input, planConfig);
  const expiresAt = ttlSeconds(now, STATE_RETENTION_MS);
  const base = outcomeBase(group);
  const publish = async (alert: PendingAlert, resumed: boolean): Promise<AlertOutcome> => {
    const rendered = await renderGroup(group, document, alert, evidence, deps);
    const messageId = await publishAlert(deps.sns, deps.config.topicArn, rendered);
    return { ...base, action: 'alert', rendered, messageId, ...(resumed ? { why: 'resumed' } : {}) };
  };
  // What this container last saw only chooses the first write (one request when it is right); every
  // decision that counts is made on the state a write returned.
  let state = store.recall(key);
  let verified = false;
  for (let attempt = 0; attempt < MAX_STATE_CONFLICTS; attempt += 1) {
    const plan = planGroupAlert(state, input, planConfig);
    if (verified && plan.action === 'alert' && plan.resumed) return publish(plan.alert, true);
    const result =
      verified && state && !isLive(state, now)
        ? await store.replace(key, applyPlan(state, plan, input, STATE_RETENTION_MS), state.version)
        : plan.action === 'suppress'
          ? await store.suppress(key, guard, expiresAt)
          : await store.claim(key, guard, expiresAt);
    if (result.applied && result.state) {
      if (result.state.pending?.batchId === batchId && result.state.lastAlertAt === now) {
        return publish(result.state.pending, false);
      }
      return { ...base, action: 'suppress', why: suppressReason(result.state, guard) };
    }
    state = result.state;
    verified = true;
  }
  throw new MonitorError(`cooldown state of ${key.apiId}/${key.stage}/${key.category} kept changing`, true);
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
  group: FindingGroup,
  document: LogsDocument,
  alert: Parameters<typeof buildAlertView>[1]['alert'],
  evidence: EvidenceContext,
  deps: MonitorDeps,
): Promise<RenderedPublish> {
  const stage = watchedStage(deps.config, group);
  const logGroups = [document.logGroup];
  const notes: string[] = [];
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
    }),
  );
}
