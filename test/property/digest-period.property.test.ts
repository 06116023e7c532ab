import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIGEST_EVENT, digestPeriod, HOUR_MS, MAX_DIGEST_PERIOD_MS } from '../../lambda/core/digest-event.js';
import { firings } from '../../lambda/core/schedule-expression.js';

/**
 * Consecutive digests meet: each run's period starts where the run before ended (every 403 in exactly
 * one digest), whatever the zone's clock does in between, unless the runs are further apart than the
 * state keeps (then the period is the last MAX_DIGEST_PERIOD_MS).
 */
const SCHEDULES = [
  'cron(0 8 * * ? *)',
  'cron(30 1 * * ? *)',
  'cron(0 2 * * ? *)',
  'cron(15 7 ? * MON-FRI *)',
  'cron(0 */5 * * ? *)',
  'rate(30 minutes)',
  'rate(90 minutes)',
  'rate(7 hours)',
  'rate(2 days)',
];
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
// Around the 2026 clock changes of those zones, and a quiet week.
const DAYS = [
  '2026-03-07',
  '2026-03-27',
  '2026-04-03',
  '2026-10-03',
  '2026-10-23',
  '2026-10-30',
  '2026-11-28',
];

describe('digest periods', () => {
  it('are contiguous across DST for cron() and rate() schedules', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SCHEDULES),
        fc.constantFrom(...ZONES),
        fc.constantFrom(...DAYS),
        fc.integer({ min: 0, max: 47 }),
        (schedule, timezone, day, hour) => {
          const from = Date.parse(`${day}T00:00:00Z`) + hour * HOUR_MS;
          const times = firings(schedule, timezone)(from, from + 3 * 24 * HOUR_MS);
          const periods = times.map((time) =>
            digestPeriod({ ...DIGEST_EVENT, scheduledTime: new Date(time).toISOString() }, 0, {
              schedule,
              timezone,
            }),
          );
          for (let i = 1; i < periods.length; i += 1) {
            const [previous, period] = [periods[i - 1], periods[i]];
            if (!previous || !period) continue;
            expect(period.end - period.start).toBeLessThanOrEqual(MAX_DIGEST_PERIOD_MS);
            expect(period.start).toBe(Math.max(previous.end, period.end - MAX_DIGEST_PERIOD_MS));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
