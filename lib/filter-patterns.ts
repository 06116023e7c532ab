/**
 * The CloudWatch Logs subscription-filter patterns that select 403 evidence, and a small evaluator for
 * the subset of the filter-pattern syntax they use, so the patterns can be tested against real lines
 * offline. Pure code: no CDK, no I/O, so the CLI can use it without loading aws-cdk-lib.
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

/** A JSON key path a filter selector can address: identifiers joined by dots (`error.responseType`). */
export const JSON_KEY_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** `error.responseType` -> `$.error.responseType`. */
export function jsonSelector(keyPath: string): string {
  if (!JSON_KEY_PATH.test(keyPath)) throw new Error(`Not a JSON key path a filter can select: ${keyPath}`);
  return `$.${keyPath}`;
}

/**
 * The access-log pattern. JSON: status 403, or any 403 response type (a remapped 403 keeps its type).
 * Text (CLF, CSV, XML): the term `403`, a superset the classifier narrows down.
 */
export function accessLogFilterPattern(options: AccessLogPatternOptions = {}): string {
  if ((options.format ?? 'json') === 'text') return '"403"';
  const clauses = [`${jsonSelector(options.statusKey ?? DEFAULT_STATUS_KEY)} = "403"`];
  const responseTypeKey =
    options.responseTypeKey === undefined ? DEFAULT_RESPONSE_TYPE_KEY : options.responseTypeKey;
  if (responseTypeKey !== null) {
    const selector = jsonSelector(responseTypeKey);
    for (const type of FORBIDDEN_RESPONSE_TYPES) clauses.push(`${selector} = "${type}"`);
  }
  return `{ ${clauses.join(' || ')} }`;
}

/** The execution-log pattern: an OR of the quoted phrases in `EXECUTION_LOG_TERMS`. */
export function executionLogFilterPattern(): string {
  return EXECUTION_LOG_TERMS.map((term) => `?"${term}"`).join(' ');
}

// ---------------------------------------------------------------------------------------------------
// Evaluator for the subset used above: term patterns (`?"a" ?"b"`, `"a" "b"`, empty) and JSON patterns
// made of `selector = "literal"` clauses joined by `||` or `&&` (no parentheses, no mixing).

export type ParsedFilterPattern =
  | { readonly kind: 'all' }
  | { readonly kind: 'terms'; readonly mode: 'any' | 'all'; readonly terms: readonly string[] }
  | {
      readonly kind: 'json';
      readonly mode: 'any' | 'all';
      readonly clauses: readonly { readonly path: readonly string[]; readonly value: string }[];
    };

export class UnsupportedFilterPatternError extends Error {
  constructor(pattern: string, why: string) {
    super(`Unsupported filter pattern ${JSON.stringify(pattern)}: ${why}`);
    this.name = 'UnsupportedFilterPatternError';
  }
}

const TERM = /\s*(\?)?(?:"((?:[^"\\]|\\.)*)"|([^\s"?]+))/y;
const CLAUSE = /^\$\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*=\s*"((?:[^"\\]|\\.)*)"$/;

function parseTerms(pattern: string): ParsedFilterPattern {
  const terms: string[] = [];
  const optional: boolean[] = [];
  TERM.lastIndex = 0;
  while (TERM.lastIndex < pattern.length) {
    const match = TERM.exec(pattern);
    if (!match) {
      if (pattern.slice(TERM.lastIndex).trim() === '') break;
      throw new UnsupportedFilterPatternError(pattern, `cannot read a term at offset ${TERM.lastIndex}`);
    }
    optional.push(match[1] === '?');
    terms.push(match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? ''));
  }
  if (terms.length === 0) return { kind: 'all' };
  const any = optional.every(Boolean);
  if (!any && optional.some(Boolean)) {
    throw new UnsupportedFilterPatternError(pattern, 'mixes ?optional and required terms');
  }
  return { kind: 'terms', mode: any ? 'any' : 'all', terms };
}

function parseJson(pattern: string): ParsedFilterPattern {
  const body = pattern.trim().slice(1, -1).trim();
  const hasOr = body.includes('||');
  const hasAnd = body.includes('&&');
  if (hasOr && hasAnd) throw new UnsupportedFilterPatternError(pattern, 'mixes || and &&');
  const clauses = body.split(hasAnd ? '&&' : '||').map((raw) => {
    const match = CLAUSE.exec(raw.trim());
    if (!match?.[1] || match[2] === undefined) {
      throw new UnsupportedFilterPatternError(
        pattern,
        `clause ${JSON.stringify(raw.trim())} is not $.key = "v"`,
      );
    }
    return { path: match[1].split('.'), value: match[2].replace(/\\(.)/g, '$1') };
  });
  return { kind: 'json', mode: hasAnd ? 'all' : 'any', clauses };
}

/** Parses a pattern of the supported subset; throws `UnsupportedFilterPatternError` for anything else. */
export function parseFilterPattern(pattern: string): ParsedFilterPattern {
  const trimmed = pattern.trim();
  if (trimmed.startsWith('{')) {
    if (!trimmed.endsWith('}')) throw new UnsupportedFilterPatternError(pattern, 'unbalanced braces');
    return parseJson(trimmed);
  }
  if (trimmed.startsWith('[')) throw new UnsupportedFilterPatternError(pattern, 'space-delimited patterns');
  return parseTerms(trimmed);
}

function lookup(document: unknown, path: readonly string[]): unknown {
  let node = document;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Whether CloudWatch Logs would deliver `message` through `pattern`. Terms match case-sensitively as
 * substrings of the message (a superset of CloudWatch's term matching for the phrases used here); a JSON
 * pattern never matches a message that is not a JSON object, and compares scalar values as strings.
 */
export function matchesFilterPattern(pattern: string | ParsedFilterPattern, message: string): boolean {
  const parsed = typeof pattern === 'string' ? parseFilterPattern(pattern) : pattern;
  switch (parsed.kind) {
    case 'all':
      return true;
    case 'terms': {
      const hit = (term: string) => message.includes(term);
      return parsed.mode === 'any' ? parsed.terms.some(hit) : parsed.terms.every(hit);
    }
    case 'json': {
      let document: unknown;
      try {
        document = JSON.parse(message);
      } catch {
        return false;
      }
      if (document === null || typeof document !== 'object' || Array.isArray(document)) return false;
      const hit = (clause: { path: readonly string[]; value: string }) => {
        const value = lookup(document, clause.path);
        return (typeof value === 'string' || typeof value === 'number') && String(value) === clause.value;
      };
      return parsed.mode === 'any' ? parsed.clauses.some(hit) : parsed.clauses.every(hit);
    }
  }
}

/** The JSON key path of each `$context` variable in a JSON format string (`$context.status` -> `status`). */
export function jsonKeyPaths(format: string): ReadonlyMap<string, string> {
  const paths = new Map<string, string>();
  let document: unknown;
  try {
    document = JSON.parse(format);
  } catch {
    return paths;
  }
  const walk = (node: unknown, prefix: string) => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node)) {
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

/** The filter settings a stage's actual format calls for. */
export function patternOptionsFor(format: string): AccessLogPatternOptions {
  if (analyzeAccessLogFormat(format).kind !== 'json') return { format: 'text' };
  const paths = jsonKeyPaths(format);
  const statusKey = paths.get('status');
  return {
    format: 'json',
    ...(statusKey ? { statusKey } : {}),
    responseTypeKey: paths.get('error.responseType') ?? null,
  };
}
