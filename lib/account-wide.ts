/**
 * Account-wide mode of the monitor construct: the discovery function's schedule, its trigger on API
 * Gateway stage changes, its permissions, the monitor's invoke permission for the groups it
 * subscribes, and an alarm when sweeps keep failing.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  DEFAULT_FILTER_NAME_PREFIX,
  DISCOVERY_ITEM_KEY,
  STAGE_CHANGE_EVENT_NAMES,
} from '../lambda/core/discovery.js';
import { EXECUTION_LOG_GROUP_PREFIX } from '../lambda/core/execution-log.js';
import { DISCOVERY_ENV, DISCOVERY_SERVICE_NAME } from '../lambda/core/monitor-contract.js';
import { DEFAULT_DISCOVERY_REFRESH_MINUTES } from './account-wide-config.js';

export const DEFAULT_DISCOVERY_INTERVAL = Duration.minutes(DEFAULT_DISCOVERY_REFRESH_MINUTES);
/** A sweep lists every API and describes every group's filters, a few calls at a time. */
export const DISCOVERY_TIMEOUT = Duration.minutes(5);

/** The API Gateway reads a sweep makes (REST `GetRestApis`/`GetStages`, v2 `GetApis`/`GetStages`). */
const API_GATEWAY_PATHS = ['/restapis', '/restapis/*/stages', '/apis', '/apis/*/stages'] as const;
/** The CloudWatch Logs calls of lambda/adapters/discovery-api.ts. */
export const DISCOVERY_LOGS_ACTIONS = [
  'logs:DescribeSubscriptionFilters',
  'logs:PutSubscriptionFilter',
  'logs:DeleteSubscriptionFilter',
] as const;

/** Watch every API Gateway stage of the account and region, not only the listed ones. */
export interface AccountWideOptions {
  /**
   * Time between two scheduled sweeps. Stage changes trigger one at once when the account has a
   * CloudTrail trail (EventBridge receives "AWS API Call via CloudTrail" events only then); the
   * schedule is what finds the rest.
   * @default DEFAULT_DISCOVERY_INTERVAL
   */
  readonly refreshInterval?: Duration;
  /**
   * API ids never watched (for instance APIs another monitor covers).
   * @default - none
   */
  readonly excludeApiIds?: readonly string[];
}

export interface Apigw403AccountWideProps extends AccountWideOptions {
  /** The function running lambda/discovery-handler.ts (created by the monitor construct). */
  readonly discoveryFunction: lambda.IFunction;
  readonly monitorFunction: lambda.IFunction;
  readonly stateTable: dynamodb.ITable;
  /** Where the alarm on failing sweeps goes. */
  readonly alarmTopic: sns.ITopic;
}

export class Apigw403AccountWide extends Construct {
  readonly scheduleRule: events.Rule;
  readonly stageChangeRule: events.Rule;
  /** The `:*` ARN of every log group of the account and region (the groups are not known at deploy time). */
  readonly anyLogGroupArn: string;
  /** The execution log groups' shared prefix as a `:*` ARN (the monitor's evidence lookup). */
  readonly executionLogGroupsArn: string;
  readonly apiGatewayArns: readonly string[];

  constructor(scope: Construct, id: string, props: Apigw403AccountWideProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroupArn = (name: string) =>
      `${stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME })}:*`;
    this.anyLogGroupArn = logGroupArn('*');
    this.executionLogGroupsArn = logGroupArn(`${EXECUTION_LOG_GROUP_PREFIX}*`);
    this.apiGatewayArns = API_GATEWAY_PATHS.map(
      (path) => `arn:${stack.partition}:apigateway:${stack.region}::${path}`,
    );
    const { discoveryFunction, monitorFunction } = props;

    if (discoveryFunction instanceof lambda.Function) {
      discoveryFunction.addEnvironment(DISCOVERY_ENV.stateTable, props.stateTable.tableName);
      discoveryFunction.addEnvironment(DISCOVERY_ENV.monitorArn, monitorFunction.functionArn);
      discoveryFunction.addEnvironment(DISCOVERY_ENV.filterNamePrefix, DEFAULT_FILTER_NAME_PREFIX);
      discoveryFunction.addEnvironment(DISCOVERY_ENV.serviceName, DISCOVERY_SERVICE_NAME);
      discoveryFunction.addEnvironment(
        DISCOVERY_ENV.excludeApiIds,
        JSON.stringify(props.excludeApiIds ?? []),
      );
    }
    discoveryFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListStages',
        actions: ['apigateway:GET'],
        resources: [...this.apiGatewayArns],
      }),
    );
    discoveryFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'KeepSubscriptionFilters',
        actions: [...DISCOVERY_LOGS_ACTIONS],
        resources: [this.anyLogGroupArn],
      }),
    );
    discoveryFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StoreMapping',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.stateTable.tableArn],
        // Only the mapping's item, never the monitor's cooldown and batch records.
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [DISCOVERY_ITEM_KEY] } },
      }),
    );

    // Any group of this account may deliver: the monitor classifies only the stages' groups (the mapping).
    new lambda.CfnPermission(this, 'LogsInvokePermission', {
      action: 'lambda:InvokeFunction',
      functionName: monitorFunction.functionArn,
      principal: 'logs.amazonaws.com',
      sourceAccount: stack.account,
      sourceArn: this.anyLogGroupArn,
    });
    monitorFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DiscoveredEvidenceLookup',
        actions: ['logs:FilterLogEvents'],
        resources: [this.executionLogGroupsArn],
      }),
    );

    const target = new targets.LambdaFunction(discoveryFunction, {
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
    });
    const interval = props.refreshInterval ?? DEFAULT_DISCOVERY_INTERVAL;
    this.scheduleRule = new events.Rule(this, 'Schedule', {
      description: 'Sweeps the API Gateway stages of the account for the 403 monitor',
      schedule: events.Schedule.rate(interval),
      targets: [target],
    });
    this.stageChangeRule = new events.Rule(this, 'StageChanges', {
      description: 'Sweeps again when an API Gateway stage, deployment or API changes',
      eventPattern: {
        source: ['aws.apigateway'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['apigateway.amazonaws.com'],
          eventName: [...STAGE_CHANGE_EVENT_NAMES],
          // A refused call changed nothing.
          errorCode: [{ exists: false }],
        },
      },
      targets: [target],
    });

    // One failed sweep is repaired by the next; two in a row mean new stages are not being watched.
    discoveryFunction
      .metricErrors({ period: clampPeriod(interval), statistic: cloudwatch.Stats.SUM })
      .createAlarm(this, 'SweepsFailing', {
        alarmDescription:
          "The 403 monitor's discovery sweeps failed twice in a row: new API Gateway stages are not watched. See the discovery function's log.",
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })
      .addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
  }
}

/** An alarm period CloudWatch accepts: whole minutes, two of them within a day. */
function clampPeriod(interval: Duration): Duration {
  return Duration.minutes(Math.min(720, Math.max(1, Math.ceil(interval.toMinutes({ integral: false })))));
}
