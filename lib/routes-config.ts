/**
 * The `routes` and `noisePolicy` keys of the `apigw403` context, as zod schemas lib/config.ts merges
 * into its own. Pure, like lib/config.ts.
 */

import { z } from 'zod';
import { CATEGORIES } from '../lambda/core/categories.js';
import {
  ACTIONS,
  MESSAGE_KINDS,
  type NoisePolicyInput,
  noisePolicySchema,
} from '../lambda/core/noise-policy.js';
import { isRoutingName, ROUTING_NAME_PATTERNS, type RoutingNameKey } from '../lambda/core/routing-names.js';
import type { ChatbotConfig } from './config.js';
import { describe, isNot, objectOf, says, text } from './config-schema.js';
import {
  type Destinations,
  destinationClashes,
  type ROUTE_MATCH_KEYS,
  type RouteMatch,
  type RouteProblem,
  routeProblemsAt,
} from './routes.js';

const EMAIL = /^[^@\s"<>]+@[^@\s"<>]+\.[A-Za-z]{2,}$/;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

export const ROUTE_EXAMPLE =
  '{"name": "payments-oncall", "match": {"apiId": ["a1b2c3d4e5"], "severity": ["critical", "high"]}, "emails": ["payments-oncall@example.com"]}';

/**
 * A name routes match as the messages' attributes carry it (lambda/core/routing-names.ts): a value
 * API Gateway would spell otherwise, or that redaction would change, is in no message.
 */
const routingName = (key: RoutingNameKey, what: string, example: string) =>
  text(ROUTING_NAME_PATTERNS[key], what, example).refine(
    // A value off the pattern has text()'s message already.
    (value) => !ROUTING_NAME_PATTERNS[key].test(value) || isRoutingName(key, value),
    {
      error: (issue) =>
        says(
          `${describe(issue.input)} looks like a credential, which alerts carry redacted, so no message names it`,
          example,
        ),
    },
  );

/** A value of one key, or a list of them: every route match key takes either. */
function oneOrMany(value: z.ZodType<string>, example: string) {
  return z
    .union([value, z.array(value)], { error: isNot('a string or a list of strings', example) })
    .transform((v) => (typeof v === 'string' ? [v] : v));
}

const member = (values: readonly string[], what: string, example: string) =>
  z
    .string({ error: isNot(what, example) })
    .refine((v) => values.includes(v), { error: isNot(what, example) });

const matchSchema = objectOf(
  {
    apiId: oneOrMany(
      routingName('apiId', 'an API id (10 lower-case letters or digits)', '"a1b2c3d4e5"'),
      '"apiId": ["a1b2c3d4e5"]',
    ),
    stage: oneOrMany(routingName('stage', 'a stage name', '"prod"'), '"stage": ["prod"]'),
    category: oneOrMany(
      member(CATEGORIES, 'a category id (docs/403-taxonomy.md)', '"WAF_FILTERED"'),
      '"category": ["WAF_FILTERED"]',
    ),
    severity: oneOrMany(
      member(SEVERITIES, `a severity (${SEVERITIES.join(', ')})`, '"critical"'),
      '"severity": ["critical", "high"]',
    ),
    action: oneOrMany(
      member(
        ACTIONS.filter((a) => a === 'page' || a === 'alert'),
        'an action that publishes (page, alert)',
        '"page"',
      ),
      '"action": ["page"]',
    ),
    kind: oneOrMany(
      member(MESSAGE_KINDS, `a message kind (${MESSAGE_KINDS.join(', ')})`, '"digest"'),
      '"kind": ["digest"]',
    ),
    account: oneOrMany(
      routingName('account', 'a 12-digit account id', '"111111111111"'),
      '"account": ["111111111111"]',
    ),
  } satisfies Record<(typeof ROUTE_MATCH_KEYS)[number], z.ZodType>,
  'an object of message attribute -> accepted values',
  '"match": {"stage": ["prod"], "severity": ["critical", "high"]}',
).partial();

