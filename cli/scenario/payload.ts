import { gzipSync } from 'node:zlib';
import type { LogsDocument } from '../../lambda/core/index.js';

/** The event a CloudWatch Logs subscription gives a Lambda: the document, gzipped, in base64. */
export function subscriptionEvent(document: LogsDocument): { awslogs: { data: string } } {
  return { awslogs: { data: gzipSync(JSON.stringify(document)).toString('base64') } };
}

let sequence = 0;

/** Event ids shaped like CloudWatch's (56 digits), unique within a process. */
export function eventId(timestamp: number): string {
  sequence += 1;
  return `${timestamp}`.padEnd(36, '0') + `${sequence}`.padStart(20, '0');
}

export function logsDocument(
  logGroup: string,
  events: readonly { timestamp: number; message: string }[],
  logStream = '0d3d64f5bd3ff983c52143ab21212896',
): LogsDocument {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup,
    logStream,
    subscriptionFilters: ['apigw-403-monitor'],
    logEvents: events.map((event) => ({ id: eventId(event.timestamp), ...event })),
  };
}
