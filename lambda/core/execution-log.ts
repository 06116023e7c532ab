import type { InvalidApiKeyReason } from './categories.js';
import type { LogEvent } from './model.js';

/**
 * REST execution logs: one CloudWatch event per line, `(<requestId>) text`. What one request's lines
 * say about a 403, gathered in any order and across deliveries.
 */
export interface ExecutionEvidence {
  readonly requestId: string;
  readonly apiId: string;
  readonly stage: string;
  firstTimestamp: number;
  extendedRequestId?: string;
  httpMethod?: string;
  resourcePath?: string;
  usagePlanDenial?: { reason: InvalidApiKeyReason; method?: string; path?: string; detail: string };
  authorizerStarted: boolean;
  authorizerEffect?: 'Allow' | 'Deny';
  clientNotAuthorized: boolean;
  mtlsReason?: string;
  integrationStatus?: number;
  methodStatus?: number;
  /** `Unauthorized request:` ends a request with 401, never 403. */
  unauthorized: boolean;
}

export const EXECUTION_LOG_GROUP_PREFIX = 'API-Gateway-Execution-Logs_';

/** The execution log group API Gateway writes a REST stage's lines to. */
export function executionLogGroupName(apiId: string, stage: string): string {
  return `${EXECUTION_LOG_GROUP_PREFIX}${apiId}/${stage}`;
}

/** `API-Gateway-Execution-Logs_{apiId}/{stage}` → its API id and stage; `undefined` for other groups. */
export function parseExecutionLogGroup(logGroup: string): { apiId: string; stage: string } | undefined {
  if (!logGroup.startsWith(EXECUTION_LOG_GROUP_PREFIX)) return undefined;
  const rest = logGroup.slice(EXECUTION_LOG_GROUP_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { apiId: rest.slice(0, slash), stage: rest.slice(slash + 1) };
}

const PREFIX = /^\(([^)\s]+)\) ?/;
const TRUNCATED = ' [TRUNCATED]';
const REQUEST_ID_IN_TEXT = /\bfor request: ([0-9a-fA-F-]{8,})|^Unauthorized request: ([0-9a-fA-F-]{8,})/;

const USAGE_PLAN_DENIAL =
  /^API Key\s*\S*\s+not authorized because method '(\S+) ([^']*)' requires API Key(?:.*?):\s*([^:]+?)\s*$/;
const USAGE_PLAN_REASONS: ReadonlyArray<readonly [RegExp, InvalidApiKeyReason]> = [
  [/^API Key was required but not present/, 'missing'],
  [/^API Stage is not in a Usage Plan/, 'stage-not-in-usage-plan'],
  [/^No Usage Plan found for key and API Stage/, 'key-not-in-usage-plan'],
];

/** Splits the optional `(<requestId>) ` prefix and the ` [TRUNCATED]` marker off a line. */
export function splitExecutionLine(message: string): {
  requestId?: string;
  text: string;
  truncated: boolean;
} {
  // `trimEnd` strips exactly what `\s` matches, without a regular expression over every line.
  const trimmed = message.trimEnd();
  const truncated = trimmed.endsWith(TRUNCATED);
  const body = truncated ? trimmed.slice(0, -TRUNCATED.length) : trimmed;
  const prefix = PREFIX.exec(body);
  return prefix
    ? { requestId: prefix[1], text: singleSpaced(body.slice(prefix[0].length)), truncated }
    : { text: singleSpaced(body), truncated };
}

const singleSpaced = (text: string): string => (text.includes('  ') ? text.replace(/ {2,}/g, ' ') : text);

/**
 * Folds a document's execution-log events into per-request evidence. Lines without a prefix (old
 * logs) belong to the request named by the nearest earlier `for request: <id>` line in the stream.
 */
export function collectExecutionEvidence(
  events: readonly LogEvent[],
  group: { apiId: string; stage: string },
  into: Map<string, ExecutionEvidence> = new Map(),
): Map<string, ExecutionEvidence> {
  let current: string | undefined;
  for (const event of events) {
    const line = splitExecutionLine(event.message);
    const requestId = line.requestId ?? requestIdInText(line.text) ?? current;
    if (!requestId) continue;
    current = requestId;
    let evidence = into.get(requestId);
    if (!evidence) {
      evidence = newEvidence(requestId, group, event.timestamp);
      into.set(requestId, evidence);
    }
    evidence.firstTimestamp = Math.min(evidence.firstTimestamp, event.timestamp);
    applyLine(evidence, line.text);
  }
  return into;
}

