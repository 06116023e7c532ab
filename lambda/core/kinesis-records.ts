/**
 * The Kinesis side of a CloudWatch Logs destination. CloudWatch Logs writes each subscription delivery
 * as one Kinesis record whose data is the gzip'd subscription document, the same bytes as a Lambda
 * subscription's `awslogs.data`; the Lambda event carries that data in base64, so a record *is* an
 * `awslogs` payload and goes through the one decoder unchanged.
 */

/** One usable record of a Kinesis stream event (what the monitor needs of it). */
export interface KinesisLogsRecord {
  /** What a partial batch response names to have Lambda retry from this record. */
  readonly sequenceNumber: string;
  /** base64 of the gzip'd subscription document. */
  readonly data: string;
}

export interface KinesisBatch {
  readonly records: readonly KinesisLogsRecord[];
  /** Entries without a string `kinesis.data` and `kinesis.sequenceNumber`: counted, never retried. */
  readonly malformed: number;
  /** Set when the event is not a Kinesis event at all (no `Records` list). */
  readonly invalid?: string;
}

/** The environment variable of the central monitor that lists the source accounts it accepts. */
export const SOURCE_ACCOUNTS_ENV = 'SOURCE_ACCOUNTS';

const ACCOUNT_ID = /^\d{12}$/;

export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID.test(value);
}

/** Reads a Lambda Kinesis event; never throws. */
export function parseKinesisEvent(event: unknown): KinesisBatch {
  const records = isRecord(event) ? event.Records : undefined;
  if (!Array.isArray(records)) return { records: [], malformed: 0, invalid: 'the event has no Records list' };
  const usable: KinesisLogsRecord[] = [];
  let malformed = 0;
  for (const entry of records) {
    const kinesis = isRecord(entry) ? entry.kinesis : undefined;
    if (
      isRecord(kinesis) &&
      typeof kinesis.sequenceNumber === 'string' &&
      kinesis.sequenceNumber !== '' &&
      typeof kinesis.data === 'string'
    ) {
      usable.push({ sequenceNumber: kinesis.sequenceNumber, data: kinesis.data });
    } else malformed += 1;
  }
  return { records: usable, malformed };
}

/** The record as the subscription event a Lambda subscription would have received. */
export function subscriptionEnvelope(record: KinesisLogsRecord): { awslogs: { data: string } } {
  return { awslogs: { data: record.data } };
}

/**
 * Whether a document's owner may alert: an account id, and a listed one. `undefined` (an
 * organisation-wide destination) leaves the choice of accounts to the destination policy, which
 * CloudWatch Logs enforces before a record exists.
 */
export function isListedAccount(owner: unknown, listed: readonly string[] | undefined): boolean {
  return isAccountId(owner) && (listed === undefined || listed.includes(owner));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
