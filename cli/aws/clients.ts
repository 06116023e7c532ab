import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

/** The SDK clients one CLI run needs, created once per region; endpoints come from `AWS_ENDPOINT_URL_*`. */
export interface AwsClients {
  readonly logs: CloudWatchLogsClient;
  readonly restApis: APIGatewayClient;
  readonly httpApis: ApiGatewayV2Client;
}

/**
 * Connection and whole-request timeouts of the CLI's reads: without them an endpoint that accepts the
 * connection and never answers (a stuck proxy, a half-open firewall) hangs doctor, triage and explain
 * for ever. A FilterLogEvents page may search for a while before it answers, so logs get longer.
 * `throwOnRequestTimeout`: the SDK only warns on a request timeout otherwise. The SDK's three attempts
 * of a call then end a dead endpoint within about a minute, in one line naming `TimeoutError`.
 */
export const CLI_CONNECTION_TIMEOUT_MS = 2_000;
export const CLI_REQUEST_TIMEOUTS_MS = { logs: 15_000, apiGateway: 5_000 } as const;

const clientConfig = (region: string | undefined, requestTimeout: number) => ({
  ...(region ? { region } : {}),
  requestHandler: {
    connectionTimeout: CLI_CONNECTION_TIMEOUT_MS,
    requestTimeout,
    throwOnRequestTimeout: true,
  },
});

const byRegion = new Map<string, AwsClients>();

export function awsClients(region?: string): AwsClients {
  const key = region ?? '';
  let clients = byRegion.get(key);
  if (!clients) {
    const apiGateway = clientConfig(region, CLI_REQUEST_TIMEOUTS_MS.apiGateway);
    clients = {
      logs: new CloudWatchLogsClient(clientConfig(region, CLI_REQUEST_TIMEOUTS_MS.logs)),
      restApis: new APIGatewayClient(apiGateway),
      httpApis: new ApiGatewayV2Client(apiGateway),
    };
    byRegion.set(key, clients);
  }
  return clients;
}

/** Node's codes for a connection that never got an answer: the network or the endpoint, not the request. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

/** Whether an SDK error can go away on its own, so the message can say if retrying helps. */
export function retryHint(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  const status = metadata?.httpStatusCode ?? 0;
  if (/Throttl|TooManyRequests|LimitExceeded/.test(name) || status === 429 || status >= 500) {
    return 'retrying later can help (the service was busy or failing)';
  }
  if (name === 'TimeoutError') return 'retrying later can help (the endpoint did not answer in time)';
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code))
    return 'the endpoint could not be reached: check the network, a proxy, --region and any AWS_ENDPOINT_URL, then retry';
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
