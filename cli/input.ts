import { constants as bufferConstants } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import {
  type DecodeResult,
  executionLogGroupName,
  type LogEvent,
  type LogsDocument,
  parseAccessLine,
  parseExecutionLogGroup,
  splitExecutionLine,
} from '../lambda/core/index.js';
import { type Chunk, isUnclosedJson, splitChunks } from './input/chunks.js';
import { parseCsv } from './input/csv.js';
import { dropWords, isExecutionLine, parseTextOutputRow, stripLinePrefixes } from './input/lines.js';
import { type ExportedEvent, readJsonValue, timeOf } from './input/shapes.js';
import { utf16Text, withoutBom } from './input/text.js';
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

/** What the inputs of one command held, file by file. */
export interface InputSet {
  readonly documents: LogsDocument[];
  /** One line per payload that could not be decoded: `file[:line]: reason`. */
  readonly invalid: string[];
  /** One line per file that could not be read at all. */
  readonly unreadable: string[];
  readonly files: FileReport[];
  controlMessages: number;
  /** The API and stage a document's log group names, for lines that do not say. */
  readonly resolveStage: (logGroup: string) => StageRef | undefined;
}

export interface StageRef {
  readonly apiId: string;
  readonly stage: string;
}

export interface ReadOptions {
  /** The log group of inputs that do not name theirs (plain text, CLI output); `FILE=GROUP` wins. */
  readonly logGroup?: string;
  readonly readStdin?: () => Promise<Buffer | string>;
  /**
   * The most bytes of text one file may hold.
   * @default MAX_TEXT_BYTES
   */
  readonly maxTextBytes?: number;
}

/** Default name for access lines whose group is not known. */
export const PLAIN_ACCESS_GROUP = 'apigw403-cli/access';
const UNKNOWN = 'unknown';
/**
 * A file's text (inflated, when gzip) past this is refused in one line rather than read: it would not
 * fit one V8 string (`ERR_STRING_TOO_LONG`, ~512 MiB), and a CLI run must not exhaust the machine.
 */
