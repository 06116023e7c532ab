import { gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drainWithMapping,
  kinesisEvent,
  type LocalKinesis,
  putRawRecord,
  putSubscriptionRecord,
  startKinesis,
} from '../../cli/peers/kinesis.js';
import { type LocalAws, startLocalAws } from '../../cli/peers/local-aws.js';
import { messageForProtocol, receiveAll } from '../../cli/peers/sns-delivery.js';
import {
  buildAccountsScenario,
  LISTED_ACCOUNTS,
  SOURCE_ACCOUNT_A,
  SOURCE_ACCOUNT_B,
  UNLISTED_ACCOUNT,
} from '../../cli/scenario/accounts.js';
import { logsDocument } from '../../cli/scenario/payload.js';
import { monitorConfig } from '../../lambda/adapters/env-config.js';
import { StateStore } from '../../lambda/adapters/state-store.js';
import type { Category, LogsDocument } from '../../lambda/core/index.js';
import {
  emptyRing,
  type GroupKey,
  type GroupState,
  HOUR_SLOTS,
  PERIOD_SLOTS,
} from '../../lambda/core/lifecycle.js';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { parseNoisePolicy, ROUTING_ATTRIBUTES, SWEEP_EVENT } from '../../lambda/core/noise-policy.js';
import { buildDigestViews } from '../../lambda/core/render/digest-view.js';
import {
  FOREIGN_LINES_METRIC,
  INVALID_PAYLOADS_METRIC,
  METRIC_NAME,
  UNLISTED_ACCOUNT_METRIC,
  UNWATCHED_GROUP_METRIC,
} from '../../lambda/core/render/index.js';
import { createHandler } from '../../lambda/handler.js';

let local: LocalAws;
let kinesis: LocalKinesis;
let sqs: SQSClient;
let createKinesisHandler: typeof import('../../lambda/kinesis-handler.js').createKinesisHandler;
let metric: Record<string, unknown>[] = [];
let clock = Date.now();

beforeAll(async () => {
  kinesis = await startKinesis();
  local = await startLocalAws();
  Object.assign(process.env, local.env, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
  ({ createKinesisHandler } = await import('../../lambda/kinesis-handler.js'));
  sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
});

afterAll(async () => {
  await local?.stop();
  await kinesis?.close();
});

const monitor = () =>
  createKinesisHandler({
    now: () => clock,
    metrics: (documents) => metric.push(...documents),
    sourceAccounts: LISTED_ACCOUNTS,
  });

function totals(name: string, key: (document: Record<string, unknown>) => string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const document of metric) {
    const value = document[name];
    if (typeof value === 'number') sums[key(document)] = (sums[key(document)] ?? 0) + value;
  }
  return sums;
}

/** One WAF 403 of account A on an API of its own, so a test's cooldown state is its own. */
const wafDocument = (apiId: string, id: string) => ({
  ...logsDocument(`/aws/apigateway/${apiId}/prod`, [
    {
      timestamp: clock,
      message: JSON.stringify({
        requestId: id,
        apiId,
        stage: 'prod',
        status: '403',
        error: { message: 'Forbidden', responseType: 'WAF_FILTERED' },
        waf: { responseCode: 'WAF_BLOCK', status: '403' },
      }),
    },
  ]),
  owner: SOURCE_ACCOUNT_A,
});

