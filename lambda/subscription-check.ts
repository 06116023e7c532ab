/**
 * The CloudFormation custom resource behind `Custom::SubscriptionCheck`: describes the subscription
 * filters of every log group the stack is about to subscribe to and answers FAILED, naming each group
 * that is missing or full, so the deploy stops with that message instead of CloudFormation's own.
 * It always answers (a custom resource that does not answer holds the stack for an hour).
 */
import {
  CloudWatchLogsClient,
  DescribeSubscriptionFiltersCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  type DescribedLogGroup,
  failureReason,
  type SubscriptionCheckProperties,
  subscriptionProblems,
} from './core/subscription-check.js';

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Partial<SubscriptionCheckProperties> & { readonly ServiceToken?: string };
}

/** Well inside the function's 30 s, so a hung call still leaves time to answer CloudFormation. */
const REQUEST_TIMEOUT_MS = 5000;

let client: CloudWatchLogsClient | undefined;
const logs = () => {
  client ??= new CloudWatchLogsClient({
    requestHandler: { connectionTimeout: 2000, requestTimeout: REQUEST_TIMEOUT_MS },
  });
  return client;
};

async function describe(logGroupName: string): Promise<DescribedLogGroup> {
  try {
    const page = await logs().send(new DescribeSubscriptionFiltersCommand({ logGroupName }));
    return { logGroupName, filters: page.subscriptionFilters ?? [] };
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return { logGroupName, filters: 'missing' };
    throw error;
  }
}

async function problemsOf(properties: CustomResourceEvent['ResourceProperties']): Promise<string[]> {
  const groups = properties.LogGroups ?? [];
  const described = await Promise.all(groups.map(describe));
  return subscriptionProblems(described, properties.DestinationArn ?? '');
}

async function respond(event: CustomResourceEvent, status: 'SUCCESS' | 'FAILED', reason?: string) {
  const body = JSON.stringify({
    Status: status,
    ...(reason ? { Reason: reason } : {}),
    PhysicalResourceId: event.PhysicalResourceId ?? `${event.LogicalResourceId}-subscription-check`,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // The pre-signed S3 URL is signed without a content type.
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    body,
    headers: { 'content-type': '' },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`CloudFormation response upload answered HTTP ${response.status}`);
}

export async function handler(event: CustomResourceEvent): Promise<void> {
  if (event.RequestType === 'Delete') return respond(event, 'SUCCESS');
  let problems: string[];
  try {
    problems = await problemsOf(event.ResourceProperties);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return respond(event, 'FAILED', failureReason([`describing the log groups failed: ${name}: ${message}`]));
  }
  return problems.length > 0 ? respond(event, 'FAILED', failureReason(problems)) : respond(event, 'SUCCESS');
}
