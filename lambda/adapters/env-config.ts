import { DEFAULT_METRIC_NAMESPACE } from '../core/render/emf.js';
import { MonitorError } from './errors.js';

export interface WatchedStage {
  readonly apiId: string;
  readonly stage: string;
  readonly accessLogGroup?: string;
  readonly executionLogs: boolean;
}

export interface MonitorConfig {
  readonly topicArn: string;
  readonly stateTableName: string;
  readonly cooldownMinutes: number;
  readonly metricNamespace: string;
  readonly watchedStages: readonly WatchedStage[];
  readonly minAlertCount: number;
  readonly region: string;
}

export interface ForwarderConfig {
  readonly webhookSecretArn: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const invalid = (message: string): MonitorError => new MonitorError(`configuration: ${message}`, false);

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw invalid(`${name} is required`);
  return value;
}

function positiveNumber(env: Env, name: string, fallback: number, { integer = false } = {}): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw invalid(
      `${name} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got "${raw}"`,
    );
  }
  return value;
}

function watchedStages(raw: string | undefined): WatchedStage[] {
  if (!raw?.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid('WATCHED_STAGES is not JSON');
  }
  if (!Array.isArray(parsed)) throw invalid('WATCHED_STAGES must be a JSON array');
  return parsed.map((entry: unknown, index) => {
    const item = (entry ?? {}) as Record<string, unknown>;
    if (typeof item.apiId !== 'string' || typeof item.stage !== 'string' || !item.apiId || !item.stage) {
      throw invalid(`WATCHED_STAGES[${index}] needs string apiId and stage`);
    }
    return {
      apiId: item.apiId,
      stage: item.stage,
      ...(typeof item.accessLogGroup === 'string' ? { accessLogGroup: item.accessLogGroup } : {}),
      executionLogs: item.executionLogs === true,
    };
  });
}

/** Reads the monitor's environment (docs/contracts.md); a bad value is a non-retryable error. */
export function monitorConfig(env: Env = process.env): MonitorConfig {
  return {
    topicArn: required(env, 'TOPIC_ARN'),
    stateTableName: required(env, 'STATE_TABLE_NAME'),
    cooldownMinutes: positiveNumber(env, 'COOLDOWN_MINUTES', 15),
    metricNamespace: env.METRIC_NAMESPACE?.trim() || DEFAULT_METRIC_NAMESPACE,
    watchedStages: watchedStages(env.WATCHED_STAGES),
    minAlertCount: Math.max(1, positiveNumber(env, 'MIN_ALERT_COUNT', 1, { integer: true })),
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
  };
}

export function forwarderConfig(env: Env = process.env): ForwarderConfig {
  return { webhookSecretArn: required(env, 'SLACK_WEBHOOK_SECRET_ARN') };
}