describe('the central monitor on kinesalite', () => {
  it('reads two source accounts from the destination stream: counts, alerts and attributes name the account', async () => {
    metric = [];
    const start = Date.now() - 10 * 60_000;
    const scenario = buildAccountsScenario(start);
    const streamArn = await kinesis.createStream('central-403', 2);
    for (const delivery of scenario.deliveries)
      await putSubscriptionRecord(kinesis.client, 'central-403', delivery.document);
    // Written by something that is not CloudWatch Logs: counted, skipped, never retried.
    await putRawRecord(kinesis.client, 'central-403', Buffer.from('not a subscription payload'));
    clock = start + 3 * 60_000;
    const run = await drainWithMapping(monitor(), {
      client: kinesis.client,
      streamName: 'central-403',
      streamArn,
      batchSize: 3,
    });
    expect(run).toMatchObject({
      records: scenario.deliveries.length + 1,
      failedBatches: 0,
      sentToFailureQueue: 0,
    });

    const expected: Record<string, number> = {};
    for (const [account, categories] of Object.entries(scenario.sent))
      for (const [category, count] of Object.entries(categories)) expected[`${account}/${category}`] = count;
    expect(totals(METRIC_NAME, (document) => `${document.Account}/${document.Category}`)).toEqual(expected);
    for (const document of metric.filter((entry) => METRIC_NAME in entry)) {
      expect(JSON.stringify(document._aws)).toContain(
        '[["Account","ApiId","Stage","Category"],["Account","Category"]]',
      );
    }
    expect(totals(UNLISTED_ACCOUNT_METRIC, () => 'all')).toEqual({ all: scenario.unlistedDocuments });
    expect(totals(INVALID_PAYLOADS_METRIC, () => 'all')).toEqual({ all: 1 });

    const alerts = await receiveAll(sqs, local.queueUrls.all);
    const accounts = alerts.map((entry) => entry.envelope.MessageAttributes?.account?.Value);
    expect(new Set(accounts)).toEqual(new Set(LISTED_ACCOUNTS));
    expect(accounts).not.toContain(UNLISTED_ACCOUNT);
    const fromA = alerts.find(
      (entry) => entry.envelope.MessageAttributes?.account?.Value === SOURCE_ACCOUNT_A,
    );
    expect(messageForProtocol(fromA?.envelope.Message ?? '{}', 'email')).toContain(
      `account ${SOURCE_ACCOUNT_A}`,
    );
    const view = JSON.parse(messageForProtocol(fromA?.envelope.Message ?? '{}', 'sqs')) as {
      account?: string;
    };
    expect(view.account).toBe(SOURCE_ACCOUNT_A);
  });

  it('reports the first record whose delivery failed; the retry publishes once and counts once', async () => {
    metric = [];
    clock = Date.now();
    const records = [wafDocument('f1a2i3l4e5', 'req-f1'), wafDocument('f6a7i8l9e0', 'req-f2')].map(
      (doc, index) => ({
        SequenceNumber: `4968000000000000000000000000000000000000000000000000000${index}`,
        PartitionKey: 'p',
        Data: gzipSync(JSON.stringify(doc)),
        ApproximateArrivalTimestamp: new Date(clock),
      }),
    );
    const event = kinesisEvent(
      records,
      'shardId-000000000000',
      'arn:aws:kinesis:us-east-1:999999999999:stream/s',
    );
    const handler = monitor();
    local.snsProxy.setDown(true);
    const failed = await handler(event);
    local.snsProxy.setDown(false);
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.SequenceNumber }]);
    expect(failed.summaries).toHaveLength(0);
    expect(totals(METRIC_NAME, () => 'all')).toEqual({ all: 1 });

    const retried = await handler(event);
    expect(retried.batchItemFailures).toEqual([]);
    expect(totals(METRIC_NAME, () => 'all')).toEqual({ all: 2 });
    const published = await receiveAll(sqs, local.queueUrls.all);
    expect(published.map((entry) => entry.envelope.MessageAttributes?.apiId?.Value).sort()).toEqual([
      'f1a2i3l4e5',
      'f6a7i8l9e0',
    ]);
  });

  it('keeps a batch that exhausts its retries on the on-failure queue, after bisecting it', async () => {
    metric = [];
    clock = Date.now();
    const streamArn = await kinesis.createStream('central-outage', 1);
    const listed = ['o1u2t3a4g5', 'o6u7t8a9g0', 'o1u3t5a7g9', 'o2u4t6a8g0'].map((apiId) =>
      wafDocument(apiId, `req-${apiId}`),
    );
    for (const document of listed) await putSubscriptionRecord(kinesis.client, 'central-outage', document);
    local.snsProxy.setDown(true);
    try {
      const run = await drainWithMapping(monitor(), {
        client: kinesis.client,
        streamName: 'central-outage',
        streamArn,
        batchSize: 4,
        maximumRetryAttempts: 1,
        onFailure: { sqs, queueUrl: local.queueUrls.onFailure },
      });
      expect(run.sentToFailureQueue).toBe(listed.length);
      // 4 fail, then 2 twice, 2 → 1 and 1 twice, the last 1 twice: every record given up on after one retry.
      expect(run).toMatchObject({ invocations: 6, records: 0, failedBatches: 6 });
    } finally {
      local.snsProxy.setDown(false);
    }
    const kept = await receiveAll(sqs, local.queueUrls.onFailure);
    const described = kept.map(
      (entry) => entry.envelope as unknown as { KinesisBatchInfo: { batchSize: number } },
    );
    expect(described.reduce((sum, entry) => sum + entry.KinesisBatchInfo.batchSize, 0)).toBe(listed.length);
  });
});

