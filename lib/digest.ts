/**
 * The monitor's schedules (EventBridge Scheduler), both on the scheduled function: the digest, on the
 * noise policy's `digestSchedule` in its `digestTimezone`, and the sweep that resolves quiet groups,
 * every DEFAULT_SWEEP_SCHEDULE (a group resolves at most that long after its `resolveAfterMinutes`). The schedules share one execution role, allowed to invoke their targets
 * and to keep a run it could not deliver on the failure queue.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DIGEST_EVENT } from '../lambda/core/digest-event.js';
import { DEFAULT_SWEEP_SCHEDULE, SWEEP_EVENT } from '../lambda/core/noise-policy.js';
import { QUEUE_SEND_KMS_ACTIONS } from './failure-destination.js';

/** Scheduler's own retries of an invocation it could not make (throttling, a missing function). */
export const SCHEDULE_RETRY_ATTEMPTS = 3;
export const SCHEDULE_MAX_EVENT_AGE_SECONDS = 60 * 60;

export interface MonitorSchedulesProps {
  readonly scheduledFunction: lambda.IFunction;
  /** The digest's EventBridge Scheduler expression and time zone (the policy's, defaults filled in). */
  readonly digest: { readonly enabled: boolean; readonly schedule: string; readonly timezone: string };
  readonly failureQueue: sqs.IQueue;
  /** The failure queue's key, when it has a customer-managed one. */
  readonly failureQueueKey?: kms.IKey;
}

export class MonitorSchedules extends Construct {
  readonly role: iam.Role;
  readonly digestSchedule?: scheduler.CfnSchedule;
  readonly sweepSchedule: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: MonitorSchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      // Only this account's schedules may use the role (the confused-deputy guard Scheduler documents).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Runs the schedules of ${scope.node.path}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'KeepUndeliveredRuns',
        actions: ['sqs:SendMessage'],
        resources: [props.failureQueue.queueArn],
      }),
    );
    if (props.failureQueueKey) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EncryptUndeliveredRuns',
          actions: [...QUEUE_SEND_KMS_ACTIONS],
          resources: [props.failureQueueKey.keyArn],
        }),
      );
    }
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeScheduledFunction',
        actions: ['lambda:InvokeFunction'],
        resources: [props.scheduledFunction.functionArn],
      }),
    );
    this.sweepSchedule = this.schedule('Sweep', {
      expression: DEFAULT_SWEEP_SCHEDULE,
      timezone: 'UTC',
      target: props.scheduledFunction,
      input: SWEEP_EVENT,
      description: 'Resolves the 403 groups that went quiet (apigw-403-monitor)',
      failureQueue: props.failureQueue,
    });
    if (props.digest.enabled) {
      this.digestSchedule = this.schedule('Digest', {
        expression: props.digest.schedule,
        timezone: props.digest.timezone,
        target: props.scheduledFunction,
        input: DIGEST_EVENT,
        description: 'One 403 digest per watched stage (apigw-403-monitor)',
        failureQueue: props.failureQueue,
      });
    }
  }

  private schedule(
    id: string,
    options: {
      readonly expression: string;
      readonly timezone: string;
      readonly target: lambda.IFunction;
      readonly input: object;
      readonly description: string;
      readonly failureQueue: sqs.IQueue;
    },
  ): scheduler.CfnSchedule {
    return new scheduler.CfnSchedule(this, id, {
      description: options.description,
      scheduleExpression: options.expression,
      scheduleExpressionTimezone: options.timezone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: options.target.functionArn,
        roleArn: this.role.roleArn,
        input: JSON.stringify(options.input),
        retryPolicy: {
          maximumRetryAttempts: SCHEDULE_RETRY_ATTEMPTS,
          maximumEventAgeInSeconds: SCHEDULE_MAX_EVENT_AGE_SECONDS,
        },
        deadLetterConfig: { arn: options.failureQueue.queueArn },
      },
    });
  }
}
