import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchLogsServer } from '../../cli/peers/cloudwatch-logs-server.js';
import { startFaultProxy } from '../../cli/peers/fault-proxy.js';
import { type LocalAws, STATE_TABLE, startLocalAws } from '../../cli/peers/local-aws.js';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { MonitorError } from '../../lambda/adapters/errors.js';
import { StateStore } from '../../lambda/adapters/state-store.js';
import { monitorEnvironment } from '../../lambda/core/monitor-contract.js';
import type { MonitorDeps } from '../../lambda/monitor.js';

/**
 * Delivery semantics on the peers (docs/pipeline.md): one copy per alert under concurrent deliveries,
 * a crashed holder's batch resumed only after its lease, at most one duplicate after a crash between
 * publish and confirm; and what each invocation costs in AWS requests.
 */

let local: LocalAws;
let logs: CloudWatchLogsServer;
let sqs: SQSClient;
let createHandler: typeof import('../../lambda/handler.js').createHandler;
let clock = Date.parse('2026-11-30T10:00:00Z');
const MINUTE = 60_000;
/** The lease outlives the invocation's (default) 60 s by 30 s. */
const PAST_THE_LEASE = 2 * MINUTE;

/** Every API a test uses is watched, its access log group configured; `exec*` APIs log execution lines. */
const APIS = [
  'c0ncurrent',
  'crashpub01',
  'crashconf1',
  'exp1redgrp',
  'exp1redbat',
  'c0unts0001',
  'c0unts0002',
  'c0untsexec',
  'budget0001',
];
const accessGroup = (apiId: string, stage = 'prod') => `/aws/apigateway/${apiId}/${stage}`;

beforeAll(async () => {
  logs = await CloudWatchLogsServer.start();
  local = await startLocalAws({ logsEndpoint: logs.endpoint });
  Object.assign(process.env, local.env, {
    ...monitorEnvironment({
      watchedStages: APIS.flatMap((apiId) =>
        ['prod', 's1', 's2', 's3'].map((stage) => ({
          apiId,
          stage,
          accessLogGroup: accessGroup(apiId, stage),
          executionLogs: apiId === 'c0untsexec',
        })),
      ),
    }),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ createHandler } = await import('../../lambda/handler.js'));
  sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
});

afterAll(async () => {
  await local?.stop();
  await logs?.close();
});

/** A new container: its own clients' memory of the groups, the test's clock. */
const container = (overrides: Partial<MonitorDeps> = {}) =>
  createHandler({ now: () => clock, metrics: () => {}, ...overrides });

let requestNumber = 0;
/** A batch of one log group: `count` 403s of each category given (WAF, invalid API key). */
function batch(
  apiId: string,
  counts: { waf?: number; key?: number; ok?: number } = { waf: 1 },
  stage = 'prod',
) {
  const line = (status: string, responseType: string) => {
    requestNumber += 1;
    return {
      timestamp: clock,
      message: JSON.stringify({
        requestId: `5e1c0a2b-0000-4000-8000-${String(requestNumber).padStart(12, '0')}`,
        apiId,
        stage,
        status,
        error: { message: status === '403' ? 'Forbidden' : '-', responseType },
        ...(responseType === 'WAF_FILTERED' ? { waf: { responseCode: 'WAF_BLOCK', status: '403' } } : {}),
        identity: { sourceIp: '198.51.100.20', userAgent: 'okhttp/4.12.0', apiKeyId: 'k-1' },
        httpMethod: 'POST',
        resourcePath: '/payments',
      }),
    };
  };
  const events = [
    ...Array.from({ length: counts.waf ?? 0 }, () => line('403', 'WAF_FILTERED')),
    ...Array.from({ length: counts.key ?? 0 }, () => line('403', 'INVALID_API_KEY')),
    ...Array.from({ length: counts.ok ?? 0 }, () => line('200', '-')),
  ];
  return subscriptionEvent(logsDocument(accessGroup(apiId, stage), events));
}

async function published(): Promise<number> {
  return (await receiveAll(sqs, local.queueUrls.all)).length;
}

const retryable = (error: unknown) => error instanceof MonitorError && error.retryable;

