/**
 * The text redaction reads, and the text every renderer shows: one line, no invisible or control
 * characters, and no encoding left that could hide a separator from the redaction rules (`%3D`,
 * `\u003d`, `\x3d`, `\"`, `&#61;`, fullwidth `＝`). Decoding works on the tail of the output, so a
 * decoded character takes part in the next decode (`%253D` → `%3D` → `=`), and every character is
 * pushed and popped a bounded number of times: linear in the input.
 */

export interface NormalisedText {
  readonly text: string;
  /**
   * 1 where a space was decoded from an escape (`%20`, `\u0020`). Such a space was not a separator in
   * the text as written (a URL cannot carry a raw space), so a value runs on across it.
   */
  readonly soft: Uint8Array;
}

const SPACE = 0x20;
const BACKSLASH = 0x5c;

/** Escapes after a backslash that stand for a character (`\"`) or a control character (`\n`). */
const BACKSLASH_LITERAL = new Set(['"', "'", '/', '\\', '`'].map((ch) => ch.charCodeAt(0)));
const BACKSLASH_CONTROL = new Set(['n', 'r', 't', 'b', 'f', 'v', '0'].map((ch) => ch.charCodeAt(0)));

const NAMED_ENTITIES: Readonly<Record<string, number>> = {
  quot: 0x22,
  amp: 0x26,
  lt: 0x3c,
  gt: 0x3e,
  apos: 0x27,
};
const LONGEST_ENTITY = '&#x10ffff;'.length;

const hexDigit = (code: number): number => (code <= 0x39 ? code - 0x30 : (code | 0x20) - 0x57);
const isHex = (code: number | undefined): boolean =>
  code !== undefined &&
  ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66));

/** C0, DEL, C1 and the Unicode line and paragraph separators: each breaks a line somewhere. */
const isControl = (code: number): boolean =>
  code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;

/** Spaces NFKC keeps as they are. */
const isOtherSpace = (code: number): boolean => code === 0x1680 || code === 0x180e;

/**
 * Unicode's Default_Ignorable_Code_Point set (zero-width and bidirectional formatting characters,
 * variation selectors, tag characters, Hangul fillers, ...): not drawn and dropped by a copy, they
 * only hide what they split. U+180E stays a space (`isOtherSpace`), as it was written to separate.
 */
const DEFAULT_IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const isInvisible = (code: number): boolean =>
  code > 0x7f && code !== 0x180e && DEFAULT_IGNORABLE.test(String.fromCodePoint(code));

const isHighSurrogate = (code: number | undefined): code is number =>
  code !== undefined && code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

const NO_SOFT_SPACES = new Uint8Array(0);

/** Printable ASCII without `%`, `\` or `&`: nothing to decode or flatten, the common case. */
function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x25 || code === 0x5c || code === 0x26) return false;
  }
  return true;
}

const hasNonAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) > 0x7f) return true;
  return false;
};
const nfkc = (text: string): string => (hasNonAscii(text) ? text.normalize('NFKC') : text);

interface Decode {
  readonly length: number;
  readonly code: number;
}

class TailDecoder {
  /** A decoded character expands to at most 18 (NFKC of U+FDFA); 3 per input character is ample. */
  private readonly buffer: Uint16Array;
  private readonly softBuffer: Uint8Array;
  private size = 0;

  constructor(inputLength: number) {
    this.buffer = new Uint16Array(inputLength * 3 + 32);
    this.softBuffer = new Uint8Array(inputLength * 3 + 32);
  }

  push(code: number, decoded: boolean): void {
    let next = code;
    let fromEscape = decoded;
    for (;;) {
      if (!this.append(next, fromEscape)) return;
      const decode = this.decodeTail();
      if (decode === undefined) return;
      this.size -= decode.length;
      next = decode.code;
      fromEscape = true;
    }
  }

  result(): NormalisedText {
    const chunks: string[] = [];
    for (let i = 0; i < this.size; i += 8192)
      chunks.push(String.fromCharCode(...this.buffer.subarray(i, Math.min(this.size, i + 8192))));
    return { text: wellFormed(chunks.join('')), soft: this.softBuffer.slice(0, this.size) };
  }

