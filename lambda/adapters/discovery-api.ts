/**
 * The SDK side of discovery: every stage of the account and region (REST through `apigateway`, HTTP
 * and WebSocket through `apigatewayv2`, every page), and the subscription filters of the groups the
 * plan looks at. lambda/core/discovery.ts decides what to do with them.
 */
import { type APIGatewayClient, GetStagesCommand, paginateGetRestApis } from '@aws-sdk/client-api-gateway';
import {
  type ApiGatewayV2Client,
  GetApisCommand,
  GetStagesCommand as GetV2StagesCommand,
  type Stage,
} from '@aws-sdk/client-apigatewayv2';
import {
  type CloudWatchLogsClient,
  DeleteSubscriptionFilterCommand,
  DescribeSubscriptionFiltersCommand,
  PutSubscriptionFilterCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import type { ExistingFilter, StageDescription, SubscriptionPlan } from '../core/discovery.js';

/**
 * Control-plane calls in flight at once: API Gateway and CloudWatch Logs throttle their management
 * APIs per account, shared with everything else the account runs, so a sweep stays a small share.
 */
export const DISCOVERY_CONCURRENCY = 4;

const LOGGED = new Set(['INFO', 'ERROR']);

/** Every REST, HTTP and WebSocket stage of the account and region. */
export async function describeAllStages(
  rest: APIGatewayClient,
  v2: ApiGatewayV2Client,
): Promise<StageDescription[]> {
  const [restStages, v2Stages] = await Promise.all([describeRestStages(rest), describeV2Stages(v2)]);
  return [...restStages, ...v2Stages];
}

async function describeRestStages(client: APIGatewayClient): Promise<StageDescription[]> {
  const ids: string[] = [];
  for await (const page of paginateGetRestApis({ client, pageSize: 500 }, {})) {
    for (const api of page.items ?? []) if (api.id) ids.push(api.id);
  }
  const perApi = await mapBounded(ids, DISCOVERY_CONCURRENCY, async (restApiId) => {
    // GetStages answers every stage of the API at once (no paging in the REST API).
    const { item = [] } = await client.send(new GetStagesCommand({ restApiId }));
    return item.flatMap((stage): StageDescription[] => {
      if (!stage.stageName) return [];
      const level = stage.methodSettings?.['*/*']?.loggingLevel;
      return [
        {
          kind: 'rest',
          apiId: restApiId,
          stage: stage.stageName,
          ...(stage.accessLogSettings?.destinationArn
            ? { accessLogDestinationArn: stage.accessLogSettings.destinationArn }
            : {}),
          ...(stage.accessLogSettings?.format ? { accessLogFormat: stage.accessLogSettings.format } : {}),
          executionLogging: level !== undefined && LOGGED.has(level),
        },
      ];
    });
  });
  return perApi.flat();
}

async function describeV2Stages(client: ApiGatewayV2Client): Promise<StageDescription[]> {
  const apis: { id: string; kind: 'http' | 'websocket' }[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new GetApisCommand({ MaxResults: '500', ...(token ? { NextToken: token } : {}) }),
    );
    for (const api of page.Items ?? []) {
      if (api.ApiId)
        apis.push({ id: api.ApiId, kind: api.ProtocolType === 'WEBSOCKET' ? 'websocket' : 'http' });
    }
    token = page.NextToken;
  } while (token);
  const perApi = await mapBounded(apis, DISCOVERY_CONCURRENCY, async (api) => {
    const stages: StageDescription[] = [];
    let next: string | undefined;
    do {
      const page = await client.send(
        new GetV2StagesCommand({ ApiId: api.id, MaxResults: '500', ...(next ? { NextToken: next } : {}) }),
      );
      for (const stage of page.Items ?? []) if (stage.StageName) stages.push(v2Stage(api, stage));
      next = page.NextToken;
    } while (next);
    return stages;
  });
  return perApi.flat();
}

function v2Stage(api: { id: string; kind: 'http' | 'websocket' }, stage: Stage): StageDescription {
  const settings = stage.AccessLogSettings;
  return {
    kind: api.kind,
    apiId: api.id,
    stage: stage.StageName ?? '',
    ...(settings?.DestinationArn ? { accessLogDestinationArn: settings.DestinationArn } : {}),
    ...(settings?.Format ? { accessLogFormat: settings.Format } : {}),
  };
}

/** Each group's subscription filters (every page), or 'missing' for a group that does not exist. */
export async function describeFilters(
  client: CloudWatchLogsClient,
  groups: readonly string[],
): Promise<Map<string, readonly ExistingFilter[] | 'missing'>> {
  type Described = readonly [string, readonly ExistingFilter[] | 'missing'];
  const described = await mapBounded(
    groups,
    DISCOVERY_CONCURRENCY,
    async (logGroupName): Promise<Described> => {
      const filters: ExistingFilter[] = [];
      try {
        let nextToken: string | undefined;
        do {
          const page = await client.send(
            new DescribeSubscriptionFiltersCommand({ logGroupName, ...(nextToken ? { nextToken } : {}) }),
          );
          filters.push(...(page.subscriptionFilters ?? []));
          nextToken = page.nextToken;
        } while (nextToken);
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return [logGroupName, 'missing'];
        throw error;
      }
      return [logGroupName, filters];
    },
  );
  return new Map(described);
}

/** Applies a plan: removals first (a group whose slot moves), then creations and updates. */
export async function applySubscriptionPlan(
  client: CloudWatchLogsClient,
  plan: SubscriptionPlan,
  destinationArn: string,
): Promise<void> {
  await mapBounded(plan.remove, DISCOVERY_CONCURRENCY, async ({ logGroup, filterName }) => {
    try {
      await client.send(new DeleteSubscriptionFilterCommand({ logGroupName: logGroup, filterName }));
    } catch (error) {
      // Gone already (the group was deleted, or another sweep removed it): what the plan wanted.
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  });
  await mapBounded(plan.put, DISCOVERY_CONCURRENCY, ({ logGroup, filterName, filterPattern }) =>
    client.send(
      new PutSubscriptionFilterCommand({ logGroupName: logGroup, filterName, filterPattern, destinationArn }),
    ),
  );
}

/** `work` over `items`, at most `limit` at a time, results in input order; the first failure rejects. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
