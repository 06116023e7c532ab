/**
 * The ways of handling one subscription event that the benchmark compares, in pairs of equal work:
 * `decode` (ours) against `powertools` (envelope only: neither parses the lines), and `classifier`
 * (the whole pipeline) against `floor` (decode plus `JSON.parse` of every line, the least any
 * classifier must do). Each returns a number derived from its work so that nothing can be optimised
 * away.
 */
import { gunzipSync } from 'node:zlib';
import { CloudWatchLogsSchema } from '@aws-lambda-powertools/parser/schemas/cloudwatch';
import { classifyIntoGroups } from '../lambda/core/classify-batch.js';
import { decodeSubscriptionEvent } from '../lambda/core/decode.js';
import type { SubscriptionEvent } from './payloads.js';

export type Variant = 'floor' | 'decode' | 'powertools' | 'classifier';
export type Resolve = (logGroup: string) => { apiId: string; stage: string } | undefined;

interface FloorDocument {
  logEvents: { message: string }[];
}

/**
 * The least any decoder must do: base64 decode, gunzip, JSON.parse of the document, JSON.parse of
 * every access-log line. Execution lines are not JSON, so only their message is touched.
 */
export function floor(event: SubscriptionEvent): number {
  const inflated = gunzipSync(Buffer.from(event.awslogs.data, 'base64'));
  const document = JSON.parse(inflated.toString('utf8')) as FloorDocument;
  let sink = 0;
  for (const { message } of document.logEvents) {
    if (message.charCodeAt(0) === 123 /* { */) {
      const line = JSON.parse(message) as Record<string, unknown>;
      sink += line === null ? 0 : 1;
    } else {
      sink += message.length;
    }
  }
  return sink;
}

/** Our decode step alone: base64 check, gunzip, `JSON.parse` of the document, validation of every event. */
export function decode(event: SubscriptionEvent): number {
  const decoded = decodeSubscriptionEvent(event);
  if (decoded.kind !== 'data')
    throw new Error(`benchmark payload did not decode: ${JSON.stringify(decoded)}`);
  return decoded.document.logEvents.length;
}

/** What the Lambda does with one event: decode, parse and classify every line into groups. */
export function classifier(event: SubscriptionEvent, resolveStage: Resolve): number {
  const decoded = decodeSubscriptionEvent(event);
  if (decoded.kind !== 'data')
    throw new Error(`benchmark payload did not decode: ${JSON.stringify(decoded)}`);
  const { groups, findings } = classifyIntoGroups([decoded.document], { resolveStage });
  return groups.length + findings;
}

/** Powertools' CloudWatch Logs schema: base64 check, gunzip, JSON.parse and zod validation. */
export function powertools(event: SubscriptionEvent): number {
  return CloudWatchLogsSchema.parse(event).awslogs.data.logEvents.length;
}
