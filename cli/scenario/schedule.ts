import { HOUR_MS, MAX_DIGEST_PERIOD_MS } from '../../lambda/core/digest-event.js';
import type { Firings } from '../../lambda/core/schedule-expression.js';

/**
 * When the digest runs on the simulated clock of `npm start`: at the times the deployed schedule
 * would (`digestSchedule` in `digestTimezone`), by the grammar the deploy-time schema checks
 * (lambda/core/schedule-expression.ts).
 */
export { type Firings, firings, ScheduleError } from '../../lambda/core/schedule-expression.js';

/**
 * The digest runs of a replay whose events run from `first` to `last`: every firing in between, then
 * the first one whose period (it ends at its hour, `digestPeriod`) holds `last`, when one comes
 * within a digest period; a later one would cover none of the replay.
 */
export function digestTimes(fire: Firings, first: number, last: number): number[] {
  const times = fire(first, last + MAX_DIGEST_PERIOD_MS + HOUR_MS);
  const closing = times.findIndex((at) => Math.floor(at / HOUR_MS) * HOUR_MS > last);
  return closing < 0 ? times.filter((at) => at <= last) : times.slice(0, closing + 1);
}
