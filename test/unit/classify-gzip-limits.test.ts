/**
 * Files the CLI cannot read whole: a gzip export cut short is read up to the cut (attack finding 07),
 * and text past what one V8 string holds is refused in one line instead of a thrown
 * ERR_STRING_TOO_LONG (attack finding 06).
 */
import { constants } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_BYTES, readInputs } from '../../cli/input.js';
import { accessLine } from '../fixtures/evidence.js';
import { plainTempDir } from '../fixtures/temp-dir.js';
import { classifyFile } from './classify-file.js';

const dir = plainTempDir('apigw403-gzip-limits-');
const file = (name: string, content: Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const LINES = Array.from(
  { length: 1000 },
  (_, index) =>
    `2026-12-01T10:00:00.000Z ${accessLine({ requestId: `f6b7c1c0-0000-4000-8000-${String(index).padStart(12, '0')}` })}`,
);
const TEXT = Buffer.from(`${LINES.join('\n')}\n`);
const GZIP = gzipSync(TEXT);

async function classify(path: string) {
  const { code, ids, notes } = await classifyFile(path);
  return { code, findings: ids.length, notes };
}

describe('classify: a gzip export cut short', () => {
  it.each([0.3, 0.6, 0.95])(
    'cut at %d of its bytes: the whole lines before the cut are classified, exit 1',
    async (share) => {
      const path = file(`cut-${share}.gz`, GZIP.subarray(0, Math.floor(GZIP.length * share)));
      const { code, findings, notes } = await classify(path);
      expect(findings).toBeGreaterThan(0);
      expect(findings).toBeLessThan(LINES.length);
      expect(notes).toEqual([
        `apigw403 classify: ${path}: gzip data ends early (truncated): the ${findings} whole lines before the cut are read`,
      ]);
      expect(code).toBe(1);
    },
  );

  it('the whole file: every line, exit 0', async () => {
    expect(await classify(file('whole.gz', GZIP))).toEqual({ code: 0, findings: LINES.length, notes: [] });
  });

  it('corrupt gzip data (not a cut) is still refused in one line', async () => {
    const broken = Buffer.from(GZIP);
    broken.fill(0xff, 100, 200);
    const path = file('corrupt.gz', broken);
    const { code, findings, notes } = await classify(path);
    expect({ code, findings }).toEqual({ code: 1, findings: 0 });
    expect(notes).toEqual([`apigw403 classify: ${path}: gzip data is corrupt`]);
  });
});

describe('classify: more text than one run reads', () => {
  it('the default limit is what one V8 string holds, at most', () => {
    expect(MAX_TEXT_BYTES).toBeGreaterThan(256 * 1024 * 1024);
    expect(MAX_TEXT_BYTES).toBeLessThanOrEqual(constants.MAX_STRING_LENGTH);
  });

  it.each([
    ['plain text', 'big.log', TEXT, /: 1 MiB is more text than one run reads \(0 MiB\): split the file/],
    ['gzip', 'big.log.gz', GZIP, /: inflates to more text than one run reads \(0 MiB\): split the file/],
  ])(
    '%s past the limit: one line naming it, no document, the other files read',
    async (_what, name, content, message) => {
      const small = file('small.log', Buffer.from(`${LINES[0]}\n`));
      const set = await readInputs([file(name, content), small], { maxTextBytes: TEXT.length - 1 });
      expect(set.invalid).toEqual([expect.stringMatching(message)]);
      expect(set.invalid[0]?.startsWith(join(dir, name))).toBe(true);
      expect(set.documents.map((document) => document.logStream)).toEqual([small]);
    },
  );
});
