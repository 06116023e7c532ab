/**
 * Someone else's CDK app: a REST API with the recommended access log, watched by the monitor from the
 * installed package, checked by cdk-nag. `test/package/consumer.test.ts` type-checks and synthesizes it.
 */

import { Apigw403Monitor, applyNagSuppressions, applyRecommendedAccessLogFormat } from 'apigw-403-monitor';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';

const app = new App();
const stack = new Stack(app, 'ConsumerApi', { env: { account: '123456789012', region: 'eu-west-1' } });
const api = new apigateway.RestApi(stack, 'Api', { deployOptions: { stageName: 'prod' } });
api.root.addMethod('GET', new apigateway.MockIntegration());
applyRecommendedAccessLogFormat(api, new logs.LogGroup(stack, 'AccessLog'));

const monitor = new Apigw403Monitor(stack, 'Monitor', {
  watchedStages: [{ api, executionLogs: true }],
  alertEmails: ['api-oncall@example.com'],
});
applyNagSuppressions(monitor);
// The consumer's own API is a bare example: its findings are its own, not the monitor's.
for (const id of [
  'AwsSolutions-APIG2',
  'AwsSolutions-APIG3',
  'AwsSolutions-APIG4',
  'AwsSolutions-APIG6',
  'AwsSolutions-COG4',
]) {
  Validations.of(api).acknowledge({ id, reason: 'example API of the package test, not part of the monitor' });
}
Validations.of(api).acknowledge({
  id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
  reason: "API Gateway's account-wide CloudWatch role, created by RestApi",
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
