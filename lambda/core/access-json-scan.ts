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
import { fieldBit, fieldForAnyKey, keyPath, RecordBuilder } from './access-record.js';

/** Deeper than any access-log format nests (five); deeper lines go to `JSON.parse`. */
export const MAX_SCAN_DEPTH = 8;
/** Keys in one shape, all levels: a line with more goes to `JSON.parse`, so no shape grows unbounded. */
export const MAX_SHAPE_KEYS = 256;
/** Shapes remembered (most recently used first): a batch mixes few formats. */
export const MAX_SHAPES = 8;

interface KeyShape {
  readonly key: string;
  /** The field a scalar value at this key path fills (`null`: none, or the value is an object). */
  readonly field: AccessField | null;
  /** The keys of the object this key holds, or `undefined` when its value is a scalar. */
  readonly object: ObjectShape | undefined;
}
type ObjectShape = readonly KeyShape[];

interface CompiledShape {
  readonly pattern: RegExp;
  /** The field of each captured value, in the line's order (two capture groups each). */
  readonly fields: readonly AccessField[];
  /** Every field the shape logs (its key holds a scalar), as the record's mask. */
  readonly low: number;
  readonly high: number;
}

/** Declines to learn from the line: a character that would make a key or a value not literal text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: a raw control character is what it must find
const NOT_LITERAL = /[\x00-\x1f\\]/;

const SPACES = ' *';
const STRING_BODY = '[^"\\\\\\x00-\\x1f]*';
const NUMBER = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';
const SCALAR = `(?:"${STRING_BODY}"|${NUMBER}|true|false|null)`;
/**
 * A scalar whose value is read: group 1 a string's text, group 2 any other scalar as written. `"-"`
 * and `""` (unset, most of a line's values) and `null` are matched apart and capture nothing; the lookahead
 * keeps the two string alternatives apart, so a line still matches in one way only.
 */
const CAPTURED_SCALAR = `(?:"(?!-?")(${STRING_BODY})"|"-?"|null|(${NUMBER}|true|false))`;

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
  const { fields } = shape;
  for (let i = 0; i < fields.length; i++) {
    const text = match[2 * i + 1];
    if (text !== undefined) {
      builder.setValue(fields[i] as AccessField, text);
      continue;
    }
    const scalar = match[2 * i + 2];
    if (scalar === undefined) continue;
    builder.setValue(
      fields[i] as AccessField,
      scalar === 'true' || scalar === 'false' ? scalar : String(Number(scalar)),
    );
  }
  return builder;
}

/** The compiled shape of the line, or `undefined` when the line is for `JSON.parse`. */
function learn(line: string): CompiledShape | undefined {
  if (line.charCodeAt(0) !== OPEN_BRACE || NOT_LITERAL.test(line)) return undefined;
  const learned = learnObject(line, 0, '', 1, { keys: 0 });
  if (learned === undefined) return undefined;
  const fields: AccessField[] = [];
  const source = objectSource(learned.shape, fields);
  let low = 0;
  let high = 0;
  for (const field of fields) {
    const bit = fieldBit(field);
    if (bit < 32) low |= 1 << bit;
    else high |= 1 << (bit - 32);
  }
  return { pattern: new RegExp(`^${source}${SPACES}$`), fields, low, high };
}

function objectSource(shape: ObjectShape, fields: AccessField[]): string {
  const members = shape.map((key) => {
    let value: string;
    if (key.object) value = objectSource(key.object, fields);
    else if (key.field === null) value = SCALAR;
    else {
      fields.push(key.field);
      value = CAPTURED_SCALAR;
    }
    return `"${escapeRegExp(key.key)}"${SPACES}:${SPACES}${value}`;
  });
  return `\\{${SPACES}${members.join(`${SPACES},${SPACES}`)}${SPACES}\\}`;
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

interface Learned {
  readonly shape: ObjectShape;
  readonly end: number;
}

/**
 * The shape of the object at `pos` (its `{`): its keys in order, each with the field its path holds.
 * `undefined` when the line is for `JSON.parse`: a repeated key, an integer key, an array, too deep,
 * too many keys, or a structure that is not JSON's.
 */
function learnObject(
  line: string,
  pos: number,
  path: string,
  depth: number,
  budget: { keys: number },
): Learned | undefined {
  if (depth > MAX_SCAN_DEPTH) return undefined;
  const shape: KeyShape[] = [];
  const seen = new Set<string>();
  let at = skipSpaces(line, pos + 1);
  if (line.charCodeAt(at) === CLOSE_BRACE) return { shape, end: at + 1 };
  for (;;) {
    const member = learnMember(line, at, path, depth, budget, seen);
    if (member === undefined) return undefined;
    shape.push(member.key);
    at = skipSpaces(line, member.end);
    const next = line.charCodeAt(at);
    if (next === CLOSE_BRACE) return { shape, end: at + 1 };
    if (next !== COMMA) return undefined;
    at = skipSpaces(line, at + 1);
  }
}

/** One `"key": value` of an object: the key's shape and the position after the value. */
function learnMember(
  line: string,
  pos: number,
  path: string,
  depth: number,
  budget: { keys: number },
  seen: Set<string>,
): { key: KeyShape; end: number } | undefined {
  if (line.charCodeAt(pos) !== QUOTE) return undefined;
  const close = line.indexOf('"', pos + 1);
  if (close === FAIL) return undefined;
  const key = line.slice(pos + 1, close);
  const first = key.charCodeAt(0);
  if (seen.has(key) || (first >= ZERO && first <= NINE)) return undefined;
  seen.add(key);
  budget.keys += 1;
  if (budget.keys > MAX_SHAPE_KEYS) return undefined;
  let at = skipSpaces(line, close + 1);
  if (line.charCodeAt(at) !== COLON) return undefined;
  at = skipSpaces(line, at + 1);
  const childPath = keyPath(path, key);
  if (line.charCodeAt(at) === OPEN_BRACE) {
    const child = learnObject(line, at, childPath, depth + 1, budget);
    return child && { key: { key, field: null, object: child.shape }, end: child.end };
  }
  const end = scalarEnd(line, at);
  if (end === FAIL) return undefined;
  return { key: { key, field: fieldForAnyKey(childPath) ?? null, object: undefined }, end };
}
