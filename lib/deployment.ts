/**
 * The stack of one validated `apigw403` context, by deployment mode, with its cdk-nag
 * acknowledgements: what bin/app.ts deploys and what the tests synthesize from examples/.
 */
import type { App, Stack, StackProps } from 'aws-cdk-lib';
import type { MonitorConfig } from './config.js';
import { Apigw403MonitorStack } from './monitor-stack.js';
import { applyNagSuppressions } from './nag-suppressions.js';
import { Apigw403SourceAccountStack } from './source-account.js';

export function buildDeployment(app: App, config: MonitorConfig, props: StackProps = {}): Stack {
  const { deployment } = config;
  if (deployment.mode === 'source') {
    return new Apigw403SourceAccountStack(app, config.stackName, {
      ...props,
      description: 'apigw-403-monitor source account: API Gateway logs to the central 403 monitor',
      source: deployment.source,
    });
  }
  const stack = new Apigw403MonitorStack(app, config.stackName, {
    ...props,
    config,
    description:
      deployment.mode === 'central'
        ? 'apigw-403-monitor central account: classifies the 403s of many accounts and alerts'
        : 'apigw-403-monitor: classifies API Gateway 403s by cause and alerts',
  });
  applyNagSuppressions(stack.monitor);
  return stack;
}
