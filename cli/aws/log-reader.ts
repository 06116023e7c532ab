import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { filterLogEvents } from '../../lambda/adapters/log-events.js';
import type { LogEvent, LogsDocument } from '../../lambda/core/index.js';

export interface GroupRead {
  readonly logGroup: string;
  readonly filterPattern: string;
  readonly events: number;
  readonly pages: number;
  /** The group does not exist (no logging yet, or a wrong name). */
  readonly missing: boolean;
  readonly documents: readonly LogsDocument[];
}

export interface ReadGroupOptions {
  readonly startTime: number;
  readonly endTime?: number;
  readonly signal?: AbortSignal;
  readonly maxPages?: number;
  readonly onProgress?: (events: number, pages: number) => void;
}

/**
 * The matching events of one group as subscription-shaped documents (one per stream), so they go
 * through the same `classifyDocuments` as the monitor's deliveries.
 */
export async function readGroup(
  client: CloudWatchLogsClient,
  logGroup: string,
  filterPattern: string,
  options: ReadGroupOptions,
): Promise<GroupRead> {
  const byStream = new Map<string, LogEvent[]>();
  let events = 0;
  let pages = 0;
  try {
    const input = {
      logGroupName: logGroup,
      filterPattern,
      startTime: options.startTime,
      ...(options.endTime === undefined ? {} : { endTime: options.endTime }),
    };
    const onPage = (page: { events: number; pages: number }) => {
      pages = page.pages;
      options.onProgress?.(page.events, page.pages);
    };
    for await (const event of filterLogEvents(client, input, {
      signal: options.signal,
      maxPages: options.maxPages,
      onPage,
    })) {
      const stream = event.logStreamName ?? '';
      const list = byStream.get(stream) ?? [];
      list.push({ id: event.eventId ?? '', timestamp: event.timestamp ?? 0, message: event.message ?? '' });
      byStream.set(stream, list);
      events += 1;
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      return { logGroup, filterPattern, events: 0, pages, missing: true, documents: [] };
    }
    throw error;
  }
  const documents = [...byStream].map(([logStream, logEvents]) => ({
    messageType: 'DATA_MESSAGE' as const,
    owner: '',
    logGroup,
    logStream,
    subscriptionFilters: [],
    logEvents,
  }));
  return { logGroup, filterPattern, events, pages, missing: false, documents };
}
