import { inflateSync } from 'node:zlib';
import {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecodeResult,
  decodeSubscriptionEvent,
} from '../../lambda/core/index.js';

/** One event of an export that is not a subscription document. */
export interface ExportedEvent {
  readonly id?: string;
  readonly timestamp: number;
  readonly message: string;
  /** The log group, when the export names it (Insights `@log`, forwarders). */
  readonly group?: string;
  readonly stream?: string;
}

export type JsonItem =
  | { readonly kind: 'decode'; readonly result: DecodeResult }
  /** `structured`: an event of an export, not a log line that happens to be JSON. */
  | { readonly kind: 'event'; readonly event: ExportedEvent; readonly structured: boolean }
  /** Not a log event: `counts` when it stands where a log line would. */
  | { readonly kind: 'hint'; readonly hint: string; readonly counts: boolean };

const ZLIB_MAGIC = 0x78;

/**
 * The events in one top-level JSON value, recognised by shape: a subscription event or decoded
 * document, a `filter-log-events` / `get-log-events` page, Logs Insights results (`get-query-results`
 * or the console's rows), a forwarder's event, an array of any of these, or a JSON access-log record.
 */
export function* readJsonValue(value: unknown, text: () => string, nested = false): Generator<JsonItem> {
  if (Array.isArray(value)) {
    // One level: an array of exports. Arrays inside it are no export, however deep they go.
    if (nested) yield { kind: 'hint', hint: 'JSON that is not a log export', counts: true };
    else for (const element of value) yield* readJsonValue(element, () => JSON.stringify(element), true);
    return;
  }
  if (!isRecord(value)) {
    yield { kind: 'hint', hint: 'JSON that is not a log export', counts: true };
    return;
  }
  yield* readRecord(value, text);
}

function* readRecord(value: Record<string, unknown>, text: () => string): Generator<JsonItem> {
  if ('awslogs' in value) yield { kind: 'decode', result: decodeEnvelope(value) };
  else if ('messageType' in value)
    yield { kind: 'decode', result: decodeSubscriptionEvent(withEventIds(value)) };
  else if (Array.isArray(value.events)) for (const event of value.events) yield eventItem(event);
  else if (Array.isArray(value.results)) {
    for (const row of value.results) yield insightsRow(Array.isArray(row) ? fieldsToRecord(row) : row);
  } else if ('@message' in value || '@timestamp' in value) yield insightsRow(value);
  else if (typeof value.message === 'string' && EVENT_KEYS.some((key) => key in value))
    yield eventItem(value);
  else yield { kind: 'event', event: { timestamp: 0, message: text() }, structured: false };
}

const EVENT_KEYS = ['eventId', 'id', 'timestamp', 'ingestionTime'] as const;

function eventItem(event: unknown): JsonItem {
  if (!isRecord(event) || typeof event.message !== 'string') {
    return { kind: 'hint', hint: 'events without a message', counts: true };
  }
  const id = stringOf(event.eventId) ?? stringOf(event.id);
  const group = stringOf(event.logGroup) ?? stringOf(event.logGroupName);
  const stream = stringOf(event.logStreamName) ?? stringOf(event.logStream);
  return {
    kind: 'event',
    structured: true,
    event: {
      message: event.message,
      timestamp: timeOf(event.timestamp),
      ...(id ? { id } : {}),
      ...(group ? { group } : {}),
      ...(stream ? { stream } : {}),
    },
  };
}

function insightsRow(row: unknown): JsonItem {
  if (!isRecord(row) || typeof row['@message'] !== 'string') {
    return { kind: 'hint', hint: 'Insights results without @message?', counts: true };
  }
  const group = stringOf(row['@log'])?.replace(/^\d{12}:/, '');
  const stream = stringOf(row['@logStream']);
  const id = stringOf(row['@ptr']);
  return {
    kind: 'event',
    structured: true,
    event: {
      message: row['@message'],
      timestamp: timeOf(row['@timestamp']),
      ...(id ? { id } : {}),
      ...(group ? { group } : {}),
      ...(stream ? { stream } : {}),
    },
  };
}

function fieldsToRecord(fields: readonly unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const entry of fields) {
    if (isRecord(entry) && typeof entry.field === 'string') record[entry.field] = entry.value;
  }
  return record;
}

/** `{"awslogs":{"data":...}}`, gzip as CloudWatch Logs sends it or zlib as some forwarders re-encode it. */
function decodeEnvelope(envelope: Record<string, unknown>): DecodeResult {
  const data = isRecord(envelope.awslogs) ? envelope.awslogs.data : undefined;
  if (typeof data !== 'string' || Buffer.from(data.slice(0, 4), 'base64')[0] !== ZLIB_MAGIC) {
    return decodeSubscriptionEvent(envelope);
  }
  let document: unknown;
  try {
    const inflated = inflateSync(Buffer.from(data, 'base64'), {
      maxOutputLength: DEFAULT_MAX_DECOMPRESSED_BYTES,
    });
    document = JSON.parse(inflated.toString('utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not JSON' : 'is corrupt, truncated or too large';
    return { kind: 'invalid', reason: `awslogs.data (zlib) ${reason}` };
  }
  return isRecord(document)
    ? decodeSubscriptionEvent(withEventIds(document))
    : { kind: 'invalid', reason: 'awslogs.data (zlib) is not a JSON object' };
}

/** Forwarders keep CloudWatch's `eventId` where the subscription document says `id`. */
function withEventIds(document: Record<string, unknown>): Record<string, unknown> {
  const events = document.logEvents;
  if (!Array.isArray(events) || !events.some((event) => isRecord(event) && event.id === undefined)) {
    return document;
  }
  return {
    ...document,
    logEvents: events.map((event) =>
      isRecord(event) && event.id === undefined && typeof event.eventId === 'string'
        ? { ...event, id: event.eventId }
        : event,
    ),
  };
}

/** Epoch ms, ISO 8601, or Insights' `YYYY-MM-DD HH:MM:SS.mmm` (UTC); 0 when none. */
export function timeOf(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : 0;
  if (typeof value !== 'string' || value === '') return 0;
  if (/^\d{12,}$/.test(value)) return Number(value);
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?$/.test(value)
    ? `${value.replace(' ', 'T')}Z`
    : value;
  const parsed = Date.parse(iso);
  return Number.isFinite(parsed) ? parsed : 0;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
