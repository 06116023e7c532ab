import { Logger } from '@aws-lambda-powertools/logger';
import type { SNSClient } from '@aws-sdk/client-sns';
import { dynamoClient, snsClient } from './adapters/clients.js';
import { type MonitorConfig, monitorConfig } from './adapters/env-config.js';
import { publishAlert } from './adapters/sns-publisher.js';
import { StateStore } from './adapters/state-store.js';
import {
  DIGEST_SERVICE_NAME,
  digestPeriod,
  isDigestEvent,
  refusesScheduledTime,
} from './core/digest-event.js';
import { SERVICE_NAME_ENV } from './core/monitor-contract.js';
import type { DigestGroupSummary, NoisePolicy } from './core/noise-policy.js';
import { renderDigestPublish } from './core/render/digest.js';
import { buildDigestViews, type DigestLine, type DigestPeriod } from './core/render/digest-view.js';
import { createHandler, type InvocationContext } from './handler.js';

/**
 * The digest function: on its schedule (EventBridge Scheduler, `digestSchedule` of the noise policy),
 * one digest per stage of the period's group summaries, published to the alert topic with `kind` =
 * digest so routes can send digests apart from alerts.
 */

/** Where the group summaries come from: the monitor's state table (StateStore.listDigestSummaries). */
export interface DigestSource {
  listDigestSummaries(
    period: DigestPeriod,
    policy: NoisePolicy,
    now: number,
  ): Promise<{ readonly summaries: readonly DigestGroupSummary[]; readonly truncated: boolean }>;
}

export interface DigestDeps {
  readonly source: DigestSource;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly policy: NoisePolicy;
  readonly region: string;
  /** The clock: the simulated day passes its own. */
  readonly now: () => number;
  readonly log?: (message: string, counts: Record<string, unknown>) => void;
}

export interface DigestRun {
  readonly period: DigestPeriod;
  readonly digests: readonly {
    readonly apiId: string;
    readonly stage: string;
    readonly total: number;
    readonly mutedTotal: number;
    /** The digest's lines, one per group (category) of the stage. */
    readonly categories: readonly DigestLine[];
    readonly messageId: string;
  }[];
}

/**
 * One run: reads the summaries, publishes one digest per stage, all attempted; then throws the first
 * failure, so Lambda retries the run (a retry covers the same hours and may send a stage's digest
 * twice, never none) and the failure queue keeps it after the last retry.
 */
export async function runDigest(deps: DigestDeps, event: unknown = {}): Promise<DigestRun> {
  const now = deps.now();
  const period = digestPeriod(event, now, deps.policy.digest);
  // Scheduler writes a `scheduledTime` a view can state; any other (a hand-made event) is counted.
  if (refusesScheduledTime(event))
    deps.log?.('ignored a scheduledTime a digest cannot state', { refusedScheduledTime: 1 });
  // A run in the hour of the one before (a rate() under an hour) covers no hour: nothing to publish.
  if (period.end <= period.start) return { period, digests: [] };
  const { summaries, truncated } = await deps.source.listDigestSummaries(period, deps.policy, now);
  const views = buildDigestViews(summaries, {
    region: deps.region,
    period,
    ...(truncated ? { truncated } : {}),
  });
  const settled = await Promise.allSettled(
    views.map(async (view) => ({
      apiId: view.apiId,
      stage: view.stage,
      total: view.total,
      mutedTotal: view.mutedTotal,
      categories: view.categories,
      messageId: await publishAlert(deps.sns, deps.topicArn, renderDigestPublish(view)),
    })),
  );
  const digests = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = settled.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  deps.log?.('published the digests', {
    stages: views.length,
    published: digests.length,
    failed: failed.length,
    groups: summaries.length,
    truncated,
  });
  if (failed[0]) throw failed[0].reason;
  return { period, digests };
}

const logger = new Logger({ serviceName: process.env[SERVICE_NAME_ENV] ?? DIGEST_SERVICE_NAME });

/**
 * The digest's parts as deployed: the monitor's state table, its topic and its policy, from the
 * monitor's environment. `npm start` passes its simulated clock; the function passes the real one.
 */
export function digestDeps(config: MonitorConfig, now: () => number, log?: DigestDeps['log']): DigestDeps {
  return {
    source: new StateStore(dynamoClient(), config.stateTableName),
    sns: snsClient(),
    topicArn: config.topicArn,
    policy: config.noisePolicy,
    region: config.region,
    now,
    ...(log ? { log } : {}),
  };
}

/** The digest run of the deployed function: the monitor's environment, its state table, the real clock. */
const scheduledDigest = (event: unknown): Promise<DigestRun> =>
  runDigest(
    digestDeps(monitorConfig(), Date.now, (message, counts) => logger.info(message, counts)),
    event,
  );

/** The sweep is the monitor's own (`runSweep`): the monitor's handler, with no log group watched. */
const sweep = createHandler();

/**
 * The scheduled work: the digest schedule's event (DIGEST_EVENT) runs the digest, the sweep
 * schedule's (SWEEP_EVENT) resolves quiet groups. One function for both, so the central monitor
 * (a Kinesis consumer) needs no second entry point and the monitor's role stays as it was.
 */
export const handler = async (event: unknown, context?: InvocationContext): Promise<unknown> =>
  isDigestEvent(event) ? scheduledDigest(event) : sweep(event, context);
