import type { Category, Confidence, FindingReason } from './categories.js';

/** Where a piece of evidence came from. */
export type EvidenceSource = 'access' | 'execution' | 'client';

/** One candidate category with the reason it remains possible, best first. */
export interface Candidate {
  readonly category: Category;
  readonly why: string;
}

/**
 * One classified in-scope request: the classifier's output contract. Every string here has passed
 * redaction; `apiKeyId` is masked.
 */
export interface Finding {
  readonly requestId: string;
  readonly extendedRequestId?: string;
  readonly category: Category;
  readonly confidence: Confidence;
  readonly reason?: FindingReason;
  /** Present (two or more, ranked) when confidence is low; may be present when medium. */
  readonly candidates?: readonly Candidate[];
  /** The real status the caller got (a remapped gateway response keeps its own status). */
  readonly status: number;
  readonly apiId: string;
  readonly stage: string;
  readonly sources: readonly EvidenceSource[];
  /** Epoch milliseconds of the earliest evidence. */
  readonly timestamp: number;
  readonly httpMethod?: string;
  readonly resourcePath?: string;
  readonly path?: string;
  readonly domainName?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly apiKeyId?: string;
  /** `$context.deploymentId`, when the access log format carries it. */
  readonly deploymentId?: string;
  /** Short machine-readable facts that ranked the causes, e.g. `anonymous-caller`, `custom-domain`. */
  readonly signals: readonly string[];
  /** Human-readable evidence lines (redacted), e.g. the gateway message or the mTLS reason. */
  readonly evidence: readonly string[];
  /** Access-log fields whose absence kept the decision from being made (UNCLASSIFIED or low). */
  readonly missingFields?: readonly string[];
}

/** A decoded CloudWatch Logs subscription document (`DATA_MESSAGE`). */
export interface LogEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: string;
}

export interface LogsDocument {
  readonly messageType: 'DATA_MESSAGE';
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  readonly logEvents: readonly LogEvent[];
}
