import { normaliseText } from './normalise-text.js';

/**
 * Removes credentials from text that may be echoed in an alert, a report or CLI output.
 *
 * A credential is removed because of where it stands, not because its exact shape was foreseen:
 * - everything after an authorization scheme (`Bearer`, `Basic`, `Token`, `AWS4-HMAC-SHA256`, ...)
 *   up to the end of the value, parameters and padding included;
 * - the value of every credential-like key (`password`, `*token*`, `*secret*`, `*key`, `cookie`,
 *   `X-Amz-Signature`, `pin`, `mfa`, ...) in any syntax: `k: v`, `k=v`, query strings and form arrays
 *   (`user[password]=v`), JSON (all of an array or object value), `<k>v</k>`, HAR and HTML name/value
 *   pairs;
 * - URL userinfo (`https://user:pass@host`, `//user:pass@host`) and private-key blocks;
 * - tokens that are credentials on their own: AWS access key ids (also inside a word), 40-character
 *   secret keys, JWTs, known token prefixes and long high-entropy strings.
 *
 * The text is normalised first (one line, no invisible characters, escapes decoded) and the result is
 * what callers render, so what was checked is what is shown. Every scanner below moves forward only
 * and looks ahead a bounded distance, so `redact` is linear in its input. The marker `[redacted]`
 * matches no rule, which makes `redact` idempotent.
 */

export const REDACTED = '[redacted]';

const SPACE = 0x20;

const code = (ch: string): number => ch.charCodeAt(0);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || isLower(c);
const isWordBreak = (c: number): boolean => c === 0x2f || c === 0x2e || c === 0x2d || c === 0x5f;
const isUpperOrDigit = (c: number): boolean => isDigit(c) || isUpper(c);
/** Characters of a key name: `X-Amz-Signature`, `aws.secret`, `client_secret`. */
const isKeyChar = (c: number): boolean => isAlnum(c) || c === 0x2d || c === 0x5f || c === 0x2e;
/** Characters of a token: base64, base64url, JWT dots, path slashes. `=` is padding, handled apart. */
const isTokenChar = (c: number): boolean =>
  isAlnum(c) || c === 0x2b || c === 0x2f || c === 0x2d || c === 0x5f || c === 0x2e;

const QUOTES = new Set(['"', "'", '`'].map(code));
/** Characters that end any value written without quotes. */
const VALUE_END = new Set(['"', "'", '`', '<', '>', '}', ']', ')'].map(code));
/** Characters that end a value when a new pair follows them (`a=1&b=2`, `a=1, b=2`, `a=1; b=2`). */
const PAIR_SEPARATORS = new Set([',', ';', '&'].map(code));

const SCHEMES = new Set([
  'bearer',
  'basic',
  'token',
  'apikey',
  'api-key',
  'digest',
  'negotiate',
  'ntlm',
  'hoba',
  'mutual',
  'oauth',
  'jwt',
  'sharedkey',
  'aws4-hmac-sha256',
  'aws4-ecdsa-p256-sha256',
  'aws4-hmac-sha384',
]);

const LONGEST_SCHEME = Math.max(...[...SCHEMES].map((scheme) => scheme.length));

/** Key names (lower case, without `-`, `_`, `.`) whose value is a credential wherever they appear. */
const SECRET_KEY_PARTS = [
  'password',
  'passwd',
  'passphrase',
  'passcode',
  'secret',
  'token',
  'apikey',
  'credential',
  'signature',
  'privatekey',
  'accesskey',
  'session',
  'jwt',
  'bearer',
  'cookie',
  'authorization',
  'accountid',
  'accountkey',
  'sessid',
];
/** Parts of a key name (split at `-` `_` `.` and camelCase) that make it a credential key. */
const SECRET_NAME_PARTS = new Set(['pass', 'pwd', 'sid', 'auth', 'sig', 'otp', 'pin', 'hmac', 'mfa', 'totp']);
/** Key parts that name a credential only as the last part (`x_sig`, not `sig_version`). */
const LAST_PART_ONLY = new Set(['sig', 'otp']);
const SECRET_KEYS = new Set([
  'key',
  'sig',
  'pass',
  'pwd',
  'auth',
  'sid',
  'otp',
  'pin',
  'hmac',
  'mfa',
  'totp',
]);
/** Keys read only before `=` or `:`: "pin v1.2.3" pins a version, it does not give a PIN. */
const SEPARATOR_ONLY_KEYS = new Set(['pin']);
/** `…key` names that hold a credential (a `routeKey` or `sortKey` does not). */
const SECRET_KEY_SUFFIXES = [
  'apikey',
  'secretkey',
  'accesskey',
  'privatekey',
  'signingkey',
  'masterkey',
  'sessionkey',
  'clientkey',
  'authkey',
  'appkey',
  'encryptionkey',
  'licensekey',
  'subscriptionkey',
  'functionskey',
  'pwd',
];

/** Values that are placeholders, not credentials: `password=` with nothing, `null`, masked `****ab12`. */
/** What follows `API Key: ` when a request carried no key. */
const EMPTY_API_KEY_SLOT = 'API Stage:';

