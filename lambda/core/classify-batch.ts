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
  const stats: BatchStats = { events: 0, accessLines: 0, executionLines: 0, unrecognised: 0, outOfScope: 0 };
  const findings: Finding[] = [];
  const keep = (finding: Finding | undefined): void => {
    if (finding) findings.push(finding);
    else stats.outOfScope += 1;
  };

  // Execution evidence first, so that each access line is classified (and dropped) as soon as it is
  // parsed: nothing per line outlives its finding, which keeps a 1 MB payload inside 128 MB.
  const execution = new Map<string, ExecutionEvidence>();
  for (const document of documents) {
    const executionGroup = parseExecutionLogGroup(document.logGroup);
    if (!executionGroup) continue;
    stats.executionLines += document.logEvents.length;
    collectExecutionEvidence(document.logEvents, executionGroup, execution);
  }
  const byExtendedId = new Map<string, ExecutionEvidence>();
  for (const evidence of execution.values()) {
    if (evidence.extendedRequestId) byExtendedId.set(evidence.extendedRequestId, evidence);
  }

  const joined = new Set<ExecutionEvidence>();
  for (const document of documents) {
    stats.events += document.logEvents.length;
    if (parseExecutionLogGroup(document.logGroup)) continue;
    const group = options.resolveStage?.(document.logGroup);
    for (const event of document.logEvents) {
      const record = parseAccessLine(event.message);
      if (!record) {
        stats.unrecognised += 1;
        continue;
      }
      stats.accessLines += 1;
      const { requestId, extendedRequestId } = record.values;
      const evidence =
        execution.size === 0
          ? undefined
          : ((requestId === undefined ? undefined : execution.get(requestId)) ??
            (extendedRequestId === undefined ? undefined : byExtendedId.get(extendedRequestId)));
      if (evidence) joined.add(evidence);
      keep(
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
  for (const evidence of execution.values()) {
    if (joined.has(evidence)) continue;
    keep(classifyRequest({ execution: evidence, context: { timestamp: evidence.firstTimestamp } }));
  }
  return { findings, stats };
}
