import type { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudWatchLogsServer } from '../../cli/peers/cloudwatch-logs-server.js';
import type { LocalAws } from '../../cli/peers/local-aws.js';
import { deliverToLambda, messageForProtocol, receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { buildScenario, HOSTILE, WATCHED_STAGES } from '../../cli/scenario/scenario.js';
import { MonitorError } from '../../lambda/adapters/errors.js';
import { MONITOR_ENV, monitorEnvironment, parseWatchedStages } from '../../lambda/core/monitor-contract.js';
import { METRIC_NAME } from '../../lambda/core/render/index.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

let local: LocalAws;
let logs: CloudWatchLogsServer;
let sqs: SQSClient;
let createHandler: typeof import('../../lambda/handler.js').createHandler;
let forwarder: typeof import('../../lambda/slack-forwarder.js').handler;
const metric: Record<string, unknown>[] = [];
let clock = Date.now();

const peers = useMonitorPeers(WATCHED_STAGES);

beforeAll(async () => {
  ({ local, logs, sqs, createHandler } = peers);
  ({ handler: forwarder } = await import('../../lambda/slack-forwarder.js'));
});

const monitor = () => createHandler({ now: () => clock, metrics: (documents) => metric.push(...documents) });

function metricByCategory(): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const document of metric) {
    const value = document[METRIC_NAME];
    if (typeof value === 'number')
      totals[String(document.Category)] = (totals[String(document.Category)] ?? 0) + value;
  }
  return totals;
}

/**
 * One WAF 403 on an API of its own, so a test's cooldown state is its own. Only configured log groups
 * alert, so its stage joins the watched stages (a handler reads them on its first invocation).
 */
function wafEvent(apiId: string, requestId: string) {
  const watched = parseWatchedStages(process.env[MONITOR_ENV.watchedStages]);
  if (!watched.ok) throw new Error(watched.problem);
  const accessLogGroup = `/aws/apigateway/${apiId}/prod`;
  Object.assign(
    process.env,
    monitorEnvironment({ watchedStages: [...watched.stages, { apiId, stage: 'prod', accessLogGroup }] }),
  );
  const message = wafAccessLine(apiId, 'prod', requestId);
  return subscriptionEvent(logsDocument(`/aws/apigateway/${apiId}/prod`, [{ timestamp: clock, message }]));
}

