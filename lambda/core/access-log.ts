import type { AccessField } from './access-fields.js';
import { parseJsonLine } from './access-json.js';
import { type AccessRecord, RecordBuilder } from './access-record.js';

export type { AccessLogFormat, AccessRecord, ReadonlyFieldSet } from './access-record.js';
export { MAX_JSON_DEPTH } from './access-record.js';

/**
 * Parses an access-log line in any JSON shape, or one of the console's default CLF, CSV and XML
 * formats (REST and HTTP). Returns `undefined` for a line in none of these shapes.
 */
export function parseAccessLine(message: string): AccessRecord | undefined {
  // JSON.parse tolerates surrounding white space, so the commonest format skips the copy `trim` makes.
  if (message.charCodeAt(0) === OPEN_BRACE) return parseJsonLine(message);
  const line = message.trim();
  if (line.startsWith('{')) return parseJsonLine(line);
  if (line.startsWith('<')) return parseXmlLine(line);
  return parseClfLine(line) ?? parseCsvLine(line);
}

const OPEN_BRACE = 0x7b;

const XML_ROOT_ID = /^<request\s+id="([^"]*)"\s*>/;
const XML_ELEMENT = /<([A-Za-z][\w.-]*)>([^<]*)<\/\1>/g;

function parseXmlLine(line: string): AccessRecord | undefined {
  const root = XML_ROOT_ID.exec(line);
  if (!root || !line.endsWith('</request>')) return undefined;
  const builder = new RecordBuilder('xml');
  builder.set('requestId', root[1]);
  for (const [, tag = '', text] of line.matchAll(XML_ELEMENT)) builder.setKey(tag, decodeXmlText(text ?? ''));
  return builder.build();
}

function decodeXmlText(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

// REST: ip caller user [time] "method resourcePath protocol" status length requestId extendedRequestId
// HTTP: ip - - [time] "method routeKey protocol" status length requestId (routeKey may hold a space)
const CLF = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (.+) (\S+)" (\d{3}|-) (\S+) (\S+)(?: (\S+))?$/;

function parseClfLine(line: string): AccessRecord | undefined {
  const match = CLF.exec(line);
  if (!match) return undefined;
  const [, ip, caller, user, time, method, target, protocol, status, , requestId, extendedRequestId] = match;
  const builder = new RecordBuilder('clf');
  builder.set('sourceIp', ip);
  builder.set('requestTime', time);
  builder.set('httpMethod', method);
  builder.set('protocol', protocol);
  builder.set('status', status);
  builder.set('requestId', requestId);
  if (extendedRequestId === undefined && caller === '-' && user === '-') {
    builder.set('routeKey', target);
  } else {
    builder.set('caller', caller);
    builder.set('resourcePath', target);
    builder.set('extendedRequestId', extendedRequestId);
  }
  return builder.build();
}

// `null` marks a default-format column the classifier does not use (user, responseLength).
const REST_CSV: readonly (AccessField | null)[] = [
  'sourceIp',
  'caller',
  null,
  'requestTime',
  'httpMethod',
  'resourcePath',
  'protocol',
  'status',
  null,
  'requestId',
  'extendedRequestId',
];
const HTTP_CSV: readonly (AccessField | null)[] = [
  'sourceIp',
  'requestTime',
  'httpMethod',
  'routeKey',
  'protocol',
  'status',
  null,
  'requestId',
];

function parseCsvLine(line: string): AccessRecord | undefined {
  const cells = line.split(',');
  const columns =
    cells.length === REST_CSV.length ? REST_CSV : cells.length === HTTP_CSV.length ? HTTP_CSV : undefined;
  if (!columns) return undefined;
  const statusCell = cells[columns.indexOf('status')];
  if (!statusCell || !/^\d{3}$/.test(statusCell)) return undefined;
  const builder = new RecordBuilder('csv');
  columns.forEach((field, index) => {
    if (field) builder.set(field, cells[index]);
  });
  return builder.build();
}
