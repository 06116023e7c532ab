import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { wafAccessLine } from '../fixtures/monitor-peers.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

/**
 * `npm start` prints through the CLI's safe output like every command: a file name is anyone's text,
 * and it printed control sequences and credentials as they were (`console.log`).
 */

const PLANTED = '\u001b]0;pwned\u0007\u001b[31mBearer abc123Secret';
let dir: string;

beforeAll(async () => {
  dir = plainTempDir('apigw403-start-output-');
  const document = logsDocument('/aws/apigateway/a1b2c3d4e5/prod', [
    { timestamp: Date.now(), message: wafAccessLine('a1b2c3d4e5', 'prod', 'r-1') },
  ]);
  await writeFile(join(dir, `${PLANTED}.json`), JSON.stringify(subscriptionEvent(document)));
  await writeFile(join(dir, `${PLANTED} second.json`), 'not a payload');
});

describe('npm start output', () => {
  it('redacts and strips what an input file name carries, and keeps its own tables whole', async () => {
    const run = promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'cli/start.ts',
        '--input',
        join(dir, `${PLANTED}.json`),
        join(dir, `${PLANTED} second.json`),
      ],
      { timeout: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
    );
    const { stdout, stderr } = await run.then(
      (result) => result,
      (error: unknown) => error as { stdout: string; stderr: string },
    );
    for (const printed of [stdout, stderr]) {
      expect(printed).not.toContain('abc123Secret');
      expect(printed.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    }
    expect(stdout).toContain('Bearer [redacted]');
    expect(stderr).toContain('Bearer [redacted]');
    // The metric table is the CLI's own text: redaction would take its counts.
    expect(stdout).toMatch(/a1b2c3d4e5\s+prod\s+WAF_FILTERED\s+1/);
  });
});
