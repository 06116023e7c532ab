/**
 * Exports past what one run holds at once (attack finding 06: text past V8's longest string was
 * refused): every shape is read piece by piece and classified batch by batch, so a multi-GB export
 * gets every 403 classified. The limits are lowered through `runClassify`'s parameter so the files
 * stay small: the pieces are a few hundred characters, values past a few KiB are streamed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessLine, E4, E5 } from '../fixtures/evidence.js';
import { plainTempDir } from '../fixtures/temp-dir.js';
import { type ClassifyLimits, classifyCaptured } from './classify-file.js';

const dir = plainTempDir('apigw403-streaming-');
let files = 0;
const file = (content: string | Buffer, name = 'export'): string => {
  files += 1;
  const path = join(dir, `${files}-${name}`);
  writeFileSync(path, content);
  return path;
};

/** Small enough that each file below is many pieces, many batches, and its JSON page a streamed value. */
const SMALL: ClassifyLimits = { segmentChars: 300, maxValueChars: 2_000, batchChars: 1_500 };

async function classify(
  paths: readonly string[],
  limits: ClassifyLimits = {},
  output: 'jsonl' | 'table' = 'jsonl',
) {
  const result = await classifyCaptured(
    paths,
    { output, logGroup: '/aws/apigateway/a1b2c3d4e5/prod' },
    limits,
  );
  return { ...result, notes: result.stderr.split('\n').filter(Boolean) };
}

const id = (index: number) => `f6b7c1c0-0000-4000-8000-${String(index).padStart(12, '0')}`;
const COUNT = 60;
const LINES = Array.from({ length: COUNT }, (_, index) => accessLine({ requestId: id(index) }));
const ids = Array.from({ length: COUNT }, (_, index) => id(index));
const requestIds = (findings: readonly { requestId: string }[]) =>
  findings.map((finding) => finding.requestId).sort();

/** `aws logs filter-log-events` output as the AWS CLI prints it (4-space indent). */
function filterLogEvents(lines: readonly string[], indent: number | undefined = 4, first = 0): string {
  return `${JSON.stringify(
    {
      events: lines.map((message, index) => ({
        logStreamName: 'stream-1',
        timestamp: 1796140000000 + index,
        message,
        ingestionTime: 1796140000500 + index,
        eventId: `3797850812395400${String(first + index).padStart(40, '0')}`,
      })),
      searchedLogStreams: [{ logStreamName: 'stream-1', searchedCompletely: true }],
    },
    null,
    indent,
  )}\n`;
}

