import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CATEGORIES, type Category } from '../core/categories.js';
import {
  type GroupKey,
  type GroupState,
  groupItemKey,
  HOUR_SLOTS,
  LIFECYCLE_ITEM_PREFIX,
  PERIOD_SLOTS,
  type PendingAlert,
  RECENT_BATCHES,
  type Ring,
  WINDOW_SLOTS,
} from '../core/lifecycle.js';
import { LIFECYCLES, type Lifecycle } from '../core/noise-policy.js';
import { GROUP_ATTRIBUTES as G, STATE_KEY_ATTRIBUTE, STATE_TTL_ATTRIBUTE } from '../core/state-table.js';

/**
 * The group item's layout (`group#…`, STATE_KEY_ATTRIBUTE): the compact one GROUP_ATTRIBUTES names,
 * written by every write, and the one before it (LEGACY), still read, so that a deploy over a live
 * table keeps every group's state; the first write of a legacy item rewrites it in the compact layout.
 */

/** The layout before GROUP_ATTRIBUTES: long names, 32-bit ring slots, the key spelt out again. */
const LEGACY = {
  version: 'version',
  account: 'account',
  apiId: 'apiId',
  stage: 'stage',
  category: 'category',
  lifecycle: 'lifecycle',
  firstSeenAt: 'firstSeenAt',
  lastSeenAt: 'lastSeenAt',
  resolvedAt: 'resolvedAt',
  lastAlertAt: 'lastAlertAt',
  sinceAlert: 'sinceAlert',
  usual: 'usual',
  windowMs: 'windowMs',
  windows: 'windows',
  windowsEnd: 'windowsEnd',
  hourCounts: 'hourCounts',
  hourCountsEnd: 'hourCountsEnd',
  hourMuted: 'hourMuted',
  hourMutedEnd: 'hourMutedEnd',
  hourAlerts: 'hourAlerts',
  hourAlertsEnd: 'hourAlertsEnd',
  topSources: 'topSources',
  deploymentId: 'deploymentId',
  recentBatches: 'recentBatches',
  lastBatch: 'lastBatch',
  lastBatchAt: 'lastBatchAt',
  pendingBatch: 'pendingBatch',
  pendingAt: 'pendingAt',
  pendingLifecycle: 'pendingLifecycle',
  pendingReason: 'pendingReason',
  pendingSuppressed: 'pendingSuppressed',
  previousAlertAt: 'previousAlertAt',
} as const;

/** The longest ring a compact item may spell (a corrupt length must not allocate more). */
const MAX_RING_SLOTS = Math.max(WINDOW_SLOTS, HOUR_SLOTS);

/** Whether the item is in the layout before GROUP_ATTRIBUTES (it has no compact version). */
export function isLegacyGroupItem(item: Record<string, AttributeValue>): boolean {
  return item[G.version] === undefined;
}

// ---- varints: unsigned LEB128, up to 2^53 (arithmetic, not 32-bit bit operators) ----

class ByteWriter {
  private readonly bytes: number[] = [];

