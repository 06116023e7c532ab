import type { Category, Confidence, FindingReason } from '../categories.js';
import {
  FORBIDDEN_MESSAGE,
  MISSING_AUTHENTICATION_TOKEN_MESSAGE,
  matchGatewayMessage,
} from '../gateway-messages.js';
import type { Finding } from '../model.js';
import { redact } from '../redact.js';
import { WEBSOCKET_SIGNAL } from '../rules.js';
import {
  type AnswerFamily,
  CLIENT_RULES,
  type ClientFacts,
  ERROR_TYPE_FAMILIES,
  FAMILY_CANDIDATES,
  isDecisive,
  NOT_WEBSOCKET,
  type RuleContext,
  WEBSOCKET_CANDIDATES,
} from './client-rules.js';
import {
  authorizationKind,
  bodyMessage,
  type ClientObservation,
  header,
  parseUrlShape,
  type UrlShape,
} from './observation.js';

export interface ClientCandidate {
  readonly category: Category;
  readonly score: number;
  readonly reasons: readonly string[];
}

export interface ClientExplanation {
  readonly kind: 'explained';
  readonly category: Category;
  readonly confidence: Confidence;
  readonly reason?: FindingReason;
  /** Ranked, best first; the first is `category`. */
  readonly candidates: readonly ClientCandidate[];
  readonly status: number;
  readonly method?: string;
  readonly url?: string;
  readonly errorType?: string;
  readonly message?: string;
  /** `x-amzn-RequestId` (REST) or `apigw-requestid` (HTTP APIs): the key into the stage's logs. */
  readonly requestId?: string;
  readonly extendedRequestId?: string;
  readonly apiId?: string;
  readonly stage?: string;
  readonly region?: string;
  readonly domainName?: string;
  readonly shape: UrlShape;
  readonly signals: readonly string[];
  readonly evidence: readonly string[];
}

/** An answer that is not a 403 and carries no 403-only error type: out of this tool's scope. */
export interface NotA403 {
  readonly kind: 'not-403';
  readonly status: number;
  readonly url?: string;
  readonly why: string;
}

export type ExplainResult = ClientExplanation | NotA403;

const MEDIUM_LEAD = 4;

/** Classifies one client-observed answer. Pure: the facts come from the caller (`--aws` or flags). */
export function explainObservation(observation: ClientObservation, facts: ClientFacts = {}): ExplainResult {
  const shape = parseUrlShape(observation.url);
  const errorType = (header(observation.responseHeaders, 'x-amzn-errortype') ?? observation.errorType)
    ?.split(':')[0]
    ?.trim();
  const message = observation.message ?? bodyMessage(observation.body);
  const method = observation.method?.toUpperCase();
  const matched = message === undefined ? undefined : matchGatewayMessage(message);
  const family = answerFamily(errorType, message, matched !== undefined);
  if (observation.status !== 403 && matched === undefined && !isForbiddenFamily(family)) {
    return {
      kind: 'not-403',
      status: observation.status,
      url: observation.url,
      why: `the answer was ${observation.status}${errorType ? ` ${errorType}` : ''}, not a 403`,
    };
  }
  const context = ruleContext(observation, shape, family, errorType, facts);
  const messageCategory = context.webSocket ? webSocketRow(matched?.category) : matched?.category;
  const candidates = rankCandidates(context, method, messageCategory, message);
  const [best] = candidates;
  const category = best?.category ?? 'UNCLASSIFIED';
  return {
    kind: 'explained',
    category,
    confidence: confidenceOf(candidates),
    ...(matched?.reason && messageCategory === category ? { reason: matched.reason } : {}),
    candidates,
    status: observation.status,
    method,
    url: observation.url ? redact(observation.url) : undefined,
    errorType,
    message: message === undefined ? undefined : redact(message),
    requestId:
      header(observation.responseHeaders, 'x-amzn-requestid') ??
      header(observation.responseHeaders, 'apigw-requestid'),
    extendedRequestId: header(observation.responseHeaders, 'x-amz-apigw-id'),
    apiId: shape.apiId ?? context.apiIdHeader ?? facts.mappedApiId,
    stage: shape.hostKind === 'custom-domain' ? facts.mappedStage : shape.segments[0],
    region: shape.region,
    domainName: shape.hostKind === 'custom-domain' ? shape.host : undefined,
    shape,
    signals: signalsOf(context, method, matched?.signals ?? []),
    evidence: [errorType, message].filter((text): text is string => text !== undefined).map(redact),
  };
}

/**
 * Lets the stage's own logs settle the answer: a finding for the request id outranks every
 * inference from the response.
 */
export function settleWithFinding(explanation: ClientExplanation, finding: Finding): ClientExplanation {
  const fromLogs: ClientCandidate = {
    category: finding.category,
    score: Number.POSITIVE_INFINITY,
    reasons: [`the stage's logs for request ${finding.requestId} say so`, ...finding.evidence],
  };
  return {
    ...explanation,
    category: finding.category,
    confidence: finding.confidence,
    ...(finding.reason ? { reason: finding.reason } : {}),
    candidates: [
      fromLogs,
      ...explanation.candidates.filter((candidate) => candidate.category !== finding.category),
    ],
    apiId: finding.apiId,
    stage: finding.stage,
    signals: [...new Set([...explanation.signals, ...finding.signals, 'settled-by-logs'])],
    evidence: [...explanation.evidence, ...finding.evidence],
  };
}

