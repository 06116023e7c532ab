/**
 * Reads a JSON access-log line's fields without `JSON.parse`. The lines of one stage share one format,
 * so their keys come in one order: the first line of a format is walked once to learn its shape (the
 * keys in order, nested objects, the field each key path holds), and the shape is compiled into one
 * anchored regular expression that checks a whole line of that shape and captures only the values the
 * classifier reads. Most of a line is values no rule reads (latencies, trace ids, lengths): those are
 * checked and skipped, and no object is built.
 *
 * The scanner answers only where its answer is certainly the one `JSON.parse` plus the key walk
 * (`parseJsonLineByJsonParse`) gives, and returns `undefined` otherwise, for the caller to fall back:
 * - a string with a backslash or a control character does not match (`[^"\\\x00-\x1f]*`), so every
 *   string it accepts is exactly the text between its quotes, and a raw control character, which
 *   `JSON.parse` rejects inside a string, cannot slip through; a line is learned only when it holds
 *   neither anywhere, so keys are literal text;
 * - arrays, objects nested deeper than `MAX_SCAN_DEPTH`, and white space other than spaces;
 * - a shape with a repeated key (`JSON.parse` keeps the last value at the first key's position) or a
 *   key starting with a digit (`JSON.parse` lists integer keys first);
 * - anything that is not JSON: the expression is JSON's grammar for that shape (literals, numbers,
 *   nothing but spaces around tokens or after the object), so a line it accepts is one `JSON.parse`
 *   accepts, with the same values (a number as `String(number)`).
 * Every alternative in the expression starts with a different character and every repetition is
 * followed by a character it cannot match, so it runs in time linear in the line.
 */
import type { AccessField } from './access-fields.js';
import { fieldBit, fieldForAnyKey, hasOuterSpace, keyPath, RecordBuilder } from './access-record.js';

/** Deeper than any access-log format nests (five); deeper lines go to `JSON.parse`. */
export const MAX_SCAN_DEPTH = 8;
/** Keys in one shape, all levels: a line with more goes to `JSON.parse`, so no shape grows unbounded. */
export const MAX_SHAPE_KEYS = 256;
/** Shapes remembered (most recently used first): a batch mixes few formats. */
export const MAX_SHAPES = 8;

/** How a read value is written in the shape's lines: a string, a number, or `true`/`false`. */
type ValueKind = 'text' | 'number' | 'literal';

/** A capture group of a shape's expression: the field its value is for. */
interface Capture {
  readonly field: AccessField;
  readonly kind: ValueKind;
}

interface CompiledShape {
  readonly pattern: RegExp;
  /** Stores each capture group's value in its field (`fillerOf`). */
  readonly fill: Filler;
  /** Every field the shape logs (its key holds a scalar), as the record's mask. */
  readonly low: number;
  readonly high: number;
}

/** Declines to learn from the line: a character that would make a key or a value not literal text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: a raw control character is what it must find
const NOT_LITERAL = /[\x00-\x1f\\]/;

const STRING_BODY = '[^"\\\\\\x00-\\x1f]*';
const NUMBER = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';
/** A value no rule reads: checked, not captured. */
const SCALAR = `(?:"${STRING_BODY}"|${NUMBER}|true|false|null)`;
/** A read string: its text captured (`"-"` and `""`, unset, are left out when the record is filled). */
const CAPTURED_TEXT = `"(${STRING_BODY})"`;
const CAPTURED: Readonly<Record<ValueKind, string>> = {
  text: CAPTURED_TEXT,
  number: `(${NUMBER})`,
  literal: '(true|false)',
};

const UNSET_TEXT = '-';

let shapes: CompiledShape[] = [];

/**
 * The line's record builder, filled; `undefined` when the line is for `JSON.parse` (see above). The
 * builder may hold no field (`build()` is then `undefined`, as the reference says).
 */