  /** Maps one character onto the output; false when nothing was appended that could end an escape. */
  private append(code: number, decoded: boolean): boolean {
    if (isInvisible(code)) return false;
    const high = this.at(1);
    if (isLowSurrogate(code) && isHighSurrogate(high)) {
      // The second half of an astral character (written, or decoded from two `\u` escapes).
      if (isInvisible(0x10000 + ((high - 0xd800) << 10) + (code - 0xdc00))) {
        this.size -= 1;
        return false;
      }
    }
    if (isControl(code)) {
      // A run of control characters is one break: one space, never a soft one.
      if (this.size > 0 && this.buffer[this.size - 1] === SPACE && this.softBuffer[this.size - 1] === 0)
        return false;
      this.put(SPACE, 0);
      return false;
    }
    if (code > 0xffff) {
      // From a numeric entity: an astral character is two UTF-16 units, neither ends an escape.
      this.put(0xd800 + ((code - 0x10000) >> 10), 0);
      this.put(0xdc00 + ((code - 0x10000) & 0x3ff), 0);
      return false;
    }
    let mapped = isOtherSpace(code) ? SPACE : code;
    if (decoded && mapped > 0x7f) {
      // A decoded character gets the compatibility mapping the input had (fullwidth `＝` is `=`).
      const normal = String.fromCharCode(mapped).normalize('NFKC');
      if (normal.length !== 1) {
        for (let i = 0; i < normal.length; i += 1) this.push(normal.charCodeAt(i), false);
        return false;
      }
      mapped = normal.charCodeAt(0);
    }
    this.put(mapped, decoded && mapped === SPACE ? 1 : 0);
    return true;
  }

  private put(code: number, soft: number): void {
    this.buffer[this.size] = code;
    this.softBuffer[this.size] = soft;
    this.size += 1;
  }

  private at(fromEnd: number): number | undefined {
    return fromEnd <= this.size ? this.buffer[this.size - fromEnd] : undefined;
  }

  private hexValue(fromEnd: number, digits: number): number {
    let value = 0;
    for (let i = fromEnd; i > fromEnd - digits; i -= 1) value = value * 16 + hexDigit(this.at(i) ?? 0);
    return value;
  }

  /** The escape that ends the output, if any (only the last character can complete one). */
  private decodeTail(): Decode | undefined {
    const last = this.at(1);
    if (last === undefined) return undefined;
    if (isHex(last) && isHex(this.at(2))) {
      // `%3D`, `\x3D`: ASCII only, so UTF-8 byte sequences of other characters stay as written.
      if (this.at(3) === 0x25 && this.hexValue(2, 2) < 0x80) return { length: 3, code: this.hexValue(2, 2) };
      if (this.at(3) === 0x78 && this.at(4) === BACKSLASH && this.hexValue(2, 2) < 0x80)
        return { length: 4, code: this.hexValue(2, 2) };
      if (isHex(this.at(3)) && isHex(this.at(4)) && this.at(5) === 0x75 && this.at(6) === BACKSLASH)
        return { length: 6, code: this.hexValue(4, 4) };
    }
    if (this.at(2) === BACKSLASH) {
      if (BACKSLASH_LITERAL.has(last)) return { length: 2, code: last };
      if (BACKSLASH_CONTROL.has(last)) return { length: 2, code: 0x0a };
    }
    if (last === 0x3b) return this.entity();
    return undefined;
  }

  /** `&quot;`, `&#61;`, `&#x3d;` */
  private entity(): Decode | undefined {
    for (let start = this.size - 2; start >= Math.max(0, this.size - LONGEST_ENTITY); start -= 1) {
      if (this.buffer[start] !== 0x26) continue;
      const body = String.fromCharCode(...this.buffer.subarray(start + 1, this.size - 1));
      const named = NAMED_ENTITIES[body];
      const numeric = /^#(?:x([0-9a-f]{1,6})|([0-9]{1,7}))$/i.exec(body);
      const code =
        named ??
        (numeric ? Number.parseInt(numeric[1] ?? numeric[2] ?? '', numeric[1] === undefined ? 10 : 16) : -1);
      if (code < 0) return undefined;
      return {
        length: this.size - start,
        code: code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? 0xfffd : code,
      };
    }
    return undefined;
  }
}

function decodePass(text: string): NormalisedText {
  const decoder = new TailDecoder(text.length);
  for (let i = 0; i < text.length; i += 1) decoder.push(text.charCodeAt(i), false);
  return decoder.result();
}

/** Lone surrogates become U+FFFD (they break JSON consumers and SNS). */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/**
 * Compatibility-normalises (NFKC: fullwidth and other look-alike forms become ASCII), then decodes and
 * flattens. A decoded escape can only need one more round (a combining mark decoded next to its base);
 * the rounds are bounded, so a hostile input costs at most three linear passes.
 */
export function normaliseText(text: string): NormalisedText {
  if (isPlain(text)) return { text, soft: NO_SOFT_SPACES };
  let result = decodePass(nfkc(text));
  for (let round = 0; round < 2; round += 1) {
    const again = nfkc(result.text);
    if (again === result.text) break;
    result = decodePass(again);
  }
  return result;
}
