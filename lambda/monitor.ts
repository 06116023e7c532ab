import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { MonitorConfig, WatchedStage } from './adapters/env-config.js';
import { MonitorError } from './adapters/errors.js';
import { lookupExecutionEvidence } from './adapters/evidence-lookup.js';
import type { MetricSink } from './adapters/metrics-sink.js';
import { publishAlert } from './adapters/sns-publisher.js';
import type { StateStore } from './adapters/state-store.js';
import {
  type AlertPlan,
  batchIdOf,
  confirmAlert,
  DEFAULT_IDEMPOTENCY_MS,
  type GroupKey,
  mergeEvidence,
  type PlanConfig,
  planGroupAlert,
  STATE_RETENTION_MS,
} from './core/alerts.js';
import {
  classifyDocuments,
  decodeSubscriptionEvent,
  executionLogGroupName,
  type Finding,
  type FindingGroup,
  groupFindings,
  type LogsDocument,
  parseExecutionLogGroup,
} from './core/index.js';
import {
  buildAlertView,
  countByGroup,
  forbiddenRequestDocuments,
  invalidPayloadDocument,
  type RenderedPublish,
  renderPublish,
} from './core/render/index.js';

/** What the monitor needs from the outside world; the Lambda entry point builds it from the env. */
export interface MonitorDeps {
  readonly config: MonitorConfig;
  readonly sns: SNSClient;
  readonly logs: CloudWatchLogsClient;
  readonly store: StateStore;
  readonly metrics: MetricSink;
  readonly now: () => number;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, counts: Record<string, unknown>) => void;
}

export interface AlertOutcome {
  readonly apiId: string;
  readonly stage: string;
  readonly category: string;
  readonly count: number;
  readonly action: AlertPlan['action'] | 'none';
  readonly why?: string;
  readonly rendered?: RenderedPublish;
  readonly messageId?: string;
}

export interface InvocationSummary {
  readonly kind: 'data' | 'control' | 'invalid' | 'evidence-only';
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
  const executionStage = parseExecutionLogGroup(document.logGroup);
  if (executionStage && watchedStage(config, executionStage)?.executionLogs) {
    // The stage's access log counts these requests; its execution lines are fetched as evidence.
    log('info', 'execution lines of a stage with access logs: evidence only', {
      events: document.logEvents.length,
    });
    return { kind: 'evidence-only', findings: 0, metricEmitted: false, outcomes: [] };
  }

  const resolveStage = (logGroup: string) => {
    const stage = config.watchedStages.find((entry) => entry.accessLogGroup === logGroup);
    return stage ? { apiId: stage.apiId, stage: stage.stage } : undefined;
  };
  const { findings, stats } = classifyDocuments([document], { resolveStage });
  const batchId = batchIdOf(document.logEvents.map((logEvent) => logEvent.id));
  const now = deps.now();
  log('info', 'classified a batch', { ...stats, findings: findings.length, batchId });
  if (findings.length === 0)
    return { kind: 'data', batchId, findings: 0, metricEmitted: false, outcomes: [] };

  const metricEmitted = await emitMetricOnce(findings, batchId, now, deps);
  const groups = groupFindings(findings);
  const settled = await Promise.allSettled(
    groups.map((group) => handleGroup(group, document, batchId, now, deps)),
  );
  const failures = settled.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  const outcomes = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  log(failures.length > 0 ? 'error' : 'info', 'alert groups processed', {
    groups: groups.length,
    alerted: outcomes.filter((outcome) => outcome.action === 'alert').length,
    suppressed: outcomes.filter((outcome) => outcome.action === 'suppress').length,
    failed: failures.length,
  });
  const [firstFailure] = failures;
  if (firstFailure) throw firstFailure.reason;
  return { kind: 'data', batchId, findings: findings.length, metricEmitted, outcomes };
}

function watchedStage(
  config: MonitorConfig,
  key: { apiId: string; stage: string },
): WatchedStage | undefined {
  return config.watchedStages.find((entry) => entry.apiId === key.apiId && entry.stage === key.stage);
}