/** One 403 line of `category`'s shape naming `apiId`/`stage`, written in `account`'s log group. */
function lineDocument(
  account: string,
  apiId: string,
  stage: string,
  count: number,
  extra: Record<string, unknown> = {},
): LogsDocument {
  const events = Array.from({ length: count }, (_, index) => ({
    timestamp: clock + index,
    message: JSON.stringify({
      requestId: `${account.slice(0, 4)}-${apiId.slice(0, 6)}-${index}-${clock}`,
      apiId,
      stage,
      status: '403',
      httpMethod: 'GET',
      resourcePath: '/orders',
      error: { message: 'Forbidden', responseType: 'WAF_FILTERED' },
      waf: { responseCode: 'WAF_BLOCK', status: '403' },
      ...extra,
    }),
  }));
  return { ...logsDocument(`/aws/apigateway/${account}-access`, events), owner: account };
}

const WAF: Category = 'WAF_FILTERED';
const store = () => new StateStore(new DynamoDBClient({}), local.env[MONITOR_ENV.stateTableName] ?? '');
const hourTotal = (counts: readonly number[]) => counts.reduce((sum, count) => sum + count, 0);

const centralMonitor = (accounts: readonly string[] | undefined) =>
  createKinesisHandler({
    now: () => clock,
    metrics: (documents) => metric.push(...documents),
    ...(accounts ? { sourceAccounts: accounts } : {}),
  });

/** Through a stream of its own on kinesalite and the event source mapping's batching. */
async function drain(
  documents: readonly LogsDocument[],
  name: string,
  accounts: readonly string[] | undefined,
) {
  const streamArn = await kinesis.createStream(name, 1);
  for (const document of documents) await putSubscriptionRecord(kinesis.client, name, document);
  const run = await drainWithMapping(centralMonitor(accounts), {
    client: kinesis.client,
    streamName: name,
    streamArn,
    batchSize: 10,
  });
  expect(run).toMatchObject({ failedBatches: 0, sentToFailureQueue: 0 });
  return receiveAll(sqs, local.queueUrls.all);
}

/** One Lambda event of the records CloudWatch Logs would write (kinesalite holds ten shards in all). */
async function invoke(documents: readonly LogsDocument[], accounts: readonly string[] | undefined) {
  const records = documents.map((document, index) => ({
    SequenceNumber: `49680000000000000000000000000000000000000000000000000${String(index).padStart(3, '0')}`,
    PartitionKey: 'p',
    Data: gzipSync(JSON.stringify(document)),
    ApproximateArrivalTimestamp: new Date(clock),
  }));
  const result = await centralMonitor(accounts)(
    kinesisEvent(records, 'shardId-000000000000', 'arn:aws:kinesis:us-east-1:999999999999:stream/s'),
  );
  expect(result.batchItemFailures).toEqual([]);
  return receiveAll(sqs, local.queueUrls.all);
}

