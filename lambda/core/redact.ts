/**
 * Removes credentials from text that may be echoed in an alert, a report or CLI output. Each rule
 * keeps the words around a secret (so a reader still sees *what* was sent) and replaces the secret
 * with a marker no rule matches again, which makes `redact` idempotent.
 */

export const REDACTED = '[redacted]';

interface RedactionRule {
  readonly name: string;
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

const keepPrefix = (_match: string, prefix: string): string => `${prefix}${REDACTED}`;

const RULES: readonly RedactionRule[] = [
  {
    name: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
    replace: () => REDACTED,
  },
  {
    // `<token> not a valid key=value pair (missing equal-sign) in Authorization header`: API Gateway
    // echoes the caller's token at the start of the message.
    name: 'echoed-authorization-token',
    pattern: /(^|[\s"'])(?!\[redacted\])[^\s"']+(?= not a valid key=value pair)/g,
    replace: (_match, lead) => `${lead}${REDACTED}`,
  },
  {
    // Case-sensitive on purpose: prose such as "security token included" must survive.
    name: 'authorization-scheme-credentials',
    pattern: /\b((?:Bearer|bearer|BEARER|Basic|Digest)\s+)(?!\[redacted\])[A-Za-z0-9\-._~+/]+=*/g,
    replace: keepPrefix,
  },
  {
    name: 'sigv4-signature',
    pattern: /\b((?:X-Amz-)?Signature=)(?!\[redacted\])[0-9a-fA-F]{16,}/g,
    replace: keepPrefix,
  },
  {
    name: 'security-token',
    pattern:
      /\b((?:x-amz-security-token|x-amz-session-token|securityToken|sessionToken)["']?\s*[:=]\s*["']?)(?!\[redacted\])[^\s"',;&}\]]+/gi,
    replace: keepPrefix,
  },
  {
    name: 'api-key-value',
    pattern:
      /\b((?:x-api-key|api[-_]?key|apikeyvalue)["']?\s*[:=]\s*["']?)(?!\[redacted\])(?!-["',}\s]|-$)[^\s"',;&}\]]+/gi,
    replace: keepPrefix,
  },
  {
    name: 'authorization-value',
    pattern:
      /\b(authorization["']?\s*[:=]\s*["']?)(?!\[redacted\])(?!(?:Bearer|Basic|Token|Digest|AWS4-HMAC-SHA256)\b)[^\s"',;&}\]]+/gi,
    replace: keepPrefix,
  },
  {
    name: 'aws-secret-access-key',
    pattern:
      /\b((?:aws_?secret_?access_?key|secretAccessKey|SecretAccessKey)["']?\s*[:=]\s*["']?)(?!\[redacted\])[A-Za-z0-9/+=]{20,}/gi,
    replace: keepPrefix,
  },
  {
    name: 'aws-access-key-id',
    pattern: /\b(?:AKIA|ASIA|AIDA|AROA|ABIA|ACCA|ANPA|ANVA|AGPA|APKA)[A-Z0-9]{16}\b/g,
    replace: () => REDACTED,
  },
  {
    // A bare 40-character secret access key: mixed case, digits, maybe `/` or `+`.
    name: 'aws-secret-shaped',
    pattern:
      /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=]))(?=[^\s]*[a-z])(?=[^\s]*[A-Z])(?=[^\s]*[0-9])[A-Za-z0-9/+]{40}/g,
    replace: () => REDACTED,
  },
];

/** Returns `text` with every recognised credential replaced by `[redacted]`. Idempotent. */
export function redact(text: string): string {
  let result = text;
  for (const rule of RULES) result = result.replace(rule.pattern, rule.replace as (match: string) => string);
  return result;
}

/** An API key id masked to its last four characters, enough to tell keys apart in an alert. */
export function maskApiKeyId(id: string): string {
  if (id.startsWith('****')) return id;
  return id.length <= 4 ? '****' : `****${id.slice(-4)}`;
}
