/**
 * Memory of one large subscription event, each measurement in a fresh process so that nothing else
 * (payload generation, the throughput passes, the peers) counts:
 *
 * - the full handler: the monitor bundle as the stack deploys it, in `node` with the NODE_OPTIONS the
 *   stack deploys for a 128 MB function, invoked with the event against real peers (fauxqs, dynalite)
 *   that run in another process; reported as the process's peak RSS;
 * - the core alone, stage by stage (decode, then classify into groups, intermediates still referenced),
 *   to show where the memory goes; bundled by esbuild and run under plain `node --expose-gc` (the tsx
 *   loader alone adds about 30 MB).
 *
 *   npx tsx bench/memory.ts                                      # builds a 1 MiB payload, measures both
 *   node --expose-gc --import tsx bench/memory.ts <event.json>   # the core stages of that event, here
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import type { AwsRequestCounts } from '../cli/peers/request-count.js';
import { classifyIntoGroups } from '../lambda/core/classify-batch.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decodeSubscriptionEvent } from '../lambda/core/decode.js';
import { MONITOR_SERVICE_NAME, monitorEnvironment } from '../lambda/core/monitor-contract.js';
import { nodeOptionsFor } from '../lib/node-options.js';
import { buildBundle } from './bundles.js';
import type { ChildResult } from './lambda-child.js';
import { lambdaProcess } from './lambda-process.js';
import { buildLargePayload, type Payload } from './payloads.js';

export const LAMBDA_MEMORY_MB = 128;
const MB = 1024 * 1024;

export interface MemorySnapshot {
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly externalMB: number;
}

export interface MemoryResult {
  readonly payload: {
    readonly events: number;
    readonly compressedMB: number;
    readonly base64MB: number;
    readonly inflatedMB: number;
    readonly capMB: number;
  };
  readonly findings: number;
  readonly groups: number;
  /** After the runtime and modules load, before the event exists. */
  readonly baseline: MemorySnapshot;
  /** With the event (as the runtime hands it over) in memory. */
  readonly eventLoaded: MemorySnapshot;
  readonly afterDecode: MemorySnapshot;
  /** After classifyIntoGroups (classified and grouped), as the monitor does it. */
  readonly afterClassify: MemorySnapshot;
  /** resourceUsage().maxRSS: the high-water mark of the whole process. */
  readonly peakRssMB: number;
  /** The largest heapUsed seen at the stage boundaries (every intermediate still referenced). */
  readonly peakHeapUsedMB: number;
  readonly lambdaMB: number;
  readonly marginMB: number;
  readonly fits: boolean;
  readonly durationMs: number;
}

const round = (n: number): number => Math.round(n * 10) / 10;

function snapshot(): MemorySnapshot {
  const usage = process.memoryUsage();
  return {
    rssMB: round(usage.rss / MB),
    heapUsedMB: round(usage.heapUsed / MB),
    externalMB: round(usage.external / MB),
  };
}

const collect = (): void => {
  (globalThis as { gc?: () => void }).gc?.();
};

/** Child side: measures one event file in this (fresh) process. */
function measure(file: string): MemoryResult {
  collect();
  const baseline = snapshot();
  const started = process.hrtime.bigint();
  // The Lambda runtime receives the invocation as JSON text and parses it before calling the handler.
  const event = JSON.parse(readFileSync(file, 'utf8')) as { awslogs: { data: string } };
  collect();
  const eventLoaded = snapshot();
  const decoded = decodeSubscriptionEvent(event);
  if (decoded.kind !== 'data') throw new Error(`payload did not decode: ${JSON.stringify(decoded)}`);
  const afterDecode = snapshot();
  const { groups, findings } = classifyIntoGroups([decoded.document], { resolveStage: () => undefined });
  const afterClassify = snapshot();
  const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
  const peakRssMB = round((process.resourceUsage().maxRSS * 1024) / MB);
  const inflated = decoded.document.logEvents.reduce((sum, e) => sum + e.message.length, 0);
  const data = event.awslogs.data;
  return {
    payload: {
      events: decoded.document.logEvents.length,
      compressedMB: round(Buffer.byteLength(data, 'base64') / MB),
      base64MB: round(data.length / MB),
      inflatedMB: round(inflated / MB),
      capMB: DEFAULT_MAX_DECOMPRESSED_BYTES / MB,
    },
    findings,
    groups: groups.length,
    baseline,
    eventLoaded,
    afterDecode,
    afterClassify,
    peakRssMB,
    peakHeapUsedMB: Math.max(afterDecode.heapUsedMB, afterClassify.heapUsedMB),
    lambdaMB: LAMBDA_MEMORY_MB,
    marginMB: round(LAMBDA_MEMORY_MB - peakRssMB),
    fits: peakRssMB < LAMBDA_MEMORY_MB,
    durationMs: Math.round(durationMs),
  };
}