/** After a quoted credential name: `","value":"` (JSON), `" value="` (an HTML or XML attribute). */
const NAMED_VALUE = /"\s*,\s*"value"\s*:\s*"|["']\s+value\s*=\s*(["']?)/y;
/** After a quoted value: `","name":"` or `","key":"`, the pair's name written after its value. */
const VALUE_THEN_NAME = /"\s*,\s*"(?:name|key)"\s*:\s*"/y;

const PLACEHOLDERS = new Set(['', '-', 'null', 'none', 'undefined', 'value', 'true', 'false', REDACTED]);

/**
 * Words that follow a password's name in prose ("password reset required", "Password expired").
 * A key written with `:` or `=` redacts whatever follows it. After a bare space, a value with a
 * digit or a symbol always goes; an all-letter word goes only after a password's name (people
 * choose passwords such as `hunter`; tokens, keys and signatures hold digits, and "Key throttle
 * limit exceeded" is prose), unless it is one of these words or ends like prose (-ed, -ing, -tion,
 * -sion, -ment). The trade: an all-letter password that is such a word (`passwd reset`) survives.
 */
const PROSE_WORDS = new Set(
  (
    'a algorithm an and are as at auth authentication authorization be been but by can cannot change changed ' +
    'check could credentials did do does error expire expires expiry field for format from has have ' +
    'header headers here id ids if in invalid is it key keys length lifetime may method mismatch missing name ' +
    'must no not of on or parameter policy provider required reset rotation scope should signature ' +
    'so that the then this to token tokens too type value values version via was were when which ' +
    'will with without'
  ).split(' '),
);
const PROSE_SUFFIXES = ['ed', 'ing', 'tion', 'sion', 'ment'];

/** `password`, `passwd`, `pwd`, `passphrase`, `db_pass`: names of a credential a person chose. */
function isPasswordKey(key: string): boolean {
  const name = key.toLowerCase();
  return name.includes('pass') || /(?:^|[^a-z])pwd$|^pwd/.test(name);
}

/** Whether the all-letter word `word` (a trailing `.,;:!?` allowed) reads as prose after a key. */
function isProseWord(word: string): boolean {
  const lower = word.replace(/[.,;:!?]+$/, '').toLowerCase();
  return (
    PROSE_WORDS.has(lower) ||
    PROSE_SUFFIXES.some((suffix) => lower.length > suffix.length + 2 && lower.endsWith(suffix))
  );
}

const AWS_KEY_PREFIXES = new Set([
  'AKIA',
  'ASIA',
  'ABIA',
  'ACCA',
  'AGPA',
  'AIDA',
  'AIPA',
  'ANPA',
  'ANVA',
  'APKA',
  'AROA',
  'ASCA',
]);
/** Prefixes that vendors put on their tokens; a token that carries one goes whatever its entropy. */
const TOKEN_PREFIXES = [
  'ghp_',
  'gho_',
  'ghu_',
  'ghs_',
  'ghr_',
  'github_pat_',
  'glpat-',
  'glsa_',
  'xoxa-',
  'xoxb-',
  'xoxo-',
  'xoxp-',
  'xoxr-',
  'xoxs-',
  'xoxe-',
  'xapp-',
  'sk-',
  'sk_live_',
  'sk_test_',
  'rk_live_',
  'AIza',
  'npm_',
  'shpat_',
  'shpss_',
  'shpca_',
  'shppa_',
  'lin_api_',
  'ops_',
  'dop_v1_',
  'hf_',
  'gsk_',
  'ntn_',
  'figd_',
  'dapi',
  'hvs.',
  'hvb.',
  'hvr.',
  'vcp_',
  'vci_',
  'vca_',
  'vcr_',
  'vck_',
  'SG.',
  'eyJ',
  'hooks.slack.com/',
  'whsec_',
];
const PREFIXES_BY_FIRST = new Map<string, string[]>();
for (const prefix of TOKEN_PREFIXES) {
  const first = prefix.charAt(0);
  PREFIXES_BY_FIRST.set(first, [...(PREFIXES_BY_FIRST.get(first) ?? []), prefix]);
}
/** The shortest credential a prefix introduces (the prefix included). */
const PREFIXED_MIN_LENGTH = 16;

/** A token this long with mixed case and digits is a credential unless it reads like words. */
const ENTROPY_MIN_LENGTH = 20;
/** Share of letter-case or letter/digit changes between neighbours: random base64 ≈ 0.6, words < 0.2. */
const ENTROPY_MIN_SWITCH_RATIO = 0.3;
/**
 * Share of case changes between neighbouring letters: random base64 ≈ 0.5, capitalised words < 0.15
 * (`API-Gateway-Execution-Logs_a1b2c3d4e5` switches often, but between digits and letters only).
 */
const ENTROPY_MIN_CASE_SWITCH_RATIO = 0.2;
/** From this length on, the ratios of a random token vary little. */
const ENTROPY_LONG_LENGTH = 32;
/**
 * Share of a mixed-case token outside its words (see `wordlessShare`) from which it is random: random
 * alphanumerics ≈ 0.8, identifiers (`AuthorizerConfigurationException`, `MyFunctionServiceRole3C357FF2`)
 * < 0.4. With the ratios above, a random 32-character token is missed about 3 times in 10,000 draws
 * instead of 60 (20 characters: 50 instead of 440), measured on 50,000 draws of each length.
 */
const ENTROPY_MIN_WORDLESS_SHARE = 0.45;
const VOWELS = new Set([0x61, 0x65, 0x69, 0x6f, 0x75, 0x79]);

/** An IAM or STS principal ARN up to its resource (`arn:aws:sts::123456789012:`), any partition. */
const PRINCIPAL_ARN = /arn:aws(?:-[a-z]+)*:(?:iam|sts)::\d{12}:$/;
const PRINCIPAL_ARN_LOOKBACK = 48;

type KeyKind = 'authorization' | 'cookie' | 'secret';

/** Names recur (`a=1&a=2`, the same header on every line): remember recent answers, bounded. */
const KEY_KINDS = new Map<string, KeyKind | undefined>();
const KEY_KINDS_LIMIT = 1024;

function keyKind(key: string): KeyKind | undefined {
  // A name longer than any header is judged by its end (`…_access_token`), in bounded time.
  const name = key.length > 128 ? key.slice(-64) : key;
  if (KEY_KINDS.has(name)) return KEY_KINDS.get(name);
  const kind = classifyKey(name);
  if (KEY_KINDS.size >= KEY_KINDS_LIMIT) KEY_KINDS.clear();
  KEY_KINDS.set(name, kind);
  return kind;
}

function classifyKey(key: string): KeyKind | undefined {
  const name = key.toLowerCase().replace(/[-_.]/g, '');
  if (name.endsWith('authorization') || name === 'auth') return 'authorization';
  if (name.endsWith('cookie')) return 'cookie';
  if (SECRET_KEYS.has(name) || SECRET_KEY_SUFFIXES.some((suffix) => name.endsWith(suffix))) return 'secret';
  if (SECRET_KEY_PARTS.some((part) => name.includes(part))) return 'secret';
  const parts = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[-_. ]+/);
  const last = parts.length - 1;
  return parts.some((part, i) => SECRET_NAME_PARTS.has(part) && (i === last || !LAST_PART_ONLY.has(part)))
    ? 'secret'
    : undefined;
}

class Spans {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    this.starts.push(start);
    this.ends.push(end);
  }

  apply(text: string): string {
    if (this.starts.length === 0) return text;
    const order = this.starts.map((_, i) => i).sort((a, b) => (this.starts[a] ?? 0) - (this.starts[b] ?? 0));
    const parts: string[] = [];
    let cursor = 0;
    for (const i of order) {
      const start = this.starts[i] ?? 0;
      const end = this.ends[i] ?? 0;
      if (end <= cursor) continue;
      if (start > cursor || parts.length === 0) parts.push(text.slice(cursor, start), REDACTED);
      cursor = end;
    }
    parts.push(text.slice(cursor));
    return parts.join('');
  }
}