const attribute = (
  entry: { envelope: { MessageAttributes?: Record<string, { Value?: string }> } },
  name: string,
) => entry.envelope.MessageAttributes?.[name]?.Value;

describe('the central trust model: a source account reaches its own groups only', () => {
  it("account A's lines naming B's API and stage, and claiming B in every field a line can hold, leave B's group, alert, thread and digest alone", async () => {
    metric = [];
    clock = Date.now();
    const victim = { apiId: 'v1c2t3i4m5', stage: 'prod' };
    // Written first, so that with a key without the account B's first 403 would be "ongoing", not new.
    const forged = lineDocument(SOURCE_ACCOUNT_A, victim.apiId, victim.stage, 7, {
      owner: SOURCE_ACCOUNT_B,
      account: SOURCE_ACCOUNT_B,
      accountId: SOURCE_ACCOUNT_B,
      identity: { accountId: SOURCE_ACCOUNT_B, sourceIp: '198.51.100.7' },
    });
    const real = lineDocument(SOURCE_ACCOUNT_B, victim.apiId, victim.stage, 2);
    const alerts = await drain([forged, real], 'central-forged', LISTED_ACCOUNTS);

    const byAccount = new Map(alerts.map((entry) => [attribute(entry, 'account'), entry]));
    expect(alerts).toHaveLength(2);
    const fromB = byAccount.get(SOURCE_ACCOUNT_B);
    const fromA = byAccount.get(SOURCE_ACCOUNT_A);
    expect(fromB && attribute(fromB, ROUTING_ATTRIBUTES.lifecycle)).toBe('new');
    const viewB = JSON.parse(messageForProtocol(fromB?.envelope.Message ?? '{}', 'sqs')) as {
      count: number;
      account: string;
      threadId: string;
    };
    const viewA = JSON.parse(messageForProtocol(fromA?.envelope.Message ?? '{}', 'sqs')) as typeof viewB;
    expect(viewB).toMatchObject({ count: 2, account: SOURCE_ACCOUNT_B });
    expect(viewA).toMatchObject({ count: 7, account: SOURCE_ACCOUNT_A });
    expect(viewA.threadId).not.toBe(viewB.threadId);
    expect(messageForProtocol(fromA?.envelope.Message ?? '{}', 'email')).toContain(
      `account ${SOURCE_ACCOUNT_A}`,
    );

    const key = (account: string): GroupKey => ({ account, ...victim, category: WAF });
    const stateB = await store().read(key(SOURCE_ACCOUNT_B));
    const stateA = await store().read(key(SOURCE_ACCOUNT_A));
    expect(hourTotal(stateB?.hours.counts.counts ?? [])).toBe(2);
    expect(hourTotal(stateA?.hours.counts.counts ?? [])).toBe(7);
    // The account-less key of a single-account monitor was never written.
    expect(await store().read({ ...victim, category: WAF })).toBeUndefined();

    const series = metric.filter((entry) => METRIC_NAME in entry && entry.ApiId === victim.apiId);
    expect(series.map((entry) => [entry.Account, entry[METRIC_NAME]]).sort()).toEqual([
      [SOURCE_ACCOUNT_A, 7],
      [SOURCE_ACCOUNT_B, 2],
    ]);

    const { summaries } = await store().listDigestSummaries(
      { start: clock - 3_600_000, end: clock + 3_600_000 },
      monitorConfig().noisePolicy,
      clock,
    );
    const victimSummaries = summaries.filter((summary) => summary.apiId === victim.apiId);
    expect(victimSummaries.map((summary) => [summary.account, summary.count]).sort()).toEqual([
      [SOURCE_ACCOUNT_A, 7],
      [SOURCE_ACCOUNT_B, 2],
    ]);
    const views = buildDigestViews(victimSummaries, {
      region: 'us-east-1',
      period: { start: clock - 3_600_000, end: clock + 3_600_000 },
    });
    expect(views.map((view) => [view.account, view.total]).sort()).toEqual([
      [SOURCE_ACCOUNT_A, 7],
      [SOURCE_ACCOUNT_B, 2],
    ]);
    expect(new Set(views.map((view) => view.id)).size).toBe(2);

    // The sweep resolves each account's group on its own key and says whose it was.
    clock += 2 * 3_600_000;
    const swept = await createHandler({ now: () => clock, metrics: () => {} })(SWEEP_EVENT);
    const resolved = swept.outcomes.filter((outcome) => outcome.apiId === victim.apiId);
    expect(resolved.map((outcome) => [outcome.account, outcome.why]).sort()).toEqual([
      [SOURCE_ACCOUNT_A, 'resolved'],
      [SOURCE_ACCOUNT_B, 'resolved'],
    ]);
    expect((await store().read(key(SOURCE_ACCOUNT_B)))?.lifecycle).toBe('resolved');
    const notices = await receiveAll(sqs, local.queueUrls.all);
    expect(notices.map((entry) => attribute(entry, 'account')).sort()).toEqual(
      resolved
        .filter((outcome) => outcome.action === 'alert')
        .map((outcome) => outcome.account)
        .sort(),
    );
  });

  it('the same API id and stage in two accounts, in one batch, are two groups with two alerts', async () => {
    metric = [];
    clock = Date.now();
    const shared = { apiId: 's1h2a3r4e5', stage: 'prod' };
    const alerts = await drain(
      [
        lineDocument(SOURCE_ACCOUNT_A, shared.apiId, shared.stage, 3),
        lineDocument(SOURCE_ACCOUNT_B, shared.apiId, shared.stage, 4),
      ],
      'central-shared',
      LISTED_ACCOUNTS,
    );
    expect(
      alerts
        .map((entry) => [attribute(entry, 'account'), attribute(entry, ROUTING_ATTRIBUTES.lifecycle)])
        .sort(),
    ).toEqual([
      [SOURCE_ACCOUNT_A, 'new'],
      [SOURCE_ACCOUNT_B, 'new'],
    ]);
    const { groups } = await store().listGroups(clock);
    expect(
      groups
        .filter(({ key }) => key.apiId === shared.apiId)
        .map(({ key, state }) => [key.account, hourTotal(state.hours.counts.counts)])
        .sort(),
    ).toEqual([
      [SOURCE_ACCOUNT_A, 3],
      [SOURCE_ACCOUNT_B, 4],
    ]);
  });

  it.each([
    ['a # in the API id', 'v1c2t3i4m5#prod#WAF_FILTERED', 'x'],
    ['a # in the stage', 'v1c2t3i4m5', 'prod#WAF_FILTERED'],
    ['a percent-encoded #', 'v1c2t3i4m5%23prod', 'prod'],
    ['a / in the stage', 'v1c2t3i4m5', 'prod/../live'],
    ['an account id before the API id', `${SOURCE_ACCOUNT_B}#v1c2t3i4m5`, 'prod'],
    ['unicode look-alikes', 'v1c2t3i4m\u0455', 'pr\u043ed'],
    ['a lone surrogate', 'v1c2t3i4m\ud800', 'prod'],
    ['a control character in the stage', 'v1c2t3i4m5', 'prod\u0007'],
    ['a 3 KB API id (over the table key limit)', 'a'.repeat(3000), 'prod'],
    ['a 129-character stage', 'v1c2t3i4m5', 's'.repeat(129)],
  ])(
    'a line naming its API or stage with %s is counted as foreign, never alerted or stored',
    async (_label, apiId, stage) => {
      metric = [];
      clock = Date.now();
      const before = (await store().listGroups(clock)).groups.length;
      const alerts = await invoke([lineDocument(SOURCE_ACCOUNT_A, apiId, stage, 2)], LISTED_ACCOUNTS);
      expect(alerts).toHaveLength(0);
      expect(totals(FOREIGN_LINES_METRIC, () => 'all')).toEqual({ all: 2 });
      expect((await store().listGroups(clock)).groups.length).toBe(before);
    },
  );

  it.each([
    ['an empty owner', ''],
    ['an 11-digit owner', '11111111111'],
    ['a padded owner', ` ${SOURCE_ACCOUNT_A}`],
    ['an owner with a #', `${SOURCE_ACCOUNT_A}#`],
  ])(
    'with no account list (an organisation), a document with %s is dropped and counted',
    async (_label, owner) => {
      metric = [];
      clock = Date.now();
      const document = { ...lineDocument(SOURCE_ACCOUNT_A, 'o1w2n3e4r5', 'prod', 1), owner };
      const alerts = await invoke([document], undefined);
      expect(alerts).toHaveLength(0);
      expect(totals(UNLISTED_ACCOUNT_METRIC, () => 'all')).toEqual({ all: 1 });
      expect(totals(METRIC_NAME, () => 'all')).toEqual({});
    },
  );

  it('a list of one account keeps that account and drops every other', async () => {
    metric = [];
    clock = Date.now();
    const alerts = await invoke(
      [
        lineDocument(SOURCE_ACCOUNT_A, 'o1n2l3y4a5', 'prod', 1),
        lineDocument(SOURCE_ACCOUNT_B, 'o1n2l3y4a5', 'prod', 1),
      ],
      [SOURCE_ACCOUNT_A],
    );
    expect(alerts.map((entry) => attribute(entry, 'account'))).toEqual([SOURCE_ACCOUNT_A]);
    expect(totals(UNLISTED_ACCOUNT_METRIC, () => 'all')).toEqual({ all: 1 });
  });

  it('a document straight to the function (not through the stream) is still scoped by its owner', async () => {
    metric = [];
    clock = Date.now();
    const summary = await createHandler({
      now: () => clock,
      metrics: (documents) => metric.push(...documents),
      anyLogGroup: true,
    })({
      awslogs: {
        data: gzipSync(
          JSON.stringify({
            ...lineDocument(SOURCE_ACCOUNT_B, 'd1i2r3e4c5', 'prod', 1),
            owner: 'not-an-account',
          }),
        ).toString('base64'),
      },
    });
    expect(summary.kind).toBe('unwatched');
    expect(totals(UNWATCHED_GROUP_METRIC, () => 'all')).toEqual({ all: 1 });
  });
});

