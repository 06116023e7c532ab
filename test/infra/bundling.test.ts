import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../bench/bundles.js';
import { nodeOptionsFor } from '../../lib/node-options.js';

const dir = mkdtempSync(join(tmpdir(), 'apigw403-bundling-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The SDK client packages whose code ends up in a bundle (esbuild's metafile: bytes in the output). */
function sdkClients(name: 'monitor' | 'slack-forwarder'): string[] {
  const bundle = buildBundle(name, dir, { metafile: true });
  const meta = JSON.parse(readFileSync(`${bundle.file}.meta.json`, 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const clients = new Set<string>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input);
      if (match?.[1] && bytesInOutput > 0) clients.add(match[1]);
    }
  }
  return [...clients].sort();
}

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
