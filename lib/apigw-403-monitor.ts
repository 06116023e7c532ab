/**
 * The reusable construct: subscribes the monitor Lambda to the watched stages' logs and wires its alert
 * topic, cooldown table, failure queue, Slack delivery, dashboard and alarms.
 */
import {
  ArnFormat,
  Aspects,
  CfnResource,
  CustomResource,
  Duration,
  Lazy,
  Names,
  RemovalPolicy,
  Stack,
  Token,
} from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { AccessLogApiKind } from '../lambda/core/access-log-format.js';
import type { Category } from '../lambda/core/categories.js';
import { DIGEST_SERVICE_NAME } from '../lambda/core/digest-event.js';
import { executionLogGroupName } from '../lambda/core/execution-log.js';
import {
  FAILURE_QUEUE_RETENTION_DAYS,
  forwarderEnvironment,
  MONITOR_SERVICE_NAME,
  monitorEnvironment,
} from '../lambda/core/monitor-contract.js';
import { type NoisePolicy, type NoisePolicyInput, parseNoisePolicy } from '../lambda/core/noise-policy.js';
import { RELAY_SERVICE_NAME } from '../lambda/core/render/relay.js';
import { STATE_KEY_ATTRIBUTE, STATE_TTL_ATTRIBUTE } from '../lambda/core/state-table.js';
import type { SubscriptionCheckProperties } from '../lambda/core/subscription-check.js';
import {
  AccessLogFormatCheck,
  accessLogOf,
  isWatchedStage,
  patternOptionsFor,
  type WatchedStageRef,
} from './access-log-format.js';
import { type AccountWideOptions, Apigw403AccountWide, DISCOVERY_TIMEOUT } from './account-wide.js';
import { LAMBDA_BUNDLING } from './bundling.js';
import { Apigw403CentralIngest, type CentralIngestOptions } from './central-ingest.js';
import { DEFAULT_ALARM_PERIOD_MINUTES, DEFAULT_LOG_RETENTION_DAYS } from './config.js';
import { DEFAULT_METRIC_NAMESPACE, forbiddenMetric, MonitorDashboard } from './dashboard.js';
import { MonitorSchedules } from './digest.js';
import { FailureQueueDestination, QUEUE_SEND_KMS_ACTIONS } from './failure-destination.js';
import {
  type AccessLogFormatKind,
  type AccessLogPatternOptions,
  accessLogFilterPattern,
  executionLogFilterPattern,
} from './filter-patterns.js';
import { BUNDLE_HANDLER, type LambdaName, lambdaSource } from './lambda-bundle.js';
import { environmentWorstCaseBytes, LAMBDA_ENVIRONMENT_BYTES } from './lambda-environment.js';
import { nodeOptionsFor } from './node-options.js';
import { type AlertRoute, routeFilterPolicy, routePropsProblems } from './routes.js';
import { noisePolicyAccountIssues } from './routes-config.js';

export const DEFAULT_MEMORY_SIZE_MB = 256;
/** Room for a batch plus the bounded `FilterLogEvents` evidence lookups. */
export const DEFAULT_TIMEOUT = Duration.seconds(60);
export const DEFAULT_RETRY_ATTEMPTS = 2;
/** The longest Lambda keeps an event it could not run (throttled or failing) before the failure queue. */
export const DEFAULT_MAX_EVENT_AGE = Duration.hours(6);
export const DEFAULT_LOG_RETENTION = DEFAULT_LOG_RETENTION_DAYS as logs.RetentionDays;
export const DEFAULT_ALARM_PERIOD = Duration.minutes(DEFAULT_ALARM_PERIOD_MINUTES);
/**
 * Log groups up to which each gets an invoke permission of its own (about 300 bytes of the function's
 * 20 KB resource policy each); past it, one permission covers the groups' shared name prefix.
 */
export const MAX_PER_GROUP_PERMISSIONS = 40;
/** No policy written: the defaults of lambda/core/noise-policy.ts (quiet, and incidents still alert). */
export const DEFAULT_NOISE_POLICY: NoisePolicyInput = {};
/**
 * The longest `NOISE_POLICY` JSON accepted: Lambda holds 4 KB of environment per function, and the
 * monitor's other variables (the watched stages above all) need the rest.
 */
export const MAX_NOISE_POLICY_BYTES = 2_500;
/** Node.js 22 until `nodejs22.x` is deprecated (30 April 2027): see the README's "Node.js versions". */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;

/**
 * The item operations of the handler's cooldown, idempotency and evidence records (lambda/adapters).
 * Kept to what lambda/adapters/state-store.ts calls: change both together.
 */