export const MAX_TEXT_BYTES = bufferConstants.MAX_STRING_LENGTH;
const MIB = 1024 * 1024;
const LOG_GROUP_NAME = /^[\w\-./#]+$/;

/** `FILE=GROUP` (log group names hold no `=`) -> its parts; a bare path has no group. */
export function splitFileArgument(argument: string): { path: string; logGroup?: string } {
  const at = argument.lastIndexOf('=');
  if (at <= 0) return { path: argument };
  const logGroup = argument.slice(at + 1);
  return LOG_GROUP_NAME.test(logGroup) ? { path: argument.slice(0, at), logGroup } : { path: argument };
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

export async function readInputs(
  arguments_: readonly string[],
  options: ReadOptions = {},
): Promise<InputSet> {
  const stages = new Map<string, StageRef>();
  const set: InputSet = {
    documents: [],
    invalid: [],
    unreadable: [],
    files: [],
    controlMessages: 0,
    resolveStage: (group) => stages.get(group) ?? stageOfLogGroup(group),
  };
  const reader = new InputReader(set, stages, options.maxTextBytes ?? MAX_TEXT_BYTES);
  for (const argument of arguments_) {
    // `FILE=GROUP`, unless the whole argument names a file (`report=prod.json`).
    const split = splitFileArgument(argument);
    const { path, logGroup } =
      split.logGroup !== undefined && (await isFile(argument)) ? { path: argument } : split;
    let bytes: Buffer;
    try {
      const content = path === '-' ? await (options.readStdin ?? readStdin)() : await readFile(path);
      bytes = typeof content === 'string' ? Buffer.from(content) : content;
    } catch (error) {
      set.unreadable.push(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      continue;
    }
    reader.addFile(path === '-' ? '<stdin>' : path, bytes, logGroup ?? options.logGroup);
  }
  return set;
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

/** Sorts each file's contents into subscription-shaped documents, counting what was not log lines. */
class InputReader {
  private readonly seenIds = new Set<string>();
  private readonly seenMessages: Record<Kind, Set<string>> = { access: new Set(), execution: new Set() };

  constructor(
    private readonly set: InputSet,
    private readonly stages: Map<string, StageRef>,
    private readonly maxTextBytes: number,
  ) {}

  addFile(source: string, bytes: Buffer, logGroup: string | undefined): void {
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
    const text = this.textOf(source, bytes, report);
    if (text === undefined) return;
    const events: PendingEvent[] = [];
    const chunks = splitChunks(text);
    if (chunks[0]?.kind === 'line' && isUnclosedJson(text))
      report.hint = 'JSON that never closes (truncated?)';
    const csvHeader = chunks[0]?.kind === 'line' ? csvColumns(chunks[0].text) : undefined;
    if (csvHeader) this.readCsv(text, csvHeader, report, events);
    else this.readChunks(source, chunks, report, events);
    this.place(source, events, logGroup, report);
  }

  /** The file as text: gunzipped when gzip, `undefined` (with a hint) when it is binary. */
  private textOf(source: string, bytes: Buffer, report: FileReport): string | undefined {
    let data = bytes;
    const problem = (text: string): undefined => {
      report.invalid += 1;
      this.set.invalid.push(`${source}: ${text}`);
      return undefined;
    };
    const tooLong = `more text than one run reads (${Math.floor(this.maxTextBytes / MIB)} MiB): split the file (split -l 1000000)`;
    if (data[0] === 0x1f && data[1] === 0x8b) {
      const inflated = inflate(data, this.maxTextBytes);
      if (inflated === 'too long') return problem(`inflates to ${tooLong}`);
      if (inflated === 'corrupt') return problem('gzip data is corrupt');
      data = inflated.data;
      // What inflated before the cut is read; the exit code still says the file was not whole.
      if (inflated.truncated)
        problem(
          `gzip data ends early (truncated): the ${countLines(data)} whole lines before the cut are read`,
        );
    }
    if (data.length > this.maxTextBytes) return problem(`${Math.ceil(data.length / MIB)} MiB is ${tooLong}`);
    if (data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04) {
      return this.refuse(data.toString('utf8'), 'a zip archive: unzip it first', report);
    }
    const utf16 = utf16Text(data);
    // Binary data that happens to start like a byte order mark is no text once decoded either.
    const decoded = utf16 !== undefined && binaryHint(utf16) === undefined ? utf16 : data.toString('utf8');
    const binary = binaryHint(decoded);
    if (binary) return this.refuse(decoded, binary, report);
    const { text, nulLines } = withoutNulLines(withoutBom(decoded));
    report.nulLines = nulLines;
    report.total += nulLines;
    return text;
  }

  private refuse(text: string, hint: string, report: FileReport): undefined {
    report.total = text.split('\n').filter((line) => line.trim() !== '').length;
    report.hint = hint;
    return undefined;
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
  ): void {
    const where = `${source}:${chunk.line}`;
    for (const item of readJsonValue(chunk.value, () => chunk.text)) {
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

  private readCsv(text: string, columns: CsvColumns, report: FileReport, events: PendingEvent[]): void {
    const [, ...rows] = parseCsv(text);
    report.unit = 'events';
    if (columns.message === undefined) report.hint = `${columns.kind} without @message?`;
    for (const row of rows) {
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
    if (logEvents.length > 0) this.set.documents.push({ ...document, logEvents });
  }

  /** Puts events without a document of their own into one per group and kind. */
  private place(
    source: string,
    events: readonly PendingEvent[],
    fileGroup: string | undefined,
    report: FileReport,
  ): void {
    const byGroup = new Map<string, LogEvent[]>();
    const synthetic = new SyntheticRequestIds(source);
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
      const group = this.documentGroup(kind, event.group ?? fileGroup);
      const list = byGroup.get(group) ?? [];
      list.push({ id: event.id ?? `${source}:${event.line}`, timestamp: event.timestamp, message: text });
      byGroup.set(group, list);
    }
    for (const [logGroup, logEvents] of byGroup) {
      this.set.documents.push({
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
  private documentGroup(kind: Kind, given: string | undefined): string {
    const stage = given === undefined ? undefined : stageOfLogGroup(given);
    if (kind === 'execution') {
      if (given && parseExecutionLogGroup(given)) return given;
      return executionLogGroupName(stage?.apiId ?? UNKNOWN, stage?.stage ?? UNKNOWN);
    }
    if (given === undefined) return PLAIN_ACCESS_GROUP;
    if (!parseExecutionLogGroup(given)) return given;
    const name = `${PLAIN_ACCESS_GROUP}:${given}`;
    if (stage) this.stages.set(name, stage);
    return name;
  }

  /** Overlapping exports: the same event id, or the same line of the same kind, counts once. */
  private isDuplicate(kind: Kind, id: string | undefined, message: string): boolean {
    const byId = id !== undefined && this.seenIds.has(id);
    // Only lines that name their request compare by text: `Method completed with status: 403` alone
    // repeats across requests.
    const byText =
      (kind === 'access' || splitExecutionLine(message).requestId !== undefined) &&
      this.seenMessages[kind].has(message);
    if (id !== undefined) this.seenIds.add(id);
    this.seenMessages[kind].add(message);
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
 * A gzip file's content, up to `maxBytes`. A stream cut short (an interrupted download, a full disk)
 * inflates up to the cut (zlib's sync flush), its last partial line dropped.
 */
function inflate(
  data: Buffer,
  maxBytes: number,
): { data: Buffer; truncated: boolean } | 'too long' | 'corrupt' {
  const tooLong = (error: unknown) =>
    error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
  try {
    return { data: gunzipSync(data, { maxOutputLength: maxBytes }), truncated: false };
  } catch (error) {
    if (tooLong(error)) return 'too long';
  }
  try {
    const partial = gunzipSync(data, { maxOutputLength: maxBytes, finishFlush: zlibConstants.Z_SYNC_FLUSH });
    return { data: partial.subarray(0, partial.lastIndexOf(0x0a) + 1), truncated: true };
  } catch (error) {
    return tooLong(error) ? 'too long' : 'corrupt';
  }
}

function countLines(data: Buffer): number {
  let lines = 0;
  for (let at = data.indexOf(0x0a); at >= 0; at = data.indexOf(0x0a, at + 1)) lines += 1;
  return lines;
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

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
