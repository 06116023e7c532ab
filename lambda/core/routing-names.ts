/**
 * The names a message's `apiId`, `stage` and `account` attributes carry, which routes' filter policies
 * match exactly (lib/routes.ts): one definition for the monitor and the digest function, which
 * publish them, and the deploy-time route schema, which refuses a value no message can carry. Pure.
 */
import { ACCOUNT_ID_PATTERN, API_ID_PATTERN, STAGE_NAME_PATTERN } from './gateway-ids.js';
import { redactName } from './redact.js';

/** API Gateway's own spelling of each routed name. */
export const ROUTING_NAME_PATTERNS = {
  apiId: API_ID_PATTERN,
  stage: STAGE_NAME_PATTERN,
  account: ACCOUNT_ID_PATTERN,
} as const;
export type RoutingNameKey = keyof typeof ROUTING_NAME_PATTERNS;

/**
 * Whether an attribute carries `value` as written: spelled as API Gateway spells it, and left alone
 * by `redactName` (alerts carry only redacted text, attributes too: a stage shaped like a credential is
 * published in its redacted display form, so no route can name it).
 */
export function isRoutingName(key: RoutingNameKey, value: string): boolean {
  return ROUTING_NAME_PATTERNS[key].test(value) && redactName(value) === value;
}
