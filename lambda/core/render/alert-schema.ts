import * as z from 'zod/mini';
import { CATEGORIES } from '../categories.js';
import { STAGE_NAME_PATTERN } from '../gateway-ids.js';
import { LIFECYCLES } from '../noise-policy-names.js';
import { type AlertView, LIMITS } from './alert-view.js';

/**
 * What a published alert view must look like for the Slack forwarder to render it as an alert. Anyone
 * allowed to publish to the topic can send JSON that claims `apigw403.alert/1`, so the check is not
 * the schema name alone: every string must already be in the form the monitor writes (escaped, and
 * for log-derived fields neutralised and bounded), every URL must point where the monitor's do. A
 * message that fails is shown as log text, never passed through.
 */

/** No raw `<` or `>`, and `&` only as the start of `&amp;` `&lt;` `&gt;`. */
export function isSlackEscaped(text: string): boolean {
  if (text.includes('<') || text.includes('>')) return false;
  for (let at = text.indexOf('&'); at >= 0; at = text.indexOf('&', at + 1)) {
    if (!text.startsWith('&amp;', at) && !text.startsWith('&lt;', at) && !text.startsWith('&gt;', at))
      return false;
  }
  return true;
}

/**
 * What `neutraliseLogText` leaves: escaped, no mrkdwn, mention or channel character, no live
 * `scheme://`, host name, markdown link or emoji shortcode.
 */
export function isNeutralised(text: string): boolean {
  return (
    isSlackEscaped(text) &&
    !/[*_~`@]|#\w|[A-Za-z0-9-]\.[A-Za-z]|:[\w+'-]{1,100}:/.test(text) &&
    !text.includes('://') &&
    !text.includes('](')
  );
}

const escaped = (max: number) =>
  z.string().check(z.maxLength(max), z.refine(isSlackEscaped, 'not Slack-escaped'));
const logText = (max: number) =>
  z.string().check(z.maxLength(max), z.refine(isNeutralised, 'not neutralised log text'));
/** What `identifier()` writes (a thread id too); the view and digest ids join such names with `-`. */
export const viewName = z.string().check(z.regex(/^(?:\$default|[A-Za-z0-9_.-]{1,200})$/));
export const viewId = z.string().check(z.regex(/^[A-Za-z0-9_.$-]{1,400}$/));
/** What `routingNamesOf` writes, a raw name or a display one: inside the stage name's characters. */
const routingName = z.string().check(z.regex(STAGE_NAME_PATTERN));
export const routingNamesSchema = z.strictObject({
  apiId: routingName,
  stage: routingName,
  account: z.optional(routingName),
});
const isoTime = z.iso.datetime();
const wholeCount = () => z.number().check(z.int(), z.nonnegative());
const top = z.strictObject({ value: logText(LIMITS.value), count: wholeCount() });
const tops = z.array(top).check(z.maxLength(LIMITS.list));
const region = z.string().check(z.regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/));
const listOf = <T extends z.core.SomeType>(item: T, max: number) => z.array(item).check(z.maxLength(max));

export const alertViewSchema = z
  .strictObject({
    schema: z.literal('apigw403.alert/1'),
    id: viewId,
    threadId: viewName,
    category: z.enum(CATEGORIES),
    severity: z.enum(['critical', 'high', 'medium', 'low']),
    title: escaped(LIMITS.evidence),
    summary: escaped(2 * LIMITS.evidence),
    apiId: viewName,
    stage: viewName,
    account: z.optional(viewName),
    names: routingNamesSchema,
    region,
    count: z.number().check(z.int(), z.positive()),
    windowStart: isoTime,
    windowEnd: isoTime,
    firstSeen: z.boolean(),
    suppressedSinceLast: wholeCount(),
    lastAlertAt: z.optional(isoTime),
    lifecycle: z.optional(z.enum(LIFECYCLES)),
    lifecycleReason: z.optional(escaped(LIMITS.evidence)),
    action: z.optional(z.enum(['page', 'alert'])),
    causes: listOf(escaped(LIMITS.evidence), 20),
    checks: listOf(escaped(LIMITS.evidence), 20),
    docUrl: z.string().check(z.regex(/^https:\/\/(?:docs\.aws\.amazon\.com|repost\.aws)\/[^\s<>&]*$/)),
    reasons: tops,
    sampleRequestIds: listOf(logText(LIMITS.id), LIMITS.list),
    topSourceIps: tops,
    topPaths: tops,
    topUserAgents: tops,
    topApiKeyIds: tops,
    httpMethods: tops,
    evidence: listOf(logText(LIMITS.evidence), LIMITS.list),
    sources: listOf(z.enum(['access', 'execution', 'client']), 3),
    confidence: z.record(z.string().check(z.regex(/^[a-z]{1,20}$/)), z.number()),
    insightsUrl: z
      .string()
      .check(z.regex(/^https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/cloudwatch\/home\?[^\s<>&]*$/)),
    notes: listOf(escaped(LIMITS.evidence), 10),
  })
  .check(
    z.refine((view) => view.insightsUrl.startsWith(`https://${view.region}.console.aws.amazon.com/`), {
      message: 'the Logs Insights link is not in the alert region',
    }),
  );

/** The alert view in `text`, or undefined when `text` is not one the monitor published. */
export function parseAlertView(text: string): AlertView | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = alertViewSchema.safeParse(json);
  return parsed.success ? (parsed.data as AlertView) : undefined;
}
