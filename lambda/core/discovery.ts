/**
 * Account-wide mode: which log group belongs to which API stage, read from API Gateway itself (each
 * stage's access-log destination, the execution group name), and the subscription filters that keep
 * those groups subscribed to the monitor. Pure: the discovery function (lambda/discovery-handler.ts)
 * lists the stages and the filters, this module decides; the monitor reads the stored mapping.
 */
import {
  accessLogFilterPattern,
  executionLogFilterPattern,
  patternOptionsFor,
} from '../../lib/filter-patterns.js';
import { executionLogGroupName } from './execution-log.js';

/** The state-table item holding the mapping (one item: the monitor reads it with one GetItem). */
export const DISCOVERY_ITEM_KEY = 'discovery#mapping';
/**
 * Attributes of that item: the mapping as JSON, the start time of the sweep that wrote it, and the set
 * of groups that may carry one of the function's filters.
 */
export const DISCOVERY_MAPPING_ATTRIBUTE = 'mapping';
export const DISCOVERY_GENERATION_ATTRIBUTE = 'generation';
export const DISCOVERY_SUBSCRIBED_ATTRIBUTE = 'subscribedGroups';
/**
 * Filters the discovery function creates are named with this prefix (and point at the monitor): a
 * filter whose name or destination differs is someone else's and is never changed or removed.
 */
export const DEFAULT_FILTER_NAME_PREFIX = 'apigw-403-monitor-discovered';
/** CloudWatch Logs allows two subscription filters per log group (an account policy is not one of them). */
export const MAX_FILTERS_PER_GROUP = 2;
/** A DynamoDB item holds 400 KB; the mapping stays well under it, or the sweep fails saying so. */
export const MAX_MAPPING_BYTES = 350_000;

export type ApiKind = 'rest' | 'http' | 'websocket';

/** One stage as API Gateway describes it (GetStages of a REST API, or of an HTTP/WebSocket API). */
export interface StageDescription {
  readonly kind: ApiKind;
  readonly apiId: string;
  readonly stage: string;
  readonly accessLogDestinationArn?: string;
  readonly accessLogFormat?: string;
  /** REST only: `*\/*` logging level INFO or ERROR, so `API-Gateway-Execution-Logs_{id}/{stage}` is written. */
  readonly executionLogging?: boolean;
}

/** A discovered stage in the shape the monitor watches (lambda/adapters/env-config.ts `WatchedStage`). */
export interface DiscoveredStage {
  readonly kind: ApiKind;
  readonly apiId: string;
  readonly stage: string;
  readonly accessLogGroup?: string;
  readonly executionLogs: boolean;
}

/** What the discovery function stores and the monitor reads. */
export interface DiscoveryMapping {
  readonly version: 1;
  /** Epoch ms at which the sweep that found it started. */
  readonly generatedAt: number;
  readonly stages: readonly DiscoveredStage[];
}

/** `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/x` (optionally `:*`) -> the name. */
export function logGroupOfArn(arn: string): string | undefined {
  const match = /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:([^:*]+)(?::\*)?$/.exec(arn);
  return match?.[1];
}

