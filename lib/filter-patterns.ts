/**
 * The CloudWatch Logs subscription-filter patterns that select 403 evidence, and the project's one
 * evaluator of the filter-pattern syntax (the patterns' tests and the CloudWatch Logs peer both use it),
 * so patterns are tested against real lines offline. Pure code: no CDK, no I/O, so the CLI can use it
 * without loading aws-cdk-lib.
 */

import { analyzeAccessLogFormat } from '../lambda/core/access-log-format.js';
import { FORBIDDEN_RESPONSE_TYPES as CLASSIFIER_FORBIDDEN_RESPONSE_TYPES } from '../lambda/core/gateway-messages.js';

/**
 * Gateway response types whose default status is 403 (the classifier's own list). A customised gateway
 * response can remap the status but keeps the type, so these select a 403 cause whatever `status` says.
 */
export const FORBIDDEN_RESPONSE_TYPES: readonly string[] = [...CLASSIFIER_FORBIDDEN_RESPONSE_TYPES];

/** The JSON key (dot-separated path) holding `$context.status` in the recommended format. */
export const DEFAULT_STATUS_KEY = 'status';

/** The JSON key (dot-separated path) holding `$context.error.responseType` in the recommended format. */
export const DEFAULT_RESPONSE_TYPE_KEY = 'error.responseType';

/**
 * Execution-log phrases that keep every line the classifier decides on (evidence file §1.2):
 * - `status: 403`: `Method completed with status: 403` (E5, E46);
 * - `not authorized`: `API Key ... not authorized because ...` (E4, E6, E7) and
 *   `The client is not authorized to perform this operation.` (E28);
 * - `Access denied`: `Access denied. Reason: ...` (mTLS, E37-E39; the space after the dot is optional);
 * - `Authorizer result body`: the policy the authorizer returned, with its `"Effect":"Deny"` (E18, E22);
 * - `Received response. Status: 403`: a backend 403 (E41, E47);
 * - `Starting authorizer`: proves an authorizer ran, which separates an authorizer deny from a resource
 *   policy deny (E12, E19).
 * `Verifying Usage Plan` lines are left out on purpose: they are written for every request on a key-required
 * method and add nothing the `not authorized` line lacks.
 */
export const EXECUTION_LOG_TERMS = [
  'status: 403',
  'not authorized',
  'Access denied',
  'Authorizer result body',
  'Received response. Status: 403',
  'Starting authorizer',
] as const;

/** How a watched access log is written, which decides the pattern that can select its 403 lines. */
export type AccessLogFormatKind = 'json' | 'text';

export interface AccessLogPatternOptions {
  /** @default 'json' */
  readonly format?: AccessLogFormatKind;
  /** JSON key path of `$context.status`. @default DEFAULT_STATUS_KEY */
  readonly statusKey?: string;
  /**
   * JSON key path of `$context.error.responseType`; `null` when the format does not log it.
   * @default DEFAULT_RESPONSE_TYPE_KEY
   */
  readonly responseTypeKey?: string | null;
}

/**
 * A JSON key path a filter selector can address: identifiers joined by dots, each dot a level of
 * nesting (`error.responseType` is `{"error":{"responseType":…}}`). CloudWatch Logs documents no way
 * to select a key that itself contains a dot, so a flat `"error.responseType"` key cannot be selected.
 */
export const JSON_KEY_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The longest filter pattern CloudWatch Logs accepts (PutSubscriptionFilter `filterPattern`). */
export const MAX_FILTER_PATTERN_LENGTH = 1024;

/** `error.responseType` -> `$.error.responseType`. */
export function jsonSelector(keyPath: string): string {
  if (!JSON_KEY_PATH.test(keyPath)) throw new Error(`Not a JSON key path a filter can select: ${keyPath}`);
  return `$.${keyPath}`;
}

/** A generated pattern CloudWatch Logs would refuse for its length. */
export class FilterPatternTooLongError extends Error {
  constructor(readonly length: number) {
    super(
      `the access-log filter pattern would be ${length} characters, over the ${MAX_FILTER_PATTERN_LENGTH} ` +
        'CloudWatch Logs accepts: use shorter statusKey/responseTypeKey paths, or responseTypeKey null',
    );
    this.name = 'FilterPatternTooLongError';
  }
}

