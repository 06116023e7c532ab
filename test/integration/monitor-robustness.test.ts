import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { messageForProtocol, receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import type { WatchedStage } from '../../lambda/adapters/env-config.js';
import { executionLogGroupName } from '../../lambda/core/index.js';
import {
  FOREIGN_LINES_METRIC,
  INVALID_PAYLOADS_METRIC,
  SKIPPED_EVENTS_METRIC,
  UNWATCHED_GROUP_METRIC,
} from '../../lambda/core/render/index.js';
import type { MonitorDeps } from '../../lambda/monitor.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';
import { envelope } from '../fixtures/payloads.js';

/**
 * Hostile payloads and faults through the real handler on the local peers: what cannot be parsed is
 * counted and skipped, only configured log groups alert, and a hung peer cannot hold an invocation.
 */

const WATCHED: WatchedStage[] = [
  {
    apiId: 'w4tch3dap1',
    stage: 'prod',
    accessLogGroup: '/aws/apigateway/w4tch3dap1/prod',
    executionLogs: false,
  },
  {
    apiId: 'n3st3dap1x',
    stage: 'prod',
    accessLogGroup: '/aws/apigateway/n3st3dap1x/prod',
    executionLogs: false,
  },
  {
    apiId: 'surr0gat3x',
    stage: 'prod',
    accessLogGroup: '/aws/apigateway/surr0gat3x/prod',
    executionLogs: false,
  },
  {
    apiId: 'sn5hungap1',
    stage: 'prod',
    accessLogGroup: '/aws/apigateway/sn5hungap1/prod',
    executionLogs: false,
  },
  {
    apiId: 'n01dap1xxx',
    stage: 'prod',
    accessLogGroup: '/aws/apigateway/n01dap1xxx/prod',
    executionLogs: false,
  },
  // Two stages behind one access log group: the line names its stage, which must be one of these.
  { apiId: 'sh4r3dap1x', stage: 'v1', accessLogGroup: '/aws/apigateway/shared', executionLogs: false },
  { apiId: 'sh4r3dap1x', stage: 'v2', accessLogGroup: '/aws/apigateway/shared', executionLogs: false },
  // An access log and execution logs: the execution lines are evidence, fetched by the lookup.
  {
    apiId: 'b0thl0gs1x',
    stage: 'prod',
    accessLogGroup: '/aws/apigateway/b0thl0gs1x/prod',
    executionLogs: true,
  },
  {
    apiId: 'h4ngl0gs1x',
    stage: 'prod',
    accessLogGroup: '/aws/apigateway/h4ngl0gs1x/prod',
    executionLogs: true,
  },
  // Execution logs only: they are the stage's only record of its 403s.
  { apiId: 'ex3c0n1yap', stage: 'v1', executionLogs: true },
];

const peers = useMonitorPeers(WATCHED);
let metric: Record<string, unknown>[] = [];
let logLines: { level: string; message: string; counts: Record<string, unknown> }[] = [];
let seq = 0;

function monitor(overrides: Partial<MonitorDeps> = {}) {
  metric = [];
  logLines = [];
  return peers.createHandler({
    metrics: (documents) => metric.push(...documents),
    log: (level, message, counts) => logLines.push({ level, message, counts }),
    ...overrides,
  });
}

function requestId(): string {
  seq += 1;
  return `7f0c2a4e-${String(seq).padStart(4, '0')}-4a5b-9c6d-0000000000aa`;
}

function wafLine(apiId: string, stage: string, fields: Record<string, unknown> = {}): string {
  return wafAccessLine(apiId, stage, requestId(), fields);
}

const events = (messages: readonly string[]) =>
  messages.map((message, index) => ({ timestamp: Date.now() + index, message }));

function metricTotal(name: string): number {
  return metric.reduce((sum, document) => sum + (typeof document[name] === 'number' ? document[name] : 0), 0);
}

function forbiddenByGroup(): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const document of metric) {
    const value = document.Forbidden403Requests;
    if (typeof value !== 'number') continue;
    const key = `${String(document.ApiId)}/${String(document.Stage)}/${String(document.Category)}`;
    totals[key] = (totals[key] ?? 0) + value;
  }
  return totals;
}

async function published(): Promise<{ subject: string; email: string }[]> {
  return (await receiveAll(peers.sqs, peers.local.queueUrls.all)).map(({ envelope }) => ({
    subject: envelope.Subject ?? '',
    email: messageForProtocol(envelope.Message, 'email'),
  }));
}

/** Drains earlier alerts, then delivers `messages` from `logGroup` to a new handler. */
async function deliver(logGroup: string, messages: readonly string[], overrides: Partial<MonitorDeps> = {}) {
  await published();
  return monitor(overrides)(subscriptionEvent(logsDocument(logGroup, events(messages))));
}

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

