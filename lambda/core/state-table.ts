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

/**
 * The group item's attributes besides the key and the TTL (GroupState, flattened). Every attribute
 * name counts towards the item's size, and a write costs one WCU per KB of the item: so the names are
 * short, the rings and sources are packed into one binary attribute each, and the group's key is only
 * in STATE_KEY_ATTRIBUTE (docs/pipeline.md, "The group item").
 */
export const GROUP_ATTRIBUTES = {
  /** Incremented by every write; each write is conditional on it. */
  version: 'v',
  lifecycle: 'l',
  firstSeenAt: 'f',
  lastSeenAt: 's',
  resolvedAt: 'ra',
  lastAlertAt: 'a',
  sinceAlert: 'n',
  usual: 'u',
  windowMs: 'wm',
  /** The window ring and the three hour rings, varint-packed (lambda/adapters/group-item.ts). */
  rings: 'r',
  /** The remembered top sources, length-prefixed UTF-8 and a varint count each. */
  topSources: 'src',
  deploymentId: 'd',
  /** The last writers' 32-bit tags, 4 bytes each. */
  recentBatches: 'rb',
  /** A batch id: binary when it is hex (16 bytes for batchIdOf's 32 digits), else a string. */
  lastBatch: 'lb',
  lastBatchAt: 'lt',
  pendingBatch: 'pb',
  pendingAt: 'pt',
  pendingLifecycle: 'pl',
  pendingReason: 'pr',
  pendingSuppressed: 'ps',
  previousAlertAt: 'pp',
} as const;

/**
 * The sweep's cursor item (key and attribute): where the last sweep run stopped its Scan, so that the
 * next run resumes there (lambda/adapters/state-store.ts `sweepGroups`, docs/pipeline.md "The sweep at scale").
 */
export const SWEEP_CURSOR_KEY = 'sweep#cursor';
export const SWEEP_CURSOR_ATTRIBUTE = 'c';
