import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, STATE_TABLE, startLocalAws } from '../../cli/peers/local-aws.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { monitorConfig } from '../../lambda/adapters/env-config.js';
import { StateStore } from '../../lambda/adapters/state-store.js';
import { batchIdOf, groupItemKey } from '../../lambda/core/alerts.js';
import { classifyIntoGroups } from '../../lambda/core/index.js';
import { monitorEnvironment } from '../../lambda/core/monitor-contract.js';
import { STATE_KEY_ATTRIBUTE } from '../../lambda/core/state-table.js';
import { alertBatch } from '../../lambda/monitor.js';
import { itemSize, largestItem, wafLine } from '../fixtures/state-table.js';

/**
 * State that stays bounded (issue 8), at volume: 100,000 batches of one group through the real
 * handler, and one batch of 10,000 groups. `npm run test:soak` (CI runs it after `npm test`).
 * dynalite runs in a process of its own here so that it and the handler use both cores.
 */

let local: LocalAws;
let dynalite: ChildProcess | undefined;
let dynamo: DynamoDBClient;
const API = 'b0undedap1';
const LOG_GROUP = `/aws/apigateway/${API}/prod`;
const START = Date.parse('2026-11-30T00:00:00Z');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

async function startDynaliteProcess(): Promise<string> {
  const port = await freePort();
  const cli = createRequire(import.meta.url).resolve('dynalite/cli.js');
  dynalite = spawn(
    process.execPath,
    [cli, '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0'],
    {
      stdio: 'ignore',
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  dynamo = new DynamoDBClient({ endpoint });
  for (let attempt = 0; ; attempt += 1) {
    try {
      await dynamo.send(
        new CreateTableCommand({
          TableName: STATE_TABLE,
          KeySchema: [{ AttributeName: STATE_KEY_ATTRIBUTE, KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: STATE_KEY_ATTRIBUTE, AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return endpoint;
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

beforeAll(async () => {
  local = await startLocalAws();
  Object.assign(process.env, local.env, {
    ...monitorEnvironment({ watchedStages: [{ apiId: API, stage: 'prod', accessLogGroup: LOG_GROUP }] }),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = await startDynaliteProcess();
});

afterAll(async () => {
  dynalite?.kill();
  await local?.stop();
});

describe('state that stays bounded, at volume', () => {
  it('100,000 batches of one group through the real handler on dynalite: no item grows', async () => {
    const BATCHES = 100_000;
    const CONCURRENCY = 8;
    const { createHandler } = await import('../../lambda/handler.js');
    let invocations = 0;
    // One batch every 2.5 s of simulated time (the rate at which the old item passed 400 KB in 5.8 h).
    const handler = createHandler({ now: () => START + invocations++ * 2_500, metrics: () => {} });
    const groupKey = { apiId: API, stage: 'prod', category: 'WAF_FILTERED' as const };
    const groupSizes: number[] = [];
    let next = 0;
    let alerts = 0;
    const began = performance.now();
    const worker = async () => {
      while (next < BATCHES) {
        const index = next;
        next += 1;
        const event = subscriptionEvent(
          logsDocument(LOG_GROUP, [
            { timestamp: START + index * 2_500, message: wafLine(`r-${index}`, API) },
          ]),
        );
        const summary = await handler(event);
        alerts += summary.outcomes.filter((outcome) => outcome.action === 'alert').length;
        if (index % 10_000 === 0) {
          const { Item } = await dynamo.send(
            new GetItemCommand({
              TableName: STATE_TABLE,
              Key: { [STATE_KEY_ATTRIBUTE]: { S: groupItemKey(groupKey) } },
            }),
          );
          if (Item) groupSizes.push(itemSize(Item));
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - began) / 1000;
    const largest = await largestItem(dynamo, STATE_TABLE);
    console.log(
      `bounded state: ${BATCHES} batches (${CONCURRENCY} at a time) in ${seconds.toFixed(1)} s, ${alerts} alerts; ` +
        `${largest.items} items, the largest ${largest.size} bytes (${largest.pk.split('#')[0]}); ` +
        `the group item every 10,000 batches: ${groupSizes.join(', ')} bytes`,
    );
    expect(largest.items).toBe(BATCHES + 1);
    // The old cooldown item passed DynamoDB's 400 KB after about 8,000 such batches.
    expect(largest.size).toBeLessThan(1_024);
    expect(Math.max(...groupSizes) - Math.min(...groupSizes)).toBeLessThan(16);
    // One alert per 15-minute cooldown over 69 simulated hours.
    const cooldowns = (BATCHES * 2_500) / (15 * 60_000);
    expect(alerts).toBeLessThanOrEqual(Math.ceil(cooldowns));
    expect(alerts).toBeGreaterThan(cooldowns - 8);
  }, 1_800_000);

  it('a batch of 10,000 groups: every group alerted, with at most 16 requests in flight per service', async () => {
    const GROUPS = 10_000;
    const document = logsDocument(
      '/aws/apigateway/many/prod',
      Array.from({ length: GROUPS }, (_, index) => ({
        timestamp: START,
        message: wafLine(`m-${index}`, `g${String(index).padStart(9, '0')}`),
      })),
    );
    const classified = classifyIntoGroups([document]);
    local.snsProxy.resetInFlight();
    const began = performance.now();
    const summary = await alertBatch(
      classified,
      document,
      batchIdOf(document.logEvents.map((event) => event.id)),
      START,
      {
        config: monitorConfig(),
        store: new StateStore(dynamo, STATE_TABLE),
        sns: new SNSClient({}),
        logs: undefined as never,
        metrics: () => {},
        now: () => START,
        log: () => {},
        remainingMs: () => 60_000,
      },
    );
    console.log(
      `10,000 groups: ${((performance.now() - began) / 1000).toFixed(1)} s, at most ${local.snsProxy.maxInFlight} Publish requests in flight`,
    );
    expect(summary.outcomes.filter((outcome) => outcome.action === 'alert')).toHaveLength(GROUPS);
    expect(local.snsProxy.maxInFlight).toBeLessThanOrEqual(16);
  }, 1_800_000);
});