describe('what cannot be parsed is counted and skipped, the rest of the batch is processed', () => {
  it('a line nested 20,000 deep', async () => {
    const summary = await deliver('/aws/apigateway/n3st3dap1x/prod', [
      wafLine('n3st3dap1x', 'prod'),
      nested(20_000),
      wafLine('n3st3dap1x', 'prod'),
    ]);
    expect(summary).toMatchObject({ kind: 'data', findings: 2 });
    expect(forbiddenByGroup()).toEqual({ 'n3st3dap1x/prod/WAF_FILTERED': 2 });
    expect(logLines.find((line) => line.message === 'classified a batch')?.counts).toMatchObject({
      unrecognised: 1,
    });
    expect(await published()).toHaveLength(1);
  });

  it('a lone surrogate in the API id, the stage, the request id and the user agent', async () => {
    const hostile = wafLine('surr0gat3x\ud800', 'prod\udfff', {
      requestId: '7f0c2a4e-\ud800-4a5b',
      identity: { sourceIp: '203.0.113.7', userAgent: 'curl\ud83d' },
      resourcePath: '/orders\udc00',
    });
    const summary = await deliver('/aws/apigateway/surr0gat3x/prod', [
      hostile,
      wafLine('surr0gat3x', 'prod'),
    ]);
    expect(summary.kind).toBe('data');
    const alerts = await published();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toContain('surr0gat3x/prod');
    expect(alerts[0]?.email).not.toMatch(/\p{Cs}/u);
  });

  it('one event without an id, one with a non-string message', async () => {
    await published();
    const handler = monitor();
    const good = logsDocument('/aws/apigateway/n01dap1xxx/prod', events([wafLine('n01dap1xxx', 'prod')]));
    const document = {
      ...good,
      logEvents: [
        ...good.logEvents,
        { timestamp: Date.now(), message: wafLine('n01dap1xxx', 'prod') },
        { id: 'x', timestamp: Date.now(), message: 42 },
        'not an event',
      ],
    };
    const summary = await handler(envelope(document));
    expect(summary).toMatchObject({ kind: 'data', findings: 1 });
    expect(logLines.find((line) => line.message === 'classified a batch')?.counts).toMatchObject({
      skippedEvents: 3,
    });
    expect(metricTotal(SKIPPED_EVENTS_METRIC)).toBe(3);
    expect(await published()).toHaveLength(1);
  });

  it('a payload that is not a subscription event at all is still counted as invalid', async () => {
    const summary = await monitor()({ awslogs: { data: 'not base64 gzip' } });
    expect(summary.kind).toBe('invalid');
    expect(metricTotal(INVALID_PAYLOADS_METRIC)).toBe(1);
  });
});

describe('only configured log groups can alert', () => {
  it('lines from another log group are counted and dropped, whatever API they name', async () => {
    const summary = await deliver('/some/other/app-logs', [
      wafLine('w4tch3dap1', 'prod'),
      wafLine('a1b2c3d4e5', 'prod'),
    ]);
    expect(summary).toMatchObject({ kind: 'unwatched', findings: 0, outcomes: [] });
    expect(forbiddenByGroup()).toEqual({});
    expect(metricTotal(UNWATCHED_GROUP_METRIC)).toBe(1);
    expect(logLines.find((line) => line.level === 'warn')?.counts).toMatchObject({ events: 2 });
    expect(await published()).toHaveLength(0);
  });

  it("the API id and stage come from the group's configuration, not from the line", async () => {
    const summary = await deliver('/aws/apigateway/w4tch3dap1/prod', [
      wafLine('a1b2c3d4e5', 'prod'),
      wafLine('w4tch3dap1', 'other'),
    ]);
    expect(summary.outcomes.map((outcome) => `${outcome.apiId}/${outcome.stage}`)).toEqual([
      'w4tch3dap1/prod',
    ]);
    expect(forbiddenByGroup()).toEqual({ 'w4tch3dap1/prod/WAF_FILTERED': 2 });
    const alerts = await published();
    expect(alerts.map((alert) => alert.subject)).toEqual([expect.stringContaining('w4tch3dap1/prod')]);
    expect(alerts[0]?.email).not.toContain('a1b2c3d4e5');
  });

  it('a group shared by stages keeps the stage a line names only when it is one of them', async () => {
    await deliver('/aws/apigateway/shared', [
      wafLine('sh4r3dap1x', 'v1'),
      wafLine('sh4r3dap1x', 'v2'),
      wafLine('sh4r3dap1x', 'v3'),
      wafLine('a1b2c3d4e5', 'v1'),
    ]);
    expect(forbiddenByGroup()).toEqual({
      'sh4r3dap1x/v1/WAF_FILTERED': 1,
      'sh4r3dap1x/v2/WAF_FILTERED': 1,
    });
    expect(logLines.find((line) => line.message === 'classified a batch')?.counts).toMatchObject({
      foreignLines: 2,
    });
    expect(metricTotal(FOREIGN_LINES_METRIC)).toBe(2);
    expect(await published()).toHaveLength(2);
  });
});

