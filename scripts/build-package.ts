/**
 * Builds what the npm package ships, from a clean `dist/`: the compiled construct with its
 * declarations (`tsc -p tsconfig.build.json`), and the functions' bundles
 * (`dist/assets/<name>/index.mjs` and its source map) with the options `NodejsFunction` uses in the
 * repository (`LAMBDA_BUNDLING`, lib/bundling.ts). `npm pack` runs it as `prepack`.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { LAMBDA_ESBUILD_OPTIONS } from '../lib/bundling.js';
import { BUNDLE_FILE, LAMBDA_ENTRIES } from '../lib/lambda-bundle.js';

const root = new URL('../', import.meta.url);
const dist = new URL('dist/', root);

rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  { cwd: fileURLToPath(root), stdio: 'inherit' },
);
for (const [name, entry] of Object.entries(LAMBDA_ENTRIES)) {
  await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    entryPoints: [fileURLToPath(new URL(entry, root))],
    outfile: fileURLToPath(new URL(`assets/${name}/${BUNDLE_FILE}`, dist)),
    logLevel: 'warning',
  });
}