class Scanner {
  readonly spans = new Spans();
  private readonly n: number;
  /**
   * Scans resume inside a value (a value may hold another `key=`), so value ends are remembered: a
   * value starting inside a scanned one ends where it did, and no character is scanned twice per kind.
   */
  private readonly valueEnds = new Map<string, { readonly from: number; readonly end: number }>();

  constructor(
    private readonly s: string,
    private readonly soft: Uint8Array,
  ) {
    this.n = s.length;
  }

  private c(i: number): number {
    return this.s.charCodeAt(i);
  }

  private isHardSpace(i: number): boolean {
    return this.c(i) === SPACE && this.soft[i] !== 1;
  }

  private skipSpaces(i: number): number {
    let p = i;
    while (p < this.n && this.c(p) === SPACE) p += 1;
    return p;
  }

  private keyEnd(i: number): number {
    let p = i;
    while (p < this.n && isKeyChar(this.c(p))) p += 1;
    return p;
  }

  /** `,` `;` `&` ends a value when what follows is a space, the end, or another `key=` / `key:`. */
  private isPairBoundary(i: number): boolean {
    const next = i + 1;
    // A marker stands where an earlier pass (or rule) found a value: what follows is a new pair.
    if (next >= this.n || this.c(next) === SPACE || this.s.startsWith(REDACTED, next)) return true;
    const end = this.keyEnd(next);
    return end > next && end < this.n && (this.c(end) === 0x3d || this.c(end) === 0x3a);
  }

  /** The end of a value written without quotes that starts at `start` (a marker there is skipped). */
  private plainValueEnd(start: number, kind: KeyKind | 'scheme'): number {
    const cached = this.valueEnds.get(kind);
    if (cached && start >= cached.from && start < cached.end) return cached.end;
    const end = this.scanPlainValue(start, kind);
    this.valueEnds.set(kind, { from: start, end });
    return end;
  }

  /** The next `ch` at or after `from` (or the end), remembered like value ends. */
  private next(ch: string, from: number): number {
    const cached = this.valueEnds.get(ch);
    if (cached && from >= cached.from && from <= cached.end) return cached.end;
    const found = this.s.indexOf(ch, from);
    const end = found < 0 ? this.n : found;
    this.valueEnds.set(ch, { from, end });
    return end;
  }

  private scanPlainValue(start: number, kind: KeyKind | 'scheme'): number {
    const i = this.s.startsWith(REDACTED, start) ? start + REDACTED.length : start;
    let p = i;
    while (p < this.n) {
      if (this.c(p) === 0x5b && this.s.startsWith(REDACTED, p)) {
        // A marker inside a value is part of it (its `]` ends nothing).
        p += REDACTED.length;
      } else if (kind === 'scheme' && this.c(p) === 0x22 && p > i && this.c(p - 1) === 0x3d) {
        // `realm="x"` inside an authorization value: the quoted parameter belongs to the value.
        const close = this.s.indexOf('"', p + 1);
        p = close < 0 ? this.n : close + 1;
      } else if (this.endsPlainValue(p, i, kind)) {
        return p;
      } else {
        p += 1;
      }
    }
    return p;
  }

  /** Whether the character at `p` ends a plain value that starts at `valueStart`. */
  private endsPlainValue(p: number, valueStart: number, kind: KeyKind | 'scheme'): boolean {
    const ch = this.c(p);
    if (VALUE_END.has(ch)) return true;
    if (this.isHardSpace(p)) {
      // Cookie pairs are `a=1; b=2`; authorization parameters are `a=1, b=2`.
      const previous = this.c(p - 1);
      const continues =
        (kind === 'cookie' && previous === 0x3b) ||
        (kind === 'scheme' && previous === 0x2c && this.startsPair(p));
      return !continues;
    }
    if (kind === 'cookie') return ch === 0x2c && this.isPairBoundary(p);
    return kind !== 'scheme' && PAIR_SEPARATORS.has(ch) && (p === valueStart || this.isPairBoundary(p));
  }

  /** After spaces at `i`, a `name=` starts (the next parameter of an authorization value). */
  private startsPair(i: number): boolean {
    const start = this.skipSpaces(i);
    const end = this.keyEnd(start);
    return end > start && end < this.n && this.c(end) === 0x3d;
  }

  /**
   * A value the scanner may leave: a placeholder, a masked id (`****gE96dR`, the gateway's and
   * `maskApiKeyId`'s), or the marker of an earlier pass. A password is never shown masked with a
   * tail: `****Summer24` is a password that starts with stars.
   */
  private isHarmless(start: number, end: number, password = false): boolean {
    if (end - start > 64) return false;
    const value = this.s.slice(start, end);
    return (
      PLACEHOLDERS.has(value.toLowerCase()) ||
      (password ? /^\*+$/ : /^\*{3,}[^*]{0,6}$/).test(value) ||
      // The gateway's line for a request without a key: "API Key: API Stage: …".
      this.s.startsWith(EMPTY_API_KEY_SLOT, start)
    );
  }

  /** `Bearer x`, `Token x`: the scheme ends at `i`; returns where the credential starts, if one follows. */
  private schemeValueStart(wordStart: number, wordEnd: number): number | undefined {
    const next = this.c(wordEnd);
    if ((next !== SPACE && next !== 0x2b) || wordEnd - wordStart > LONGEST_SCHEME) return undefined;
    if (!SCHEMES.has(this.s.slice(wordStart, wordEnd).toLowerCase())) return undefined;
    let p = wordEnd;
    while (p < this.n && (this.c(p) === SPACE || this.c(p) === 0x2b)) p += 1;
    if (p === wordEnd || p >= this.n) return undefined;
    if (!VALUE_END.has(this.c(p))) return p;
    // `Bearer "token"`: the credential is the quoted word (a quote closing a JSON string is not one).
    const inner = p + 1;
    const quoted =
      QUOTES.has(this.c(p)) && inner < this.n && (isTokenChar(this.c(inner)) || this.c(inner) === 0x5b);
    return quoted ? inner : undefined;
  }

