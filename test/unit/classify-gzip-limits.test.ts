/**
 * Files the CLI cannot read whole: a gzip export cut short is read up to the cut (attack finding 07),
 * and text past what one V8 string holds is read in pieces, not refused (attack finding 06; the
 * shapes are in classify-streaming.test.ts).
 */
import { constants } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_VALUE_CHARS, readInputs, SEGMENT_CHARS } from '../../cli/input.js';
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

  it('corrupt gzip data (not a cut): one line, what inflated before it is read (none here), exit 1', async () => {
    const broken = Buffer.from(GZIP);
    broken.fill(0xff, 100, 200);
    const path = file('corrupt.gz', broken);
    const { code, findings, notes } = await classify(path);
    expect({ code, findings }).toEqual({ code: 1, findings: 0 });
    expect(notes).toEqual([`apigw403 classify: ${path}: gzip data is corrupt`]);
  });
});

describe('classify: more text than one V8 string holds', () => {
  it('no piece and no value held whole comes near what one V8 string holds', () => {
    expect(SEGMENT_CHARS).toBeLessThan(constants.MAX_STRING_LENGTH / 8);
    expect(MAX_VALUE_CHARS).toBeLessThan(constants.MAX_STRING_LENGTH / 4);
  });

  it.each([
    ['plain text', 'big.log', TEXT],
    ['gzip', 'big.log.gz', GZIP],
  ])(
    '%s bigger than a piece and a value: every line read, the other files too',
    async (_what, name, content) => {
      const small = file('small.log', Buffer.from(`${LINES[0]}\n`));
      const limits = { segmentChars: 4096, maxValueChars: 8192 };
      const set = await readInputs([file(name, content), small], limits);
      expect(set.invalid).toEqual([]);
      const events = (source: string) =>
        set.documents
          .filter((document) => document.logStream === source)
          .reduce((sum, document) => sum + document.logEvents.length, 0);
      expect(events(join(dir, name))).toBe(LINES.length);
      expect(set.files.map((report) => report.duplicates)).toEqual([0, 1]);
    },
  );
});
