export { ACCESS_FIELDS, type AccessField, type AccessFieldSpec, fieldForKey } from './access-fields.js';
export { type AccessRecord, parseAccessLine } from './access-log.js';
export {
  type AccessLogApiKind,
  type AccessLogFormatAnalysis,
  type ApiKind,
  analyzeAccessLogFormat,
  recommendedAccessLogFormat,
} from './access-log-format.js';
export * from './categories.js';
export { classifyRequest, type RequestEvidence } from './classify.js';
export {
  type BatchResult,
  type BatchStats,
  type ClassifyOptions,
  classifyDocuments,
  classifyIntoGroups,
  type GroupedBatchResult,
  type GroupingOptions,
} from './classify-batch.js';
export {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecodeOptions,
  type DecodeResult,
  decodeSubscriptionEvent,
  decodeSubscriptionText,
} from './decode.js';
export {
  collectExecutionEvidence,
  EXECUTION_LOG_GROUP_PREFIX,
  type ExecutionEvidence,
  executionLogGroupName,
  parseExecutionLogGroup,
  splitExecutionLine,
} from './execution-log.js';
export {
  FORBIDDEN_RESPONSE_TYPES,
  type GatewayMessageMatch,
  matchGatewayMessage,
} from './gateway-messages.js';
export {
  DEFAULT_SAMPLE_SIZE,
  DEFAULT_TOP_N,
  type FindingGroup,
  GroupAccumulator,
  type GroupOptions,
  groupFindings,
  type Top,
} from './group.js';
export type { Candidate, EvidenceSource, Finding, LogEvent, LogsDocument } from './model.js';
export { maskApiKeyId, REDACTED, redact, redactLines, redactName } from './redact.js';
export {
  type CategoryDescription,
  type CategoryRule,
  type DescribeContext,
  describeCategory,
  RULES,
  type Severity,
} from './rules.js';
