import { type AccessField, DECISIVE_FIELDS, variableOf } from './access-fields.js';
import type { AccessRecord } from './access-log.js';
import { webSocketLogs } from './access-log-format.js';
import type { Category, Confidence, FindingReason, InvalidApiKeyReason } from './categories.js';
import { isEventTime } from './decode.js';
import { type ExecutionEvidence, hasForbiddenEvidence } from './execution-log.js';
import {
  FORBIDDEN_MESSAGE,
  FORBIDDEN_RESPONSE_TYPES,
  type GatewayMessageMatch,
  MISSING_AUTHENTICATION_TOKEN_MESSAGE,
  matchGatewayMessage,
  unquote,
} from './gateway-messages.js';
import type { Candidate, EvidenceSource, Finding } from './model.js';
import { maskApiKeyId, redact } from './redact.js';
import { WEBSOCKET_SIGNAL } from './rules.js';

/** What is known about one request: its access-log line, its execution-log lines, or both. */
export interface RequestEvidence {
  readonly access?: AccessRecord;
  readonly execution?: ExecutionEvidence;
  /** Where the evidence came from when the lines do not say it (log group, event time and id). */
  readonly context: {
    readonly apiId?: string;
    readonly stage?: string;
    readonly timestamp: number;
    readonly eventId?: string;
  };
}

interface Decision {
  readonly category: Category;
  readonly confidence: Confidence;
  readonly reason?: FindingReason;
  readonly candidates?: readonly Candidate[];
  readonly signals?: readonly string[];
  readonly evidence?: readonly string[];
  readonly missingFields?: readonly string[];
}

/**
 * Classifies one request, or returns `undefined` when it is out of scope (not a 403, and no
 * response type whose default status is 403). Precedence, so one request never gets two answers:
 * OPTIONS, decisive message, WAF, client certificate, decisive execution lines, response type,
 * `Missing Authentication Token` split, integration 403, UNCLASSIFIED.
 */
export function classifyRequest(input: RequestEvidence): Finding | undefined {
  return classify(input, redactCached);
}

/**
 * `classifyRequest` with the caller-controlled strings (`path`, `userAgent`, `evidence`) left as
 * logged: for `GroupAccumulator` with `redact: true`, which redacts only what a group keeps (its top
 * values and evidence lines), not every line. The result must not leave the core unredacted.
 */
export function classifyRequestUnredacted(input: RequestEvidence): Finding | undefined {
  return classify(input, unchanged);
}

const unchanged = (text: string): string => text;

function classify(input: RequestEvidence, redactText: (text: string) => string): Finding | undefined {
  const facts = new Facts(input);
  if (!facts.inScope()) return undefined;
  const underlying = decideIgnoringMethod(facts);
  const decision: Decision =
    facts.method === 'OPTIONS'
      ? {
          category: 'CORS_PREFLIGHT_REJECTED',
          confidence: 'high',
          signals: preflightSignals(underlying.category),
          evidence: underlying.evidence,
        }
      : underlying;
  return facts.toFinding(decision, redactText);
}

/**
 * The evidence lines that depend on no value of the request, built once and shared (read-only) by
 * every finding that carries them, like the gateway-message lines (`messageEvidence`).
 */
const line = (text: string): readonly string[] => Object.freeze([text]);
const EVIDENCE = {
  authorizerDeny: line('authorizer policy effect: Deny'),
  noAuthorizer: line('The client is not authorized to perform this operation. (no authorizer ran)'),
  truncatedPolicy: line('the authorizer ran; its policy body was truncated before the Effect'),
  invalidApiKeyType: line('gateway response type: INVALID_API_KEY'),
  invalidSignatureType: line('gateway response type: INVALID_SIGNATURE'),
  accessDeniedType: line('gateway response type: ACCESS_DENIED'),
  integration403: line('the integration answered 403; API Gateway passed it on'),
  afterAuthorizer: line(
    'The client is not authorized to perform this operation. (after the authorizer returned a policy)',
  ),
  forbidden: line(`gateway message: ${FORBIDDEN_MESSAGE}`),
} as const;

/** Decisions' signal lists that depend on no value of the request (frozen: findings intern them). */
const signalList = (...signals: string[]): readonly string[] => Object.freeze(signals);
const SIGNALS = {
  unsignedCaller: signalList('unsigned-caller'),
  signedCaller: signalList('signed-caller'),
  websocketMessage: signalList('websocket-message'),
  websocketDisconnect: signalList('websocket-disconnect'),
  wafBlock: signalList('waf-block'),
  authorizerDeny: signalList('authorizer-ran', 'authorizer-deny'),
  authorizerAllow: signalList('authorizer-ran', 'authorizer-allow'),
  authorizerNoEffect: signalList('authorizer-ran', 'authorizer-no-effect'),
  authorizerNotRun: signalList('authorizer-not-run'),
  integration403: signalList('integration-403'),
} as const;

/** By signed, then authorizer seen. */
const CALLER_SIGNALS = [
  [signalList('unsigned-caller'), signalList('unsigned-caller', 'authorizer-ran')],
  [signalList('signed-caller'), signalList('signed-caller', 'authorizer-ran')],
] as const;
const callerSignals = (signed: boolean, authorizerSeen: boolean): readonly string[] =>
  CALLER_SIGNALS[signed ? 1 : 0][authorizerSeen ? 1 : 0];

