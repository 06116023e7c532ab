import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * Connection and request (whole request and response) timeouts for every client the Lambda functions create. Without
 * them a peer that accepts a connection and never answers holds an invocation until the function
 * times out, and every retry hangs the same way. The values leave room for the SDK's three attempts
 * of each call inside the monitor's 60-second timeout; the evidence lookup has its own deadline on top.
 */
export const CONNECTION_TIMEOUT_MS = 2_000;
export const REQUEST_TIMEOUTS_MS = {
  sns: 4_000,
  dynamodb: 2_000,
  logs: 5_000,
  secretsManager: 4_000,
  apiGateway: 5_000,
} as const;

// `requestTimeout` bounds the whole request and response, but only warns unless
// `throwOnRequestTimeout` is set (the SDK's compatibility default since it was an idle timeout).
const withTimeouts = (requestTimeout: number) => ({
  requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout, throwOnRequestTimeout: true },
});

export const snsClientConfig = /* @__PURE__ */ withTimeouts(REQUEST_TIMEOUTS_MS.sns);
export const dynamoClientConfig = /* @__PURE__ */ withTimeouts(REQUEST_TIMEOUTS_MS.dynamodb);
export const logsClientConfig = /* @__PURE__ */ withTimeouts(REQUEST_TIMEOUTS_MS.logs);
export const secretsClientConfig = /* @__PURE__ */ withTimeouts(REQUEST_TIMEOUTS_MS.secretsManager);
export const apiGatewayClientConfig = /* @__PURE__ */ withTimeouts(REQUEST_TIMEOUTS_MS.apiGateway);

/**
 * One client per service per cold start, created on first use so that the environment (region,
 * `AWS_ENDPOINT_URL_*`, which the SDK reads itself) is read when the handler first runs.
 */
function lazy<T>(create: () => T): () => T {
  let instance: T | undefined;
  return () => {
    instance ??= create();
    return instance;
  };
}

// `@__PURE__`: a bundle that never calls one of these leaves that client (and its SDK package) out;
// without it the Slack forwarder carried the SNS, DynamoDB and CloudWatch Logs clients.
export const snsClient = /* @__PURE__ */ lazy(() => new SNSClient(snsClientConfig));
export const dynamoClient = /* @__PURE__ */ lazy(() => new DynamoDBClient(dynamoClientConfig));
export const logsClient = /* @__PURE__ */ lazy(() => new CloudWatchLogsClient(logsClientConfig));
export const secretsClient = /* @__PURE__ */ lazy(() => new SecretsManagerClient(secretsClientConfig));
export const apiGatewayClient = /* @__PURE__ */ lazy(() => new APIGatewayClient(apiGatewayClientConfig));
export const apiGatewayV2Client = /* @__PURE__ */ lazy(() => new ApiGatewayV2Client(apiGatewayClientConfig));
