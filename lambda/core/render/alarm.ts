import * as z from 'zod/mini';
import { redactName } from '../redact.js';
import { SLACK_LIMITS, type SlackMessage } from './slack.js';
import { fromLog, neutraliseLogText, truncateEscaped } from './text.js';

/**
 * The fields of a CloudWatch alarm's SNS notification the Slack message shows (the monitor's own
 * alarms publish to the alert topic: the failure queue's, and `alarms.<CATEGORY>`). Anyone allowed
 * to publish to the topic can send this shape, so every value is shown as log text: redacted,
 * neutralised, bounded.
 */
const alarmNotificationSchema = z.looseObject({
  AlarmName: z.string(),
  NewStateValue: z.string(),
  AlarmDescription: z.optional(z.nullable(z.string())),
  NewStateReason: z.optional(z.nullable(z.string())),
  StateChangeTime: z.optional(z.nullable(z.string())),
});

/** Bounds per field, far inside a section's 3,000 characters. */
const ALARM_LIMITS = { name: 255, state: 40, text: 1000 } as const;

/** A Slack message for the CloudWatch alarm notification in `snsMessage`, or undefined when it is none. */
export function renderAlarmSlack(snsMessage: string): SlackMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(snsMessage);
  } catch {
    return undefined;
  }
  const parsed = alarmNotificationSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const alarm = parsed.data;
  // CloudFormation names the stack's alarms (`Stack-LogicalIdHASH-SUFFIX`): a name, not a token.
  const name = truncateEscaped(neutraliseLogText(redactName(alarm.AlarmName)), ALARM_LIMITS.name);
  const state = fromLog(alarm.NewStateValue, ALARM_LIMITS.state);
  const lines = [
    `*CloudWatch alarm* ${name} is ${state}`,
    ...[alarm.AlarmDescription, alarm.NewStateReason, alarm.StateChangeTime]
      .filter((text): text is string => typeof text === 'string' && text !== '')
      .map((text) => fromLog(text, ALARM_LIMITS.text)),
  ];
  return {
    text: `CloudWatch alarm ${name} is ${state}`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncateEscaped(lines.join('\n'), SLACK_LIMITS.sectionText),
          verbatim: true,
        },
      },
    ],
  };
}
