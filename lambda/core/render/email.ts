import type { Top } from '../group.js';
import type { AlertView } from './alert-view.js';
import { toPlainText } from './text.js';

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * `{head} on {apiId}/{stage}[ in {account}]{tail}`: SNS subjects are ASCII, one line, under 100
 * characters, so the API id and stage are cut to fit and the account (12 digits, the central monitor's
 * source account) always stands, because a subject without it reads the same for every account.
 */
export function placedSubject(
  head: string,
  view: { readonly apiId: string; readonly stage: string; readonly account?: string },
  tail: string,
): string {
  const where = toPlainText(`${view.apiId}/${view.stage}`);
  const account = view.account ? ` in ${toPlainText(view.account)}` : '';
  const room = 99 - head.length - tail.length - account.length - ' on '.length;
  const placed = where.length <= room ? where : `${where.slice(0, Math.max(0, room - 3))}...`;
  return `${head} on ${placed}${account}${tail}`.replace(/[^\x20-\x7e]/g, '?');
}

export function subjectLine(view: AlertView): string {
  return placedSubject(
    `[${view.severity.toUpperCase()}] 403 ${view.category}`,
    view,
    `: ${plural(view.count, 'request')}`,
  );
}

/** The short line people read first: one place shared by the e-mail, Slack and Chatbot renderings. */
export function headline(view: AlertView): string {
  const since =
    view.suppressedSinceLast > 0
      ? ` (+${view.suppressedSinceLast} since the last alert${view.lastAlertAt ? ` at ${view.lastAlertAt}` : ''})`
      : '';
  return `${plural(view.count, 'request')} answered 403 between ${view.windowStart} and ${view.windowEnd}${since}.`;
}

/** Why the group alerts now: its lifecycle reason, else (an older view) whether it is first seen. */
export function firstSeenLine(view: AlertView): string | undefined {
  if (view.lifecycleReason) return `${view.lifecycleReason}.`;
  return view.firstSeen ? 'First alert of this category for this stage.' : undefined;
}

export function formatTops(list: readonly Top[]): string {
  return list.map((top) => `${top.value} (${top.count})`).join(', ');
}

export function renderEmailText(view: AlertView): string {
  const lines: string[] = [];
  const section = (title: string, body: readonly string[]): void => {
    if (body.length === 0) return;
    lines.push('', title, ...body.map((line) => `  ${line}`));
  };
  lines.push(
    `[${view.severity.toUpperCase()}] ${view.title}`,
    `API ${view.apiId} · stage ${view.stage}${view.account ? ` · account ${view.account}` : ''} · ${view.region} · category ${view.category}`,
    '',
    headline(view),
  );
  const firstSeen = firstSeenLine(view);
  if (firstSeen) lines.push(firstSeen);
  section('What it means', [view.summary]);
  section(
    'Likely causes, most likely first',
    view.causes.map((cause, index) => `${index + 1}. ${cause}`),
  );
  section(
    'First checks',
    view.checks.map((check, index) => `${index + 1}. ${check}`),
  );
  section(
    'Reasons seen',
    view.reasons.map((reason) => `${reason.value} (${reason.count})`),
  );
  section(
    'Evidence',
    view.evidence.map((line) => `- ${line}`),
  );
  section('Sample request ids', view.sampleRequestIds);
  section(
    'Top callers',
    (
      [
        ['Source IPs', view.topSourceIps],
        ['Paths', view.topPaths],
        ['User agents', view.topUserAgents],
        ['API key ids', view.topApiKeyIds],
        ['Methods', view.httpMethods],
      ] as const
    )
      .filter(([, list]) => list.length > 0)
      .map(([label, list]) => `${label}: ${formatTops(list)}`),
  );
  section('Notes', view.notes);
  section('Links', [
    `Logs Insights, sample requests (${view.region}): ${view.insightsUrl}`,
    `Documentation: ${view.docUrl}`,
  ]);
  lines.push('', `Alert ${view.id} · thread ${view.threadId}`);
  return toPlainText(lines.join('\n'));
}
