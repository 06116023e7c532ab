import { MONITOR_ENV, parseWatchedStages, type WatchedStageEntry } from '../core/monitor-contract.js';
import { type NoisePolicy, parseNoisePolicy } from '../core/noise-policy.js';
import { DEFAULT_METRIC_NAMESPACE } from '../core/render/emf.js';
import { type Env, invalid, required } from './env-read.js';

/** One stage the monitor watches, as the writer put it into `WATCHED_STAGES` (monitor-contract.ts). */
export type WatchedStage = WatchedStageEntry;

export interface MonitorConfig {
  readonly topicArn: string;
  readonly stateTableName: string;
  readonly metricNamespace: string;
  readonly watchedStages: readonly WatchedStage[];
  /** NOISE_POLICY (JSON, the `noisePolicy` context/prop), defaults filled in. */
  readonly noisePolicy: NoisePolicy;
  readonly region: string;
  /** Account-wide mode: the discovered stages are watched too (lambda/adapters/discovery-store.ts). */
  readonly accountWide?: boolean;
}

function watchedStages(raw: string | undefined): WatchedStage[] {
  const result = parseWatchedStages(raw);
  if (!result.ok) throw invalid(result.problem);
  return result.stages;
}

/**
 * The noise policy; absent or empty is the default policy. COOLDOWN_MINUTES and MIN_ALERT_COUNT (the
 * cooldown-only monitor's settings) are no longer read: windowed rates and `realertMinutes` replace them.
 */
function noisePolicy(raw: string | undefined): NoisePolicy {
  let input: unknown;
  try {
    input = raw?.trim() ? JSON.parse(raw) : undefined;
  } catch {
    throw invalid(`${MONITOR_ENV.noisePolicy} is not JSON`);
  }
  const result = parseNoisePolicy(input);
  if (!result.ok) throw invalid(`${MONITOR_ENV.noisePolicy}: ${result.problems.join('; ')}`);
  return result.policy;
}

/** Reads the monitor's environment (docs/contracts.md); a bad value is a non-retryable error. */
export function monitorConfig(env: Env = process.env): MonitorConfig {
  return {
    topicArn: required(env, MONITOR_ENV.topicArn),
    stateTableName: required(env, MONITOR_ENV.stateTableName),
    metricNamespace: env[MONITOR_ENV.metricNamespace]?.trim() || DEFAULT_METRIC_NAMESPACE,
    watchedStages: watchedStages(env[MONITOR_ENV.watchedStages]),
    noisePolicy: noisePolicy(env[MONITOR_ENV.noisePolicy]),
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
    ...(env[MONITOR_ENV.accountWide]?.trim() === 'true' ? { accountWide: true } : {}),
  };
}
