import * as z from 'zod/mini';
import { CATEGORIES } from '../categories.js';
import { ACTIONS, LIFECYCLES } from '../noise-policy-names.js';
import { isNeutralised, isSlackEscaped, routingNamesSchema, viewId, viewName } from './alert-schema.js';
import { LIMITS } from './alert-view.js';
import type { DigestView } from './digest-view.js';

/**
 * The digest variant of the forwarder's check (alert-schema.ts): a message that claims
 * `apigw403.digest/1` is rendered as a digest only when every string is in the form the digest
 * function writes (escaped; log-derived fields neutralised and bounded). Anything else on the topic
 * is shown as log text.
 */
const escaped = (max: number) =>
  z.string().check(z.maxLength(max), z.refine(isSlackEscaped, 'not Slack-escaped'));
const logText = (max: number) =>
  z.string().check(z.maxLength(max), z.refine(isNeutralised, 'not neutralised log text'));
const count = z.number().check(z.int(), z.nonnegative());

export const digestViewSchema = z.strictObject({
  schema: z.literal('apigw403.digest/1'),
  id: viewId,
  apiId: viewName,
  stage: viewName,
  account: z.optional(viewName),
  names: routingNamesSchema,
  region: z.string().check(z.regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/)),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
  total: count,
  previousTotal: count,
  mutedTotal: count,
  alertsSent: count,
  categories: z
    .array(
      z.strictObject({
        category: z.enum(CATEGORIES),
        title: escaped(LIMITS.evidence),
        lifecycle: z.enum(LIFECYCLES),
        action: z.enum(ACTIONS),
        count,
        previousCount: count,
        mutedCount: count,
        alertsSent: count,
        deploymentId: z.optional(logText(LIMITS.id)),
      }),
    )
    .check(z.maxLength(CATEGORIES.length)),
  topSources: z
    .array(z.strictObject({ value: logText(LIMITS.value), count }))
    .check(z.maxLength(LIMITS.list)),
  notes: z.array(escaped(LIMITS.evidence)).check(z.maxLength(10)),
});

/** The digest view in `text`, or undefined when `text` is not one the digest function published. */
export function parseDigestView(text: string): DigestView | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = digestViewSchema.safeParse(json);
  return parsed.success ? (parsed.data as DigestView) : undefined;
}
