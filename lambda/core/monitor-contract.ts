/**
 * The functions' environment, defined once: the construct (lib/), `npm start`, the benchmarks and the
 * tests write it with `monitorEnvironment` / `forwarderEnvironment`, and lambda/adapters/env-config.ts
 * reads it with the same names and `parseWatchedStages`. A name written on one side only cannot
 * compile. Pure, so lib imports it without loading the Lambda code. Metric names live in
 * render/emf.ts, the state table's key and TTL names in state-table.ts.
 */
import { SOURCE_ACCOUNTS_ENV } from './kinesis-records.js';
import { NOISE_POLICY_ENV } from './noise-policy-names.js';

/** Powertools' own variable; the functions pass it to their logger with a default of their own. */
export const SERVICE_NAME_ENV = 'POWERTOOLS_SERVICE_NAME';
export const MONITOR_SERVICE_NAME = 'apigw-403-monitor';
export const FORWARDER_SERVICE_NAME = 'apigw-403-slack-forwarder';

/** The monitor function's environment variables (docs/contracts.md). */
export const MONITOR_ENV = {
  topicArn: 'TOPIC_ARN',
  stateTableName: 'STATE_TABLE_NAME',
  metricNamespace: 'METRIC_NAMESPACE',
  watchedStages: 'WATCHED_STAGES',
  noisePolicy: NOISE_POLICY_ENV,
  sourceAccounts: SOURCE_ACCOUNTS_ENV,
  serviceName: SERVICE_NAME_ENV,
  /** `true`: account-wide mode, the discovered stages are watched too (discovery.ts). */
  accountWide: 'ACCOUNT_WIDE',
} as const;

/**
 * How long the monitor's failure queue keeps an event its retries could not deliver (the construct's
 * queue), and so how long a batch that failed stays resumable for `apigw403 replay` (lifecycle.ts).
 */
export const FAILURE_QUEUE_RETENTION_DAYS = 14;

export const DISCOVERY_SERVICE_NAME = 'apigw-403-monitor-discovery';

/** The discovery function's environment (account-wide mode, lambda/discovery-handler.ts; lib/account-wide.ts writes it). */
export const DISCOVERY_ENV = {
  stateTable: MONITOR_ENV.stateTableName,
  monitorArn: 'MONITOR_FUNCTION_ARN',
  filterNamePrefix: 'FILTER_NAME_PREFIX',
  excludeApiIds: 'EXCLUDE_API_IDS',
  serviceName: SERVICE_NAME_ENV,
} as const;

/** The Slack forwarder's environment variables. */
export const FORWARDER_ENV = {
  /** The ARN of the secret holding the webhook URL (never the URL itself). */
  webhookSecretArn: 'SLACK_WEBHOOK_SECRET_ARN',
  serviceName: SERVICE_NAME_ENV,
} as const;

/** One entry of `WATCHED_STAGES` (a JSON array): a stage and the log groups it is watched through. */
export interface WatchedStageEntry {
  readonly apiId: string;
  readonly stage: string;
  /** Lines from this group count for the stage; without one, only its execution logs do. */
  readonly accessLogGroup?: string;
  readonly executionLogs: boolean;
}

/** What a writer gives for one stage; `executionLogs` defaults to false, as the parser reads it. */
export type WatchedStageInput = Omit<WatchedStageEntry, 'executionLogs'> & {
  readonly executionLogs?: boolean;
};

/** The entry of one stage, with exactly the keys `parseWatchedStages` reads. Values may be CDK tokens. */
export function watchedStageEntry(stage: WatchedStageInput): WatchedStageEntry {
  return {
    apiId: stage.apiId,
    stage: stage.stage,
    ...(stage.accessLogGroup === undefined ? {} : { accessLogGroup: stage.accessLogGroup }),
    executionLogs: stage.executionLogs ?? false,
  };
}

/** The monitor's settings as a writer gives them; what is left out is left unset (the reader's default). */
export interface MonitorEnvironmentValues {
  readonly topicArn?: string;
  readonly stateTableName?: string;
  readonly metricNamespace?: string;
  readonly watchedStages?: readonly WatchedStageInput[];
  /** Already serialised: the policy's JSON (noise-policy.ts). */
  readonly noisePolicy?: string;
  readonly sourceAccounts?: readonly string[];
  readonly serviceName?: string;
  readonly accountWide?: boolean;
}

/**
 * JSON serialiser for the values that are lists; the construct passes `Stack.toJsonString` so that
 * CDK tokens inside them resolve at deploy time.
 */
export type ToJson = (value: unknown) => string;

function written<K extends string>(
  names: Readonly<Record<K, string>>,
  values: Partial<Record<K, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of Object.keys(names) as K[]) {
    const value = values[key];
    if (value !== undefined) env[names[key]] = value;
  }
  return env;
}

/** The monitor's environment variables for `values`, keyed by the names `monitorConfig` reads. */
export function monitorEnvironment(
  values: MonitorEnvironmentValues,
  toJson: ToJson = JSON.stringify,
): Record<string, string> {
  const serialised: Partial<Record<keyof typeof MONITOR_ENV, string>> = {
    topicArn: values.topicArn,
    stateTableName: values.stateTableName,
    metricNamespace: values.metricNamespace,
    watchedStages: values.watchedStages && toJson(values.watchedStages.map(watchedStageEntry)),
    noisePolicy: values.noisePolicy,
    sourceAccounts: values.sourceAccounts && toJson(values.sourceAccounts),
    serviceName: values.serviceName,
    accountWide: values.accountWide ? 'true' : undefined,
  };
  return written(MONITOR_ENV, serialised);
}

/** The Slack forwarder's environment variables. */
export function forwarderEnvironment(values: {
  readonly webhookSecretArn?: string;
  readonly serviceName?: string;
}): Record<string, string> {
  return written(FORWARDER_ENV, values);
}

export type WatchedStagesResult =
  | { readonly ok: true; readonly stages: WatchedStageEntry[] }
  | { readonly ok: false; readonly problem: string };

/** Reads `WATCHED_STAGES`; empty or unset is no stage. A problem names the entry that is wrong. */
export function parseWatchedStages(raw: string | undefined): WatchedStagesResult {
  const name = MONITOR_ENV.watchedStages;
  if (!raw?.trim()) return { ok: true, stages: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, problem: `${name} is not JSON` };
  }
  if (!Array.isArray(parsed)) return { ok: false, problem: `${name} must be a JSON array` };
  const stages: WatchedStageEntry[] = [];
  for (const [index, entry] of parsed.entries()) {
    const item = (entry ?? {}) as Record<string, unknown>;
    if (typeof item.apiId !== 'string' || typeof item.stage !== 'string' || !item.apiId || !item.stage) {
      return { ok: false, problem: `${name}[${index}] needs string apiId and stage` };
    }
    stages.push(
      watchedStageEntry({
        apiId: item.apiId,
        stage: item.stage,
        ...(typeof item.accessLogGroup === 'string' ? { accessLogGroup: item.accessLogGroup } : {}),
        executionLogs: item.executionLogs === true,
      }),
    );
  }
  return { ok: true, stages };
}
