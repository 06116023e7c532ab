import {
  FORWARDER_ENV,
  MONITOR_ENV,
  parseWatchedStages,
  type WatchedStageEntry,
} from '../core/monitor-contract.js';
import { DEFAULT_METRIC_NAMESPACE } from '../core/render/emf.js';
import { MonitorError } from './errors.js';

/** One stage the monitor watches, as the writer put it into `WATCHED_STAGES` (monitor-contract.ts). */
export type WatchedStage = WatchedStageEntry;

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
  const result = parseWatchedStages(raw);
  if (!result.ok) throw invalid(result.problem);
  return result.stages;
}

/** Reads the monitor's environment (docs/contracts.md); a bad value is a non-retryable error. */
export function monitorConfig(env: Env = process.env): MonitorConfig {
  return {
    topicArn: required(env, MONITOR_ENV.topicArn),
    stateTableName: required(env, MONITOR_ENV.stateTableName),
    cooldownMinutes: positiveNumber(env, MONITOR_ENV.cooldownMinutes, 15),
    metricNamespace: env[MONITOR_ENV.metricNamespace]?.trim() || DEFAULT_METRIC_NAMESPACE,
    watchedStages: watchedStages(env[MONITOR_ENV.watchedStages]),
    minAlertCount: Math.max(1, positiveNumber(env, MONITOR_ENV.minAlertCount, 1, { integer: true })),
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
  };
}

export function forwarderConfig(env: Env = process.env): ForwarderConfig {
  return { webhookSecretArn: required(env, FORWARDER_ENV.webhookSecretArn) };
}
