import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { IncomingWebhook } from '@slack/webhook';
import type { SlackMessage } from '../core/render/index.js';
import { deliveryError, MonitorError } from './errors.js';

/**
 * The webhook URL is a credential (its path is the token): no message, log line or failure record
 * below carries it, whole or in part, valid or not.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Reads the webhook URL: the secret is a plain URL or JSON `{"url": "..."}`. Only `https:` is
 * accepted; `http:` only to a loopback host, where the local peers listen and nothing can eavesdrop.
 */
export async function readWebhookUrl(client: SecretsManagerClient, secretArn: string): Promise<URL> {
  let secret: string | undefined;
  try {
    secret = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    throw deliveryError('reading the Slack webhook secret', error);
  }
  const text = secret?.trim() ?? '';
  return webhookUrl(text.startsWith('{') ? parseUrlField(text) : text);
}

export function webhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The parser's error names its input: the URL. Say what is wrong without it.
    throw new MonitorError('the Slack webhook secret holds no valid URL', false);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) return url;
  throw new MonitorError(
    `the Slack webhook URL must use https (it uses ${url.protocol.slice(0, 10)})`,
    false,
  );
}

function parseUrlField(text: string): string {
  try {
    const value = (JSON.parse(text) as { url?: unknown }).url;
    return typeof value === 'string' ? value.trim() : '';
  } catch {
    return '';
  }
}

/**
 * Attempts and back-off for one message. A 429 waits what `Retry-After` says; every wait and every
 * attempt must end before the caller's deadline (the forwarder passes the invocation's remaining
 * time), otherwise the post fails at once so that Lambda's retries and the on-failure destination
 * keep the alert instead of a timeout losing the error.
 */
export const SLACK_RETRY = {
  attempts: 4,
  minDelayMs: 200,
  maxDelayMs: 2_000,
  requestTimeoutMs: 10_000,
} as const;
/** An attempt that cannot get this long is not worth starting. */
const MIN_ATTEMPT_MS = 1_000;

export interface SlackPosterOptions {
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Posts one message; `budgetMs` is how long the caller can still wait for it. */
export type SlackPost = (message: SlackMessage, budgetMs: number) => Promise<void>;

interface Failure {
  readonly retryable: boolean;
  readonly status?: number;
  readonly detail: string;
}

/** What went wrong, in words of our own: a library or fetch error message may quote the URL. */
function failureOf(error: unknown): Failure {
  const shape = error as { statusCode?: unknown; original?: { name?: unknown; cause?: { code?: unknown } } };
  const status = shape.statusCode;
  if (typeof status === 'number')
    return { retryable: status === 429 || status >= 500, status, detail: `HTTP ${status}` };
  const code = shape.original?.cause?.code ?? shape.original?.name;
  const label = typeof code === 'string' ? code.replace(/[^\w.-]/g, '').slice(0, 40) : 'no response';
  return { retryable: true, detail: `network error (${label})` };
}

/** `Retry-After` in seconds or as an HTTP date, as milliseconds from `now`. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How long to wait before the next attempt, or the error that ends them, with `leftMs` of the budget left. */
function retryWait(
  failure: Failure,
  attempt: number,
  retryAfter: number | undefined,
  leftMs: number,
): number {
  const backoff = Math.min(SLACK_RETRY.maxDelayMs, SLACK_RETRY.minDelayMs * 2 ** (attempt - 1));
  const wait = failure.status === 429 && retryAfter !== undefined ? retryAfter : backoff;
  const outOfTime = wait + MIN_ATTEMPT_MS > leftMs;
  if (failure.retryable && attempt < SLACK_RETRY.attempts && !outOfTime) return wait;
  const why =
    failure.retryable && outOfTime && attempt < SLACK_RETRY.attempts ? ', no time left to retry' : '';
  const message = `posting to Slack failed after ${attempt} attempt(s): ${failure.detail}${why}`;
  if (failure.status !== undefined && WEBHOOK_GONE_STATUSES.has(failure.status))
    throw new SlackWebhookGoneError(message);
  throw new MonitorError(message, failure.retryable);
}

/**
 * What Slack answers a webhook URL that no longer works: 403 `invalid_token` / `action_prohibited`,
 * 404 `no_service` (revoked or rotated), 410 `channel_is_archived`. Retrying the same URL cannot help;
 * the secret may hold a new one.
 */
const WEBHOOK_GONE_STATUSES = new Set([403, 404, 410]);

/** Slack refused the URL itself (revoked, rotated, archived channel): not retryable with this URL. */
export class SlackWebhookGoneError extends MonitorError {
  constructor(message: string) {
    super(message, false);
    this.name = 'SlackWebhookGoneError';
  }
}

export function slackPoster(url: URL, options: SlackPosterOptions = {}): SlackPost {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const fetchFn = options.fetch ?? fetch;
  return async (message, budgetMs) => {
    const deadline = now() + budgetMs;
    let retryAfter: number | undefined;
    let attemptEnd = deadline;
    // The library posts; this fetch gives each attempt the time it may take and reads `Retry-After`.
    const webhook = new IncomingWebhook(url.href, {
      retryConfig: { retries: 0 },
      fetch: async (input, init) => {
        const timeout = AbortSignal.timeout(Math.max(1, attemptEnd - now()));
        const response = await fetchFn(input, {
          ...init,
          signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
        });
        retryAfter = retryAfterMs(response.headers.get('retry-after'), now());
        return response;
      },
    });
    for (let attempt = 1; ; attempt += 1) {
      retryAfter = undefined;
      attemptEnd = Math.min(deadline, now() + SLACK_RETRY.requestTimeoutMs);
      try {
        await webhook.send({ text: message.text, blocks: [...message.blocks], unfurl_links: false });
        return;
      } catch (error) {
        await sleep(retryWait(failureOf(error), attempt, retryAfter, deadline - now()));
      }
    }
  };
}