describe('classify: an export far bigger than one piece', () => {
  it.each([
    ['plain lines', `${LINES.join('\n')}\n`],
    ['plain lines, CRLF and no newline at the end', LINES.join('\r\n')],
    ['a pretty-printed filter-log-events page', filterLogEvents(LINES)],
    ['a filter-log-events page on one line (jq -c)', filterLogEvents(LINES, undefined)],
    [
      'two pages, concatenated',
      filterLogEvents(LINES.slice(0, 30)) + filterLogEvents(LINES.slice(30), 4, 30),
    ],
    [
      'get-query-results',
      JSON.stringify(
        {
          results: LINES.map((message, index) => [
            { field: '@timestamp', value: `2026-12-01 10:00:${String(index % 60).padStart(2, '0')}.000` },
            { field: '@message', value: message },
          ]),
          status: 'Complete',
        },
        null,
        4,
      ),
    ],
    [
      'a JSON array of events',
      JSON.stringify(
        LINES.map((message, index) => ({ message, timestamp: index })),
        null,
        2,
      ),
    ],
    [
      'an Insights CSV, messages quoted over several lines',
      `@timestamp,@message\n${LINES.map((line, index) => `2026-12-01 10:00:00.${index},"${line.replaceAll('"', '""').replace(',', ',\n')}"`).join('\n')}\n`,
    ],
  ])('%s: every 403, as when read whole, exit 0', async (_shape, content) => {
    const path = file(content);
    const whole = await classify([path]);
    const pieces = await classify([path], SMALL);
    expect(requestIds(whole.findings)).toEqual(ids);
    expect(requestIds(pieces.findings)).toEqual(ids);
    expect({ code: pieces.code, notes: pieces.notes }).toEqual({ code: whole.code, notes: whole.notes });
    expect(pieces.code).toBe(0);
  });

  it('an Insights CSV with a quote inside an unquoted field: the cuts between pieces fall where records end', async () => {
    // A `"` that does not open a field is text (parseCsv), so it must not turn quoting on for the cut:
    // else the newlines inside the quoted messages below read as record ends and a cut splits a record.
    const content = `@timestamp,@message,@logStream\n${LINES.map((line, index) => `2026-12-01 10:00:00.${index},"${line.replaceAll('"', '""').replace(',', ',\n')}",${index === 0 ? 'stream"1' : 'stream-1'}`).join('\n')}\n`;
    const path = file(content);
    const whole = await classify([path]);
    const pieces = await classify([path], SMALL);
    expect(requestIds(whole.findings)).toEqual(ids);
    expect({ code: pieces.code, notes: pieces.notes, ids: requestIds(pieces.findings) }).toEqual({
      code: 0,
      notes: [],
      ids,
    });
  });

  it('gzip: inflated piece by piece', async () => {
    const path = file(gzipSync(filterLogEvents(LINES)), 'export.json.gz');
    const { code, findings, notes } = await classify([path], SMALL);
    expect({ code, notes, ids: requestIds(findings) }).toEqual({ code: 0, notes: [], ids });
  });

  it('the summary table counts every batch', async () => {
    const path = file(`${LINES.join('\n')}\n`);
    const whole = await classify([path], {}, 'table');
    const pieces = await classify([path], SMALL, 'table');
    expect(pieces.stdout).toBe(whole.stdout);
    expect(pieces.stdout).toMatch(/^TOTAL\s+60\s/m);
  });

  it('execution lines of one request join its access line within a batch', async () => {
    const execution = [`(${id(0)}) ${E4}`, `(${id(0)}) ${E5}`];
    const path = file(`${[...execution, LINES[0]].join('\n')}\n`);
    const { findings } = await classify([path], { segmentChars: 100, batchChars: 10_000 });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.sources.sort()).toEqual(['access', 'execution']);
  });

  it('a text line with an unbalanced { early on: the lines after it are read, each once', async () => {
    const path = file(`{ not json, a note someone typed\n${LINES.join('\n')}\n`);
    const { code, findings, notes } = await classify([path], SMALL);
    expect(requestIds(findings)).toEqual(ids);
    expect(code).toBe(0);
    expect(notes).toEqual([
      `apigw403 classify: ${path}: 1 of 61 lines are not API Gateway log lines (skipped)`,
    ]);
  });

  it('a page cut short: the events before the cut are read, one line says so, exit 1', async () => {
    const page = filterLogEvents(LINES);
    const cut = page.slice(0, page.indexOf(id(40)));
    const path = file(cut);
    const { code, findings, notes } = await classify([path], SMALL);
    expect(requestIds(findings)).toEqual(ids.slice(0, 40));
    expect(notes).toEqual([
      `apigw403 classify: ${path}: JSON that never closes (truncated?) from line 1: the 40 events before the cut are read`,
    ]);
    expect(code).toBe(1);
  });

  it('a page cut inside an event, then other lines: the events before, one line, the lines after', async () => {
    const page = filterLogEvents(LINES.slice(0, 30));
    // The cut falls inside event 19's message: its string runs on into the lines pasted after it.
    const broken = `${page.slice(0, page.indexOf(id(20)) - 200)}\n}} garbage\n${LINES.slice(30).join('\n')}\n`;
    const path = file(broken);
    const { code, findings, notes } = await classify([path], SMALL);
    expect(requestIds(findings)).toEqual([...ids.slice(0, 19), ...ids.slice(30)]);
    expect(notes).toEqual([
      `apigw403 classify: ${path}: line 143: the JSON from line 1 breaks off here (unexpected "r"): the 19 events before are read`,
    ]);
    expect(code).toBe(1);
  });

  it.each([
    ['an escape JSON does not have', '"bad\\x"'],
    ['a line break (a page cut inside a key, the next page pasted after it)', '"searched\n'],
  ])(
    'a big page whose key after its events holds %s: the events before, one line, exit 1, not a stack or exit 2',
    async (_what, key) => {
      const page = filterLogEvents(LINES.slice(0, 30));
      const broken = `${page.slice(0, page.lastIndexOf(',\n    "searchedLogStreams"'))},\n    ${key}: 1\n}\n${LINES.slice(30).join('\n')}\n`;
      const path = file(broken);
      const { code, findings, notes } = await classify([path], SMALL);
      expect(requestIds(findings)).toEqual(ids);
      expect(notes[0]).toMatch(
        /: line \d+: the JSON from line 1 breaks off here \(a key that is not a JSON string\): the 30 events before are read$/,
      );
      // The rest of the line it broke off in is read again as text: not log lines, counted.
      for (const note of notes.slice(1))
        expect(note).toMatch(/: \d+ of \d+ events are not API Gateway log lines \(skipped\)$/);
      expect(code).toBe(1);
    },
  );

  it('a JSON line after a long text line is read whatever the piece size, not refused as a big value', async () => {
    // The text line is held back with the JSON line cut at a piece's end: their length together is no
    // value's, and the access line is far from too big to hold.
    const path = file(`${LINES[0]}\n${'note '.repeat(380)}\n${LINES.slice(1, 4).join('\n')}\n`);
    const whole = await classify([path]);
    expect(requestIds(whole.findings)).toEqual(ids.slice(0, 4));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 400 }), async (segmentChars) => {
        const pieces = await classify([path], { segmentChars, maxValueChars: 2_000 });
        expect({ ids: requestIds(pieces.findings), notes: pieces.notes, code: pieces.code }).toEqual({
          ids: requestIds(whole.findings),
          notes: whole.notes,
          code: whole.code,
        });
      }),
      { numRuns: 40 },
    );
  });

  it('a big JSON value of no streamed shape: one line says what to do, exit 1, the other files read', async () => {
    const document = JSON.stringify(
      {
        messageType: 'DATA_MESSAGE',
        owner: '123456789012',
        logGroup: '/aws/apigateway/a1b2c3d4e5/prod',
        logStream: 's',
        subscriptionFilters: ['f'],
        logEvents: LINES.map((message, index) => ({ id: String(index), timestamp: index, message })),
      },
      null,
      2,
    );
    const big = file(document, 'document.json');
    const small = file(`${LINES[0]}\n`, 'small.log');
    const { code, findings, notes } = await classify([big, small], SMALL);
    expect(requestIds(findings)).toEqual([id(0)]);
    expect(notes[0]).toBe(
      `apigw403 classify: ${big}: line 1: a JSON value over 0 MiB that is not a filter-log-events or get-query-results page: not read; give its events one per line (jq -c '.logEvents[]')`,
    );
    expect(code).toBe(1);
  });

  it('reading in pieces of any size changes nothing (mixed shapes, one file)', async () => {
    const blocks = [
      LINES.slice(0, 5).join('\n'),
      filterLogEvents(LINES.slice(5, 12)),
      LINES.slice(12, 20)
        .map((line) => JSON.stringify({ message: line, timestamp: 1, eventId: line.length }))
        .join('\n'),
      `2026-12-01T10:00:00.000000+00:00 stream-1 ${LINES[20]}`,
      JSON.stringify({ events: LINES.slice(21, 25).map((message) => ({ message, timestamp: 1 })) }),
      // `aws logs tail --format json`: the time and stream, the record pretty-printed below them.
      ...LINES.slice(25, 28).map(
        (line) => `2026-12-01T10:00:00.000000+00:00 stream-1\n${JSON.stringify(JSON.parse(line), null, 4)}`,
      ),
    ];
    const path = file(`${blocks.join('\n')}\n`);
    const whole = await classify([path]);
    expect(requestIds(whole.findings)).toEqual(ids.slice(0, 28));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 400 }),
        // Past the longest line (a JSON access line), else every value is one too big to hold.
        fc.integer({ min: 1_000, max: 6_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        async (segmentChars, maxValueChars, batchChars) => {
          const pieces = await classify([path], { segmentChars, maxValueChars, batchChars });
          expect(requestIds(pieces.findings)).toEqual(requestIds(whole.findings));
          expect(pieces.notes).toEqual(whole.notes);
          expect(pieces.code).toBe(whole.code);
        },
      ),
      { numRuns: 40 },
    );
  });
});
