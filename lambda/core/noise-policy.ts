/**
 * The noise policy: what a group's 403s do (page, alert, digest, ignore), when a group is new,
 * escalated or resolved, and which known sources are muted. One schema, used by the construct to
 * validate the `apigw403` context and props (lib/config.ts) and by the functions to read the
 * `NOISE_POLICY` environment variable, so both sides agree by construction. Built with zod/mini, whose
 * checks are zod's own at a tenth of the functions' bundle (docs/benchmarks.md, "Bundle sizes"); the
 * names other modules need without the schema live in noise-policy-names.ts. Pure: no clock, no SDK.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { CATEGORIES, type Category } from './categories.js';
import type { Top } from './group.js';
import { ACTIONS, type Action, type Lifecycle } from './noise-policy-names.js';
import { scheduleProblem, timezoneProblem } from './schedule-expression.js';

export {
  ACTIONS,
  type Action,
  DEFAULT_SWEEP_MINUTES,
  DEFAULT_SWEEP_SCHEDULE,
  LIFECYCLES,
  type Lifecycle,
  MESSAGE_KINDS,
  type MessageKind,
  NOISE_POLICY_ENV,
  ROUTING_ATTRIBUTES,
  SWEEP_EVENT,
} from './noise-policy-names.js';

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
const wholeNumber = (message: string) => z.number({ error: message }).check(z.int({ error: message }));
const minutes = (what: string, example: string, max = 30 * 24 * 60) =>
  wholeNumber(says(`${what} must be a whole number of minutes`, example)).check(
    z.minimum(1, { error: says(`${what} must be at least 1`, example) }),
    z.maximum(max, { error: says(`${what} must be at most ${max}`, example) }),
  );
const category = z.enum(CATEGORIES, {
  error: (issue) =>
    says(`${JSON.stringify(issue.input)} is not a category id (docs/403-taxonomy.md)`, '"WAF_FILTERED"'),
});
const action = z.enum(ACTIONS, {
  error: (issue) => says(`${JSON.stringify(issue.input)} is not one of ${ACTIONS.join(', ')}`, '"digest"'),
});
/** A check whose message is the problem `problemOf` finds (the grammar's own words), with an example. */
const refuseWith = (problemOf: (value: string) => string | undefined, example: string) =>
  z.superRefine((value: string, context) => {
    const problem = problemOf(value);
    if (problem !== undefined)
      context.addIssue({ code: 'custom', message: says(problem, example), input: value });
  });
const escalationMinCount = says('escalationMinCount must be a whole number from 1', '20');

/** The settings a category or an override may change; every key optional. */
const tuning = {
  action: z.optional(action),
  quietPeriodMinutes: z.optional(minutes('quietPeriodMinutes', '1440')),
  escalationFactor: z.optional(
    z
      .number({ error: says('escalationFactor must be a number from 1.5 to 1000', '5') })
      .check(
        z.minimum(1.5, { error: says('escalationFactor must be at least 1.5', '5') }),
        z.maximum(1000, { error: says('escalationFactor must be at most 1000', '5') }),
      ),
  ),
  escalationMinCount: z.optional(
    wholeNumber(escalationMinCount).check(z.minimum(1, { error: escalationMinCount })),
  ),
  resolveAfterMinutes: z.optional(minutes('resolveAfterMinutes', '60')),
  notifyResolved: z.optional(z.boolean({ error: says('notifyResolved must be true or false', 'false') })),
};

const apiId = z.string({ error: says('apiId must be a string', '"a1b2c3d4e5"') }).check(z.minLength(1));
const stage = z.string({ error: says('stage must be a string', '"prod"') }).check(z.minLength(1));
const accountId = says(
  'account must be a 12-digit AWS account id, a source account of the central monitor',
  '"111122223333"',
);
/**
 * A central monitor's source account (the record's CloudWatch Logs `owner`): a rule or override with it
 * applies to that account's groups only, so one account's rule never mutes or retunes another
 * account's API that has the same id and stage.
 */
const account = z.string({ error: accountId }).check(z.regex(/^\d{12}$/, { error: accountId }));

/** An override for the groups it matches (every given key must match); later overrides win. */
const overrideSchema = z.strictObject({
  account: z.optional(account),
  apiId: z.optional(apiId),
  stage: z.optional(stage),
  category: z.optional(category),
  ...tuning,
});

