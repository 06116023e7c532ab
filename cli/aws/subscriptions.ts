import { DescribeSubscriptionFiltersCommand, type SubscriptionFilter } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from './clients.js';

/** Every subscription filter on a group (the call pages with `nextToken`). */
export async function subscriptionFiltersOf(
  clients: AwsClients,
  logGroupName: string,
): Promise<SubscriptionFilter[]> {
  const filters: SubscriptionFilter[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName, nextToken }));
    filters.push(...(page.subscriptionFilters ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return filters;
}
