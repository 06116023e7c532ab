/**
 * NUL bytes in a log file (attack finding 02): a line that holds one is counted and skipped, NUL
 * padding at the start of a line (logrotate's copytruncate, a block zeroed by a crash) is dropped,
 * and the rest of the file is classified in full. A file that is binary is still refused in one line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { A1, accessLine } from '../fixtures/evidence.js';
import { plainTempDir } from '../fixtures/temp-dir.js';
import { classifyFile } from './classify-file.js';

const dir = plainTempDir('apigw403-nul-');
let files = 0;

async function classify(content: Buffer) {
  files += 1;
  const path = join(dir, `input-${files}.log`);
  writeFileSync(path, content);
  return { ...(await classifyFile(path)), path };
}

const LINES = Array.from({ length: 100 }, (_, index) =>
  accessLine({ requestId: `f6b7c1c0-0000-4000-8000-${String(index).padStart(12, '0')}` }),
);
const IDS = LINES.map((line) => (JSON.parse(line) as { requestId: string }).requestId);
const text = (lines: readonly string[]) => Buffer.from(`${lines.join('\n')}\n`);
const nuls = (count: number) => Buffer.alloc(count);
const withLine = (at: number, line: string) => [...LINES.slice(0, at), line, ...LINES.slice(at)];
const utf16le = (content: string) =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(content, 'utf16le')]);
const skippedNote = (nulLines: number, total = 100 + nulLines) =>
  `${total - 100} of ${total} lines are not API Gateway log lines (skipped), ${nulLines} of them holding a NUL byte`;

describe('classify: NUL bytes in a text file', () => {
  it.each([
    ['a line of garbage with a NUL', text(withLine(3, 'garbage\u0000line')), skippedNote(1)],
    [
      'an access line with a NUL in its user agent',
      text(withLine(50, A1.replace('curl/8.10.1', 'curl\u0000'))),
      skippedNote(1),
    ],
    [
      'a CLF-looking line cut by a NUL',
      text(withLine(99, '76.33.40.125 - - [22/Jul/2026:03:52:54\u0000')),
      skippedNote(1),
    ],
    [
      '4 KiB of NUL padding at the head (logrotate copytruncate)',
      Buffer.concat([nuls(4096), text(LINES)]),
      undefined,
    ],
    [
      '1 MiB of NUL padding at the head, past the 64 KiB sample',
      Buffer.concat([nuls(1 << 20), text(LINES)]),
      undefined,
    ],
    ['a zeroed block after the last line (a crash)', Buffer.concat([text(LINES), nuls(4096)]), undefined],
    ['gzip of a file with a NUL line', gzipSync(text(withLine(10, 'x\u0000y'))), skippedNote(1)],
    [
      'UTF-16LE (PowerShell) with a NUL line',
      utf16le(`${withLine(20, 'x\u0000y').join('\r\n')}\r\n`),
      skippedNote(1),
    ],
  ])('%s: classifies every access line, counts the NUL lines', async (_what, content, note) => {
    const { code, ids, notes, path } = await classify(content);
    expect(ids).toEqual(IDS);
    expect(notes).toEqual(note ? [`apigw403 classify: ${path}: ${note}`] : []);
    expect(code).toBe(0);
  });

  it('a line cut by a zeroed block is one line with the line written after it: that one line is skipped', async () => {
    const { code, ids, notes, path } = await classify(
      Buffer.concat([
        text(LINES.slice(0, 60)),
        Buffer.from('{"requestId":"cut'),
        nuls(4096),
        text(LINES.slice(60)),
      ]),
    );
    expect(ids).toEqual([...IDS.slice(0, 60), ...IDS.slice(61)]);
    expect(notes).toEqual([
      `apigw403 classify: ${path}: 1 of 100 lines are not API Gateway log lines (skipped), 1 of them holding a NUL byte`,
    ]);
    expect(code).toBe(0);
  });

  it('a file of NUL padding only holds no log line, and says so', async () => {
    const { code, ids, notes, path } = await classify(nuls(70_000));
    expect(ids).toEqual([]);
    expect(notes).toEqual([`apigw403 classify: ${path}: no log lines in the file`]);
    expect(code).toBe(1);
  });

  it('any number of NUL lines anywhere, behind any padding: the others are classified, the NUL lines counted', async () => {
    const garbage = fc
      .tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }))
      // Not a NUL first: NULs at the start of a line are padding, dropped rather than counted.
      .map(([before, after]) => `x${before.replace(/\n/g, '')}\u0000${after.replace(/\n/g, '')}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: LINES.length }), garbage), { maxLength: 30 }),
        fc.nat({ max: 100_000 }),
        async (inserts, padding) => {
          const lines = [...LINES];
          for (const [at, line] of [...inserts].sort(([a], [b]) => b - a)) lines.splice(at, 0, line);
          const { code, ids, notes, path } = await classify(Buffer.concat([nuls(padding), text(lines)]));
          expect(ids).toEqual(IDS);
          expect(notes).toEqual(
            inserts.length ? [`apigw403 classify: ${path}: ${skippedNote(inserts.length)}`] : [],
          );
          expect(code).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('classify: binary files are still refused in one line', () => {
  it.each([
    [
      'an executable (this Node.js binary)',
      readFileSync(process.execPath).subarray(0, 256 * 1024),
      'binary data',
    ],
    [
      'an executable behind NUL padding',
      Buffer.concat([nuls(8192), readFileSync(process.execPath).subarray(0, 65_536)]),
      'binary data',
    ],
    [
      'UTF-16 text without its byte order mark',
      Buffer.from(`${LINES.slice(0, 5).join('\n')}\n`, 'utf16le'),
      'binary data',
    ],
    [
      'random bytes',
      Buffer.from(Array.from({ length: 65_536 }, (_, index) => (index * 7919 + 13) % 251)),
      'binary data',
    ],
  ])('%s', async (_what, content, hint) => {
    const { code, ids, notes, path } = await classify(content);
    expect(ids).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      new RegExp(
        `^apigw403 classify: ${path}: 0 of \\d+ lines are API Gateway log lines \\(looks like: ${hint}`,
      ),
    );
    expect(code).toBe(1);
  });
});