const PREFLIGHT_SIGNALS = new Map<Category, readonly string[]>();
function preflightSignals(underlying: Category): readonly string[] {
  let signals = PREFLIGHT_SIGNALS.get(underlying);
  if (signals === undefined) {
    signals = signalList('options-method', `preflight-${underlying}`);
    PREFLIGHT_SIGNALS.set(underlying, signals);
  }
  return signals;
}

const STEPS: ReadonlyArray<(facts: Facts) => Decision | undefined> = [
  webSocketConnect,
  decisiveMessage,
  waf,
  clientCertificate,
  decisiveExecutionLines,
  responseType,
  missingAuthenticationToken,
  integration403,
  webSocketForbidden,
  forbiddenMessage,
];

function decideIgnoringMethod(facts: Facts): Decision {
  for (const step of STEPS) {
    const decision = step(facts);
    if (decision) return decision;
  }
  return unclassified(facts);
}

/** REST and HTTP categories that, on a WebSocket API, are decided by the `$connect` route's authorization. */
const CONNECT_AUTHORIZER: ReadonlySet<Category> = new Set([
  'AUTHORIZER_EXPLICIT_DENY',
  'AUTHORIZER_POLICY_MISMATCH',
]);
const CONNECT_IAM: ReadonlySet<Category> = new Set([
  'IAM_EXPLICIT_DENY',
  'IAM_NOT_AUTHORIZED',
  'RESOURCE_POLICY_DENY',
]);

/**
 * A WebSocket API authorizes only on `$connect`, with a Lambda REQUEST authorizer or IAM, and its
 * checks are `apigatewayv2` ones: the gateway messages of those denials get the WebSocket rows. The
 * signature and token messages keep their rows (same cause, same checks).
 */
function webSocketConnect(facts: Facts): Decision | undefined {
  if (!facts.isWebSocket) return undefined;
  const match = facts.message ? matchGatewayMessageCached(facts.message) : undefined;
  const evidence = facts.message ? messageEvidence(facts.message) : NO_EVIDENCE;
  if (match && CONNECT_AUTHORIZER.has(match.category)) {
    return {
      category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
      confidence: 'high',
      signals: match.signals,
      evidence,
    };
  }
  if (match && CONNECT_IAM.has(match.category)) {
    // WebSocket APIs take no resource policy: `anonymous` is an unsigned handshake to an IAM route.
    const unsigned = match.category === 'RESOURCE_POLICY_DENY' ? ['unsigned-caller'] : [];
    return {
      category: 'WEBSOCKET_CONNECT_IAM_DENY',
      confidence: 'high',
      signals: [...match.signals, ...unsigned],
      evidence,
    };
  }
  if (match) return undefined;
  if (facts.responseType === 'ACCESS_DENIED') {
    return connectDenied(facts, [...evidence, 'gateway response type: ACCESS_DENIED']);
  }
  const missingToken =
    facts.responseType === 'MISSING_AUTHENTICATION_TOKEN' ||
    facts.message === MISSING_AUTHENTICATION_TOKEN_MESSAGE;
  if (!missingToken) return undefined;
  const event = facts.webSocketEvent;
  // No REST resource, method or IAM check exists after `$connect`: the REST rows would print wrong checks.
  if (event === 'MESSAGE' || event === 'DISCONNECT') return afterConnect(event, MAT_EVIDENCE);
  return {
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    confidence: event === 'CONNECT' ? 'medium' : 'low',
    signals: SIGNALS.unsignedCaller,
    evidence: event === 'CONNECT' ? [...MAT_EVIDENCE, 'on the $connect route'] : MAT_EVIDENCE,
    ...(event === undefined ? { missingFields: facts.missing(['eventType']) } : {}),
  };
}

/** A 403 on a message or disconnect event: no authorization runs there, so no row's cause applies. */
function afterConnect(event: 'MESSAGE' | 'DISCONNECT', evidence: readonly string[]): Decision {
  return {
    category: 'UNCLASSIFIED',
    confidence: 'low',
    signals: event === 'MESSAGE' ? SIGNALS.websocketMessage : SIGNALS.websocketDisconnect,
    evidence: [...evidence, `on a ${event} event: a WebSocket API authorizes only on $connect`],
  };
}

const AUTHORIZER_FIELDS: readonly AccessField[] = [
  'authorizerStatus',
  'authorizerError',
  'authorizeStatus',
  'authorizeError',
];

/**
 * A WebSocket `$connect` refused without a message that names the check: the route's authorizer, IAM,
 * or its API key. The authorizer and identity fields rank them.
 */
function connectDenied(facts: Facts, evidence: readonly string[]): Decision {
  const signed = facts.values.userArn !== undefined;
  const authorizerSeen = AUTHORIZER_FIELDS.some((field) => facts.value(field) !== undefined);
  const authorizer: Candidate = {
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    why: "the $connect route's Lambda authorizer did not allow the connection",
  };
  const iam: Candidate = {
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    why: signed
      ? 'the caller signed the handshake and IAM found no Allow for its $connect ARN'
      : 'an unsigned handshake to a $connect route that uses IAM authorization',
  };
  const apiKey: Candidate = {
    category: 'INVALID_API_KEY',
    why: 'a $connect route that requires an API key refuses a missing key or one outside a usage plan',
  };
  const candidates = signed ? [iam, authorizer, apiKey] : [authorizer, iam, apiKey];
  const top = candidates[0] as Candidate;
  return {
    category: top.category,
    confidence: signed || authorizerSeen ? 'medium' : 'low',
    signals: callerSignals(signed, authorizerSeen),
    evidence,
    candidates,
    missingFields: facts.missing(['authorizerStatus', 'userArn', 'apiKeyId']),
  };
}

