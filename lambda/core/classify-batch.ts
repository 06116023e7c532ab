import { parseAccessLine } from './access-log.js';
import { classifyRequest } from './classify.js';
import { collectExecutionEvidence, type ExecutionEvidence, parseExecutionLogGroup } from './execution-log.js';
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
  const batch = new Batch();
  // Execution evidence first, so that each access line is classified (and dropped) as soon as it is
  // parsed: nothing per line outlives its finding, which keeps a 1 MB payload inside 128 MB.
  for (const document of documents) batch.collectExecution(document);
  batch.indexExtendedIds();
  for (const document of documents) batch.classifyAccess(document, options.resolveStage?.(document.logGroup));
  batch.classifyUnjoinedExecution();
  return { findings: batch.findings, stats: batch.stats };
}

class Batch {
  readonly stats: BatchStats = {
    events: 0,
    accessLines: 0,
    executionLines: 0,
    unrecognised: 0,
    outOfScope: 0,
  };
  readonly findings: Finding[] = [];
  private readonly execution = new Map<string, ExecutionEvidence>();
  private readonly byExtendedId = new Map<string, ExecutionEvidence>();
  private readonly joined = new Set<ExecutionEvidence>();

  collectExecution(document: LogsDocument): void {
    this.stats.events += document.logEvents.length;
    const group = parseExecutionLogGroup(document.logGroup);
    if (!group) return;
    this.stats.executionLines += document.logEvents.length;
    collectExecutionEvidence(document.logEvents, group, this.execution);
  }

  indexExtendedIds(): void {
    for (const evidence of this.execution.values()) {
      if (evidence.extendedRequestId) this.byExtendedId.set(evidence.extendedRequestId, evidence);
    }
  }

  classifyAccess(document: LogsDocument, group: { apiId: string; stage: string } | undefined): void {
    if (parseExecutionLogGroup(document.logGroup)) return;
    for (const event of document.logEvents) {
      const record = parseAccessLine(event.message);
      if (!record) {
        this.stats.unrecognised += 1;
        continue;
      }
      this.stats.accessLines += 1;
      const evidence = this.evidenceFor(record.values.requestId, record.values.extendedRequestId);
      if (evidence) this.joined.add(evidence);
      this.keep(
        classifyRequest({
          access: record,
          ...(evidence ? { execution: evidence } : {}),
          context: group
            ? { timestamp: event.timestamp, eventId: event.id, apiId: group.apiId, stage: group.stage }
            : { timestamp: event.timestamp, eventId: event.id },
        }),
      );
    }
  }

  classifyUnjoinedExecution(): void {
    for (const evidence of this.execution.values()) {
      if (this.joined.has(evidence)) continue;
      this.keep(classifyRequest({ execution: evidence, context: { timestamp: evidence.firstTimestamp } }));
    }
  }

  private evidenceFor(requestId?: string, extendedRequestId?: string): ExecutionEvidence | undefined {
    if (this.execution.size === 0) return undefined;
    return (
      (requestId === undefined ? undefined : this.execution.get(requestId)) ??
      (extendedRequestId === undefined ? undefined : this.byExtendedId.get(extendedRequestId))
    );
  }

  private keep(finding: Finding | undefined): void {
    if (finding) this.findings.push(finding);
    else this.stats.outOfScope += 1;
  }
}
