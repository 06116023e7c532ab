import type { Category } from '../categories.js';

/**
 * CloudWatch embedded metric format documents. EMF takes dimension *values* from the document's root,
 * so one document carries one (ApiId, Stage, Category) combination; Powertools' `singleMetric()` would
 * do the same with more ceremony, so the monitor writes the documents itself.
 */

export const METRIC_NAME = 'Forbidden403Requests';
export const INVALID_PAYLOADS_METRIC = 'ClassifierInvalidPayloads';

export interface MetricCount {
  readonly apiId: string;
  readonly stage: string;
  readonly category: Category;
  readonly count: number;
}

export function forbiddenRequestDocuments(
  counts: readonly MetricCount[],
  namespace: string,
  timestamp: number,
): Record<string, unknown>[] {
  return counts.map((entry) => ({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['ApiId', 'Stage', 'Category']],
          Metrics: [{ Name: METRIC_NAME, Unit: 'Count' }],
        },
      ],
    },
    ApiId: entry.apiId,
    Stage: entry.stage,
    Category: entry.category,
    [METRIC_NAME]: entry.count,
  }));
}

export function invalidPayloadDocument(namespace: string, timestamp: number): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [[]],
          Metrics: [{ Name: INVALID_PAYLOADS_METRIC, Unit: 'Count' }],
        },
      ],
    },
    [INVALID_PAYLOADS_METRIC]: 1,
  };
}

/** Requests per (API, stage, category): the metric counts every request, whatever alerts do. */
export function countByGroup(
  findings: readonly { apiId: string; stage: string; category: Category }[],
): MetricCount[] {
  const counts = new Map<string, MetricCount>();
  for (const finding of findings) {
    const key = `${finding.apiId}\u0000${finding.stage}\u0000${finding.category}`;
    const previous = counts.get(key);
    counts.set(key, {
      apiId: finding.apiId,
      stage: finding.stage,
      category: finding.category,
      count: (previous?.count ?? 0) + 1,
    });
  }
  return [...counts.values()];
}