  /** Redacts a scheme's value unless it is the marker or, where allowed, a word of prose; says which. */
  private redactSchemeValue(start: number, end: number, proseAllowed: boolean): boolean {
    const value = this.s.slice(start, Math.min(end, start + 40));
    if (value.startsWith(REDACTED) && end - start === REDACTED.length) return true;
    // "Token expired", "basic auth required": a plain word after a scheme name is prose.
    const quoted = start > 0 && QUOTES.has(this.c(start - 1));
    if (proseAllowed && !quoted && end - start <= 16 && /^[A-Za-z][a-z]*[.,;:!?]?$/.test(value)) return false;
    this.spans.add(start, end);
    return true;
  }

  /** `Bearer …`, `Basic …`, `AWS4-HMAC-SHA256 Credential=…, Signature=…` wherever they stand. */
  scanSchemes(): void {
    let i = 0;
    while (i < this.n) {
      if (!isKeyChar(this.c(i))) {
        i += 1;
        continue;
      }
      const end = this.keyEnd(i);
      const start = this.schemeValueStart(i, end);
      if (start === undefined) {
        i = end;
        continue;
      }
      const valueEnd = this.plainValueEnd(start, 'scheme');
      // A word kept as prose may itself be a scheme ("Bearer Basic …"): look at it again.
      i = this.redactSchemeValue(start, valueEnd, true) ? Math.max(valueEnd, end) : start;
    }
  }

  /** Every `key <sep> value` whose key names a credential. */
  scanKeyValues(): void {
    let i = 0;
    while (i < this.n) {
      if (!isKeyChar(this.c(i))) {
        i += 1;
        continue;
      }
      const end = this.keyEnd(i);
      i = Math.max(end, this.keyValue(i, end));
    }
  }

  /**
   * Redacts the value after the key `[keyStart, keyEnd)`; returns where scanning goes on: the start
   * of the value, which may itself hold a key (`token= password=…`).
   */
  private keyValue(keyStart: number, keyEnd: number): number {
    const formArray = this.formArrayKey(keyEnd);
    let p = formArray?.end ?? keyEnd;
    const quotedKey = p < this.n && QUOTES.has(this.c(p));
    if (quotedKey) p += 1;
    p = this.skipSpaces(p);
    const sep = this.c(p);
    const tagOpen = keyStart > 0 && this.c(keyStart - 1) === 0x3c;
    const xml = sep === 0x3e && tagOpen;
    if (sep === 0x3a && this.s.startsWith('//', p + 1)) return keyEnd;
    if (sep !== 0x3a && sep !== 0x3d && !xml)
      return this.spacedValue(keyStart, keyEnd, p, quotedKey, tagOpen);
    p += 1;
    if (this.namedValue(keyStart, keyEnd, p, quotedKey)) return p;
    // Most words are not followed by a separator: the key's name is read only for those that are.
    const key = this.s.slice(keyStart, keyEnd);
    const kind = keyKind(key) ?? formArray?.kind;
    if (!kind) return keyEnd;
    return this.separatedValue(key, kind, p, xml, sep === 0x3a);
  }

  /**
   * Redacts the value of `key` that follows its separator at `afterSeparator` (`:` when `colon`);
   * returns where scanning goes on.
   */
  private separatedValue(
    key: string,
    kind: KeyKind,
    afterSeparator: number,
    xml: boolean,
    colon: boolean,
  ): number {
    let p = afterSeparator;
    if (p < this.n && (this.c(p) === 0x3d || this.c(p) === 0x3e) && !xml) p += 1;
    p = this.skipSpaces(p);
    // `"password":{"value":"x"}`: a credential's object holds the credential, whatever its keys.
    if (p < this.n && this.c(p) === 0x7b) {
      this.spans.add(p + 1, this.next('}', p + 1));
      return p + 1;
    }
    // A JSON array of values (`"x-api-key":["k"]`, HTTP API's multi-value headers): all its elements.
    const array = p < this.n && this.c(p) === 0x5b && !this.s.startsWith(REDACTED, p);
    if (array) p = this.skipSpaces(p + 1);
    let quote = p < this.n && QUOTES.has(this.c(p)) ? this.c(p) : undefined;
    // `password=<hunter2>`: a placeholder-like bracket is the value's own.
    if (quote === undefined && !xml && p < this.n && this.c(p) === 0x3c) quote = 0x3e;
    if (quote !== undefined) p += 1;
    let valueEnd = this.delimitedValueEnd(p, kind, quote, array, xml);
    if (kind === 'authorization' && this.schemeCredential(p, valueEnd, quote !== undefined, xml)) return p;
    const password = isPasswordKey(key);
    if (quote === undefined && !xml) valueEnd = this.plainWordsEnd(valueEnd, kind, password && colon);
    if (!this.isHarmless(p, valueEnd, password)) this.spans.add(p, valueEnd);
    return p;
  }

  /** Where a value starting at `p` ends: at its closing quote, array end, tag or plain end. */
  private delimitedValueEnd(
    p: number,
    kind: KeyKind,
    quote: number | undefined,
    array: boolean,
    xml: boolean,
  ): number {
    if (quote !== undefined)
      return array ? this.arrayEnd(p, quote) : this.next(String.fromCharCode(quote), p);
    return xml ? this.next('<', p) : this.plainValueEnd(p, kind);
  }

  /**
   * `Authorization: Bearer x`: redacts the credential after the scheme the value starts with, if it
   * does; false when the value starts with no scheme.
   */
  private schemeCredential(p: number, valueEnd: number, quoted: boolean, xml: boolean): boolean {
    const wordEnd = this.keyEnd(p);
    if (!SCHEMES.has(this.s.slice(p, wordEnd).toLowerCase())) return false;
    const schemeStart = this.schemeValueStart(p, wordEnd);
    if (schemeStart === undefined || (schemeStart >= valueEnd && quoted)) return true;
    const end = quoted || xml ? valueEnd : this.plainValueEnd(schemeStart, 'scheme');
    this.redactSchemeValue(schemeStart, end, false);
    return true;
  }

  /**
   * An unknown scheme (`Splunk x`, `AWS id:sig`) is kept no more than its credential, and a header's
   * passphrase (`X-Password: correct horse battery staple`) runs to the next header.
   */
  private plainWordsEnd(valueEnd: number, kind: KeyKind, passphrase: boolean): number {
    if (kind === 'authorization') return this.wordsEnd(valueEnd, 'authorization');
    return passphrase ? this.wordsEnd(valueEnd, 'passphrase') : valueEnd;
  }