/**
 * The access-log pattern. JSON: status 403, or any 403 response type (a remapped 403 keeps its type).
 * The status is matched as the string `"403"` and as the number 403: `"status":"$context.status"` logs
 * the one, `"status":$context.status` the other. Text (CLF, CSV, XML): the term `403`, a superset the
 * classifier narrows down. Throws `FilterPatternTooLongError` past `MAX_FILTER_PATTERN_LENGTH`.
 */
export function accessLogFilterPattern(options: AccessLogPatternOptions = {}): string {
  if ((options.format ?? 'json') === 'text') return '"403"';
  const status = jsonSelector(options.statusKey ?? DEFAULT_STATUS_KEY);
  const clauses = [`${status} = "403"`, `${status} = 403`];
  const responseTypeKey =
    options.responseTypeKey === undefined ? DEFAULT_RESPONSE_TYPE_KEY : options.responseTypeKey;
  if (responseTypeKey !== null) {
    const selector = jsonSelector(responseTypeKey);
    for (const type of FORBIDDEN_RESPONSE_TYPES) clauses.push(`${selector} = "${type}"`);
  }
  const pattern = `{ ${clauses.join(' || ')} }`;
  if (pattern.length > MAX_FILTER_PATTERN_LENGTH) throw new FilterPatternTooLongError(pattern.length);
  return pattern;
}

/** The execution-log pattern: an OR of the quoted phrases in `EXECUTION_LOG_TERMS`. */
export function executionLogFilterPattern(): string {
  return EXECUTION_LOG_TERMS.map((term) => `?"${term}"`).join(' ');
}

// ---------------------------------------------------------------------------------------------------
// The one filter-pattern evaluator of the project (the CloudWatch Logs peer uses it too), for the
// documented syntax the project writes or a user may type: term patterns (`"a phrase" b`, `?a ?b`,
// `-c`) and JSON patterns (`{ $.a.b = "v*" && ($.n >= 3 || $.c != x) }`). JSON values are typed as
// CloudWatch Logs documents them: a quoted or bare word is a string, compared with `=`/`!=` (with `*`
// wildcards) only to string fields; a number is compared only to number fields. Whether the service
// also matches `"403"` against the number 403 is not documented, which is why the patterns above
// name both forms: under this strict reading either one matches.

/** A pattern outside the supported syntax; the message names the offset or clause. */
export class FilterPatternSyntaxError extends Error {
  constructor(pattern: string, why: string) {
    super(`Invalid filter pattern ${JSON.stringify(pattern)}: ${why}`);
    this.name = 'FilterPatternSyntaxError';
  }
}

type Matcher = (message: string) => boolean;
type JsonTest = (document: unknown) => boolean;
type Token =
  | { readonly kind: 'op'; readonly text: string }
  | { readonly kind: 'selector'; readonly path: readonly (string | number)[] }
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'number'; readonly value: number };

const TERM = /\s*([?-]?)(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))/y;
const JSON_TOKEN =
  /\s*(?:(\|\||&&|!=|<=|>=|=|<|>|\(|\))|(\$(?:\.[A-Za-z0-9_-]+|\[\d+\])+)|"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?(?![^\s()&|]))|([^\s()&|=!<>"]+))/y;
const unquote = (text: string) => text.replace(/\\(.)/g, '$1');

function compileTerms(pattern: string): Matcher {
  const anyOf: string[] = [];
  const allOf: string[] = [];
  const noneOf: string[] = [];
  TERM.lastIndex = 0;
  while (TERM.lastIndex < pattern.length) {
    const at = TERM.lastIndex;
    const match = TERM.exec(pattern);
    if (!match) {
      if (pattern.slice(at).trim() === '') break;
      throw new FilterPatternSyntaxError(pattern, `cannot read a term at offset ${at}`);
    }
    const term = match[2] !== undefined ? unquote(match[2]) : (match[3] ?? '');
    (match[1] === '?' ? anyOf : match[1] === '-' ? noneOf : allOf).push(term);
  }
  return (message) =>
    (anyOf.length === 0 || anyOf.some((term) => message.includes(term))) &&
    allOf.every((term) => message.includes(term)) &&
    !noneOf.some((term) => message.includes(term));
}

