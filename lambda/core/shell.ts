/**
 * Values spliced into the shell commands the product prints (explain's and the alerts' "First checks",
 * doctor's fixes). A reader pastes those into a shell, and the values come from a capture, a log line
 * or an AWS answer, so each one must reach the command as one literal word whatever it holds.
 */

/** Characters that are literal in every quoting context of a POSIX shell (and of bash with history expansion). */
const SHELL_SAFE = /^[\w@%+=:,./-]+$/;

/**
 * Control characters, spliced as `$'\xHH'` between the single-quoted pieces: a raw newline would
 * start a new line of the paste, where bash's history expansion no longer knows it is inside a quote
 * (`^old^new`, `!word` at its start).
 */
const CONTROL = /\p{Cc}/gu;
const UTF8 = new TextEncoder();

/**
 * A control character as its UTF-8 bytes, each `\xHH`: bash's `\uHHHH` depends on the reader's locale
 * (under `LANG=C` it stays the six characters `\u0085`), bytes do not.
 */
function ansiC(char: string): string {
  return [...UTF8.encode(char)].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
}

/** Quotes a value for POSIX shells (and bash's `$'…'` for control characters) only when it needs it. */
export function shellQuote(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replaceAll("'", "'\\''")}'`.replace(CONTROL, (char) => `'$'${ansiC(char)}''`);
}

/** The quoting in force at a point of a command template. */
type Quoting = 'none' | 'single' | 'double';

/** What closes, then reopens, each quoting around a spliced single-quoted word. */
const REOPEN: Readonly<Record<Quoting, string>> = { none: '', single: "'", double: '"' };

/** The quoting in force after `text`, starting in `from` (the template's own quotes and backslashes). */
function quotingAfter(text: string, from: Quoting): Quoting {
  let quoting = from;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoting === 'single') {
      if (c === "'") quoting = 'none';
    } else if (c === '\\') {
      i++;
    } else if (c === '"') {
      quoting = quoting === 'double' ? 'none' : 'double';
    } else if (c === "'" && quoting === 'none') {
      quoting = 'single';
    }
  }
  return quoting;
}

/** `value` as one literal word where the template's quoting is `quoting`. */
function spliced(value: string, quoting: Quoting): string {
  return SHELL_SAFE.test(value) ? value : `${REOPEN[quoting]}${shellQuote(value)}${REOPEN[quoting]}`;
}

/**
 * A value the template spells `{name}`: `literal` is spliced as one literal shell word; `placeholder`
 * (the product's own `<name>`, for the reader to replace) as written.
 */
export type ShellValue = { readonly literal: string } | { readonly placeholder: string };

/**
 * Fills `{name}` in a command template with `values`, each literal one quoted for the quoting the
 * template has at that point: inside the template's `'…'` or `"…"` the quote is closed, the value
 * written as a single-quoted word, and the quote reopened, so no `$`, backquote, `!`, quote or
 * newline in a value is ever read by the shell. Names not in `values` are left as written.
 */
export function fillCommand(template: string, values: Readonly<Record<string, ShellValue>>): string {
  let quoting: Quoting = 'none';
  let out = '';
  let last = 0;
  for (const match of template.matchAll(/\{(\w+)\}/g)) {
    const value = values[match[1] ?? ''];
    if (value === undefined) continue;
    const before = template.slice(last, match.index);
    quoting = quotingAfter(before, quoting);
    out += before;
    out += 'placeholder' in value ? value.placeholder : spliced(value.literal, quoting);
    last = match.index + match[0].length;
  }
  return out + template.slice(last);
}