  /**
   * `user[password]=`, `password[]=` (Rails and PHP form arrays): where the brackets end, and whether
   * one of their names is a credential's. Only brackets followed by `=` make a key.
   */
  private formArrayKey(keyEnd: number): { readonly end: number; readonly kind?: KeyKind } | undefined {
    let p = keyEnd;
    let kind: KeyKind | undefined;
    while (p < this.n && this.c(p) === 0x5b) {
      // A marker is no bracket name: `cookie[redacted][redacted]=a` came from `cookie[redacted]AKIA…=a`.
      if (this.s.startsWith(REDACTED, p)) return undefined;
      const nameEnd = this.keyEnd(p + 1);
      if (nameEnd >= this.n || this.c(nameEnd) !== 0x5d) return undefined;
      kind ??= nameEnd > p + 1 ? keyKind(this.s.slice(p + 1, nameEnd)) : undefined;
      p = nameEnd + 1;
    }
    if (p === keyEnd || p >= this.n || this.c(p) !== 0x3d) return undefined;
    return kind ? { end: p, kind } : { end: p };
  }

  /** The end of the quoted elements of a JSON array whose first element starts at `start`. */
  private arrayEnd(start: number, quote: number): number {
    const cached = this.valueEnds.get('array');
    if (cached && start >= cached.from && start <= cached.end) return cached.end;
    const ch = String.fromCharCode(quote);
    let end = this.next(ch, start);
    for (;;) {
      let p = this.skipSpaces(end + 1);
      if (p >= this.n || this.c(p) !== 0x2c) break;
      p = this.skipSpaces(p + 1);
      if (p >= this.n || this.c(p) !== quote) break;
      end = this.next(ch, p + 1);
    }
    this.valueEnds.set('array', { from: start, end });
    return end;
  }

  /**
   * Where an unquoted value of several words whose first word ends at `wordEnd` ends: an unknown
   * authorization scheme's to the end of the value, a passphrase's up to the next `name:` or `name=`.
   * Scanning resumes inside the value, where each `Authorization:` would walk to the end again
   * (quadratic on `Authorization: ` repeated): a value starting inside a walked one ends where it did.
   */
  private wordsEnd(wordEnd: number, kind: 'authorization' | 'passphrase'): number {
    const cached = this.valueEnds.get(`${kind} words`);
    if (cached && wordEnd >= cached.from && wordEnd <= cached.end) return cached.end;
    // Every word up to the value's end: stopping after the second left the third for the next pass
    // (`Authorization=a a a` became `[redacted] a`, then `[redacted]`), so redaction was not idempotent.
    let end = wordEnd;
    while (end < this.n && this.c(end) === SPACE) {
      const next = this.skipSpaces(end);
      if (next >= this.n || VALUE_END.has(this.c(next)) || this.s.startsWith(REDACTED, next)) break;
      if (kind === 'passphrase' && this.startsNamedPair(next)) break;
      const after = this.plainValueEnd(next, kind === 'authorization' ? 'scheme' : 'secret');
      if (after <= next) break;
      end = after;
    }
    this.valueEnds.set(`${kind} words`, { from: wordEnd, end });
    return end;
  }

  /** A `name:` or `name=` starts at `i` (the next header or pair). */
  private startsNamedPair(i: number): boolean {
    const end = this.keyEnd(i);
    return end > i && end < this.n && (this.c(end) === 0x3a || this.c(end) === 0x3d);
  }

  /**
   * A key followed by a space, not a separator: `<Password value="x"/>`, `"password" "x"`, and
   * `passwd x` unless `x` is a word of prose (see `PROSE_WORDS`).
   */
  private spacedValue(
    keyStart: number,
    keyEnd: number,
    p: number,
    quotedKey: boolean,
    tagOpen: boolean,
  ): number {
    if (p === keyEnd + (quotedKey ? 1 : 0) || p >= this.n) return keyEnd;
    const attribute = tagOpen && this.s.startsWith('value=', p);
    if (!this.startsSpacedValue(keyEnd, p, quotedKey, attribute)) return keyEnd;
    const key = this.s.slice(keyStart, keyEnd);
    const kind = keyKind(key);
    if ((kind !== 'secret' && kind !== 'cookie') || SEPARATOR_ONLY_KEYS.has(key.toLowerCase())) return keyEnd;
    let start = attribute ? p + 'value='.length : p;
    const quote = QUOTES.has(this.c(start)) ? this.c(start) : undefined;
    if (quote !== undefined) start += 1;
    const end = quote === undefined ? this.unquotedEnd(start) : this.next(String.fromCharCode(quote), start);
    if (quote === undefined && this.isProseValue(key, start, end)) return keyEnd;
    if (!this.isHarmless(start, end, isPasswordKey(key))) this.spans.add(start, end);
    // The value may itself be a key (`passwd token=x`): scanning goes on inside it.
    return start;
  }

  /** Whether what stands at `p`, after the key and a space, can be the key's value. */
  private startsSpacedValue(keyEnd: number, p: number, quotedKey: boolean, attribute: boolean): boolean {
    const quotedValue = quotedKey && this.c(p) === this.c(keyEnd);
    if (!attribute && !quotedValue && (quotedKey || !isKeyChar(this.c(p)))) return false;
    // "… require API Key. Request will not …": a key that ends a sentence names nothing after it.
    return quotedKey || this.c(keyEnd - 1) !== 0x2e;
  }

  /**
   * `{"name":"password","value":"x"}` (HAR, Postman), `<input name="password" value="x">`, and
   * `{"value":"x","name":"password"}`: the name says what the value beside it holds.
   */
  private namedValue(keyStart: number, keyEnd: number, p: number, quotedKey: boolean): boolean {
    const key = this.s.slice(keyStart, keyEnd).toLowerCase();
    if (key === 'value' && quotedKey) return this.valueThenName(p);
    if (key !== 'name' && key !== 'key') return false;
    const open = this.skipSpaces(p);
    const quote = this.c(open);
    if (quote !== 0x22 && (quotedKey || quote !== 0x27)) return false;
    const close = this.next(String.fromCharCode(quote), open + 1);
    if (close - open > 128 || !keyKind(this.s.slice(open + 1, close))) return false;
    NAMED_VALUE.lastIndex = close;
    const match = NAMED_VALUE.exec(this.s);
    // The JSON form needs a quoted key, the attribute form (the one with a group) an unquoted one.
    if (!match || (match[1] === undefined) !== quotedKey) return false;
    const start = close + match[0].length;
    const valueQuote = quotedKey ? '"' : match[1];
    const end = valueQuote ? this.next(valueQuote, start) : this.unquotedEnd(start);
    if (!this.isHarmless(start, end)) this.spans.add(start, end);
    return true;
  }