describe('execution logs: evidence when the stage has an access log, classified when they are all it has', () => {
  const executionLines = (id: string) => [
    `(${id}) Extended Request Id: UBuxiEZSIAMFQ1Q=`,
    `(${id}) API Key **********************************gE96dR not authorized because method 'GET /' requires API Key and API Key is not associated with a Usage Plan for API Stage ex3c0n1yap/v1: API Stage is not in a Usage Plan`,
    `(${id}) Method completed with status: 403`,
  ];

  it('an execution-log-only stage alerts on its execution lines', async () => {
    const summary = await deliver(executionLogGroupName('ex3c0n1yap', 'v1'), executionLines(requestId()));
    expect(summary).toMatchObject({ kind: 'data', findings: 1 });
    expect(forbiddenByGroup()).toEqual({ 'ex3c0n1yap/v1/INVALID_API_KEY': 1 });
    expect((await published()).map((alert) => alert.subject)).toEqual([
      expect.stringContaining('ex3c0n1yap/v1'),
    ]);
  });

  it('the execution lines of a stage with an access log are evidence only', async () => {
    const summary = await deliver(executionLogGroupName('b0thl0gs1x', 'prod'), executionLines(requestId()));
    expect(summary).toMatchObject({ kind: 'evidence-only', findings: 0 });
    expect(forbiddenByGroup()).toEqual({});
    expect(await published()).toHaveLength(0);
  });

  it('the execution lines of a stage that is not watched are dropped', async () => {
    const summary = await deliver(executionLogGroupName('n0tw4tch3d', 'v1'), executionLines(requestId()));
    expect(summary).toMatchObject({ kind: 'unwatched', findings: 0 });
    expect(await published()).toHaveLength(0);
  });
});

/** A loopback server that accepts connections and reads requests but never answers. */
async function hangingServer(): Promise<{
  endpoint: string;
  requests: () => number;
  close(): Promise<void>;
}> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer(() => {
    requests += 1;
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface HandlerOptions {
  readonly connectionTimeout?: number;
  readonly requestTimeout?: number;
  readonly throwOnRequestTimeout?: boolean;
}

describe('a peer that never answers cannot hold an invocation', () => {
  it('a hung FilterLogEvents: the alert goes out without evidence before the deadline', async () => {
    const hanging = await hangingServer();
    const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
    const { logsClientConfig } = await import('../../lambda/adapters/clients.js');
    try {
      await published();
      const handler = monitor({
        logs: new CloudWatchLogsClient({ ...logsClientConfig, endpoint: hanging.endpoint }),
      });
      const document = logsDocument(
        '/aws/apigateway/h4ngl0gs1x/prod',
        events([wafLine('h4ngl0gs1x', 'prod')]),
      );
      // Just above the time the monitor keeps in reserve, so the group starts; the lookup gets a quarter.
      const summary = await handler(subscriptionEvent(document), { getRemainingTimeInMillis: () => 10_400 });
      expect(summary.outcomes).toMatchObject([{ action: 'alert' }]);
      expect(hanging.requests()).toBeGreaterThanOrEqual(1);
      const [alert] = await published();
      expect(alert?.email).toContain('The execution-log lookup failed');
    } finally {
      await hanging.close();
    }
  });

  it('every SDK client of the Lambda has a connection and a request timeout', async () => {
    const clients = await import('../../lambda/adapters/clients.js');
    for (const create of [
      clients.snsClient,
      clients.dynamoClient,
      clients.logsClient,
      clients.secretsClient,
    ]) {
      const handler = create().config.requestHandler as unknown as {
        configProvider?: Promise<HandlerOptions>;
        config?: HandlerOptions;
      };
      const config = handler.config ?? (await handler.configProvider);
      expect(config?.connectionTimeout).toBeGreaterThan(0);
      expect(config?.requestTimeout).toBeGreaterThan(0);
      // Without it, the SDK only logs a warning when the request timeout passes.
      expect(config?.throwOnRequestTimeout).toBe(true);
    }
  });

  it('a hung SNS Publish fails the invocation (retryable) instead of holding it; the retry alerts', async () => {
    const hanging = await hangingServer();
    const { SNSClient } = await import('@aws-sdk/client-sns');
    const { snsClientConfig } = await import('../../lambda/adapters/clients.js');
    const { MonitorError } = await import('../../lambda/adapters/errors.js');
    try {
      await published();
      // One attempt, so that the test waits one request timeout instead of the SDK's three.
      const hung = monitor({
        sns: new SNSClient({ ...snsClientConfig, endpoint: hanging.endpoint, maxAttempts: 1 }),
      });
      const event = subscriptionEvent(
        logsDocument('/aws/apigateway/sn5hungap1/prod', events([wafLine('sn5hungap1', 'prod')])),
      );
      const failure = await hung(event).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MonitorError);
      expect(failure).toMatchObject({ retryable: true, message: expect.stringMatching(/TimeoutError/) });
      expect(hanging.requests()).toBe(1);
      expect(await published()).toHaveLength(0);
      expect(await monitor()(event)).toMatchObject({ outcomes: [{ action: 'alert' }] });
      expect(await published()).toHaveLength(1);
    } finally {
      await hanging.close();
    }
  });
});
