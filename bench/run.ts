/**
 * `npm run bench`: throughput of the classifier in paired rounds on two payload mixes, the cold start
 * of the deployed bundles, and the memory of the full handler on a 1 MiB payload, each memory and
 * cold-start figure in a fresh process. Prints the figures, writes bench/results.json, and exits 1
 * when a target is missed. Figures only: no unit test has a timing threshold.
 *
 *   npm run bench              # 24 payloads per mix, 3 warm-up passes, 15 paired rounds
 *   npm run bench -- --quick   # smoke run: 8 payloads, 1 warm-up pass, 5 rounds
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { measureColdStart } from './cold-start.js';
import { LAMBDA_MEMORY_MB, MEMORY_PAYLOAD_BYTES, measureHandler, measureInChild } from './memory.js';
import { formatRatio } from './paired.js';
import { buildLargePayload, buildPayloadSet, PAYLOAD_MIXES } from './payloads.js';
import { measureThroughput, type ThroughputResult } from './throughput.js';

export const TARGETS = {
  /** Median of the per-round ratios, on the 403-only mix (what production delivers). */
  classifierOverFloor403Only: 0.8,
  /** The full handler's peak RSS on a 1 MiB payload under the deployed 128 MB flags. */
  handlerPeakRssMB: LAMBDA_MEMORY_MB,
} as const;

const quick = process.argv.includes('--quick');
const config = quick
  ? { payloads: 8, warmups: 1, rounds: 5, coldStartRounds: 3 }
  : { payloads: 24, warmups: 3, rounds: 15, coldStartRounds: 10 };

