/**
 * The digest schedule's input (EventBridge Scheduler → the digest function): written by the
 * construct, read by lambda/digest-handler.ts. Pure.
 */
import { HOUR_MS } from './lifecycle.js';

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
/** The state keeps two days of hourly counts: a digest covers at most the day before it. */
export const MAX_DIGEST_PERIOD_MS = 24 * HOUR_MS;

const UNIT_MS: Readonly<Record<string, number>> = { minute: 60_000, hour: HOUR_MS, day: 24 * HOUR_MS };

/**
 * The length of time one digest covers: a `rate()` schedule's interval in whole hours (the state
 * counts hours), at least one and at most a day; a `cron()` schedule's day.
 */
export function digestPeriodMs(schedule: string): number {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (!rate) return MAX_DIGEST_PERIOD_MS;
  const ms = Number(rate[1]) * (UNIT_MS[rate[2] ?? 'day'] ?? MAX_DIGEST_PERIOD_MS);
  return Math.min(MAX_DIGEST_PERIOD_MS, Math.max(HOUR_MS, Math.ceil(ms / HOUR_MS) * HOUR_MS));
}

/**
 * The period a run covers: it ends at the hour of its scheduled time (so a retried run covers the
 * same hours), or of `now` when invoked by hand.
 */
export function digestPeriod(
  event: unknown,
  now: number,
  schedule: string,
): { readonly start: number; readonly end: number } {
  const scheduled = (event as { scheduledTime?: unknown } | null | undefined)?.scheduledTime;
  const at = typeof scheduled === 'string' ? Date.parse(scheduled) : Number.NaN;
  const end = Math.floor((Number.isFinite(at) ? at : now) / HOUR_MS) * HOUR_MS;
  return { start: end - digestPeriodMs(schedule), end };
}
