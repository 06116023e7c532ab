import { Logger } from '@aws-lambda-powertools/logger';
import type { SNSClient } from '@aws-sdk/client-sns';
import { snsClient } from './adapters/clients.js';
import { MonitorError } from './adapters/errors.js';
import { publishAlert } from './adapters/sns-publisher.js';
import { DIGEST_SERVICE_NAME, digestPeriod } from './core/digest-event.js';
import { MONITOR_ENV, SERVICE_NAME_ENV } from './core/monitor-contract.js';
import {
  type DigestGroupSummary,
  NOISE_POLICY_ENV,
  type NoisePolicy,
  parseNoisePolicy,
} from './core/noise-policy.js';
import { renderDigestPublish } from './core/render/digest.js';
import { buildDigestViews, type DigestPeriod } from './core/render/digest-view.js';

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
  const period = digestPeriod(event, now, deps.policy.digest.schedule);
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

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The digest function's environment: the monitor's names (lambda/core/monitor-contract.ts) for the
 * topic, the table and the noise policy; a bad value is not retried.
 */
export function digestConfig(env: Env = process.env): {
  topicArn: string;
  stateTableName: string;
  policy: NoisePolicy;
  region: string;
} {
  const required = (name: string) => {
    const value = env[name]?.trim();
    if (!value) throw new MonitorError(`configuration: ${name} is required`, false);
    return value;
  };
  let raw: unknown;
  try {
    raw = JSON.parse(env[NOISE_POLICY_ENV] ?? '{}');
  } catch {
    throw new MonitorError(`configuration: ${NOISE_POLICY_ENV} is not JSON`, false);
  }
  const parsed = parseNoisePolicy(raw);
  if (!parsed.ok)
    throw new MonitorError(`configuration: ${NOISE_POLICY_ENV}: ${parsed.problems.join('; ')}`, false);
  return {
    topicArn: required(MONITOR_ENV.topicArn),
    stateTableName: required(MONITOR_ENV.stateTableName),
    policy: parsed.policy,
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
  };
}

const logger = new Logger({ serviceName: process.env[SERVICE_NAME_ENV] ?? DIGEST_SERVICE_NAME });

/** The deployed function's source of summaries; set once the state store lists them (see createDigestHandler). */
export function createDigestHandler(
  source: (stateTableName: string) => DigestSource,
  now: () => number = Date.now,
) {
  return async (event: unknown): Promise<DigestRun> => {
    const config = digestConfig();
    return runDigest(
      {
        source: source(config.stateTableName),
        sns: snsClient(),
        topicArn: config.topicArn,
        policy: config.policy,
        region: config.region,
        now,
        log: (message, counts) => logger.info(message, counts),
      },
      event,
    );
  };
}
