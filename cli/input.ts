import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { DEFAULT_STAGE } from '../lambda/core/gateway-ids.js';
import {
  type DecodeResult,
  executionLogGroupName,
  type LogEvent,
  type LogsDocument,
  parseAccessLine,
  parseExecutionLogGroup,
  splitExecutionLine,
} from '../lambda/core/index.js';
import {
  decodeBlocks,
  encodingOf,
  fileBlocks,
  type GzipEnd,
  gunzipBlocks,
  isGzip,
  peek,
  pieces,
  streamBlocks,
} from './input/bytes.js';
import { type Chunk, countNewlines, isUnclosedJson, parseJson, splitChunkPrefix } from './input/chunks.js';
import { csvCut, parseCsv } from './input/csv.js';
import { JsonValueStream } from './input/json-stream.js';
import { dropWords, isExecutionLine, parseTextOutputRow, stripLinePrefixes } from './input/lines.js';
import { type ExportedEvent, readJsonValue, timeOf } from './input/shapes.js';
import { utf16Text } from './input/text.js';
import { stripControlSequences } from './terminal.js';

/** How much of one file was API Gateway log lines, for the honest "read N, none is a log line" answer. */
export interface FileReport {
  readonly source: string;
  /** `lines` for text, `events` for structured exports. */
  unit: 'lines' | 'events';
  /** Lines or events that could have been log lines (format rows such as page tokens excluded). */
  total: number;
  /** Of those, API Gateway access-log or execution-log lines. */
  recognised: number;
  /** Events already read from another file or earlier in this one (overlapping exports). */
  duplicates: number;
  /** Payloads that could not be decoded (each reported on its own). */
  invalid: number;
  /** CONTROL_MESSAGE deliveries (CloudWatch's check that the destination is reachable). */
  controlMessages: number;
  /** Lines holding a NUL byte past the padding at their start: not text, so skipped (and in `total`). */
  nulLines: number;
  /** What the file looks like when it is not what was expected. */
  hint?: string;
}

/** What the inputs of one command held, file by file, but their documents (handed over in batches). */
export interface InputSummary {
  /** One line per payload that could not be decoded: `file[:line]: reason`. */
  readonly invalid: string[];
  /** One line per file that could not be read at all. */
  readonly unreadable: string[];
  readonly files: FileReport[];
  controlMessages: number;
  /** The API and stage a document's log group names, for lines that do not say. */
  readonly resolveStage: (logGroup: string) => StageRef | undefined;
}

/** What the inputs of one command held, documents and all. */
export interface InputSet extends InputSummary {
  readonly documents: LogsDocument[];
}

export interface StageRef {
  readonly apiId: string;
  readonly stage: string;
}

export interface ReadOptions {
  /** The log group of inputs that do not name theirs (plain text, CLI output); `FILE=GROUP` wins. */
  readonly logGroup?: string;
  /** Standard input (`-`) at once, in place of reading `process.stdin` block by block. */
  readonly readStdin?: () => Promise<Buffer | string>;
  /**
   * The most characters one JSON value (or CSV record) is held whole: a bigger one is read element by
   * element where its shape allows (`events`, `results`, a top-level array), else refused in one line.
   * @default MAX_VALUE_CHARS
   */
  readonly maxValueChars?: number;
  /**
   * The characters read at a time.
   * @default SEGMENT_CHARS
   */
  readonly segmentChars?: number;
}

export interface StreamOptions extends ReadOptions {
  /**
   * The message characters the documents of one batch hold before they are handed over (and so
   * classified together: request ids join across files only within a batch).
   * @default BATCH_CHARS
   */
  readonly batchChars?: number;
}

/** Default name for access lines whose group is not known. */
export const PLAIN_ACCESS_GROUP = 'apigw403-cli/access';
const UNKNOWN = 'unknown';
const MIB = 1024 * 1024;
/**
 * A JSON value held whole is parsed as one string; past this, where memory would grow with the file
 * (and V8 strings end at ~512 MiB), it is read element by element instead.
 */