/** Parent side: writes the event to a file and measures it in a fresh `node` child, with the deployed flags. */
export function measureInChild(payload: Payload): MemoryResult {
  const dir = mkdtempSync(join(tmpdir(), 'apigw403-bench-'));
  try {
    const file = join(dir, 'event.json');
    writeFileSync(file, JSON.stringify(payload.event));
    const script = join(dir, 'memory.mjs');
    buildSync({
      entryPoints: [fileURLToPath(import.meta.url)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: script,
      logLevel: 'warning',
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    // The flags the stack deploys for a function of this size (see lib/node-options.ts).
    const flags = nodeOptionsFor(LAMBDA_MEMORY_MB).split(' ');
    const child = spawnSync(process.execPath, ['--expose-gc', ...flags, script, file], {
      encoding: 'utf8',
      maxBuffer: 16 * MB,
    });
    if (child.status !== 0) {
      throw new Error(`memory child failed (status ${child.status}): ${child.stderr || child.stdout}`);
    }
    return JSON.parse(child.stdout) as MemoryResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The memory payload: 1 MiB of gzip, as `buildLargePayload` sizes it. */
export const MEMORY_PAYLOAD_BYTES = MB;

export interface HandlerMemoryResult {
  readonly nodeOptions: string;
  readonly events: number;
  readonly findings: number;
  readonly groups: number;
  readonly alerts: number;
  /** RSS of node before the bundle loads, after it loads, after the invocation. */
  readonly startRssMB: number;
  readonly afterImportRssMB: number;
  readonly afterInvokeRssMB: number;
  readonly peakRssMB: number;
  readonly invokeMs: number;
  readonly lambdaMB: number;
  readonly marginMB: number;
  readonly fits: boolean;
  /** The AWS requests of the invocation, counted at the peers, per service and operation. */
  readonly awsRequests: AwsRequestCounts;
}

interface Peers {
  readonly env: Readonly<Record<string, string>>;
  /** Stops the peers; resolves to the AWS requests they received since they started. */
  stop(): Promise<AwsRequestCounts>;
}

/** bench/peers.ts in a child process: its memory is not the handler's. */
async function startPeers(): Promise<Peers> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./peers.ts', import.meta.url))],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const received: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else received.push(line);
  });
  const exited = new Promise<never>((_resolve, reject) =>
    child.once('close', (code) => reject(new Error(`the peers process exited ${code}`))),
  );
  exited.catch(() => undefined);
  const nextLine = (): Promise<string> =>
    Promise.race([
      new Promise<string>((resolve) => {
        const line = received.shift();
        if (line === undefined) waiting.push(resolve);
        else resolve(line);
      }),
      exited,
    ]);
  const env = JSON.parse(await nextLine()) as Record<string, string>;
  return {
    env,
    stop: async () => {
      child.stdin.end();
      const counts = JSON.parse(await nextLine()) as AwsRequestCounts;
      await exited.catch(() => undefined);
      return counts;
    },
  };
}

/**
 * The full monitor handler on `payload`, in its own process with the NODE_OPTIONS the stack deploys
 * for `memoryMb` (lib/node-options.ts), against peers in another process.
 */
export async function measureHandler(
  payload: Payload,
  memoryMb = LAMBDA_MEMORY_MB,
): Promise<HandlerMemoryResult> {
  const dir = mkdtempSync(join(tmpdir(), 'apigw403-handler-'));
  const peers = await startPeers();
  let stopped: Promise<AwsRequestCounts> | undefined;
  try {
    const eventFile = join(dir, 'event.json');
    writeFileSync(eventFile, JSON.stringify(payload.event));
    const [, apiId = '', stage = ''] =
      /^\/aws\/apigateway\/([^/]+)\/([^/]+)\/access$/.exec(payload.logGroup) ?? [];
    const nodeOptions = nodeOptionsFor(memoryMb);
    const result: ChildResult = await lambdaProcess(dir).run('invoke', buildBundle('monitor', dir).file, {
      nodeOptions,
      eventFile,
      env: {
        ...peers.env,
        ...monitorEnvironment({
          watchedStages: [{ apiId, stage, accessLogGroup: payload.logGroup }],
          serviceName: MONITOR_SERVICE_NAME,
        }),
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
      },
    });
    const summary = result.summary as { findings: number; outcomes: { action: string }[] };
    const peakRssMB = result.peakRssMB;
    stopped = peers.stop();
    const awsRequests = await stopped;
    return {
      nodeOptions,
      events: payload.events,
      findings: summary.findings,
      groups: summary.outcomes.length,
      alerts: summary.outcomes.filter((outcome) => outcome.action === 'alert').length,
      startRssMB: result.startRssMB,
      afterImportRssMB: result.afterImportRssMB,
      afterInvokeRssMB: result.afterInvokeRssMB ?? Number.NaN,
      peakRssMB,
      invokeMs: Math.round(result.invokeMs ?? Number.NaN),
      lambdaMB: memoryMb,
      marginMB: round(memoryMb - peakRssMB),
      fits: peakRssMB < memoryMb,
      awsRequests,
    };
  } finally {
    await (stopped ?? peers.stop());
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const file = process.argv[2];
  if (file) {
    process.stdout.write(`${JSON.stringify(measure(file))}\n`);
  } else {
    const payload = buildLargePayload(MEMORY_PAYLOAD_BYTES);
    const handler = await measureHandler(payload);
    console.log(JSON.stringify({ handler, core: measureInChild(payload) }, null, 2));
    if (!handler.fits) process.exitCode = 1;
  }
}