describe('the monitor on local peers', () => {
  it('plays the scenario: the metric counts every 403 once, one alert per group, filter policies apply', async () => {
    const start = Date.now() - 30 * 60_000;
    const scenario = buildScenario(start);
    for (const seed of scenario.executionLogs) logs.putLogEvents(seed.logGroup, 'stream', seed.events);
    const handler = monitor();
    const alerts: { category: string; apiId: string; stage: string }[] = [];
    for (const delivery of scenario.deliveries) {
      clock = start + delivery.minute * 60_000;
      const summary = await handler(subscriptionEvent(delivery.document));
      alerts.push(...summary.outcomes.filter((outcome) => outcome.action === 'alert'));
    }
    expect(metricByCategory()).toEqual(scenario.sent);
    expect(Object.keys(scenario.sent).length).toBeGreaterThanOrEqual(12);
    const keys = alerts.map((alert) => `${alert.apiId}/${alert.stage}/${alert.category}`);
    // Every group alerts once, as new: INVALID_API_KEY's waves 2 (inside its first window, escalated
    // but realertMinutes after its new alert) and 3 (ongoing) are counted, not alerted.
    expect(keys.filter((key) => key === 'a1b2c3d4e5/prod/INVALID_API_KEY')).toHaveLength(1);
    expect(new Set(keys).size).toBe(keys.length);

    const all = await receiveAll(sqs, local.queueUrls.all);
    expect(all).toHaveLength(alerts.length);
    const urgent = await receiveAll(sqs, local.queueUrls.urgent);
    const severities = urgent.map((entry) => entry.envelope.MessageAttributes?.severity?.Value);
    expect(severities.length).toBeGreaterThan(0);
    expect(severities.every((severity) => severity === 'critical' || severity === 'high')).toBe(true);
    expect(urgent.length).toBeLessThan(all.length);

    const apiKey = all.find(
      (entry) =>
        entry.envelope.MessageAttributes?.category?.Value === 'INVALID_API_KEY' &&
        entry.envelope.MessageAttributes?.stage?.Value === 'prod',
    )?.envelope;
    const email = messageForProtocol(apiKey?.Message ?? '{}', 'email');
    expect(email).toContain('New: first 403 of this category for this stage in 24 h.');
    // Routes filter on these (SNS subscription filter policies): every alert carries them.
    for (const { envelope } of all) {
      expect(envelope.MessageAttributes).toMatchObject({
        kind: { Value: 'alert' },
        action: { Value: 'alert' },
        lifecycle: { Value: 'new' },
      });
    }
    // The join: the access-counted group carries the execution log's usage-plan reason.
    expect(email).toContain('key-not-in-usage-plan');
    const explicitDeny = all.find(
      (entry) => entry.envelope.MessageAttributes?.category?.Value === 'AUTHORIZER_EXPLICIT_DENY',
    );
    expect(messageForProtocol(explicitDeny?.envelope.Message ?? '{}', 'email')).toMatch(
      /Effect.{0,12}Deny|authorizer/i,
    );

    for (const { envelope } of all) {
      expect(envelope.Subject?.length ?? 0).toBeLessThan(100);
      const chatbot = JSON.parse(messageForProtocol(envelope.Message, 'https')) as {
        version: string;
        source: string;
        metadata: { threadId: string };
      };
      expect(chatbot).toMatchObject({ version: '1.0', source: 'custom' });
      for (const secret of [
        HOSTILE.bearer,
        'AKIAIOSFODNN7EXAMPLE',
        HOSTILE.secretKey,
        '<!channel>',
        '<https://evil',
      ]) {
        expect(envelope.Message).not.toContain(secret);
      }
    }

    expect(await deliverToLambda(sqs, local.queueUrls.slack, forwarder)).toBe(alerts.length);
    expect(local.slack.messages).toHaveLength(alerts.length);
    for (const message of local.slack.messages) {
      const text = JSON.stringify(message);
      expect(text).not.toContain('<!channel>');
      expect((message.blocks ?? []).length).toBeLessThanOrEqual(50);
    }
  });

  it('does not alert or count twice when Lambda retries the same batch', async () => {
    const handler = monitor();
    const event = wafEvent('r3tr1edap1', '7f0c2a4e-1111-4a5b-9c6d-000000000001');
    const before = metric.length;
    const first = await handler(event);
    const second = await handler(event);
    expect(first.outcomes.map((outcome) => outcome.action)).toEqual(['alert']);
    expect(second.outcomes.map((outcome) => outcome.action)).toEqual(['skip']);
    expect(second.metricEmitted).toBe(false);
    expect(metric.length - before).toBe(1);
    expect(await receiveAll(sqs, local.queueUrls.all)).toHaveLength(1);
  });

  it('fails the invocation while SNS is down and loses nothing: the retry publishes once', async () => {
    const handler = monitor();
    const event = wafEvent('d0wnap1000', '7f0c2a4e-2222-4a5b-9c6d-000000000002');
    local.snsProxy.setDown(true);
    const failure = await handler(event).catch((error: unknown) => error);
    local.snsProxy.setDown(false);
    expect(failure).toBeInstanceOf(MonitorError);
    expect((failure as MonitorError).retryable).toBe(true);
    expect(await receiveAll(sqs, local.queueUrls.all)).toHaveLength(0);

    const retried = await handler(event);
    expect(retried.outcomes).toMatchObject([{ action: 'alert', why: 'resumed' }]);
    expect(await receiveAll(sqs, local.queueUrls.all)).toHaveLength(1);
    expect(await handler(event)).toMatchObject({ outcomes: [{ action: 'skip' }] });
  });

  it('retries a throttled Publish', async () => {
    const refusedBefore = local.snsProxy.refused;
    local.snsProxy.throttleNext(2);
    const summary = await monitor()(wafEvent('thr0ttled1', '7f0c2a4e-3333-4a5b-9c6d-000000000003'));
    expect(summary.outcomes).toMatchObject([{ action: 'alert' }]);
    expect(local.snsProxy.refused - refusedBefore).toBe(2);
    expect(await receiveAll(sqs, local.queueUrls.all)).toHaveLength(1);
  });

  it('retries a Slack 500, and raises when Slack keeps failing', async () => {
    await deliverToLambda(sqs, local.queueUrls.slack, forwarder);
    await monitor()(wafEvent('sl4ckfa1l1', '7f0c2a4e-4444-4a5b-9c6d-000000000004'));
    await monitor()(wafEvent('sl4ckfa1l2', '7f0c2a4e-5555-4a5b-9c6d-000000000005'));
    const pending = await receiveAll(sqs, local.queueUrls.slack);
    expect(pending).toHaveLength(2);
    const { snsEventFor } = await import('../../cli/peers/sns-delivery.js');
    const [first, second] = pending;
    if (!first || !second) throw new Error('two alerts expected');

    const before = { attempts: local.slack.attempts, messages: local.slack.messages.length };
    local.slack.failNext(1);
    await forwarder(snsEventFor(first.envelope, 'sub'));
    expect(local.slack.attempts - before.attempts).toBe(2);
    expect(local.slack.messages.length - before.messages).toBe(1);

    local.slack.failNext(10);
    const failure = await forwarder(snsEventFor(second.envelope, 'sub')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MonitorError);
    expect((failure as MonitorError).retryable).toBe(true);
    expect(local.slack.messages.length - before.messages).toBe(1);
  });

  it('drops a bad payload without throwing and counts it', async () => {
    const before = metric.length;
    const summary = await monitor()({ awslogs: { data: 'not base64 gzip' } });
    expect(summary.kind).toBe('invalid');
    expect(metric.slice(before)).toMatchObject([{ ClassifierInvalidPayloads: 1 }]);
  });
});
