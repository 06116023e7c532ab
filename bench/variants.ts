/**
 * The ways of handling one subscription event that the benchmark compares, in pairs of equal work:
 * `decode` (ours) against `powertools` (envelope only: neither parses the lines), and `classifier`
 * (the monitor's whole per-line path) against `floor` (decode plus `JSON.parse` of every line, the
 * least any classifier must do). `core` is `classifyIntoGroups` alone, to show what the monitor adds.
 * Each returns a number derived from its work so that nothing can be optimised away.
 */
import { gunzipSync } from 'node:zlib';
import { CloudWatchLogsSchema } from '@aws-lambda-powertools/parser/schemas/cloudwatch';
import { type MonitorConfig, monitorConfig, type WatchedStage } from '../lambda/adapters/env-config.js';
import { classifyIntoGroups } from '../lambda/core/classify-batch.js';
import { decodeSubscriptionEvent } from '../lambda/core/decode.js';
import { parseExecutionLogGroup } from '../lambda/core/execution-log.js';
import { monitorEnvironment } from '../lambda/core/monitor-contract.js';
import { classifyWatchedDocument } from '../lambda/monitor.js';
import type { Payload, SubscriptionEvent } from './payloads.js';

export type Variant = 'floor' | 'decode' | 'powertools' | 'core' | 'classifier';
export type Resolve = (logGroup: string) => { apiId: string; stage: string } | undefined;

/** The stage a payload's log group is watched for, as the deployed configuration would list it. */
export function watchedStagesOf(payload: Payload, resolve: Resolve): readonly WatchedStage[] {
  const execution = parseExecutionLogGroup(payload.logGroup);
  // A stage watched through its execution logs alone: the monitor classifies them (with an access
  // log too they would only be evidence for its lines).
  if (execution) return [{ apiId: execution.apiId, stage: execution.stage, executionLogs: true }];
  const stage = resolve(payload.logGroup);
  if (!stage) throw new Error(`no stage for ${payload.logGroup}`);
  return [{ ...stage, accessLogGroup: payload.logGroup, executionLogs: false }];
}

/** The monitor's configuration as the stack writes it (default noise policy: no mute rules). */
export function benchConfig(stages: readonly WatchedStage[]): MonitorConfig {
  return monitorConfig(
    monitorEnvironment({
      topicArn: 'arn:aws:sns:us-east-1:123456789012:apigw-403',
      stateTableName: 'apigw-403-state',
      watchedStages: stages,
    }),
  );
}

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
  return decodeData(event).document.logEvents.length;
}

/** The core alone: decode, parse and classify every line into groups. */
export function core(event: SubscriptionEvent, resolveStage: Resolve): number {
  const { groups, findings } = classifyIntoGroups([decodeData(event).document], { resolveStage });
  return groups.length + findings;
}

/**
 * What the monitor does with one event of a watched stage before its first AWS call
 * (`processSubscriptionEvent` up to `alertBatch`): decode, then `classifyWatchedDocument` (classify,
 * group, attribute to the stage, tally per minute, the batch id).
 */
export function classifier(
  event: SubscriptionEvent,
  stages: readonly WatchedStage[],
  config: MonitorConfig,
): number {
  const { classified, batchId } = classifyWatchedDocument(decodeData(event).document, stages, config);
  return classified.groups.length + classified.findings + batchId.length;
}

function decodeData(event: SubscriptionEvent) {
  const decoded = decodeSubscriptionEvent(event);
  if (decoded.kind !== 'data')
    throw new Error(`benchmark payload did not decode: ${JSON.stringify(decoded)}`);
  return decoded;
}

/** Powertools' CloudWatch Logs schema: base64 check, gunzip, JSON.parse and zod validation. */
export function powertools(event: SubscriptionEvent): number {
  return CloudWatchLogsSchema.parse(event).awslogs.data.logEvents.length;
}
