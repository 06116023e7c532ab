/**
 * What escapes every command of the real `apigw403` process (spawned, as a user runs it): a reader that
 * closes the pipe ends the run quietly, anything else is one line on stderr and exit 1, never a stack
 * trace. Faults the machine can make are made for real (a closed pipe, a full disk: /dev/full); a throw
 * and an unhandled rejection are injected with `node --import`, since no input makes the CLI do either.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessLine } from '../fixtures/evidence.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
const FAULTS = fileURLToPath(new URL('../fixtures/faults/', import.meta.url));
const dir = plainTempDir('apigw403-last-resort-');
const log = join(dir, 'big.log');
/** Far more than a pipe buffers (64 KiB), so the CLI is still writing when `head` has gone. */
const FINDINGS = 3000;

beforeAll(() => {
  const lines = Array.from({ length: FINDINGS }, (_, index) =>
    accessLine({ requestId: `f6b7c1c0-0000-4000-8000-${String(index).padStart(12, '0')}` }),
  );
  writeFileSync(log, `${lines.join('\n')}\n`);
});

/** Runs `script` in bash with the CLI as `$1` and the log as `$2`; its stderr is in `err`. */
async function shell(script: string, preload?: string) {
  const err = join(dir, `err-${Math.random().toString(36).slice(2)}`);
  const node = preload ? `node --import ${JSON.stringify(join(FAULTS, preload))}` : 'node';
  const { stdout } = await run('bash', ['-c', script.replaceAll('CLI', `${node} "$1"`), '_', BIN, log, err], {
    timeout: 60_000,
  });
  return { stdout, stderr: readFileSync(err, 'utf8') };
}

const ONE_LINE =
  /^apigw403: unexpected error \(.+\); this is a bug, please report it with the command you ran\n$/;

describe('apigw403, the process: what no command handled', () => {
  it('classify big.log | head -1: the first finding, then a quiet exit 0 (pipefail)', async () => {
    const { stdout, stderr } = await shell(
      'set -o pipefail; CLI classify "$2" 2>"$3" | head -1; echo "exit=$?"',
    );
    const [first, exit] = stdout.split('\n');
    expect(JSON.parse(first ?? '')).toMatchObject({ requestId: 'f6b7c1c0-0000-4000-8000-000000000000' });
    expect({ exit, stderr }).toEqual({ exit: 'exit=0', stderr: '' });
  }, 60_000);

  it.each([
    [
      'a full disk (stdout on /dev/full)',
      'CLI classify "$2" >/dev/full 2>"$3"; echo "exit=$?"',
      undefined,
      /ENOSPC/,
    ],
    [
      'a throw inside a command',
      'CLI classify "$2" >/dev/null 2>"$3"; echo "exit=$?"',
      'throw-on-first-write.mjs',
      /TypeError: injected fault/,
    ],
    [
      'an unhandled rejection',
      'CLI classify "$2" >/dev/null 2>"$3"; echo "exit=$?"',
      'reject-on-first-write.mjs',
      /Error: injected rejection/,
    ],
  ])(
    '%s: one line on stderr, exit 1',
    async (_what, script, preload, cause) => {
      const { stdout, stderr } = await shell(script, preload);
      expect(stdout).toBe('exit=1\n');
      expect(stderr).toMatch(ONE_LINE);
      expect(stderr).toMatch(cause);
      expect(stderr).not.toMatch(/\n\s+at /);
    },
    60_000,
  );
});