const IPV4_OR_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d|[12]\d|3[0-2]))?$/;
const IPV6_OR_CIDR = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*(\/(\d|[1-9]\d|1[01]\d|12[0-8]))?$/;
const sourceIp = says('sourceIp must be an IP address or CIDR', '"203.0.113.0/24"');

/**
 * A mute rule: a 403 matching every given source key (and the optional account, apiId, stage,
 * category) is muted: counted in the metric and the digest, never alerted. At least one source key is required.
 */
const muteSchema = z
  .strictObject({
    sourceIp: z.optional(
      z.string({ error: sourceIp }).check(
        z.refine(
          (value) => {
            const v4 = IPV4_OR_CIDR.exec(value);
            if (v4) return v4.slice(1, 5).every((octet) => Number(octet) <= 255);
            return IPV6_OR_CIDR.test(value);
          },
          { error: sourceIp },
        ),
      ),
    ),
    userAgentContains: z.optional(
      z.string().check(z.minLength(1, { error: says('userAgentContains must not be empty', '"zgrab"') })),
    ),
    pathPrefix: z.optional(
      z.string().check(z.startsWith('/', { error: says('pathPrefix must start with /', '"/wp-admin"') })),
    ),
    apiKeyId: z.optional(
      z.string().check(z.minLength(1, { error: says('apiKeyId must not be empty', '"abc123def4"') })),
    ),
    account: z.optional(account),
    apiId: z.optional(apiId),
    stage: z.optional(stage),
    category: z.optional(category),
    /** Shown in the digest beside the muted count. */
    reason: z.optional(z.string().check(z.maxLength(200))),
  })
  .check(
    z.refine((rule) => rule.sourceIp ?? rule.userAgentContains ?? rule.pathPrefix ?? rule.apiKeyId, {
      error: says(
        'a mute rule needs sourceIp, userAgentContains, pathPrefix or apiKeyId',
        '{ "userAgentContains": "zgrab" }',
      ),
    }),
  );

const baselineWindows = says(
  `baselineWindows must be a whole number from 2 to ${MAX_BASELINE_WINDOWS}`,
  '12',
);

/** The whole policy as written in the `apigw403.noisePolicy` context or the `noisePolicy` prop. */
export const noisePolicySchema = z.strictObject({
  windowMinutes: z.optional(minutes('windowMinutes', '5', 60)),
  baselineWindows: z.optional(
    wholeNumber(baselineWindows).check(
      z.minimum(2, { error: baselineWindows }),
      z.maximum(MAX_BASELINE_WINDOWS, { error: baselineWindows }),
    ),
  ),
  realertMinutes: z.optional(minutes('realertMinutes', '60')),
  ...tuning,
  categories: z.optional(z.partialRecord(category, z.strictObject(tuning))),
  overrides: z.optional(z.array(overrideSchema).check(z.maxLength(100))),
  mute: z.optional(z.array(muteSchema).check(z.maxLength(100))),
  digestSchedule: z.optional(
    z
      .string({ error: says('digestSchedule must be a string', '"cron(0 8 * * ? *)"') })
      .check(refuseWith(scheduleProblem, '"cron(0 8 * * ? *)"')),
  ),
  digestTimezone: z.optional(
    z
      .string({ error: says('digestTimezone must be a string', '"Europe/Paris"') })
      .check(refuseWith(timezoneProblem, '"Europe/Paris"')),
  ),
  /** `false` deploys no digest schedule (the `digest` action then only counts). */
  digest: z.optional(z.boolean()),
});

export type NoisePolicyInput = z.output<typeof noisePolicySchema>;
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
    readonly account?: string;
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
  // zod/mini loads no messages of its own: the checks without one of ours say what zod's full API says.
  const parsed = noisePolicySchema.safeParse(input ?? {}, { error: en().localeError });
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

/**
 * The policy of one group: defaults, then its category, then every matching override in order. An
 * override with an `account` matches only a group of that source account (`key.account`, set by the
 * central monitor); one without matches every account's.
 */
export function groupPolicy(
  policy: NoisePolicy,
  key: {
    readonly account?: string;
    readonly apiId: string;
    readonly stage: string;
    readonly category: Category;
  },
): GroupPolicy {
  let result: GroupPolicy = { ...policy.defaults, ...policy.categories[key.category] };
  for (const { account, apiId, stage, category, ...tuningOf } of policy.overrides) {
    if (
      (account === undefined || account === key.account) &&
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
  /** The group's source account (GroupKey.account): set by the central monitor only. */
  readonly account?: string;
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
