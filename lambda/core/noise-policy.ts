/**
 * The noise policy: what a group's 403s do (page, alert, digest, ignore), when a group is new,
 * escalated or resolved, and which known sources are muted. One schema, used by the construct to
 * validate the `apigw403` context and props (lib/config.ts) and by the functions to read the
 * `NOISE_POLICY` environment variable, so both sides agree by construction. Pure: no clock, no SDK.
 */
import { z } from 'zod';
import { CATEGORIES, type Category } from './categories.js';
import type { Top } from './group.js';

/** The monitor's and the digest function's environment variable holding the policy (JSON). */
export const NOISE_POLICY_ENV = 'NOISE_POLICY';

/**
 * What a group's 403s do: `page` and `alert` publish (with SNS attribute `action` so routes can page),
 * `digest` only counts them for the digest, `ignore` counts them in the metric only.
 */
export const ACTIONS = ['page', 'alert', 'digest', 'ignore'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Where a group stands. `new`: first 403 after `quietPeriodMinutes` without one. `ongoing`: seen and
 * not worse than usual. `escalated`: its last window is well above its own baseline or above the
 * threshold. `resolved`: no 403 for `resolveAfterMinutes`.
 */
export const LIFECYCLES = ['new', 'ongoing', 'escalated', 'resolved'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

/** The SNS message attributes routes filter on (subscription filter policies), beside the alert's own. */
export const ROUTING_ATTRIBUTES = {
  /** `alert` | `digest`. */
  kind: 'kind',
  /** `page` | `alert` (a digest has none). */
  action: 'action',
  /** A `Lifecycle` (a digest has none). */
  lifecycle: 'lifecycle',
} as const;

/**
 * The input of the schedule that resolves quiet groups (EventBridge Scheduler → the monitor function):
 * the monitor runs its sweep (`runSweep` in lambda/monitor.ts) when invoked with exactly this object.
 */
export const SWEEP_EVENT = { apigw403: 'sweep' } as const;
/** How often the sweep should run: a group resolves at most this long after its resolveAfterMinutes. */
export const DEFAULT_SWEEP_MINUTES = 15;
export const DEFAULT_SWEEP_SCHEDULE = `rate(${DEFAULT_SWEEP_MINUTES} minutes)`;

export const MESSAGE_KINDS = ['alert', 'digest'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** The defaults: quiet with no policy configured, and an incident still alerts within minutes. */
export const DEFAULT_QUIET_PERIOD_MINUTES = 24 * 60;
export const DEFAULT_WINDOW_MINUTES = 5;
/** The baseline is the mean of this many windows before the current one (one hour of 5-minute windows). */
export const DEFAULT_BASELINE_WINDOWS = 12;
/** The most windows a baseline may span (the group item keeps this many and the current one). */
export const MAX_BASELINE_WINDOWS = 48;
export const DEFAULT_ESCALATION_FACTOR = 5;
/** A window needs at least this many 403s to escalate, whatever the baseline (a quiet group's 0 → 3 is no incident). */
export const DEFAULT_ESCALATION_MIN_COUNT = 20;
export const DEFAULT_RESOLVE_AFTER_MINUTES = 60;
/** An escalated group alerts again only after this long (or when it escalates anew after resolving). */
export const DEFAULT_REALERT_MINUTES = 60;
export const DEFAULT_ACTION: Action = 'alert';
/** EventBridge Scheduler expression of the digest: daily at 08:00 in `digestTimezone`. */
export const DEFAULT_DIGEST_SCHEDULE = 'cron(0 8 * * ? *)';
export const DEFAULT_DIGEST_TIMEZONE = 'UTC';

const says = (problem: string, example: string) => `${problem}. Example: ${example}`;
const minutes = (what: string, example: string, max = 30 * 24 * 60) =>
  z
    .number({ error: says(`${what} must be a whole number of minutes`, example) })
    .int({ error: says(`${what} must be a whole number of minutes`, example) })
    .min(1, { error: says(`${what} must be at least 1`, example) })
    .max(max, { error: says(`${what} must be at most ${max}`, example) });
const category = z.enum(CATEGORIES, {
  error: (issue) =>
    says(`${JSON.stringify(issue.input)} is not a category id (docs/403-taxonomy.md)`, '"WAF_FILTERED"'),
});
const action = z.enum(ACTIONS, {
  error: (issue) => says(`${JSON.stringify(issue.input)} is not one of ${ACTIONS.join(', ')}`, '"digest"'),
});

/** The settings a category or an override may change; every key optional. */
const tuning = {
  action: action.optional(),
  quietPeriodMinutes: minutes('quietPeriodMinutes', '1440').optional(),
  escalationFactor: z
    .number({ error: says('escalationFactor must be a number from 1.5 to 1000', '5') })
    .min(1.5, { error: says('escalationFactor must be at least 1.5', '5') })
    .max(1000, { error: says('escalationFactor must be at most 1000', '5') })
    .optional(),
  escalationMinCount: z
    .number({ error: says('escalationMinCount must be a whole number from 1', '20') })
    .int({ error: says('escalationMinCount must be a whole number from 1', '20') })
    .min(1, { error: says('escalationMinCount must be a whole number from 1', '20') })
    .optional(),
  resolveAfterMinutes: minutes('resolveAfterMinutes', '60').optional(),
  notifyResolved: z.boolean({ error: says('notifyResolved must be true or false', 'false') }).optional(),
};

const apiId = z.string({ error: says('apiId must be a string', '"a1b2c3d4e5"') }).min(1);
const stage = z.string({ error: says('stage must be a string', '"prod"') }).min(1);

/** An override for the groups it matches (every given key must match); later overrides win. */
const overrideSchema = z.strictObject({
  apiId: apiId.optional(),
  stage: stage.optional(),
  category: category.optional(),
  ...tuning,
});

const IPV4_OR_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d|[12]\d|3[0-2]))?$/;
const IPV6_OR_CIDR = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*(\/(\d|[1-9]\d|1[01]\d|12[0-8]))?$/;

/**
 * A mute rule: a 403 matching every given source key (and the optional apiId, stage, category) is
 * muted: counted in the metric and the digest, never alerted. At least one source key is required.
 */
const muteSchema = z
  .strictObject({
    sourceIp: z
      .string({ error: says('sourceIp must be an IP address or CIDR', '"203.0.113.0/24"') })
      .refine(
        (value) => {
          const v4 = IPV4_OR_CIDR.exec(value);
          if (v4) return v4.slice(1, 5).every((octet) => Number(octet) <= 255);
          return IPV6_OR_CIDR.test(value);
        },
        { error: says('sourceIp must be an IP address or CIDR', '"203.0.113.0/24"') },
      )
      .optional(),
    userAgentContains: z
      .string()
      .min(1, { error: says('userAgentContains must not be empty', '"zgrab"') })
      .optional(),
    pathPrefix: z
      .string()
      .startsWith('/', { error: says('pathPrefix must start with /', '"/wp-admin"') })
      .optional(),
    apiKeyId: z
      .string()
      .min(1, { error: says('apiKeyId must not be empty', '"abc123def4"') })
      .optional(),
    apiId: apiId.optional(),
    stage: stage.optional(),
    category: category.optional(),
    /** Shown in the digest beside the muted count. */
    reason: z.string().max(200).optional(),
  })
  .refine((rule) => rule.sourceIp ?? rule.userAgentContains ?? rule.pathPrefix ?? rule.apiKeyId, {
    error: says(
      'a mute rule needs sourceIp, userAgentContains, pathPrefix or apiKeyId',
      '{ "userAgentContains": "zgrab" }',
    ),
  });

/** The whole policy as written in the `apigw403.noisePolicy` context or the `noisePolicy` prop. */
export const noisePolicySchema = z.strictObject({
  windowMinutes: minutes('windowMinutes', '5', 60).optional(),
  baselineWindows: z
    .number({ error: says(`baselineWindows must be a whole number from 2 to ${MAX_BASELINE_WINDOWS}`, '12') })
    .int({ error: says(`baselineWindows must be a whole number from 2 to ${MAX_BASELINE_WINDOWS}`, '12') })
    .min(2, { error: says(`baselineWindows must be a whole number from 2 to ${MAX_BASELINE_WINDOWS}`, '12') })
    .max(MAX_BASELINE_WINDOWS, {
      error: says(`baselineWindows must be a whole number from 2 to ${MAX_BASELINE_WINDOWS}`, '12'),
    })
    .optional(),
  realertMinutes: minutes('realertMinutes', '60').optional(),
  ...tuning,
  categories: z.partialRecord(category, z.strictObject(tuning)).optional(),
  overrides: z.array(overrideSchema).max(100).optional(),
  mute: z.array(muteSchema).max(100).optional(),
  digestSchedule: z
    .string()
    .regex(/^(cron|rate)\(.+\)$/, {
      error: says(
        'digestSchedule must be an EventBridge Scheduler cron() or rate() expression',
        '"cron(0 8 * * ? *)"',
      ),
    })
    .optional(),
  digestTimezone: z.string().min(1).optional(),
  /** `false` deploys no digest schedule (the `digest` action then only counts). */
  digest: z.boolean().optional(),
});

export type NoisePolicyInput = z.infer<typeof noisePolicySchema>;
export type MuteRule = NonNullable<NoisePolicyInput['mute']>[number];

/** The settings that decide one group, after defaults, category and overrides. */
export interface GroupPolicy {
  readonly action: Action;
  readonly quietPeriodMinutes: number;
  readonly escalationFactor: number;
  readonly escalationMinCount: number;
  readonly resolveAfterMinutes: number;
  readonly notifyResolved: boolean;
}

/** The policy with every default filled in. */
export interface NoisePolicy {
  readonly windowMinutes: number;
  readonly baselineWindows: number;
  readonly realertMinutes: number;
  readonly defaults: GroupPolicy;
  readonly categories: Readonly<Partial<Record<Category, Partial<GroupPolicy>>>>;
  readonly overrides: readonly (Partial<GroupPolicy> & {
    readonly apiId?: string;
    readonly stage?: string;
    readonly category?: Category;
  })[];
  readonly mute: readonly MuteRule[];
  readonly digest: { readonly enabled: boolean; readonly schedule: string; readonly timezone: string };
}

export type PolicyResult =
  | { readonly ok: true; readonly policy: NoisePolicy }
  | { readonly ok: false; readonly problems: string[] };

const definedOnly = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Validates a written policy (undefined is the default policy); each problem names its path. */
export function parseNoisePolicy(input: unknown): PolicyResult {
  const parsed = noisePolicySchema.safeParse(input ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map(
        (issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`,
      ),
    };
  }
  const p = parsed.data;
  const {
    categories,
    overrides,
    mute,
    windowMinutes,
    baselineWindows,
    realertMinutes,
    digestSchedule,
    digestTimezone,
    digest,
    ...top
  } = p;
  return {
    ok: true,
    policy: {
      windowMinutes: windowMinutes ?? DEFAULT_WINDOW_MINUTES,
      baselineWindows: baselineWindows ?? DEFAULT_BASELINE_WINDOWS,
      realertMinutes: realertMinutes ?? DEFAULT_REALERT_MINUTES,
      defaults: {
        action: top.action ?? DEFAULT_ACTION,
        quietPeriodMinutes: top.quietPeriodMinutes ?? DEFAULT_QUIET_PERIOD_MINUTES,
        escalationFactor: top.escalationFactor ?? DEFAULT_ESCALATION_FACTOR,
        escalationMinCount: top.escalationMinCount ?? DEFAULT_ESCALATION_MIN_COUNT,
        resolveAfterMinutes: top.resolveAfterMinutes ?? DEFAULT_RESOLVE_AFTER_MINUTES,
        notifyResolved: top.notifyResolved ?? false,
      },
      categories: Object.fromEntries(
        Object.entries(categories ?? {}).map(([id, t]) => [id, definedOnly(t ?? {})]),
      ),
      overrides: (overrides ?? []).map((o) => definedOnly(o)),
      mute: mute ?? [],
      digest: {
        enabled: digest ?? true,
        schedule: digestSchedule ?? DEFAULT_DIGEST_SCHEDULE,
        timezone: digestTimezone ?? DEFAULT_DIGEST_TIMEZONE,
      },
    },
  };
}

/** The policy of one group: defaults, then its category, then every matching override in order. */
export function groupPolicy(
  policy: NoisePolicy,
  key: { readonly apiId: string; readonly stage: string; readonly category: Category },
): GroupPolicy {
  let result: GroupPolicy = { ...policy.defaults, ...policy.categories[key.category] };
  for (const { apiId, stage, category, ...tuningOf } of policy.overrides) {
    if (
      (apiId ?? key.apiId) === key.apiId &&
      (stage ?? key.stage) === key.stage &&
      (category ?? key.category) === key.category
    )
      result = { ...result, ...tuningOf };
  }
  return result;
}

/**
 * One group's line in a digest, as the monitor's state gives it (the monitor writes it, the digest
 * function renders it): counts of this digest period and the one before, muted counts, alerts sent.
 */
export interface DigestGroupSummary {
  readonly apiId: string;
  readonly stage: string;
  readonly category: Category;
  readonly lifecycle: Lifecycle;
  readonly action: Action;
  readonly count: number;
  readonly previousCount: number;
  readonly mutedCount: number;
  readonly alertsSent: number;
  /** The most frequent source IPs of the period, bounded. */
  readonly topSources: readonly Top[];
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** `$context.deploymentId` first seen with this group, when the access log format carries it. */
  readonly deploymentId?: string;
}