function newEvidence(
  requestId: string,
  group: { apiId: string; stage: string },
  timestamp: number,
): ExecutionEvidence {
  return {
    requestId,
    apiId: group.apiId,
    stage: group.stage,
    firstTimestamp: timestamp,
    authorizerStarted: false,
    clientNotAuthorized: false,
    unauthorized: false,
  };
}

interface LineRule {
  readonly pattern: RegExp;
  readonly apply: (evidence: ExecutionEvidence, match: RegExpExecArray) => void;
}

/** The decisive and correlating lines of evidence §1.2, first match wins. */
const LINE_RULES: readonly LineRule[] = [
  {
    pattern: /^Method completed with status: (\d{3})/,
    apply: (evidence, match) => {
      evidence.methodStatus = Number(match[1]);
    },
  },
  {
    pattern: /^Received response\. Status: (\d{3})/,
    apply: (evidence, match) => {
      evidence.integrationStatus = Number(match[1]);
    },
  },
  {
    pattern: USAGE_PLAN_DENIAL,
    apply: (evidence, match) => {
      const detail = match[3] ?? '';
      const reason = USAGE_PLAN_REASONS.find(([pattern]) => pattern.test(detail))?.[1] ?? 'unknown';
      evidence.usagePlanDenial = { reason, method: match[1], path: match[2], detail };
    },
  },
  {
    pattern: /^The client is not authorized to perform this operation/,
    apply: (evidence) => {
      evidence.clientNotAuthorized = true;
    },
  },
  {
    pattern: /^Access denied\.\s*Reason:\s*(.*)$/,
    apply: (evidence, match) => {
      evidence.mtlsReason = match[1] || 'unspecified';
    },
  },
  {
    pattern: /^Starting authorizer:/,
    apply: (evidence) => {
      evidence.authorizerStarted = true;
    },
  },
  {
    pattern: /^Authorizer result body before parsing:/,
    apply: (evidence, match) => {
      evidence.authorizerStarted = true;
      evidence.authorizerEffect = policyEffect(match.input) ?? evidence.authorizerEffect;
    },
  },
  {
    pattern: /^Unauthorized request:/,
    apply: (evidence) => {
      evidence.unauthorized = true;
    },
  },
  {
    pattern: /^Extended Request Id: (\S+)/,
    apply: (evidence, match) => {
      evidence.extendedRequestId = match[1];
    },
  },
  {
    pattern: /^HTTP Method: (\w+), Resource Path: (\S+)/,
    apply: (evidence, match) => {
      evidence.httpMethod = match[1];
      evidence.resourcePath = match[2];
    },
  },
];

/**
 * Every rule is anchored at a literal first character: a line is tried only against the rules that
 * start with its own (most lines of a request match none).
 */
const RULES_BY_FIRST_CHARACTER = new Map<string, LineRule[]>();
for (const rule of LINE_RULES) {
  const [anchor, first = ''] = rule.pattern.source;
  if (anchor !== '^' || !/^[A-Za-z]$/.test(first)) {
    throw new Error(`execution-line rule ${rule.pattern} must start with ^ and a letter`);
  }
  const rules = RULES_BY_FIRST_CHARACTER.get(first) ?? [];
  rules.push(rule);
  RULES_BY_FIRST_CHARACTER.set(first, rules);
}

function requestIdInText(text: string): string | undefined {
  const named = REQUEST_ID_IN_TEXT.exec(text);
  return named?.[1] ?? named?.[2];
}

function applyLine(evidence: ExecutionEvidence, text: string): void {
  const rules = RULES_BY_FIRST_CHARACTER.get(text.charAt(0));
  if (rules === undefined) return;
  for (const rule of rules) {
    const match = rule.pattern.exec(text);
    if (match) {
      rule.apply(evidence, match);
      return;
    }
  }
}

/** Any `Deny` statement decides; a body cut at 1024 bytes may hold no effect at all. */
function policyEffect(text: string): 'Allow' | 'Deny' | undefined {
  const effects = [...text.matchAll(/"Effect"\s*:\s*"(Allow|Deny)"/gi)].map((m) => m[1]?.toLowerCase());
  if (effects.includes('deny')) return 'Deny';
  return effects.includes('allow') ? 'Allow' : undefined;
}

/** True when the lines say this request was refused with 403 (or will be, once its status line arrives). */
export function hasForbiddenEvidence(evidence: ExecutionEvidence): boolean {
  if (evidence.unauthorized) return false;
  if (evidence.methodStatus !== undefined) return evidence.methodStatus === 403;
  return (
    evidence.usagePlanDenial !== undefined ||
    evidence.clientNotAuthorized ||
    evidence.mtlsReason !== undefined ||
    evidence.authorizerEffect === 'Deny'
  );
}