  varint(value: number): this {
    let rest = Math.max(0, Math.floor(value));
    while (rest >= 0x80) {
      this.bytes.push((rest % 0x80) + 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.bytes.push(rest);
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.varint(bytes.byteLength);
    for (const byte of bytes) this.bytes.push(byte);
    return this;
  }

  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** Reads what ByteWriter wrote; past the end (a truncated or foreign value) it reads zeros. */
class ByteReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get atEnd(): boolean {
    return this.offset >= this.bytes.byteLength;
  }

  varint(): number {
    let value = 0;
    for (let scale = 1; this.offset < this.bytes.byteLength && scale <= 2 ** 49; scale *= 0x80) {
      const byte = this.bytes[this.offset] ?? 0;
      this.offset += 1;
      value += (byte % 0x80) * scale;
      if (byte < 0x80) break;
    }
    return value;
  }

  raw(): Uint8Array {
    const length = Math.min(this.varint(), this.bytes.byteLength - this.offset);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

// ---- rings: end, length, then the slots from the first non-zero one (older zeros are implied) ----

function writeRing(writer: ByteWriter, ring: Ring, size: number): void {
  const counts = newest(ring.counts, size);
  const first = counts.findIndex((count) => count > 0);
  const kept = first < 0 ? [] : counts.slice(first);
  writer.varint(ring.end).varint(size).varint(kept.length);
  for (const count of kept) writer.varint(count);
}

function readRing(reader: ByteReader): Ring {
  const end = reader.varint();
  const size = Math.min(MAX_RING_SLOTS, reader.varint());
  const kept = Math.min(size, reader.varint());
  const counts = new Array<number>(size).fill(0);
  for (let index = size - kept; index < size; index += 1) counts[index] = reader.varint();
  return { end, counts };
}

/** The newest `size` slots of `counts`, older ones zero when there are fewer. */
function newest(counts: readonly number[], size: number): number[] {
  const kept = counts.slice(-size);
  return [...new Array<number>(size - kept.length).fill(0), ...kept];
}

function ringsBytes(state: GroupState): Uint8Array {
  const writer = new ByteWriter();
  writeRing(writer, state.windows, Math.max(1, Math.min(WINDOW_SLOTS, state.windows.counts.length)));
  writeRing(writer, state.hours.counts, HOUR_SLOTS);
  writeRing(writer, state.hours.muted, PERIOD_SLOTS);
  writeRing(writer, state.hours.alerts, PERIOD_SLOTS);
  return writer.done();
}

function ringsOf(bytes: Uint8Array | undefined): Pick<GroupState, 'windows' | 'hours'> {
  const reader = new ByteReader(bytes ?? new Uint8Array());
  const windows = readRing(reader);
  const sized = (ring: Ring, size: number): Ring => ({ end: ring.end, counts: newest(ring.counts, size) });
  return {
    windows: sized(windows, Math.max(1, Math.min(WINDOW_SLOTS, windows.counts.length))),
    hours: {
      counts: sized(readRing(reader), HOUR_SLOTS),
      muted: sized(readRing(reader), PERIOD_SLOTS),
      alerts: sized(readRing(reader), PERIOD_SLOTS),
    },
  };
}

function sourcesBytes(sources: GroupState['topSources']): Uint8Array {
  const writer = new ByteWriter();
  for (const { value, count } of sources) writer.raw(new TextEncoder().encode(value)).varint(count);
  return writer.done();
}

function sourcesOf(bytes: Uint8Array | undefined): { value: string; count: number }[] {
  const reader = new ByteReader(bytes ?? new Uint8Array());
  const sources: { value: string; count: number }[] = [];
  while (!reader.atEnd)
    sources.push({ value: new TextDecoder().decode(reader.raw()), count: reader.varint() });
  return sources;
}

/** A batch id as the item keeps it: hex ids (batchIdOf's) in half the bytes. */
function batchIdValue(batchId: string): AttributeValue {
  return /^(?:[0-9a-f]{2})+$/.test(batchId)
    ? { B: Uint8Array.from(Buffer.from(batchId, 'hex')) }
    : { S: batchId };
}

function batchIdOfValue(value: AttributeValue | undefined): string | undefined {
  return value?.B ? Buffer.from(value.B).toString('hex') : value?.S;
}

// ---- the compact layout ----

/** The group item's attributes (undefined: absent), besides its key. */
function groupAttributes(state: GroupState): Record<string, AttributeValue | undefined> {
  const pending = state.pending;
  return {
    [G.lifecycle]: { S: state.lifecycle },
    [G.firstSeenAt]: number(state.firstSeenAt),
    [G.lastSeenAt]: number(state.lastSeenAt),
    [G.resolvedAt]: optionalNumber(state.resolvedAt),
    [G.lastAlertAt]: optionalNumber(state.lastAlertAt),
    [G.sinceAlert]: number(state.sinceAlert),
    [G.usual]: optionalNumber(state.usual),
    [G.windowMs]: number(state.windowMs),
    [G.rings]: { B: ringsBytes(state) },
    [G.topSources]: state.topSources.length > 0 ? { B: sourcesBytes(state.topSources) } : undefined,
    [G.deploymentId]: state.deploymentId === undefined ? undefined : { S: state.deploymentId },
    [G.recentBatches]:
      state.recentBatches && state.recentBatches.length > 0
        ? { B: tagBytes(state.recentBatches) }
        : undefined,
    [G.lastBatch]: state.lastBatch === undefined ? undefined : batchIdValue(state.lastBatch),
    [G.lastBatchAt]: optionalNumber(state.lastBatchAt),
    [G.pendingBatch]: pending ? batchIdValue(pending.batchId) : undefined,
    [G.pendingAt]: pending ? number(pending.alertedAt) : undefined,
    [G.pendingLifecycle]: pending?.lifecycle ? { S: pending.lifecycle } : undefined,
    [G.pendingReason]: pending?.reason ? { S: pending.reason } : undefined,
    [G.pendingSuppressed]: pending ? number(pending.suppressedSinceLast) : undefined,
    [G.previousAlertAt]: optionalNumber(pending?.lastAlertAt),
    [STATE_TTL_ATTRIBUTE]: number(state.expiresAt),
    [G.version]: number(state.version),
  };
}

/** The whole item that holds `state` (what a Scan returns; its size is what a write costs). */
export function groupItem(key: GroupKey, state: GroupState): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = { [STATE_KEY_ATTRIBUTE]: { S: groupItemKey(key) } };
  for (const [name, value] of Object.entries(groupAttributes(state))) if (value) item[name] = value;
  return item;
}

/**
 * The UpdateItem that makes the group's item `state` if it is still at `version` (absent when
 * undefined). `legacy`: the item read was in the layout before, so the write is conditional on its
 * version attribute and removes its attributes.
 */
export function groupWrite(
  state: GroupState,
  version: number | undefined,
  legacy: boolean,
): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
} {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const alias = (name: string) => {
    const token = `#${name}`;
    names[token] = name;
    return token;
  };
  const set: string[] = [];
  const remove: string[] = [];
  for (const [name, value] of Object.entries(groupAttributes(state))) {
    if (value === undefined) remove.push(alias(name));
    else {
      set.push(`${alias(name)} = :${name}`);
      values[`:${name}`] = value;
    }
  }
  let condition: string;
  if (version === undefined) condition = `attribute_not_exists(${alias(STATE_KEY_ATTRIBUTE)})`;
  else if (legacy) {
    remove.push(...Object.values(LEGACY).map(alias));
    // The cooldown-only monitor's items had no version: they read as version 0.
    const unversioned = version === 0 ? ` OR attribute_not_exists(${alias(LEGACY.version)})` : '';
    condition = `attribute_not_exists(${alias(G.version)}) AND (${alias(LEGACY.version)} = :expected${unversioned})`;
    values[':expected'] = number(version);
  } else {
    condition = `${alias(G.version)} = :expected`;
    values[':expected'] = number(version);
  }
  return {
    UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The group an item holds, from its key alone (legacy items: from their key attributes, which must spell it). */
export function groupKeyOfItem(item: Record<string, AttributeValue>): GroupKey | undefined {
  const pk = item[STATE_KEY_ATTRIBUTE]?.S;
  if (pk === undefined || !pk.startsWith(LIFECYCLE_ITEM_PREFIX)) return undefined;
  const key = isLegacyGroupItem(item) ? legacyKeyOf(item) : keyOfParts(pk);
  // The sweep writes back to the key it rebuilds: an item whose key does not spell itself is not a group.
  return key && groupItemKey(key) === pk ? key : undefined;
}

/** groupItemKey's parts, unescaped: `[account#]apiId#stage#category`. */
function keyOfParts(pk: string): GroupKey | undefined {
  const parts = pk
    .slice(LIFECYCLE_ITEM_PREFIX.length)
    .split('#')
    .map((part) => part.replace(/%2[35]/g, (code) => (code === '%23' ? '#' : '%')));
  const [category, stage, apiId, account, ...more] = parts.reverse();
  if (more.length > 0 || apiId === undefined || stage === undefined || !isCategory(category))
    return undefined;
  return { ...(account === undefined ? {} : { account }), apiId, stage, category };
}

function legacyKeyOf(item: Record<string, AttributeValue>): GroupKey | undefined {
  const apiId = item[LEGACY.apiId]?.S;
  const stage = item[LEGACY.stage]?.S;
  const category = item[LEGACY.category]?.S;
  if (apiId === undefined || stage === undefined || !isCategory(category)) return undefined;
  const account = item[LEGACY.account]?.S;
  return { ...(account === undefined ? {} : { account }), apiId, stage, category };
}

function isCategory(value: string | undefined): value is Category {
  return CATEGORIES.includes(value as Category);
}

/** The state an item of either layout holds. */
export function groupState(item: Record<string, AttributeValue>): GroupState {
  return isLegacyGroupItem(item) ? legacyGroupState(item) : compactGroupState(item);
}

function compactGroupState(item: Record<string, AttributeValue>): GroupState {
  const n = (name: string) => numberOf(item, name);
  return {
    lifecycle: lifecycleOf(item[G.lifecycle]?.S) ?? 'resolved',
    firstSeenAt: n(G.firstSeenAt) ?? 0,
    lastSeenAt: n(G.lastSeenAt) ?? 0,
    sinceAlert: n(G.sinceAlert) ?? 0,
    windowMs: n(G.windowMs) ?? 0,
    ...ringsOf(item[G.rings]?.B),
    topSources: sourcesOf(item[G.topSources]?.B),
    version: n(G.version) ?? 0,
    expiresAt: n(STATE_TTL_ATTRIBUTE) ?? 0,
    ...optionalStateOf(item, G, (value) => batchIdOfValue(value)),
  };
}

/** The state a legacy item holds; an item of the older cooldown shape reads as a group with no history. */
function legacyGroupState(item: Record<string, AttributeValue>): GroupState {
  const n = (name: string) => numberOf(item, name);
  const lastAlertAt = n(LEGACY.lastAlertAt);
  // An item the cooldown-only monitor wrote has no lifecycle: its last alert is its last sight, so
  // the upgrade does not make every known group new again.
  const cooldown = item[LEGACY.lifecycle] === undefined && lastAlertAt !== undefined;
  return {
    lifecycle: lifecycleOf(item[LEGACY.lifecycle]?.S) ?? (cooldown ? 'ongoing' : 'resolved'),
    firstSeenAt: n(LEGACY.firstSeenAt) ?? 0,
    lastSeenAt: n(LEGACY.lastSeenAt) ?? (cooldown ? lastAlertAt : 0),
    sinceAlert: n(LEGACY.sinceAlert) ?? 0,
    windowMs: n(LEGACY.windowMs) ?? 0,
    windows: legacyWindowRingOf(item),
    hours: {
      counts: legacyRingOf(item[LEGACY.hourCounts]?.B, n(LEGACY.hourCountsEnd), HOUR_SLOTS),
      muted: legacyRingOf(item[LEGACY.hourMuted]?.B, n(LEGACY.hourMutedEnd), PERIOD_SLOTS),
      alerts: legacyRingOf(item[LEGACY.hourAlerts]?.B, n(LEGACY.hourAlertsEnd), PERIOD_SLOTS),
    },
    topSources: legacyTopSourcesOf(item[LEGACY.topSources]?.S),
    version: n(LEGACY.version) ?? 0,
    expiresAt: n(STATE_TTL_ATTRIBUTE) ?? 0,
    ...optionalStateOf(item, LEGACY, (value) => value?.S),
  };
}

/**
 * A stored ring as a ring of `size` slots, its newest slot last: a ring stored with fewer slots (an
 * item written before the rings grew) keeps its hours, the older slots empty; one with more keeps
 * its newest `size`.
 */
function legacyRingOf(bytes: Uint8Array | undefined, end: number | undefined, size: number): Ring {
  const counts = new Array<number>(size).fill(0);
  if (bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const stored = Math.floor(bytes.byteLength / 4);
    const skipped = Math.max(0, stored - size);
    const offset = Math.max(0, size - stored);
    for (let index = skipped; index < stored; index += 1)
      counts[offset + index - skipped] = view.getUint32(index * 4);
  }
  return { end: end ?? 0, counts };
}

/** The window ring as long as the item wrote it (its policy's baseline), within 1 to WINDOW_SLOTS slots. */
function legacyWindowRingOf(item: Record<string, AttributeValue>): Ring {
  const bytes = item[LEGACY.windows]?.B;
  const slots = Math.max(1, Math.min(WINDOW_SLOTS, Math.floor((bytes?.byteLength ?? 0) / 4)));
  return legacyRingOf(bytes, numberOf(item, LEGACY.windowsEnd), slots);
}

function legacyTopSourcesOf(text: string | undefined): { value: string; count: number }[] {
  try {
    const parsed: unknown = JSON.parse(text ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((entry: unknown) =>
      Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number'
        ? [{ value: entry[0], count: entry[1] }]
        : [],
    );
  } catch {
    return [];
  }
}

/** The names of the optional fields, the same in both layouts' name tables. */
type OptionalNames = Pick<
  typeof G,
  | 'resolvedAt'
  | 'lastAlertAt'
  | 'deploymentId'
  | 'recentBatches'
  | 'lastBatch'
  | 'usual'
  | 'lastBatchAt'
  | 'pendingBatch'
  | 'pendingAt'
  | 'pendingLifecycle'
  | 'pendingReason'
  | 'pendingSuppressed'
  | 'previousAlertAt'
>;

/** The state's optional fields: each present only when the item holds its attribute. */
function optionalStateOf(
  item: Record<string, AttributeValue>,
  names: { readonly [field in keyof OptionalNames]: string },
  batchIdOf: (value: AttributeValue | undefined) => string | undefined,
): Partial<GroupState> {
  const n = (name: string) => numberOf(item, name);
  const resolvedAt = n(names.resolvedAt);
  const lastAlertAt = n(names.lastAlertAt);
  const deploymentId = item[names.deploymentId]?.S;
  const recentBatches = tagsOf(item[names.recentBatches]?.B);
  const lastBatch = batchIdOf(item[names.lastBatch]);
  const usual = n(names.usual);
  const lastBatchAt = n(names.lastBatchAt);
  const pending = pendingAlertOf(item, names, batchIdOf);
  return {
    ...(resolvedAt === undefined ? {} : { resolvedAt }),
    ...(lastAlertAt === undefined ? {} : { lastAlertAt }),
    ...(deploymentId === undefined ? {} : { deploymentId }),
    ...(recentBatches.length === 0 ? {} : { recentBatches }),
    ...(lastBatch === undefined ? {} : { lastBatch }),
    ...(usual === undefined ? {} : { usual }),
    ...(lastBatchAt === undefined ? {} : { lastBatchAt }),
    ...(pending === undefined ? {} : { pending }),
  };
}

/** The alert the item's last batch claimed: none unless both its batch and its time are there. */
function pendingAlertOf(
  item: Record<string, AttributeValue>,
  names: { readonly [field in keyof OptionalNames]: string },
  batchIdOf: (value: AttributeValue | undefined) => string | undefined,
): PendingAlert | undefined {
  const pendingBatch = batchIdOf(item[names.pendingBatch]);
  const pendingAt = numberOf(item, names.pendingAt);
  if (pendingBatch === undefined || pendingAt === undefined) return undefined;
  const lifecycle = lifecycleOf(item[names.pendingLifecycle]?.S);
  const reason = item[names.pendingReason]?.S;
  const lastAlertAt = numberOf(item, names.previousAlertAt);
  return {
    batchId: pendingBatch,
    alertedAt: pendingAt,
    suppressedSinceLast: numberOf(item, names.pendingSuppressed) ?? 0,
    firstSeen: lifecycle === 'new',
    ...(lifecycle === undefined ? {} : { lifecycle }),
    ...(reason === undefined ? {} : { reason }),
    ...(lastAlertAt === undefined ? {} : { lastAlertAt }),
  };
}

function lifecycleOf(value: string | undefined): Lifecycle | undefined {
  return LIFECYCLES.find((lifecycle) => lifecycle === value);
}

/** The newest RECENT_BATCHES tags, 4 bytes each, oldest first. */
function tagBytes(tags: readonly number[]): Uint8Array {
  const kept = tags.slice(-RECENT_BATCHES);
  const bytes = new Uint8Array(kept.length * 4);
  const view = new DataView(bytes.buffer);
  kept.forEach((tag, index) => {
    view.setUint32(index * 4, tag);
  });
  return bytes;
}

function tagsOf(bytes: Uint8Array | undefined): number[] {
  if (!bytes) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.min(RECENT_BATCHES, Math.floor(bytes.byteLength / 4));
  const first = Math.floor(bytes.byteLength / 4) - count;
  return Array.from({ length: count }, (_, index) => view.getUint32((first + index) * 4));
}

export function number(value: number): AttributeValue {
  return { N: String(value) };
}

function optionalNumber(value: number | undefined): AttributeValue | undefined {
  return value === undefined ? undefined : number(value);
}

export function numberOf(item: Record<string, AttributeValue>, name: string): number | undefined {
  const value = item[name]?.N;
  return value === undefined ? undefined : Number(value);
}
