/**
 * The deploy-time check that every log group the monitor subscribes to can take its filter, so a
 * missing group or a full one stops the deploy with a message naming the group, before CloudFormation
 * fails the subscription filter with its own error. Pure: the adapter describes the groups.
 */

/**
 * CloudWatch Logs' quota of subscription filters per log group: "Each log group can have
 * up to two subscription filters associated with it" (the PutSubscriptionFilter reference, as in
 * https://docs.aws.amazon.com/sdkfornet/v4/apidocs/items/CloudWatchLogs/MCloudWatchLogsPutSubscriptionFilterAsyncPutSubscriptionFilterRequestCancellationToken.html).
 * The "five" on that page is the quota of regular-expression patterns per log group, not of filters.
 */
export const SUBSCRIPTION_FILTERS_PER_LOG_GROUP = 2;

/** The resource properties the construct gives the check (CloudFormation passes them as strings). */
export interface SubscriptionCheckProperties {
  /** Every log group the stack subscribes to. */
  readonly LogGroups: readonly string[];
  /** The monitor function: its own filters (a re-deploy) do not count against the quota. */
  readonly DestinationArn: string;
}

export interface SubscriptionFilterSummary {
  readonly filterName?: string | undefined;
  readonly destinationArn?: string | undefined;
}

/** One group as described: its filters, or `missing` when CloudWatch Logs does not know it. */
export interface DescribedLogGroup {
  readonly logGroupName: string;
  readonly filters: readonly SubscriptionFilterSummary[] | 'missing';
}

/** One line per group that cannot take the monitor's filter; empty when all can. */
export function subscriptionProblems(groups: readonly DescribedLogGroup[], destinationArn: string): string[] {
  const problems: string[] = [];
  for (const { logGroupName: name, filters } of groups) {
    if (filters === 'missing') {
      problems.push(
        `log group ${name} does not exist: create it, or point the stage's access log at it and send one request ` +
          '(API Gateway creates an access log group only when the stage logs), then deploy again',
      );
      continue;
    }
    const others = filters.filter((filter) => filter.destinationArn !== destinationArn);
    if (others.length >= SUBSCRIPTION_FILTERS_PER_LOG_GROUP) {
      const names = others.map((filter) => `${filter.filterName ?? '?'} -> ${filter.destinationArn ?? '?'}`);
      problems.push(
        `log group ${name} already has ${others.length} subscription filters (${names.join(', ')}), ` +
          `the ${SUBSCRIPTION_FILTERS_PER_LOG_GROUP} CloudWatch Logs allows: remove one ` +
          `(aws logs delete-subscription-filter --log-group-name '${name}' --filter-name <name>), then deploy again`,
      );
    }
  }
  return problems;
}

/** CloudFormation keeps a custom resource's failure reason short; the first problems say enough. */
export const MAX_REASON_LENGTH = 3000;

export function failureReason(problems: readonly string[]): string {
  const text = `apigw-403-monitor cannot subscribe: ${problems.join('; ')}`;
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 3)}...` : text;
}