/** The stages as the monitor watches them; an excluded API id, or a stage that logs nothing, is left out. */
export function discoveredStages(
  described: readonly StageDescription[],
  excludeApiIds: ReadonlySet<string> = new Set(),
): DiscoveredStage[] {
  const stages: DiscoveredStage[] = [];
  const seen = new Set<string>();
  for (const entry of described) {
    if (excludeApiIds.has(entry.apiId)) continue;
    const key = `${entry.apiId}/${entry.stage}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const accessLogGroup = entry.accessLogDestinationArn
      ? logGroupOfArn(entry.accessLogDestinationArn)
      : undefined;
    const executionLogs = entry.kind === 'rest' && entry.executionLogging === true;
    if (!accessLogGroup && !executionLogs) continue;
    stages.push({
      kind: entry.kind,
      apiId: entry.apiId,
      stage: entry.stage,
      ...(accessLogGroup ? { accessLogGroup } : {}),
      executionLogs,
    });
  }
  return stages.sort((a, b) => (a.apiId + a.stage < b.apiId + b.stage ? -1 : 1));
}

/**
 * The filter pattern each group needs. An access group gets the pattern of its stage's format (several
 * stages with different formats in one group: the text pattern, a superset the classifier narrows);
 * an execution group is subscribed only for a REST stage without an access log, as the construct does
 * (with an access log, the access line counts the request and the lookup fetches its execution lines).
 */
export function desiredFilters(
  described: readonly StageDescription[],
  stages: readonly DiscoveredStage[],
): Map<string, string> {
  const formats = new Map(described.map((entry) => [`${entry.apiId}/${entry.stage}`, entry.accessLogFormat]));
  const patterns = new Map<string, string>();
  for (const stage of stages) {
    if (stage.accessLogGroup) {
      const pattern = accessPatternOf(formats.get(`${stage.apiId}/${stage.stage}`));
      const earlier = patterns.get(stage.accessLogGroup);
      patterns.set(
        stage.accessLogGroup,
        earlier === undefined || earlier === pattern ? pattern : accessLogFilterPattern({ format: 'text' }),
      );
    } else if (stage.executionLogs) {
      patterns.set(executionLogGroupName(stage.apiId, stage.stage), executionLogFilterPattern());
    }
  }
  return patterns;
}

function accessPatternOf(format: string | undefined): string {
  if (format === undefined) return accessLogFilterPattern({ format: 'text' });
  try {
    return accessLogFilterPattern(patternOptionsFor(format));
  } catch {
    // A pattern over CloudWatch Logs' length limit (very long key paths): the term pattern still selects.
    return accessLogFilterPattern({ format: 'text' });
  }
}

/** A subscription filter as DescribeSubscriptionFilters lists it. */
export interface ExistingFilter {
  readonly filterName?: string;
  readonly destinationArn?: string;
  readonly filterPattern?: string;
}

export interface SubscriptionPlanInput {
  /** Group -> pattern, for every group that should deliver to the monitor. */
  readonly desired: ReadonlyMap<string, string>;
  /** Group -> its filters, for every desired group and every group subscribed before; 'missing': no such group. */
  readonly described: ReadonlyMap<string, readonly ExistingFilter[] | 'missing'>;
  readonly destinationArn: string;
  readonly filterNamePrefix: string;
}

export interface SubscriptionPlan {
  readonly put: readonly { logGroup: string; filterName: string; filterPattern: string }[];
  readonly remove: readonly { logGroup: string; filterName: string }[];
  /** Desired groups whose two filters are someone else's: not subscribed, with those filters' names. */
  readonly full: readonly { logGroup: string; filters: readonly string[] }[];
  /** Desired groups that do not exist yet (a stage names a group nothing has written to). */
  readonly missing: readonly string[];
  /** The groups that carry one of this monitor's discovery filters once the plan is applied. */
  readonly subscribed: readonly string[];
  /** Described groups that carry none of them once it is applied (missing ones included). */
  readonly released: readonly string[];
}

/**
 * What to create, update and remove so that every desired group delivers to the monitor exactly once.
 * Only filters named with the prefix AND pointing at the monitor are ours; a filter of another owner is
 * never touched, and one pointing at the monitor under another name (the construct's own, for a stage
 * listed in `apis[]`) already covers its group.
 */
export function planSubscriptions(input: SubscriptionPlanInput): SubscriptionPlan {
  const plan = { put: [], remove: [], full: [], missing: [], subscribed: [], released: [] } as {
    -readonly [K in keyof SubscriptionPlan]: SubscriptionPlan[K][number][];
  };
  for (const [logGroup, filters] of [...input.described].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const pattern = input.desired.get(logGroup);
    if (filters === 'missing') {
      if (pattern !== undefined) plan.missing.push(logGroup);
      plan.released.push(logGroup);
      continue;
    }
    const ours = filters.filter(
      (filter) =>
        filter.destinationArn === input.destinationArn &&
        (filter.filterName ?? '').startsWith(input.filterNamePrefix),
    );
    const coveredElsewhere = filters.some(
      (filter) => filter.destinationArn === input.destinationArn && !ours.includes(filter),
    );
    const wanted = pattern !== undefined && !coveredElsewhere;
    const [keep, ...extra] = wanted ? ours : [];
    for (const filter of wanted ? extra : ours)
      plan.remove.push({ logGroup, filterName: filter.filterName ?? '' });
    if (!wanted) plan.released.push(logGroup);
    else planGroup(plan, { logGroup, pattern, keep, filters, filterName: input.filterNamePrefix });
  }
  return plan;
}

/** A desired group without another filter to the monitor: keep (or update) ours, take a free slot, or report it full. */
function planGroup(
  plan: {
    put: SubscriptionPlan['put'][number][];
    full: SubscriptionPlan['full'][number][];
    subscribed: string[];
    released: string[];
  },
  group: {
    logGroup: string;
    pattern: string;
    keep: ExistingFilter | undefined;
    filters: readonly ExistingFilter[];
    filterName: string;
  },
): void {
  const { logGroup, pattern, keep, filters } = group;
  if (keep) {
    if (keep.filterPattern !== pattern)
      plan.put.push({ logGroup, filterName: keep.filterName ?? group.filterName, filterPattern: pattern });
    plan.subscribed.push(logGroup);
  } else if (filters.length >= MAX_FILTERS_PER_GROUP) {
    plan.full.push({ logGroup, filters: filters.map((filter) => filter.filterName ?? '') });
    plan.released.push(logGroup);
  } else {
    plan.put.push({ logGroup, filterName: freeName(group.filterName, filters), filterPattern: pattern });
    plan.subscribed.push(logGroup);
  }
}

/** PutSubscriptionFilter replaces a filter of the same name: ours never takes a name the group already has. */
function freeName(prefix: string, filters: readonly ExistingFilter[]): string {
  const taken = new Set(filters.map((filter) => filter.filterName));
  let name = prefix;
  for (let n = 1; taken.has(name); n += 1) name = `${prefix}-${n}`;
  return name;
}

/** The stored JSON of a mapping, refused when it would not fit the item. */
export function encodeMapping(mapping: DiscoveryMapping): string {
  const text = JSON.stringify(mapping);
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_MAPPING_BYTES) {
    throw new Error(
      `the discovered mapping of ${mapping.stages.length} stages is ${bytes} bytes, over the ${MAX_MAPPING_BYTES} one state-table item holds: exclude API ids (accountWide.excludeApiIds) or list the stages in apis[]`,
    );
  }
  return text;
}

const STAGE_KINDS: readonly string[] = ['rest', 'http', 'websocket'];

/** The stored mapping, or undefined when the text is not one (a foreign or damaged item is not trusted). */
export function decodeMapping(text: string | undefined): DiscoveryMapping | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const value = parsed as Partial<DiscoveryMapping> | null;
  if (value?.version !== 1 || !Array.isArray(value.stages) || typeof value.generatedAt !== 'number')
    return undefined;
  const stages = value.stages.filter(
    (stage): stage is DiscoveredStage =>
      typeof stage === 'object' &&
      stage !== null &&
      typeof stage.apiId === 'string' &&
      typeof stage.stage === 'string' &&
      STAGE_KINDS.includes(stage.kind) &&
      typeof stage.executionLogs === 'boolean' &&
      (stage.accessLogGroup === undefined || typeof stage.accessLogGroup === 'string'),
  );
  return { version: 1, generatedAt: value.generatedAt, stages };
}

interface WatchedShape {
  readonly apiId: string;
  readonly stage: string;
  readonly accessLogGroup?: string;
  readonly executionLogs: boolean;
}

/**
 * The stages the monitor watches: the listed ones, then each discovered stage no listed entry names
 * (a listed stage wins, with its own group, where both name one).
 */
export function mergeWatchedStages<T extends WatchedShape>(
  listed: readonly T[],
  discovered: readonly DiscoveredStage[],
  shape: (stage: DiscoveredStage) => T,
): T[] {
  const named = new Set(listed.map((entry) => `${entry.apiId}/${entry.stage}`));
  return [...listed, ...discovered.filter((stage) => !named.has(`${stage.apiId}/${stage.stage}`)).map(shape)];
}

/**
 * Whether a log group belongs to a watched stage, by a set built once per mapping: the monitor drops
 * any other group's events before classifying them.
 */
export function watchedGroupsOf(stages: readonly WatchedShape[]): ReadonlySet<string> {
  const groups = new Set<string>();
  for (const stage of stages) {
    if (stage.accessLogGroup) groups.add(stage.accessLogGroup);
    if (stage.executionLogs) groups.add(executionLogGroupName(stage.apiId, stage.stage));
  }
  return groups;
}

/** The CloudTrail event names of API Gateway (v1 and v2 share them and the event source) that change a stage. */
export const STAGE_CHANGE_EVENT_NAMES = [
  'CreateStage',
  'UpdateStage',
  'DeleteStage',
  'CreateDeployment',
  'CreateRestApi',
  'ImportRestApi',
  'PutRestApi',
  'DeleteRestApi',
  'CreateApi',
  'ImportApi',
  'ReimportApi',
  'DeleteApi',
] as const;