function tokenize(pattern: string, body: string): Token[] {
  const tokens: Token[] = [];
  JSON_TOKEN.lastIndex = 0;
  while (JSON_TOKEN.lastIndex < body.length) {
    const at = JSON_TOKEN.lastIndex;
    const match = JSON_TOKEN.exec(body);
    if (!match) {
      if (body.slice(at).trim() === '') break;
      throw new FilterPatternSyntaxError(pattern, `cannot read ${JSON.stringify(body.slice(at).trim())}`);
    }
    const [, op, selector, quoted, number, bare] = match;
    if (op !== undefined) tokens.push({ kind: 'op', text: op });
    else if (selector !== undefined) {
      const path = [...selector.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)].map((part) =>
        part[1] !== undefined ? part[1] : Number(part[2]),
      );
      tokens.push({ kind: 'selector', path });
    } else if (quoted !== undefined) tokens.push({ kind: 'string', text: unquote(quoted) });
    else if (number !== undefined) tokens.push({ kind: 'number', value: Number(number) });
    else tokens.push({ kind: 'string', text: bare ?? '' });
  }
  return tokens;
}

function select(document: unknown, path: readonly (string | number)[]): unknown {
  let node = document;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (typeof key === 'number' ? !Array.isArray(node) : Array.isArray(node)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function wildcard(text: string): RegExp {
  const body = text
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '>': (a, b) => a > b,
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
};

/** Recursive descent over `expr := and ('||' and)*`, `and := unary ('&&' unary)*`. */
function compileJson(pattern: string): Matcher {
  const body = pattern.trim();
  if (!body.endsWith('}')) throw new FilterPatternSyntaxError(pattern, 'unbalanced braces');
  const tokens = tokenize(pattern, body.slice(1, -1));
  let position = 0;
  const peek = () => tokens[position];
  const isOp = (text: string) => {
    const token = peek();
    return token?.kind === 'op' && token.text === text;
  };
  const fail = (why: string): never => {
    throw new FilterPatternSyntaxError(pattern, why);
  };
  const comparison = (): JsonTest => {
    const selector = tokens[position];
    const op = tokens[position + 1];
    const value = tokens[position + 2];
    if (selector?.kind !== 'selector') return fail(`expected a $.selector at token ${position + 1}`);
    if (op?.kind !== 'op' || !(op.text in NUMERIC)) return fail('expected a comparison after the selector');
    if (value === undefined || value.kind === 'op' || value.kind === 'selector') {
      return fail(`expected a value after ${op.text}`);
    }
    position += 3;
    const { path } = selector;
    if (value.kind === 'number') {
      const compare = NUMERIC[op.text] ?? (() => false);
      return (document) => {
        const field = select(document, path);
        return typeof field === 'number' && compare(field, value.value);
      };
    }
    if (op.text !== '=' && op.text !== '!=') return fail(`${op.text} compares numbers, not strings`);
    const matcher = wildcard(value.text);
    const equal = op.text === '=';
    return (document) => {
      const field = select(document, path);
      return typeof field === 'string' && matcher.test(field) === equal;
    };
  };
  const unary = (): JsonTest => {
    if (!isOp('(')) return comparison();
    position += 1;
    const inner = expression();
    if (!isOp(')')) fail('unbalanced parentheses');
    position += 1;
    return inner;
  };
  const conjunction = (): JsonTest => {
    const parts = [unary()];
    while (isOp('&&')) {
      position += 1;
      parts.push(unary());
    }
    return (document) => parts.every((test) => test(document));
  };
  const expression = (): JsonTest => {
    const parts = [conjunction()];
    while (isOp('||')) {
      position += 1;
      parts.push(conjunction());
    }
    return (document) => parts.some((test) => test(document));
  };
  const test = expression();
  if (position < tokens.length) fail(`unexpected token ${position + 1}`);
  return (message) => {
    let document: unknown;
    try {
      document = JSON.parse(message);
    } catch {
      return false;
    }
    return document !== null && typeof document === 'object' && test(document);
  };
}

/** Compiles a filter pattern once; throws `FilterPatternSyntaxError` outside the supported syntax. */
export function compileFilterPattern(pattern: string): Matcher {
  const trimmed = pattern.trim();
  if (trimmed === '') return () => true;
  if (trimmed.startsWith('{')) return compileJson(trimmed);
  if (trimmed.startsWith('['))
    throw new FilterPatternSyntaxError(pattern, 'space-delimited patterns are not supported');
  if (trimmed.startsWith('%'))
    throw new FilterPatternSyntaxError(pattern, 'regular expressions are not supported');
  return compileTerms(trimmed);
}

/** Whether CloudWatch Logs would deliver `message` through `pattern`. */
export function matchesFilterPattern(pattern: string, message: string): boolean {
  return compileFilterPattern(pattern)(message);
}

const SELECTABLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The selectable JSON key path of each `$context` variable in a JSON format string (`$context.status` ->
 * `status`). A variable written unquoted (`"status":$context.status`, logged as a number) counts; one
 * under a key no selector can address (`"error.responseType"`, `"my-key"`) is left out.
 */
export function jsonKeyPaths(format: string): ReadonlyMap<string, string> {
  const paths = new Map<string, string>();
  let document: unknown;
  try {
    document = JSON.parse(format.replace(/(:\s*)(\$context\.[A-Za-z0-9_.]*[A-Za-z0-9_])/g, '$1"$2"'));
  } catch {
    return paths;
  }
  const walk = (node: unknown, prefix: string) => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (!SELECTABLE_KEY.test(key)) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      if (typeof value === 'string') {
        const variable = /^\$context\.([A-Za-z0-9_.]+)$/.exec(value.trim())?.[1];
        if (variable && !paths.has(variable)) paths.set(variable, path);
      } else walk(value, path);
    }
  };
  walk(document, '');
  return paths;
}

