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

/**
 * Every field, unset. A record's values start as a copy of it, so that every record has the same
 * hidden class whichever fields its line sets: the classifier's reads stay monomorphic, where one
 * hidden class per combination of set fields made every read a megamorphic look-up.
 */
const UNSET_VALUES: Readonly<Partial<Record<AccessField, string>>> = Object.fromEntries(
  ACCESS_FIELDS.map((entry) => [entry.field, undefined]),
);

const FIELD_BIT = new Map<AccessField, number>(ACCESS_FIELDS.map((entry, index) => [entry.field, index]));

/** The field's position in the logged-field mask. */
export const fieldBit = (field: AccessField): number => FIELD_BIT.get(field) ?? 0;

const UNSET = '-';
const SPACE = 0x20;

/** True when `text` starts or ends with white space (rare: API Gateway writes none). */
export function hasOuterSpace(text: string): boolean {
  return text.length > 0 && (text.charCodeAt(0) <= SPACE || text.charCodeAt(text.length - 1) <= SPACE);
}

/**
 * Builds a line's record and is that record: one object per line, not four. The logged fields are a
 * 64-bit mask in two integers rather than a `Set`, which cost more than the rest of the record.
 */
export class RecordBuilder implements AccessRecord, ReadonlyFieldSet {
  readonly values: Partial<Record<AccessField, string>> = { ...UNSET_VALUES };
  readonly logged: ReadonlyFieldSet = this;
  private low = 0;
  private high = 0;

  constructor(readonly format: AccessLogFormat) {}

  has(field: AccessField): boolean {
    const bit = fieldBit(field);
    return bit < 32 ? (this.low & (1 << bit)) !== 0 : (this.high & (1 << (bit - 32))) !== 0;
  }

  setKey(key: string, raw: unknown): void {
    const field = fieldForAnyKey(key);
    if (field) this.set(field, raw);
  }

  set(field: AccessField, raw: unknown): void {
    this.setField(field, fieldBit(field), raw);
  }

  /** `set` with the field's bit already known (the JSON readers keep it per key). */
  setField(field: AccessField, bit: number, raw: unknown): void {
    if (bit < 32) this.low |= 1 << bit;
    else this.high |= 1 << (bit - 32);
    this.setValue(field, raw);
  }

  /** Marks fields logged at once: the mask a JSON shape computes once for all its lines. */
  markLogged(low: number, high: number): void {
    this.low |= low;
    this.high |= high;
  }

  /** The value of a field already marked logged. */
  setValue(field: AccessField, raw: unknown): void {
    if (raw === null || raw === undefined || typeof raw === 'object') return;
    this.setText(field, typeof raw === 'string' ? raw : String(raw));
  }

  /** `setValue` of a scalar already written as text (what the shape scanner captures). */
  setText(field: AccessField, text: string): void {
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

// Wrapper objects people put around the fields; `{"request":{"id":...}}` still means the request id.
const WRAPPER_PREFIXES = ['context.', 'request.', 'response.', 'http.', 'fields.', 'data.'];

function fieldForWrappedKey(key: string): AccessField | undefined {
  const prefix = WRAPPER_PREFIXES.find((candidate) => key.toLowerCase().startsWith(candidate));
  return prefix ? fieldForKey(key.slice(prefix.length)) : undefined;
}

/** The field a key path (nested keys joined by `.`) holds, wrapper objects included. */
export function fieldForAnyKey(key: string): AccessField | undefined {
  return fieldForKey(key) ?? fieldForWrappedKey(key);
}

/** A nested key's path from the line's root, as both JSON readers name it. */
export const keyPath = (parentPath: string, key: string): string =>
  parentPath ? `${parentPath}.${key}` : key;

/**
 * Deeper than any access-log format nests its fields (`$context.identity.clientCert.validity.notAfter`
 * is five). The walk is recursive, so without a bound a line nested thousands deep throws RangeError,
 * deterministically, on every retry of its batch.
 */
export const MAX_JSON_DEPTH = 32;
