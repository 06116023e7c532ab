/**
 * `explain` reads a capture in the encodings people save it in, as `classify` reads an export: UTF-8
 * with or without a byte order mark, and UTF-16 with one (Windows PowerShell 5's `>` writes UTF-16LE),
 * from a file or standard input (attack finding 05: all but plain UTF-8 were refused, exit 2).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExplain } from '../../cli/commands/explain.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

const dir = plainTempDir('apigw403-explain-encodings-');
const CAPTURES = {
  har: readFileSync('test/fixtures/explain/browser.har', 'utf8'),
  // PowerShell writes CRLF line ends too.
  curl: readFileSync('test/fixtures/explain/waf-block.curl.txt', 'utf8').replace(/\r?\n/g, '\r\n'),
} as const;

const ENCODINGS: readonly (readonly [string, (text: string) => Buffer])[] = [
  ['UTF-8', (text) => Buffer.from(text, 'utf8')],
  ['UTF-8 with a byte order mark', (text) => Buffer.from(`\ufeff${text}`, 'utf8')],
  ['UTF-16LE with a byte order mark (PowerShell 5 >)', (text) => Buffer.from(`\ufeff${text}`, 'utf16le')],
  ['UTF-16BE with a byte order mark', (text) => Buffer.from(`\ufeff${text}`, 'utf16le').swap16()],
];

async function explain(kind: keyof typeof CAPTURES, path: string, stdin?: string) {
  let stdout = '';
  let stderr = '';
  const code = await runExplain(
    { [kind]: path, since: '24h', output: 'json' },
    {
      stdoutIsTTY: false,
      stderrIsTTY: false,
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
    },
  );
  return { code, stdout, stderr };
}

const plain = {
  har: await explain('har', writeCapture('plain.har', Buffer.from(CAPTURES.har))),
  curl: await explain('curl', writeCapture('plain.curl.txt', Buffer.from(CAPTURES.curl))),
};

function writeCapture(name: string, content: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('explain: a capture in any encoding gives the answer plain UTF-8 gives', () => {
  it('plain UTF-8 explains both captures', () => {
    for (const result of Object.values(plain)) {
      expect(result.code).toBe(0);
      expect([JSON.parse(result.stdout)].flat()[0]).toMatchObject({ kind: 'explained' });
    }
  });

  describe.each(ENCODINGS)('%s', (encoding, encode) => {
    it.each(Object.keys(CAPTURES) as (keyof typeof CAPTURES)[])('%s file', async (kind) => {
      const path = writeCapture(`${kind}-${encoding.replace(/\W+/g, '-')}`, encode(CAPTURES[kind]));
      const result = await explain(kind, path);
      expect(result).toEqual(plain[kind]);
    });
  });

  it.each(Object.keys(CAPTURES) as (keyof typeof CAPTURES)[])(
    '%s on standard input with a byte order mark',
    async (kind) => {
      expect(await explain(kind, '-', `\ufeff${CAPTURES[kind]}`)).toEqual(plain[kind]);
    },
  );
});
