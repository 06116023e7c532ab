import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { forwarderEnvironment, monitorEnvironment } from '../../lambda/core/monitor-contract.js';
import { STATE_KEY_ATTRIBUTE } from '../../lambda/core/state-table.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { LOCAL_ACCOUNT_ENV, LOCAL_REGION } from './http-peer.js';
import { RequestCounter } from './request-count.js';
import { type SecretsManagerServer, startSecretsManagerServer } from './secrets-manager-server.js';
import { type SlackReceiver, startSlackReceiver } from './slack-receiver.js';
export const TOPIC_NAME = 'apigw-403-alerts';
export const STATE_TABLE = 'apigw-403-state';
export const QUEUES = {
  /** Every alert (the stack's optional SQS subscriber). */
  all: 'alerts-all',
  /** Only critical and high alerts: a subscription filter policy on the `severity` attribute. */
  urgent: 'alerts-urgent',
  /** Stands in for the Slack forwarder Lambda's subscription (fauxqs delivers to SQS only). */
  slack: 'alerts-slack-forwarder',
  /** The monitor's asynchronous on-failure destination. */
  onFailure: 'monitor-on-failure',
} as const;
export const URGENT_FILTER_POLICY = { severity: ['critical', 'high'] };

/**
 * The AWS services the runtime path uses, as real local peers on 127.0.0.1 free ports: fauxqs (SNS and
 * SQS, behind a fault proxy for SNS), dynalite (the state table), a Secrets Manager peer holding the
 * Slack webhook URL, and a Slack receiver. `env` is what the SDK clients need to reach them.
 */
export interface LocalAws {
  readonly fauxqs: FauxqsServer;
  readonly snsProxy: FaultProxy;
  /** In front of dynalite: faults for the state table. */
  readonly dynamoProxy: FaultProxy;
  /**
   * Every request the SNS, DynamoDB and (with `logsEndpoint`) CloudWatch Logs peers received, per
   * service and operation: what an invocation costs in AWS requests (`snapshot()`, `since(before)`).
   */
  readonly awsRequests: RequestCounter;
  readonly slack: SlackReceiver;
  readonly secrets: SecretsManagerServer;
  readonly dynamoEndpoint: string;
  readonly topicArn: string;
  readonly queueUrls: Readonly<Record<keyof typeof QUEUES, string>>;
  readonly webhookSecretArn: string;
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startLocalAws(options: { logsEndpoint?: string } = {}): Promise<LocalAws> {
  const fauxqs = await startFauxqs({
    port: 0,
    logger: false,
    host: '127.0.0.1',
    defaultRegion: LOCAL_REGION,
  } as Parameters<typeof startFauxqs>[0]);
  const { topicArn } = fauxqs.createTopic(TOPIC_NAME);
  const queueUrls = Object.fromEntries(
    Object.entries(QUEUES).map(([key, name]) => [key, fauxqs.createQueue(name).queueUrl]),
  ) as Record<keyof typeof QUEUES, string>;
  fauxqs.subscribe({ topic: TOPIC_NAME, queue: QUEUES.all });
  fauxqs.subscribe({ topic: TOPIC_NAME, queue: QUEUES.slack });
  fauxqs.subscribe({
    topic: TOPIC_NAME,
    queue: QUEUES.urgent,
    attributes: { FilterPolicy: JSON.stringify(URGENT_FILTER_POLICY) },
  });
  const awsRequests = new RequestCounter();
  const snsProxy = await startFaultProxy(fauxqs.address, { counter: awsRequests, service: 'sns' });

  const dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  const dynamoEndpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  const dynamoProxy = await startFaultProxy(dynamoEndpoint, { counter: awsRequests, service: 'dynamodb' });
  const logsProxy = options.logsEndpoint
    ? await startFaultProxy(options.logsEndpoint, { counter: awsRequests, service: 'logs' })
    : undefined;

  const secrets = await startSecretsManagerServer(LOCAL_REGION);
  const slack = await startSlackReceiver();
  const webhookSecretArn = secrets.putSecret(
    'apigw-403/slack-webhook',
    JSON.stringify({ url: slack.webhookUrl }),
  );

  const env: Record<string, string> = {
    ...LOCAL_ACCOUNT_ENV,
    AWS_ENDPOINT_URL_SNS: snsProxy.endpoint,
    AWS_ENDPOINT_URL_SQS: fauxqs.address,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    ...(logsProxy ? { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logsProxy.endpoint } : {}),
    ...monitorEnvironment({ topicArn, stateTableName: STATE_TABLE }),
    ...forwarderEnvironment({ webhookSecretArn }),
  };
  await new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint: dynamoEndpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  }).send(
    new CreateTableCommand({
      TableName: STATE_TABLE,
      KeySchema: [{ AttributeName: STATE_KEY_ATTRIBUTE, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: STATE_KEY_ATTRIBUTE, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );

  return {
    fauxqs,
    snsProxy,
    dynamoProxy,
    awsRequests,
    slack,
    secrets,
    dynamoEndpoint,
    topicArn,
    queueUrls,
    webhookSecretArn,
    env,
    stop: async () => {
      await Promise.all([
        snsProxy.close(),
        dynamoProxy.close(),
        logsProxy?.close(),
        slack.close(),
        secrets.close(),
        fauxqs.stop(),
        new Promise<void>((resolve) => {
          dynamo.close(() => resolve());
        }),
      ]);
    },
  };
}
