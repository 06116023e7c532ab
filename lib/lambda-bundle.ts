/**
 * Where the functions' code comes from, for both ways the construct gets it (the esbuild options
 * themselves are `LAMBDA_BUNDLING`, lib/bundling.ts):
 *
 * - installed from the package, it deploys the bundles `npm pack` built into `dist/assets/` (the
 *   `prepack` script runs `scripts/build-package.ts`), so a consumer's synth needs no esbuild, no
 *   lockfile, no Docker and no network;
 * - in this repository (TypeScript sources beside it, no shipped bundle), `NodejsFunction` bundles the
 *   sources with the local esbuild at synth, with the same options.
 *
 * Pure (no CDK import), so the package build script uses it without loading aws-cdk-lib.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Node.js major of the Lambda runtime (`nodejs22.x`): the bundles target it, `npm test` runs on it. */
export const LAMBDA_NODE_MAJOR = 22;

/** The functions, by the directory name of their bundle, with their entry point in the sources. */
export const LAMBDA_ENTRIES = {
  monitor: 'lambda/handler.ts',
  /** The central monitor: the same pipeline, fed by the Kinesis stream of a CloudWatch Logs destination. */
  'monitor-kinesis': 'lambda/kinesis-handler.ts',
  'slack-forwarder': 'lambda/slack-forwarder.ts',
  'subscription-check': 'lambda/subscription-check.ts',
  /** Account-wide mode: maps every stage's log groups and keeps them subscribed. */
  discovery: 'lambda/discovery-handler.ts',
  /** The scheduled digest (EventBridge Scheduler). */
  digest: 'lambda/digest-handler.ts',
  /** A route's AWS Chatbot channel: relays the route's messages to the topic the channel subscribes. */
  'chatbot-relay': 'lambda/chatbot-relay.ts',
} as const;

export type LambdaName = keyof typeof LAMBDA_ENTRIES;

/** The file name of every bundle, in its directory, and the Lambda handler: its `handler` export. */
export const BUNDLE_FILE = 'index.mjs';
export const BUNDLE_HANDLER = 'index.handler';

/** Where the package keeps its bundles, relative to the compiled `dist/lib/` of this module. */
const BUNDLES_DIR = new URL('../assets/', import.meta.url);
const PROJECT_ROOT = new URL('../', import.meta.url);

export type LambdaSource =
  | { readonly kind: 'bundle'; readonly directory: string }
  | {
      readonly kind: 'sources';
      readonly projectRoot: string;
      readonly entry: string;
      readonly lockFile: string;
    };

/**
 * The shipped bundle of `name` when this module runs from the package, else the sources of this
 * repository; an error that says what is missing when neither is there (a package packed without its
 * `prepack` step).
 */
export function lambdaSource(name: LambdaName): LambdaSource {
  const bundle = new URL(`${name}/`, BUNDLES_DIR);
  if (existsSync(new URL(BUNDLE_FILE, bundle))) return { kind: 'bundle', directory: fileURLToPath(bundle) };
  const entry = new URL(LAMBDA_ENTRIES[name], PROJECT_ROOT);
  const lockFile = new URL('package-lock.json', PROJECT_ROOT);
  if (existsSync(entry) && existsSync(lockFile)) {
    return {
      kind: 'sources',
      projectRoot: fileURLToPath(PROJECT_ROOT),
      entry: fileURLToPath(entry),
      lockFile: fileURLToPath(lockFile),
    };
  }
  throw new Error(
    `apigw-403-monitor: no Lambda bundle at ${fileURLToPath(new URL(BUNDLE_FILE, bundle))} and no sources ` +
      `at ${fileURLToPath(entry)}; a package must be packed with its prepack step (npm pack runs it)`,
  );
}
