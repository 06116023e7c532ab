import { createHash } from 'node:crypto';
import type { Category } from '../categories.js';
import { viewTime } from '../event-time.js';
import { DEFAULT_STAGE } from '../gateway-ids.js';
import {
  type CategoryDescription,
  describeCategory,
  type FindingGroup,
  maskApiKeyId,
  redact,
  redactName,
  type Top,
} from '../index.js';
import type { PendingAlert } from '../lifecycle.js';
import type { Action, Lifecycle } from '../noise-policy.js';
import { isRoutingName, type RoutingNameKey } from '../routing-names.js';
import { logsInsightsUrl } from './insights-link.js';
import { escapeSlack, fromLog, truncateEscaped } from './text.js';

/**
 * Everything an alert says, decided once and rendered three ways (e-mail text, AWS Chatbot custom
 * notification, Slack Block Kit). Every string in a view is Slack-escaped (`&amp;`, `&lt;`, `&gt;`),
 * and every string that came from a log is also redacted, one line, neutralised for mrkdwn (see
 * `neutraliseLogText`) and length-bounded after escaping, so a renderer may insert any field verbatim. The view is also the `sqs` / `lambda` payload of the SNS
 * message: machine subscribers get the same facts as people.
 */
export interface AlertView {
  readonly schema: 'apigw403.alert/1';
  readonly id: string;
  readonly threadId: string;
  readonly category: Category;
  readonly severity: CategoryDescription['severity'];
  readonly title: string;
  readonly summary: string;
  readonly apiId: string;
  readonly stage: string;
  /** The AWS account whose log group the 403s came from (the subscription document's `owner`). */
  readonly account?: string;
  /** The same three as API Gateway spells them: the SNS attributes routes match (not for text). */
  readonly names: RoutingNames;
  readonly region: string;
  readonly count: number;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly firstSeen: boolean;
  readonly suppressedSinceLast: number;
  readonly lastAlertAt?: string;
  /** Where the group stands and why it alerts now (one line, the monitor's own words). */
  readonly lifecycle?: Lifecycle;
  readonly lifecycleReason?: string;
  /** The group's action (`page` or `alert`), also an SNS message attribute for routes. */
  readonly action?: Extract<Action, 'page' | 'alert'>;
  readonly causes: readonly string[];
  readonly checks: readonly string[];
  readonly docUrl: string;
  readonly reasons: readonly Top[];
  readonly sampleRequestIds: readonly string[];
  readonly topSourceIps: readonly Top[];
  readonly topPaths: readonly Top[];
  readonly topUserAgents: readonly Top[];
  readonly topApiKeyIds: readonly Top[];
  readonly httpMethods: readonly Top[];
  readonly evidence: readonly string[];
  readonly sources: readonly string[];
  readonly confidence: Readonly<Record<string, number>>;
  readonly insightsUrl: string;
  readonly notes: readonly string[];
}

export interface AlertContext {
  readonly region: string;
  /** The subscription document's `owner`: named in the alert and its attributes for routing. */
  readonly account?: string;
  /** The log groups the Logs Insights link searches (access, and execution when there is one). */
  readonly logGroups: readonly string[];
  readonly alert: PendingAlert;
  /** @default no `action` attribute */
  readonly action?: Extract<Action, 'page' | 'alert'>;
  /** Operator-facing remarks, e.g. that the execution-log lookup failed. Not from logs. */
  readonly notes?: readonly string[];
}

/** Bounds per field: the biggest possible view stays a few tens of KB, far under SNS's 256 KB. */
export const LIMITS = { value: 200, evidence: 600, list: 5, id: 100 } as const;

/** Minutes of margin around the group's window in the Logs Insights link (execution lines lag). */
const LINK_MARGIN_MS = 5 * 60 * 1000;

