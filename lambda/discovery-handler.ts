/**
 * The discovery function of account-wide mode. On its schedule and on every API Gateway stage change
 * (an EventBridge rule on CloudTrail's "AWS API Call via CloudTrail" events), it lists every stage of
 * the account and region, stores which log group belongs to which API and stage where the monitor
 * reads it (one state-table item), and keeps one subscription filter of its own on each of those groups.
 * Every trigger runs the same whole sweep: the event only says that something changed.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { apiGatewayClient, apiGatewayV2Client, dynamoClient, logsClient } from './adapters/clients.js';
import { applySubscriptionPlan, describeAllStages, describeFilters } from './adapters/discovery-api.js';
import { readSubscribedGroups, updateSubscribedGroups, writeMapping } from './adapters/discovery-store.js';
import { MonitorError } from './adapters/errors.js';
import {
  DEFAULT_FILTER_NAME_PREFIX,
  type DiscoveryMapping,
  desiredFilters,
  discoveredStages,
  planSubscriptions,
} from './core/discovery.js';
import { DISCOVERY_ENV, DISCOVERY_SERVICE_NAME } from './core/monitor-contract.js';

export interface DiscoveryConfig {
  readonly stateTableName: string;
  readonly monitorArn: string;
  readonly filterNamePrefix: string;
  readonly excludeApiIds: ReadonlySet<string>;
}

type Env = Readonly<Record<string, string | undefined>>;

export function discoveryConfig(env: Env = process.env): DiscoveryConfig {
  const required = (name: string) => {
    const value = env[name]?.trim();
    if (!value) throw new MonitorError(`configuration: ${name} is required`, false);
    return value;
  };
  let exclude: unknown = [];
  try {
    exclude = JSON.parse(env[DISCOVERY_ENV.excludeApiIds]?.trim() || '[]');
  } catch {
    throw new MonitorError(`configuration: ${DISCOVERY_ENV.excludeApiIds} is not JSON`, false);
  }
  if (!Array.isArray(exclude) || exclude.some((id) => typeof id !== 'string'))
    throw new MonitorError(
      `configuration: ${DISCOVERY_ENV.excludeApiIds} must be a JSON array of API ids`,
      false,
    );
  return {
    stateTableName: required(DISCOVERY_ENV.stateTable),
    monitorArn: required(DISCOVERY_ENV.monitorArn),
    filterNamePrefix: env[DISCOVERY_ENV.filterNamePrefix]?.trim() || DEFAULT_FILTER_NAME_PREFIX,
    excludeApiIds: new Set(exclude as string[]),
  };
}

export interface SweepSummary {
  readonly stages: number;
  readonly groups: number;
  readonly created: number;
  readonly removed: number;
  /** Groups not subscribed because their two filters belong to someone else. */
  readonly full: readonly string[];
  readonly missing: readonly string[];
  /** False when a sweep that started later had already stored its mapping. */
  readonly stored: boolean;
}

export interface DiscoveryDeps {
  readonly config: DiscoveryConfig;
  readonly now: () => number;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, details: Record<string, unknown>) => void;
}

/**
 * One sweep: list the stages, store the mapping (unless a later sweep stored one first: then this one,
 * whose listing is older, changes no filter either), then create, update and remove this monitor's
 * filters. The subscribed-group set grows before a filter is created and shrinks after one is removed,
 * so a sweep that fails halfway leaves no filter the next one cannot find. A throttled or failed call
 * fails the invocation (Lambda retries it); the next trigger repairs whatever is left.
 */
export async function sweep(deps: DiscoveryDeps): Promise<SweepSummary> {
  const { config } = deps;
  const table = config.stateTableName;
  const startedAt = deps.now();
  const described = await describeAllStages(apiGatewayClient(), apiGatewayV2Client());
  const stages = discoveredStages(described, config.excludeApiIds);
  const desired = desiredFilters(described, stages);
  const known = await readSubscribedGroups(dynamoClient(), table);
  const plan = planSubscriptions({
    desired,
    described: await describeFilters(logsClient(), [...new Set([...desired.keys(), ...known])]),
    destinationArn: config.monitorArn,
    filterNamePrefix: config.filterNamePrefix,
  });
  const mapping: DiscoveryMapping = { version: 1, generatedAt: startedAt, stages };
  const stored = await writeMapping(dynamoClient(), table, mapping);
  if (stored) {
    await updateSubscribedGroups(dynamoClient(), table, 'ADD', plan.subscribed);
    await applySubscriptionPlan(logsClient(), plan, config.monitorArn);
    await updateSubscribedGroups(dynamoClient(), table, 'DELETE', plan.released);
  }
  const summary: SweepSummary = {
    stages: stages.length,
    groups: desired.size,
    created: stored ? plan.put.length : 0,
    removed: stored ? plan.remove.length : 0,
    full: plan.full.map((entry) => entry.logGroup),
    missing: plan.missing,
    stored,
  };
  for (const entry of plan.full) {
    deps.log('warn', 'log group not subscribed: its two subscription filters belong to someone else', {
      logGroup: entry.logGroup,
      filters: entry.filters,
    });
  }
  deps.log('info', 'discovery sweep', { ...summary });
  return summary;
}

let logger: Logger | undefined;

/** The Lambda entry point: any event (schedule or stage change) runs one sweep. */
export async function handler(): Promise<SweepSummary> {
  logger ??= new Logger({
    serviceName: process.env[DISCOVERY_ENV.serviceName] ?? DISCOVERY_SERVICE_NAME,
  });
  const log = logger;
  return sweep({
    config: discoveryConfig(),
    now: Date.now,
    log: (level, message, details) => log[level](message, details),
  });
}