  /** Where an unquoted value starting at `start` ends: at a space or a character that ends values. */
  private unquotedEnd(start: number): number {
    let end = start;
    while (end < this.n && !this.isHardSpace(end) && !VALUE_END.has(this.c(end))) end += 1;
    return end;
  }

  /** `passwd hunter`, `token expired.`: an all-letter word after the key that is prose, not a value. */
  private isProseValue(key: string, start: number, end: number): boolean {
    let word = end;
    while (word > start && /[.,;:!?]/.test(this.s.charAt(word - 1))) word -= 1;
    const letters = this.s.slice(start, Math.min(word, start + 64));
    const prose = letters.length === 0 || !isPasswordKey(key) || isProseWord(letters);
    return /^[A-Za-z]*$/.test(letters) && prose;
  }

  /** `"value":"x","name":"password"`: a HAR pair written value first. */
  private valueThenName(p: number): boolean {
    const open = this.skipSpaces(p);
    if (this.c(open) !== 0x22) return false;
    const close = this.next('"', open + 1);
    if (close - open > 4096) return false;
    VALUE_THEN_NAME.lastIndex = close;
    const match = VALUE_THEN_NAME.exec(this.s);
    if (!match) return false;
    const nameStart = close + match[0].length;
    const nameEnd = this.s.indexOf('"', nameStart);
    if (nameEnd < 0 || nameEnd - nameStart > 128 || !keyKind(this.s.slice(nameStart, nameEnd))) return false;
    if (!this.isHarmless(open + 1, close)) this.spans.add(open + 1, close);
    return true;
  }

  /** `curl -u user:password`, `--user user:password`: what follows the first `:`. */
  scanCommandLineUsers(): void {
    for (const flag of [' -u ', ' --user ']) {
      let from = 0;
      for (;;) {
        const at = this.s.indexOf(flag, from);
        if (at < 0) break;
        let p = this.skipSpaces(at + flag.length);
        const start = p;
        while (p < this.n && !this.isHardSpace(p)) p += 1;
        let colon = start;
        while (colon < p && this.c(colon) !== 0x3a) colon += 1;
        if (colon < p && this.s.slice(colon + 1, p) !== REDACTED) this.spans.add(colon + 1, p);
        from = Math.max(p, at + 1);
      }
    }
  }

  /** `scheme://user:password@host` and `//user:password@host`: the whole userinfo. */
  scanUserinfo(): void {
    let from = 0;
    for (;;) {
      const at = this.s.indexOf('//', from);
      if (at < 0) return;
      const before = at > 0 ? this.c(at - 1) : SPACE;
      // Without a scheme, `//` starts an authority only where a URL can start, and a userinfo
      // without `:` (no password) is more likely a path than a user.
      const schemed = before === 0x3a;
      const bare = before === SPACE || before === 0x3d || before === 0x28 || QUOTES.has(before);
      if (!schemed && !bare) {
        from = at + 2;
        continue;
      }
      const { end, lastAt, colon } = this.authority(at + 2);
      if (lastAt > at + 2 && (schemed || colon) && this.s.slice(at + 2, lastAt) !== REDACTED)
        this.spans.add(at + 2, lastAt);
      from = Math.max(end, at + 2);
    }
  }

  /** The authority from `start`, its last `@` (the password may hold an unencoded one), a `:` before it. */
  private authority(start: number): {
    readonly end: number;
    readonly lastAt: number;
    readonly colon: boolean;
  } {
    let p = start;
    let lastAt = -1;
    let colon = false;
    while (p < this.n) {
      const ch = this.c(p);
      if (ch === 0x2f || ch === 0x3f || ch === 0x23 || ch === SPACE || VALUE_END.has(ch)) break;
      if (ch === 0x40) lastAt = p;
      else if (ch === 0x3a && lastAt < 0) colon = true;
      p += 1;
    }
    return { end: p, lastAt, colon };
  }

  /**
   * API Gateway echoes the caller's token first: `<token> not a valid key=value pair ...`, quoted in
   * its IncompleteSignatureException message (`'<token>' not a valid key=value pair ...`).
   */
  scanEchoedToken(): void {
    const marker = ' not a valid key=value pair';
    let from = 0;
    for (;;) {
      const at = this.s.indexOf(marker, from);
      if (at < 0) return;
      const end = at > 0 && QUOTES.has(this.c(at - 1)) ? at - 1 : at;
      // The walk stops at a space, a quote or a marker an earlier pass left (`password[redacted]`):
      // each walk stays inside the word before its own marker, so the walks never overlap.
      let start = end;
      while (
        start > 0 &&
        this.c(start - 1) !== SPACE &&
        !QUOTES.has(this.c(start - 1)) &&
        !(this.c(start - 1) === 0x5d && this.s.endsWith(REDACTED, start))
      )
        start -= 1;
      if (this.s.slice(start, end) !== REDACTED) this.spans.add(start, end);
      from = at + marker.length;
    }
  }

  /** `-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----` */
  scanPrivateKeys(): void {
    let from = 0;
    for (;;) {
      const at = this.s.indexOf('-----BEGIN', from);
      if (at < 0) return;
      const header = this.s.indexOf('-----', at + 10);
      const label = header < 0 ? '' : this.s.slice(at + 10, Math.min(header, at + 80));
      if (!label.includes('PRIVATE KEY')) {
        from = at + 10;
        continue;
      }
      const footer = this.s.indexOf('-----END', header + 5);
      const close = footer < 0 ? -1 : this.s.indexOf('-----', footer + 8);
      const end = close < 0 ? this.n : close + 5;
      this.spans.add(at, end);
      from = end;
    }
  }

  /**
   * Tokens that are credentials by themselves; a flagged token goes as a whole. `byEntropy` false
   * keeps to the shapes that are credentials whatever the text around them (see `redactName`).
   */
  scanTokens(byEntropy = true): void {
    let i = 0;
    while (i < this.n) {
      if (!isTokenChar(this.c(i))) {
        i += 1;
        continue;
      }
      const end = this.tokenEnd(i);
      const entropy = byEntropy && !this.followsPrincipalArn(i);
      if (entropy ? this.isCredentialToken(i, end) : this.hasCredentialShape(i, end)) {
        // Leading slashes stay: `/reset/[redacted]`, and `scheme://` keeps reading as a URL.
        let start = i;
        while (start < end && this.c(start) === 0x2f) start += 1;
        if (start > i && !this.isAwsSecret(start, end)) start = this.pathWordsEnd(start, end);
        this.spans.add(start, end);
      }
      i = end;
    }
  }