/**
 * The bare `Forbidden` of a WebSocket API: at `$connect` one of its checks; on a message or disconnect
 * event no authorization runs, so no REST candidate (API key, WAF, mTLS) applies either.
 */
function webSocketForbidden(facts: Facts): Decision | undefined {
  if (!facts.isWebSocket || facts.message !== FORBIDDEN_MESSAGE) return undefined;
  const evidence = [`gateway message: ${FORBIDDEN_MESSAGE}`];
  const event = facts.webSocketEvent;
  if (event === undefined || event === 'CONNECT') {
    const decision = connectDenied(facts, evidence);
    return event === undefined
      ? {
          ...decision,
          confidence: 'low',
          missingFields: [...(decision.missingFields ?? []), ...facts.missing(['eventType'])],
        }
      : decision;
  }
  return afterConnect(event, evidence);
}

function decisiveMessage(facts: Facts): Decision | undefined {
  const match = facts.message ? matchGatewayMessageCached(facts.message) : undefined;
  if (!match) return undefined;
  const reason = match.category === 'INVALID_API_KEY' ? (facts.apiKeyReason() ?? match.reason) : match.reason;
  return {
    category: match.category,
    confidence: 'high',
    reason,
    signals: match.signals,
    evidence: messageEvidence(facts.message as string),
  };
}

/**
 * AWS WAF protects REST API stages only (docs/403-taxonomy.md, WebSocket APIs): a WebSocket line's
 * WAF fields can name no web ACL, so its other fields decide.
 */
function waf(facts: Facts): Decision | undefined {
  if (facts.isWebSocket) return undefined;
  const blocked =
    facts.responseType === 'WAF_FILTERED' ||
    facts.values.wafResponseCode === 'WAF_BLOCK' ||
    facts.values.wafStatus === '403';
  if (!blocked) return undefined;
  const acl = facts.values.webAclArn;
  return {
    category: 'WAF_FILTERED',
    confidence: 'high',
    signals: SIGNALS.wafBlock,
    evidence: acl ? aclEvidence(acl) : NO_EVIDENCE,
  };
}

function clientCertificate(facts: Facts): Decision | undefined {
  const { values } = facts;
  const logged =
    values.clientCertSubjectDN !== undefined ||
    values.clientCertIssuerDN !== undefined ||
    values.clientCertSerialNumber !== undefined;
  const reason = facts.execution?.mtlsReason;
  if (!logged && reason === undefined) return undefined;
  const evidence = [
    ...(reason ? [`mTLS: Access denied. Reason: ${reason}`] : []),
    ...(facts.values.clientCertIssuerDN
      ? [`client certificate issuer: ${facts.values.clientCertIssuerDN}`]
      : []),
    ...(facts.values.clientCertNotAfter
      ? [`client certificate not after: ${facts.values.clientCertNotAfter}`]
      : []),
  ];
  const signals = ['mtls-failed'];
  if (reason && /self.signed/i.test(reason)) signals.push('self-signed-certificate');
  if (reason && /issuer/i.test(reason)) signals.push('unknown-issuer');
  if (reason && /algorithm/i.test(reason)) signals.push('insecure-signature-algorithm');
  return { category: 'MTLS_CERTIFICATE_INVALID', confidence: 'high', signals, evidence };
}

function decisiveExecutionLines(facts: Facts): Decision | undefined {
  const x = facts.execution;
  if (!x) return undefined;
  if (x.usagePlanDenial) {
    return {
      category: 'INVALID_API_KEY',
      confidence: 'high',
      reason: x.usagePlanDenial.reason,

      evidence: [`usage plan: ${x.usagePlanDenial.detail}`],
    };
  }
  if (x.authorizerEffect === 'Deny') {
    return {
      category: 'AUTHORIZER_EXPLICIT_DENY',
      confidence: 'high',
      signals: SIGNALS.authorizerDeny,
      evidence: EVIDENCE.authorizerDeny,
    };
  }
  if (!x.clientNotAuthorized)
    return x.authorizerStarted && x.methodStatus === 403 ? authorizerWithoutEffect() : undefined;
  if (x.authorizerStarted) {
    return {
      category: 'AUTHORIZER_POLICY_MISMATCH',
      confidence: 'high',
      signals: x.authorizerEffect === 'Allow' ? SIGNALS.authorizerAllow : SIGNALS.authorizerNoEffect,
      evidence: EVIDENCE.afterAuthorizer,
    };
  }
  // The same line follows a cached authorizer policy, which writes no authorizer lines.
  return {
    category: 'RESOURCE_POLICY_DENY',
    confidence: 'medium',
    signals: SIGNALS.authorizerNotRun,
    evidence: EVIDENCE.noAuthorizer,
    candidates: [
      {
        category: 'RESOURCE_POLICY_DENY',
        why: 'the resource policy denied the caller (IP, VPC endpoint or account)',
      },
      {
        category: 'AUTHORIZER_POLICY_MISMATCH',
        why: 'a cached Lambda-authorizer policy without an Allow for this method writes the same line',
      },
    ],
  };
}

