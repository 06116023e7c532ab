/**
 * The digest schedule's input (EventBridge Scheduler → the digest function): written by the
 * construct, read by lambda/digest-handler.ts. Pure.
 */
import { isViewTime } from './event-time.js';
import { DAY_SLOTS, HOUR_MS } from './lifecycle.js';
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
 * The longest period a digest covers: since the previous run, at most the hours the state keeps of
 * muted counts and alerts (lifecycle.ts DAY_SLOTS: a day, plus the hour a fall-back day adds). A
 * schedule that fires less often than that covers the last of it.
 */
export const MAX_DIGEST_PERIOD_MS = DAY_SLOTS * HOUR_MS;

/**
 * The period a run covers: from the hour of the schedule's previous run to the hour of this one's
 * scheduled time (so a retried run covers the same hours, and consecutive runs meet: every hour is in
 * one digest, across DST and for a rate() that is no whole number of hours), or of `now` when invoked
 * by hand (then as if scheduled at that hour). The previous run comes from the expression and time zone (previousFiring), no clock read.
 * A run in the same hour as the one before covers nothing.
 */
export function digestPeriod(
  event: unknown,
  now: number,
  digest: { readonly schedule: string; readonly timezone: string },
): { readonly start: number; readonly end: number } {
  const parsed = scheduledTimeOf(event) ?? Number.NaN;
  const end = hourOf(Number.isFinite(parsed) ? parsed : now);
  const earliest = end - MAX_DIGEST_PERIOD_MS;
  // By hand, the run counts as one at the hour: it covers the hours since the run before that.
  const previous = previousFiring(
    digest.schedule,
    digest.timezone,
    Number.isFinite(parsed) ? parsed : end,
    earliest,
  );
  return { start: previous === undefined ? earliest : Math.max(earliest, hourOf(previous)), end };
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
