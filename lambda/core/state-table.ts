/**
 * The state table's attribute names that both sides must agree on: the Lambda's adapter writes them
 * and the CDK table declares them (lib/apigw-403-monitor.ts).
 */

/** The partition key (a string): `group#…` and `batch#…` items share the table. */
export const STATE_KEY_ATTRIBUTE = 'pk';

/**
 * The TTL attribute, in epoch seconds. DynamoDB deletes an expired item within days, not at once, so
 * the handler treats an item whose `expiresAt` has passed as absent.
 */
export const STATE_TTL_ATTRIBUTE = 'expiresAt';
