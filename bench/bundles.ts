/**
 * The Lambda bundles, built with the flags the stack deploys (lib/bundling.ts), so the cold-start and
 * memory figures are those of the deployed code, not of the TypeScript sources under a loader.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { LAMBDA_BUNDLING, LAMBDA_ESBUILD_OPTIONS } from '../lib/bundling.js';
import { LAMBDA_ENTRIES, type LambdaName } from '../lib/lambda-bundle.js';

/** Every deployed function, and the cold-start reference (never deployed). */
export type BundleName = LambdaName | 'bare-sns';

const ENTRIES: Readonly<Record<BundleName, string>> = {
  ...(Object.fromEntries(
    Object.entries(LAMBDA_ENTRIES).map(([name, entry]) => [name, `../${entry}`]),
  ) as Record<LambdaName, string>),
  'bare-sns': './bare-sns-handler.ts',
};

export interface Bundle {
  readonly name: BundleName;
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
}

/**
 * Builds one bundle into `dir` as `<name>.mjs` (+ `.mjs.map`), like `NodejsFunction` does;
 * `metafile` also writes esbuild's account of the inputs to `<name>.mjs.meta.json`.
 */
export function buildBundle(name: BundleName, dir: string, options: { metafile?: boolean } = {}): Bundle {
  const file = join(dir, `${name}.mjs`);
  const result = buildSync({
    entryPoints: [fileURLToPath(new URL(ENTRIES[name], import.meta.url))],
    ...LAMBDA_ESBUILD_OPTIONS,
    outfile: file,
    logLevel: 'warning',
    metafile: options.metafile === true,
  });
  if (result.metafile) writeFileSync(`${file}.meta.json`, JSON.stringify(result.metafile));
  const mapBytes = LAMBDA_BUNDLING.sourceMap ? statSync(`${file}.map`).size : 0;
  return { name, file, bytes: statSync(file).size, sourceMapBytes: mapBytes };
}

/** esbuild for a benchmark helper script (not deployed): ESM, unminified. */
export function buildScript(entry: string, outfile: string): string {
  buildSync({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
