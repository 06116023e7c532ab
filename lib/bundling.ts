/**
 * How the Lambda code is bundled (esbuild options, as `NodejsFunction` names them). One definition for
 * the construct and for the benchmark, which measures the very bundles the stack deploys. Pure (no CDK
 * import).
 */
export const LAMBDA_BUNDLING = {
  target: 'node22',
  minify: true,
  // Function and class names survive minification, so a stack trace read without source maps still
  // says where it failed (`at monitorConfig (file:///var/task/index.mjs:50:73750)`) for ~1 ms of import.
  keepNames: true,
  // Written beside the bundle but not loaded: NODE_OPTIONS leaves out `--enable-source-maps`
  // (lib/node-options.ts); whoever needs original positions switches it on in the function's environment.
  sourceMap: true,
  mainFields: ['module', 'main'],
  // The ESM bundle still holds CommonJS dependencies that call `require`.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
} as const;