  /**
   * Whether the token at `start` is an IAM principal's path (`arn:aws:sts::123456789012:` before
   * `assumed-role/<role>/<session>`, `arn:aws:iam::…:` before `role/…`, `user/…`): the names
   * CloudFormation gives roles read as random to the entropy rule, and an IAM deny alert exists to
   * say who was denied. The lookback is bounded, so the scan stays linear.
   */
  private followsPrincipalArn(start: number): boolean {
    if (start === 0 || this.c(start - 1) !== 0x3a) return false;
    return PRINCIPAL_ARN.test(this.s.slice(Math.max(0, start - PRINCIPAL_ARN_LOOKBACK), start));
  }

  /** Where the token starting at `start` ends, its base64 padding included. */
  private tokenEnd(start: number): number {
    let end = start;
    while (end < this.n) {
      if (isTokenChar(this.c(end))) {
        end += 1;
        continue;
      }
      // `=` is base64 padding when no name character follows it (`ab==`, `ab=.cd`), a separator otherwise.
      let pad = end;
      while (pad < this.n && this.c(pad) === 0x3d) pad += 1;
      const after = this.c(pad);
      // `=[redacted]` is a key's separator before a marker, not padding.
      if (pad === end || (pad < this.n && ((isTokenChar(after) && after !== 0x2e) || after === 0x5b)))
        return end;
      end = pad;
    }
    return end;
  }

  /**
   * `/prod/eyJ…`: the path's leading segments that are plain words stay (`/prod/[redacted]`, not
   * `/[redacted]`), so the alert still says where the request went. Only lower-case or capitalised
   * words of up to 32 characters count: a piece of a random token is neither, and from the first
   * other segment on everything goes.
   */
  private pathWordsEnd(start: number, end: number): number {
    let kept = start;
    for (let p = start; p < end; p += 1) {
      if (this.c(p) !== 0x2f) continue;
      if (!this.isPathWord(kept, p)) break;
      kept = p + 1;
    }
    return kept;
  }

  private isPathWord(start: number, end: number): boolean {
    if (end - start > 32 || this.s.startsWith('eyJ', start)) return false;
    for (let p = start; p < end; p += 1) {
      const ch = this.c(p);
      if (
        !(
          isLower(ch) ||
          isDigit(ch) ||
          ch === 0x2d ||
          ch === 0x5f ||
          ch === 0x2e ||
          (p === start && isUpper(ch))
        )
      )
        return false;
    }
    return true;
  }

  private isCredentialToken(start: number, end: number): boolean {
    if (this.hasCredentialShape(start, end)) return true;
    if (end - start < PREFIXED_MIN_LENGTH) return false;
    return (
      this.anyPiece(start, end, (ch) => ch === 0x2f || ch === 0x2e) || this.anyPiece(start, end, isWordBreak)
    );
  }

  /** An access key id, a 40-character secret key or a vendor prefix: a credential wherever it stands. */
  private hasCredentialShape(start: number, end: number): boolean {
    if (end - start < PREFIXED_MIN_LENGTH) return false;
    return this.hasAwsKeyId(start, end) || this.isAwsSecret(start, end) || this.hasTokenPrefix(start, end);
  }

  /**
   * Whether a piece of the token between `breaks` is a credential: `/` and `.` split paths and JWTs;
   * `-` and `_` too find a secret glued to a word (`user_<secret>`) whose words would dilute it.
   */
  private anyPiece(start: number, end: number, breaks: (ch: number) => boolean): boolean {
    let pieceStart = start;
    for (let p = start; p <= end; p += 1) {
      if (p < end && !breaks(this.c(p))) continue;
      if (this.isCredentialPiece(pieceStart, p)) return true;
      pieceStart = p + 1;
    }
    return false;
  }

  /** A vendor prefix not glued to a preceding letter (`x_ghp_…` counts, `myghp_…` does not). */
  private hasTokenPrefix(start: number, end: number): boolean {
    for (let p = start; p + PREFIXED_MIN_LENGTH <= end; p += 1) {
      if (p > start && (isUpper(this.c(p - 1)) || isLower(this.c(p - 1)))) continue;
      const first = this.s[p];
      for (const prefix of TOKEN_PREFIXES)
        if (prefix[0] === first && this.s.startsWith(prefix, p)) return true;
    }
    return false;
  }

  /** An access key id (`AKIA` + 16, `A3T?` + 16), also glued to other text (`user_AKIA…`). */
  private hasAwsKeyId(start: number, end: number): boolean {
    for (let p = start; p + 20 <= end; p += 1) {
      if (this.c(p) !== 0x41) continue;
      const prefix = this.s.slice(p, p + 4);
      if (!AWS_KEY_PREFIXES.has(prefix) && !(prefix.startsWith('A3T') && isUpperOrDigit(this.c(p + 3))))
        continue;
      let q = p + 4;
      while (q < p + 20 && isUpperOrDigit(this.c(q))) q += 1;
      if (q === p + 20) return true;
    }
    return false;
  }

  /** A bare 40-character secret access key. */
  private isAwsSecret(start: number, end: number): boolean {
    let stop = end;
    while (stop > start && this.c(stop - 1) === 0x3d) stop -= 1;
    if (stop - start !== 40) return false;
    let upper = false;
    let lower = false;
    for (let p = start; p < stop; p += 1) {
      const ch = this.c(p);
      if (!isAlnum(ch) && ch !== 0x2f && ch !== 0x2b) return false;
      upper ||= isUpper(ch);
      lower ||= isLower(ch);
    }
    return upper && lower && this.switchRatio(start, stop) >= 0.25;
  }

