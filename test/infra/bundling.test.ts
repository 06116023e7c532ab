import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BundleName, buildBundle } from '../../bench/bundles.js';
import { LAMBDA_ENTRIES, type LambdaName } from '../../lib/lambda-bundle.js';
import { nodeOptionsFor } from '../../lib/node-options.js';

const dir = mkdtempSync(join(tmpdir(), 'apigw403-bundling-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FUNCTIONS = Object.keys(LAMBDA_ENTRIES) as LambdaName[];
const built = new Map<BundleName, string[]>();

/**
 * The inputs whose code ends up in a bundle built with the deployed flags (esbuild's metafile: bytes in
 * the output), as paths relative to the repository (`node_modules/zod/v4/mini/schemas.js`).
 */
function inputsOf(name: BundleName): string[] {
  const cached = built.get(name);
  if (cached) return cached;
  const bundle = buildBundle(name, dir, { metafile: true });
  const meta = JSON.parse(readFileSync(`${bundle.file}.meta.json`, 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const inputs = Object.values(meta.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
      .map(([input]) => input),
  );
  built.set(name, inputs);
  return inputs;
}

/** The SDK client packages in a bundle. */
const sdkClients = (name: BundleName): string[] =>
  [
    ...new Set(
      inputsOf(name).flatMap(
        (input) => /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input)?.[1] ?? [],
      ),
    ),
  ].sort();

const zodModules = (name: BundleName): string[] =>
  inputsOf(name).filter((input) => /node_modules\/zod\//.test(input));
/** What zod/mini and the English messages are made of; zod's full API (`v4/classic`) and other locales are not. */
const ZOD_MINI = /node_modules\/zod\/v4\/(?:core|mini)\/|node_modules\/zod\/v4\/locales\/en\.js$/;
const projectModules = (name: BundleName): string[] =>
  inputsOf(name)
    .filter((input) => !input.includes('node_modules/'))
    .sort();

describe('Lambda bundles (deployed flags, lib/bundling.ts)', () => {
  it('the Slack forwarder carries only the Secrets Manager client', () => {
    expect(sdkClients('slack-forwarder')).toEqual(['client-secrets-manager']);
  });

  it('the monitor carries the clients it calls, and not Secrets Manager', () => {
    expect(sdkClients('monitor')).toEqual(['client-cloudwatch-logs', 'client-dynamodb', 'client-sns']);
  });

  it('a function does not parse its source map at start (NODE_OPTIONS)', () => {
    expect(nodeOptionsFor(128)).not.toContain('--enable-source-maps');
  });
});

describe('zod in the functions (docs/benchmarks.md, "Bundle sizes")', () => {
  it.each(FUNCTIONS)('%s carries zod/mini at most, never zod’s full API or its locales', (name) => {
    expect(zodModules(name).filter((input) => !ZOD_MINI.test(input))).toEqual([]);
  });

  it('only the functions that validate at run time carry zod at all', () => {
    // The monitors and the digest read NOISE_POLICY; the forwarder and a route's Chatbot relay check
    // every view they render.
    expect(FUNCTIONS.filter((name) => zodModules(name).length > 0).sort()).toEqual([
      'chatbot-relay',
      'digest',
      'monitor',
      'monitor-kinesis',
      'slack-forwarder',
    ]);
  });

  it('the forwarder carries its view checks, not the noise policy’s schema', () => {
    const modules = projectModules('slack-forwarder');
    expect(modules).toContain('lambda/core/render/alert-schema.ts');
    expect(modules).toContain('lambda/core/render/digest-schema.ts');
    expect(modules).not.toContain('lambda/core/noise-policy.ts');
  });

  it('a route’s Chatbot relay carries its view checks and the SNS client, not the noise policy’s schema', () => {
    const modules = projectModules('chatbot-relay');
    expect(modules).toContain('lambda/core/render/alert-schema.ts');
    expect(modules).toContain('lambda/core/render/digest-schema.ts');
    expect(modules).not.toContain('lambda/core/noise-policy.ts');
    expect(sdkClients('chatbot-relay')).toEqual(['client-sns']);
  });

  it('the cold-start reference is bare: the SNS client and plain names, no zod', () => {
    expect(zodModules('bare-sns')).toEqual([]);
    expect(sdkClients('bare-sns')).toEqual(['client-sns']);
    expect(projectModules('bare-sns')).toEqual([
      'bench/bare-sns-handler.ts',
      'lambda/core/kinesis-records.ts',
      'lambda/core/monitor-contract.ts',
      'lambda/core/noise-policy-names.ts',
    ]);
  });
});
