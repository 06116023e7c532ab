import type { AlertView } from './alert-view.js';
import { firstSeenLine, formatTops, headline } from './email.js';

/**
 * The AWS Chatbot (Amazon Q Developer in chat applications) custom-notification event, as documented
 * at https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html: `version` "1.0",
 * `source` "custom", `content` (textType client-markdown, title, description, nextSteps, keywords),
 * `metadata` (threadId, summary, eventType, relatedResources, additionalContext).
 */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/**
 * The custom-notification event of an alert or a digest: the envelope both share around what each
 * says, about one stage (its one related resource).
 */
export function chatbotNotification(
  id: string,
  content: Omit<ChatbotNotification['content'], 'textType'>,
  {
    threadId,
    summary,
    eventType,
    additionalContext,
  }: Omit<ChatbotNotification['metadata'], 'relatedResources'>,
  about: { readonly apiId: string; readonly stage: string; readonly region: string },
): ChatbotNotification {
  return {
    version: '1.0',
    source: 'custom',
    id,
    content: { textType: 'client-markdown', ...content },
    metadata: {
      threadId,
      summary,
      eventType,
      relatedResources: [`API Gateway API ${about.apiId}, stage ${about.stage} (${about.region})`],
      additionalContext,
    },
  };
}

const SEVERITY_EMOJI = {
  critical: ':rotating_light:',
  high: ':red_circle:',
  medium: ':large_orange_circle:',
  low: ':white_circle:',
} as const;

export function renderChatbotNotification(view: AlertView): ChatbotNotification {
  const description = [
    `*${headline(view)}*`,
    firstSeenLine(view),
    view.summary,
    view.causes.length > 0
      ? `*Likely causes:* ${view.causes.map((cause, i) => `${i + 1}. ${cause}`).join(' ')}`
      : undefined,
    view.reasons.length > 0 ? `*Reasons:* ${formatTops(view.reasons)}` : undefined,
    view.evidence[0] ? `*Evidence:* \`${view.evidence[0]}\`` : undefined,
    view.sampleRequestIds.length > 0
      ? `*Sample request ids:* ${view.sampleRequestIds.join(', ')}`
      : undefined,
    view.topSourceIps.length > 0 ? `*Top IPs:* ${formatTops(view.topSourceIps)}` : undefined,
    view.topPaths.length > 0 ? `*Top paths:* ${formatTops(view.topPaths)}` : undefined,
    view.topUserAgents.length > 0 ? `*Top user agents:* ${formatTops(view.topUserAgents)}` : undefined,
    ...view.notes,
  ].filter((line): line is string => line !== undefined);
  return chatbotNotification(
    view.id,
    {
      title: `${SEVERITY_EMOJI[view.severity]} 403 ${view.category} on ${view.apiId}/${view.stage}`,
      description: description.join('\n'),
      nextSteps: [
        ...view.checks,
        `Logs Insights (sample requests): ${view.insightsUrl}`,
        `Documentation: ${view.docUrl}`,
      ],
      keywords: [view.category, view.severity, view.apiId, view.stage],
    },
    {
      threadId: view.threadId,
      summary: `${view.title}: ${view.count} × 403 on ${view.apiId}/${view.stage}`,
      eventType: `Apigw403${view.category}`,
      additionalContext: {
        category: view.category,
        severity: view.severity,
        apiId: view.apiId,
        stage: view.stage,
        ...(view.account ? { account: view.account } : {}),
        count: String(view.count),
        suppressedSinceLast: String(view.suppressedSinceLast),
        firstSeen: String(view.firstSeen),
      },
    },
    view,
  );
}
