/**
 * The on-failure destination of the Lambda functions: the failure queue, with exactly the grants
 * Lambda needs to send to it. aws-cdk-lib's `SqsDestination` grants `grantSendMessages`, which on a
 * KMS-encrypted queue adds `kms:ReEncrypt*` and `kms:GenerateDataKey*` (cdk-nag AwsSolutions-IAM5);
 * sending to an encrypted queue needs only `kms:GenerateDataKey` and `kms:Decrypt`.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** What a function needs to write to a queue encrypted with `key` (SQS calls KMS on its behalf). */
export const QUEUE_SEND_KMS_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

export class FailureQueueDestination implements lambda.IDestination {
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly key?: kms.IKey,
  ) {}

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SendToFailureQueue',
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
      }),
    );
    if (this.key) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'EncryptFailureRecords',
          actions: [...QUEUE_SEND_KMS_ACTIONS],
          resources: [this.key.keyArn],
        }),
      );
    }
    return { destination: this.queue.queueArn };
  }
}
