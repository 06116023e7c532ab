import { MonitorError } from './adapters/errors.js';
import { isAccountId, SOURCE_ACCOUNTS_ENV } from './core/kinesis-records.js';
import { environmentDeps, type InvocationContext } from './handler.js';
import {
  type KinesisBatchResponse,
  type KinesisBatchSummary,
  type KinesisMonitorDeps,
  processKinesisBatch,
} from './kinesis.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `SOURCE_ACCOUNTS`: a JSON list of 12-digit account ids, or unset for an organisation-wide
 * destination. A bad value is a configuration error that no retry fixes.
 */
export function sourceAccountsFromEnv(env: Env = process.env): readonly string[] | undefined {
  const raw = env[SOURCE_ACCOUNTS_ENV]?.trim();
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every(isAccountId)) {
    throw new MonitorError(
      `configuration: ${SOURCE_ACCOUNTS_ENV} must be a non-empty JSON list of 12-digit account ids`,
      false,
    );
  }
  return parsed;
}

/**
 * The central monitor: the same pipeline as `handler.ts`, fed by an event source mapping on the
 * Kinesis stream behind the CloudWatch Logs destination. `overrides` serves `npm start` and the tests.
 */
export function createKinesisHandler(
  overrides: Partial<KinesisMonitorDeps> = {},
): (event: unknown, context?: InvocationContext) => Promise<KinesisBatchSummary> {
  let deps: KinesisMonitorDeps | undefined;
  return async (event, context) => {
    if (!deps) {
      const sourceAccounts = overrides.sourceAccounts ?? sourceAccountsFromEnv();
      // The source-account stacks chose the log groups; the listed accounts gate them.
      deps = {
        anyLogGroup: true,
        ...environmentDeps(overrides),
        ...(sourceAccounts ? { sourceAccounts } : {}),
      };
    }
    // Every record's groups share the invocation's time: a record started late is left for the retry.
    return processKinesisBatch(
      event,
      context ? { ...deps, remainingMs: () => context.getRemainingTimeInMillis() } : deps,
    );
  };
}

const process403Batch = createKinesisHandler();

/** Returns only the partial batch response, the one shape the event source mapping reads. */
export const handler = async (event: unknown, context?: InvocationContext): Promise<KinesisBatchResponse> => {
  const { batchItemFailures } = await process403Batch(event, context);
  return { batchItemFailures };
};