  /** A segment of a token (between `/` and `.`): a JWT part, a known prefix, or high entropy. */
  private isCredentialPiece(start: number, end: number): boolean {
    const length = end - start;
    if (length >= 10 && this.s.startsWith('eyJ', start)) return true;
    if (length < ENTROPY_MIN_LENGTH) return false;
    let upper = 0;
    let lower = 0;
    let digit = 0;
    for (let p = start; p < end; p += 1) {
      const ch = this.c(p);
      if (isUpper(ch)) upper += 1;
      else if (isLower(ch)) lower += 1;
      else if (isDigit(ch)) digit += 1;
    }
    if (upper >= 2 && lower >= 2 && this.wordlessShare(start, end) >= ENTROPY_MIN_WORDLESS_SHARE) return true;
    if (upper > 0 && lower > 0 && digit > 0) {
      // The longer the token, the surer its ratios: a long one may switch less and still be random.
      const long = length >= ENTROPY_LONG_LENGTH;
      return (
        this.switchRatio(start, end) >= (long ? 0.25 : ENTROPY_MIN_SWITCH_RATIO) &&
        this.caseSwitchRatio(start, end) >= ENTROPY_MIN_CASE_SWITCH_RATIO
      );
    }
    // Single-case random strings (many API keys): long, letters and digits well mixed, not hex.
    return (
      length >= ENTROPY_LONG_LENGTH &&
      digit >= 4 &&
      upper + lower >= 4 &&
      !this.isHexish(start, end) &&
      this.switchRatio(start, end) >= 0.3
    );
  }

  private isHexish(start: number, end: number): boolean {
    for (let p = start; p < end; p += 1) {
      const ch = this.c(p);
      if (!isDigit(ch) && !(ch >= 0x61 && ch <= 0x66) && !(ch >= 0x41 && ch <= 0x46) && ch !== 0x2d)
        return false;
    }
    return true;
  }

  /**
   * The share of the characters outside words, reading the token as camel case: a word is an optional
   * capital and two or more lower-case letters with a vowel (`Api`, `Gateway`); acronyms, digits and
   * vowel-less runs (`Zftdv`) are not words.
   */
  private wordlessShare(start: number, end: number): number {
    let wordless = 0;
    let p = start;
    while (p < end) {
      const ch = this.c(p);
      if (isUpper(ch)) {
        let q = p;
        while (q < end && isUpper(this.c(q))) q += 1;
        // The last capital of a run before lower case starts a word (`GETRequests`: `GET`, `Requests`).
        const acronymEnd = q < end && isLower(this.c(q)) ? q - 1 : q;
        wordless += acronymEnd - p;
        p = acronymEnd === q ? q : this.endOfWord(acronymEnd, end, (n) => (wordless += n));
      } else if (isLower(ch)) {
        p = this.endOfWord(p, end, (n) => (wordless += n));
      } else {
        if (isDigit(ch)) wordless += 1;
        p += 1;
      }
    }
    return wordless / (end - start);
  }

  /** Reads `[A-Z]?[a-z]+` from `start`, reports its length to `onWordless` unless it is a word. */
  private endOfWord(start: number, end: number, onWordless: (length: number) => void): number {
    let q = isUpper(this.c(start)) ? start + 1 : start;
    let vowel = false;
    while (q < end && isLower(this.c(q))) {
      vowel ||= VOWELS.has(this.c(q));
      q += 1;
    }
    const lowerLength = q - start - (isUpper(this.c(start)) ? 1 : 0);
    if (lowerLength < 2 || !vowel) onWordless(q - start);
    return q;
  }

  /** How often neighbouring letters change case. */
  private caseSwitchRatio(start: number, end: number): number {
    let pairs = 0;
    let switches = 0;
    for (let p = start + 1; p < end; p += 1) {
      const a = this.c(p - 1);
      const b = this.c(p);
      if (!(isUpper(a) || isLower(a)) || !(isUpper(b) || isLower(b))) continue;
      pairs += 1;
      if (isUpper(a) !== isUpper(b)) switches += 1;
    }
    return pairs === 0 ? 0 : switches / pairs;
  }

  /** How often neighbouring alphanumerics change class (upper / lower / digit); symbols restart. */
  private switchRatio(start: number, end: number): number {
    const classOf = (ch: number): number => (isUpper(ch) ? 1 : isLower(ch) ? 2 : isDigit(ch) ? 3 : 0);
    let pairs = 0;
    let switches = 0;
    let previous = 0;
    for (let p = start; p < end; p += 1) {
      const current = classOf(this.c(p));
      if (current !== 0 && previous !== 0) {
        pairs += 1;
        if (current !== previous) switches += 1;
      }
      previous = current;
    }
    return pairs === 0 ? 0 : switches / pairs;
  }
}

/**
 * Returns `text` normalised to one line (see `normaliseText`) with every credential replaced by
 * `[redacted]`. Idempotent; linear in the length of `text`.
 */
export function redact(text: string): string {
  const normalised = normaliseText(text);
  const scanner = new Scanner(normalised.text, normalised.soft);
  scanner.scanKeyValues();
  scanner.scanSchemes();
  scanner.scanUserinfo();
  scanner.scanCommandLineUsers();
  scanner.scanEchoedToken();
  scanner.scanPrivateKeys();
  scanner.scanTokens();
  return scanner.spans.apply(normalised.text);
}

/** Letters, digits, `-` and `_`: what API Gateway names (API ids, stages) and CloudFormation names hold. */
const NAME = /^[A-Za-z0-9_-]{1,256}$/;
const NO_SOFT_SPACES = new Uint8Array(0);

/**
 * `redact` for a resource name (a stage, an API id). A name of letters, digits, `-` and `_` holds no
 * key, scheme, URL or key block, so only the tokens that are credentials by their shape go (access
 * key ids, 40-character secret keys, vendor prefixes): the entropy rule takes names people give
 * (`feat-AddUserOAuth2Login`, `Stack-MonitorFunctionAF678A08-AbCdEfGh1234`) for random tokens, and a
 * name changed by redaction names nothing. Any other text is redacted as `redact` does.
 */
export function redactName(text: string): string {
  if (!NAME.test(text)) return redact(text);
  const scanner = new Scanner(text, NO_SOFT_SPACES);
  scanner.scanTokens(false);
  return scanner.spans.apply(text);
}

/**
 * `redact` for text printed as lines (CLI tables and reports): each line is redacted on its own and
 * the line breaks stay; every other control character still becomes a space.
 */
export function redactLines(text: string): string {
  return text.split(/\r?\n/).map(redact).join('\n');
}

/** An API key id masked to its last four characters, enough to tell keys apart in an alert. */
export function maskApiKeyId(id: string): string {
  if (id.startsWith('****')) return id;
  return id.length <= 4 ? '****' : `****${id.slice(-4)}`;
}
