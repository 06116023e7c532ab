/**
 * The times the monitor accepts where they enter (a log event's `timestamp`, a line's
 * `requestTimeEpoch`, a digest event's `scheduledTime`): only those its views can state. The alert and
 * digest views carry times as ISO-8601 with a four-digit year (render/alert-schema.ts, `z.iso.datetime`),
 * and a view its schema refuses is "not a monitor alert" to the Slack forwarder and the Chatbot relay,
 * so a time past year 9999 (`+010000-…`, up to Date's `+275760-…`) or before year 0 is refused at the
 * boundary and counted, never carried into a view. Pure.
 */

/** The first instant ISO-8601 states with a four-digit year: 0000-01-01T00:00:00.000Z. */
export const EARLIEST_VIEW_TIME_MS = -62_167_219_200_000;

/** The last instant ISO-8601 states with a four-digit year: 9999-12-31T23:59:59.999Z. */
export const LATEST_VIEW_TIME_MS = 253_402_300_799_999;

/**
 * How far around its events the monitor works: the Logs Insights link's margin (5 minutes), the
 * windows and digest periods before an event (a day), the replay's sweep after the last one (25
 * hours). A week covers them all.
 */
export const EVENT_TIME_MARGIN_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The largest epoch milliseconds accepted as an event time. CloudWatch Logs itself takes no event more
 * than 2 hours ahead of its ingestion, so a later one is a forged or corrupt document.
 */
export const MAX_EVENT_TIME_MS = LATEST_VIEW_TIME_MS - EVENT_TIME_MARGIN_MS;

/** The smallest epoch milliseconds accepted as an event time (0 is what plain exported lines carry). */
export const MIN_EVENT_TIME_MS = EARLIEST_VIEW_TIME_MS + EVENT_TIME_MARGIN_MS;

/** A log event time every view can state, with the margin its windows and links need. */
export function isEventTime(value: unknown): value is number {
  return typeof value === 'number' && value >= MIN_EVENT_TIME_MS && value <= MAX_EVENT_TIME_MS;
}

/** An instant a view can state (a digest's scheduled time, a period's end). */
export function isViewTime(value: number): boolean {
  return value >= EARLIEST_VIEW_TIME_MS && value <= LATEST_VIEW_TIME_MS;
}

/**
 * `at` as a view states it (ISO-8601, four-digit year), held inside years 0..9999: the last guard for a
 * time that entered before the boundary checked it (a group item an older version wrote).
 */
export function viewTime(at: number): string {
  const held = Math.min(Math.max(at, EARLIEST_VIEW_TIME_MS), LATEST_VIEW_TIME_MS);
  return new Date(Number.isNaN(held) ? 0 : held).toISOString();
}
