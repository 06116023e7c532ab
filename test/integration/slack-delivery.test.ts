import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackReceiver, startSlackReceiver } from '../../cli/peers/slack-receiver.js';
import { MonitorError } from '../../lambda/adapters/errors.js';
import { retryAfterMs, SLACK_RETRY, slackPoster, webhookUrl } from '../../lambda/adapters/slack-webhook.js';
import type { SlackMessage } from '../../lambda/core/render/index.js';

const message: SlackMessage = {
  text: 'test',
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'test', verbatim: true } }],
};

let receiver: SlackReceiver;

beforeAll(async () => {
  receiver = await startSlackReceiver();
});

afterAll(async () => {
  await receiver?.close();
});

/** A poster on the receiver whose sleeps are recorded and take no time. */
function recordingPoster() {
  const waits: number[] = [];
  const post = slackPoster(webhookUrl(receiver.webhookUrl), {
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { post, waits };
}

async function failureOf(promise: Promise<unknown>): Promise<MonitorError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MonitorError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('posting to the Slack webhook on 127.0.0.1', () => {
  it('waits what Retry-After says after a 429, then delivers', async () => {
    const before = receiver.messages.length;
    const attempts = receiver.attempts;
    receiver.failNext(2, 429, { 'retry-after': '3' });
    const { post, waits } = recordingPoster();
    await post(message, 20_000);
    expect(waits).toEqual([3000, 3000]);
    expect(receiver.attempts - attempts).toBe(3);
    expect(receiver.messages.length).toBe(before + 1);
  });

  it('retries a 5xx with back-off', async () => {
    receiver.failNext(1, 503);
    const { post, waits } = recordingPoster();
    await post(message, 20_000);
    expect(waits).toEqual([SLACK_RETRY.minDelayMs]);
  });

  it('gives up at once, retryable, when Retry-After does not fit in the time left', async () => {
    receiver.failNext(1, 429, { 'retry-after': '30' });
    const attempts = receiver.attempts;
    const { post, waits } = recordingPoster();
    const error = await failureOf(post(message, 10_000));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/HTTP 429, no time left to retry/);
    expect(waits).toEqual([]);
    expect(receiver.attempts - attempts).toBe(1);
    receiver.failNext(0);
  });

  it('keeps the whole of its retries inside the budget, on a real clock', async () => {
    receiver.failNext(10, 429, { 'retry-after': '1' });
    const post = slackPoster(webhookUrl(receiver.webhookUrl));
    const started = Date.now();
    const error = await failureOf(post(message, 2_500));
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(error.retryable).toBe(true);
    receiver.failNext(-1);
  });

  it('does not retry a 4xx other than 429', async () => {
    receiver.failNext(1, 404);
    const attempts = receiver.attempts;
    const { post } = recordingPoster();
    const error = await failureOf(post(message, 20_000));
    expect(error.retryable).toBe(false);
    expect(receiver.attempts - attempts).toBe(1);
  });

  it('names a connection failure without the URL', async () => {
    const closed = await startSlackReceiver();
    const url = closed.webhookUrl;
    await closed.close();
    const post = slackPoster(webhookUrl(url), { sleep: async () => {} });
    const error = await failureOf(post(message, 20_000));
    expect(error.message).toMatch(/network error \(ECONNREFUSED\)/);
    expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain('/services/');
    expect(error.cause).toBeUndefined();
  });
});

describe('the webhook URL', () => {
  it.each([
    ['http to a remote host', 'http://hooks.slack.com/services/T1/B2/secretpart'],
    ['a malformed URL', 'hooks.slack.com/services/T1/B2/secretpart'],
    ['a URL with spaces', 'https://hooks slack com/services/T1/B2/secretpart'],
    ['another scheme', 'ftp://hooks.slack.com/services/T1/B2/secretpart'],
  ])('refuses %s and never repeats it', (_name, url) => {
    let caught: unknown;
    try {
      webhookUrl(url);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MonitorError);
    const error = caught as MonitorError;
    expect(error.retryable).toBe(false);
    expect(`${error.message} ${error.stack} ${String(error.cause)}`).not.toContain('secretpart');
  });

  it('accepts https, and http only on loopback', () => {
    expect(webhookUrl('https://hooks.slack.com/services/T1/B2/x').protocol).toBe('https:');
    expect(webhookUrl(receiver.webhookUrl).hostname).toBe('127.0.0.1');
  });

  it('reads Retry-After in seconds and as a date', () => {
    expect(retryAfterMs('7', 0)).toBe(7000);
    expect(retryAfterMs(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(null, 0)).toBeUndefined();
  });
});
