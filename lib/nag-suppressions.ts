/**
 * Every cdk-nag acknowledgement of the project (cdk-nag 3 reads CDK's `Validations.of().acknowledge()`),
 * each with the reason it is acceptable here.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { Apigw403Monitor } from './apigw-403-monitor.js';

/** The id cdk-nag gives a wildcard-resource finding of AwsSolutions-IAM5 for `arn`. */
function wildcardResourceFinding(scope: Apigw403Monitor, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}]`;
}

export function applyNagSuppressions(monitor: Apigw403Monitor): void {
  for (const fn of [
    monitor.monitorFunction,
    ...(monitor.subscriptionCheckFunction ? [monitor.subscriptionCheckFunction] : []),
    ...monitor.forwarders(),
    ...(monitor.discoveryFunction ? [monitor.discoveryFunction] : []),
    ...monitor.scheduledFunctions(),
  ]) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x on purpose (README, "Node.js versions"): the code and its tests run on Node.js 20 and 22; ' +
        'a runtime change is a tested upgrade, not an automatic one.',
    });
  }
  const monitorRole = monitor.monitorFunction.role;
  for (const arn of monitor.executionLogGroupArns) {
    if (!monitorRole) break;
    Validations.of(monitorRole).acknowledge({
      id: wildcardResourceFinding(monitor, arn),
      reason:
        'logs:FilterLogEvents on one watched execution log group: IAM matches log groups by the `:*` form of ' +
        'their ARN, so the wildcard covers that group only.',
    });
  }
  const checkRole = monitor.subscriptionCheckFunction?.role;
  for (const arn of monitor.subscribedLogGroupArns) {
    if (!checkRole) break;
    Validations.of(checkRole).acknowledge({
      id: wildcardResourceFinding(monitor, arn),
      reason:
        'logs:DescribeSubscriptionFilters on one subscribed log group, for the deploy-time check: the `:*` ' +
        'is the ARN form IAM matches for a log group, so the wildcard covers that group only.',
    });
  }
  for (const [index, creator] of monitor.executionLogGroupCreators.entries()) {
    const arn = monitor.executionLogGroupArns[index];
    if (arn === undefined) continue;
    Validations.of(creator).acknowledge({
      id: wildcardResourceFinding(monitor, arn),
      reason: 'logs:CreateLogGroup for one named execution log group; the `:*` is the ARN form IAM matches.',
    });
  }
  applyAccountWideSuppressions(monitor);
  Validations.of(monitor.failureQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the on-failure destination of the Lambda functions; it needs no DLQ of its own.',
  });
  const provider = Stack.of(monitor).node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (provider) {
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'The aws-cdk-lib AwsCustomResource provider (creates a missing execution log group) runs only during ' +
        'deployments and comes with this managed policy, which grants writing its own logs.',
    });
  }
}

/** Account-wide mode: the groups and APIs are created by other teams after the deploy, so not known to it. */
function applyAccountWideSuppressions(monitor: Apigw403Monitor): void {
  const { accountWide, discoveryFunction } = monitor;
  const discoveryRole = discoveryFunction?.role;
  if (!accountWide || !discoveryRole || !monitor.monitorFunction.role) return;
  Validations.of(discoveryRole).acknowledge({
    id: wildcardResourceFinding(monitor, accountWide.anyLogGroupArn),
    reason:
      'Account-wide mode: the discovery function describes, creates and removes subscription filters on the log ' +
      'groups API Gateway stages write to, which other teams create and name freely after the deploy; it only ' +
      'changes filters named with its prefix that deliver to this monitor.',
  });
  for (const arn of accountWide.apiGatewayArns.filter((entry) => entry.includes('*'))) {
    Validations.of(discoveryRole).acknowledge({
      id: wildcardResourceFinding(monitor, arn),
      reason:
        'Account-wide mode: apigateway:GET on the stages of every API (read only), since the APIs are created after the deploy.',
    });
  }
  Validations.of(monitor.monitorFunction.role).acknowledge({
    id: wildcardResourceFinding(monitor, accountWide.executionLogGroupsArn),
    reason:
      'Account-wide mode: logs:FilterLogEvents (evidence) on the execution log groups, whose names all start with ' +
      'API-Gateway-Execution-Logs_ and whose API ids are discovered after the deploy.',
  });
}
