import type { Category, FindingReason } from './categories.js';

/**
 * The decisive `$context.error.message` texts (also the client body `message`), one row per
 * wording, from the evidence file §2.6 and the knowledge-center 403 table.
 */
export interface GatewayMessageMatch {
  readonly category: Category;
  readonly reason?: FindingReason;
  readonly signals: readonly string[];
}

interface GatewayMessageRule {
  readonly pattern: RegExp;
  readonly match: (groups: RegExpExecArray) => GatewayMessageMatch;
}

const NO_SIGNALS: readonly string[] = Object.freeze([]);

// Signal lists are frozen: a finding shares its decision's list (classify.ts interns them).
const fixed = (category: Category, ...signals: string[]): (() => GatewayMessageMatch) => {
  const frozen = Object.freeze(signals);
  return () => ({ category, signals: frozen });
};

const GATEWAY_MESSAGE_RULES: readonly GatewayMessageRule[] = [
  {
    pattern: /^User is not authorized to access this resource with an explicit deny/,
    match: fixed('AUTHORIZER_EXPLICIT_DENY', 'explicit-deny'),
  },
  {
    pattern: /^User is not authorized to access this resource\.?$/,
    match: fixed('AUTHORIZER_POLICY_MISMATCH', 'no-matching-allow'),
  },
  {
    pattern:
      /^User: anonymous is not authorized to perform: execute-api:Invoke on resource: \S+?( with an explicit deny)?\.?$/,
    match: (groups) => ({
      category: 'RESOURCE_POLICY_DENY',
      reason: groups[1] ? 'explicit' : 'not-allowed',
      signals: Object.freeze(['anonymous-caller', groups[1] ? 'explicit-deny' : 'no-matching-allow']),
    }),
  },
  {
    pattern:
      /^User: \S+ is not authorized to perform: execute-api:Invoke on resource: \S+? with an explicit deny/,
    match: fixed('IAM_EXPLICIT_DENY', 'signed-caller', 'explicit-deny'),
  },
  {
    pattern: /^User: \S+ is not authorized to perform: execute-api:Invoke/,
    match: fixed('IAM_NOT_AUTHORIZED', 'signed-caller', 'no-matching-allow'),
  },
  {
    pattern: /The security token included in the request is invalid/,
    match: fixed('INVALID_SECURITY_TOKEN', 'signed-caller'),
  },
  {
    pattern: /The security token included in the request is expired/,
    match: fixed('SECURITY_TOKEN_EXPIRED', 'signed-caller'),
  },
  { pattern: /^Signature expired:/, match: fixed('SIGNATURE_EXPIRED', 'signed-caller') },
  {
    pattern: /^The request signature we calculated does not match the signature you provided/,
    match: fixed('SIGNATURE_MISMATCH', 'signed-caller'),
  },
  {
    pattern:
      /Authorization header requires 'Credential' parameter|not a valid key=value pair \(missing equal-sign\) in Authorization header/,
    match: (groups) => ({
      category: 'INCOMPLETE_SIGNATURE',
      signals: Object.freeze(
        /Bearer/i.test(groups.input)
          ? ['non-sigv4-authorization', 'bearer-token']
          : ['non-sigv4-authorization'],
      ),
    }),
  },
  {
    pattern: /^Invalid API Key identifier specified/,
    match: () => ({ category: 'INVALID_API_KEY', reason: 'unknown', signals: NO_SIGNALS }),
  },
];

export const MISSING_AUTHENTICATION_TOKEN_MESSAGE = 'Missing Authentication Token';
export const FORBIDDEN_MESSAGE = 'Forbidden';

/** The category a gateway message decides on its own, or `undefined` for ambiguous or unknown text. */
export function matchGatewayMessage(message: string): GatewayMessageMatch | undefined {
  const text = unquote(message.trim());
  for (const rule of GATEWAY_MESSAGE_RULES) {
    const groups = rule.pattern.exec(text);
    if (groups) return rule.match(groups);
  }
  return undefined;
}

/** `$context.error.messageString` is the message wrapped in quotes. */
export function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** Gateway response types whose default status is 403 (evidence §2.5). */
export const FORBIDDEN_RESPONSE_TYPES: ReadonlySet<string> = new Set([
  'ACCESS_DENIED',
  'EXPIRED_TOKEN',
  'INVALID_API_KEY',
  'INVALID_SIGNATURE',
  'MISSING_AUTHENTICATION_TOKEN',
  'WAF_FILTERED',
]);