describe('claims carry an owner and a lease', () => {
  it('publishes one copy when three deliveries of a batch run at once; the others are told to retry', async () => {
    await published();
    const event = batch('c0ncurrent');
    const results = await Promise.allSettled([container()(event), container()(event), container()(event)]);
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(2);
    expect(rejected.every(retryable)).toBe(true);
    expect(await published()).toBe(1);
    // Their retries find the batch finished: nothing more is sent or counted.
    expect(await container()(event)).toMatchObject({ metricEmitted: false, outcomes: [{ action: 'skip' }] });
    expect(await published()).toBe(0);
  });

  it('a crash after the claim, before the publish: nothing until the lease expires, then exactly one copy', async () => {
    await published();
    const event = batch('crashpub01');
    const dying = await dyingContainer('sns', (operation) => operation === 'Publish');
    const crashed = dying.handler(event).catch((error: unknown) => error);
    await dying.stall.arrived;
    // A redelivery while the crashed holder's lease is live publishes nothing and asks for a retry.
    expect(await container()(event).catch(retryable)).toBe(true);
    clock += PAST_THE_LEASE;
    const resumed = await container()(event);
    expect(resumed.outcomes).toMatchObject([{ action: 'alert', why: 'resumed' }]);
    expect(resumed.metricEmitted).toBe(false);
    await dying.proxy.close();
    await crashed;
    expect(await published()).toBe(1);
  });

  it('a crash after the publish, before the batch is confirmed: at most one duplicate, after the lease', async () => {
    await published();
    const event = batch('crashconf1');
    const dying = await dyingContainer(
      'dynamodb',
      (operation, body) => operation === 'UpdateItem' && body.includes('SET #done'),
    );
    const crashed = dying.handler(event).catch((error: unknown) => error);
    await dying.stall.arrived;
    expect(await published()).toBe(1);
    expect(await container()(event).catch(retryable)).toBe(true);
    expect(await published()).toBe(0);
    clock += PAST_THE_LEASE;
    expect((await container()(event)).outcomes).toMatchObject([{ action: 'alert', why: 'resumed' }]);
    expect(await published()).toBe(1);
    await dying.proxy.close();
    await crashed;
    expect((await container()(event)).outcomes).toMatchObject([{ action: 'skip' }]);
    expect(await published()).toBe(0);
  });

  it('resumes only what a failed attempt did not finish', async () => {
    await published();
    const event = batch('c0unts0002', { waf: 2, key: 3 }, 's3');
    // INVALID_API_KEY (high) is handled before WAF_FILTERED (medium); WAF's publish never gets through.
    const failing = await dyingContainer('sns', (_operation, body) =>
      body.includes('StringValue=WAF_FILTERED'),
    );
    const attempt = failing.handler(event).catch((error: unknown) => error);
    await failing.stall.arrived;
    // INVALID_API_KEY's publish has been answered when only the stalled request is left in flight.
    while (failing.proxy.inFlight > 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await failing.proxy.close();
    expect(retryable(await attempt)).toBe(true);
    expect(await published()).toBe(1);
    const retried = await container()(event);
    expect(retried.outcomes.map((outcome) => [outcome.category, outcome.action, outcome.why])).toEqual([
      ['INVALID_API_KEY', 'skip', 'already-applied'],
      ['WAF_FILTERED', 'alert', 'resumed'],
    ]);
    expect(await published()).toBe(1);
  });
});

/**
 * A container whose SNS or DynamoDB client goes through a proxy of its own that never answers the
 * matching requests: the invocation stops there as if its instance had died. Closing the proxy then
 * makes every later request of that client fail, so the dead invocation cannot come back to life.
 */
async function dyingContainer(
  service: 'sns' | 'dynamodb',
  matches: (operation: string, body: string) => boolean,
) {
  const proxy = await startFaultProxy(service === 'sns' ? local.fauxqs.address : local.dynamoEndpoint);
  const stall = proxy.stall(matches);
  const handler = container(
    service === 'sns'
      ? { sns: new SNSClient({ endpoint: proxy.endpoint, maxAttempts: 1 }) }
      : {
          store: new StateStore(
            new DynamoDBClient({ endpoint: proxy.endpoint, maxAttempts: 1 }),
            STATE_TABLE,
          ),
        },
  );
  return { proxy, stall, handler };
}

describe('TTL: an expired item counts as absent (dynalite, like DynamoDB for up to days, keeps it)', () => {
  it('a group item past its TTL is new again: first seen, nothing carried over', async () => {
    const handler = container();
    expect((await handler(batch('exp1redgrp'))).outcomes).toMatchObject([{ action: 'alert' }]);
    expect((await handler(batch('exp1redgrp'))).outcomes).toMatchObject([{ action: 'suppress' }]);
    clock += 31 * 24 * 60 * MINUTE;
    const summary = await handler(batch('exp1redgrp'));
    expect(summary.outcomes).toMatchObject([{ action: 'alert' }]);
    const view = JSON.parse(summary.outcomes[0]?.rendered?.message ?? '{}') as { default: string };
    expect(JSON.parse(view.default)).toMatchObject({ firstSeen: true, suppressedSinceLast: 0 });
  });

  it('a batch record past its TTL is a new delivery: counted and handled again', async () => {
    const handler = container();
    const event = batch('exp1redbat');
    expect(await handler(event)).toMatchObject({ metricEmitted: true });
    expect(await handler(event)).toMatchObject({ metricEmitted: false, outcomes: [{ action: 'skip' }] });
    clock += 8 * 60 * MINUTE;
    // Its 403s were seen 8 hours ago, inside the quiet period: counted again, ongoing, no alert.
    expect(await handler(event)).toMatchObject({
      metricEmitted: true,
      outcomes: [{ action: 'suppress', why: 'ongoing' }],
    });
    expect(await handler(event)).toMatchObject({ metricEmitted: false, outcomes: [{ action: 'skip' }] });
  });
});

describe('AWS requests per invocation, counted at the peers', () => {
  async function requestsOf(run: () => Promise<unknown>) {
    const before = local.awsRequests.snapshot();
    await run();
    return local.awsRequests.since(before);
  }

  it('none for a batch without 403s', async () => {
    expect(await requestsOf(() => container()(batch('c0unts0001', { ok: 20 })))).toEqual({});
  });

  it('per alerting group one UpdateItem and one Publish, per suppressed group one UpdateItem, plus two per batch', async () => {
    const handler = container();
    // One group, then the same group inside its cooldown, then four stages' groups at once.
    expect(await requestsOf(() => handler(batch('c0unts0001')))).toEqual({
      dynamodb: { UpdateItem: 2 + 1 },
      sns: { Publish: 1 },
    });
    expect(await requestsOf(() => handler(batch('c0unts0001')))).toEqual({ dynamodb: { UpdateItem: 2 + 1 } });
    const twoGroups = () => handler(batch('c0unts0001', { waf: 3, key: 2 }));
    // WAF is cooling down (suppressed), INVALID_API_KEY is new (alerts).
    expect(await requestsOf(twoGroups)).toEqual({ dynamodb: { UpdateItem: 2 + 1 + 1 }, sns: { Publish: 1 } });
    expect(await requestsOf(twoGroups)).toEqual({ dynamodb: { UpdateItem: 2 + 2 } });
  });

  it('an alerting group of a stage with execution logs adds its one FilterLogEvents: three', async () => {
    const handler = container();
    expect(await requestsOf(() => handler(batch('c0untsexec', { waf: 2 })))).toEqual({
      dynamodb: { UpdateItem: 2 + 1 },
      logs: { FilterLogEvents: 1 },
      sns: { Publish: 1 },
    });
    expect(await requestsOf(() => handler(batch('c0untsexec', { waf: 2 })))).toEqual({
      dynamodb: { UpdateItem: 2 + 1 },
    });
  });
});

describe('the work per invocation is bounded by its remaining time', () => {
  it('leaves the groups that do not fit for the retry, counted, and the retry sends exactly those', async () => {
    await published();
    const event = batch('budget0001', { waf: 1, key: 1 });
    // 40 s left at the start (reserve 10 s): one group is started, then nothing is left for the other.
    let remaining = 40_000;
    const handler = container();
    const failure = await handler(event, {
      getRemainingTimeInMillis: () => {
        const now = remaining;
        remaining -= 20_000;
        return now;
      },
    }).catch((error: unknown) => error);
    expect(retryable(failure)).toBe(true);
    expect(String(failure)).toMatch(/1 of 2 alert groups did not fit/);
    expect(await published()).toBe(1);
    const retried = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
    expect(retried.outcomes.map((outcome) => outcome.action)).toEqual(['skip', 'alert']);
    expect(await published()).toBe(1);
  });
});
