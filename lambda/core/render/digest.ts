import { ROUTING_ATTRIBUTES } from '../noise-policy-names.js';
import { digestThreadIdOf } from './alert-view.js';
import { type ChatbotNotification, chatbotNotification } from './chatbot.js';
import type { DigestLine, DigestView } from './digest-view.js';
import { trend } from './digest-view.js';
import { formatTops, placedSubject } from './email.js';
import { SLACK_LIMITS, type SlackBlock, type SlackMessage } from './slack.js';
import { nameAttributes } from './sns-message.js';
import { toPlainText, truncateEscaped } from './text.js';

/**
 * The digest's three renderings, from a view whose every field is already escaped and neutralised
 * (digest-view.ts), with the alert renderers' text rules: e-mail gets plain text, Slack mrkdwn with
 * `verbatim`, Chatbot client-markdown.
 */

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
const where = (view: DigestView) => `${view.apiId}/${view.stage}`;

export function digestHeadline(view: DigestView): string {
  return `${plural(view.total, '403')} between ${view.periodStart} and ${view.periodEnd} (${trend(view.total, view.previousTotal)} against the period before: ${view.previousTotal}); ${view.mutedTotal} more muted; ${plural(view.alertsSent, 'alert')} sent.`;
}

function lineText(line: DigestLine): string {
  const muted = line.mutedCount > 0 ? `, ${line.mutedCount} muted` : '';
  const alerted = line.alertsSent > 0 ? `, ${plural(line.alertsSent, 'alert')}` : '';
  const deployed = line.deploymentId ? `, first seen in deployment ${line.deploymentId}` : '';
  return `${line.category}: ${line.count} (${trend(line.count, line.previousCount)}, was ${line.previousCount}${muted}${alerted}) · ${line.lifecycle} · ${line.action}${deployed}`;
}

const alerted = (view: DigestView) => view.categories.filter((line) => line.alertsSent > 0);

export function digestSubject(view: DigestView): string {
  return placedSubject(
    '[DIGEST] 403s',
    view,
    `: ${plural(view.total, '403')}, ${plural(view.alertsSent, 'alert')}`,
  );
}

export function renderDigestEmail(view: DigestView): string {
  const lines = [
    `403 digest: API ${view.apiId} · stage ${view.stage}${view.account ? ` · account ${view.account}` : ''} · ${view.region}`,
    '',
    digestHeadline(view),
    '',
    'By category, most 403s first',
    ...view.categories.map((line) => `  ${lineText(line)}`),
  ];
  const alerts = alerted(view);
  if (alerts.length > 0)
    lines.push('', 'Groups that alerted', ...alerts.map((line) => `  ${line.category}: ${line.title}`));
  if (view.topSources.length > 0) lines.push('', 'Top sources', `  ${formatTops(view.topSources)}`);
  if (view.notes.length > 0) lines.push('', 'Notes', ...view.notes.map((note) => `  ${note}`));
  lines.push('', `Digest ${view.id}`);
  return toPlainText(lines.join('\n'));
}

const mrkdwn = (text: string) => ({
  type: 'mrkdwn' as const,
  text: truncateEscaped(text, SLACK_LIMITS.sectionText),
  verbatim: true as const,
});
const section = (text: string): SlackBlock => ({ type: 'section', text: mrkdwn(text) });

export function renderDigestSlack(view: DigestView): SlackMessage {
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncateEscaped(`403 digest: ${where(view)}`, SLACK_LIMITS.headerText),
      },
    },
    section(digestHeadline(view)),
    section(`*By category*\n${view.categories.map(lineText).join('\n')}`),
  ];
  const alerts = alerted(view);
  if (alerts.length > 0)
    blocks.push(
      section(`*Groups that alerted*\n${alerts.map((l) => `${l.category}: ${l.title}`).join('\n')}`),
    );
  if (view.topSources.length > 0) blocks.push(section(`*Top sources*: ${formatTops(view.topSources)}`));
  for (const note of view.notes) blocks.push(section(`:warning: ${note}`));
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(`${view.account ? `account ${view.account} · ` : ''}${view.region} · digest ${view.id}`),
    ],
  });
  return {
    text: truncateEscaped(`403 digest for ${where(view)}: ${digestHeadline(view)}`, SLACK_LIMITS.sectionText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}

export function renderDigestChatbot(view: DigestView): ChatbotNotification {
  const alerts = alerted(view);
  return chatbotNotification(
    view.id,
    {
      title: `:bar_chart: 403 digest: ${where(view)}`,
      description: [
        `*${digestHeadline(view)}*`,
        ...view.categories.map(lineText),
        ...(alerts.length > 0 ? [`*Alerted:* ${alerts.map((l) => l.category).join(', ')}`] : []),
        ...(view.topSources.length > 0 ? [`*Top sources:* ${formatTops(view.topSources)}`] : []),
        ...view.notes,
      ].join('\n'),
      nextSteps: [],
      keywords: ['digest', view.apiId, view.stage],
    },
    {
      threadId: digestThreadIdOf(view),
      summary: `403 digest: ${view.total} × 403 on ${where(view)}`,
      eventType: 'Apigw403Digest',
      additionalContext: {
        apiId: view.apiId,
        stage: view.stage,
        ...(view.account ? { account: view.account } : {}),
        total: String(view.total),
        previousTotal: String(view.previousTotal),
        muted: String(view.mutedTotal),
        alertsSent: String(view.alertsSent),
      },
    },
    view,
  );
}

export interface RenderedDigest {
  readonly subject: string;
  readonly message: string;
  /** `kind` = digest, `apiId`, `stage` (and `account` when known): what routes filter on. */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * `MessageStructure: json`, as alerts: e-mail gets the text, `https` (AWS Chatbot) the notification,
 * `default` (Lambda, SQS) the view. A digest is bounded by its lines (one per category), far under
 * SNS's 256 KB, so it is never cut.
 */
export function renderDigestPublish(view: DigestView): RenderedDigest {
  return {
    subject: digestSubject(view),
    message: JSON.stringify({
      default: JSON.stringify(view),
      email: renderDigestEmail(view),
      https: JSON.stringify(renderDigestChatbot(view)),
    }),
    attributes: {
      [ROUTING_ATTRIBUTES.kind]: 'digest',
      ...nameAttributes(view.names),
    },
  };
}
