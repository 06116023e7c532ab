/**
 * The digest schedule's input (EventBridge Scheduler → the digest function): written by the
 * construct, read by lambda/digest-handler.ts. Pure.
 */
import { isViewTime } from './event-time.js';
import { DIGEST_PERIOD_HOURS, HOUR_MS } from './lifecycle.js';
import { previousFiring } from './schedule-expression.js';

export { HOUR_MS };

/** The schedule's input; `scheduledTime` is filled by Scheduler, the same on every retry of a run. */
export const DIGEST_EVENT = {
  apigw403: 'digest',
  scheduledTime: '<aws.scheduler.scheduled-time>',
} as const;

/** The digest function's Powertools service name. */
export const DIGEST_SERVICE_NAME = 'apigw-403-digest';

/** Whether `event` is the digest schedule's (anything else the scheduled function gets is the sweep's). */
export function isDigestEvent(event: unknown): boolean {
  return (event as { apigw403?: unknown } | null | undefined)?.apigw403 === DIGEST_EVENT.apigw403;
}
/**
 * The longest period a digest covers: since the previous run, at most the hours the state keeps
 * (lifecycle.ts DIGEST_PERIOD_HOURS: a weekday schedule's Monday, Friday to Monday, plus the hour a
 * fall-back night adds). A schedule with longer gaps covers the last of it and names the rest.
 */
export const MAX_DIGEST_PERIOD_MS = DIGEST_PERIOD_HOURS * HOUR_MS;

/**
 * How far back a run looks for the schedule's previous firing when it is past MAX_DIGEST_PERIOD_MS, to
 * name the hours it cannot cover: a weekly schedule's, and a day for the DST hour and the search.
 */
export const PREVIOUS_FIRING_LOOKBACK_MS = 8 * 24 * HOUR_MS;

/** A digest's period; `uncovered` when the schedule's previous firing is further back than the state keeps. */
export interface DigestRunPeriod {
  readonly start: number;
  readonly end: number;
  /**
   * The hours since the previous firing that no digest covers (from its hour to `start`); `start`
   * absent when that firing is more than PREVIOUS_FIRING_LOOKBACK_MS back (or there is none).
   */
  readonly uncovered?: { readonly start?: number; readonly end: number };
  /** Invoked by hand (no scheduledTime it can state): a report, which the scheduled runs ignore. */
  readonly byHand?: true;
}

/**
 * The period a run covers: from the hour of the schedule's previous firing to the hour of this run's
 * scheduled time (so a retried run covers the same hours, and consecutive runs meet: every hour is in
 * one digest, across DST and for a rate() that is no whole number of hours), at most
 * MAX_DIGEST_PERIOD_MS, the hours the state keeps; what that bound leaves out is `uncovered`, which
 * the digest names. A `cron()` is evaluated in its time zone; a `rate()`'s previous firing is one
 * interval before the scheduled time, which Scheduler sets to a firing. Invoked by hand (no
 * scheduledTime), the run counts as one at the hour of `now`: the hours since the firing before it
 * for a `cron()`, the last interval for a `rate()` (whose firings count from the schedule's creation,
 * which the function does not know), and says so (`byHand`): the digest keeps no state, so such a
 * run never moves or widens a scheduled run's period, which comes from its own scheduledTime alone.
 * No clock read. A run in the same hour as the one before covers nothing.
 */
export function digestPeriod(
  event: unknown,
  now: number,
  digest: { readonly schedule: string; readonly timezone: string },
): DigestRunPeriod {
  const scheduled = scheduledTimeOf(event);
  const at = scheduled ?? hourOf(now);
  const end = hourOf(at);
  const earliest = end - MAX_DIGEST_PERIOD_MS;
  const byHand = scheduled === undefined ? { byHand: true as const } : {};
  const previous = previousFiring(digest.schedule, digest.timezone, at, earliest);
  if (previous !== undefined) return { start: Math.max(earliest, hourOf(previous)), end, ...byHand };
  const before = previousFiring(digest.schedule, digest.timezone, at, at - PREVIOUS_FIRING_LOOKBACK_MS);
  const since = before === undefined ? undefined : hourOf(before);
  if (since === earliest) return { start: earliest, end, ...byHand };
  return {
    start: earliest,
    end,
    uncovered: { ...(since === undefined ? {} : { start: since }), end: earliest },
    ...byHand,
  };
}

/**
 * The event's `scheduledTime` in epoch milliseconds; undefined when there is none, or when it is no
 * time a digest view can state (not a date, or past year 9999: event-time.ts), which the run then
 * ignores as invoked by hand and counts (`refusedScheduledTime`, digest-handler.ts).
 */
export function scheduledTimeOf(event: unknown): number | undefined {
  const scheduled = (event as { scheduledTime?: unknown } | null | undefined)?.scheduledTime;
  const parsed = typeof scheduled === 'string' ? Date.parse(scheduled) : Number.NaN;
  return isViewTime(parsed) ? parsed : undefined;
}

/** Whether the event names a `scheduledTime` that scheduledTimeOf refuses. */
export function refusesScheduledTime(event: unknown): boolean {
  const scheduled = (event as { scheduledTime?: unknown } | null | undefined)?.scheduledTime;
  return scheduled !== undefined && scheduledTimeOf(event) === undefined;
}

const hourOf = (at: number) => Math.floor(at / HOUR_MS) * HOUR_MS;