/** A retried batch was already counted: its metric is written once, when the batch is first seen. */
async function emitMetricOnce(findings: readonly Finding[], batchId: string, now: number, deps: MonitorDeps) {
  const first = await deps.store.markBatch(batchId, now + DEFAULT_IDEMPOTENCY_MS);
  if (first)
    deps.metrics(forbiddenRequestDocuments(countByGroup(findings), deps.config.metricNamespace, now));
  return first;
}

async function handleGroup(
  group: FindingGroup,
  document: LogsDocument,
  batchId: string,
  now: number,
  deps: MonitorDeps,
): Promise<AlertOutcome> {
  const key: GroupKey = { apiId: group.apiId, stage: group.stage, category: group.category };
  const planConfig: PlanConfig = {
    cooldownMs: deps.config.cooldownMinutes * 60_000,
    minAlertCount: deps.config.minAlertCount,
    idempotencyMs: DEFAULT_IDEMPOTENCY_MS,
  };
  const base = { apiId: group.apiId, stage: group.stage, category: group.category, count: group.count };
  const expiresAt = now + STATE_RETENTION_MS;
  for (let attempt = 0; attempt < MAX_STATE_CONFLICTS; attempt += 1) {
    const state = await deps.store.read(key);
    const plan = planGroupAlert(state, { batchId, count: group.count, now }, planConfig);
    if (plan.action === 'skip') return { ...base, action: 'skip', why: plan.why };
    if (plan.action === 'suppress') {
      if (await deps.store.write(key, plan.next, state?.version ?? 0, expiresAt)) {
        return { ...base, action: 'suppress', why: plan.why };
      }
      continue;
    }
    // Claim before publishing: a concurrent invocation then sees the cooldown, and a retry of this
    // one finds its own pending claim and publishes again instead of losing the alert.
    if (!plan.resumed && !(await deps.store.write(key, plan.next, state?.version ?? 0, expiresAt))) continue;
    const rendered = await renderGroup(group, document, plan.alert, deps);
    const messageId = await publishAlert(deps.sns, deps.config.topicArn, rendered);
    await confirm(key, batchId, expiresAt, deps);
    return { ...base, action: 'alert', rendered, messageId, ...(plan.resumed ? { why: 'resumed' } : {}) };
  }
  throw new MonitorError(`cooldown state of ${key.apiId}/${key.stage}/${key.category} kept changing`, true);
}

async function confirm(key: GroupKey, batchId: string, expiresAt: number, deps: MonitorDeps): Promise<void> {
  for (let attempt = 0; attempt < MAX_STATE_CONFLICTS; attempt += 1) {
    const state = await deps.store.read(key);
    if (!state || state.pending?.batchId !== batchId) return;
    if (await deps.store.write(key, confirmAlert(state, batchId), state.version, expiresAt)) return;
  }
}

async function renderGroup(
  group: FindingGroup,
  document: LogsDocument,
  alert: Parameters<typeof buildAlertView>[1]['alert'],
  deps: MonitorDeps,
): Promise<RenderedPublish> {
  const stage = watchedStage(deps.config, group);
  const logGroups = [document.logGroup];
  const notes: string[] = [];
  let enriched = group;
  if (stage?.executionLogs && !parseExecutionLogGroup(document.logGroup)) {
    logGroups.push(executionLogGroupName(group.apiId, group.stage));
    try {
      const evidence = await lookupExecutionEvidence(deps.logs, {
        apiId: group.apiId,
        stage: group.stage,
        requestIds: group.sampleRequestIds,
        start: group.firstSeen,
        end: group.lastSeen,
      });
      if (evidence) {
        const sampleAccess = {
          ...document,
          logEvents: document.logEvents.filter((logEvent) =>
            group.sampleRequestIds.some((id) => logEvent.message.includes(id)),
          ),
        };
        const joined = classifyDocuments([sampleAccess, evidence], {
          resolveStage: () => ({ apiId: group.apiId, stage: group.stage }),
        });
        const merged = mergeEvidence(group, groupFindings(joined.findings));
        enriched = merged.group;
        if (merged.otherCategories.length > 0) {
          notes.push(`Execution logs suggest ${merged.otherCategories.join(', ')} for some sample requests.`);
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
  return renderPublish(buildAlertView(enriched, { region: deps.config.region, logGroups, alert, notes }));
}