/** The authorizer ran and the request ended 403, but its policy body was cut before any Effect. */
function authorizerWithoutEffect(): Decision {
  return {
    category: 'AUTHORIZER_EXPLICIT_DENY',
    confidence: 'low',
    signals: SIGNALS.authorizerNoEffect,
    evidence: EVIDENCE.truncatedPolicy,
    candidates: [
      { category: 'AUTHORIZER_EXPLICIT_DENY', why: 'a Deny statement in the (truncated) policy' },
      { category: 'AUTHORIZER_POLICY_MISMATCH', why: 'an Allow that does not cover this method ARN' },
    ],
  };
}

function responseType(facts: Facts): Decision | undefined {
  switch (facts.responseType) {
    case 'INVALID_API_KEY': {
      const reason = facts.apiKeyReason() ?? 'unknown';
      return {
        category: 'INVALID_API_KEY',
        confidence: 'high',
        reason,

        evidence: EVIDENCE.invalidApiKeyType,
      };
    }
    case 'EXPIRED_TOKEN':
      return { category: 'SECURITY_TOKEN_EXPIRED', confidence: 'high', signals: SIGNALS.signedCaller };
    case 'INVALID_SIGNATURE':
      return {
        category: 'SIGNATURE_MISMATCH',
        confidence: 'low',
        signals: SIGNALS.signedCaller,
        evidence: EVIDENCE.invalidSignatureType,
        candidates: [
          {
            category: 'SIGNATURE_MISMATCH',
            why: 'INVALID_SIGNATURE most often means the computed signature differs',
          },
          {
            category: 'SIGNATURE_EXPIRED',
            why: 'an expired signature is also reported as INVALID_SIGNATURE',
          },
          {
            category: 'INCOMPLETE_SIGNATURE',
            why: 'a malformed Authorization header fails signature checks too',
          },
        ],
        missingFields: facts.missing(['errorMessage']),
      };
    case 'ACCESS_DENIED':
      return accessDeniedWithoutMessage(facts);
    default:
      return undefined;
  }
}

function accessDeniedWithoutMessage(facts: Facts): Decision {
  const signed = facts.values.userArn !== undefined;
  const authorizerSeen =
    facts.values.authorizerStatus !== undefined || facts.values.authorizerError !== undefined;
  const candidates: Candidate[] = signed
    ? [
        { category: 'IAM_NOT_AUTHORIZED', why: 'the caller signed the request and IAM found no Allow' },
        { category: 'IAM_EXPLICIT_DENY', why: 'an IAM or resource policy explicitly denies this caller' },
        { category: 'RESOURCE_POLICY_DENY', why: 'the resource policy does not allow the caller' },
      ]
    : [
        {
          category: 'AUTHORIZER_EXPLICIT_DENY',
          why: 'ACCESS_DENIED is what a Lambda authorizer Deny produces',
        },
        {
          category: 'AUTHORIZER_POLICY_MISMATCH',
          why: "the authorizer's (cached) policy has no Allow for this method",
        },
        { category: 'RESOURCE_POLICY_DENY', why: 'the resource policy denies or does not allow the caller' },
      ];
  const top = candidates[0] as Candidate;
  return {
    category: top.category,
    confidence: authorizerSeen && !signed ? 'medium' : 'low',
    signals: callerSignals(signed, authorizerSeen),
    evidence: EVIDENCE.accessDeniedType,
    candidates,
    missingFields: facts.missing(['errorMessage']),
  };
}

function missingAuthenticationToken(facts: Facts): Decision | undefined {
  const isMat =
    facts.responseType === 'MISSING_AUTHENTICATION_TOKEN' ||
    facts.message === MISSING_AUTHENTICATION_TOKEN_MESSAGE;
  if (!isMat) return undefined;
  const resourcePath = facts.values.resourcePath ?? facts.values.routeKey ?? facts.execution?.resourcePath;
  if (resourcePath !== undefined) {
    return {
      category: 'MISSING_AUTHENTICATION_TOKEN',
      confidence: 'high',
      signals: MAT_SIGNALS.resourceMatched,
      evidence: matchedResourceEvidence(resourcePath),
    };
  }
  const firstSegment = facts.path === undefined ? undefined : firstPathSegment(facts.path);
  const stageInPath = firstSegment !== undefined && firstSegment === facts.stage;
  const domain = facts.values.domainName;
  const noResource = stageInPath ? MAT_SIGNALS.stageInPath : MAT_SIGNALS.noResource;
  if (!facts.access?.logged.has('resourcePath') && !facts.access?.logged.has('routeKey')) {
    return undecidedRoute(noResource, MAT_CANDIDATES.withoutResourcePath, MISSING_RESOURCE_PATH);
  }
  const custom = domain !== undefined && isCustomDomain(domain);
  const signals = !custom
    ? noResource
    : stageInPath
      ? MAT_SIGNALS.stageInCustomDomainPath
      : MAT_SIGNALS.noResourceOnCustomDomain;
  if (custom && stageInPath) {
    return {
      category: 'STAGE_IN_CUSTOM_DOMAIN_PATH',
      confidence: 'high',
      signals,
      evidence: [...MAT_EVIDENCE, `custom domain ${domain}, path ${facts.path} starts with the stage`],
    };
  }
  if (domain === undefined && stageInPath) {
    return undecidedRoute(signals, MAT_CANDIDATES.stageInPathWithoutDomain, MISSING_DOMAIN_NAME);
  }
  return { category: 'ROUTE_NOT_FOUND', confidence: 'high', signals, evidence: MAT_EVIDENCE };
}

