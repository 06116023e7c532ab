import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { executionLogGroupName } from '../core/execution-log.js';
import type { LogsDocument } from '../core/model.js';
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
 * The execution-log lines of a few sample requests, as one execution document the core can join to
 * the access lines: one FilterLogEvents call (an OR of the quoted `(requestId)` prefixes), at most
 * two pages, in a window around the group.
 */
export async function lookupExecutionEvidence(
  client: CloudWatchLogsClient,
  query: EvidenceQuery,
): Promise<LogsDocument | undefined> {
  const ids = query.requestIds.filter((id) => /^[\w.=+/-]+$/.test(id));
  if (ids.length === 0) return undefined;
  const logGroup = executionLogGroupName(query.apiId, query.stage);
  const events: { id: string; timestamp: number; message: string }[] = [];
  for await (const event of filterLogEvents(
    client,
    {
      logGroupName: logGroup,
      filterPattern: ids.map((id) => `?"(${id})"`).join(' '),
      startTime: query.start - WINDOW_BEFORE_MS,
      endTime: query.end + WINDOW_AFTER_MS,
    },
    { maxPages: MAX_PAGES, maxThrottleRetries: 1 },
  )) {
    events.push({
      id: event.eventId ?? `${event.timestamp}-${events.length}`,
      timestamp: event.timestamp ?? query.start,
      message: event.message ?? '',
    });
  }
  if (events.length === 0) return undefined;
  return {
    messageType: 'DATA_MESSAGE',
    owner: 'lookup',
    logGroup,
    logStream: 'filter-log-events',
    subscriptionFilters: [],
    logEvents: events,
  };
}
