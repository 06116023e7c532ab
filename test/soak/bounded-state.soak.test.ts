import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, STATE_TABLE, startLocalAws } from '../../cli/peers/local-aws.js';
import { monitorConfig } from '../../lambda/adapters/env-config.js';
import { StateStore } from '../../lambda/adapters/state-store.js';
import { batchIdOf } from '../../lambda/core/alerts.js';
import { classifyIntoGroups } from '../../lambda/core/index.js';
import { monitorEnvironment } from '../../lambda/core/monitor-contract.js';
import { DEFAULT_REALERT_MINUTES } from '../../lambda/core/noise-policy.js';
import { STATE_KEY_ATTRIBUTE } from '../../lambda/core/state-table.js';
import { alertBatch } from '../../lambda/monitor.js';
import { largestItem, wafGroupsDocument } from '../fixtures/state-table.js';
import type { SoakShare, SoakWorkerResult } from './bounded-state.worker.js';

/**
 * State that stays bounded (issue 8), at volume: 100,000 batches of one group through the real
 * handler, and one batch of 10,000 groups. `npm run test:soak`, not in CI while a hot group's concurrent
 * writes conflict (docs/pipeline.md).
 * dynalite runs in a process of its own, and the handlers in PROCESSES processes of INSTANCES Lambda
 * instances each (bounded-state.worker.ts), so that they share the cores as a function's concurrent
 * instances share its table.
 */

let local: LocalAws;
let dynalite: ChildProcess | undefined;
let dynamo: DynamoDBClient;
const API = 'b0undedap1';
const LOG_GROUP = `/aws/apigateway/${API}/prod`;
const START = Date.parse('2026-11-30T00:00:00Z');
/** One batch every 2.5 s of simulated time: the rate at which the old item passed 400 KB in 5.8 h. */
const INTERVAL_MS = 2_500;
const PROCESSES = 2;
const INSTANCES = 8;
/**
 * A young generation larger than V8's default: dynalite and the handler allocate a little per request,
 * and with the default a third of dynalite's time went to scavenges.
 */
const NODE_FLAGS = ['--max-semi-space-size=32'];
const WORKER = fileURLToPath(new URL('./bounded-state.worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function runWorker(share: SoakShare): Promise<SoakWorkerResult> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...NODE_FLAGS, '--import', 'tsx', WORKER, JSON.stringify(share)],
      { cwd: ROOT, env: process.env, maxBuffer: 16 * 1024 * 1024 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as SoakWorkerResult;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`soak worker failed: ${stderr.split('\n').slice(-20).join('\n')}`, { cause: error });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** dynalite's user and system CPU time so far, from /proc (Linux); `?` elsewhere. */
function dynaliteCpuSeconds(): string {
  try {
    const fields = readFileSync(`/proc/${dynalite?.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) / 100).toFixed(0);
  } catch {
    return '?';
  }
}

async function startDynaliteProcess(): Promise<string> {
  const port = await freePort();
  const cli = createRequire(import.meta.url).resolve('dynalite/cli.js');
  dynalite = spawn(
    process.execPath,
    [...NODE_FLAGS, cli, '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0'],
    { stdio: 'ignore' },
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
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: PROCESSES }, (_, worker) =>
        runWorker({
          batches: BATCHES,
          slots: Array.from({ length: INSTANCES }, (_, instance) => worker * INSTANCES + instance),
          slotCount: PROCESSES * INSTANCES,
          start: START,
          intervalMs: INTERVAL_MS,
          apiId: API,
          stage: 'prod',
          logGroup: LOG_GROUP,
          table: STATE_TABLE,
          sampleEvery: 10_000,
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const handled = results.reduce((sum, result) => sum + result.batches, 0);
    const alerts = results.reduce((sum, result) => sum + result.alerts, 0);
    const retried = results.reduce((sum, result) => sum + result.retried, 0);
    const exhausted = results.reduce((sum, result) => sum + result.exhausted, 0);
    const groupSizes = results
      .flatMap((result) => result.samples)
      .sort(([a], [b]) => a - b)
      .map(([, size]) => size);
    const largest = await largestItem(dynamo, STATE_TABLE);
    const cpu = results.map((result) => result.cpuSeconds.toFixed(0)).join(' + ');
    console.log(
      `bounded state: ${handled} batches (${PROCESSES} processes of ${INSTANCES} instances) in ${seconds.toFixed(1)} s ` +
        `(CPU: handlers ${cpu} s, dynalite ${dynaliteCpuSeconds()} s), ` +
        `${alerts} alerts, ${retried} invocations retried, ${exhausted} left for the failure queue; ${largest.items} items, the largest ${largest.size} bytes (${largest.pk.split('#')[0]}); ` +
        `the group item every 10,000 batches: ${groupSizes.join(', ')} bytes`,
    );
    expect(handled).toBe(BATCHES);
    expect(largest.items).toBe(BATCHES + 1);
    // The old cooldown item passed DynamoDB's 400 KB after about 8,000 such batches.
    expect(largest.size).toBeLessThan(1_024);
    expect(groupSizes).toHaveLength(BATCHES / 10_000);
    expect(Math.max(...groupSizes) - Math.min(...groupSizes)).toBeLessThan(16);
    // Nothing is lost: a batch that lost the race for the group item more often than the handler
    // tries is failed retryably and, like Lambda, run again.
    expect(exhausted).toBe(0);
    // The group is new once, then alerts at most once per realertMinutes (docs/pipeline.md, noise
    // policy), whichever instance saw the batch.
    const simulatedMs = BATCHES * INTERVAL_MS;
    expect(alerts).toBeGreaterThanOrEqual(1);
    expect(alerts).toBeLessThanOrEqual(1 + Math.ceil(simulatedMs / (DEFAULT_REALERT_MINUTES * 60_000)));
  }, 1_800_000);

  it('a batch of 10,000 groups: every group alerted, with at most 16 requests in flight per service', async () => {
    const GROUPS = 10_000;
    const document = wafGroupsDocument(GROUPS, START);
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
