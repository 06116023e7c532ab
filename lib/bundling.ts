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

/**
 * The same options in esbuild's own names, for the bundles built outside `NodejsFunction`: the ones the
 * package ships (scripts/build-package.ts) and the ones the benchmarks measure (bench/bundles.ts).
 */
export const LAMBDA_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node' as const,
  format: 'esm' as const,
  target: LAMBDA_BUNDLING.target,
  minify: LAMBDA_BUNDLING.minify,
  keepNames: LAMBDA_BUNDLING.keepNames,
  sourcemap: LAMBDA_BUNDLING.sourceMap,
  mainFields: [...LAMBDA_BUNDLING.mainFields],
  banner: { js: LAMBDA_BUNDLING.banner },
};