export interface RouteConfig {
  readonly name: string;
  readonly match?: RouteMatch;
  readonly emails: readonly string[];
  readonly slackWebhookSecret?: string;
  readonly slackWebhookSecretKmsKeyArn?: string;
  /** A channel of its own, fed through the route's topic (lib/routes.ts). */
  readonly chatbot?: ChatbotConfig;
}

/** Builds the route schema from the `slack` destination schema lib/config.ts defines for the top level. */
export function routesSchema(
  slackDestination: z.ZodType<{
    webhookSecret?: string;
    webhookSecretKmsKeyArn?: string;
    chatbot?: ChatbotConfig;
  }>,
) {
  const routeSchema = objectOf(
    {
      name: z.string({ error: isNot('a route name', '"name": "payments-oncall"') }),
      match: matchSchema.optional(),
      emails: z
        .array(text(EMAIL, 'an e-mail address', '"payments-oncall@example.com"'), {
          error: isNot('a list of e-mail addresses', '"emails": ["payments-oncall@example.com"]'),
        })
        .optional(),
      slack: slackDestination.optional(),
    },
    'an object',
    ROUTE_EXAMPLE,
  );
  return z
    .array(routeSchema, { error: isNot('a list of routes', `[${ROUTE_EXAMPLE}]`) })
    .max(20, { error: says('lists more than 20 routes', `[${ROUTE_EXAMPLE}]`) })
    .superRefine((routes, ctx) => {
      const names = routes.map((route) => route.name);
      routes.forEach((route, index) => {
        const webhook = route.slack?.webhookSecret !== undefined;
        const chatbot = route.slack?.chatbot !== undefined;
        const destinations = (route.emails?.length ?? 0) + (webhook ? 1 : 0) + (chatbot ? 1 : 0);
        const slack = webhook || chatbot;
        for (const problem of routeProblemsAt({ ...route, destinations, slack }, index, names)) {
          ctx.addIssue({
            code: 'custom',
            path: [index, ...problem.path],
            message: says(problem.message, ROUTE_EXAMPLE),
          });
        }
      });
    })
    .transform((routes): RouteConfig[] =>
      routes.map((route) => ({
        name: route.name,
        ...(route.match ? { match: route.match } : {}),
        emails: route.emails ?? [],
        ...(route.slack?.webhookSecret ? { slackWebhookSecret: route.slack.webhookSecret } : {}),
        ...(route.slack?.webhookSecretKmsKeyArn
          ? { slackWebhookSecretKmsKeyArn: route.slack.webhookSecretKmsKeyArn }
          : {}),
        ...(route.slack?.chatbot ? { chatbot: route.slack.chatbot } : {}),
      })),
    );
}

const destinations = (
  emails: readonly string[] | undefined,
  webhook: string | undefined,
  chatbot: ChatbotConfig | undefined,
): Destinations => ({
  ...(emails ? { emails } : {}),
  ...(webhook === undefined ? {} : { webhook }),
  ...(chatbot ? { channel: chatbot } : {}),
});

/** A destination the top level or a route gives again (destinationClashes), at its config key. */
export function routeDestinationClashes(context: {
  readonly alertEmails?: readonly string[] | undefined;
  readonly slack?: { readonly webhookSecret?: string; readonly chatbot?: ChatbotConfig } | undefined;
  readonly routes?: readonly RouteConfig[] | undefined;
}): RouteProblem[] {
  return destinationClashes(
    destinations(context.alertEmails, context.slack?.webhookSecret, context.slack?.chatbot),
    (context.routes ?? []).map((route) => ({
      name: route.name,
      ...(route.match ? { match: route.match } : {}),
      ...destinations(route.emails, route.slackWebhookSecret, route.chatbot),
    })),
    { webhook: ['slack', 'webhookSecret'], channel: ['slack', 'chatbot'] },
  ).map((problem) => ({ ...problem, message: says(problem.message, ROUTE_EXAMPLE) }));
}

