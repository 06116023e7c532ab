import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

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
export const snsClient = /* @__PURE__ */ lazy(() => new SNSClient({}));
export const dynamoClient = /* @__PURE__ */ lazy(() => new DynamoDBClient({}));
export const logsClient = /* @__PURE__ */ lazy(() => new CloudWatchLogsClient({}));
export const secretsClient = /* @__PURE__ */ lazy(() => new SecretsManagerClient({}));