// The `Missing Authentication Token` split's fixed parts, built once and shared (read-only) by every
// finding that carries them, like EVIDENCE.
const MAT_EVIDENCE = line(`gateway message: ${MISSING_AUTHENTICATION_TOKEN_MESSAGE}`);
const matchedResourceEvidence = cachedEvidence((resourcePath) => [
  ...MAT_EVIDENCE,
  `matched resource: ${resourcePath}`,
]);
const MAT_SIGNALS = {
  resourceMatched: Object.freeze(['resource-matched', 'unsigned-caller']),
  noResource: Object.freeze(['no-resource-matched']),
  stageInPath: Object.freeze(['no-resource-matched', 'first-segment-is-stage']),
  noResourceOnCustomDomain: Object.freeze(['no-resource-matched', 'custom-domain']),
  stageInCustomDomainPath: Object.freeze(['no-resource-matched', 'first-segment-is-stage', 'custom-domain']),
} as const;
const MAT_CANDIDATES = {
  withoutResourcePath: candidates([
    { category: 'ROUTE_NOT_FOUND', why: 'the commonest cause: no resource for this path and method' },
    { category: 'MISSING_AUTHENTICATION_TOKEN', why: 'an IAM-authorized method called without a signature' },
    { category: 'STAGE_IN_CUSTOM_DOMAIN_PATH', why: 'a custom-domain URL that still carries the stage' },
  ]),
  stageInPathWithoutDomain: candidates([
    { category: 'ROUTE_NOT_FOUND', why: 'no resource matched the path and method' },
    {
      category: 'STAGE_IN_CUSTOM_DOMAIN_PATH',
      why: 'the path starts with the stage name: on a custom domain it must not',
    },
  ]),
} as const;
const MISSING_RESOURCE_PATH = line(variableOf('resourcePath'));
const MISSING_DOMAIN_NAME = line(variableOf('domainName'));

/** Without the field that separates them, the candidates stay open; the finding says what to log. */
function undecidedRoute(
  signals: readonly string[],
  open: readonly Candidate[],
  missingFields: readonly string[],
): Decision {
  return {
    category: 'ROUTE_NOT_FOUND',
    confidence: 'low',
    signals,
    evidence: MAT_EVIDENCE,
    candidates: open,
    missingFields,
  };
}

/** The first non-empty segment of a path (`/a//b` → `a`), without splitting the whole path. */
function firstPathSegment(path: string): string | undefined {
  let start = 0;
  while (path.charCodeAt(start) === SLASH) start++;
  if (start === path.length) return undefined;
  const end = path.indexOf('/', start);
  return end === -1 ? path.slice(start) : path.slice(start, end);
}
const SLASH = 0x2f;

function integration403(facts: Facts): Decision | undefined {
  const accessSays = facts.values.integrationStatus === '403';
  const executionSays = facts.execution?.integrationStatus === 403;
  if (!accessSays && !executionSays) return undefined;
  const noGatewayError = facts.access?.logged.has('errorMessage')
    ? facts.message === undefined
    : executionSays;
  return {
    category: 'INTEGRATION_403',
    confidence: noGatewayError ? 'high' : 'medium',
    signals: SIGNALS.integration403,
    evidence: EVIDENCE.integration403,
  };
}

function forbiddenMessage(facts: Facts): Decision | undefined {
  if (facts.message !== FORBIDDEN_MESSAGE) return undefined;
  if (facts.isHttpApi) {
    return {
      category: 'AUTHORIZER_EXPLICIT_DENY',
      confidence: 'medium',
      signals: HTTP_API_SIGNALS,
      evidence: EVIDENCE.forbidden,
      candidates: FORBIDDEN_CANDIDATES.httpApi,
    };
  }
  const wafRuledOut = facts.access?.logged.has('wafResponseCode') || facts.access?.logged.has('wafStatus');
  const mtlsRuledOut = facts.access?.logged.has('clientCertSubjectDN');
  const open = FORBIDDEN_CANDIDATES.rest[wafRuledOut ? 1 : 0][mtlsRuledOut ? 1 : 0];
  return {
    category: 'INVALID_API_KEY',
    confidence: open.length === 1 ? 'medium' : 'low',
    reason: facts.apiKeyReason() ?? 'unknown',
    evidence: EVIDENCE.forbidden,
    ...(open.length > 1 ? { candidates: open } : {}),
    missingFields: facts.missing(FORBIDDEN_DECISIVE_FIELDS),
  };
}

