/**
 * What a source account deploys: its API Gateway log groups (or its account-level subscription filter
 * policy) subscribed to the central account's CloudWatch Logs destination. No Lambda, no asset and
 * no bootstrap rule, so the synthesized template can be rolled out to every account with StackSets.
 */
import { DefaultStackSynthesizer, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { SourceConfig } from './config-modes.js';
import { type AccessLogFormatKind, accessLogFilterPattern } from './filter-patterns.js';

export const DEFAULT_SUBSCRIPTION_NAME = 'apigw-403-monitor-source';

/** One stage's access log group, subscribed to the destination. */
export interface SourceStage {
  readonly apiId: string;
  readonly stage: string;
  readonly accessLogGroup: string;
  /** @default 'json' */
  readonly accessLogFormat?: AccessLogFormatKind;
}

export interface Apigw403SourceSubscriptionsProps {
  /** The central account's destination, `arn:aws:logs:<region>:<central>:destination:<name>`. */
  readonly destinationArn: string;
  /**
   * Stages whose access log groups get a subscription filter (one of the two a group may have).
   * @default - none: set this or `accountPolicy`
   */
  readonly stages?: readonly SourceStage[];
  /**
   * Instead of per-group filters, the account's one subscription filter policy: every log group but
   * the excluded ones, filtered by the JSON access-log pattern.
   * @default - none: set this or `stages`
   */
  readonly accountPolicy?: { readonly excludeLogGroups: readonly string[] };
  /**
   * The destination lets in an organisation (`aws:PrincipalOrgID`): CloudWatch Logs then needs a role
   * of this account that may put log events to the destination.
   * @default false
   */
  readonly organizationSender?: boolean;
  /** @default DEFAULT_SUBSCRIPTION_NAME */
  readonly subscriptionName?: string;
}

export class Apigw403SourceSubscriptions extends Construct {
  readonly subscriptionFilters: readonly logs.CfnSubscriptionFilter[];
  readonly accountPolicy?: logs.CfnAccountPolicy;
  readonly senderRole?: iam.Role;

  constructor(scope: Construct, id: string, props: Apigw403SourceSubscriptionsProps) {
    super(scope, id);
    if ((props.stages === undefined || props.stages.length === 0) === (props.accountPolicy === undefined)) {
      throw new Error(`${this.node.path}: set exactly one of stages and accountPolicy`);
    }
    const name = props.subscriptionName ?? DEFAULT_SUBSCRIPTION_NAME;
    if (props.organizationSender) {
      this.senderRole = new iam.Role(this, 'SenderRole', {
        description: 'CloudWatch Logs sends API Gateway logs to the central 403 monitor destination',
        assumedBy: new iam.ServicePrincipal('logs.amazonaws.com', {
          conditions: {
            StringLike: {
              'aws:SourceArn': `arn:${Stack.of(this).partition}:logs:*:${Stack.of(this).account}:*`,
            },
          },
        }),
      });
      this.senderRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'SendToCentralDestination',
          actions: ['logs:PutLogEvents'],
          resources: [props.destinationArn],
        }),
      );
    }
    const roleArn = this.senderRole ? { roleArn: this.senderRole.roleArn } : {};
    // CloudWatch Logs checks it may deliver when a filter or policy is created: the role's grant first.
    const afterRole = <T extends Construct>(resource: T): T => {
      if (this.senderRole) resource.node.addDependency(this.senderRole);
      return resource;
    };

    const groups = new Map<string, AccessLogFormatKind>();
    for (const stage of props.stages ?? []) {
      const format = stage.accessLogFormat ?? 'json';
      const seen = groups.get(stage.accessLogGroup);
      if (seen !== undefined && seen !== format) {
        throw new Error(`${this.node.path}: ${stage.accessLogGroup} is listed with two access-log formats`);
      }
      groups.set(stage.accessLogGroup, format);
    }
    this.subscriptionFilters = [...groups].map(([logGroupName, format]) =>
      afterRole(
        new logs.CfnSubscriptionFilter(this, `Filter${logGroupName.replaceAll('/', '|')}`, {
          filterName: name,
          logGroupName,
          destinationArn: props.destinationArn,
          filterPattern: accessLogFilterPattern({ format }),
          ...roleArn,
        }),
      ),
    );

    if (props.accountPolicy) {
      this.accountPolicy = new logs.CfnAccountPolicy(this, 'AccountPolicy', {
        policyName: name,
        policyType: 'SUBSCRIPTION_FILTER_POLICY',
        scope: 'ALL',
        policyDocument: Stack.of(this).toJsonString({
          DestinationArn: props.destinationArn,
          FilterPattern: accessLogFilterPattern(),
          Distribution: 'Random',
          ...(this.senderRole ? { RoleArn: this.senderRole.roleArn } : {}),
        }),
        ...(props.accountPolicy.excludeLogGroups.length > 0
          ? {
              selectionCriteria: `LogGroupName NOT IN ${JSON.stringify(props.accountPolicy.excludeLogGroups)}`,
            }
          : {}),
      });
      afterRole(this.accountPolicy);
    }
  }
}

export interface Apigw403SourceAccountStackProps extends StackProps {
  readonly source: SourceConfig;
}

/** The source-account stack of `"mode": "source"`, StackSets-ready (no bootstrap version rule). */
export class Apigw403SourceAccountStack extends Stack {
  readonly subscriptions: Apigw403SourceSubscriptions;

  constructor(scope: Construct, id: string, props: Apigw403SourceAccountStackProps) {
    super(scope, id, {
      ...props,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    const { source } = props;
    this.subscriptions = new Apigw403SourceSubscriptions(this, 'Subscriptions', {
      destinationArn: source.destinationArn,
      ...(source.apis
        ? {
            stages: source.apis.map((api) => ({
              apiId: api.apiId,
              stage: api.stage,
              accessLogGroup: api.accessLogGroup,
              accessLogFormat: api.accessLogFormat,
            })),
          }
        : {}),
      ...(source.accountPolicy ? { accountPolicy: source.accountPolicy } : {}),
      organizationSender: source.organizationSender,
    });
  }
}
