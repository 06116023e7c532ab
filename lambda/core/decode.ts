import { constants, gunzipSync } from 'node:zlib';
import { isEventTime, MAX_EVENT_TIME_MS } from './event-time.js';
import type { LogEvent, LogsDocument } from './model.js';
import { redact } from './redact.js';

export type DecodeResult =
  | {
      readonly kind: 'data';
      readonly document: LogsDocument;
      /** Events left out because they are not `{id, timestamp, message}` (absent: none). */
      readonly skippedEvents?: number;
      /** Why the first skipped event was left out (one line), when any was. */
      readonly skippedReason?: string;
    }
  | { readonly kind: 'control' }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface DecodeOptions {
  /**
   * Refuse to inflate past this many bytes: a small payload must not be able to exhaust a 128 MB
   * Lambda. CloudWatch Logs batches at most about 1 MB of events, so the default leaves ample room.
   * @default DEFAULT_MAX_DECOMPRESSED_BYTES
   */
  readonly maxDecompressedBytes?: number;
}

/** 16 MiB: over ten times the largest legitimate CloudWatch Logs batch. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

const GZIP_MAGIC_1 = 0x1f;
const GZIP_MAGIC_2 = 0x8b;

const invalid = (reason: string): DecodeResult => ({ kind: 'invalid', reason });

/**
 * Decodes a CloudWatch Logs subscription event (`{"awslogs":{"data":"<base64 gzip>"}}`) or an
 * already-decoded subscription document. Never throws: whatever is wrong comes back as `invalid`
 * with a one-line reason that names the problem, not the content.
 */
export function decodeSubscriptionEvent(event: unknown, options: DecodeOptions = {}): DecodeResult {
  if (!isRecord(event)) return invalid(`payload is ${describe(event)}, expected an object`);
  if (!('awslogs' in event)) return validateDocument(event);
  const awslogs = event.awslogs;
  if (!isRecord(awslogs) || typeof awslogs.data !== 'string') {
    return invalid('awslogs.data is missing or not a string');
  }
  return decodeData(awslogs.data, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
}

/** Decodes the text of a file or stream holding one subscription event or one decoded document. */
export function decodeSubscriptionText(text: string, options: DecodeOptions = {}): DecodeResult {
  const parsed = parseJson(text);
  return parsed.ok ? decodeSubscriptionEvent(parsed.value, options) : invalid(`not JSON (${parsed.error})`);
}

function decodeData(data: string, maxBytes: number): DecodeResult {
  if (data.length === 0) return invalid('awslogs.data is empty');
  // Node skips characters outside the alphabet instead of failing, so a payload is valid base64
  // exactly when it decodes to the length its size and padding promise. This is O(1), where a
  // regular expression over a megabyte of text is not.
  const compressed = Buffer.from(data, 'base64');
  if (data.length % 4 !== 0 || compressed.length !== base64Length(data)) {
    return invalid('awslogs.data is not valid base64');
  }
  if (compressed[0] !== GZIP_MAGIC_1 || compressed[1] !== GZIP_MAGIC_2) {
    return invalid('awslogs.data is not gzip (bad magic bytes)');
  }
  let inflated: Buffer;
  try {
    inflated = gunzipSync(compressed, {
      maxOutputLength: maxBytes,
      chunkSize: outputChunkSize(compressed, maxBytes),
    });
  } catch (error) {
    if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return invalid(`decompressed size exceeds the ${maxBytes}-byte cap`);
    }
    return invalid(`gzip stream is corrupt or truncated (${oneLine(error)})`);
  }
  const parsed = parseJson(inflated.toString('utf8'));
  if (!parsed.ok) return invalid(`decompressed data is not JSON (${parsed.error})`);
  return isRecord(parsed.value)
    ? validateDocument(parsed.value)
    : invalid(`decompressed data is ${describe(parsed.value)}, expected an object`);
}

function validateDocument(doc: Record<string, unknown>): DecodeResult {
  const { messageType } = doc;
  if (messageType === 'CONTROL_MESSAGE') return { kind: 'control' };
  if (messageType !== 'DATA_MESSAGE') {
    return invalid(`messageType is ${JSON.stringify(messageType) ?? 'missing'}, expected DATA_MESSAGE`);
  }
  for (const key of ['owner', 'logGroup', 'logStream'] as const) {
    if (typeof doc[key] !== 'string') return invalid(`${key} is ${describe(doc[key])}, expected a string`);
  }
  const filters = doc.subscriptionFilters ?? [];
  if (!Array.isArray(filters) || !filters.every((name) => typeof name === 'string')) {
    return invalid('subscriptionFilters is not an array of strings');
  }
  const events = doc.logEvents;
  if (!Array.isArray(events)) return invalid(`logEvents is ${describe(events)}, expected an array`);
  // One malformed event must not cost the batch its other events: it is counted and left out.
  let skippedReason: string | undefined;
  let kept: LogEvent[] | undefined;
  // An index loop: `entries()` makes a pair per event.
  for (let index = 0; index < events.length; index++) {
    const event: unknown = events[index];
    const reason = eventProblem(event);
    if (reason !== undefined) {
      skippedReason ??= `logEvents[${index}]${reason}`;
      kept ??= events.slice(0, index) as LogEvent[];
      continue;
    }
    kept?.push(event as LogEvent);
  }
  // Validated in place rather than copied: a megabyte of events is not duplicated on the heap.
  const logEvents = kept ?? (events as LogEvent[]);
  return {
    kind: 'data',
    document: {
      messageType: 'DATA_MESSAGE',
      owner: doc.owner as string,
      logGroup: doc.logGroup as string,
      logStream: doc.logStream as string,
      subscriptionFilters: filters as string[],
      logEvents,
    },
    ...(skippedReason === undefined
      ? {}
      : { skippedEvents: events.length - logEvents.length, skippedReason }),
  };
}

export { isEventTime, MAX_EVENT_TIME_MS };

/** What makes `event` unusable as a log event (after its index), or `undefined` when it is one. */
function eventProblem(event: unknown): string | undefined {
  if (!isRecord(event)) return ` is ${describe(event)}, expected an object`;
  const { id, timestamp, message } = event;
  if (typeof id !== 'string') return `.id is ${describe(id)}, expected a string`;
  if (!isEventTime(timestamp)) {
    return `.timestamp is ${describe(timestamp)}, expected epoch milliseconds`;
  }
  if (typeof message !== 'string') return `.message is ${describe(message)}, expected a string`;
  return undefined;
}

type JsonResult = { ok: true; value: unknown } | { ok: false; error: string };

function parseJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: oneLine(error) };
  }
}

/**
 * One output chunk as large as the gzip trailer says the data is (ISIZE, the last four bytes), so a
 * 10 MB batch inflates into one buffer instead of 16 KB chunks copied together at the end (twice the
 * memory at the peak). The trailer is only a hint: bounded by the cap, and a wrong one merely costs
 * the chunks it would have saved.
 */
function outputChunkSize(compressed: Buffer, maxBytes: number): number {
  const hinted = compressed.length >= 18 ? compressed.readUInt32LE(compressed.length - 4) + 1 : 0;
  return Math.min(Math.max(hinted, constants.Z_DEFAULT_CHUNK), maxBytes + 1);
}

function base64Length(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return value === undefined ? 'missing' : `a ${typeof value}`;
}

/** A parser's message may quote the input it read: redacted (which also makes it one line), then cut. */
function oneLine(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error)).slice(0, 160);
}