const HTTP_API_SIGNALS: readonly string[] = Object.freeze(['http-api']);
const FORBIDDEN_DECISIVE_FIELDS: readonly AccessField[] = [
  'errorResponseType',
  'wafResponseCode',
  'clientCertSubjectDN',
];
/** What a REST API's bare `Forbidden` may be, as the fields the format logs rule WAF or mTLS out. */
function forbiddenCandidates(wafRuledOut: boolean, mtlsRuledOut: boolean): readonly Candidate[] {
  return candidates([
    { category: 'INVALID_API_KEY', why: 'a missing or invalid API key answers Forbidden' },
    ...(wafRuledOut
      ? []
      : [{ category: 'WAF_FILTERED' as const, why: 'an AWS WAF block also answers Forbidden' }]),
    ...(mtlsRuledOut
      ? []
      : [
          {
            category: 'MTLS_CERTIFICATE_INVALID' as const,
            why: 'a rejected client certificate also answers Forbidden',
          },
        ]),
  ]);
}
const FORBIDDEN_CANDIDATES = {
  httpApi: candidates([
    {
      category: 'AUTHORIZER_EXPLICIT_DENY',
      why: 'HTTP API authorizers (Lambda isAuthorized false, JWT scopes) answer Forbidden',
    },
    { category: 'MTLS_CERTIFICATE_INVALID', why: 'a rejected client certificate also answers Forbidden' },
  ]),
  /** By WAF ruled out, then mTLS ruled out. */
  rest: [
    [forbiddenCandidates(false, false), forbiddenCandidates(false, true)],
    [forbiddenCandidates(true, false), forbiddenCandidates(true, true)],
  ],
} as const;

const WEBSOCKET_DECISIVE_FIELDS: readonly AccessField[] = DECISIVE_FIELDS.filter(webSocketLogs);

function unclassified(facts: Facts): Decision {
  const decisive = facts.isWebSocket ? WEBSOCKET_DECISIVE_FIELDS : DECISIVE_FIELDS;
  const missing = facts.access ? facts.missing(decisive) : [];
  return {
    category: 'UNCLASSIFIED',
    confidence: 'low',
    signals: facts.access && facts.access.format !== 'json' ? [`${facts.access.format}-format`] : [],
    evidence: facts.message ? messageEvidence(facts.message) : NO_EVIDENCE,
    missingFields: missing,
  };
}

const EXECUTE_API_DOMAIN = /\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/i;
// A stage's lines carry one domain or two: remember the last answer instead of a regex per line.
let lastDomain: string | undefined;
let lastDomainIsCustom = false;

function isCustomDomain(domain: string): boolean {
  if (domain !== lastDomain) {
    lastDomain = domain;
    lastDomainIsCustom = !EXECUTE_API_DOMAIN.test(domain);
  }
  return lastDomainIsCustom;
}

/** `$context.eventType`, else what the route key says (`$connect`, `$disconnect`, any other is a message). */
function webSocketEventOf(
  eventType: string | undefined,
  routeKey: string | undefined,
): Facts['webSocketEvent'] {
  const event = eventType?.toUpperCase();
  if (event === 'CONNECT' || event === 'MESSAGE' || event === 'DISCONNECT') return event;
  if (routeKey === undefined) return undefined;
  return routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
}

const toInteger = (text: string | undefined): number | undefined => {
  const status = text === undefined ? Number.NaN : Number(text);
  return Number.isInteger(status) ? status : undefined;
};

const NO_VALUES: Readonly<Partial<Record<AccessField, string>>> = {};

/** The request's facts, read once from whichever sources are present. */
class Facts {
  readonly access?: AccessRecord;
  readonly execution?: ExecutionEvidence;
  readonly responseType?: string;
  readonly message?: string;
  readonly method?: string;
  readonly path?: string;
  readonly stage?: string;
  readonly isHttpApi: boolean;
  /**
   * A WebSocket API's line: its format logs the connection id, event type or message id (or the
   * route is `$connect` / `$disconnect`), and no HTTP method or resource path.
   */
  readonly isWebSocket: boolean;
  readonly webSocketEvent?: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

  readonly values: Readonly<Partial<Record<AccessField, string>>>;

  constructor(private readonly input: RequestEvidence) {
    this.values = input.access?.values ?? NO_VALUES;
    this.access = input.access;
    this.execution = input.execution;
    this.responseType = this.values.errorResponseType;
    const rawMessage = this.values.errorMessage ?? this.values.errorMessageString;
    this.message = rawMessage === undefined ? undefined : unquote(rawMessage);
    this.method = (this.values.httpMethod ?? this.execution?.httpMethod)?.toUpperCase();
    this.path = this.values.path;
    this.stage = this.values.stage ?? this.execution?.stage ?? input.context.stage;
    const logged = this.access?.logged;
    const routeKey = this.values.routeKey;
    // WebSocket APIs have no HTTP method or resource path: a REST or HTTP line that happens to log a
    // `message_id` or an `event.type` stays what its method and path say it is.
    this.isWebSocket =
      logged !== undefined &&
      !logged.has('httpMethod') &&
      !logged.has('resourcePath') &&
      (logged.has('connectionId') ||
        logged.has('eventType') ||
        logged.has('messageId') ||
        routeKey === '$connect' ||
        routeKey === '$disconnect');
    this.isHttpApi = logged?.has('routeKey') === true && !logged.has('resourcePath') && !this.isWebSocket;
    if (this.isWebSocket) this.webSocketEvent = webSocketEventOf(this.values.eventType, routeKey);
  }

  value(field: AccessField): string | undefined {
    return this.values[field];
  }

  get status(): number | undefined {
    return toInteger(this.values.status) ?? this.execution?.methodStatus;
  }

