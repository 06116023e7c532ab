/**
 * Starts lambda-child in a fresh `node` process with a given NODE_OPTIONS and a clean environment (only
 * what the caller passes, as in a Lambda sandbox), and returns what it measured.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildScript } from './bundles.js';
import type { ChildMode, ChildResult } from './lambda-child.js';

export interface LambdaProcess {
  run(
    mode: ChildMode,
    bundle: string,
    options: {
      readonly nodeOptions: string;
      readonly env?: Readonly<Record<string, string>>;
      readonly eventFile?: string;
    },
  ): Promise<ChildResult>;
}

/** Builds the child script into `dir` once; each `run` is a new process. */
export function lambdaProcess(dir: string): LambdaProcess {
  const script = buildScript('./lambda-child.ts', join(dir, 'lambda-child.mjs'));
  let runs = 0;
  return {
    run: (mode, bundle, options) =>
      new Promise((resolve, reject) => {
        runs += 1;
        const resultFile = join(dir, `result-${runs}.json`);
        const child = spawn(
          process.execPath,
          [script, mode, bundle, resultFile, ...(options.eventFile ? [options.eventFile] : [])],
          {
            env: { PATH: process.env.PATH ?? '', ...options.env, NODE_OPTIONS: options.nodeOptions },
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
        });
        child.on('error', reject);
        child.on('close', (code) => {
          if (code !== 0) {
            reject(new Error(`lambda child (${mode}) exited ${code}: ${stderr.trim().slice(0, 2000)}`));
            return;
          }
          resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as ChildResult);
        });
      }),
  };
}
