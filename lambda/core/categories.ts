/**
 * The stable category IDs of `docs/403-taxonomy.md`. They are metric dimension values, SNS
 * message attribute values and CLI output: never rename one.
 */
export const CATEGORIES = [
  'AUTHORIZER_EXPLICIT_DENY',
  'AUTHORIZER_POLICY_MISMATCH',
  'IAM_EXPLICIT_DENY',
  'IAM_NOT_AUTHORIZED',
  'RESOURCE_POLICY_DENY',
  'INVALID_SECURITY_TOKEN',
  'SECURITY_TOKEN_EXPIRED',
  'SIGNATURE_EXPIRED',
  'SIGNATURE_MISMATCH',
  'INCOMPLETE_SIGNATURE',
  'INVALID_API_KEY',
  'WAF_FILTERED',
  'MISSING_AUTHENTICATION_TOKEN',
  'ROUTE_NOT_FOUND',
  'STAGE_IN_CUSTOM_DOMAIN_PATH',
  'CORS_PREFLIGHT_REJECTED',
  'MTLS_CERTIFICATE_INVALID',
  'INTEGRATION_403',
  'UNCLASSIFIED',
  'PRIVATE_API_DNS',
  'DEFAULT_ENDPOINT_DISABLED',
  'NO_BASE_PATH_MAPPING',
  'INVALID_STAGE',
  'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
  'WEBSOCKET_CONNECT_IAM_DENY',
] as const;

export type Category = (typeof CATEGORIES)[number];

/** Rows 20 to 23: rejected before a stage exists, so no log subscription can see them. Later rows are seen in logs. */
export const CLIENT_ONLY_CATEGORIES: readonly Category[] = [
  'PRIVATE_API_DNS',
  'DEFAULT_ENDPOINT_DISABLED',
  'NO_BASE_PATH_MAPPING',
  'INVALID_STAGE',
];

export type Confidence = 'high' | 'medium' | 'low';

export type InvalidApiKeyReason = 'missing' | 'stage-not-in-usage-plan' | 'key-not-in-usage-plan' | 'unknown';
export type ResourcePolicyReason = 'explicit' | 'not-allowed';
export type FindingReason = InvalidApiKeyReason | ResourcePolicyReason;

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}