  inScope(): boolean {
    if (this.access) {
      return (
        this.status === 403 ||
        (this.responseType !== undefined && FORBIDDEN_RESPONSE_TYPES.has(this.responseType))
      );
    }
    return this.execution !== undefined && hasForbiddenEvidence(this.execution);
  }

  /** The earliest evidence time; plain exported lines carry none but `$context.requestTimeEpoch`. */
  timestamp(): number {
    const eventTime = Math.min(
      this.input.context.timestamp,
      this.execution?.firstTimestamp ?? Number.POSITIVE_INFINITY,
    );
    if (eventTime > 0) return eventTime;
    const requestTime = toInteger(this.values.requestTimeEpoch);
    return isEventTime(requestTime) ? requestTime : eventTime;
  }

  /** The usage-plan reason: the execution line's, else what the access fields allow. */
  apiKeyReason(): InvalidApiKeyReason | undefined {
    if (this.execution?.usagePlanDenial) return this.execution.usagePlanDenial.reason;
    if (!this.access?.logged.has('apiKeyId')) return undefined;
    return this.values.apiKeyId === undefined ? 'missing' : 'unknown';
  }

  /** The fields among `fields` this line's format does not log, as `$context` variables. */
  missing(fields: readonly AccessField[]): string[] {
    return this.access ? fields.filter((field) => !this.access?.logged.has(field)).map(variableOf) : [];
  }

  toFinding(decision: Decision, redactText: (text: string) => string): Finding {
    const status = this.status ?? 403;
    const domain = this.values.domainName;
    const signals = this.signals(decision, status, domain);
    const sources = this.sources();
    const { values } = this;
    const resourcePath = values.resourcePath ?? values.routeKey ?? this.execution?.resourcePath;
    const { userAgent, apiKeyId } = values;
    // One literal with every key in the contract's order, an absent one undefined: every finding then
    // has one hidden class, and what reads findings (grouping, tallies, attribution) stays
    // monomorphic. Serialised, an undefined key is left out, as an unset one was.
    return {
      requestId: this.requestId(),
      extendedRequestId: values.extendedRequestId ?? this.execution?.extendedRequestId,
      category: decision.category,
      confidence: decision.confidence,
      reason: decision.reason,
      candidates: decision.candidates && decision.candidates.length > 1 ? decision.candidates : undefined,
      status,
      apiId: values.apiId ?? this.execution?.apiId ?? this.input.context.apiId ?? 'unknown',
      stage: this.stage ?? 'unknown',
      sources,
      timestamp: this.timestamp(),
      httpMethod: this.method,
      // The route template comes from the API definition, not from the caller: nothing to redact.
      resourcePath,
      path: ifSet(this.path, redactText),
      domainName: domain,
      sourceIp: values.sourceIp,
      userAgent: ifSet(userAgent, redactText),
      apiKeyId: ifSet(apiKeyId, maskApiKeyId),
      deploymentId: values.deploymentId,
      signals,
      // Left as logged (`unchanged`), the decision's own lines are the finding's: no copy per request.
      evidence: !decision.evidence
        ? NO_EVIDENCE
        : redactText === unchanged
          ? decision.evidence
          : decision.evidence.map(redactText),
      missingFields:
        decision.missingFields && decision.missingFields.length > 0 ? decision.missingFields : undefined,
    };
  }

  /** The decision's signals, then those the request adds, without repeats (`findingSignals`). */
  private signals(decision: Decision, status: number, domain: string | undefined): readonly string[] {
    const added =
      (status !== 403 ? REMAPPED_STATUS : 0) |
      (domain ? (isCustomDomain(domain) ? CUSTOM_DOMAIN : EXECUTE_API_DOMAIN_NAME) : 0) |
      (this.execution?.authorizerStarted ? AUTHORIZER_RAN : 0) |
      (this.isWebSocket ? WEBSOCKET_API : 0);
    return findingSignals(decision.signals ?? NO_SIGNALS, decision.reason, added);
  }

  private requestId(): string {
    const { values } = this;
    return (
      values.requestId ??
      this.execution?.requestId ??
      values.extendedRequestId ??
      this.input.context.eventId ??
      'unknown'
    );
  }

  private sources(): readonly EvidenceSource[] {
    if (this.access) return this.execution ? ACCESS_AND_EXECUTION : ACCESS_ONLY;
    return this.execution ? EXECUTION_ONLY : NO_SOURCES;
  }
}

const ifSet = (text: string | undefined, map: (text: string) => string): string | undefined =>
  text === undefined ? undefined : map(text);

function addOnce(signals: string[], signal: string): void {
  if (!signals.includes(signal)) signals.push(signal);
}

// The signals a request adds to its decision's, as bits of one number.
const REMAPPED_STATUS = 1;
const CUSTOM_DOMAIN = 2;
const EXECUTE_API_DOMAIN_NAME = 4;
const AUTHORIZER_RAN = 8;
const WEBSOCKET_API = 16;
/** Those added after the reason's, in this order. */
const SIGNALS_AFTER_REASON: readonly (readonly [number, string])[] = [
  [CUSTOM_DOMAIN, 'custom-domain'],
  [EXECUTE_API_DOMAIN_NAME, 'execute-api-domain'],
  [AUTHORIZER_RAN, 'authorizer-ran'],
  [WEBSOCKET_API, WEBSOCKET_SIGNAL],
];
const NO_SIGNALS: readonly string[] = Object.freeze([]);

