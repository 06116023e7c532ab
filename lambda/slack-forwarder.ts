import { Logger } from '@aws-lambda-powertools/logger';
import type { SNSEvent } from 'aws-lambda';
import { secretsClient } from './adapters/clients.js';
import { forwarderConfig } from './adapters/env-config.js';
import { readWebhookUrl, slackPoster } from './adapters/slack-webhook.js';
import type { AlertView, SlackMessage } from './core/render/index.js';
import { escapeSlack, renderSlackMessage, truncate } from './core/render/index.js';

const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'apigw-403-slack-forwarder',
});

let post: ((message: SlackMessage) => Promise<void>) | undefined;

/** The SNS `default` message is the alert view; anything else published to the topic is shown as text. */
export function slackMessageFor(snsMessage: string): SlackMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(snsMessage);
  } catch {
    parsed = undefined;
  }
  if ((parsed as Partial<AlertView> | undefined)?.schema === 'apigw403.alert/1') {
    return renderSlackMessage(parsed as AlertView);
  }
  const text = escapeSlack(truncate(snsMessage, 2900));
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * SNS → Slack incoming webhook. The URL comes from Secrets Manager (cached per cold start); a failed
 * post is retried, then thrown so that SNS's Lambda retries and the function's on-failure
 * destination keep the alert.
 */
export const handler = async (event: SNSEvent): Promise<void> => {
  if (!post) post = slackPoster(await readWebhookUrl(secretsClient(), forwarderConfig().webhookSecretArn));
  for (const record of event.Records) {
    const message = slackMessageFor(record.Sns.Message);
    await post(message);
    logger.info('posted an alert to Slack', { blocks: message.blocks.length });
  }
};
