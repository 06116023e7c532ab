import type { Top } from '../group.js';
import { type MessageKind, ROUTING_ATTRIBUTES } from '../noise-policy-names.js';
import type { AlertView, RoutingNames } from './alert-view.js';
import { renderChatbotNotification } from './chatbot.js';
import { renderEmailText, subjectLine } from './email.js';
import { truncateEscaped } from './text.js';

/** SNS rejects a message (body plus attributes) over 256 KiB; keep room for subject and attributes. */
export const SNS_MESSAGE_BUDGET_BYTES = 256 * 1024 - 6 * 1024;

export interface RenderedPublish {
  readonly subject: string;
  /** For `MessageStructure: json`: one string per protocol. */
  readonly message: string;
  /**
   * SNS message attributes, for subscription filter policies (`account` only when the view names one;
   * `action` and `lifecycle`, ROUTING_ATTRIBUTES, when the view has them).
   */
  readonly attributes: Readonly<Record<'category' | 'severity' | 'apiId' | 'stage', string>> & {
    readonly account?: string;
  } & Readonly<Partial<Record<(typeof ROUTING_ATTRIBUTES)[keyof typeof ROUTING_ATTRIBUTES], string>>>;
  /** The view actually rendered, after any shrinking to fit the budget. */
  readonly view: AlertView;
}

/**
 * `MessageStructure: json` routes one Publish to each protocol: `email` gets the readable text,
 * `https` (AWS Chatbot subscribes with an HTTPS endpoint) the custom-notification JSON, and
 * `default` (SQS, Lambda such as the Slack forwarder, and any other protocol) the alert view JSON.
 */
export function messageFor(view: AlertView): string {
  return JSON.stringify({
    default: JSON.stringify(view),
    email: renderEmailText(view),
    https: JSON.stringify(renderChatbotNotification(view)),
  });
}

const shrinkTops = (list: readonly Top[], items: number, chars: number): Top[] =>
  list.slice(0, items).map((top) => ({ ...top, value: truncateEscaped(top.value, chars) }));

/** Ever smaller versions of a view; the first that fits is sent. The last one always fits. */
const SHRINKS: readonly ((view: AlertView) => AlertView)[] = [
  (view) => ({ ...view, evidence: view.evidence.slice(0, 2).map((line) => truncateEscaped(line, 300)) }),
  (view) => ({
    ...view,
    topSourceIps: shrinkTops(view.topSourceIps, 3, 60),
    topPaths: shrinkTops(view.topPaths, 3, 100),
    topUserAgents: shrinkTops(view.topUserAgents, 3, 100),
    topApiKeyIds: shrinkTops(view.topApiKeyIds, 3, 40),
    reasons: shrinkTops(view.reasons, 3, 60),
  }),
  (view) => ({
    ...view,
    evidence: [],
    topSourceIps: [],
    topPaths: [],
    topUserAgents: [],
    topApiKeyIds: [],
    causes: view.causes.slice(0, 3).map((cause) => truncateEscaped(cause, 300)),
    checks: view.checks.slice(0, 3).map((check) => truncateEscaped(check, 300)),
    notes: [...view.notes, 'Details were cut to fit the SNS message size limit; use the Logs Insights link.'],
  }),
];

/**
 * The attributes of a message's names (alert or digest): as API Gateway spells them, so a route's
 * filter policy, which names them as the deploy-time config does, matches exactly.
 */
export function nameAttributes(names: RoutingNames): Readonly<Record<'apiId' | 'stage', string>> & {
  readonly account?: string;
} {
  return {
    apiId: names.apiId,
    stage: names.stage,
    ...(names.account ? { account: names.account } : {}),
  };
}

export function renderPublish(view: AlertView, budgetBytes = SNS_MESSAGE_BUDGET_BYTES): RenderedPublish {
  let fitted = view;
  let message = messageFor(fitted);
  for (const shrink of SHRINKS) {
    if (Buffer.byteLength(message, 'utf8') <= budgetBytes) break;
    fitted = shrink(fitted);
    message = messageFor(fitted);
  }
  return {
    subject: subjectLine(fitted),
    message,
    attributes: {
      category: view.category,
      severity: view.severity,
      ...nameAttributes(view.names),
      [ROUTING_ATTRIBUTES.kind]: 'alert' satisfies MessageKind,
      ...(view.action ? { [ROUTING_ATTRIBUTES.action]: view.action } : {}),
      ...(view.lifecycle ? { [ROUTING_ATTRIBUTES.lifecycle]: view.lifecycle } : {}),
    },
    view: fitted,
  };
}
