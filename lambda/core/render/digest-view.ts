import { viewTime } from '../event-time.js';
import type { Top } from '../group.js';
import { describeCategory } from '../index.js';
import type { DigestGroupSummary } from '../noise-policy.js';
import { identifier, LIMITS, type RoutingNames, routingNamesOf } from './alert-view.js';
import { escapeSlack, fromLog } from './text.js';

/**
 * Everything one stage's digest says, decided once and rendered three ways (e-mail text, Slack
 * blocks, AWS Chatbot notification), like an alert view: every string is Slack-escaped, and every
 * string that came from a log (API id, stage, sources, deployment id) is also redacted, neutralised
 * and bounded, so a renderer may insert any field verbatim. It is also the `default` (Lambda, SQS)
 * payload of the SNS message.
 */
export interface DigestView {
  readonly schema: 'apigw403.digest/1';
  readonly id: string;
  readonly apiId: string;
  readonly stage: string;
  readonly account?: string;
  /** The same three as API Gateway spells them: the SNS attributes routes match (not for text). */
  readonly names: RoutingNames;
  readonly region: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly total: number;
  readonly previousTotal: number;
  readonly mutedTotal: number;
  readonly alertsSent: number;
  /** One line per category seen in this period or the one before, most 403s first. */
  readonly categories: readonly DigestLine[];
  /** The most frequent sources over the stage's groups (their remembered top sources, summed). */
  readonly topSources: readonly Top[];
  readonly notes: readonly string[];
}

/** A group's line: its summary's counts and state, with the category's title. */
export interface DigestLine
  extends Pick<
    DigestGroupSummary,
    | 'category'
    | 'lifecycle'
    | 'action'
    | 'count'
    | 'previousCount'
    | 'mutedCount'
    | 'alertsSent'
    | 'deploymentId'
  > {
  readonly title: string;
}

export interface DigestPeriod {
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive. */
  readonly end: number;
  /** The hours since the schedule's previous firing the period could not cover (digest-event.ts). */
  readonly uncovered?: { readonly start?: number; readonly end: number };
  /** Invoked by hand, not by the schedule (digest-event.ts). */
  readonly byHand?: true;
}

export interface DigestContext {
  readonly region: string;
  readonly period: DigestPeriod;
  /** The listing stopped at its bound: some groups of the table are missing from every digest. */
  readonly truncated?: boolean;
}

const stageKey = (s: Pick<DigestGroupSummary, 'apiId' | 'stage'> & { readonly account?: string }) =>
  JSON.stringify([s.account ?? '', s.apiId, s.stage]);

/** Whether a group has anything to say for the period: 403s now or before, or muted ones. */
const speaks = (s: DigestGroupSummary): boolean => s.count > 0 || s.previousCount > 0 || s.mutedCount > 0;

/** The stage's sources: each group's remembered top sources, summed by value, the largest first. */
function mergedSources(summaries: readonly DigestGroupSummary[]): Top[] {
  const totals = new Map<string, number>();
  for (const summary of summaries)
    for (const top of summary.topSources) totals.set(top.value, (totals.get(top.value) ?? 0) + top.count);
  return [...totals]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, LIMITS.list)
    .map(([value, count]) => ({ value: fromLog(value, LIMITS.value), count }));
}

const sum = (summaries: readonly DigestGroupSummary[], pick: (s: DigestGroupSummary) => number): number =>
  summaries.reduce((total, s) => total + pick(s), 0);

/**
 * One digest view per stage (and account) with anything to say in `period`: the summaries are the
 * state table's groups (the monitor's `listDigestSummaries`). Pure.
 */
export function buildDigestViews(
  summaries: readonly (DigestGroupSummary & { readonly account?: string })[],
  context: DigestContext,
): DigestView[] {
  const byStage = new Map<string, DigestGroupSummary[]>();
  for (const summary of summaries) {
    if (!speaks(summary)) continue;
    const key = stageKey(summary);
    byStage.set(key, [...(byStage.get(key) ?? []), summary]);
  }
  const periodStart = viewTime(context.period.start);
  const periodEnd = viewTime(context.period.end);
  return [...byStage.values()].map((groups) => {
    const [first] = groups as [DigestGroupSummary & { readonly account?: string }];
    const apiId = identifier(first.apiId);
    const stage = identifier(first.stage);
    const categories = [...groups]
      .sort((a, b) => b.count - a.count || b.mutedCount - a.mutedCount || (a.category < b.category ? -1 : 1))
      .map(
        (s): DigestLine => ({
          category: s.category,
          title: escapeSlack(describeCategory(s.category, { apiId, stage }).title),
          lifecycle: s.lifecycle,
          action: s.action,
          count: s.count,
          previousCount: s.previousCount,
          mutedCount: s.mutedCount,
          alertsSent: s.alertsSent,
          ...(s.deploymentId ? { deploymentId: fromLog(s.deploymentId, LIMITS.id) } : {}),
        }),
      );
    return {
      schema: 'apigw403.digest/1',
      id: `digest-${first.account ? `${identifier(first.account)}-` : ''}${apiId}-${stage}-${context.period.end}`,
      apiId,
      stage,
      ...(first.account ? { account: identifier(first.account) } : {}),
      names: routingNamesOf(first),
      region: escapeSlack(context.region),
      periodStart,
      periodEnd,
      total: sum(groups, (s) => s.count),
      previousTotal: sum(groups, (s) => s.previousCount),
      mutedTotal: sum(groups, (s) => s.mutedCount),
      alertsSent: sum(groups, (s) => s.alertsSent),
      categories,
      topSources: mergedSources(groups),
      notes: [
        ...(context.period.byHand ? [BY_HAND_NOTE] : []),
        ...(context.period.uncovered ? [uncoveredNote(context.period.uncovered, context.period)] : []),
        ...(context.truncated
          ? ['The state table held more groups than one digest run reads: some groups are missing.']
          : []),
      ],
    };
  });
}

/** A run invoked by hand reports hours a scheduled digest may have counted, and changes none of theirs. */
const BY_HAND_NOTE = escapeSlack(
  "Run by hand, not by the schedule: a report of these hours, which may repeat a scheduled digest's; the scheduled digests count every hour as before.",
);

/** What a period cut to the hours the state keeps leaves out, in the digest's own words. */
function uncoveredNote(uncovered: NonNullable<DigestPeriod['uncovered']>, period: DigestPeriod): string {
  const hours = (from: number, to: number) => Math.round((to - from) / 3_600_000);
  const missed =
    uncovered.start === undefined
      ? `the hours before ${viewTime(uncovered.end)} since the previous digest (more than 8 days back)`
      : `the ${hours(uncovered.start, uncovered.end)} h from ${viewTime(uncovered.start)} (the previous digest) to ${viewTime(uncovered.end)}`;
  // Only a period cut to the hours the state keeps has `uncovered`: its length is that bound.
  const kept = hours(period.start, period.end);
  return escapeSlack(
    `This digest covers the last ${kept} h: ${missed} are not in any digest, because the monitor keeps ${kept} hours of counts. A schedule whose firings are at most ${kept} h apart (a weekday one) covers every hour.`,
  );
}

/** How a count compares with the period before: `new`, `gone`, `=`, or a signed percentage. */
export function trend(count: number, previous: number): string {
  if (previous === 0) return count === 0 ? '=' : 'new';
  if (count === 0) return 'gone';
  const change = Math.round(((count - previous) / previous) * 100);
  return change === 0 ? '=' : `${change > 0 ? '+' : ''}${change}%`;
}