describe("the central noise policy: a rule scoped to an account applies to that account's records only", () => {
  const withPolicy = (noisePolicy: unknown) => {
    const parsed = parseNoisePolicy(noisePolicy);
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    return createKinesisHandler({
      now: () => clock,
      metrics: (documents) => metric.push(...documents),
      sourceAccounts: LISTED_ACCOUNTS,
      config: { ...monitorConfig(), noisePolicy: parsed.policy },
    });
  };
  const event = (documents: readonly LogsDocument[]) =>
    kinesisEvent(
      documents.map((document, index) => ({
        SequenceNumber: `49680000000000000000000000000000000000000000000000001${String(index).padStart(3, '0')}`,
        PartitionKey: 'p',
        Data: gzipSync(JSON.stringify(document)),
        ApproximateArrivalTimestamp: new Date(clock),
      })),
      'shardId-000000000000',
      'arn:aws:kinesis:us-east-1:999999999999:stream/s',
    );

  it("A's mute rule mutes A's scanner and leaves B's same API, stage and user agent alerting; the e-mail subject names the account", async () => {
    metric = [];
    clock = Date.now();
    const shared = { apiId: 'm1u2t3e4a5', stage: 'prod' };
    const scanner = { identity: { userAgent: 'zgrab/0.x', sourceIp: '203.0.113.9' } };
    const result = await withPolicy({
      mute: [{ account: SOURCE_ACCOUNT_A, ...shared, userAgentContains: 'zgrab', reason: "A's own scanner" }],
    })(
      event([
        lineDocument(SOURCE_ACCOUNT_A, shared.apiId, shared.stage, 3, scanner),
        lineDocument(SOURCE_ACCOUNT_B, shared.apiId, shared.stage, 2, scanner),
      ]),
    );
    expect(result.batchItemFailures).toEqual([]);
    const alerts = await receiveAll(sqs, local.queueUrls.all);
    expect(alerts.map((entry) => attribute(entry, 'account'))).toEqual([SOURCE_ACCOUNT_B]);
    expect(alerts[0]?.envelope.Subject).toContain(SOURCE_ACCOUNT_B);
    const { groups } = await store().listGroups(clock);
    const ofShared = groups.filter(({ key }) => key.apiId === shared.apiId);
    expect(
      ofShared.map(({ key, state }) => [key.account, hourTotal(state.hours.muted.counts)]).sort(),
    ).toEqual([
      [SOURCE_ACCOUNT_A, 3],
      [SOURCE_ACCOUNT_B, 0],
    ]);
  });

  it("A's override (action ignore) leaves B's same API and stage alerting; an override without account applies to both", async () => {
    metric = [];
    clock = Date.now();
    const shared = { apiId: 'o1v2e3r4a5', stage: 'prod' };
    const scoped = await withPolicy({
      overrides: [{ account: SOURCE_ACCOUNT_A, ...shared, action: 'ignore' }],
    })(
      event([
        lineDocument(SOURCE_ACCOUNT_A, shared.apiId, shared.stage, 2),
        lineDocument(SOURCE_ACCOUNT_B, shared.apiId, shared.stage, 2),
      ]),
    );
    expect(scoped.batchItemFailures).toEqual([]);
    const alerts = await receiveAll(sqs, local.queueUrls.all);
    expect(alerts.map((entry) => attribute(entry, 'account'))).toEqual([SOURCE_ACCOUNT_B]);

    const other = { apiId: 'o6v7e8r9a0', stage: 'prod' };
    const everyone = await withPolicy({ overrides: [{ ...other, action: 'ignore' }] })(
      event([
        lineDocument(SOURCE_ACCOUNT_A, other.apiId, other.stage, 2),
        lineDocument(SOURCE_ACCOUNT_B, other.apiId, other.stage, 2),
      ]),
    );
    expect(everyone.batchItemFailures).toEqual([]);
    expect(await receiveAll(sqs, local.queueUrls.all)).toEqual([]);
  });
});

