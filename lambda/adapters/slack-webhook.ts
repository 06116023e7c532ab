import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { IncomingWebhook } from '@slack/webhook';
import type { SlackMessage } from '../core/render/index.js';
import { deliveryError, MonitorError } from './errors.js';

/** Reads the webhook URL: the secret is a plain URL or JSON `{"url": "..."}`. */
export async function readWebhookUrl(client: SecretsManagerClient, secretArn: string): Promise<string> {
  let secret: string | undefined;
  try {
    secret = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    throw deliveryError('reading the Slack webhook secret', error);
  }
  const text = secret?.trim() ?? '';
  const url = text.startsWith('{') ? parseUrlField(text) : text;
  if (!/^https?:\/\//.test(url)) throw new MonitorError('the Slack webhook secret holds no URL', false);
  return url;
}

function parseUrlField(text: string): string {
  try {
    const value = (JSON.parse(text) as { url?: unknown }).url;
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}

/** Retries a 5xx or a network failure a few times (p-retry in `@slack/webhook`), then throws. */
export const SLACK_RETRY = { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000 } as const;

export function slackPoster(url: string): (message: SlackMessage) => Promise<void> {
  const webhook = new IncomingWebhook(url, { retryConfig: { ...SLACK_RETRY }, timeout: 10_000 });
  return async (message) => {
    try {
      await webhook.send({ text: message.text, blocks: [...message.blocks], unfurl_links: false });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      throw new MonitorError(
        `posting to Slack failed: ${error instanceof Error ? error.message : String(error)}`,
        status === undefined || status >= 500,
        { cause: error },
      );
    }
  };
}
