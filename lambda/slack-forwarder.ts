import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SNSEvent } from 'aws-lambda';
import { secretsClient } from './adapters/clients.js';
import { forwarderConfig } from './adapters/forwarder-config.js';
import {
  readWebhookUrl,
  type SlackPost,
  SlackWebhookGoneError,
  slackPoster,
} from './adapters/slack-webhook.js';
import { FORWARDER_ENV, FORWARDER_SERVICE_NAME } from './core/monitor-contract.js';
import { renderAlarmSlack } from './core/render/alarm.js';
import { parseAlertView } from './core/render/alert-schema.js';
import { renderDigestSlack } from './core/render/digest.js';
import { parseDigestView } from './core/render/digest-schema.js';
import type { SlackMessage } from './core/render/index.js';
import { fromLog, renderSlackMessage, SLACK_LIMITS } from './core/render/index.js';

const logger = new Logger({
  serviceName: process.env[FORWARDER_ENV.serviceName] ?? FORWARDER_SERVICE_NAME,
});

/** Time kept back from the invocation's remaining time, to throw (and be retried) before the timeout. */
export const DEADLINE_MARGIN_MS = 2_000;
/** Without a Lambda context (local runs): the function's deployed timeout, 30 s, less the margin. */
const DEFAULT_BUDGET_MS = 30_000 - DEADLINE_MARGIN_MS;

/** The poster of the URL last read from the secret, and that URL's text to tell a rotation apart. */
let cached: { readonly post: SlackPost; readonly href: string } | undefined;

async function webhookPoster(): Promise<{ readonly post: SlackPost; readonly href: string }> {
  if (!cached) {
    const url = await readWebhookUrl(secretsClient(), forwarderConfig().webhookSecretArn);
    cached = { post: slackPoster(url), href: url.href };
  }
  return cached;
}

const NOT_AN_ALERT = 'A message on the alert topic that is not a monitor alert:';

/**
 * The SNS `default` message is the alert view (or the digest view). Only a view that passes its schema
 * (the publisher's own form, see alert-schema.ts and digest-schema.ts) is rendered; a CloudWatch alarm
 * notification (the stack's alarms publish to the topic) is shown as one, its values as log text;
 * anything else published to the topic is shown as log text: redacted, neutralised and bounded, never passed through.
 */
export function slackMessageFor(snsMessage: string): SlackMessage {
  const view = parseAlertView(snsMessage);
  if (view) return renderSlackMessage(view);
  const digest = parseDigestView(snsMessage);
  if (digest) return renderDigestSlack(digest);
  const alarm = renderAlarmSlack(snsMessage);
  if (alarm) return alarm;
  const text = fromLog(snsMessage, SLACK_LIMITS.sectionText - NOT_AN_ALERT.length - 1);
  return {
    text: NOT_AN_ALERT,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${NOT_AN_ALERT}\n${text}`, verbatim: true } }],
  };
}

/**
 * Posts one message; when Slack refuses the URL itself (a rotated or revoked webhook), the secret is
 * read again once and, if it now holds another URL, the message goes there: a rotation needs no
 * redeploy or cold start. The same URL again fails as before.
 */
async function postOnce(message: SlackMessage, budgetMs: () => number): Promise<void> {
  const current = await webhookPoster();
  try {
    await current.post(message, budgetMs());
  } catch (error) {
    if (!(error instanceof SlackWebhookGoneError)) throw error;
    cached = undefined;
    const fresh = await webhookPoster();
    if (fresh.href === current.href) throw error;
    logger.info('the Slack webhook secret holds a new URL: posting there');
    await fresh.post(message, budgetMs());
  }
}

/**
 * SNS → Slack incoming webhook. The URL comes from Secrets Manager (cached per container, read again
 * when Slack refuses it); a failed post is retried within the invocation's remaining time, then
 * thrown so that SNS's Lambda retries and the function's on-failure destination keep the alert.
 */
export const handler = async (
  event: SNSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<void> => {
  const budgetMs = () =>
    Math.max(
      0,
      (context?.getRemainingTimeInMillis() ?? DEFAULT_BUDGET_MS + DEADLINE_MARGIN_MS) - DEADLINE_MARGIN_MS,
    );
  for (const record of event.Records) {
    const message = slackMessageFor(record.Sns.Message);
    await postOnce(message, budgetMs);
    logger.info('posted an alert to Slack', { blocks: message.blocks.length });
  }
};
