import { type AccessRecord, parseAccessLine } from './access-log.js';
import { classifyRequest, classifyRequestUnredacted, type RequestEvidence } from './classify.js';
import { collectExecutionEvidence, type ExecutionEvidence, parseExecutionLogGroup } from './execution-log.js';
import { type FindingGroup, GroupAccumulator, type GroupOptions } from './group.js';
import type { Finding, LogsDocument } from './model.js';

export interface BatchStats {
  events: number;
  accessLines: number;
  executionLines: number;
  /** Access-group events in none of the recognised formats. */
  unrecognised: number;
  /** Requests seen that were not 403s (nor a 403 response type remapped). */
  outOfScope: number;
}

export interface BatchResult {
  readonly findings: Finding[];
  readonly stats: BatchStats;
}

export interface ClassifyOptions {
  /**
   * The API and stage an access log group belongs to, for formats whose lines do not say (the
   * console defaults log neither `$context.apiId` nor `$context.stage`).
   */
  readonly resolveStage?: (logGroup: string) => { apiId: string; stage: string } | undefined;
  /**
   * Each event's id, in the order of its document, as the batch is walked (for the batch id, which is
   * cheaper to hash while the event is at hand than in a walk of its own).
   */
  readonly eachEventId?: (id: string) => void;
}

/**
 * Classifies every request in a set of subscription documents. Access lines and execution lines of
 * the same request are joined (by request id, else by extended request id) into one finding that
 * keeps the more specific evidence; execution lines with no access line form findings of their own.
 */
export function classifyDocuments(
  documents: readonly LogsDocument[],
  options: ClassifyOptions = {},
): BatchResult {
  const findings: Finding[] = [];
  const stats = classifyInto(documents, options, classifyRequest, (finding) => findings.push(finding));
  return { findings, stats };
}

export interface GroupedBatchResult {
  readonly groups: FindingGroup[];
  /** The in-scope requests grouped (what `classifyDocuments` returns as findings, less `dropped`). */
  readonly findings: number;
  /** In-scope requests `keep` turned away. */
  readonly dropped: number;
  readonly stats: BatchStats;
}

export interface GroupingOptions extends ClassifyOptions, GroupOptions {
  /**
   * Each finding on its way into its group: returns the finding to group (the same or a changed one),
   * or `undefined` to drop it. Sees the caller-controlled strings before redaction. `wellFormed`: no
   * text of the finding can hold a lone surrogate (see `textsAreWellFormed`), so it need not be checked.
   */
  readonly keep?: (finding: Finding, wellFormed: boolean) => Finding | undefined;
}

/**
 * `groupFindings(classifyDocuments(documents).findings)` without a finding per request: each one is
 * folded into its group as it is classified, and redaction is left to the group (only the values
 * and evidence lines it keeps). The groups are identical; a 1 MB batch no longer holds ~10 000
 * findings at once.
 */
export function classifyIntoGroups(
  documents: readonly LogsDocument[],
  options: GroupingOptions = {},
): GroupedBatchResult {
  const accumulator = new GroupAccumulator({ ...options, redact: true });
  const { keep } = options;
  let dropped = 0;
  const stats = classifyInto(documents, options, classifyRequestUnredacted, (finding, wellFormed) => {
    const kept = keep ? keep(finding, wellFormed) : finding;
    if (kept) accumulator.add(kept);
    else dropped += 1;
  });
  return { groups: accumulator.build(), findings: accumulator.size, dropped, stats };
}

function classifyInto(
  documents: readonly LogsDocument[],
  options: ClassifyOptions,
  classify: (input: RequestEvidence) => Finding | undefined,
  keep: (finding: Finding, wellFormed: boolean) => void,
): BatchStats {
  const batch = new Batch(classify, keep, options.eachEventId);
  // Execution evidence first, so that each access line is classified (and dropped) as soon as it is
  // parsed: nothing per line outlives its finding, which keeps a 1 MB payload inside 128 MB.
  for (const document of documents) batch.collectExecution(document);
  batch.indexExtendedIds();
  for (const document of documents) batch.classifyAccess(document, options.resolveStage?.(document.logGroup));
  batch.classifyUnjoinedExecution();
  return batch.stats;
}

