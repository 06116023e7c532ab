import { ACCESS_FIELDS, type AccessField, type AccessFieldSpec, fieldForVariable } from './access-fields.js';

export type ApiKind = 'rest' | 'http';

/** The kinds of API whose access-log variables differ: `ApiKind` and WebSocket APIs. */
export type AccessLogApiKind = ApiKind | 'websocket';

/**
 * The `$context` variables a WebSocket API's access log supports, of those the classifier reads (the
 * developer guide's "Configure logging for WebSocket APIs" table): no method, path, resource path,
 * WAF response code, web ACL or client certificate. Nor `waf.status` and `waf.error`, although the
 * table lists them: AWS WAF cannot be associated with a WebSocket API (docs/403-taxonomy.md), so they
 * are never filled, the classifier ignores them on a WebSocket line, and neither the recommended
 * format nor doctor asks for them.
 */
const WEBSOCKET_VARIABLES: ReadonlySet<string> = new Set([
  'requestId',
  'extendedRequestId',
  'status',
  'error.message',
  'error.messageString',
  'error.responseType',
  'authorizer.error',
  'authorizer.status',
  'authorize.error',
  'authorize.status',
  'authenticate.error',
  'authenticate.status',
  'integration.status',
  'integration.error',
  'routeKey',
  'connectionId',
  'eventType',
  'messageId',
  'domainName',
  'stage',
  'apiId',
  'identity.sourceIp',
  'identity.userAgent',
  'identity.apiKeyId',
  'identity.apiKey',
  'identity.userArn',
  'identity.caller',
  'requestTimeEpoch',
  'requestTime',
]);

/** Whether an API of `kind` can log the field's variable. */
export function supportsField(entry: AccessFieldSpec, kind: AccessLogApiKind): boolean {
  if (kind === 'websocket') return WEBSOCKET_VARIABLES.has(entry.variable);
  return kind === 'rest' ? entry.rest : entry.http;
}

const WEBSOCKET_FIELDS: ReadonlySet<AccessField> = new Set(
  ACCESS_FIELDS.filter((entry) => supportsField(entry, 'websocket')).map((entry) => entry.field),
);

/** Whether a WebSocket API can log the field (its absence from a WebSocket line is not a gap). */
export function webSocketLogs(field: AccessField): boolean {
  return WEBSOCKET_FIELDS.has(field);
}

/**
 * Read when present, never recommended: the API key value is a secret, and `error.messageString` comes
 * with its own quotes, so a JSON format quoting it again writes lines that are not JSON.
 */
const NOT_RECOMMENDED: ReadonlySet<AccessField> = new Set(['apiKey', 'errorMessageString']);

/**
 * The JSON access-log format the classifier reads best: every field it uses, nested like the
 * variables so CloudWatch filter patterns can address them (`{ $.status = "403" }`), and only the
 * variables the API kind supports (HTTP and WebSocket APIs reject the REST-only ones).
 */
export function recommendedAccessLogFormat(kind: AccessLogApiKind): string {
  const root: Record<string, unknown> = {};
  for (const entry of ACCESS_FIELDS) {
    if (NOT_RECOMMENDED.has(entry.field)) continue;
    if (!supportsField(entry, kind)) continue;
    const parts = entry.recommendedKey.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1] ?? entry.recommendedKey] = `$context.${entry.variable}`;
  }
  return JSON.stringify(root);
}

export interface AccessLogFormatAnalysis {
  readonly kind: 'json' | 'xml' | 'csv' | 'clf';
  /** The classifier fields the format logs. */
  readonly fields: readonly AccessField[];
  /** Decisive fields the format lacks, as `$context` variables, for the API kind. */
  readonly missingVariables: readonly string[];
  /** False when no 403 cause can be told apart: no status, or neither error field is logged. */
  readonly classifiable: boolean;
}

const CONTEXT_VARIABLE = /\$context\.[A-Za-z0-9_.]+[A-Za-z0-9_]/g;

/** Reads an access-log format string (as set on a stage) and says what the classifier can do with it. */
export function analyzeAccessLogFormat(
  format: string,
  kind: AccessLogApiKind = 'rest',
): AccessLogFormatAnalysis {
  const fields = new Set<AccessField>();
  for (const variable of format.match(CONTEXT_VARIABLE) ?? []) {
    const field = fieldForVariable(variable);
    if (field) fields.add(field);
  }
  const trimmed = format.trim();
  const shape = trimmed.startsWith('{')
    ? 'json'
    : trimmed.startsWith('<')
      ? 'xml'
      : trimmed.includes(',$context')
        ? 'csv'
        : 'clf';
  const missingVariables = ACCESS_FIELDS.filter(
    (entry) => entry.decisive && supportsField(entry, kind) && !fields.has(entry.field),
  ).map((entry) => `$context.${entry.variable}`);
  const classifiable =
    fields.has('status') && (fields.has('errorResponseType') || fields.has('errorMessage'));
  return { kind: shape, fields: [...fields], missingVariables, classifiable };
}
