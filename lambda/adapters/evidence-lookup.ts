import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { executionLogGroupName } from '../core/execution-log.js';
import type { LogsDocument } from '../core/model.js';
import { MonitorError } from './errors.js';
import { filterLogEvents } from './log-events.js';

export interface EvidenceQuery {
  readonly apiId: string;
  readonly stage: string;
  readonly requestIds: readonly string[];
  readonly start: number;
  readonly end: number;
}

/** Execution lines arrive after the access line; look a little past the group's window. */
const WINDOW_BEFORE_MS = 60_000;
const WINDOW_AFTER_MS = 5 * 60_000;
const MAX_PAGES = 2;

/**
 * The longest one lookup may take, whatever the caller's own deadline: evidence improves an alert, it
 * must never hold it. Well inside the monitor's 60-second timeout, beside the client's request timeout.
 */
export const EVIDENCE_DEADLINE_MS = 10_000;

/**
 * The evidence budget of an invocation with `remainingMs` left (unknown: the fixed deadline): a
 * quarter of it, so that the Publish and the state writes that follow keep the rest.
 */
export function evidenceBudgetMs(remainingMs: number | undefined): number {
  if (remainingMs === undefined) return EVIDENCE_DEADLINE_MS;
  return Math.max(0, Math.min(EVIDENCE_DEADLINE_MS, Math.floor(remainingMs / 4)));
}

export interface EvidenceOptions {
  /** Stop after this many milliseconds (at most `EVIDENCE_DEADLINE_MS`, the default). */
  readonly timeoutMs?: number;
}

/**
 * The execution-log lines of a few sample requests, as one execution document the core can join to
 * the access lines: one FilterLogEvents call (an OR of the quoted `(requestId)` prefixes), at most
 * two pages, in a window around the group. Past the deadline the lines found so far are used; with
 * none found, it throws so that the alert says the lookup failed.
 */
export async function lookupExecutionEvidence(
  client: CloudWatchLogsClient,
  query: EvidenceQuery,
  options: EvidenceOptions = {},
): Promise<LogsDocument | undefined> {
  const ids = query.requestIds.filter((id) => /^[\w.=+/-]+$/.test(id));
  if (ids.length === 0) return undefined;
  const logGroup = executionLogGroupName(query.apiId, query.stage);
  const events: { id: string; timestamp: number; message: string }[] = [];
  const signal = AbortSignal.timeout(
    Math.min(EVIDENCE_DEADLINE_MS, options.timeoutMs ?? EVIDENCE_DEADLINE_MS),
  );
  for await (const event of filterLogEvents(
    client,
    {
      logGroupName: logGroup,
      filterPattern: ids.map((id) => `?"(${id})"`).join(' '),
      startTime: query.start - WINDOW_BEFORE_MS,
      endTime: query.end + WINDOW_AFTER_MS,
    },
    { maxPages: MAX_PAGES, maxThrottleRetries: 1, signal },
  )) {
    events.push({
      id: event.eventId ?? `${event.timestamp}-${events.length}`,
      timestamp: event.timestamp ?? query.start,
      message: event.message ?? '',
    });
  }
  if (events.length === 0) {
    if (signal.aborted) throw new MonitorError(`the lookup in ${logGroup} passed its deadline`, true);
    return undefined;
  }
  return {
    messageType: 'DATA_MESSAGE',
    owner: 'lookup',
    logGroup,
    logStream: 'filter-log-events',
    subscriptionFilters: [],
    logEvents: events,
  };
}
