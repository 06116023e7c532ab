import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoClient, logsClient, snsClient } from './adapters/clients.js';
import { watchedStagesLookup } from './adapters/discovery-store.js';
import { monitorConfig } from './adapters/env-config.js';
import { stdoutMetricSink } from './adapters/metrics-sink.js';
import { StateStore } from './adapters/state-store.js';
import { MONITOR_ENV, MONITOR_SERVICE_NAME } from './core/monitor-contract.js';
import { type InvocationSummary, type MonitorDeps, processSubscriptionEvent } from './monitor.js';

/**
 * The monitor Lambda built from the environment (docs/contracts.md). `overrides` lets `npm start` and
 * the integration tests capture the metric or pin the clock while every other part stays real.
 */
export function createHandler(
  overrides: Partial<MonitorDeps> = {},
): (event: unknown, context?: InvocationContext) => Promise<InvocationSummary> {
  let deps: MonitorDeps | undefined;
  return async (event, context) => {
    deps ??= environmentDeps(overrides);
    return processSubscriptionEvent(
      event,
      context ? { ...deps, remainingMs: () => context.getRemainingTimeInMillis() } : deps,
    );
  };
}

/** The part of the Lambda context the monitor uses: its remaining time bounds the work it starts. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** The real clients and settings, read once per cold start; also the Kinesis entry point's. */
export function environmentDeps(overrides: Partial<MonitorDeps>): MonitorDeps {
  const config = overrides.config ?? monitorConfig();
  const logger = new Logger({
    serviceName: process.env[MONITOR_ENV.serviceName] ?? MONITOR_SERVICE_NAME,
  });
  return {
    config,
    sns: snsClient(),
    logs: logsClient(),
    store: new StateStore(dynamoClient(), config.stateTableName),
    metrics: stdoutMetricSink,
    now: Date.now,
    log: (level, message, counts) => logger[level](message, counts),
    ...(config.accountWide
      ? {
          watchedStagesFor: watchedStagesLookup(
            dynamoClient(),
            config.stateTableName,
            config.watchedStages,
            overrides.now ?? Date.now,
          ),
        }
      : {}),
    ...overrides,
  };
}

/**
 * A CloudWatch Logs subscription event in, alerts and the EMF metric out. It throws only when a
 * delivery (SNS, the state table) failed, so Lambda retries the invocation and, after its retries,
 * sends the event to the on-failure destination.
 */
export const handler = createHandler();