/**
 * The filter settings a stage's actual format calls for. A JSON format whose status no selector can
 * address gets the text pattern (the term `403`): a superset the classifier narrows down, where a JSON
 * pattern would select nothing.
 */
export function patternOptionsFor(format: string): AccessLogPatternOptions {
  if (analyzeAccessLogFormat(format).kind !== 'json') return { format: 'text' };
  const paths = jsonKeyPaths(format);
  const statusKey = paths.get('status');
  if (!statusKey) return { format: 'text' };
  return { format: 'json', statusKey, responseTypeKey: paths.get('error.responseType') ?? null };
}

const CONTEXT_VARIABLE = /(:\s*)?\$context\.([A-Za-z0-9_.]*[A-Za-z0-9_])/g;

/**
 * The least a stage writing `format` logs for a 403: `$context.status` is 403 and every other variable
 * is `-`, as for a backend's 403, which names no gateway response type (written `"-"` where the format
 * leaves the variable unquoted, so a JSON format stays JSON). Undefined when the format logs no status.
 */
export function forbiddenLineOf(format: string): string | undefined {
  let status = false;
  const line = format.replace(CONTEXT_VARIABLE, (_whole, colon: string | undefined, name: string) => {
    if (name === 'status') status = true;
    if (colon !== undefined) return `${colon}${name === 'status' ? '403' : '"-"'}`;
    return name === 'status' ? '403' : '-';
  });
  return status ? line : undefined;
}

/**
 * Whether a filter with `pattern` delivers the 403 lines of a stage writing `format`
 * (`forbiddenLineOf`); undefined when the format logs no status or the pattern is outside the syntax
 * this evaluator reads, so the answer would be a guess.
 */
export function selectsForbiddenLines(pattern: string, format: string): boolean | undefined {
  const line = forbiddenLineOf(format);
  if (line === undefined) return undefined;
  try {
    return matchesFilterPattern(pattern, line);
  } catch (error) {
    if (error instanceof FilterPatternSyntaxError) return undefined;
    throw error;
  }
}