export const MAX_VALUE_CHARS = 16 * MIB;
/** Text is read a piece of this size at a time, whatever the file's size. */
export const SEGMENT_CHARS = 8 * MIB;
/** Documents are classified a batch of this much message text at a time (a multi-GB export in bounded memory). */
export const BATCH_CHARS = 16 * MIB;
/** How much of a file's head tells gzip, zip, UTF-16 and binary data apart. */
const HEAD_BYTES = 65_536;
const LOG_GROUP_NAME = /^[\w\-./#]+$/;

/** `FILE=GROUP` (log group names hold no `=`) -> its parts; a bare path has no group. */
export function splitFileArgument(argument: string): { path: string; logGroup?: string } {
  const at = argument.lastIndexOf('=');
  if (at <= 0) return { path: argument };
  const logGroup = argument.slice(at + 1);
  return LOG_GROUP_NAME.test(logGroup) ? { path: argument.slice(0, at), logGroup } : { path: argument };
}

/**
 * `$default` has no `$` in its log group's name (`/aws/apigateway/{api}/default`, the name this
 * project and the console give it), which a REST stage really named `default` shares: a line in an
 * HTTP API shape (a route key, `GET /items` or `$default`, where REST logs a resource path) is the
 * HTTP API's `$default` stage, any other keeps `default`.
 */
const DEFAULT_STAGE_GROUP_STAGE = 'default';
const HTTP_ROUTE_KEY = /^(?:\$default|[A-Z]+ \S+)$/;

function isHttpApiLine(message: string): boolean {
  const routeKey = parseAccessLine(message)?.values.routeKey;
  return routeKey !== undefined && HTTP_ROUTE_KEY.test(routeKey);
}

/**
 * The API and stage a log group belongs to, from the names API Gateway and this project use:
 * `API-Gateway-Execution-Logs_{api}/{stage}`, `/aws/apigateway/{api}/{stage}`, `..._{api}/{stage}`.
 */
export function stageOfLogGroup(logGroup: string): StageRef | undefined {
  const execution = parseExecutionLogGroup(logGroup);
  if (execution) return execution;
  // Only names that say API Gateway: `/aws/lambda/myfunction1/x` must not become an API id.
  const match = /api-?gateway.*[/_]([a-z0-9]{10})\/([\w.-]+)$/i.exec(logGroup);
  return match ? { apiId: match[1] as string, stage: match[2] as string } : undefined;
}

/** Every input's documents at once (`npm start --input`, tests): `streamInputs` with one batch. */
export async function readInputs(
  arguments_: readonly string[],
  options: ReadOptions = {},
): Promise<InputSet> {
  const documents: LogsDocument[] = [];
  const summary = await streamInputs(
    arguments_,
    { ...options, batchChars: Number.POSITIVE_INFINITY },
    (batch) => {
      for (const document of batch) documents.push(document);
    },
  );
  return { ...summary, documents };
}

/**
 * Reads every input in pieces and hands its documents over in batches of about `batchChars` message
 * characters: a multi-GB export is read in bounded memory. Inputs smaller than one batch are one batch.
 */
export async function streamInputs(
  arguments_: readonly string[],
  options: StreamOptions,
  onBatch: (documents: LogsDocument[], resolveStage: InputSummary['resolveStage']) => void,
): Promise<InputSummary> {
  const stages = new Map<string, StageRef>();
  const summary: InputSummary = {
    invalid: [],
    unreadable: [],
    files: [],
    controlMessages: 0,
    resolveStage: (group) => stages.get(group) ?? stageOfLogGroup(group),
  };
  const reader = new InputReader(summary, stages, {
    maxValueChars: options.maxValueChars ?? MAX_VALUE_CHARS,
    segmentChars: options.segmentChars ?? SEGMENT_CHARS,
    batchChars: options.batchChars ?? BATCH_CHARS,
    onBatch,
  });
  for (const argument of arguments_) {
    // `FILE=GROUP`, unless the whole argument names a file (`report=prod.json`).
    const split = splitFileArgument(argument);
    const { path, logGroup } =
      split.logGroup !== undefined && (await isFile(argument)) ? { path: argument } : split;
    const cannotRead = (error: unknown) =>
      summary.unreadable.push(
        `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    let blocks: AsyncGenerator<Buffer>;
    try {
      blocks = path === '-' ? stdinBlocks(options.readStdin) : await fileBlocks(path);
    } catch (error) {
      cannotRead(error);
      continue;
    }
    // A file that fails part-way (a read error, a pipe that breaks) keeps what was read of it.
    await reader
      .addFile(path === '-' ? '<stdin>' : path, blocks, logGroup ?? options.logGroup)
      .catch(cannotRead);
  }
  reader.flush();
  return summary;
}

type Kind = 'access' | 'execution';

interface PendingEvent {
  readonly id?: string;
  readonly line: number;
  readonly timestamp: number;
  readonly message: string;
  readonly group?: string;
  readonly stream?: string;
}

interface ReaderLimits {
  readonly maxValueChars: number;
  readonly segmentChars: number;
  readonly batchChars: number;
  readonly onBatch: (documents: LogsDocument[], resolveStage: InputSummary['resolveStage']) => void;
}

/** One file as it is read: where its text stands, and what it turned out to be. */
interface FileState {
  readonly source: string;
  readonly logGroup: string | undefined;
  readonly report: FileReport;
  readonly synthetic: SyntheticRequestIds;
  /** The line the text waiting for more starts on. */
  line: number;
  /** Nothing read yet: the first piece tells CSV from the rest. */
  first: boolean;
  /** Values may span lines (until one attempt in the file failed). */
  multiLine: boolean;
  /** Some of its text has been read as lines or values. */
  chunked?: boolean;
  /** A CSV export: its columns, and whether its header row is still to be skipped. */
  csv?: { readonly columns: CsvColumns; header: boolean };
  /** A JSON value too big to hold, being read element by element. */
  streaming?: { readonly scanner: JsonValueStream; readonly line: number; readonly events: PendingEvent[] };
  /** How its gzip data ended, once it has. */
  gzip?: GzipEnd;
  /** Newlines of the text so far (the whole lines a cut gzip stream held). */
  newlines: number;
}

/** Sorts each file's contents into subscription-shaped documents, counting what was not log lines. */
class InputReader {
  /**
   * What was read already, as digests: an export given twice counts once, in memory that grows by a
   * digest per event, not by its text.
   */
  private readonly seenIds = new Set<string>();
  private readonly seenMessages: Record<Kind, Set<string>> = { access: new Set(), execution: new Set() };
  private documents: LogsDocument[] = [];
  private batchChars = 0;

  constructor(
    private readonly set: InputSummary,
    private readonly stages: Map<string, StageRef>,
    private readonly limits: ReaderLimits,
  ) {}

  async addFile(source: string, blocks: AsyncGenerator<Buffer>, logGroup: string | undefined): Promise<void> {
    const report: FileReport = {
      source,
      unit: 'lines',
      total: 0,
      recognised: 0,
      duplicates: 0,
      invalid: 0,
      controlMessages: 0,
      nulLines: 0,
    };
    this.set.files.push(report);
    const file: FileState = {
      source,
      logGroup,
      report,
      synthetic: new SyntheticRequestIds(source),
      line: 1,
      first: true,
      multiLine: true,
      newlines: 0,
    };
    const text = await this.textOf(file, blocks);
    if (text === undefined) return;
    let rest = '';
    for await (const piece of pieces(text, this.limits.segmentChars)) {
      file.newlines += countNewlines(piece);
      rest = this.readPiece(file, rest + piece, false);
      this.flushIfFull();
    }
    if (file.gzip === 'truncated') {
      // The line the cut went through is half a line.
      rest = rest.slice(0, rest.lastIndexOf('\n') + 1);
      this.problem(
        file,
        `gzip data ends early (truncated): the ${file.newlines} whole lines before the cut are read`,
      );
    }
    if (file.gzip === 'corrupt') {
      rest = rest.slice(0, rest.lastIndexOf('\n') + 1);
      const read = file.newlines > 0 ? `: the ${file.newlines} whole lines before it are read` : '';
      this.problem(file, `gzip data is corrupt${read}`);
    }
    this.readPiece(file, rest, true);
    if (file.streaming) {
      this.problem(
        file,
        `JSON that never closes (truncated?) from line ${file.streaming.line}: the ${file.streaming.scanner.elements} events before the cut are read`,
      );
      this.endStreaming(file);
    }
    this.flushIfFull();
  }

  /** Hands the documents read so far over. */
  flush(): void {
    if (this.documents.length > 0) this.limits.onBatch(this.documents, this.set.resolveStage);
    this.documents = [];
    this.batchChars = 0;
  }

  private flushIfFull(): void {
    if (this.batchChars >= this.limits.batchChars) this.flush();
  }

  private addDocument(document: LogsDocument): void {
    this.documents.push(document);
    for (const event of document.logEvents) this.batchChars += event.message.length;
  }

  private problem(file: FileState, text: string): void {
    file.report.invalid += 1;
    this.set.invalid.push(`${file.source}: ${text}`);
  }

  /**
   * The file as text, piece by piece: gunzipped when gzip, decoded by its byte order mark; `undefined`
   * when its head shows it is no text (a zip archive, binary data), its lines then only counted.
   */
  private async textOf(
    file: FileState,
    blocks: AsyncGenerator<Buffer>,
  ): Promise<AsyncIterable<string> | undefined> {
    let { head, all } = await peek(blocks, HEAD_BYTES);
    if (isGzip(head)) {
      ({ head, all } = await peek(
        gunzipBlocks(all, (end) => {
          file.gzip = end;
        }),
        HEAD_BYTES,
      ));
    }
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
      return this.refuse(file, decodeBlocks(all, 'utf-8'), 'a zip archive: unzip it first');
    }
    let encoding = encodingOf(head);
    // Binary data that happens to start like a byte order mark is no text once decoded either.
    if (encoding !== 'utf-8' && binaryHint(utf16Text(head) ?? '') !== undefined) encoding = 'utf-8';
    const binary = binaryHint(
      new TextDecoder(encoding === 'utf-8' ? 'utf-8' : 'utf-16le').decode(
        encoding === 'utf-16be' ? Buffer.from(head).swap16() : head,
      ),
    );
    if (binary) return this.refuse(file, decodeBlocks(all, encoding), binary);
    return decodeBlocks(all, encoding);
  }

  /** Counts a file's lines without reading them: its head showed it is no text. */
  private async refuse(file: FileState, text: AsyncIterable<string>, hint: string): Promise<undefined> {
    let partial = '';
    for await (const piece of pieces(text, this.limits.segmentChars)) {
      const lines = (partial + piece).split('\n');
      partial = lines.pop() ?? '';
      file.report.total += lines.filter((line) => line.trim() !== '').length;
    }
    if (partial.trim() !== '') file.report.total += 1;
    file.report.hint = hint;
    return undefined;
  }

  /** Reads what is whole of `text`; returns the rest, which waits for the next piece (nothing, when `final`). */
  private readPiece(file: FileState, text: string, final: boolean): string {
    if (file.streaming) {
      const after = this.stream(file, text);
      if (after === undefined) return '';
      return this.readPiece(file, after, final);
    }
    // Whole lines only: a line cut at the end of the piece is looked at once it is whole.
    const whole = final ? text.length : text.lastIndexOf('\n') + 1;
    const { text: cleanLines, nulLines } = withoutNulLines(text.slice(0, whole));
    const clean = whole === text.length ? cleanLines : cleanLines + text.slice(whole);
    file.report.nulLines += nulLines;
    file.report.total += nulLines;
    if (file.first && !this.tellShape(file, clean, final)) return clean;
    if (file.csv) return this.readCsvPiece(file, clean, final);
    return this.readChunkPiece(file, clean, final);
  }

  /** Tells a CSV export by its header row; `false` while the first line is not whole yet. */
  private tellShape(file: FileState, text: string, final: boolean): boolean {
    const firstLine = /^\s*([^\n]*)(\n)?/.exec(text.slice(0, HEAD_BYTES));
    // A CSV header is short: a first line longer than the head is no header.
    if (!final && firstLine?.[2] === undefined && text.length < HEAD_BYTES) return false;
    file.first = false;
    const header = firstLine?.[2] === undefined && !final ? undefined : firstLine?.[1];
    const columns = header ? csvColumns(header.replace(/\r$/, '')) : undefined;
    if (!columns || parseJson(header ?? '') !== undefined) return true;
    file.csv = { columns, header: true };
    file.report.unit = 'events';
    if (columns.message === undefined) file.report.hint = `${columns.kind} without @message?`;
    return true;
  }

  private readChunkPiece(file: FileState, text: string, final: boolean): string {
    if (final && !file.chunked && isUnclosedJson(text))
      file.report.hint = 'JSON that never closes (truncated?)';
    const prefix = splitChunkPrefix(text, { final, line: file.line, multiLine: file.multiLine });
    file.multiLine = prefix.multiLine;
    if (prefix.chunks.length > 0) file.chunked = true;
    const events: PendingEvent[] = [];
    this.readChunks(file.source, prefix.chunks, file.report, events);
    this.place(file, events);
    file.line = prefix.restLine;
    const rest = text.slice(prefix.rest);
    // What waits may be a whole line held back before an open value (it may be that value's
    // `aws logs tail` prefix): the value is too big by its own length, not by theirs together.
    const waiting = prefix.openValue === undefined ? rest.length : text.length - prefix.openValue;
    if (waiting <= this.limits.maxValueChars) return rest;
    // One line longer than a value may be: read as it stands, what follows it as another line.
    if (prefix.openValue === undefined) return this.readChunkPiece(file, rest, true);
    // A value too big to hold: the lines before it are read, then it element by element.
    const before = prefix.openValue - prefix.rest;
    const lines = splitChunkPrefix(rest.slice(0, before), { final: true, line: file.line, multiLine: false });
    const beforeEvents: PendingEvent[] = [];
    this.readChunks(file.source, lines.chunks, file.report, beforeEvents);
    this.place(file, beforeEvents);
    file.line = lines.restLine;
    return this.startStreaming(file, rest.slice(before), final);
  }

  /**
   * Starts reading the JSON value at the start of `text` element by element. Text that shows it is no
   * JSON before any events array began (a line of text that starts with `{`) is read as lines instead,
   * and values no longer span lines in this file.
   */
  private startStreaming(file: FileState, text: string, final: boolean): string {
    const events: PendingEvent[] = [];
    const line = file.line;
    const scanner = new JsonValueStream((element, key, at) => {
      this.readStreamedElement(file, element, key, line + at, events);
    });
    const checker = new JsonValueStream(() => undefined);
    if (checker.push(text).error && checker.streamedArrays === 0) {
      file.multiLine = false;
      return this.readPiece(file, text, final);
    }
    file.streaming = { scanner, line, events };
    const after = this.stream(file, text);
    if (after === undefined) return '';
    return this.readPiece(file, after, final);
  }

  /**
   * Feeds `text` to the value being streamed: the text after it once it closed, `undefined` while it
   * is still open. Text that is no JSON ends it: one line says where, and reading goes on at the next line.
   */
  private stream(file: FileState, text: string): string | undefined {
    const streaming = file.streaming;
    if (!streaming) return text;
    const result = streaming.scanner.push(text);
    this.place(file, streaming.events.splice(0));
    if (result.end === undefined && result.error === undefined) return undefined;
    let after: string;
    if (result.error) {
      const line = streaming.line + streaming.scanner.newlines;
      this.problem(
        file,
        `line ${line}: the JSON from line ${streaming.line} breaks off here (${result.error.reason}): the ${streaming.scanner.elements} events before are read`,
      );
      // The line it broke off in is read again as text (a log line pasted after a cut page), unless
      // the value started on it.
      const next = text.indexOf('\n', result.error.at);
      const start =
        line === streaming.line
          ? next === -1
            ? text.length
            : next + 1
          : text.lastIndexOf('\n', result.error.at) + 1;
      after = text.slice(start);
      file.line = line === streaming.line ? line + 1 : line;
    } else {
      after = text.slice(result.end);
      file.line = streaming.line + streaming.scanner.newlines;
    }
    this.endStreaming(file);
    return after;
  }

  private endStreaming(file: FileState): void {
    const streaming = file.streaming;
    if (!streaming) return;
    file.streaming = undefined;
    if (streaming.scanner.streamedArrays === 0) {
      this.problem(
        file,
        `line ${streaming.line}: a JSON value over ${Math.floor(this.limits.maxValueChars / MIB)} MiB that is not a filter-log-events or get-query-results page: not read; give its events one per line (jq -c '.logEvents[]')`,
      );
    }
  }

  private readStreamedElement(
    file: FileState,
    element: string,
    key: string | undefined,
    line: number,
    events: PendingEvent[],
  ): void {
    let value: unknown;
    try {
      value = JSON.parse(element);
    } catch {
      file.report.total += 1;
      file.report.hint ??= 'JSON that is not a log export';
      return;
    }
    const chunk = {
      kind: 'json',
      value: key === undefined ? value : { [key]: [value] },
      text: element,
      line,
    } as const;
    this.readJson(file.source, chunk, file.report, events, key === undefined);
  }

  /** CSV records up to the last line end outside quotes (all, when `final`); returns the rest. */
  private readCsvPiece(file: FileState, text: string, final: boolean): string {
    const csv = file.csv as NonNullable<FileState['csv']>;
    let cut = final ? text.length : csvCut(text);
    // One record bigger than a value may be: read as it stands.
    if (cut === 0 && text.length > this.limits.maxValueChars) cut = text.length;
    const whole = text.slice(0, cut);
    const events: PendingEvent[] = [];
    this.readCsv(whole, csv.columns, file.report, events, csv.header, file.line);
    if (cut > 0) csv.header = false;
    this.place(file, events);
    file.line += countNewlines(whole);
    return text.slice(cut);
  }

  private readChunks(
    source: string,
    chunks: readonly Chunk[],
    report: FileReport,
    events: PendingEvent[],
  ): void {
    for (let index = 0; index < chunks.length; index += 1) {
      const chunk = chunks[index] as Chunk;
      if (chunk.kind === 'json') {
        this.readJson(source, chunk, report, events);
        continue;
      }
      const text = stripControlSequences(chunk.text);
      const row = parseTextOutputRow(text);
      if (row === 'other') continue;
      if (row) {
        report.total += 1;
        events.push({ ...row, line: chunk.line });
        continue;
      }
      const stripped = stripLinePrefixes(text);
      const next = chunks[index + 1];
      // `aws logs tail --format json` prints `<time> <stream> ` and the message, pretty-printed, below.
      if (stripped.streamMayFollow && next?.kind === 'json' && !/\s/.test(stripped.message)) {
        report.total += 1;
        events.push({
          line: chunk.line,
          timestamp: stripped.timestamp ?? 0,
          message: next.text,
          ...(stripped.message ? { stream: stripped.message } : {}),
        });
        index += 1;
        continue;
      }
      report.total += 1;
      report.hint ??= textHint(stripped.message);
      events.push({ line: chunk.line, timestamp: stripped.timestamp ?? 0, message: messageOf(stripped) });
    }
  }

  private readJson(
    source: string,
    chunk: Extract<Chunk, { kind: 'json' }>,
    report: FileReport,
    events: PendingEvent[],
    nested = false,
  ): void {
    const where = `${source}:${chunk.line}`;
    for (const item of readJsonValue(chunk.value, () => chunk.text, nested)) {
      switch (item.kind) {
        case 'decode':
          report.unit = 'events';
          this.addDecoded(where, item.result, report);
          break;
        case 'event':
          if (item.structured) report.unit = 'events';
          report.total += 1;
          events.push(pendingOf(item.event, chunk.line));
          break;
        case 'hint':
          report.hint ??= item.hint;
          if (item.counts) report.total += 1;
          break;
      }
    }
  }

  private readCsv(
    text: string,
    columns: CsvColumns,
    report: FileReport,
    events: PendingEvent[],
    header: boolean,
    line: number,
  ): void {
    const records = parseCsv(text, line);
    for (const row of header ? records.slice(1) : records) {
      report.total += 1;
      if (columns.message === undefined) continue;
      const field = (index: number | undefined) => (index === undefined ? undefined : row.fields[index]);
      const group = field(columns.log);
      const stream = field(columns.stream);
      events.push({
        line: row.line,
        timestamp: timeOf(field(columns.timestamp)),
        message: field(columns.message) ?? '',
        ...(field(columns.ptr) ? { id: field(columns.ptr) } : {}),
        ...(group ? { group: group.replace(/^\d{12}:/, '') } : {}),
        ...(stream ? { stream } : {}),
      });
    }
  }

  private addDecoded(where: string, result: DecodeResult, report: FileReport): void {
    if (result.kind === 'control') {
      this.set.controlMessages += 1;
      report.controlMessages += 1;
      return;
    }
    if (result.kind === 'invalid') {
      report.invalid += 1;
      this.set.invalid.push(`${where}: ${result.reason}`);
      return;
    }
    const { document } = result;
    const kind: Kind = parseExecutionLogGroup(document.logGroup) ? 'execution' : 'access';
    const logEvents: LogEvent[] = [];
    for (const event of document.logEvents) {
      report.total += 1;
      const recognised = recognise(event.message) !== undefined;
      if (recognised) report.recognised += 1;
      // An execution group's other lines still carry the request ids later lines lean on.
      if (!recognised && kind === 'access') continue;
      if (this.isDuplicate(kind, event.id, event.message)) report.duplicates += 1;
      else logEvents.push(event);
    }
    if (logEvents.length > 0) this.addDocument({ ...document, logEvents });
  }

  /** Puts events without a document of their own into one per group and kind. */
  private place(file: FileState, events: readonly PendingEvent[]): void {
    const { source, report, synthetic, logGroup: fileGroup } = file;
    const byGroup = new Map<string, LogEvent[]>();
    for (const event of events) {
      const message = event.message;
      const kind = recognise(message);
      if (!kind) continue;
      report.recognised += 1;
      const text = kind === 'execution' ? synthetic.prefix(message, event.line) : message;
      if (this.isDuplicate(kind, event.id, text)) {
        report.duplicates += 1;
        continue;
      }
      const group = this.documentGroup(kind, event.group ?? fileGroup, text);
      const list = byGroup.get(group) ?? [];
      list.push({ id: event.id ?? `${source}:${event.line}`, timestamp: event.timestamp, message: text });
      byGroup.set(group, list);
    }
    for (const [logGroup, logEvents] of byGroup) {
      this.addDocument({
        messageType: 'DATA_MESSAGE',
        owner: 'local',
        logGroup,
        logStream: source,
        subscriptionFilters: [],
        logEvents,
      });
    }
  }

  /**
   * The classifier tells execution lines by their group's name, so each kind goes to a group of its
   * own; the given group's API and stage are kept for both.
   */
  private documentGroup(kind: Kind, given: string | undefined, message: string): string {
    const stage = given === undefined ? undefined : stageOfLogGroup(given);
    if (kind === 'execution') {
      if (given && parseExecutionLogGroup(given)) return given;
      return executionLogGroupName(stage?.apiId ?? UNKNOWN, stage?.stage ?? UNKNOWN);
    }
    if (given === undefined) return PLAIN_ACCESS_GROUP;
    if (stage?.stage === DEFAULT_STAGE_GROUP_STAGE && isHttpApiLine(message)) {
      const name = `${given}:${DEFAULT_STAGE}`;
      this.stages.set(name, { apiId: stage.apiId, stage: DEFAULT_STAGE });
      return name;
    }
    if (!parseExecutionLogGroup(given)) return given;
    const name = `${PLAIN_ACCESS_GROUP}:${given}`;
    if (stage) this.stages.set(name, stage);
    return name;
  }

  /** Overlapping exports: the same event id, or the same line of the same kind, counts once. */
  private isDuplicate(kind: Kind, id: string | undefined, message: string): boolean {
    const idDigest = id === undefined ? undefined : digestOf(id);
    const byId = idDigest !== undefined && this.seenIds.has(idDigest);
    if (idDigest !== undefined) this.seenIds.add(idDigest);
    // Only lines that name their request compare by text: `Method completed with status: 403` alone
    // repeats across requests.
    if (kind === 'execution' && splitExecutionLine(message).requestId === undefined) return byId;
    const seen = this.seenMessages[kind];
    const messageDigest = digestOf(message);
    const byText = seen.has(messageDigest);
    seen.add(messageDigest);
    return byId || byText;
  }
}

const TEXT_HINTS: readonly (readonly [RegExp, string])[] = [
  [/^(?:START|END|REPORT) RequestId: /, 'Lambda function logs, not API Gateway logs?'],
  [/^(?:> [A-Z]+ \S+ HTTP\/|< HTTP\/)/, 'curl -v output: apigw403 explain --curl reads it'],
  [/^<(?:!doctype|html)/i, 'an HTML page'],
  [/^@?timestamp[,\t]/i, 'a table without a message column?'],
];

/** What a line that is no log line looks like, when it is a shape people confuse with one. */
function textHint(message: string): string | undefined {
  return TEXT_HINTS.find(([pattern]) => pattern.test(message))?.[1];
}

/** Access or execution line, or `undefined` for anything else. */
function recognise(message: string): Kind | undefined {
  if (isExecutionLine(message)) return 'execution';
  try {
    return parseAccessLine(message) ? 'access' : undefined;
  } catch {
    return undefined;
  }
}

/** The message of a prefixed line; after a time zone, `aws logs tail` printed a stream name (any shape). */
function messageOf(line: ReturnType<typeof stripLinePrefixes>): string {
  if (!line.streamMayFollow || recognise(line.message)) return line.message;
  for (let words = 1; words <= 6; words += 1) {
    const rest = dropWords(line.message, words);
    if (rest === undefined) break;
    if (recognise(rest)) return rest;
  }
  return line.message;
}

/**
 * Execution lines with no request id anywhere before them (zappa, test invoke) would be dropped:
 * each run of them up to `Method completed` is given one id, `<file>:<first line>`.
 */
class SyntheticRequestIds {
  private current?: { id: string; synthetic: boolean };

  constructor(private readonly source: string) {}

  prefix(message: string, line: number): string {
    const { requestId, text } = splitExecutionLine(message);
    if (requestId !== undefined) {
      this.current = { id: requestId, synthetic: false };
      return message;
    }
    if (/\bfor request: |^Unauthorized request: /.test(text)) {
      this.current = { id: '', synthetic: false };
      return message;
    }
    this.current ??= { id: `${this.source}:${line}`, synthetic: true };
    const result = this.current.synthetic ? `(${this.current.id}) ${message}` : message;
    if (text.startsWith('Method completed with status:')) this.current = undefined;
    return result;
  }
}

/** 96 bits of SHA-1: what two texts share by chance never, at any number of events a file holds. */
function digestOf(text: string): string {
  return createHash('sha1').update(text).digest().toString('latin1', 0, 12);
}

function pendingOf(event: ExportedEvent, line: number): PendingEvent {
  return { ...event, line };
}

interface CsvColumns {
  readonly kind: string;
  readonly message?: number;
  readonly timestamp?: number;
  readonly stream?: number;
  readonly log?: number;
  readonly ptr?: number;
}

/** An Insights (`@timestamp,@message,...`) or log-events (`timestamp,message`) CSV header row. */
function csvColumns(line: string): CsvColumns | undefined {
  const first = parseCsv(line)[0]?.fields.map((name) => name.trim());
  if (!first || first.length < 2) return undefined;
  const insights = first.some((name) => name.startsWith('@'));
  if (!insights && !(first.includes('timestamp') && first.includes('message'))) return undefined;
  const at = (...names: string[]) => {
    const index = first.findIndex((name) => names.includes(name));
    return index === -1 ? undefined : index;
  };
  const columns = {
    message: at('@message', 'message'),
    timestamp: at('@timestamp', 'timestamp'),
    stream: at('@logStream', 'logStreamName'),
    log: at('@log'),
    ptr: at('@ptr'),
  };
  return {
    kind: insights ? 'Insights CSV' : 'CSV',
    ...Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined)),
  };
}

/**
 * The C0 controls no text line holds (tab, line feed, VT, FF, CR and ESC for colours are text). A run
 * of NULs counts as one: a block a crash or a sparse write left zeroed is not what makes a file binary.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const BINARY_CHAR = /[\0-\x08\x0e-\x1a\x1c-\x1f]/;
/** NULs at the start of a line (or of the file) are padding: logrotate's copytruncate leaves the old length as NULs. */
const LEADING_NULS = /^\0+/;
const SAMPLE_CHARS = 65_536;

/**
 * Why a file's text is no text, or `undefined` when it is: most of its head in lines that hold
 * control bytes (after padding), or over 1% of it not UTF-8. A few such lines in text are skipped one
 * by one instead (`withoutNulLines`).
 */
function binaryHint(text: string): string | undefined {
  const start = Math.max(0, text.search(/[^\0]/));
  const sample = text.slice(start, start + SAMPLE_CHARS);
  let chars = 0;
  let binary = 0;
  for (const line of sample.split('\n')) {
    const kept = line.replace(LEADING_NULS, '').replace(/\0+/g, '\0');
    chars += kept.length + 1;
    if (BINARY_CHAR.test(kept)) binary += kept.length + 1;
  }
  if (binary > chars / 2) return 'binary data';
  let replaced = 0;
  for (const char of sample) if (char === '\ufffd') replaced += 1;
  return replaced > sample.length / 100 ? 'binary data (not UTF-8 text)' : undefined;
}

/**
 * Text without its NUL padding, and with each line that still holds a NUL left blank (so later line
 * numbers stay right): such a line cannot be read, and the classifier must not see half of it.
 */
function withoutNulLines(text: string): { text: string; nulLines: number } {
  if (!text.includes('\0')) return { text, nulLines: 0 };
  let nulLines = 0;
  const lines = text.split('\n').map((line) => {
    const kept = line.replace(LEADING_NULS, '');
    if (!kept.includes('\0')) return kept;
    nulLines += 1;
    return '';
  });
  return { text: lines.join('\n'), nulLines };
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

function stdinBlocks(readStdin: ReadOptions['readStdin']): AsyncGenerator<Buffer> {
  if (!readStdin) return streamBlocks(process.stdin);
  return (async function* () {
    const content = await readStdin();
    yield typeof content === 'string' ? Buffer.from(content) : content;
  })();
}
