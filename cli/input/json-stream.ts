/**
 * One top-level JSON value read piece by piece, for a value too big to hold whole (one
 * `filter-log-events` page of several GB): each element of the arrays that hold a shape's events (a
 * top-level object's `events` or `results`, or the top-level array's own elements) is handed over on
 * its own; the rest is checked as JSON and dropped. Linear in the text; it holds one element at a time.
 */
import { parseJson } from './chunks.js';

/** The members of a top-level object whose array elements are events (`filter-log-events`, `get-query-results`). */
const STREAMED_KEYS: ReadonlySet<string> = new Set(['events', 'results']);

interface Frame {
  readonly kind: 'object' | 'array';
  /** This array's elements are handed over. */
  readonly streamed: boolean;
  /** The member being read (kept at depth 1 only, where `events` is). */
  key?: string;
}

/** What may come next: a value, an object's key, the `:` after it, `,` or the closing bracket. */
type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close';

export interface ScanResult {
  /** The index in the pushed text just past the value's closing bracket, once it has closed. */
  readonly end?: number;
  /** Why the text is not JSON, and where that shows (index in the pushed text). */
  readonly error?: { readonly at: number; readonly reason: string };
}

/** An element of a streamed array: its JSON text, the member it is in (none: the top-level array), its line. */
export type OnElement = (text: string, key: string | undefined, line: number) => void;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const WHITESPACE = new Set([0x20, 0x09, NEWLINE, 0x0d]);
const SCALAR_START = /[-0-9tfn]/;
const SCALAR_PART = /[-+.0-9a-zA-Z]/;

export class JsonValueStream {
  private readonly stack: Frame[] = [];
  private expect: Expect = 'value';
  private string: { key: boolean; pieces: string[]; from: number } | undefined;
  private escaped = false;
  private scalar = false;
  private element:
    | { depth: number; line: number; key: string | undefined; pieces: string[]; from: number }
    | undefined;
  /** Newlines read so far (the value's first line is 0). */
  newlines = 0;
  /** Elements handed over so far. */
  elements = 0;
  /** Arrays whose elements are handed over, found so far (none: not a shape whose events stream). */
  streamedArrays = 0;

  constructor(private readonly onElement: OnElement) {}

  /** Reads `text` from `from` (the value's opening bracket, on the first push). */
  push(text: string, from = 0): ScanResult {
    if (this.string) this.string.from = from;
    if (this.element) this.element.from = from;
    for (let index = from; index < text.length; index += 1) {
      const char = text.charCodeAt(index);
      if (char === NEWLINE) this.newlines += 1;
      const result = this.step(text, index, char);
      if (result) return result;
    }
    if (this.string) this.string.pieces.push(text.slice(this.string.from));
    if (this.element) this.element.pieces.push(text.slice(this.element.from));
    return {};
  }

  /** One character: what ends the scan (the value closed, or is no JSON), else `undefined`. */
  private step(text: string, index: number, char: number): ScanResult | undefined {
    if (this.string) {
      const problem = this.stringChar(text, index, char);
      return problem === undefined ? undefined : { error: { at: index, reason: problem } };
    }
    if (this.scalar) {
      if (SCALAR_PART.test(text[index] ?? '')) return undefined;
      this.scalar = false;
      const end = this.valueEnded(text, index);
      if (end !== undefined) return { end };
    }
    if (WHITESPACE.has(char)) return undefined;
    const step = this.structural(text, index);
    if (typeof step === 'string') return { error: { at: index, reason: step } };
    return step === undefined ? undefined : { end: step };
  }

  /** One character of a string: why the text is no JSON, else `undefined`. */
  private stringChar(text: string, index: number, char: number): string | undefined {
    if (this.escaped) this.escaped = false;
    else if (char === BACKSLASH) this.escaped = true;
    else if (char === QUOTE) return this.endString(text, index);
    return undefined;
  }

  /** One structural character: a problem, the end of the top-level value, or `undefined` to go on. */
  private structural(text: string, index: number): string | number | undefined {
    const c = text[index] ?? '';
    const top = this.stack[this.stack.length - 1];
    switch (this.expect) {
      case 'colon':
        if (c !== ':') return 'expected ":"';
        this.expect = 'value';
        return undefined;
      case 'comma-or-close':
        if (c !== ',') return this.close(text, index, c, top);
        this.expect = top?.kind === 'object' ? 'key' : 'value';
        return undefined;
      case 'key':
      case 'key-or-close':
        if (c === '"') {
          this.string = { key: true, pieces: [], from: index };
          return undefined;
        }
        return this.expect === 'key-or-close' ? this.close(text, index, c, top) : 'expected a key';
      default:
        // The first thing in an array may be its closing bracket.
        if (c === ']' && this.expect === 'value-or-close') return this.close(text, index, c, top);
        return this.value(index, c, top);
    }
  }

  /** The first character of a value. */
  private value(index: number, c: string, top: Frame | undefined): string | undefined {
    if (c === '{' || c === '[') {
      this.valueStarted(index);
      const streamed =
        c === '[' &&
        (this.stack.length === 0 || (this.stack.length === 1 && STREAMED_KEYS.has(top?.key ?? '')));
      if (streamed) this.streamedArrays += 1;
      this.stack.push({ kind: c === '{' ? 'object' : 'array', streamed });
      this.expect = c === '{' ? 'key-or-close' : 'value-or-close';
      return undefined;
    }
    if (this.stack.length === 0) return 'not a JSON object or array';
    if (c !== '"' && !SCALAR_START.test(c)) return 'expected a value';
    this.valueStarted(index);
    if (c === '"') this.string = { key: false, pieces: [], from: index };
    else this.scalar = true;
    return undefined;
  }

  private close(text: string, index: number, c: string, top: Frame | undefined): string | number | undefined {
    if ((c === '}' && top?.kind === 'object') || (c === ']' && top?.kind === 'array')) {
      this.stack.pop();
      return this.valueEnded(text, index + 1);
    }
    return `unexpected ${JSON.stringify(c)}`;
  }

  private endString(text: string, index: number): string | undefined {
    const string = this.string;
    this.string = undefined;
    if (!string?.key) {
      this.valueEnded(text, index + 1);
      return undefined;
    }
    const top = this.stack[this.stack.length - 1];
    if (top && this.stack.length === 1) {
      // A bad escape or a raw line break (a page cut inside a key, another pasted after it) is no
      // JSON: it ends the value like any other, where `JSON.parse` threw out of the whole file.
      const key = parseJson([...string.pieces, text.slice(string.from, index + 1)].join(''));
      if (key === undefined) return 'a key that is not a JSON string';
      top.key = key.parsed as string;
    }
    this.expect = 'colon';
    return undefined;
  }

  private valueStarted(index: number): void {
    const top = this.stack[this.stack.length - 1];
    if (this.element || !top?.streamed) return;
    const key = this.stack.length === 1 ? undefined : this.stack[0]?.key;
    this.element = { depth: this.stack.length, line: this.newlines, key, pieces: [], from: index };
  }

  /** A value ended just before `end`: hands an element over; the top-level value's end is returned. */
  private valueEnded(text: string, end: number): number | undefined {
    const element = this.element;
    if (element && this.stack.length === element.depth) {
      this.element = undefined;
      this.elements += 1;
      this.onElement([...element.pieces, text.slice(element.from, end)].join(''), element.key, element.line);
    }
    this.expect = 'comma-or-close';
    return this.stack.length === 0 ? end : undefined;
  }
}