/** `RequestEvidence` with its fields always present (undefined when absent) and writable. */
interface LineContext {
  timestamp: number;
  eventId: string | undefined;
  apiId: string | undefined;
  stage: string | undefined;
}
interface LineInput {
  access: AccessRecord | undefined;
  execution: ExecutionEvidence | undefined;
  context: LineContext;
}

class Batch {
  readonly stats: BatchStats = {
    events: 0,
    accessLines: 0,
    executionLines: 0,
    unrecognised: 0,
    outOfScope: 0,
  };
  private readonly execution = new Map<string, ExecutionEvidence>();
  private readonly byExtendedId = new Map<string, ExecutionEvidence>();
  private readonly joined = new Set<ExecutionEvidence>();

  constructor(
    private readonly classify: (input: RequestEvidence) => Finding | undefined,
    private readonly onFinding: (finding: Finding, wellFormed: boolean) => void,
    private readonly eachEventId: ((id: string) => void) | undefined,
  ) {}

  collectExecution(document: LogsDocument): void {
    this.stats.events += document.logEvents.length;
    const group = parseExecutionLogGroup(document.logGroup);
    if (!group) return;
    this.stats.executionLines += document.logEvents.length;
    collectExecutionEvidence(document.logEvents, group, this.execution);
    const { eachEventId } = this;
    if (eachEventId) for (const event of document.logEvents) eachEventId(event.id);
  }

  indexExtendedIds(): void {
    for (const evidence of this.execution.values()) {
      if (evidence.extendedRequestId) this.byExtendedId.set(evidence.extendedRequestId, evidence);
    }
  }

  classifyAccess(document: LogsDocument, group: { apiId: string; stage: string } | undefined): void {
    if (parseExecutionLogGroup(document.logGroup)) return;
    // One input for every line, refilled: a classifier reads its input and keeps none of it (the
    // finding copies what it needs), so two objects per line need not be made.
    const context: LineContext = {
      timestamp: 0,
      eventId: undefined,
      apiId: group?.apiId,
      stage: group?.stage,
    };
    const input: LineInput = { access: undefined, execution: undefined, context };
    const { eachEventId } = this;
    for (const event of document.logEvents) {
      eachEventId?.(event.id);
      const record = parseAccessLine(event.message);
      if (!record) {
        this.stats.unrecognised += 1;
        continue;
      }
      this.stats.accessLines += 1;
      const evidence = this.evidenceFor(record.values.requestId, record.values.extendedRequestId);
      if (evidence) this.joined.add(evidence);
      context.timestamp = event.timestamp;
      context.eventId = event.id;
      input.access = record;
      input.execution = evidence;
      this.keep(
        this.classify(input as RequestEvidence),
        evidence === undefined && textsAreWellFormed(event.message),
      );
    }
  }

  classifyUnjoinedExecution(): void {
    for (const evidence of this.execution.values()) {
      if (this.joined.has(evidence)) continue;
      this.keep(
        this.classify({ execution: evidence, context: { timestamp: evidence.firstTimestamp } }),
        false,
      );
    }
  }

  private evidenceFor(requestId?: string, extendedRequestId?: string): ExecutionEvidence | undefined {
    if (this.execution.size === 0) return undefined;
    return (
      (requestId === undefined ? undefined : this.execution.get(requestId)) ??
      (extendedRequestId === undefined ? undefined : this.byExtendedId.get(extendedRequestId))
    );
  }

  private keep(finding: Finding | undefined, wellFormed: boolean): void {
    if (finding) this.onFinding(finding, wellFormed);
    else this.stats.outOfScope += 1;
  }
}

/**
 * Whether every text taken from an access line is well-formed, known from the line alone: a lone
 * surrogate reaches a value only if the line holds one, or through a JSON `\\u` escape (no other
 * format of a line decodes to one), and the parsers cut lines at ASCII delimiters only, never inside a
 * surrogate pair. Both tests answer at once for the line V8 holds in one byte per character, as nearly
 * every line is, which costs less than checking each text of the finding
 * (test/property/well-formed-lines.property.test.ts checks the claim against `wellFormedFinding`).
 */
export function textsAreWellFormed(line: string): boolean {
  return line.isWellFormed() && !line.includes('\\u');
}
