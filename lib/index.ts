/**
 * The package's entry point: what a CDK app needs to watch its APIs' 403s. Test helpers and the
 * construct's internals stay unexported; `test/package/consumer.test.ts` checks the list.
 */

export { CATEGORIES, type Category, CLIENT_ONLY_CATEGORIES } from '../lambda/core/categories.js';
export {
  AccessLogFormatCheck,
  type AccessLogTarget,
  type ApiKind,
  analyzeAccessLogFormat,
  applyRecommendedAccessLogFormat,
  recommendedAccessLogFormat,
  recommendedRestAccessLogFormat,
} from './access-log-format.js';
export {
  Apigw403Monitor,
  type Apigw403MonitorProps,
  type CategoryAlarm,
  type ChatbotSlackChannel,
  DEFAULT_ALARM_PERIOD,
  DEFAULT_LOG_RETENTION,
  DEFAULT_MAX_EVENT_AGE,
  DEFAULT_MEMORY_SIZE_MB,
  DEFAULT_RETRY_ATTEMPTS,
  DEFAULT_TIMEOUT,
  LAMBDA_RUNTIME,
  type WatchedStage,
  type WatchedStageObject,
} from './apigw-403-monitor.js';
export {
  CONTEXT_KEY,
  type ConfigResult,
  DEFAULT_RESERVED_CONCURRENCY,
  type MonitorConfig,
  parseConfig,
} from './config.js';
export { DEFAULT_METRIC_NAMESPACE, FORBIDDEN_METRIC_NAME } from './dashboard.js';
export type { AccessLogFormatKind } from './filter-patterns.js';
export { Apigw403MonitorStack, type Apigw403MonitorStackProps } from './monitor-stack.js';
export { applyNagSuppressions } from './nag-suppressions.js';
