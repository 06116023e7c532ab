import { readFile } from 'node:fs/promises';
import {
  type DecodeResult,
  decodeSubscriptionEvent,
  EXECUTION_LOG_GROUP_PREFIX,
  type LogEvent,
  type LogsDocument,
} from '../lambda/core/index.js';

/** What the inputs of one command held, file by file. */
export interface InputSet {
  readonly documents: LogsDocument[];
  /** One line per payload that could not be decoded: `file[:line]: reason`. */
  readonly invalid: string[];
  /** One line per file that could not be read at all. */
  readonly unreadable: string[];
  controlMessages: number;
}

export interface ReadOptions {
  /** The log group plain-text lines came from; an `API-Gateway-Execution-Logs_` name makes them execution lines. */
  readonly logGroup?: string;
  readonly readStdin?: () => Promise<string>;
}

/** Default name for plain access-log lines whose group was not given. */
export const PLAIN_ACCESS_GROUP = 'apigw403-cli/access';
const PLAIN_EXECUTION_GROUP = `${EXECUTION_LOG_GROUP_PREFIX}unknown/unknown`;

export async function readInputs(paths: readonly string[], options: ReadOptions = {}): Promise<InputSet> {
  const set: InputSet = { documents: [], invalid: [], unreadable: [], controlMessages: 0 };
  for (const path of paths) {
    let text: string;
    try {
      text = path === '-' ? await (options.readStdin ?? readStdin)() : await readFile(path, 'utf8');
    } catch (error) {
      set.unreadable.push(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      continue;
    }
    addText(set, path === '-' ? '<stdin>' : path, text, options.logGroup);
  }
  return set;
}

/** Sorts one file's text into documents: a subscription payload, one payload per line, or log lines. */
export function addText(set: InputSet, source: string, text: string, logGroup?: string): void {
  const whole = parseObject(text);
  if (whole && isPayload(whole)) {
    addDecoded(set, source, decodeSubscriptionEvent(whole));
    return;
  }
  const lines = text.split(/\r?\n/);
  const first = lines.find((line) => line.trim() !== '');
  const firstObject = first === undefined ? undefined : parseObject(first);
  if (firstObject && isPayload(firstObject)) {
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      const value = parseObject(line);
      addDecoded(
        set,
        `${source}:${index + 1}`,
        value ? decodeSubscriptionEvent(value) : { kind: 'invalid', reason: 'not JSON' },
      );
    });
    return;
  }
  addPlainLines(set, source, lines, logGroup);
}

function addDecoded(set: InputSet, source: string, result: DecodeResult): void {
  if (result.kind === 'data') set.documents.push(result.document);
  else if (result.kind === 'control') set.controlMessages += 1;
  else set.invalid.push(`${source}: ${result.reason}`);
}

// `aws logs tail` prints `<ISO time> <stream> <message>`; a console export prints `<ISO time> | <message>`.
const VIEWER_PREFIX =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))\s+(?:\|\s+|[0-9a-f]{32}\s+)?/;
const EXECUTION_LINE = /^\(([^)\s]+)\) /;

function addPlainLines(set: InputSet, source: string, lines: readonly string[], logGroup?: string): void {
  const access: LogEvent[] = [];
  const execution: LogEvent[] = [];
  const forcedExecution = logGroup?.startsWith(EXECUTION_LOG_GROUP_PREFIX);
  lines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    const prefix = VIEWER_PREFIX.exec(raw);
    const message = prefix ? raw.slice(prefix[0].length) : raw;
    const event = {
      id: `${source}:${index + 1}`,
      timestamp: prefix ? Date.parse(prefix[1] ?? '') : 0,
      message,
    };
    const isExecution = forcedExecution ?? (logGroup === undefined && EXECUTION_LINE.test(message));
    (isExecution ? execution : access).push(event);
  });
  const document = (group: string, logEvents: LogEvent[]): LogsDocument => ({
    messageType: 'DATA_MESSAGE',
    owner: 'local',
    logGroup: group,
    logStream: source,
    subscriptionFilters: [],
    logEvents,
  });
  if (access.length > 0) set.documents.push(document(logGroup ?? PLAIN_ACCESS_GROUP, access));
  if (execution.length > 0) set.documents.push(document(logGroup ?? PLAIN_EXECUTION_GROUP, execution));
}

function parseObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isPayload(value: Record<string, unknown>): boolean {
  return 'awslogs' in value || 'messageType' in value;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
