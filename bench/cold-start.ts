/**
 * Cold start of the deployed bundles: the CPU time to import the monitor bundle, with and without
 * `--enable-source-maps`, against a bare SNS-publishing handler, in paired rounds of fresh processes
 * (each round starts every variant once, order rotated), plus the RSS after import, what a stack trace
 * looks like either way, and the bundle sizes.
 *
 *   npx tsx bench/cold-start.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nodeOptionsFor } from '../lib/node-options.js';
import { type Bundle, buildBundle } from './bundles.js';
import { lambdaProcess } from './lambda-process.js';
import { median, pairedRatio, type RatioSummary, rotation, round } from './paired.js';

const SOURCE_MAPS_FLAG = '--enable-source-maps';

type Variant = 'bare' | 'bare-aa' | 'monitor' | 'monitor-source-maps';
const VARIANTS: readonly Variant[] = ['bare', 'bare-aa', 'monitor', 'monitor-source-maps'];

export interface ColdStartResult {
  readonly bundles: Readonly<Record<string, { readonly kB: number; readonly sourceMapKB: number }>>;
  /** The NODE_OPTIONS of each variant (the 128 MB flags, with or without source maps). */
  readonly nodeOptions: Readonly<Record<Variant, string>>;
  readonly rounds: number;
  /** CPU ms of the import (user + system), per variant. */
  readonly importMs: Readonly<
    Record<Variant, { readonly median: number; readonly perRound: readonly number[] }>
  >;
  readonly rssAfterImportMB: Readonly<Record<Variant, number>>;
  readonly ratios: {
    /** Import time of the monitor over the bare handler's, both without source maps. */
    readonly monitorOverBare: RatioSummary;
    readonly monitorWithSourceMapsOverBare: RatioSummary;
    readonly monitorWithSourceMapsOverWithout: RatioSummary;
    /** A/A control: the bare handler against itself. */
    readonly bareOverBare: RatioSummary;
  };
  /** The first frames of the same configuration error, thrown from the minified monitor bundle. */
  readonly stackTrace: { readonly withSourceMaps: string; readonly withoutSourceMaps: string };
}

const byVariant = <T>(value: (variant: Variant) => T): Record<Variant, T> =>
  Object.fromEntries(VARIANTS.map((variant) => [variant, value(variant)])) as Record<Variant, T>;

const kB = (bytes: number): number => Math.round(bytes / 102.4) / 10;

/** The deployed flags for `memoryMb` with source maps switched on or off, whatever the default is. */
export function flagsWith(memoryMb: number, sourceMaps: boolean): string {
  const rest = nodeOptionsFor(memoryMb)
    .split(' ')
    .filter((flag) => flag !== SOURCE_MAPS_FLAG && flag !== '');
  return (sourceMaps ? [SOURCE_MAPS_FLAG, ...rest] : rest).join(' ');
}

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));

/** The first `frames` lines of a stack; the bundle's directory shown as Lambda's, sources repository-relative. */
const firstFrames = (stack: string, dir: string, frames = 4): string =>
  stack
    .split('\n')
    .slice(0, frames + 1)
    .map((line) =>
      line
        .replaceAll(pathToFileURL(dir).href, '/var/task')
        .replaceAll(dir, '/var/task')
        .replaceAll(REPOSITORY, ''),
    )
    .join('\n');

export async function measureColdStart(options: {
  rounds: number;
  memoryMb: number;
}): Promise<ColdStartResult> {
  const dir = mkdtempSync(join(tmpdir(), 'apigw403-cold-'));
  try {
    const built: Bundle[] = (['monitor', 'slack-forwarder', 'bare-sns'] as const).map((name) =>
      buildBundle(name, dir),
    );
    const bundleOf = (name: Bundle['name']) => built.find((bundle) => bundle.name === name) as Bundle;
    const child = lambdaProcess(dir);
    const nodeOptions: Record<Variant, string> = {
      bare: flagsWith(options.memoryMb, false),
      'bare-aa': flagsWith(options.memoryMb, false),
      monitor: flagsWith(options.memoryMb, false),
      'monitor-source-maps': flagsWith(options.memoryMb, true),
    };
    const fileOf = (variant: Variant) => bundleOf(variant.startsWith('bare') ? 'bare-sns' : 'monitor').file;
    const importMs = byVariant((): number[] => []);
    const rss = byVariant((): number[] => []);
    // One unmeasured start of each warms the file cache, as a provisioned sandbox's disk would be.
    for (const variant of VARIANTS)
      await child.run('import', fileOf(variant), { nodeOptions: nodeOptions[variant] });
    for (let r = 0; r < options.rounds; r++) {
      for (const variant of rotation(VARIANTS, r)) {
        const result = await child.run('import', fileOf(variant), { nodeOptions: nodeOptions[variant] });
        importMs[variant].push(result.importCpuMs);
        rss[variant].push(result.afterImportRssMB);
      }
    }
    const stack = async (sourceMaps: boolean) =>
      firstFrames(
        (
          await child.run('stack', bundleOf('monitor').file, {
            nodeOptions: flagsWith(options.memoryMb, sourceMaps),
          })
        ).stack ?? '',
        dir,
      );
    return {
      bundles: Object.fromEntries(
        built.map((bundle) => [
          bundle.name,
          { kB: kB(bundle.bytes), sourceMapKB: kB(bundle.sourceMapBytes) },
        ]),
      ),
      nodeOptions,
      rounds: options.rounds,
      importMs: byVariant((v) => ({
        median: round(median(importMs[v]), 1),
        perRound: importMs[v].map((ms) => round(ms, 1)),
      })),
      rssAfterImportMB: byVariant((v) => round(median(rss[v]), 1)),
      ratios: {
        monitorOverBare: pairedRatio(importMs.monitor, importMs.bare),
        monitorWithSourceMapsOverBare: pairedRatio(importMs['monitor-source-maps'], importMs.bare),
        monitorWithSourceMapsOverWithout: pairedRatio(importMs['monitor-source-maps'], importMs.monitor),
        bareOverBare: pairedRatio(importMs['bare-aa'], importMs.bare),
      },
      stackTrace: { withSourceMaps: await stack(true), withoutSourceMaps: await stack(false) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const quick = process.argv.includes('--quick');
  console.log(JSON.stringify(await measureColdStart({ rounds: quick ? 3 : 10, memoryMb: 128 }), null, 2));
}
