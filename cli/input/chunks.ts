/**
 * Splits a file's text into top-level JSON values and plain lines, in order, in one pass. A value may
 * span lines (pretty-printed pages, `aws logs tail --format json`) or share a line with the next
 * (pages concatenated without a newline). A text line that merely starts with `{` or `[` stays a line.
 */
export type Chunk =
  | { readonly kind: 'json'; readonly value: unknown; readonly text: string; readonly line: number }
  | { readonly kind: 'line'; readonly text: string; readonly line: number };

const OPENERS = new Set(['{', '[']);

export function splitChunks(text: string): Chunk[] {
  return splitChunkPrefix(text, { final: true }).chunks;
}

export interface PrefixOptions {
  /** The text runs to the end of the file: nothing is held back. */
  readonly final: boolean;
  /** The line the text starts on. @default 1 */
  readonly line?: number;
  /** Whether values may span lines (off once an attempt failed in this file). @default true */
  readonly multiLine?: boolean;
}

export interface ChunkPrefix {
  readonly chunks: Chunk[];
  /**
   * Where the text that waits for more starts (the text's length when none does): unless `final`, the
   * last line (it may be cut short, or be the `aws logs tail` prefix of the record below it) and a
   * value that has not closed yet. It starts a line.
   */
  readonly rest: number;
  /** The line `rest` is on. */
  readonly restLine: number;
  /** The start of the line of the value that has not closed yet, if one is why the text waits. */
  readonly openValue?: number;
  /** Whether values may still span lines. */
  readonly multiLine: boolean;
}

/** `splitChunks` on a piece of a file: what is whole, and where the text that waits for the next piece starts. */
export function splitChunkPrefix(text: string, options: PrefixOptions): ChunkPrefix {
  const chunks: Chunk[] = [];
  const starts: { pos: number; line: number }[] = [];
  const state = { pos: 0, line: options.line ?? 1, multiLine: options.multiLine ?? true };
  let openValue: number | undefined;
  while (state.pos < text.length) {
    const newline = text.indexOf('\n', state.pos);
    const lineEnd = newline === -1 ? text.length : newline;
    const start = skipSpaces(text, state.pos, lineEnd);
    if (start === lineEnd) {
      state.pos = lineEnd + 1;
      state.line += 1;
      continue;
    }
    const json = OPENERS.has(text[start] ?? '')
      ? jsonAt(text, start, lineEnd, state, options.final)
      : undefined;
    if (json === 'open') {
      openValue = state.pos;
      break;
    }
    starts.push({ pos: state.pos, line: state.line });
    if (json) {
      chunks.push({ kind: 'json', value: json.value, text: json.text, line: state.line });
      state.line += countNewlines(json.text);
      state.pos = start + json.text.length;
      continue;
    }
    chunks.push({ kind: 'line', text: text.slice(start, lineEnd).replace(/\r$/, ''), line: state.line });
    state.pos = lineEnd + 1;
    state.line += 1;
  }
  const done = { chunks, multiLine: state.multiLine, ...(openValue === undefined ? {} : { openValue }) };
  const last = chunks[chunks.length - 1];
  const lastStart = starts[starts.length - 1];
  if (!options.final && last?.kind === 'line' && lastStart) {
    chunks.pop();
    return { ...done, rest: lastStart.pos, restLine: lastStart.line };
  }
  return { ...done, rest: Math.min(state.pos, text.length), restLine: state.line };
}

/**
 * Whether the text is one JSON document that never closes: a pretty-printed export cut short (a
 * download stopped, a copy from a terminal) reads as lines of which none is a log line.
 */
export function isUnclosedJson(text: string): boolean {
  const start = skipSpaces(text, 0, text.length);
  return OPENERS.has(text[start] ?? '') && valueEnd(text, start, text.length) === -1;
}

/**
 * The JSON value starting at `start`: first within its line, then (unless turned off) across lines.
 * One multi-line attempt that fails (an unbalanced `{` in a text file) turns them off for the rest of
 * the file, so a file of such lines costs one scan to its end, not one per line. `open`: not closed
 * before the end of a piece that is not the file's last.
 */
function jsonAt(
  text: string,
  start: number,
  lineEnd: number,
  state: { multiLine: boolean },
  final: boolean,
): { value: unknown; text: string } | 'open' | undefined {
  let end = valueEnd(text, start, lineEnd);
  if (end === -1 && state.multiLine) {
    end = valueEnd(text, start, text.length);
    // Not closed before the end of this piece: the next piece may close it.
    if (end === -1 && !final) return 'open';
    if (end === -1) state.multiLine = false;
  }
  if (end === -1) return undefined;
  const body = text.slice(start, end);
  const parsed = parseJson(body);
  if (parsed) return { value: parsed.parsed, text: body };
  if (end > lineEnd) state.multiLine = false;
  return undefined;
}

function skipSpaces(text: string, from: number, to: number): number {
  let index = from;
  while (index < to && /\s/.test(text[index] ?? '')) index += 1;
  return index;
}

/** The index just past the bracket that closes the one at `start`, or -1 before `limit`. */
function valueEnd(text: string, start: number, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < limit; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === BACKSLASH) index += 1;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) inString = true;
    else if (char === OPEN_BRACE || char === OPEN_BRACKET) depth += 1;
    else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  return -1;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The value `text` holds, or `undefined` when it is no JSON. */
export function parseJson(text: string): { parsed: unknown } | undefined {
  try {
    return { parsed: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

export function countNewlines(text: string): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count += 1;
  return count;
}