export const STATE_TABLE_ACTIONS: readonly string[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/**
 * The scheduled function's table access: the listing of lambda/adapters/state-store.ts (`listGroups`,
 * a Scan) for the digest and the sweep, and the sweep's conditional resolution of a group (`writeGroup`).
 */
export const DIGEST_TABLE_ACTIONS: readonly string[] = [
  'dynamodb:Scan',
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
];

/** One API stage to watch. Give `apiId` and `stageName`, or a `stage` (or `api`) from the same app. */
export interface WatchedStage {
  /**
   * The REST, HTTP or WebSocket API id.
   * @default - from `stage` or `api`
   */
  readonly apiId?: string;
  /**
   * Whether the id is a REST API (v1), an HTTP API or a WebSocket API (v2): the synth-time format
   * check reads the stage's access log with that kind's variables.
   * @default - from `stage` or `api`, else 'rest'
   */
  readonly kind?: AccessLogApiKind;
  /**
   * The stage name (`$default` for an HTTP API's default stage).
   * @default - from `stage`, or the `api`'s deployment (REST) or default (HTTP) stage
   */
  readonly stageName?: string;
  /**
   * The stage, when it is defined in the same CDK app. Its access-log group and format are then read
   * from it, and `AccessLogFormatCheck` warns at synth time when the format cannot be classified.
   * @default - none
   */
  readonly stage?: WatchedStageObject;
  /**
   * The API, when it is defined in the same CDK app (alternative to `stage`).
   * @default - none
   */
  readonly api?: apigateway.IRestApi | apigwv2.IHttpApi;
  /**
   * The stage's access-log group.
   * @default - the destination set on `stage` in this app; none (access log not watched) otherwise
   */
  readonly accessLogGroup?: logs.ILogGroup;
  /**
   * How the access log is written: 'json' selects 403s by field, 'text' (CLF, CSV, XML) by the term `403`.
   * @default - read from `stage`'s format when it is in this app, else 'json'
   */
  readonly accessLogFormat?: AccessLogFormatKind;
  /**
   * JSON key path of `$context.status` in the access log.
   * @default - read from `stage`'s format when it is in this app, else 'status'
   */
  readonly statusKey?: string;
  /**
   * JSON key path of `$context.error.responseType`; `null` when the format does not log it.
   * @default - read from `stage`'s format when it is in this app, else 'error.responseType'
   */
  readonly responseTypeKey?: string | null;
  /**
   * Whether to watch the REST stage's execution log group `API-Gateway-Execution-Logs_{apiId}/{stage}`.
   * The group is created when missing, so a stage that has not logged yet does not fail the deploy.
   * @default false
   */
  readonly executionLogs?: boolean;
}

/** A CloudWatch alarm on one category's 403 count, created for every watched stage. */
export interface CategoryAlarm {
  readonly category: Category;
  /** 403s of this category in one period that set off the alarm. */
  readonly threshold: number;
  /** @default DEFAULT_ALARM_PERIOD */
  readonly period?: Duration;
}

/** An AWS Chatbot Slack channel that receives the topic's notifications. */
export interface ChatbotSlackChannel {
  /** The Slack workspace id (authorised once in the AWS Chatbot console), e.g. `T0123ABCD`. */
  readonly slackWorkspaceId: string;
  /** The Slack channel id, e.g. `C0123ABCDEF`. */
  readonly slackChannelId: string;
  /**
   * The configuration's name. AWS Chatbot names are unique per account across all regions, so a
   * name given here must differ between the regions the monitor is deployed to.
   * @default - `<stack name>-<region>-403-alerts`
   */
  readonly configurationName?: string;
}

export interface Apigw403MonitorProps {
  /** The stages whose 403s are classified (may be empty with `centralIngest` or `accountWide`). */
  readonly watchedStages: readonly WatchedStage[];
  /**
   * Watch every API Gateway stage of the account and region too: a discovery function maps each
   * stage's log groups from API Gateway and keeps one subscription filter of its own on each
   * (lib/account-wide.ts). A listed `watchedStages` entry wins where both name a stage.
   * @default - only `watchedStages`
   */
  readonly accountWide?: AccountWideOptions;
  /**
   * Run as the central monitor of many accounts: the function reads a Kinesis stream behind a
   * CloudWatch Logs destination that source accounts subscribe to (lib/central-ingest.ts).
   * @default - a monitor of this account's `watchedStages` only
   */
  readonly centralIngest?: CentralIngestOptions;
  /**
   * E-mail addresses subscribed to the alert topic (each must confirm the subscription).
   * @default - none
   */
  readonly alertEmails?: readonly string[];
  /**
   * The secret holding the Slack incoming-webhook URL (plain string or `{"url": "..."}`). The forwarder
   * reads it at run time; the URL never enters an environment variable or the template.
   * @default - no Slack webhook forwarder
   */
  readonly slackWebhookSecret?: secretsmanager.ISecret;
  /**
   * The customer-managed KMS key that encrypts `slackWebhookSecret`. The forwarder gets `kms:Decrypt` on
   * it, only through Secrets Manager (`kms:ViaService`). Needed for an imported secret, whose key CDK
   * cannot know; the key policy must also allow the account's IAM policies (the default key policy does).
   * @default - `slackWebhookSecret.encryptionKey`; none for a secret on the AWS managed key
   */
  readonly slackWebhookSecretKey?: kms.IKey;
  /**
   * An AWS Chatbot Slack channel subscribed to the topic.
   * @default - none
   */
  readonly chatbotSlackChannel?: ChatbotSlackChannel;
  /**
   * Routes: further destinations for the messages whose SNS attributes they match (lib/routes.ts).
   * The destinations above keep receiving every message.
   * @default - none
   */
  readonly routes?: readonly AlertRoute[];
  /**
   * What each group's 403s do (page, alert, digest, ignore), when a group is new, escalated or
   * resolved, which sources are muted, and the digest's schedule (lambda/core/noise-policy.ts).
   * @default DEFAULT_NOISE_POLICY
   */
  readonly noisePolicy?: NoisePolicyInput;
  /**
   * The EMF metric namespace.
   * @default DEFAULT_METRIC_NAMESPACE
   */
  readonly metricNamespace?: string;
  /**
   * Alarms on category counts, sent to the alert topic.
   * @default - none
   */
  readonly categoryAlarms?: readonly CategoryAlarm[];
  /**
   * A KMS key for the topic and the failure queue. A key of this app gets the grants CloudWatch alarms
   * need; an imported key must already allow `cloudwatch.amazonaws.com` to use it.
   * @default - topic unencrypted, queue with SQS-managed encryption
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the Lambda functions' log groups.
   * @default DEFAULT_LOG_RETENTION
   */
  readonly logRetention?: logs.RetentionDays;
  /** @default DEFAULT_MEMORY_SIZE_MB */
  readonly memorySize?: number;
  /** @default DEFAULT_TIMEOUT */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency of the monitor function: bounds its cost and its share of the account in a 403
   * storm (excess events wait in Lambda's async queue, up to `maxEventAge`). Reserving N needs N + 100
   * unreserved concurrency in the account, which new accounts (quota 10) do not have, hence no default.
   * @default - none reserved: the monitor shares the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Retries after a failed asynchronous invocation (0 to 2).
   * @default DEFAULT_RETRY_ATTEMPTS
   */
  readonly retryAttempts?: number;
  /**
   * How long Lambda keeps an event it could not process before sending it to the failure queue.
   * @default DEFAULT_MAX_EVENT_AGE
   */
  readonly maxEventAge?: Duration;
  /**
   * @default - generated
   */
  readonly dashboardName?: string;
}

interface ForwarderOptions {
  readonly secret: secretsmanager.ISecret;
  readonly secretKey?: kms.IKey | undefined;
  readonly logRetention: logs.RetentionDays;
  readonly asyncOptions: Pick<nodejs.NodejsFunctionProps, 'retryAttempts' | 'maxEventAge' | 'onFailure'>;
  /** A route's match; none for the default forwarder, which receives every monitor message. */
  readonly match?: AlertRoute['match'];
}

interface SubscribedGroup {
  readonly id: string;
  readonly name: string;
  /** The `:*` ARN IAM and the invoke permission match. */
  readonly arn: string;
  readonly pattern: string;
  readonly ensure?: cr.AwsCustomResource;
}

interface ResolvedStage {
  readonly kind: AccessLogApiKind;
  readonly apiId: string;
  readonly stageName: string;
  readonly key: string;
  readonly accessLogGroup?: logs.ILogGroup;
  readonly pattern: string;
  readonly filterFormat?: AccessLogFormatKind;
  readonly executionLogs: boolean;
}

/** A stage of the user's app the monitor can watch: REST, HTTP or WebSocket. */
export type WatchedStageObject = apigateway.IStage | apigwv2.IHttpStage | apigwv2.IWebSocketStage;

function isRestStage(stage: WatchedStageObject): stage is apigateway.IStage {
  return 'restApi' in stage;
}

function stageKind(stage: WatchedStageObject): AccessLogApiKind {
  if (isRestStage(stage)) return 'rest';
  return 'isWebsocketApi' in stage.api && stage.api.isWebsocketApi ? 'websocket' : 'http';
}

/** An L2 stage's `stageName` is a `Ref`; the literal keeps ids, dashboard titles and ARNs readable. */
function literalStageName(stage: WatchedStageObject): string {
  const cfnStage = stage.node.defaultChild;
  if (!(cfnStage instanceof apigateway.CfnStage || cfnStage instanceof apigwv2.CfnStage))
    return stage.stageName;
  const name = cfnStage.stageName;
  return typeof name === 'string' && !Token.isUnresolved(name) ? name : stage.stageName;
}

function explicitPatternOptions(watched: WatchedStage): AccessLogPatternOptions {
  return {
    ...(watched.accessLogFormat ? { format: watched.accessLogFormat } : {}),
    ...(watched.statusKey ? { statusKey: watched.statusKey } : {}),
    ...(watched.responseTypeKey !== undefined ? { responseTypeKey: watched.responseTypeKey } : {}),
  };
}

function isRestApi(api: apigateway.IRestApi | apigwv2.IHttpApi): api is apigateway.IRestApi {
  return 'restApiId' in api;
}

/**
 * Classifies every API Gateway 403 of the watched stages by cause and alerts once per group.
 *
 * One monitor per account and region is the intended shape: every stage feeds the same function, table
 * and topic, and CloudWatch Logs allows only two subscription filters per log group.
 */
export class Apigw403Monitor extends Construct {
  readonly topic: sns.Topic;
  readonly stateTable: dynamodb.Table;
  readonly monitorFunction: nodejs.NodejsFunction;
  readonly failureQueue: sqs.Queue;
  readonly dashboard: cloudwatch.Dashboard;
  readonly slackForwarder?: nodejs.NodejsFunction;
  /** The Slack forwarders of the routes that have a webhook, by route name. */
  readonly routeForwarders: ReadonlyMap<string, nodejs.NodejsFunction>;
  /** The topics and relays of the routes that have an AWS Chatbot channel, by route name. */
  readonly routeChatbotTopics: ReadonlyMap<
    string,
    { readonly topic: sns.Topic; readonly relay: nodejs.NodejsFunction }
  >;
  /** The policy's `NOISE_POLICY` JSON, as the functions read it. */
  readonly noisePolicyJson: string;
  /** The policy with its defaults, as the functions apply it. */
  readonly noisePolicy: NoisePolicy;
  /** The function of the scheduled work: the digest and the sweep that resolves quiet groups. */
  readonly scheduledFunction: nodejs.NodejsFunction;
  /** The schedules (EventBridge Scheduler) and their execution role. */
  readonly schedules: MonitorSchedules;
  /** Set with `centralIngest`: the stream, destination and event source mapping. */
  readonly centralIngest?: Apigw403CentralIngest;
  /** Set with `accountWide`: the discovery function's rules and permissions. */
  readonly accountWide?: Apigw403AccountWide;
  readonly discoveryFunction?: nodejs.NodejsFunction;
  readonly subscriptionFilters: readonly logs.CfnSubscriptionFilter[];
  /** The watched execution log groups, as the `:*` ARNs IAM grants use. */
  readonly executionLogGroupArns: readonly string[];
  /** The custom resources that create a missing execution log group before its filter. */
  readonly executionLogGroupCreators: readonly cr.AwsCustomResource[];
  /**
   * The deploy-time check (`Custom::SubscriptionCheck`) every filter waits for: it fails the deploy,
   * naming the group, when a subscribed log group does not exist or already has its two filters.
   */
  readonly subscriptionCheck?: CustomResource;
  readonly subscriptionCheckFunction?: nodejs.NodejsFunction;
  /** The `:*` ARNs of every subscribed log group, which the check may describe. */
  readonly subscribedLogGroupArns: readonly string[];
  private readonly creators: cr.AwsCustomResource[] = [];

  constructor(scope: Construct, id: string, props: Apigw403MonitorProps) {
    super(scope, id);
    const retired = removedPropsProblem(props);
    if (retired) throw new Error(`${this.node.path}: ${retired}`);
    if (!watchesSomething(props)) throw new Error(`${this.node.path}: watchedStages is empty`);
    const routeProblems = routePropsProblems(props);
    if (routeProblems.length > 0) throw new Error(`${this.node.path}: ${routeProblems.join('; ')}`);
    const stack = Stack.of(this);
    const stages = props.watchedStages.map((watched, index) => this.resolveStage(watched, index));
    const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;
    const namespace = props.metricNamespace ?? DEFAULT_METRIC_NAMESPACE;
    const key = props.encryptionKey;
    [this.noisePolicyJson, this.noisePolicy] = this.noisePolicyEnv(props.noisePolicy, props.centralIngest);

    this.topic = this.createTopic(key, props.alertEmails ?? []);

    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: STATE_KEY_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: STATE_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Cooldown and idempotency records only: a fresh table after a re-deploy costs one extra alert.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      ...(key
        ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }
        : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
      enforceSSL: true,
      retentionPeriod: Duration.days(FAILURE_QUEUE_RETENTION_DAYS),
      // It holds log batches no invocation could process: keep them for `replay` even after a destroy.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const asyncOptions = {
      retryAttempts: props.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
      maxEventAge: props.maxEventAge ?? DEFAULT_MAX_EVENT_AGE,
      onFailure: new FailureQueueDestination(this.failureQueue, key),
    };

    const monitor = this.nodeFunction('Monitor', {
      code: monitorCode(props),
      description: 'Classifies API Gateway 403s from log subscriptions and publishes grouped alerts',
      memorySize: props.memorySize ?? DEFAULT_MEMORY_SIZE_MB,
      timeout: props.timeout ?? DEFAULT_TIMEOUT,
      logRetention,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      environment: monitorEnvironment(
        {
          topicArn: this.topic.topicArn,
          stateTableName: this.stateTable.tableName,
          metricNamespace: namespace,
          watchedStages: stages.map((stage) => ({
            apiId: stage.apiId,
            stage: stage.stageName,
            ...(stage.accessLogGroup ? { accessLogGroup: stage.accessLogGroup.logGroupName } : {}),
            executionLogs: stage.executionLogs,
          })),
          serviceName: MONITOR_SERVICE_NAME,
          noisePolicy: this.noisePolicyJson,
          // None listed: an organisation-wide destination.
          ...(props.centralIngest?.sourceAccounts
            ? { sourceAccounts: props.centralIngest.sourceAccounts }
            : {}),
          ...(props.accountWide ? { accountWide: true } : {}),
        },
        (value) => stack.toJsonString(value),
      ),
      ...asyncOptions,
    });
    this.monitorFunction = monitor;
    if (props.centralIngest) this.centralIngest = this.addCentralIngest(props.centralIngest, key);
    const role = monitor.role as iam.Role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishAlerts',
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    if (key) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EncryptAlerts',
          // SNS calls GenerateDataKey and Decrypt for a publisher to an encrypted topic.
          actions: [...QUEUE_SEND_KMS_ACTIONS],
          resources: [key.keyArn],
        }),
      );
    }
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'StateTable',
        actions: [...STATE_TABLE_ACTIONS],
        resources: [this.stateTable.tableArn],
      }),
    );
    this.executionLogGroupArns = stages
      .filter((stage) => stage.executionLogs)
      .map((stage) => this.logGroupArn(executionLogGroupName(stage.apiId, stage.stageName)));
    this.executionLogGroupCreators = this.creators;
    if (this.executionLogGroupArns.length > 0) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EvidenceLookup',
          actions: ['logs:FilterLogEvents'],
          resources: [...this.executionLogGroupArns],
        }),
      );
    }

    [this.discoveryFunction, this.accountWide] = this.addAccountWide(props.accountWide, logRetention);

    this.slackForwarder = this.defaultForwarder(props, logRetention, asyncOptions);
    if (props.chatbotSlackChannel) this.addChatbot('SlackChannel', this.topic, props.chatbotSlackChannel);
    [this.routeForwarders, this.routeChatbotTopics] = this.addRoutes(
      props.routes,
      logRetention,
      asyncOptions,
      key,
    );
    [this.scheduledFunction, this.schedules] = this.addSchedules(logRetention, key, asyncOptions);

    const groups = this.subscribedGroups(stages);
    this.subscribedLogGroupArns = groups.map((group) => group.arn);
    // A central monitor (Kinesis mode) subscribes to no group here: nothing to check.
    if (groups.length > 0) {
      [this.subscriptionCheckFunction, this.subscriptionCheck] = this.addSubscriptionCheck(
        groups,
        logRetention,
      );
    }
    this.subscriptionFilters = this.subscribe(groups);

    this.dashboard = new MonitorDashboard(this, 'Dashboard', {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      namespace,
      stages,
      functions: [monitor, ...this.forwarders(), ...this.scheduledFunctions()],
      failureQueue: this.failureQueue,
    }).dashboard;

    this.addAlarms(stages, namespace, props.categoryAlarms ?? []);

    const refs: WatchedStageRef[] = stages.map((stage) => ({
      kind: stage.kind,
      apiId: stage.apiId,
      stageName: stage.stageName,
      accessLogWatched: stage.accessLogGroup !== undefined,
      ...(stage.filterFormat ? { filterFormat: stage.filterFormat } : {}),
    }));
    Aspects.of(this.node.root).add(new AccessLogFormatCheck(refs));
  }

  private addCentralIngest(options: CentralIngestOptions, key: kms.IKey | undefined): Apigw403CentralIngest {
    return new Apigw403CentralIngest(this, 'CentralIngest', {
      ...options,
      monitorFunction: this.monitorFunction,
      failureQueue: this.failureQueue,
      ...(key ? { failureQueueKey: key } : {}),
      alarmTopic: this.topic,
    });
  }

  private addAccountWide(
    options: AccountWideOptions | undefined,
    logRetention: logs.RetentionDays,
  ): [nodejs.NodejsFunction, Apigw403AccountWide] | [undefined, undefined] {
    if (!options) return [undefined, undefined];
    const discoveryFunction = this.nodeFunction('Discovery', {
      code: 'discovery',
      description: 'Maps every API Gateway stage of the account to its log groups and keeps them subscribed',
      memorySize: 256,
      timeout: DISCOVERY_TIMEOUT,
      logRetention,
    });
    const accountWide = new Apigw403AccountWide(this, 'AccountWide', {
      ...options,
      discoveryFunction,
      monitorFunction: this.monitorFunction,
      stateTable: this.stateTable,
      alarmTopic: this.topic,
    });
    return [discoveryFunction, accountWide];
  }

  private createTopic(key: kms.IKey | undefined, emails: readonly string[]): sns.Topic {
    const stack = Stack.of(this);
    const topic = new sns.Topic(this, 'AlertTopic', {
      displayName: 'API Gateway 403 alerts',
      enforceSSL: true,
      ...(key ? { masterKey: key } : {}),
    });
    // The topic policy CDK writes for enforceSSL replaces SNS's default one, so CloudWatch alarms need their
    // own grant; scoped to this account's alarms.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisAccountsAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    key?.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    for (const email of emails) topic.addSubscription(new snsSubscriptions.EmailSubscription(email));
    return topic;
  }

  private addAlarms(
    stages: readonly ResolvedStage[],
    namespace: string,
    categoryAlarms: readonly CategoryAlarm[],
  ) {
    const alarmAction = new cloudwatchActions.SnsAction(this.topic);
    const queueAlarm = this.failureQueue
      .metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      })
      .createAlarm(this, 'FailureQueueNotEmpty', {
        alarmDescription:
          'A log batch could not be processed after all retries and waits in the on-failure queue: run `apigw403 replay`.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    queueAlarm.addAlarmAction(alarmAction);
    for (const alarm of categoryAlarms) {
      for (const stage of stages) {
        new cloudwatch.Alarm(this, `Alarm-${alarm.category}-${stage.key}`, {
          metric: forbiddenMetric(namespace, stage, alarm.category, alarm.period ?? DEFAULT_ALARM_PERIOD),
          alarmDescription: `${alarm.category} 403s on ${stage.apiId}/${stage.stageName} reached ${alarm.threshold}`,
          threshold: alarm.threshold,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }).addAlarmAction(alarmAction);
      }
    }
  }

  /** The API kind, id and stage of a watched stage, and its stage object when it is in this app. */
  private identify(watched: WatchedStage) {
    const { api } = watched;
    const defaultStage =
      api && (isRestApi(api) ? api.deploymentStage : (api as apigwv2.HttpApi).defaultStage);
    const stage =
      watched.stage ??
      (defaultStage && (watched.stageName === undefined || watched.stageName === defaultStage.stageName)
        ? defaultStage
        : undefined);
    const fromStage = stage && {
      kind: stageKind(stage),
      apiId: isRestStage(stage) ? stage.restApi.restApiId : stage.api.apiId,
      stageName: literalStageName(stage),
    };
    const fromApi = api && {
      kind: isRestApi(api) ? ('rest' as const) : ('http' as const),
      apiId: isRestApi(api) ? api.restApiId : api.apiId,
    };
    return {
      kind: watched.kind ?? fromStage?.kind ?? fromApi?.kind ?? ('rest' as const),
      apiId: watched.apiId ?? fromStage?.apiId ?? fromApi?.apiId,
      stageName: watched.stageName ?? fromStage?.stageName,
      stage,
      owner: (stage ?? api) as Construct | undefined,
    };
  }

  private resolveStage(watched: WatchedStage, index: number): ResolvedStage {
    const where = `${this.node.path}: watchedStages[${index}]`;
    const { kind, apiId, stageName, stage, owner } = this.identify(watched);
    if (!apiId || !stageName) throw new Error(`${where} needs apiId and stageName, or a stage`);
    if (kind === 'http' && watched.executionLogs)
      throw new Error(`${where}: HTTP APIs have no execution logs`);

    const cfnStage = stage?.node.defaultChild;
    const destination =
      cfnStage instanceof apigateway.CfnStage || cfnStage instanceof apigwv2.CfnStage
        ? accessLogOf(cfnStage)?.destinationArn
        : undefined;
    const accessLogGroup =
      watched.accessLogGroup ??
      (destination ? logs.LogGroup.fromLogGroupArn(this, `AccessLogGroup${index}`, destination) : undefined);
    if (!accessLogGroup && !watched.executionLogs) {
      throw new Error(
        `${where} watches nothing: give accessLogGroup (or a stage with an access log) or executionLogs`,
      );
    }

    const explicit = explicitPatternOptions(watched);
    const followsStage = Object.keys(explicit).length === 0 && owner !== undefined;
    const ref = { kind, apiId, stageName };
    const key =
      Token.isUnresolved(apiId) || Token.isUnresolved(stageName)
        ? `${Names.uniqueId(owner ?? this)}${index}`
        : `${apiId}-${stageName}`;
    return {
      ...ref,
      key,
      ...(accessLogGroup ? { accessLogGroup } : {}),
      // A stage of this app may get its format after the monitor is built, so its filter is read at synth.
      pattern: followsStage
        ? Lazy.string({ produce: () => accessLogFilterPattern(this.stageFormatOptions(ref) ?? {}) })
        : accessLogFilterPattern(explicit),
      ...(followsStage ? {} : { filterFormat: watched.accessLogFormat ?? 'json' }),
      executionLogs: watched.executionLogs ?? false,
    };
  }

  /** The filter settings read from the watched stage's format at synth time, if it is in this app. */
  private stageFormatOptions(
    ref: Omit<WatchedStageRef, 'accessLogWatched'>,
  ): AccessLogPatternOptions | undefined {
    for (const node of this.node.root.node.findAll()) {
      if (!(node instanceof apigateway.CfnStage || node instanceof apigwv2.CfnStage)) continue;
      if (!isWatchedStage(node, { ...ref, accessLogWatched: true })) continue;
      const format = accessLogOf(node)?.format;
      if (format && !Token.isUnresolved(format)) return patternOptionsFor(format);
    }
    return undefined;
  }

  /** The `:*` form of a log group ARN, which IAM matches for all CloudWatch Logs actions used here. */
  private logGroupArn(name: string): string {
    const arn = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    return `${arn}:*`;
  }

  private nodeFunction(
    id: string,
    options: Omit<
      nodejs.NodejsFunctionProps,
      'runtime' | 'architecture' | 'role' | 'logGroup' | 'bundling' | 'entry' | 'code'
    > & {
      readonly code: LambdaName;
      readonly logRetention: logs.RetentionDays;
    },
  ): nodejs.NodejsFunction {
    const { logRetention, code, ...functionOptions } = options;
    const logGroup = new logs.LogGroup(this, `${id}LogGroup`, {
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An explicit role with inline grants only: no managed policy, no `logs:CreateLogGroup`.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${id} function of ${this.node.path}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const source = lambdaSource(code);
    // See lib/lambda-bundle.ts: the package's prebuilt bundle, or the repository's sources.
    const codeProps =
      source.kind === 'bundle'
        ? {
            code: lambda.Code.fromAsset(source.directory),
            handler: BUNDLE_HANDLER,
          }
        : {
            handler: 'handler',
            entry: source.entry,
            projectRoot: source.projectRoot,
            depsLockFilePath: source.lockFile,
            bundling: {
              format: nodejs.OutputFormat.ESM,
              ...LAMBDA_BUNDLING,
              mainFields: [...LAMBDA_BUNDLING.mainFields],
              // Bundled, not taken from the runtime: the code runs with the SDK versions it was tested with.
              externalModules: [],
              forceDockerBundling: false,
            },
          };
    const environment = {
      ...functionOptions.environment,
      NODE_OPTIONS: nodeOptionsFor(functionOptions.memorySize ?? DEFAULT_MEMORY_SIZE_MB),
    };
    this.checkEnvironmentFits(id, environment);
    return new nodejs.NodejsFunction(this, `${id}Function`, {
      ...functionOptions,
      ...codeProps,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      role,
      logGroup,
      environment,
    });
  }

  /**
   * Refuses at synth an environment Lambda would refuse at deploy (4 KB, names and values), counting
   * the ARNs and names CloudFormation fills in at their longest: the watched stages and the noise
   * policy are what grows it.
   */
  private checkEnvironmentFits(id: string, environment: Readonly<Record<string, string>>): void {
    const stack = Stack.of(this);
    const types = new Map(
      stack.node
        .findAll()
        .filter((node): node is CfnResource => node instanceof CfnResource)
        .map((resource) => [stack.resolve(resource.logicalId) as string, resource.cfnResourceType]),
    );
    const bytes = environmentWorstCaseBytes(environment, (value) => stack.resolve(value), types);
    if (bytes <= LAMBDA_ENVIRONMENT_BYTES) return;
    throw new Error(
      `${this.node.path}: the ${id} function's environment is up to ${bytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_BYTES} (4 KB) limit: watch fewer stages per monitor (split the apis over two stacks, or use account-wide mode) or shorten noisePolicy`,
    );
  }

  /** The scheduled function and its schedules (the digest's unless the policy turns it off, the sweep's). */
  private addSchedules(
    logRetention: logs.RetentionDays,
    key: kms.IKey | undefined,
    asyncOptions: ForwarderOptions['asyncOptions'],
  ): [nodejs.NodejsFunction, MonitorSchedules] {
    const scheduled = this.addDigest(logRetention, key, asyncOptions);
    const schedules = new MonitorSchedules(this, 'Schedules', {
      scheduledFunction: scheduled,
      digest: this.noisePolicy.digest,
      failureQueue: this.failureQueue,
      ...(key ? { failureQueueKey: key } : {}),
    });
    return [scheduled, schedules];
  }

  /** The functions the schedules run besides the monitor. */
  scheduledFunctions(): nodejs.NodejsFunction[] {
    return [this.scheduledFunction];
  }

  /**
   * The scheduled function: the digest reads the group summaries of the state table and publishes
   * one digest per stage; the sweep resolves quiet groups (and publishes their resolved alerts).
   */
  private addDigest(
    logRetention: logs.RetentionDays,
    key: kms.IKey | undefined,
    asyncOptions: ForwarderOptions['asyncOptions'],
  ): nodejs.NodejsFunction {
    const digest = this.nodeFunction('Digest', {
      code: 'digest',
      description: "Publishes each watched stage's 403 digest (counts, trend, sources, muted, alerts)",
      memorySize: DEFAULT_MEMORY_SIZE_MB,
      timeout: DEFAULT_TIMEOUT,
      logRetention,
      // The monitor's names for what the digest reads too (lambda/core/monitor-contract.ts).
      environment: monitorEnvironment({
        topicArn: this.topic.topicArn,
        stateTableName: this.stateTable.tableName,
        noisePolicy: this.noisePolicyJson,
        serviceName: DIGEST_SERVICE_NAME,
      }),
      ...asyncOptions,
    });
    digest.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PublishDigests',
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    if (key) {
      digest.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'EncryptDigests',
          actions: [...QUEUE_SEND_KMS_ACTIONS],
          resources: [key.keyArn],
        }),
      );
    }
    digest.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadGroupSummaries',
        actions: [...DIGEST_TABLE_ACTIONS],
        resources: [this.stateTable.tableArn],
      }),
    );
    return digest;
  }

  /** The forwarder of `slackWebhookSecret`, which receives every monitor message. */
  private defaultForwarder(
    props: Apigw403MonitorProps,
    logRetention: logs.RetentionDays,
    asyncOptions: ForwarderOptions['asyncOptions'],
  ): nodejs.NodejsFunction | undefined {
    if (!props.slackWebhookSecret) return undefined;
    return this.addSlackForwarder('SlackForwarder', {
      secret: props.slackWebhookSecret,
      secretKey: props.slackWebhookSecretKey ?? props.slackWebhookSecret.encryptionKey,
      logRetention,
      asyncOptions,
    });
  }

  /** The functions that deliver the topic elsewhere: the Slack forwarders (default, routes'), the Chatbot relays. */
  forwarders(): nodejs.NodejsFunction[] {
    return [
      ...(this.slackForwarder ? [this.slackForwarder] : []),
      ...this.routeForwarders.values(),
      ...[...this.routeChatbotTopics.values()].map((route) => route.relay),
    ];
  }

  /**
   * Validates the policy with the schema the functions read it with, checks that every rule's
   * `account` can match (the context's check: only a central monitor's groups carry one), and that it
   * fits the environment.
   */
  private noisePolicyEnv(
    policy: NoisePolicyInput = DEFAULT_NOISE_POLICY,
    central: CentralIngestOptions | undefined,
  ): [string, NoisePolicy] {
    const parsed = parseNoisePolicy(policy);
    if (!parsed.ok) throw new Error(`${this.node.path}: noisePolicy: ${parsed.problems.join('; ')}`);
    const deployment = central ? { mode: 'central', central } : { mode: 'stages' };
    const [unmatchable] = noisePolicyAccountIssues(policy, deployment);
    if (unmatchable)
      throw new Error(`${this.node.path}: ${unmatchable.path.join('.')}: ${unmatchable.message}`);
    const json = JSON.stringify(policy);
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_NOISE_POLICY_BYTES) {
      throw new Error(
        `${this.node.path}: noisePolicy is ${bytes} bytes as JSON, over the ${MAX_NOISE_POLICY_BYTES} the functions' environment (4 KB in all) leaves it: merge overrides or mute rules`,
      );
    }
    return [json, parsed.policy];
  }

  /** Each route's destinations, subscribed with the route's filter policy (checked: routePropsProblems). */
  private addRoutes(
    routes: readonly AlertRoute[] = [],
    logRetention: logs.RetentionDays,
    asyncOptions: ForwarderOptions['asyncOptions'],
    key: kms.IKey | undefined,
  ): [
    Map<string, nodejs.NodejsFunction>,
    Map<string, { readonly topic: sns.Topic; readonly relay: nodejs.NodejsFunction }>,
  ] {
    const forwarders = new Map<string, nodejs.NodejsFunction>();
    const chatbotTopics = new Map<string, { topic: sns.Topic; relay: nodejs.NodejsFunction }>();
    for (const route of routes) {
      const filterPolicy = routeFilterPolicy(route.match);
      for (const email of route.emails ?? []) {
        this.topic.addSubscription(
          new snsSubscriptions.EmailSubscription(email, filterPolicy ? { filterPolicy } : {}),
        );
      }
      if (route.slackWebhookSecret) {
        const secretKey = route.slackWebhookSecretKey ?? route.slackWebhookSecret.encryptionKey;
        const forwarder = this.addSlackForwarder(`Route${route.name}SlackForwarder`, {
          secret: route.slackWebhookSecret,
          ...(secretKey ? { secretKey } : {}),
          logRetention,
          asyncOptions,
          match: route.match,
        });
        forwarders.set(route.name, forwarder);
      }
      if (route.chatbotSlackChannel) {
        chatbotTopics.set(
          route.name,
          this.addChatbotRoute(route, route.chatbotSlackChannel, { logRetention, asyncOptions, key }),
        );
      }
    }
    return [forwarders, chatbotTopics];
  }

  /**
   * A route's AWS Chatbot channel: a topic of the route's own (Chatbot takes a topic as a whole),
   * fed by a relay subscribed with the route's filter policy, allowed to publish to that topic only.
   */
  private addChatbotRoute(
    route: AlertRoute,
    channel: ChatbotSlackChannel,
    options: {
      readonly logRetention: logs.RetentionDays;
      readonly asyncOptions: ForwarderOptions['asyncOptions'];
      readonly key: kms.IKey | undefined;
    },
  ): { topic: sns.Topic; relay: nodejs.NodejsFunction } {
    const topic = new sns.Topic(this, `Route${route.name}ChatbotTopic`, {
      displayName: `API Gateway 403 alerts, route ${route.name}`,
      enforceSSL: true,
      ...(options.key ? { masterKey: options.key } : {}),
    });
    const relay = this.nodeFunction(`Route${route.name}ChatbotRelay`, {
      code: 'chatbot-relay',
      description: `Relays the alerts of route ${route.name} to the topic of its AWS Chatbot channel`,
      memorySize: 128,
      timeout: Duration.seconds(30),
      logRetention: options.logRetention,
      environment: monitorEnvironment({ topicArn: topic.topicArn, serviceName: RELAY_SERVICE_NAME }),
      ...options.asyncOptions,
    });
    relay.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PublishToRouteTopic',
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
      }),
    );
    if (options.key) {
      relay.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'EncryptRouteMessages',
          actions: [...QUEUE_SEND_KMS_ACTIONS],
          resources: [options.key.keyArn],
        }),
      );
    }
    this.topic.addSubscription(
      new snsSubscriptions.LambdaSubscription(relay, {
        filterPolicy: routeFilterPolicy(route.match, { monitorMessagesOnly: true }) ?? {},
      }),
    );
    this.addChatbot(`Route${route.name}SlackChannel`, topic, {
      ...channel,
      configurationName: channel.configurationName ?? routeChatbotName(Stack.of(this), route.name),
    });
    return { topic, relay };
  }

  private addSlackForwarder(id: string, options: ForwarderOptions): nodejs.NodejsFunction {
    const { secret, secretKey, logRetention, asyncOptions } = options;
    const forwarder = this.nodeFunction(id, {
      code: 'slack-forwarder',
      description: 'Posts the alert topic to Slack through an incoming webhook kept in Secrets Manager',
      memorySize: 128,
      timeout: Duration.seconds(30),
      logRetention,
      environment: forwarderEnvironment({ webhookSecretArn: secret.secretArn }),
      ...asyncOptions,
    });
    const role = forwarder.role as iam.Role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWebhookSecret',
        actions: ['secretsmanager:GetSecretValue'],
        // A secret named without its suffix is matched by the six characters Secrets Manager appends.
        resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
      }),
    );
    if (secretKey) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptWebhookSecret',
          actions: ['kms:Decrypt'],
          resources: [secretKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
    // The default forwarder takes every message, CloudWatch alarm notifications (which carry no
    // attributes) too: in a Slack-only monitor it is the alarms' one destination. A route's forwarder
    // takes the monitor's messages (alerts, digests) its match selects.
    this.topic.addSubscription(
      new snsSubscriptions.LambdaSubscription(
        forwarder,
        options.match === undefined
          ? {}
          : { filterPolicy: routeFilterPolicy(options.match, { monitorMessagesOnly: true }) ?? {} },
      ),
    );
    return forwarder;
  }

  private addChatbot(id: string, topic: sns.ITopic, channel: ChatbotSlackChannel): void {
    new chatbot.SlackChannelConfiguration(this, id, {
      slackChannelConfigurationName: channel.configurationName ?? defaultChatbotName(Stack.of(this)),
      slackWorkspaceId: channel.slackWorkspaceId,
      slackChannelId: channel.slackChannelId,
      notificationTopics: [topic],
      loggingLevel: chatbot.LoggingLevel.ERROR,
      // Notifications only: channel members cannot act on the account through the bot.
      guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess')],
    });
  }

  /**
   * One subscription filter per distinct log group (stages often share an access log group), each behind
   * an invoke permission whose source ARN is that group: no other log group of the account can invoke
   * the monitor. A Lambda resource policy is capped at 20 KB, so past `MAX_PER_GROUP_PERMISSIONS` groups
   * one permission on the groups' shared name prefix serves them all.
   */
  private addSubscriptionCheck(
    groups: readonly SubscribedGroup[],
    logRetention: logs.RetentionDays,
  ): [nodejs.NodejsFunction, CustomResource] {
    const checkFunction = this.nodeFunction('SubscriptionCheck', {
      code: 'subscription-check',
      description:
        'Deploy-time check: every log group the monitor subscribes to exists and has a free filter slot',
      memorySize: 128,
      timeout: Duration.seconds(30),
      logRetention,
    });
    checkFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DescribeSubscribedGroups',
        actions: ['logs:DescribeSubscriptionFilters'],
        resources: groups.map((group) => group.arn),
      }),
    );
    const check = new CustomResource(this, 'SubscriptionCheck', {
      serviceToken: checkFunction.functionArn,
      resourceType: 'Custom::SubscriptionCheck',
      properties: {
        LogGroups: groups.map((group) => group.name),
        DestinationArn: this.monitorFunction.functionArn,
      } satisfies SubscriptionCheckProperties,
    });
    for (const creator of this.creators) check.node.addDependency(creator);
    return [checkFunction, check];
  }

  /** The distinct log groups of the watched stages, each with its filter pattern. */
  private subscribedGroups(stages: readonly ResolvedStage[]): SubscribedGroup[] {
    const stack = Stack.of(this);
    const groups = new Map<string, SubscribedGroup>();
    for (const stage of stages) {
      if (stage.accessLogGroup) {
        const name = stage.accessLogGroup.logGroupName;
        // By ARN: a group given directly and the same group read from a stage's destination differ by name token.
        const groupKey = JSON.stringify(stack.resolve(stage.accessLogGroup.logGroupArn.replace(/:\*$/, '')));
        if (!groups.has(groupKey)) {
          const id = Token.isUnresolved(name) ? `Access${stage.key}` : `Access${name.replaceAll('/', '|')}`;
          groups.set(groupKey, { id, name, arn: this.logGroupArn(name), pattern: stage.pattern });
        }
      }
      if (stage.executionLogs) {
        const name = executionLogGroupName(stage.apiId, stage.stageName);
        const ensure = this.ensureLogGroup(stage.key, name);
        // With an access log, the access line counts the request and the lookup fetches its execution
        // lines as evidence: a filter here would take one of the group's two slots and cost an
        // invocation per batch for lines the monitor does not classify.
        if (stage.accessLogGroup) continue;
        groups.set(JSON.stringify(stack.resolve(name)), {
          id: `Execution${stage.key}`,
          name,
          arn: this.logGroupArn(name),
          pattern: executionLogFilterPattern(),
          ensure,
        });
      }
    }
    return [...groups.values()];
  }

  private subscribe(all: readonly SubscribedGroup[]): logs.CfnSubscriptionFilter[] {
    const stack = Stack.of(this);
    const shared =
      all.length > MAX_PER_GROUP_PERMISSIONS
        ? this.invokePermission(
            'LogsInvokePermission',
            stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${sharedPrefix(all.map((group) => group.name))}*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          )
        : undefined;
    return all.map((group) => {
      const permission = shared ?? this.invokePermission(`LogsInvokePermission${group.id}`, group.arn);
      const filter = new logs.CfnSubscriptionFilter(this, `Filter${group.id}`, {
        logGroupName: group.name,
        destinationArn: this.monitorFunction.functionArn,
        filterPattern: group.pattern,
      });
      // CloudWatch Logs test-invokes the destination when the filter is created.
      filter.node.addDependency(permission, ...(this.subscriptionCheck ? [this.subscriptionCheck] : []));
      if (group.ensure) filter.node.addDependency(group.ensure);
      return filter;
    });
  }

  private invokePermission(id: string, sourceArn: string): lambda.CfnPermission {
    const stack = Stack.of(this);
    return new lambda.CfnPermission(this, id, {
      action: 'lambda:InvokeFunction',
      functionName: this.monitorFunction.functionArn,
      principal: 'logs.amazonaws.com',
      sourceAccount: stack.account,
      sourceArn,
    });
  }

  /** Creates the execution log group unless it exists (API Gateway creates it only on the first logged request). */
  private ensureLogGroup(key: string, name: string): cr.AwsCustomResource {
    const call: cr.AwsSdkCall = {
      service: 'CloudWatchLogs',
      action: 'createLogGroup',
      parameters: { logGroupName: name },
      physicalResourceId: cr.PhysicalResourceId.of(name),
      ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
    };
    const creator = new cr.AwsCustomResource(this, `EnsureExecutionLogGroup${key}`, {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      logGroup: this.providerLogGroup(),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['logs:CreateLogGroup'], resources: [this.logGroupArn(name)] }),
      ]),
    });
    this.creators.push(creator);
    return creator;
  }

  private providerLogGroupCache?: logs.LogGroup;

  private providerLogGroup(): logs.LogGroup {
    this.providerLogGroupCache ??= new logs.LogGroup(this, 'EnsureLogGroupProviderLogs', {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return this.providerLogGroupCache;
  }
}

/**
 * The longest literal prefix every log group name shares, for the invoke permission's source ARN; empty
 * when a name is a token or the names share nothing.
 */
export function sharedPrefix(names: readonly string[]): string {
  if (names.length === 0 || names.some((name) => Token.isUnresolved(name))) return '';
  let prefix = names[0] ?? '';
  for (const name of names.slice(1)) {
    while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

/**
 * `<stack name>-<region>-403-alerts`: AWS Chatbot configuration names are unique per account, not per
 * region, so the same stack in a second region needs its own. The stack name is cut so the name stays
 * within Chatbot's 128 characters.
 */
export function defaultChatbotName(stack: Stack): string {
  return `${stack.stackName.slice(0, 90)}-${stack.region}-403-alerts`;
}

/** A route's channel: `<stack name>-<region>-<route>`, the stack name cut to stay within 128 characters. */
export function routeChatbotName(stack: Stack, route: string): string {
  return `${stack.stackName.slice(0, 40)}-${stack.region}-${route}`;
}

/**
 * The cooldown-only monitor's props, which the monitor no longer reads: TypeScript refuses them in an
 * object literal, and this refuses them from JavaScript or a wider object, so neither is ignored.
 */
const REMOVED_PROPS = {
  cooldown:
    'the cooldown prop was removed: noisePolicy.realertMinutes (an escalated group alerts again after it) and noisePolicy.quietPeriodMinutes (a quiet group alerts as new after it) replace it',
  minAlertCount:
    'the minAlertCount prop was removed: noisePolicy.escalationMinCount (403s in one noisePolicy.windowMinutes window) replaces it',
} as const;

function removedPropsProblem(props: Apigw403MonitorProps): string | undefined {
  const given = Object.entries(REMOVED_PROPS).find(
    ([name]) => (props as unknown as Readonly<Record<string, unknown>>)[name] !== undefined,
  );
  return given?.[1];
}

const watchesSomething = (props: Apigw403MonitorProps): boolean =>
  props.watchedStages.length > 0 || props.centralIngest !== undefined || props.accountWide !== undefined;

/** The central monitor runs the Kinesis entry point of the same pipeline. */
const monitorCode = (props: Apigw403MonitorProps): LambdaName =>
  props.centralIngest ? 'monitor-kinesis' : 'monitor';