/** `JSON.stringify` with arrays of numbers and strings on one line, as Biome formats JSON. */
function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\n\s*([^[\]{}]*?)\n\s*\]/g,
    (_match, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`,
  );
}

function printThroughput(result: ThroughputResult): void {
  const kinds = Object.entries(result.eventsByKind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  console.log(
    `\n== Throughput, ${result.mix} mix: ${result.payloads} payloads, ${result.events} log events (${kinds}); ` +
      `${result.base64MB} MB base64, ${result.decompressedMB} MB decompressed ==`,
  );
  console.table(
    Object.fromEntries(
      Object.entries(result.slots).map(([slot, stats]) => [
        slot,
        {
          'events/s': stats.eventsPerSecond,
          'median CPU ms': stats.medianMs,
          'min CPU ms': stats.minMs,
          'max CPU ms': stats.maxMs,
        },
      ]),
    ),
  );
  const { ratios } = result;
  console.log(
    `  classifier / floor      ${formatRatio(ratios.classifierOverFloor)}   the monitor's per-line path vs the floor`,
  );
  console.log(
    `  core / floor            ${formatRatio(ratios.coreOverFloor)}   classifyIntoGroups alone vs the floor`,
  );
  console.log(
    `  decode / powertools     ${formatRatio(ratios.decodeOverPowertools)}   equal work: envelope only`,
  );
  console.log(`  A/A floor / floor       ${formatRatio(ratios.floorOverFloor)}   noise of one ratio`);
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const cpu = cpus()[0]?.model.trim() ?? 'unknown';
  const load = loadavg().map((n) => n.toFixed(1));
  console.log(`apigw-403-monitor benchmark${quick ? ' (--quick)' : ''}, ${new Date().toISOString()}`);
  console.log(`Node ${process.version} (V8 ${process.versions.v8}), ${process.platform}/${process.arch}`);
  console.log(`CPU: ${cpu} × ${cpus().length}; load average ${load.join(' ')} (1/5/15 min)`);
  console.log(
    `Method: ${config.rounds} paired rounds after ${config.warmups} warm-up passes, every variant once per round ` +
      'on the same payloads (order rotated), no forced GC; ratios per round, then median and range.',
  );

  const throughput = PAYLOAD_MIXES.map((mix) =>
    measureThroughput(buildPayloadSet(config.payloads, mix), config),
  );
  for (const result of throughput) printThroughput(result);

  const coldStart = await measureColdStart({ rounds: config.coldStartRounds, memoryMb: LAMBDA_MEMORY_MB });
  console.log(
    `\n== Cold start: import of the deployed bundle in a fresh node (${config.coldStartRounds} paired rounds) ==`,
  );
  console.table(
    Object.fromEntries(
      Object.entries(coldStart.importMs).map(([variant, ms]) => [
        variant,
        {
          'import CPU ms (median)': ms.median,
          'RSS after import MB':
            coldStart.rssAfterImportMB[variant as keyof typeof coldStart.rssAfterImportMB],
          NODE_OPTIONS: coldStart.nodeOptions[variant as keyof typeof coldStart.nodeOptions],
        },
      ]),
    ),
  );
  const cs = coldStart.ratios;
  console.log(`  monitor / bare                       ${formatRatio(cs.monitorOverBare)}`);
  console.log(`  monitor + source maps / bare         ${formatRatio(cs.monitorWithSourceMapsOverBare)}`);
  console.log(`  monitor + source maps / monitor      ${formatRatio(cs.monitorWithSourceMapsOverWithout)}`);
  console.log(`  A/A bare / bare                      ${formatRatio(cs.bareOverBare)}`);
  console.log(
    `  bundles: ${Object.entries(coldStart.bundles)
      .map(([name, size]) => `${name} ${size.kB} kB (+ ${size.sourceMapKB} kB map)`)
      .join(', ')}`,
  );
  console.log(
    `  stack trace with --enable-source-maps:\n    ${coldStart.stackTrace.withSourceMaps.replaceAll('\n', '\n    ')}`,
  );
  console.log(
    `  stack trace without (deployed):\n    ${coldStart.stackTrace.withoutSourceMaps.replaceAll('\n', '\n    ')}`,
  );

  const large = buildLargePayload(MEMORY_PAYLOAD_BYTES);
  const handler = await measureHandler(large, LAMBDA_MEMORY_MB);
  const core = measureInChild(large);
  console.log(
    `\n== Memory: one ${core.payload.compressedMB} MiB gzip payload (${core.payload.events} events, ` +
      `${core.payload.inflatedMB} MiB of messages), each measurement in a fresh process ==`,
  );
  console.log(
    `  full handler (monitor bundle, NODE_OPTIONS="${handler.nodeOptions}", peers in another process): ` +
      `peak RSS ${handler.peakRssMB} MB (node alone ${handler.startRssMB}, after import ${handler.afterImportRssMB}, ` +
      `after the invocation ${handler.afterInvokeRssMB}); ${handler.findings} findings, ${handler.groups} groups, ` +
      `${handler.alerts} alerts in ${handler.invokeMs} ms: ${handler.fits ? 'fits' : 'does NOT fit'} ` +
      `${handler.lambdaMB} MB (margin ${handler.marginMB} MB)`,
  );
  console.log('  core alone, stage by stage (bundled, node --expose-gc, full GC before each snapshot):');
  console.table({
    baseline: core.baseline,
    'event loaded': core.eventLoaded,
    'after decode': core.afterDecode,
    'after classify + group': core.afterClassify,
  });
  console.log(`  core peak RSS ${core.peakRssMB} MB`);

  const services = Object.entries(handler.awsRequests);
  const totalRequests = services.reduce(
    (sum, [, operations]) => sum + Object.values(operations).reduce((n, count) => n + count, 0),
    0,
  );
  console.log(
    `\n== AWS requests of that invocation (counted at the peers; ${handler.alerts} alerting groups of ${handler.groups}) ==`,
  );
  for (const [service, operations] of services) {
    const list = Object.entries(operations).map(([operation, count]) => `${operation} ${count}`);
    console.log(`  ${service.padEnd(10)} ${list.join(', ')}`);
  }
  console.log(
    `  total ${totalRequests}` +
      (handler.alerts > 0 ? `, ${(totalRequests / handler.alerts).toFixed(2)} per alerting group` : ''),
  );

  const primary = throughput.find((result) => result.mix === '403-only') as ThroughputResult;
  const speedOk = primary.ratios.classifierOverFloor.median >= TARGETS.classifierOverFloor403Only;
  const memoryOk = handler.peakRssMB < TARGETS.handlerPeakRssMB;
  const elapsedS = Math.round(Number(process.hrtime.bigint() - started) / 1e8) / 10;
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
      loadAverage: loadavg(),
    },
    method: {
      ...config,
      timer: 'process.cpuUsage (user + system CPU time of this process), per payload and slot',
      pairing: 'every variant once per round on the same payloads, order rotated; ratio per round',
      statistic: 'median and range of the per-round ratios',
      forcedGc: false,
      control: 'A/A: the floor timed twice per round',
    },
    throughput,
    coldStart,
    memory: { handler, core },
    targets: TARGETS,
    targetsMet: { classifierOverFloor403Only: speedOk, handlerPeakRss: memoryOk },
    elapsedSeconds: elapsedS,
  };
  writeFileSync(fileURLToPath(new URL('./results.json', import.meta.url)), `${toJson(results)}\n`);
  console.log(`\nWrote bench/results.json in ${elapsedS} s`);

  const missed = [
    ...(speedOk
      ? []
      : [
          `classifier / floor on the 403-only mix ${primary.ratios.classifierOverFloor.median} < ${TARGETS.classifierOverFloor403Only}`,
        ]),
    ...(memoryOk ? [] : [`full handler peak RSS ${handler.peakRssMB} MB ≥ ${TARGETS.handlerPeakRssMB} MB`]),
  ];
  if (missed.length > 0) {
    console.error(`\nTARGET MISSED: ${missed.join('; ')}`);
    process.exitCode = 1;
  }
}

await main();
