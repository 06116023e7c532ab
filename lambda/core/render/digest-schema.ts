import { z } from 'zod';
import { CATEGORIES } from '../categories.js';
import { ACTIONS, LIFECYCLES } from '../noise-policy.js';
import { isNeutralised, isSlackEscaped } from './alert-schema.js';
import { LIMITS } from './alert-view.js';
import type { DigestView } from './digest-view.js';

/**
 * The digest variant of the forwarder's check (alert-schema.ts): a message that claims
 * `apigw403.digest/1` is rendered as a digest only when every string is in the form the digest
 * function writes (escaped; log-derived fields neutralised and bounded). Anything else on the topic
 * is shown as log text.
 */
const escaped = (max: number) => z.string().max(max).refine(isSlackEscaped, 'not Slack-escaped');
const logText = (max: number) => z.string().max(max).refine(isNeutralised, 'not neutralised log text');
const identifier = z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/);
const count = z.number().int().nonnegative();

export const digestViewSchema = z
  .object({
    schema: z.literal('apigw403.digest/1'),
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,400}$/),
    apiId: identifier,
    stage: identifier,
    account: identifier.optional(),
    region: z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/),
    periodStart: z.iso.datetime(),
    periodEnd: z.iso.datetime(),
    total: count,
    previousTotal: count,
    mutedTotal: count,
    alertsSent: count,
    categories: z
      .array(
        z
          .object({
            category: z.enum(CATEGORIES),
            title: escaped(LIMITS.evidence),
            lifecycle: z.enum(LIFECYCLES),
            action: z.enum(ACTIONS),
            count,
            previousCount: count,
            mutedCount: count,
            alertsSent: count,
            deploymentId: logText(LIMITS.id).optional(),
          })
          .strict(),
      )
      .max(CATEGORIES.length),
    topSources: z.array(z.object({ value: logText(LIMITS.value), count }).strict()).max(LIMITS.list),
    notes: z.array(escaped(LIMITS.evidence)).max(10),
  })
  .strict();

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