describe("the digest's bounded listing on dynalite: a noisy account cannot push another's groups out", () => {
  it("a 20-group limit keeps all 3 of a quiet account's groups beside 60 of a noisy account's", async () => {
    clock = Date.now();
    const state: GroupState = {
      lifecycle: 'ongoing',
      firstSeenAt: clock,
      lastSeenAt: clock,
      sinceAlert: 0,
      windowMs: 300_000,
      windows: emptyRing(13),
      hours: {
        counts: emptyRing(HOUR_SLOTS),
        muted: emptyRing(PERIOD_SLOTS),
        alerts: emptyRing(PERIOD_SLOTS),
      },
      topSources: [],
      version: 0,
      expiresAt: Math.floor(clock / 1000) + 3600,
    };
    const noisy = '555555555555';
    const quiet = '666666666666';
    const keys: GroupKey[] = [
      ...Array.from({ length: 60 }, (_, index) => ({
        account: noisy,
        apiId: 'n0i1s2y3a4',
        stage: `s${index}`,
        category: WAF,
      })),
      ...['prod', 'dev', 'test'].map((stage) => ({
        account: quiet,
        apiId: 'q1u2i3e4t5',
        stage,
        category: WAF,
      })),
    ];
    for (const key of keys) expect(await store().writeGroup(key, state, undefined)).toBe(true);
    const listing = await store().listGroups(clock, 20);
    expect(listing.truncated).toBe(true);
    expect(listing.groups).toHaveLength(20);
    expect(
      listing.groups
        .filter(({ key }) => key.account === quiet)
        .map(({ key }) => key.stage)
        .sort(),
    ).toEqual(['dev', 'prod', 'test']);
  });
});
