import type { AlertView } from './alert-view.js';
import { firstSeenLine, formatTops, headline } from './email.js';
import { truncateEscaped } from './text.js';

/** Block Kit limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = { sectionText: 3000, headerText: 150, blocks: 50, buttonUrl: 3000 } as const;

export interface SlackText {
  readonly type: 'mrkdwn' | 'plain_text';
  readonly text: string;
  /** mrkdwn only: no automatic links, channel names or mentions in what the text says. */
  readonly verbatim?: true;
}

export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text: SlackText }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] }
  | { readonly type: 'divider' }
  | {
      readonly type: 'actions';
      readonly elements: readonly {
        readonly type: 'button';
        readonly text: SlackText;
        readonly url: string;
      }[];
    };

export interface SlackMessage {
  /** The notification fallback (shown in push notifications and by clients without blocks). */
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

const mrkdwn = (text: string): SlackText => ({
  type: 'mrkdwn',
  text: truncateEscaped(text, SLACK_LIMITS.sectionText),
  verbatim: true,
});
const section = (text: string): SlackBlock => ({ type: 'section', text: mrkdwn(text) });

/**
 * Renders an alert view as a Slack message. The view is already escaped and neutralised, so no log
 * value can form a mention (`<!channel>`, `@here`), a link (`<url|text>`, a bare URL), formatting or
 * a code span here; `verbatim` keeps Slack from linking what the text says.
 */
export function renderSlackMessage(view: AlertView): SlackMessage {
  const listed = (items: readonly string[]): string => items.map((item, i) => `${i + 1}. ${item}`).join('\n');
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncateEscaped(`403 ${view.category} on ${view.apiId}/${view.stage}`, SLACK_LIMITS.headerText),
      },
    },
    section(
      [`*${view.title}* (${view.severity})`, headline(view), firstSeenLine(view)].filter(Boolean).join('\n'),
    ),
  ];
  if (view.causes.length > 0) blocks.push(section(`*Likely causes*\n${listed(view.causes)}`));
  if (view.checks.length > 0) blocks.push(section(`*First checks*\n${listed(view.checks)}`));
  if (view.reasons.length > 0) blocks.push(section(`*Reasons*: ${formatTops(view.reasons)}`));
  if (view.evidence.length > 0) {
    blocks.push(section(`*Evidence*\n${view.evidence.map((line) => `\`${line}\``).join('\n')}`));
  }
  const who = [
    ['Sample request ids', view.sampleRequestIds.join(', ')],
    ['Top IPs', formatTops(view.topSourceIps)],
    ['Top paths', formatTops(view.topPaths)],
    ['Top user agents', formatTops(view.topUserAgents)],
    ['API key ids', formatTops(view.topApiKeyIds)],
  ].filter(([, value]) => value);
  if (who.length > 0) blocks.push(section(who.map(([label, value]) => `*${label}*: ${value}`).join('\n')));
  for (const note of view.notes) blocks.push(section(`:warning: ${note}`));
  const buttons = [
    { label: 'Logs Insights: sample requests', url: view.insightsUrl },
    { label: 'AWS documentation', url: view.docUrl },
  ].filter((button) => button.url.length <= SLACK_LIMITS.buttonUrl);
  if (buttons.length > 0) {
    blocks.push({
      type: 'actions',
      elements: buttons.map((button) => ({
        type: 'button',
        text: { type: 'plain_text', text: button.label },
        url: button.url,
      })),
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `${view.account ? `account ${view.account} · ` : ''}${view.region} · alert ${view.id} · sources ${view.sources.join('+') || 'n/a'}`,
      ),
    ],
  });
  return {
    text: truncateEscaped(
      `[${view.severity.toUpperCase()}] 403 ${view.category} on ${view.apiId}/${view.stage}: ${headline(view)}`,
      SLACK_LIMITS.sectionText,
    ),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}
