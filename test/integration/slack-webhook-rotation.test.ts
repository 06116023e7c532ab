/**
 * A warm Slack forwarder after the team rotates its webhook (a new URL in the same secret; Slack answers
 * the old one 403 invalid_token, 404 no_service or 410 channel_is_archived): the forwarder reads the
 * secret again once and posts to the new URL (attack finding 12: it kept the first URL for the
 * container's life, and every alert failed to the failure queue). The real handler, the Secrets Manager
 * peer and two Slack receivers on 127.0.0.1.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCAL_ACCOUNT_ENV } from '../../cli/peers/http-peer.js';
import {
  type SecretsManagerServer,
  startSecretsManagerServer,
} from '../../cli/peers/secrets-manager-server.js';
import { type SlackReceiver, startSlackReceiver } from '../../cli/peers/slack-receiver.js';
import { logsDocument } from '../../cli/scenario/payload.js';
import { classifyDocuments, groupFindings } from '../../lambda/core/index.js';
import { forwarderEnvironment } from '../../lambda/core/monitor-contract.js';
import { buildAlertView, renderPublish } from '../../lambda/core/render/index.js';
import { wafAccessLine } from '../fixtures/monitor-peers.js';

const SECRET = 'apigw-403/slack-webhook';
const GROUP = '/aws/apigateway/a1b2c3d4e5/prod';
let secrets: SecretsManagerServer;
let oldHook: SlackReceiver;
let newHook: SlackReceiver;

/** The alert of one WAF 403, classified and grouped as the monitor does. */
const [group] = groupFindings(
  classifyDocuments([
    logsDocument(GROUP, [
      { timestamp: 1_784_692_374_821, message: wafAccessLine('a1b2c3d4e5', 'prod', 'r-1') },
    ]),
  ]).findings,
);
const alert = JSON.stringify(
  renderPublish(
    buildAlertView(group as NonNullable<typeof group>, {
      region: 'us-east-1',
      logGroups: [GROUP],
      alert: { batchId: 'b', alertedAt: 0, suppressedSinceLast: 0, firstSeen: true },
    }),
  ).view,
);
const event = (id: string) => ({ Records: [{ Sns: { MessageId: id, Message: alert } }] }) as never;

beforeAll(async () => {
  secrets = await startSecretsManagerServer('us-east-1');
  Object.assign(process.env, LOCAL_ACCOUNT_ENV, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
});

beforeEach(async () => {
  await Promise.all([oldHook?.close(), newHook?.close()]);
  [oldHook, newHook] = await Promise.all([startSlackReceiver(), startSlackReceiver()]);
  Object.assign(
    process.env,
    forwarderEnvironment({
      webhookSecretArn: secrets.putSecret(SECRET, JSON.stringify({ url: oldHook.webhookUrl })),
    }),
  );
  // A new container: the module's cached URL starts empty.
  vi.resetModules();
});

afterAll(async () => {
  await Promise.all([secrets?.close(), oldHook?.close(), newHook?.close()]);
});

/** A warm forwarder that has posted once to the old URL. */
async function warmForwarder() {
  const { handler } = await import('../../lambda/slack-forwarder.js');
  await handler(event('m-1'));
  expect(oldHook.messages).toHaveLength(1);
  return handler;
}

describe('the Slack forwarder after the webhook secret is rotated', () => {
  it.each([403, 404, 410])('Slack answers the old URL %i: the alert goes to the new URL', async (status) => {
    const handler = await warmForwarder();
    secrets.putSecret(SECRET, JSON.stringify({ url: newHook.webhookUrl }));
    oldHook.failNext(100, status);
    await handler(event('m-2'));
    expect(newHook.messages).toHaveLength(1);
    expect(oldHook.attempts).toBe(2);
    // The new URL is kept: the next alert goes straight there.
    await handler(event('m-3'));
    expect({ old: oldHook.attempts, new: newHook.messages.length }).toEqual({ old: 2, new: 2 });
  });

  it('the secret still holds the refused URL: the post fails, not retryable, after one attempt', async () => {
    const handler = await warmForwarder();
    oldHook.failNext(100, 404);
    await expect(handler(event('m-2'))).rejects.toMatchObject({
      retryable: false,
      message: 'posting to Slack failed after 1 attempt(s): HTTP 404',
    });
    expect({ old: oldHook.attempts, new: newHook.attempts }).toEqual({ old: 2, new: 0 });
  });

  it('a failure that is not about the URL (500) is retried on the same URL', async () => {
    const handler = await warmForwarder();
    secrets.putSecret(SECRET, JSON.stringify({ url: newHook.webhookUrl }));
    oldHook.failNext(1, 500);
    await handler(event('m-2'));
    expect({ old: oldHook.messages.length, new: newHook.attempts }).toEqual({ old: 2, new: 0 });
  });
});
