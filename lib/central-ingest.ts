/**
 * The central account's intake: a Kinesis data stream behind a CloudWatch Logs destination that the
 * listed source accounts (or an organisation) may subscribe to, read by the monitor function through an
 * event source mapping with partial batch responses, bisect on error, a retry budget and the failure
 * queue as its on-failure destination. CloudWatch Logs supports a Kinesis (or Firehose) stream as a
 * cross-account destination, not a Lambda function, hence the stream.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type CentralConfig,
  DEFAULT_BATCH_SIZE,
  DEFAULT_DESTINATION_NAME,
  DEFAULT_MAX_BATCHING_WINDOW_SECONDS,
  DEFAULT_PARALLELIZATION_FACTOR,
  DEFAULT_SHARD_COUNT,
  DEFAULT_STREAM_RETRY_ATTEMPTS,
} from './config-modes.js';
import { FailureQueueDestination } from './failure-destination.js';

/** A record older than this is given up on (to the failure queue) rather than retried. */
export const DEFAULT_MAX_RECORD_AGE = Duration.hours(6);
export const DEFAULT_STREAM_RETENTION = Duration.hours(24);
/** The oldest unread record's age that raises the lag alarm: an hour behind, well inside the retention. */
export const DEFAULT_MAX_ITERATOR_AGE = Duration.hours(1);

/** Who may send: listed accounts, or every account of an organisation. */
export interface CentralIngestOptions {
  /**
   * Source accounts allowed to subscribe to the destination; the monitor also drops documents whose
   * owner is not one of them.
   * @default - none: set this or `organizationId`
   */
  readonly sourceAccounts?: readonly string[];
  /**
   * An AWS Organizations id whose accounts may subscribe (`aws:PrincipalOrgID`).
   * @default - none: set this or `sourceAccounts`
   */
  readonly organizationId?: string;
  /** @default DEFAULT_DESTINATION_NAME */
  readonly destinationName?: string;
  /**
   * Provisioned shards: 1 MB/s or 1,000 records/s of writes each, one concurrent invocation each per
   * `parallelizationFactor`.
   * @default DEFAULT_SHARD_COUNT
   */
  readonly shardCount?: number;
  /** @default DEFAULT_BATCH_SIZE */
  readonly batchSize?: number;
  /** @default Duration.seconds(DEFAULT_MAX_BATCHING_WINDOW_SECONDS) */
  readonly maxBatchingWindow?: Duration;
  /** Retries of a failing batch (after bisecting it) before its range goes to the failure queue. @default DEFAULT_STREAM_RETRY_ATTEMPTS */
  readonly retryAttempts?: number;
  /** @default DEFAULT_PARALLELIZATION_FACTOR */
  readonly parallelizationFactor?: number;
  /** @default DEFAULT_MAX_RECORD_AGE */
  readonly maxRecordAge?: Duration;
}

export interface CentralIngestProps extends CentralIngestOptions {
  /** The monitor function, built with the Kinesis entry point (lambda/kinesis-handler.ts). */
  readonly monitorFunction: lambda.IFunction;
  /** Where the event source mapping describes a batch it gave up on. */
  readonly failureQueue: sqs.IQueue;
  /** The failure queue's key, when it has one. @default - SQS-managed encryption */
  readonly failureQueueKey?: kms.IKey;
  /** Where the lag alarm notifies. @default - the alarm has no action */
  readonly alarmTopic?: sns.ITopic;
}

