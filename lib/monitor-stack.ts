/**
 * The standalone deployment: one stack built from the validated `apigw403` context of cdk.json.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Apigw403Monitor, type ChatbotSlackChannel } from './apigw-403-monitor.js';
import { centralIngestOf } from './central-ingest.js';
import type { ChatbotConfig, MonitorConfig } from './config.js';

export interface Apigw403MonitorStackProps extends StackProps {
  /** The configuration `parseConfig` returned. */
  readonly config: MonitorConfig;
}

export class Apigw403MonitorStack extends Stack {
  readonly monitor: Apigw403Monitor;
  /** Set when the configuration asks for KMS encryption. */
  readonly encryptionKey?: kms.Key;

  constructor(scope: Construct, id: string, props: Apigw403MonitorStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.kmsEncryption) {
      this.encryptionKey = new kms.Key(this, 'AlertKey', {
        description: 'Encrypts the API Gateway 403 alert topic and failure queue',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
    const groups = new Map<string, logs.ILogGroup>();
    const accessLogGroup = (name: string) => {
      let group = groups.get(name);
      if (!group) {
        group = logs.LogGroup.fromLogGroupName(this, `Watched${name.replaceAll('/', '|')}`, name);
        groups.set(name, group);
      }
      return group;
    };
    const secret = config.slackWebhookSecret;
    const importSecret = (id: string, nameOrArn: string) =>
      nameOrArn.startsWith('arn:')
        ? secretsmanager.Secret.fromSecretCompleteArn(this, id, nameOrArn)
        : secretsmanager.Secret.fromSecretNameV2(this, id, nameOrArn);
    const { deployment } = config;
    this.monitor = new Apigw403Monitor(this, 'Monitor', {
      ...(deployment.mode === 'central' ? { centralIngest: centralIngestOf(deployment.central) } : {}),
      ...(config.accountWide
        ? {
            accountWide: {
              refreshInterval: Duration.minutes(config.accountWide.refreshMinutes),
              excludeApiIds: config.accountWide.excludeApiIds,
            },
          }
        : {}),
      watchedStages: config.apis.map((api) => ({
        kind: api.kind,
        apiId: api.apiId,
        stageName: api.stage,
        ...(api.accessLogGroup ? { accessLogGroup: accessLogGroup(api.accessLogGroup) } : {}),
        accessLogFormat: api.accessLogFormat,
        statusKey: api.statusKey,
        responseTypeKey: api.responseTypeKey,
        executionLogs: api.executionLogs,
      })),
      alertEmails: config.alertEmails,
      ...(secret ? { slackWebhookSecret: importSecret('SlackWebhookSecret', secret) } : {}),
      ...(config.slackWebhookSecretKmsKeyArn
        ? {
            slackWebhookSecretKey: kms.Key.fromKeyArn(
              this,
              'SlackWebhookSecretKey',
              config.slackWebhookSecretKmsKeyArn,
            ),
          }
        : {}),
      ...(config.chatbot ? { chatbotSlackChannel: chatbotChannel(config.chatbot) } : {}),
      routes: config.routes.map((route) => ({
        name: route.name,
        ...(route.match ? { match: route.match } : {}),
        emails: route.emails,
        ...(route.slackWebhookSecret
          ? { slackWebhookSecret: importSecret(`Route${route.name}WebhookSecret`, route.slackWebhookSecret) }
          : {}),
        ...(route.slackWebhookSecretKmsKeyArn
          ? {
              slackWebhookSecretKey: kms.Key.fromKeyArn(
                this,
                `Route${route.name}WebhookSecretKey`,
                route.slackWebhookSecretKmsKeyArn,
              ),
            }
          : {}),
        ...(route.chatbot ? { chatbotSlackChannel: chatbotChannel(route.chatbot) } : {}),
      })),
      noisePolicy: config.noisePolicy,
      categoryAlarms: config.alarms.map((alarm) => ({
        category: alarm.category,
        threshold: alarm.threshold,
        period: Duration.minutes(alarm.periodMinutes),
      })),
      ...(this.encryptionKey ? { encryptionKey: this.encryptionKey } : {}),
      logRetention: config.logRetentionDays as logs.RetentionDays,
      ...(config.reservedConcurrency === null ? {} : { reservedConcurrency: config.reservedConcurrency }),
    });
    new CfnOutput(this, 'AlertTopicArn', { value: this.monitor.topic.topicArn });
    new CfnOutput(this, 'FailureQueueUrl', { value: this.monitor.failureQueue.queueUrl });
    new CfnOutput(this, 'DashboardName', { value: this.monitor.dashboard.dashboardName });
    if (this.monitor.centralIngest)
      new CfnOutput(this, 'DestinationArn', { value: this.monitor.centralIngest.destinationArn });
    // `apigw403 replay` and `apigw403 doctor` take these names.
    new CfnOutput(this, 'MonitorFunctionName', { value: this.monitor.monitorFunction.functionName });
    if (this.monitor.discoveryFunction) {
      // `aws lambda invoke --function-name <this>` runs a sweep at once instead of waiting for the schedule.
      new CfnOutput(this, 'DiscoveryFunctionName', { value: this.monitor.discoveryFunction.functionName });
    }
    if (this.monitor.slackForwarder) {
      new CfnOutput(this, 'SlackForwarderFunctionName', { value: this.monitor.slackForwarder.functionName });
    }
  }
}

/** A Chatbot channel of the context (top level or a route's) as the construct takes it. */
function chatbotChannel(chatbot: ChatbotConfig): ChatbotSlackChannel {
  return {
    slackWorkspaceId: chatbot.workspaceId,
    slackChannelId: chatbot.channelId,
    ...(chatbot.configurationName ? { configurationName: chatbot.configurationName } : {}),
  };
}
