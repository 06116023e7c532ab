/**
 * A Slack-webhook-only monitor (no e-mail, no Chatbot: a configuration the schema accepts) delivers
 * its alarms: the failure queue's (the one that says alerts are failing) and every `alarms.<CATEGORY>`
 * one publish to the alert topic, and the default Slack forwarder's subscription takes them (CloudWatch
 * alarm notifications carry no message attributes, so a filter policy would drop them).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';

describe('a Slack-webhook-only monitor', () => {
  it('subscribes its alarms topic to the forwarder without a filter policy', () => {
    const parsed = parseConfig({
      apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod' }],
      slack: { webhookSecret: 'apigw-403-monitor/slack-webhook' },
      alarms: { WAF_FILTERED: { threshold: 100, periodMinutes: 5 } },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const template = Template.fromStack(
      new Apigw403MonitorStack(new App(), 'Apigw403Monitor', { config: parsed.config }),
    );
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription'));
    expect(alarms.length).toBe(2);
    for (const alarm of alarms) {
      const actions = (alarm.Properties?.AlarmActions ?? []) as unknown[];
      expect(actions).toHaveLength(1);
      const receivers = subscriptions.filter(
        (subscription) =>
          JSON.stringify(subscription.Properties?.TopicArn) === JSON.stringify(actions[0]) &&
          subscription.Properties?.Protocol === 'lambda' &&
          subscription.Properties?.FilterPolicy === undefined,
      );
      expect(receivers, String(alarm.Properties?.AlarmDescription)).toHaveLength(1);
    }
  });
});
