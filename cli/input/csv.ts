/** RFC 4180 records (numbered from `firstLine`): quoted fields may hold commas, doubled quotes and line breaks. Linear in the text. */
export function parseCsv(
  text: string,
  firstLine = 1,
): { readonly fields: string[]; readonly line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let line = firstLine;
  let recordLine = firstLine;
  let index = 0;
  while (index < text.length) {
    const field = readField(text, index);
    fields.push(field.value);
    line += field.newlines;
    index = field.end + 1;
    const separator = text[field.end];
    if (separator === ',') continue;
    if (separator === '\n' || separator === undefined) {
      if (fields.length > 1 || fields[0] !== '') records.push({ fields, line: recordLine });
      fields = [];
      line += separator === '\n' ? 1 : 0;
      recordLine = line;
    }
  }
  return records;
}

/** One field from `start`: its value, the index of the `,` or `\n` (or the end) after it, newlines inside. */
function readField(text: string, start: number): { value: string; end: number; newlines: number } {
  if (text[start] !== '"') {
    let end = start;
    while (end < text.length && text[end] !== ',' && text[end] !== '\n') end += 1;
    return { value: text.slice(start, end).replace(/\r$/, ''), end, newlines: 0 };
  }
  let value = '';
  let newlines = 0;
  let index = start + 1;
  while (index < text.length) {
    const close = text.indexOf('"', index);
    const chunk = text.slice(index, close === -1 ? text.length : close);
    value += chunk;
    newlines += chunk.split('\n').length - 1;
    if (close === -1) return { value, end: text.length, newlines };
    if (text[close + 1] === '"') {
      value += '"';
      index = close + 2;
      continue;
    }
    // Anything between the closing quote and the separator is kept, as spreadsheet tools do.
    let end = close + 1;
    while (end < text.length && text[end] !== ',' && text[end] !== '\n') end += 1;
    return { value: value + text.slice(close + 1, end).replace(/\r$/, ''), end, newlines };
  }
  return { value, end: text.length, newlines };
}

/**
 * The index just past the last line end outside a quoted field: where the whole records of `text` end.
 * Quoting as `parseCsv` reads it: a `"` opens a quoted field only at the field's start; elsewhere it is
 * text (`stream"1`), and counting it would turn every later record end into a cut inside a record.
 */
export function csvCut(text: string): number {
  let state = FIELD_START;
  let cut = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (state === QUOTED) {
      if (char === QUOTE) state = AFTER_QUOTE;
    } else if (char === COMMA) state = FIELD_START;
    else if (char === NEWLINE) {
      state = FIELD_START;
      cut = index + 1;
    } else if (char === QUOTE && state !== UNQUOTED) state = QUOTED;
    else state = UNQUOTED;
  }
  return cut;
}

// Where `csvCut` stands in a field; after a quoted field's closing `"`, another one is a doubled quote.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const AFTER_QUOTE = 3;
const COMMA = 0x2c;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