export const NOISE_POLICY_EXAMPLE =
  '"noisePolicy": {"categories": {"WAF_FILTERED": {"action": "digest"}}, "mute": [{"userAgentContains": "zgrab"}]}';

/** What every zod schema, full or mini, says of itself: its definition. */
interface Introspected {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly innerType?: Introspected;
      readonly element?: Introspected;
      readonly valueType?: Introspected;
      readonly shape?: Readonly<Record<string, Introspected>>;
    };
  };
}

/** Past `optional()` and its kin to the schema that holds the value. */
function inner(schema: Introspected): Introspected {
  let current = schema;
  while (['optional', 'nullable', 'default'].includes(current._zod.def.type) && current._zod.def.innerType)
    current = current._zod.def.innerType;
  return current;
}

/** The schema at `path` inside the noise policy: an unknown key is named with the keys its level knows. */
function schemaAt(path: readonly PropertyKey[]): Introspected | undefined {
  let schema: Introspected | undefined = noisePolicySchema as unknown as Introspected;
  for (const part of path) {
    if (!schema) return undefined;
    const { def }: Introspected['_zod'] = inner(schema)._zod;
    if (typeof part === 'number') schema = def.element;
    else if (def.valueType) schema = def.valueType;
    else schema = def.shape?.[String(part)];
  }
  return schema && inner(schema);
}

function unknownKeyMessage(path: readonly PropertyKey[], key: string): string {
  const at = schemaAt(path);
  if (at?._zod.def.type === 'record')
    return says(`${JSON.stringify(key)} is not a category id (docs/403-taxonomy.md)`, '"WAF_FILTERED"');
  return says(
    `is not a known key (known: ${Object.keys(at?._zod.def.shape ?? {}).join(', ')})`,
    NOISE_POLICY_EXAMPLE,
  );
}

/**
 * The noise policy, validated by the schema the functions read `NOISE_POLICY` with
 * (lambda/core/noise-policy.ts); an unknown key is named with the keys that level knows.
 */
export const noisePolicyContextSchema = z.unknown().transform((value, ctx): NoisePolicyInput => {
  const parsed = noisePolicySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        ctx.addIssue({
          code: 'custom',
          path: [...issue.path, key],
          message: unknownKeyMessage(issue.path, key),
        });
    } else if (issue.code === 'invalid_type' && issue.path.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: isNot('an object', NOISE_POLICY_EXAMPLE)({ input: value }),
      });
    } else {
      ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
    }
  }
  return z.NEVER;
});

/**
 * Where a rule's or override's `account` cannot match: only a central monitor's groups carry a source
 * account (the record's `owner`), so anywhere else the rule would silently mute or tune nothing; and a
 * central monitor with a `sourceAccounts` list never sees an account outside it.
 */
export function noisePolicyAccountIssues(
  policy: NoisePolicyInput | undefined,
  deployment: { readonly mode: string; readonly central?: { readonly sourceAccounts?: readonly string[] } },
): { path: (string | number)[]; message: string }[] {
  const listed = deployment.central?.sourceAccounts;
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const key of ['mute', 'overrides'] as const) {
    (policy?.[key] ?? []).forEach((rule, index) => {
      const { account } = rule;
      if (account === undefined) return;
      const path = ['noisePolicy', key, index, 'account'];
      if (deployment.mode !== 'central')
        issues.push({
          path,
          message: says(
            `scopes a rule to a source account of a central monitor, but mode is "${deployment.mode}" (this monitor's groups carry no account): remove it`,
            '"mode": "central", "central": {"sourceAccounts": ["111122223333"]}',
          ),
        });
      else if (listed && !listed.includes(account))
        issues.push({
          path,
          message: says(
            `${JSON.stringify(account)} is not one of central.sourceAccounts, so the rule would never match`,
            JSON.stringify(listed[0] ?? '111122223333'),
          ),
        });
    });
  }
  return issues;
}
