export {
  type AlertContext,
  type AlertView,
  buildAlertView,
  LIMITS,
  threadIdOf,
} from './alert-view.js';
export { type ChatbotNotification, renderChatbotNotification } from './chatbot.js';
export { headline, renderEmailText, subjectLine } from './email.js';
export {
  countDocument,
  FOREIGN_LINES_METRIC,
  forbiddenRequestDocuments,
  INVALID_PAYLOADS_METRIC,
  invalidPayloadDocument,
  METRIC_NAME,
  type MetricCount,
  SKIPPED_EVENTS_METRIC,
  UNLISTED_ACCOUNT_METRIC,
  UNWATCHED_GROUP_METRIC,
} from './emf.js';
export { insightsQuery, logsInsightsUrl } from './insights-link.js';
export { renderSlackMessage, SLACK_LIMITS, type SlackBlock, type SlackMessage } from './slack.js';
export { messageFor, type RenderedPublish, renderPublish, SNS_MESSAGE_BUDGET_BYTES } from './sns-message.js';
export { escapeSlack, fromLog, neutraliseLogText, toPlainText, truncate, truncateEscaped } from './text.js';
