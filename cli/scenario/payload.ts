import { gzipSync } from 'node:zlib';
import type { LogsDocument } from '../../lambda/core/index.js';
import type { TimedDelivery } from './timeline.js';

/** The event a CloudWatch Logs subscription gives a Lambda: the document, gzipped, in base64. */
export function subscriptionEvent(document: LogsDocument): { awslogs: { data: string } } {
  return { awslogs: { data: gzipSync(JSON.stringify(document)).toString('base64') } };
}

/**
 * One delivery of the simulated clock: `document` as its subscription event, at `at`; by default
 * its latest event's timestamp, which may be 0 or before (never the wall clock: a replay plays the
 * same whenever it runs); a document without events, which no reader yields, at 0.
 */
export function timedDelivery(
  label: string,
  document: LogsDocument,
  at = document.logEvents.length === 0
    ? 0
    : document.logEvents.reduce(
        (latest, event) => Math.max(latest, event.timestamp),
        Number.NEGATIVE_INFINITY,
      ),
): TimedDelivery {
  return { label, at, event: subscriptionEvent(document) };
}

/**
 * A 403 line of the recommended JSON access-log format, for `GET /orders` on `stage` at `timestamp`;
 * `fields` add to it or replace its fields.
 */
export function accessLine(
  request: {
    readonly requestId: string;
    readonly apiId: string;
    readonly stage: string;
    readonly timestamp: number;
  },
  fields: Readonly<Record<string, unknown>>,
): string {
  return JSON.stringify({
    requestId: request.requestId,
    apiId: request.apiId,
    stage: request.stage,
    status: '403',
    httpMethod: 'GET',
    resourcePath: '/orders',
    path: `/${request.stage}/orders`,
    requestTimeEpoch: String(request.timestamp),
    ...fields,
  });
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