export function scanJsonLine(line: string): RecordBuilder | undefined {
  for (let i = 0; i < shapes.length; i++) {
    const shape = shapes[i] as CompiledShape;
    const match = shape.pattern.exec(line);
    if (match === null) continue;
    if (i > 0) shapes = [shape, ...shapes.slice(0, i), ...shapes.slice(i + 1)];
    return fill(shape, match);
  }
  const learned = learn(line);
  if (learned === undefined) return undefined;
  const match = learned.pattern.exec(line);
  if (match === null) return undefined;
  shapes = [learned, ...shapes.slice(0, MAX_SHAPES - 1)];
  return fill(learned, match);
}

function fill(shape: CompiledShape, match: RegExpExecArray): RecordBuilder {
  const builder = new RecordBuilder('json');
  builder.markLogged(shape.low, shape.high);
  shape.fill(builder, builder.values, match, STORE);
  return builder;
}

type Values = RecordBuilder['values'];
type Filler = (builder: RecordBuilder, values: Values, match: RegExpExecArray, store: Store) => void;

/** What a filler calls: the checks and conversions every shape shares, written once. */
interface Store {
  /** The capture's value, or `undefined` when it is unset (`"-"` or `""`, what `setText` leaves out). */
  readonly text: (captured: string | undefined) => string | undefined;
  readonly number: (captured: string | undefined) => string | undefined;
  readonly hasOuterSpace: (text: string) => boolean;
}
const STORE: Store = {
  text: (captured) =>
    captured === undefined || captured.length === 0 || captured === UNSET_TEXT ? undefined : captured,
  number: (captured) => (captured === undefined ? undefined : String(Number(captured))),
  hasOuterSpace,
};

/** An AccessField is an identifier of ours; checked anyway, as the filler's source names it. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * The shape's filler, compiled once: one statement per capture group with the field's name written
 * in, so each store is to a known property of the record's one hidden class. A loop storing
 * `values[capture.field]` made every store a megamorphic keyed look-up (about 5% of the monitor's
 * per-line path). The source holds field names and group numbers only, never a line's text. A
 * capture whose field no other capture of the shape sets, and that needs no trimming, is stored as
 * it is; any other goes through `setText` (trimming, and which of two captures of a field wins).
 */
function fillerOf(captures: readonly Capture[]): Filler {
  const statements = captures.map(({ field, kind }, index) => {
    if (!FIELD_NAME.test(field)) throw new Error(`not a field name: ${JSON.stringify(field)}`);
    const alone = captures.every((other, at) => at === index || other.field !== field);
    const value = `store.${kind === 'number' ? 'number' : 'text'}(match[${index + 1}])`;
    const set = `builder.setText('${field}', value)`;
    return alone
      ? `value = ${value}; if (value !== undefined) { if (store.hasOuterSpace(value)) ${set}; else values.${field} = value; }`
      : `value = ${value}; if (value !== undefined) ${set};`;
  });
  return new Function(
    'builder',
    'values',
    'match',
    'store',
    `let value;\n${statements.join('\n')}`,
  ) as Filler;
}