/** On a WebSocket API the authorizer and IAM denials happen at `$connect`, with their own rows. */
function webSocketRow(category: Category | undefined): Category | undefined {
  if (category === 'AUTHORIZER_EXPLICIT_DENY' || category === 'AUTHORIZER_POLICY_MISMATCH')
    return 'WEBSOCKET_CONNECT_AUTHORIZER_DENY';
  if (
    category === 'IAM_EXPLICIT_DENY' ||
    category === 'IAM_NOT_AUTHORIZED' ||
    category === 'RESOURCE_POLICY_DENY'
  )
    return 'WEBSOCKET_CONNECT_IAM_DENY';
  return category;
}

/** `wss://` (or `ws://`) URL, or the upgrade request's own headers. */
function isWebSocketHandshake(observation: ClientObservation): boolean {
  if (observation.url !== undefined && /^wss?:\/\//i.test(observation.url)) return true;
  return (
    header(observation.requestHeaders, 'upgrade')?.toLowerCase() === 'websocket' ||
    header(observation.requestHeaders, 'sec-websocket-key') !== undefined
  );
}

/** A presigned URL (`X-Amz-Signature` in the query) is a SigV4 signature too: browsers sign WebSockets so. */
function isPresigned(url: string | undefined): boolean {
  return url !== undefined && /[?&]X-Amz-Signature=/i.test(url);
}

function isForbiddenFamily(family: AnswerFamily): boolean {
  return family !== 'backend' && family !== 'unknown';
}

function answerFamily(
  errorType: string | undefined,
  message: string | undefined,
  matched: boolean,
): AnswerFamily {
  const fromType = errorType === undefined ? undefined : ERROR_TYPE_FAMILIES[errorType];
  if (fromType) return fromType;
  if (message === FORBIDDEN_MESSAGE) return 'forbidden';
  if (message === MISSING_AUTHENTICATION_TOKEN_MESSAGE) return 'missing-token';
  if (matched) return 'access-denied';
  return message === undefined ? 'unknown' : 'backend';
}

function ruleContext(
  observation: ClientObservation,
  shape: UrlShape,
  family: AnswerFamily,
  errorType: string | undefined,
  facts: ClientFacts,
): RuleContext {
  const hostHeader = header(observation.requestHeaders, 'host')?.toLowerCase();
  const hostApiId = hostHeader === undefined ? undefined : parseUrlShape(`https://${hostHeader}/`).apiId;
  const fromHeaders = authorizationKind(observation.requestHeaders);
  return {
    family,
    shape,
    authorization: fromHeaders === 'none' && isPresigned(observation.url) ? 'sigv4' : fromHeaders,
    apiKeySent: header(observation.requestHeaders, 'x-api-key') !== undefined,
    apiIdHeader: header(observation.requestHeaders, 'x-apigw-api-id') ?? hostApiId,
    errorTypeKnownAbsent: observation.responseHeadersComplete && errorType === undefined,
    webSocket: isWebSocketHandshake(observation),
    facts,
  };
}

function rankCandidates(
  context: RuleContext,
  method: string | undefined,
  messageCategory: Category | undefined,
  message: string | undefined,
): ClientCandidate[] {
  const scores = new Map<Category, { score: number; reasons: string[] }>();
  const add = (category: Category, score: number, why: string) => {
    const entry = scores.get(category) ?? { score: 0, reasons: [] };
    entry.score += score;
    entry.reasons.push(why);
    scores.set(category, entry);
  };
  if (method === 'OPTIONS') {
    add(
      'CORS_PREFLIGHT_REJECTED',
      1000,
      'an OPTIONS request (a CORS preflight) was answered 403: the browser reports it as a CORS failure',
    );
  }
  if (messageCategory && message !== undefined) {
    add(messageCategory, 500, `the message "${redact(message)}" is API Gateway's own wording for this cause`);
  }
  const family = messageCategory ? [] : FAMILY_CANDIDATES[context.family];
  const open = context.webSocket
    ? [...(messageCategory ? [] : WEBSOCKET_CANDIDATES), ...family.filter((row) => !NOT_WEBSOCKET.has(row))]
    : family;
  const excluded = new Set<Category>();
  for (const category of open) {
    const rule = CLIENT_RULES.find((candidate) => candidate.category === category);
    const verdict = rule?.verdict(context);
    if (verdict === 'excluded') excluded.add(category);
    else if (verdict) add(category, verdict.points, verdict.why);
    else add(category, 0, 'possible for this answer, with nothing in the request pointing at it');
  }
  const order = (category: Category) => open.indexOf(category);
  return [...scores]
    .filter(([category]) => !excluded.has(category))
    .sort(([a, left], [b, right]) => right.score - left.score || order(a) - order(b))
    .map(([category, { score, reasons }]) => ({ category, score, reasons }));
}

function confidenceOf(candidates: readonly ClientCandidate[]): Confidence {
  const [best, second] = candidates;
  if (!best) return 'low';
  if (isDecisive(best.score)) return 'high';
  if (!second || best.score - second.score >= MEDIUM_LEAD) return 'medium';
  return 'low';
}

function signalsOf(
  context: RuleContext,
  method: string | undefined,
  fromMessage: readonly string[],
): string[] {
  const signals = new Set<string>(fromMessage);
  if (context.shape.hostKind !== 'unknown') signals.add(`${context.shape.hostKind}-host`);
  if (context.apiKeySent) signals.add('api-key-present');
  if (context.authorization !== 'none') signals.add(`authorization-${context.authorization}`);
  if (context.authorization === 'none') signals.add('anonymous-caller');
  if (context.apiIdHeader) signals.add('api-id-header');
  if (method === 'OPTIONS') signals.add('options-method');
  if (context.errorTypeKnownAbsent) signals.add('no-errortype-header');
  if (context.webSocket) signals.add(WEBSOCKET_SIGNAL);
  return [...signals];
}
