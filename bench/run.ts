/**
 * Throughput of the classifier against the decoding floor and Powertools' CloudWatch Logs schema on
 * the same payloads, then the memory of one 1 MiB payload in a fresh process. Prints a table, writes
 * bench/results.json, and exits 1 when a target is missed.
 *
 *   npm run bench              # 24 payloads, 2 warm-up passes, 7 interleaved rounds
 *   npm run bench -- --quick   # smoke run: 8 payloads, 1 warm-up pass, 3 rounds
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LAMBDA_MEMORY_MB, MEMORY_PAYLOAD_BYTES, type MemoryResult, measureInChild } from './memory.js';
import { buildLargePayload, buildPayloadSet, type Payload } from './payloads.js';
import { classifier, floor, powertools, type Resolve, type Variant } from './variants.js';

export const TARGETS = { classifierOverFloor: 0.6, classifierOverPowertools: 1.0 } as const;

const quick = process.argv.includes('--quick');
const config = quick ? { payloads: 8, warmups: 1, rounds: 3 } : { payloads: 24, warmups: 2, rounds: 7 };

// A full collection before each timed pass keeps one variant's garbage out of the next one's time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const VARIANTS: readonly Variant[] = ['floor', 'classifier', 'powertools'];

function runner(variant: Variant, resolveStage: Resolve): (payload: Payload) => number {
  switch (variant) {
    case 'floor':
      return (p) => floor(p.event);
    case 'classifier':
      return (p) => classifier(p.event, resolveStage);
    case 'powertools':
      return (p) => powertools(p.event);
  }
}

/** One pass over every payload; nanoseconds. */
function timePass(
  run: (payload: Payload) => number,
  payloads: readonly Payload[],
): { ns: number; sink: number } {
  gc();
  let sink = 0;
  const start = process.hrtime.bigint();
  for (const payload of payloads) sink += run(payload);
  return { ns: Number(process.hrtime.bigint() - start), sink };
}

