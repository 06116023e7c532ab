import type { Category } from '../categories.js';

/**
 * CloudWatch embedded metric format documents. EMF takes dimension *values* from the document's root,
 * so one document carries one (ApiId, Stage, Category) combination; Powertools' `singleMetric()` would
 * do the same with more ceremony, so the monitor writes the documents itself.
 */

/** The namespace when the stack sets none; the stack's dashboard and alarms read the same constants. */
export const DEFAULT_METRIC_NAMESPACE = 'Apigw403Monitor';
/** One data point per classified 403 (unit Count), dimensions `ApiId`, `Stage`, `Category`. */
export const METRIC_NAME = 'Forbidden403Requests';
/** Subscription payloads the monitor could not decode (no dimensions). */
export const INVALID_PAYLOADS_METRIC = 'ClassifierInvalidPayloads';

export interface MetricCount {
  /** The group's source account (the central monitor's groups): its stage series is the account's own. */
  readonly account?: string;
  readonly apiId: string;
  readonly stage: string;
  readonly category: Category;
  readonly count: number;
}

const BY_STAGE = ['ApiId', 'Stage', 'Category'];
const BY_ACCOUNT = ['Account', 'Category'];
const BY_ACCOUNT_STAGE = ['Account', 'ApiId', 'Stage', 'Category'];

/**
 * With `account` (the subscription document's owner), each document also counts under (Account,
 * Category), while the (ApiId, Stage, Category) series that alarms and the dashboard use stay as they
 * are. An entry scoped to an account (the central monitor's groups) counts under (Account, ApiId,
 * Stage, Category) instead of (ApiId, Stage, Category): one account's lines naming another account's
 * API never add to that account's series.
 */
export function forbiddenRequestDocuments(
  counts: readonly MetricCount[],
  namespace: string,
  timestamp: number,
  account?: string,
): Record<string, unknown>[] {
  return counts.map((entry) => {
    const owner = entry.account ?? account;
    const byStage = entry.account === undefined ? BY_STAGE : BY_ACCOUNT_STAGE;
    return {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: owner === undefined ? [byStage] : [byStage, BY_ACCOUNT],
            Metrics: [{ Name: METRIC_NAME, Unit: 'Count' }],
          },
        ],
      },
      ApiId: entry.apiId,
      Stage: entry.stage,
      Category: entry.category,
      ...(owner === undefined ? {} : { Account: owner }),
      [METRIC_NAME]: entry.count,
    };
  });
}

/** Subscription documents a central monitor dropped because their owner is not a listed source account. */
export const UNLISTED_ACCOUNT_METRIC = 'DroppedUnlistedAccountDocuments';

/** Subscription documents dropped because their log group is not a configured one. */
export const UNWATCHED_GROUP_METRIC = 'DroppedUnwatchedGroupDocuments';
/** Lines of a group shared by stages that named an API or stage not configured with the group. */
export const FOREIGN_LINES_METRIC = 'DroppedForeignStageLines';
/** Log events of a batch left out because they were not `{id, timestamp, message}`. */
export const SKIPPED_EVENTS_METRIC = 'ClassifierSkippedEvents';

export function invalidPayloadDocument(
  namespace: string,
  timestamp: number,
  count = 1,
): Record<string, unknown> {
  return countDocument(INVALID_PAYLOADS_METRIC, namespace, timestamp, count);
}

/** A dimensionless count, e.g. payloads that could not be read or were dropped. */
export function countDocument(
  metric: string,
  namespace: string,
  timestamp: number,
  count: number,
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: [[]], Metrics: [{ Name: metric, Unit: 'Count' }] },
      ],
    },
    [metric]: count,
  };
}