/**
 * A finding's signal list: in first-seen order without repeats, the decision's, the reason's, then
 * those `added` names. A batch's findings carry a handful of distinct lists, so a list built from a
 * frozen decision list (the shared ones) is built once and shared (read-only); a decision's own
 * fresh list gets a fresh finding list. Bounded: cleared when full.
 */
function findingSignals(
  decided: readonly string[],
  reason: FindingReason | undefined,
  added: number,
): readonly string[] {
  if (!Object.isFrozen(decided)) return buildSignals(decided, reason, added);
  let byReason = FINDING_SIGNALS.get(decided);
  if (byReason === undefined) {
    if (FINDING_SIGNALS.size >= FINDING_SIGNALS_LIMIT) FINDING_SIGNALS.clear();
    byReason = new Map();
    FINDING_SIGNALS.set(decided, byReason);
  }
  let byAdded = byReason.get(reason);
  if (byAdded === undefined) {
    byAdded = [];
    byReason.set(reason, byAdded);
  }
  let signals = byAdded[added];
  if (signals === undefined) {
    signals = Object.freeze(buildSignals(decided, reason, added));
    byAdded[added] = signals;
  }
  return signals;
}
const FINDING_SIGNALS = new Map<
  readonly string[],
  Map<FindingReason | undefined, (readonly string[] | undefined)[]>
>();
const FINDING_SIGNALS_LIMIT = 1024;

function buildSignals(
  decided: readonly string[],
  reason: FindingReason | undefined,
  added: number,
): string[] {
  const signals: string[] = [];
  for (const signal of decided) addOnce(signals, signal);
  if (added & REMAPPED_STATUS) addOnce(signals, 'remapped-status');
  if (reason) addOnce(signals, reasonSignal(reason));
  for (const [bit, signal] of SIGNALS_AFTER_REASON) if (added & bit) addOnce(signals, signal);
  return signals;
}

/** `reason-{reason}`, one string per reason rather than one per request. */
const REASON_SIGNALS = new Map<FindingReason, string>();
function reasonSignal(reason: FindingReason): string {
  let signal = REASON_SIGNALS.get(reason);
  if (signal === undefined) {
    signal = `reason-${reason}`;
    REASON_SIGNALS.set(reason, signal);
  }
  return signal;
}

// Shared by every finding (their arrays are read-only): one allocation fewer per request.
const ACCESS_ONLY: readonly EvidenceSource[] = Object.freeze(['access']);
const EXECUTION_ONLY: readonly EvidenceSource[] = Object.freeze(['execution']);
const ACCESS_AND_EXECUTION: readonly EvidenceSource[] = Object.freeze(['access', 'execution']);
const NO_SOURCES: readonly EvidenceSource[] = Object.freeze([]);
const NO_EVIDENCE: readonly string[] = Object.freeze([]);

/**
 * `matchGatewayMessage` tries a dozen expressions on the text, and a batch carries a few distinct
 * messages: remember recent answers. Bounded: cleared when full.
 */
const GATEWAY_MATCHES = new Map<string, GatewayMessageMatch | null>();
const GATEWAY_MATCHES_LIMIT = 1024;

function matchGatewayMessageCached(message: string): GatewayMessageMatch | undefined {
  const cached = GATEWAY_MATCHES.get(message);
  if (cached !== undefined) return cached ?? undefined;
  const match = matchGatewayMessage(message);
  if (GATEWAY_MATCHES.size >= GATEWAY_MATCHES_LIMIT) GATEWAY_MATCHES.clear();
  GATEWAY_MATCHES.set(message, match ?? null);
  return match;
}

/**
 * Evidence lines built from one value a batch repeats (gateway messages, web ACLs, matched
 * resources): each list is built once and shared (read-only) by its findings. Bounded: cleared when
 * full.
 */
function cachedEvidence(build: (value: string) => string[]): (value: string) => readonly string[] {
  const lists = new Map<string, readonly string[]>();
  return (value) => {
    const cached = lists.get(value);
    if (cached !== undefined) return cached;
    const evidence = Object.freeze(build(value));
    if (lists.size >= GATEWAY_MATCHES_LIMIT) lists.clear();
    lists.set(value, evidence);
    return evidence;
  };
}
const messageEvidence = cachedEvidence((message) => [`gateway message: ${message}`]);
const aclEvidence = cachedEvidence((acl) => [`web ACL: ${acl}`]);

/** Candidate lists that depend on no value of the request: built once, shared read-only. */
function candidates(list: Candidate[]): readonly Candidate[] {
  return Object.freeze(list.map((candidate) => Object.freeze(candidate)));
}

/**
 * `redact` is a pure function of its text, and the same user agents, paths and evidence lines recur
 * across a batch: remember recent answers. Bounded: cleared when full.
 */
const REDACTED_TEXT = new Map<string, string>();
const REDACTED_TEXT_LIMIT = 4096;

export function redactCached(text: string): string {
  const cached = REDACTED_TEXT.get(text);
  if (cached !== undefined) return cached;
  const result = redact(text);
  if (REDACTED_TEXT.size >= REDACTED_TEXT_LIMIT) REDACTED_TEXT.clear();
  REDACTED_TEXT.set(text, result);
  return result;
}