interface VariantStats {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly eventsPerSecond: number;
  readonly decompressedMBps: number;
  readonly roundsMs: readonly number[];
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** `JSON.stringify` with arrays of numbers and strings on one line, as Biome formats JSON. */
function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\n\s*([^[\]{}]*?)\n\s*\]/g,
    (_match, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`,
  );
}

function main(): void {
  const started = process.hrtime.bigint();
  const cpu = cpus()[0]?.model.trim() ?? 'unknown';
  console.log(`apigw-403-monitor benchmark${quick ? ' (--quick)' : ''}`);
  console.log(`Node ${process.version} (V8 ${process.versions.v8}), ${process.platform}/${process.arch}`);
  console.log(`CPU: ${cpu} × ${cpus().length}`);

  const { payloads, stages } = buildPayloadSet(config.payloads);
  const resolveStage: Resolve = (logGroup) => stages.get(logGroup);
  const totals = payloads.reduce(
    (sum, p) => ({
      events: sum.events + p.events,
      compressed: sum.compressed + p.compressedBytes,
      base64: sum.base64 + p.event.awslogs.data.length,
      inflated: sum.inflated + p.inflatedBytes,
    }),
    { events: 0, compressed: 0, base64: 0, inflated: 0 },
  );
  const byKind = new Map<string, number>();
  for (const p of payloads) byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + p.events);
  console.log(
    `Payloads: ${payloads.length} subscription events, ${totals.events} log events ` +
      `(${[...byKind].map(([kind, n]) => `${kind} ${n}`).join(', ')}); ` +
      `${round(totals.base64 / 1e6)} MB base64, ${round(totals.inflated / 1e6)} MB decompressed`,
  );

  // Every variant must handle every payload, and agree on the number of log events.
  const powertoolsEvents = payloads.reduce((sum, p) => sum + powertools(p.event), 0);
  if (powertoolsEvents !== totals.events) throw new Error(`powertools saw ${powertoolsEvents} events`);
  const classified = payloads.reduce((sum, p) => sum + classifier(p.event, resolveStage), 0);
  if (classified <= 0) throw new Error('the classifier found nothing');

  const runs = Object.fromEntries(VARIANTS.map((v) => [v, runner(v, resolveStage)])) as Record<
    Variant,
    (payload: Payload) => number
  >;
  for (let i = 0; i < config.warmups; i++) for (const v of VARIANTS) timePass(runs[v], payloads);

  const samples = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  let sink = 0;
  for (let r = 0; r < config.rounds; r++) {
    // Rotate the order each round so drift (thermal, GC heap growth) falls on every variant alike.
    for (let k = 0; k < VARIANTS.length; k++) {
      const variant = VARIANTS[(r + k) % VARIANTS.length] as Variant;
      const pass = timePass(runs[variant], payloads);
      samples.get(variant)?.push(pass.ns);
      sink += pass.sink;
    }
  }

  const stats = Object.fromEntries(
    VARIANTS.map((v) => {
      const ns = samples.get(v) as number[];
      const med = median(ns);
      return [
        v,
        {
          medianMs: round(med / 1e6),
          minMs: round(Math.min(...ns) / 1e6),
          maxMs: round(Math.max(...ns) / 1e6),
          eventsPerSecond: Math.round(totals.events / (med / 1e9)),
          decompressedMBps: round(totals.inflated / 1e6 / (med / 1e9), 1),
          roundsMs: ns.map((n) => round(n / 1e6)),
        },
      ];
    }),
  ) as unknown as Record<Variant, VariantStats>;

  const perRound = (a: Variant, b: Variant): number[] =>
    (samples.get(a) as number[]).map((ns, i) => ((samples.get(b) as number[])[i] as number) / ns);
  const ratios = {
    classifierOverFloor: round(stats.classifier.eventsPerSecond / stats.floor.eventsPerSecond, 3),
    classifierOverPowertools: round(stats.classifier.eventsPerSecond / stats.powertools.eventsPerSecond, 3),
    perRound: {
      classifierOverFloor: perRound('classifier', 'floor').map((x) => round(x, 3)),
      classifierOverPowertools: perRound('classifier', 'powertools').map((x) => round(x, 3)),
    },
  };

  console.log(
    `\nThroughput (median of ${config.rounds} interleaved rounds after ${config.warmups} warm-up passes)`,
  );
  console.table(
    Object.fromEntries(
      VARIANTS.map((v) => [
        v,
        {
          'events/s': stats[v].eventsPerSecond,
          'median ms': stats[v].medianMs,
          'min ms': stats[v].minMs,
          'max ms': stats[v].maxMs,
          'MB/s (decompressed)': stats[v].decompressedMBps,
        },
      ]),
    ),
  );
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const floorOk = ratios.classifierOverFloor >= TARGETS.classifierOverFloor;
  const powertoolsOk = ratios.classifierOverPowertools > TARGETS.classifierOverPowertools;
  console.log(
    `classifier / floor      = ${ratios.classifierOverFloor.toFixed(3)}  (target ≥ ${TARGETS.classifierOverFloor}) ${verdict(floorOk)}`,
  );
  console.log(
    `classifier / powertools = ${ratios.classifierOverPowertools.toFixed(3)}  (target > ${TARGETS.classifierOverPowertools}) ${verdict(powertoolsOk)}`,
  );

  const large = buildLargePayload(MEMORY_PAYLOAD_BYTES);
  const memory: MemoryResult = measureInChild(large);
  console.log(
    `\nMemory: one ${memory.payload.compressedMB} MiB gzip payload (${memory.payload.base64MB} MiB base64, ` +
      `${memory.payload.events} events, ${memory.payload.inflatedMB} MiB of messages) through decode + classify + group ` +
      `in a fresh bundled node process`,
  );
  console.table({
    baseline: memory.baseline,
    'event loaded': memory.eventLoaded,
    'after decode': memory.afterDecode,
    'after classify': memory.afterClassify,
    'after group': memory.afterGroup,
  });
  console.log(
    `peak RSS ${memory.peakRssMB} MB, peak heap used ${memory.peakHeapUsedMB} MB: ` +
      `${memory.fits ? 'fits' : 'does NOT fit'} a ${LAMBDA_MEMORY_MB} MB Lambda (margin ${memory.marginMB} MB)`,
  );

  const elapsedS = round(Number(process.hrtime.bigint() - started) / 1e9, 1);
  const results = {
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    environment: {
      node: process.version,
      v8: process.versions.v8,
      platform: process.platform,
      arch: process.arch,
      cpu,
      cores: cpus().length,
    },
    method: {
      ...config,
      timer: 'process.hrtime.bigint',
      statistic: 'median',
      gcBeforeEachPass: true,
      orderRotatedEachRound: true,
    },
    payloads: {
      count: payloads.length,
      events: totals.events,
      eventsByKind: Object.fromEntries(byKind),
      compressedBytes: totals.compressed,
      base64Bytes: totals.base64,
      decompressedBytes: totals.inflated,
    },
    throughput: stats,
    ratios,
    targets: TARGETS,
    targetsMet: {
      classifierOverFloor: floorOk,
      classifierOverPowertools: powertoolsOk,
      memoryFits: memory.fits,
    },
    memory,
    elapsedSeconds: elapsedS,
    sink,
  };
  writeFileSync(fileURLToPath(new URL('./results.json', import.meta.url)), `${toJson(results)}\n`);
  console.log(`\nWrote bench/results.json in ${elapsedS} s`);

  const missed = [
    ...(floorOk ? [] : [`classifier / floor ${ratios.classifierOverFloor} < ${TARGETS.classifierOverFloor}`]),
    ...(powertoolsOk
      ? []
      : [`classifier / powertools ${ratios.classifierOverPowertools} ≤ ${TARGETS.classifierOverPowertools}`]),
    ...(memory.fits ? [] : [`peak RSS ${memory.peakRssMB} MB ≥ ${LAMBDA_MEMORY_MB} MB`]),
  ];
  if (missed.length > 0) {
    console.error(`\nTARGET MISSED: ${missed.join('; ')}`);
    process.exitCode = 1;
  }
}

main();