/** The compiled shape of the line, or `undefined` when the line is for `JSON.parse`. */
function learn(line: string): CompiledShape | undefined {
  if (line.charCodeAt(0) !== OPEN_BRACE || NOT_LITERAL.test(line)) return undefined;
  const learner = new ShapeLearner(line);
  const source = learner.learn();
  if (source === undefined) return undefined;
  let low = 0;
  let high = 0;
  for (const field of learner.logged) {
    const bit = fieldBit(field);
    if (bit < 32) low |= 1 << bit;
    else high |= 1 << (bit - 32);
  }
  return { pattern: new RegExp(source), fill: fillerOf(learner.captures), low, high };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

const FAIL = -1;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
const LOWER_T = 0x74;

function skipSpaces(line: string, pos: number): number {
  let at = pos;
  while (line.charCodeAt(at) === SPACE) at++;
  return at;
}

/**
 * The end of the scalar at `pos`, found loosely: the shape's expression checks it. FAIL for an array
 * (left to `JSON.parse`).
 */
function scalarEnd(line: string, pos: number): number {
  const first = line.charCodeAt(pos);
  if (first === QUOTE) {
    const close = line.indexOf('"', pos + 1);
    return close === FAIL ? FAIL : close + 1;
  }
  if (first === OPEN_BRACKET || Number.isNaN(first)) return FAIL;
  let at = pos;
  for (
    let code = first;
    code !== COMMA && code !== CLOSE_BRACE && code !== SPACE;
    code = line.charCodeAt(at)
  ) {
    if (Number.isNaN(code)) return FAIL;
    at++;
  }
  return at;
}

/**
 * Writes the expression for a line's shape while walking it: its structure, keys and white space as
 * written, each value a rule reads as a capture of the kind written, every other value as any scalar.
 * `learn()` is `undefined` when the line is for `JSON.parse`: a repeated key, an integer key, an
 * array, too deep, too many keys, or a structure that is not JSON's.
 */
class ShapeLearner {
  readonly captures: Capture[] = [];
  /** The fields of every scalar the line holds at a read key path, `null` included. */
  readonly logged: AccessField[] = [];
  private readonly parts: string[] = ['^'];
  private keys = 0;

  constructor(private readonly line: string) {}

  learn(): string | undefined {
    const end = this.object(0, '', 1);
    if (end === FAIL || this.spaces(end) !== this.line.length) return undefined;
    this.parts.push('$');
    return this.parts.join('');
  }

  /** The spaces at `pos`, written as they are; the position after them. */
  private spaces(pos: number): number {
    const end = skipSpaces(this.line, pos);
    if (end > pos) this.parts.push(this.line.slice(pos, end));
    return end;
  }

  /** The object at `pos` (its `{`); the position after its `}`, or FAIL. */
  private object(pos: number, path: string, depth: number): number {
    if (depth > MAX_SCAN_DEPTH) return FAIL;
    const { line, parts } = this;
    parts.push('\\{');
    let at = this.spaces(pos + 1);
    if (line.charCodeAt(at) === CLOSE_BRACE) {
      parts.push('\\}');
      return at + 1;
    }
    const seen = new Set<string>();
    for (;;) {
      at = this.member(at, path, depth, seen);
      if (at === FAIL) return FAIL;
      at = this.spaces(at);
      const next = line.charCodeAt(at);
      if (next === CLOSE_BRACE) {
        parts.push('\\}');
        return at + 1;
      }
      if (next !== COMMA) return FAIL;
      parts.push(',');
      at = this.spaces(at + 1);
    }
  }

  /** One `"key": value` at `pos`; the position after the value, or FAIL. */
  private member(pos: number, path: string, depth: number, seen: Set<string>): number {
    const { line, parts } = this;
    if (line.charCodeAt(pos) !== QUOTE) return FAIL;
    const close = line.indexOf('"', pos + 1);
    if (close === FAIL) return FAIL;
    const key = line.slice(pos + 1, close);
    const first = key.charCodeAt(0);
    this.keys += 1;
    if (seen.has(key) || (first >= ZERO && first <= NINE) || this.keys > MAX_SHAPE_KEYS) return FAIL;
    seen.add(key);
    parts.push(`"${escapeRegExp(key)}"`);
    let at = this.spaces(close + 1);
    if (line.charCodeAt(at) !== COLON) return FAIL;
    parts.push(':');
    at = this.spaces(at + 1);
    const childPath = keyPath(path, key);
    if (line.charCodeAt(at) === OPEN_BRACE) return this.object(at, childPath, depth + 1);
    return this.scalar(at, fieldForAnyKey(childPath));
  }

  /** The scalar at `pos`; the position after it, or FAIL. */
  private scalar(pos: number, field: AccessField | undefined): number {
    const end = scalarEnd(this.line, pos);
    if (end === FAIL) return FAIL;
    if (field === undefined) {
      this.parts.push(SCALAR);
      return end;
    }
    this.logged.push(field);
    const first = this.line.charCodeAt(pos);
    if (first === LOWER_N) {
      this.parts.push('null');
      return end;
    }
    const kind: ValueKind =
      first === QUOTE ? 'text' : first === LOWER_T || first === LOWER_F ? 'literal' : 'number';
    this.captures.push({ field, kind });
    this.parts.push(CAPTURED[kind]);
    return end;
  }
}