export class Apigw403CentralIngest extends Construct {
  readonly stream: kinesis.Stream;
  readonly destination: logs.CfnDestination;
  /** The role CloudWatch Logs assumes to put the subscription records on the stream. */
  readonly deliveryRole: iam.Role;
  readonly eventSourceMapping: KinesisEventSource;
  /** What source accounts subscribe to (`source.destinationArn`). */
  readonly destinationArn: string;
  /** The monitor falls behind the stream: records near the retention would be lost unread. */
  readonly lagAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CentralIngestProps) {
    super(scope, id);
    const { sourceAccounts, organizationId } = props;
    if ((sourceAccounts === undefined || sourceAccounts.length === 0) === (organizationId === undefined)) {
      throw new Error(`${this.node.path}: set exactly one of sourceAccounts and organizationId`);
    }
    const stack = Stack.of(this);
    const destinationName = props.destinationName ?? DEFAULT_DESTINATION_NAME;

    this.stream = new kinesis.Stream(this, 'Stream', {
      shardCount: props.shardCount ?? DEFAULT_SHARD_COUNT,
      retentionPeriod: DEFAULT_STREAM_RETENTION,
      // The AWS managed key: CloudWatch Logs' role and the mapping need no KMS grant of their own.
      encryption: kinesis.StreamEncryption.MANAGED,
    });

    const senders = sourceAccounts ?? [];
    this.deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: `CloudWatch Logs puts the subscription records of ${destinationName} on its stream`,
      assumedBy: new iam.ServicePrincipal('logs.amazonaws.com', {
        conditions: organizationId
          ? { StringEquals: { 'aws:SourceOrgID': organizationId } }
          : {
              StringLike: {
                'aws:SourceArn': [stack.account, ...senders].map((account) =>
                  stack.formatArn({
                    service: 'logs',
                    account,
                    resource: '*',
                    arnFormat: ArnFormat.NO_RESOURCE_NAME,
                  }),
                ),
              },
            },
      }),
    });
    const put = new iam.Policy(this, 'DeliveryPolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'PutSubscriptionRecords',
          actions: ['kinesis:PutRecord'],
          resources: [this.stream.streamArn],
        }),
      ],
    });
    this.deliveryRole.attachInlinePolicy(put);

    this.destinationArn = stack.formatArn({
      service: 'logs',
      resource: 'destination',
      resourceName: destinationName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.destination = new logs.CfnDestination(this, 'Destination', {
      destinationName,
      roleArn: this.deliveryRole.roleArn,
      targetArn: this.stream.streamArn,
      destinationPolicy: stack.toJsonString(destinationPolicy(this.destinationArn, props)),
    });
    // CloudWatch Logs checks it can put a record when the destination is created.
    this.destination.node.addDependency(put);

    this.eventSourceMapping = new KinesisEventSource(this.stream, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? DEFAULT_BATCH_SIZE,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(DEFAULT_MAX_BATCHING_WINDOW_SECONDS),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: props.retryAttempts ?? DEFAULT_STREAM_RETRY_ATTEMPTS,
      maxRecordAge: props.maxRecordAge ?? DEFAULT_MAX_RECORD_AGE,
      parallelizationFactor: props.parallelizationFactor ?? DEFAULT_PARALLELIZATION_FACTOR,
      onFailure: new FailureQueueDestination(props.failureQueue, props.failureQueueKey),
    });
    props.monitorFunction.addEventSource(this.eventSourceMapping);

    this.lagAlarm = this.stream
      .metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: Duration.minutes(5) })
      .createAlarm(this, 'LagAlarm', {
        alarmDescription: `The 403 monitor reads ${destinationName}'s stream more than ${DEFAULT_MAX_ITERATOR_AGE.toHours()} h behind: raise parallelizationFactor or shardCount`,
        threshold: DEFAULT_MAX_ITERATOR_AGE.toMilliseconds(),
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    if (props.alarmTopic) this.lagAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
  }
}

/** The destination access policy: who may create subscription filters and account policies on it. */
export function destinationPolicy(
  destinationArn: string,
  senders: CentralIngestOptions,
): Record<string, unknown> {
  const statement = {
    Sid: 'SubscribeApiGatewayLogs',
    Effect: 'Allow',
    Action: ['logs:PutSubscriptionFilter', 'logs:PutAccountPolicy'],
    Resource: destinationArn,
  };
  return {
    Version: '2012-10-17',
    Statement: [
      senders.organizationId
        ? {
            ...statement,
            Principal: '*',
            Condition: { StringEquals: { 'aws:PrincipalOrgID': [senders.organizationId] } },
          }
        : { ...statement, Principal: { AWS: [...(senders.sourceAccounts ?? [])] } },
    ],
  };
}

/** The construct options of a validated `central` context object. */
export function centralIngestOf(central: CentralConfig): CentralIngestOptions {
  return {
    ...(central.sourceAccounts ? { sourceAccounts: central.sourceAccounts } : {}),
    ...(central.organizationId ? { organizationId: central.organizationId } : {}),
    destinationName: central.destinationName,
    shardCount: central.shardCount,
    batchSize: central.batchSize,
    maxBatchingWindow: Duration.seconds(central.maxBatchingWindowSeconds),
    retryAttempts: central.retryAttempts,
    parallelizationFactor: central.parallelizationFactor,
  };
}
