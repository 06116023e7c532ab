import { ACCESS_FIELDS, type AccessField, fieldForKey } from './access-fields.js';

export type AccessLogFormat = 'json' | 'clf' | 'csv' | 'xml';

/** One parsed access-log line: set values only (`-` is unset), plus which fields the format logs. */
export interface AccessRecord {
  readonly format: AccessLogFormat;
  readonly values: Readonly<Partial<Record<AccessField, string>>>;
  /** Fields the line's format includes, set or not. */
  readonly logged: ReadonlyFieldSet;
}

export interface ReadonlyFieldSet {
  has(field: AccessField): boolean;
}

const FIELD_BIT = new Map<AccessField, number>(ACCESS_FIELDS.map((entry, index) => [entry.field, index]));

const UNSET = '-';

// Wrapper objects people put around the fields; `{"request":{"id":...}}` still means the request id.
const WRAPPER_PREFIXES = ['context.', 'request.', 'response.', 'http.', 'fields.', 'data.'];

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
const SPACE = 0x20;

/** True when `text` starts or ends with white space (rare: API Gateway writes none). */
function hasOuterSpace(text: string): boolean {
  return text.length > 0 && (text.charCodeAt(0) <= SPACE || text.charCodeAt(text.length - 1) <= SPACE);
}

/**
 * Builds a line's record and is that record: one object per line, not four. The logged fields are a
 * 64-bit mask in two integers rather than a `Set`, which cost more than the rest of the record.
 */
class RecordBuilder implements AccessRecord, ReadonlyFieldSet {
  readonly values: Partial<Record<AccessField, string>> = {};
  readonly logged: ReadonlyFieldSet = this;
  private low = 0;
  private high = 0;

  constructor(readonly format: AccessLogFormat) {}

  has(field: AccessField): boolean {
    const bit = FIELD_BIT.get(field) ?? 0;
    return bit < 32 ? (this.low & (1 << bit)) !== 0 : (this.high & (1 << (bit - 32))) !== 0;
  }

  setKey(key: string, raw: unknown): void {
    const field = fieldForAnyKey(key);
    if (field) this.set(field, raw);
  }

  set(field: AccessField, raw: unknown): void {
    this.setField(field, FIELD_BIT.get(field) ?? 0, raw);
  }

  /** `set` with the field's bit already known (the JSON key tree keeps it). */
  setField(field: AccessField, bit: number, raw: unknown): void {
    if (bit < 32) this.low |= 1 << bit;
    else this.high |= 1 << (bit - 32);
    if (raw === null || raw === undefined || typeof raw === 'object') return;
    const text = typeof raw === 'string' ? raw : String(raw);
    const value = hasOuterSpace(text) ? text.trim() : text;
    if (value === UNSET || value === '') return;
    const current = this.values[field];
    // Both integration-status variables may be logged; the backend's non-2xx answer is the evidence.
    if (current === undefined || (field === 'integrationStatus' && current.startsWith('2'))) {
      this.values[field] = value;
    }
  }

  build(): AccessRecord | undefined {
    return this.low === 0 && this.high === 0 ? undefined : this;
  }
}

function fieldForWrappedKey(key: string): AccessField | undefined {
  const prefix = WRAPPER_PREFIXES.find((candidate) => key.toLowerCase().startsWith(candidate));
  return prefix ? fieldForKey(key.slice(prefix.length)) : undefined;
}

function fieldForAnyKey(key: string): AccessField | undefined {
  return fieldForKey(key) ?? fieldForWrappedKey(key);
}

/**
 * Key path → field, as a tree that follows the line's nesting: each JSON key (already internalised by
 * `JSON.parse`) is looked up in its parent's node, so a repeated format costs one Map hit per key and
 * no string building. `field` is `null` for a key path the classifier does not use. Bounded: the whole
 * tree is dropped when it holds too many nodes, so arbitrary keys cannot grow it without limit.
 */
interface KeyNode {
  readonly key: string;
  /** The key path from the line's root, nested keys joined by `.`. */
  readonly path: string;
  readonly field: AccessField | null;
  readonly bit: number;
  readonly children: Map<string, KeyNode>;
  /**
   * The child met at each position last time: lines of one format list their keys in one order, and
   * comparing two internalised keys is cheaper than hashing one into `children`.
   */
  readonly byPosition: (KeyNode | undefined)[];
}
const KEY_TREE_LIMIT = 4096;
const newKeyTree = (): KeyNode => ({
  key: '',
  path: '',
  field: null,
  bit: 0,
  children: new Map(),
  byPosition: [],
});
let keyTree = newKeyTree();
let keyTreeSize = 0;

function childNode(parent: KeyNode, key: string): KeyNode {
  const cached = parent.children.get(key);
  if (cached) return cached;
  if (keyTreeSize >= KEY_TREE_LIMIT) {
    keyTree = newKeyTree();
    keyTreeSize = 0;
  }
  const path = parent.path ? `${parent.path}.${key}` : key;
  const field = fieldForAnyKey(path) ?? null;
  const node: KeyNode = {
    key,
    path,
    field,
    bit: field === null ? 0 : (FIELD_BIT.get(field) ?? 0),
    children: new Map(),
    byPosition: [],
  };
  parent.children.set(key, node);
  keyTreeSize += 1;
  return node;
}

/**
 * Deeper than any access-log format nests its fields (`$context.identity.clientCert.validity.notAfter`
 * is five). The walk is recursive, so without a bound a line nested thousands deep throws RangeError,
 * deterministically, on every retry of its batch.
 */
export const MAX_JSON_DEPTH = 32;

/** Collects the line's fields; false when the line nests deeper than `MAX_JSON_DEPTH`. */
function visit(
  builder: RecordBuilder,
  object: Record<string, unknown>,
  tree: KeyNode,
  depth: number,
): boolean {
  if (depth > MAX_JSON_DEPTH) return false;
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = object[key];
    let node = tree.byPosition[i];
    if (node === undefined || node.key !== key) {
      node = childNode(tree, key);
      tree.byPosition[i] = node;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      if (!visit(builder, value as Record<string, unknown>, node, depth + 1)) return false;
    } else if (node.field) {
      builder.setField(node.field, node.bit, value);
    }
  }
  return true;
}

function parseJsonLine(line: string): AccessRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const builder = new RecordBuilder('json');
  return visit(builder, parsed as Record<string, unknown>, keyTree, 1) ? builder.build() : undefined;
}

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
