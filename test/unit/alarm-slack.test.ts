/**
 * The Slack forwarder shows the stack's CloudWatch alarm notifications (the failure queue's, the
 * `alarms.<CATEGORY>` ones): in a Slack-webhook-only monitor it is their one destination. Their values
 * are log text to it (anyone allowed to publish to the topic can send this shape).
 */
import { describe, expect, it } from 'vitest';
import { slackMessageFor } from '../../lambda/slack-forwarder.js';

/** A notification as CloudWatch publishes it to SNS (the `Message` of the SNS record). */
const notification = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    AlarmName: 'Apigw403Monitor-MonitorFailureQueueNotEmpty1A2B3C4D-AbCdEfGh1234',
    AlarmDescription:
      'A log batch could not be processed after all retries and waits in the on-failure queue: run `apigw403 replay`.',
    AWSAccountId: '123456789012',
    NewStateValue: 'ALARM',
    NewStateReason:
      'Threshold Crossed: 1 datapoint [1.0 (01/12/26 18:40:00)] was greater than or equal to the threshold (1.0).',
    StateChangeTime: '2026-12-01T18:45:12.345+0000',
    Region: 'US East (N. Virginia)',
    AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Apigw403Monitor-MonitorFailureQueueNotEmpty',
    OldStateValue: 'OK',
    Trigger: { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 1 },
    ...fields,
  });

const textOf = (message: ReturnType<typeof slackMessageFor>) =>
  message.blocks.map((block) => ('text' in block ? block.text.text : '')).join('\n');

describe('a CloudWatch alarm notification on the alert topic', () => {
  it('is shown as the alarm: its name, state, description and reason', () => {
    const message = slackMessageFor(notification());
    expect(message.text).toMatch(/^CloudWatch alarm Apigw403Monitor-MonitorFailureQueueNotEmpty.* is ALARM$/);
    const text = textOf(message);
    expect(text).toContain('is ALARM');
    expect(text).toContain('run ˋapigw403 replayˋ');
    expect(text).toContain('Threshold Crossed');
    expect(text).not.toContain('not a monitor alert');
  });

  it.each([
    ['a mention in the name', { AlarmName: '<!channel> x' }, '<!channel>'],
    ['a link in the description', { AlarmDescription: '<https://evil.example|click>' }, '<https:'],
    [
      'a credential in the reason',
      { NewStateReason: 'token=ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5' },
      'ghp_',
    ],
    ['mrkdwn in the state', { NewStateValue: '*ALARM*' }, '*ALARM*'],
  ])('shows %s as inert log text', (_label, fields, live) => {
    const message = slackMessageFor(notification(fields));
    expect(`${message.text}\n${textOf(message)}`).not.toContain(live);
  });

  it('is bounded to one section, however long its fields', () => {
    const message = slackMessageFor(notification({ NewStateReason: 'x '.repeat(5000) }));
    expect(message.blocks).toHaveLength(1);
    expect(textOf(message).length).toBeLessThanOrEqual(3000);
  });

  it('leaves what is not one (no AlarmName, or no state) to the log-text fallback', () => {
    for (const other of ['{"NewStateValue":"ALARM"}', '{"AlarmName":"x"}', 'plain text', '[]']) {
      expect(slackMessageFor(other).text).toBe('A message on the alert topic that is not a monitor alert:');
    }
  });
});
