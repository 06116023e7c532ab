import { decodeSubscriptionEvent } from './core/index.js';
import { isListedAccount, parseKinesisEvent, subscriptionEnvelope } from './core/kinesis-records.js';
import { countDocument, invalidPayloadDocument, UNLISTED_ACCOUNT_METRIC } from './core/render/index.js';
import { type InvocationSummary, type MonitorDeps, processDecodedEvent } from './monitor.js';

export interface KinesisMonitorDeps extends MonitorDeps {
  /**
   * The source accounts whose documents may alert.
   * @default - every account the destination policy lets in
   */
  readonly sourceAccounts?: readonly string[];
}

/** The partial batch response of an event source mapping with `ReportBatchItemFailures`. */
export interface KinesisBatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export interface KinesisBatchSummary extends KinesisBatchResponse {
  readonly records: number;
  /** One per record processed, in stream order (up to the first failure). */
  readonly summaries: readonly InvocationSummary[];
  readonly malformed: number;
  readonly unlisted: number;
}

/**
 * A batch of one shard, record by record and in order, each through the same pipeline as a Lambda
 * subscription event. The first record whose delivery fails is reported and the rest left alone:
 * Lambda checkpoints before the lowest reported sequence number and retries from it, so the records
 * after it would run again anyway (and the batch id makes a record that did run count once). A
 * record's batch leased by an earlier invocation is taken over (`takeOverLeases`): the mapping retries
 * only after that invocation ended, and without pause, so waiting for the lease would exhaust the
 * retries and leave only a shard pointer on the failure queue.
 */
export async function processKinesisBatch(
  event: unknown,
  streamDeps: KinesisMonitorDeps,
): Promise<KinesisBatchSummary> {
  const deps = { ...streamDeps, takeOverLeases: true };
  const batch = parseKinesisEvent(event);
  const metrics: Record<string, unknown>[] = [];
  const now = deps.now();
  const unreadable = batch.invalid === undefined ? batch.malformed : 1;
  if (unreadable > 0) {
    deps.log('warn', 'dropped unreadable Kinesis records', {
      reason: batch.invalid ?? 'records without kinesis.data or kinesis.sequenceNumber',
      unreadable,
    });
    metrics.push(invalidPayloadDocument(deps.config.metricNamespace, now, unreadable));
  }
  const summaries: InvocationSummary[] = [];
  let unlisted = 0;
  let failed: string | undefined;
  for (const record of batch.records) {
    const envelope = subscriptionEnvelope(record);
    const decoded = decodeSubscriptionEvent(envelope);
    if (decoded.kind === 'data' && !isListedAccount(decoded.document.owner, deps.sourceAccounts)) {
      unlisted += 1;
      continue;
    }
    try {
      // Decoded once: what the decode skipped is counted with the rest, control and invalid payloads included.
      summaries.push(await processDecodedEvent(decoded, deps));
    } catch (error) {
      deps.log('error', 'a Kinesis record failed; Lambda retries the shard from it', {
        sequenceNumber: record.sequenceNumber,
        processed: summaries.length,
        error: error instanceof Error ? error.message : String(error),
      });
      failed = record.sequenceNumber;
      break;
    }
  }
  if (unlisted > 0) {
    deps.log('warn', 'dropped documents of accounts that are not listed', { unlisted });
    metrics.push(countDocument(UNLISTED_ACCOUNT_METRIC, deps.config.metricNamespace, now, unlisted));
  }
  if (metrics.length > 0) deps.metrics(metrics);
  return {
    batchItemFailures: failed === undefined ? [] : [{ itemIdentifier: failed }],
    records: batch.records.length,
    summaries,
    malformed: unreadable,
    unlisted,
  };
}