/** `account`: the group's source account when the central monitor scopes groups by it (GroupKey.account). */
export function buildAlertView(
  group: FindingGroup & { readonly account?: string },
  context: AlertContext,
): AlertView {
  const apiId = identifier(group.apiId);
  const stage = identifier(group.stage);
  const names = routingNamesOf({ apiId: group.apiId, stage: group.stage, account: context.account });
  // The checks are commands run against the stage: they name it as API Gateway spells it (`v1_`, not
  // the display form `v1-`); a name API Gateway could not have written stays in its display form.
  const description = describeCategory(group.category, {
    apiId: names.apiId,
    stage: names.stage,
    region: context.region,
    signals: group.signals,
    ...(group.reasons[0] ? { reason: group.reasons[0].value } : {}),
    ...(group.topApiKeyIds[0] ? { apiKeyId: maskApiKeyId(group.topApiKeyIds[0].value) } : {}),
  });
  const tops = (list: readonly Top[]): Top[] =>
    list.slice(0, LIMITS.list).map((top) => ({ value: fromLog(top.value, LIMITS.value), count: top.count }));
  const sampleRequestIds = group.sampleRequestIds.slice(0, LIMITS.list);
  const { alert } = context;
  return {
    schema: 'apigw403.alert/1',
    id: `${alert.batchId}-${apiId}-${stage}-${group.category}`,
    threadId: threadIdOf(group),
    category: group.category,
    severity: description.severity,
    title: escapeSlack(description.title),
    summary: escapeSlack(description.summary),
    apiId,
    stage,
    ...(context.account === undefined ? {} : { account: identifier(context.account) }),
    names,
    region: escapeSlack(context.region),
    count: group.count,
    windowStart: viewTime(group.firstSeen),
    windowEnd: viewTime(group.lastSeen),
    firstSeen: alert.firstSeen,
    suppressedSinceLast: alert.suppressedSinceLast,
    ...(alert.lastAlertAt === undefined ? {} : { lastAlertAt: viewTime(alert.lastAlertAt) }),
    ...(alert.lifecycle === undefined ? {} : { lifecycle: alert.lifecycle }),
    ...(alert.reason === undefined ? {} : { lifecycleReason: escapeSlack(alert.reason) }),
    ...(context.action === undefined ? {} : { action: context.action }),
    causes: description.causes.map((cause) => truncateEscaped(escapeSlack(cause), LIMITS.evidence)),
    checks: description.checks.map((check) => truncateEscaped(escapeSlack(check), LIMITS.evidence)),
    docUrl: escapeSlack(description.docUrl),
    reasons: tops(group.reasons),
    sampleRequestIds: sampleRequestIds.map((id) => fromLog(id, LIMITS.id)),
    topSourceIps: tops(group.topSourceIps),
    topPaths: tops(group.topPaths),
    topUserAgents: tops(group.topUserAgents),
    topApiKeyIds: tops(group.topApiKeyIds),
    httpMethods: tops(group.httpMethods),
    evidence: group.evidence.slice(0, LIMITS.list).map((line) => fromLog(line, LIMITS.evidence)),
    sources: [...group.sources],
    confidence: { ...group.confidence },
    insightsUrl: logsInsightsUrl({
      region: context.region,
      logGroups: context.logGroups,
      requestIds: linkableIds(sampleRequestIds),
      start: group.firstSeen - LINK_MARGIN_MS,
      end: group.lastSeen + LINK_MARGIN_MS,
    }),
    notes: (context.notes ?? []).map(escapeSlack),
  };
}

/**
 * An API id, stage or account for text: as API Gateway spells them (`[A-Za-z0-9_-]`, or an HTTP API's
 * `$default`), so they are safe in text and in the commands the checks print; anything else a log
 * line claims is redacted and its other characters become `-`, and so does an `_` at the edge of a
 * word (mrkdwn italics). No `.` either: `evil.com` as a stage would be a link in Chatbot's markdown,
 * which cannot be told `verbatim`. `$default` stays as spelled: the checks' commands name the stage,
 * and `$` means nothing in mrkdwn or Chatbot's markdown. Display only: the SNS attributes carry
 * `RoutingNames`.
 */
export function identifier(text: string): string {
  if (text === DEFAULT_STAGE) return text;
  return redactName(text)
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '-')
    .slice(0, LIMITS.id);
}

/**
 * The API id, stage and account as API Gateway spells them, for the SNS attributes routes match
 * (lib/routes.ts) and for machine subscribers; not for text, where a `_` at the edge of a word is
 * mrkdwn. A name API Gateway could not have written, or that redaction would change, is carried in
 * its display form (`identifier()`): the route schema refuses such a name, so no route matches it.
 */
export interface RoutingNames {
  readonly apiId: string;
  readonly stage: string;
  readonly account?: string;
}

const routed = (key: RoutingNameKey, value: string) =>
  isRoutingName(key, value) ? value : identifier(value);

export function routingNamesOf(key: {
  readonly apiId: string;
  readonly stage: string;
  readonly account?: string | undefined;
}): RoutingNames {
  return {
    apiId: routed('apiId', key.apiId),
    stage: routed('stage', key.stage),
    ...(key.account ? { account: routed('account', key.account) } : {}),
  };
}

/** Only ids shaped like request ids go into the link, which is not escaped like text. */
function linkableIds(ids: readonly string[]): string[] {
  return ids.filter((id) => id.length <= LIMITS.id && /^[\w.=+/-]+$/.test(id) && redact(id) === id);
}

/**
 * Chatbot threads notifications with the same `threadId`. The API id and stage come from logs, so they
 * enter only through a digest: the id is the same for the same parts, and no caller-chosen text
 * reaches it. A group scoped to a source account has its own thread.
 */
function hashedThreadId(label: string, account: string | undefined, parts: readonly string[]): string {
  const scoped = account === undefined ? parts : [account, ...parts];
  const digest = createHash('sha256').update(scoped.join('\u0000')).digest('hex');
  return `apigw403-${label}-${digest.slice(0, 32)}`;
}

/** One thread per alert group. */
export function threadIdOf(key: {
  account?: string;
  apiId: string;
  stage: string;
  category: Category;
}): string {
  return hashedThreadId(key.category, key.account, [key.apiId, key.stage, key.category]);
}

/** One thread per stage's digests (and per source account). */
export function digestThreadIdOf(key: { account?: string; apiId: string; stage: string }): string {
  return hashedThreadId('digest', key.account, [key.apiId, key.stage]);
}
