import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

/** The SDK clients one CLI run needs, created once per region; endpoints come from `AWS_ENDPOINT_URL_*`. */
export interface AwsClients {
  readonly logs: CloudWatchLogsClient;
  readonly restApis: APIGatewayClient;
  readonly httpApis: ApiGatewayV2Client;
}

const byRegion = new Map<string, AwsClients>();

export function awsClients(region?: string): AwsClients {
  const key = region ?? '';
  let clients = byRegion.get(key);
  if (!clients) {
    const config = region ? { region } : {};
    clients = {
      logs: new CloudWatchLogsClient(config),
      restApis: new APIGatewayClient(config),
      httpApis: new ApiGatewayV2Client(config),
    };
    byRegion.set(key, clients);
  }
  return clients;
}

/** Whether an SDK error can go away on its own, so the message can say if retrying helps. */
export function retryHint(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  const status = metadata?.httpStatusCode ?? 0;
  if (/Throttl|TooManyRequests|LimitExceeded/.test(name) || status === 429 || status >= 500) {
    return 'retrying later can help (the service was busy or failing)';
  }
  if (/Credentials|ExpiredToken|UnrecognizedClient|InvalidSignature/.test(name)) {
    return 'retrying will not help until the credentials are fixed';
  }
  if (/AccessDenied/.test(name) || status === 403)
    return 'retrying will not help: the credentials lack a permission';
  if (/NotFound/.test(name) || status === 404) return 'retrying will not help: check the name or id';
  return 'retrying is unlikely to help';
}

/** One line for an SDK failure: what failed, why, and whether to retry. */
export function describeAwsError(action: string, error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `${action} failed: ${text} (${retryHint(error)})`;
}
