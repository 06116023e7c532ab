/**
 * A digest covers exactly the hours since its schedule's previous firing, in the schedule's time zone,
 * up to what the state keeps (MAX_DIGEST_PERIOD_MS): over generated cron() and rate() expressions, the
 * period digestPeriod gives a scheduled run is checked against the firings the expression makes
 * (`firings`, which walks forward, where digestPeriod searches back). When the previous firing is
 * further back than the bound (a weekday schedule's Monday run), the hours the digest cannot cover
 * are named in the period (`uncovered`) and in the digest itself, never silently left out.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIGEST_EVENT,
  digestPeriod,
  HOUR_MS,
  MAX_DIGEST_PERIOD_MS,
  PREVIOUS_FIRING_LOOKBACK_MS,
} from '../../lambda/core/digest-event.js';
import { buildDigestViews } from '../../lambda/core/render/digest-view.js';
import { firings } from '../../lambda/core/schedule-expression.js';

const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Pacific/Chatham',
];
const hourOf = (at: number) => Math.floor(at / HOUR_MS) * HOUR_MS;

const cron = fc
  .record({
    minute: fc.oneof(fc.integer({ min: 0, max: 59 }).map(String), fc.constantFrom('0/15', '*/30', '5,35')),
    hour: fc.oneof(fc.integer({ min: 0, max: 23 }).map(String), fc.constantFrom('*/6', '1,13', '8-18/5')),
    days: fc.oneof(
      fc.constant(['*', '?']),
      fc.constantFrom('MON-FRI', 'SAT,SUN', 'MON', 'TUE,THU', 'FRI-MON').map((days) => ['?', days]),
      fc.constantFrom('1', '1,15', '28-31', '*/10').map((days) => [days, '?']),
    ),
  })
  .map(({ minute, hour, days }) => `cron(${minute} ${hour} ${days[0]} * ${days[1]} *)`);
const rate = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('minutes', 'hours', 'days'))
  .filter(([value, unit]) => value * { minutes: 1, hours: 60, days: 1440 }[unit] >= 5)
  .filter(([value, unit]) => value * { minutes: 1, hours: 60, days: 1440 }[unit] <= 4 * 1440)
  .map(([value, unit]) => `rate(${value} ${value === 1 ? unit.slice(0, -1) : unit})`);

describe('the digest window over generated schedules', () => {
  it("is the hours since the schedule's previous firing, bounded, with what the bound leaves out named", () => {
    fc.assert(
      fc.property(
        fc.oneof(cron, rate),
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
        (schedule, timezone, from) => {
          const fire = firings(schedule, timezone);
          // The first two firings, a day at a time, within 8 days (the lookback digestPeriod names).
          const times: number[] = [];
          for (let day = 0; day < 8 && times.length < 2; day += 1)
            times.push(...fire(from + day * 24 * HOUR_MS, from + (day + 1) * 24 * HOUR_MS));
          if (times.length < 2) return;
          const [previous, at] = times as [number, number];
          if (at - previous > PREVIOUS_FIRING_LOOKBACK_MS) return;
          const period = digestPeriod({ ...DIGEST_EVENT, scheduledTime: new Date(at).toISOString() }, 0, {
            schedule,
            timezone,
          });
          expect(period.end).toBe(hourOf(at));
          const since = hourOf(previous);
          if (period.end - since <= MAX_DIGEST_PERIOD_MS) {
            expect(period.start).toBe(since);
            expect(period.uncovered).toBeUndefined();
          } else {
            expect(period.start).toBe(period.end - MAX_DIGEST_PERIOD_MS);
            expect(period.uncovered).toEqual({ start: since, end: period.start });
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("Monday's digest of a weekday schedule covers the weekend, the fall-back night's hour too", () => {
    const schedule = { schedule: 'cron(0 8 ? * MON-FRI *)', timezone: 'Europe/Paris' };
    // Monday 30 November 2026, 08:00 in Paris (07:00Z); the Friday run was 27 November, 07:00Z.
    expect(digestPeriod({ ...DIGEST_EVENT, scheduledTime: '2026-11-30T07:00:00Z' }, 0, schedule)).toEqual({
      start: Date.parse('2026-11-27T07:00:00Z'),
      end: Date.parse('2026-11-30T07:00:00Z'),
    });
    // Paris falls back on Sunday 25 October 2026: Friday 08:00 is 06:00Z, Monday 08:00 07:00Z (73 h).
    expect(digestPeriod({ ...DIGEST_EVENT, scheduledTime: '2026-10-26T07:00:00Z' }, 0, schedule)).toEqual({
      start: Date.parse('2026-10-23T06:00:00Z'),
      end: Date.parse('2026-10-26T07:00:00Z'),
    });
  });

  it("a weekly schedule's digest says which hours it cannot cover", () => {
    const schedule = { schedule: 'cron(0 8 ? * MON *)', timezone: 'Europe/Paris' };
    // Monday 30 November 2026, 08:00 in Paris (07:00Z); the run before was 23 November, 07:00Z.
    const period = digestPeriod({ ...DIGEST_EVENT, scheduledTime: '2026-11-30T07:00:00Z' }, 0, schedule);
    expect(period).toEqual({
      start: Date.parse('2026-11-27T06:00:00Z'),
      end: Date.parse('2026-11-30T07:00:00Z'),
      uncovered: { start: Date.parse('2026-11-23T07:00:00Z'), end: Date.parse('2026-11-27T06:00:00Z') },
    });
    const [view] = buildDigestViews(
      [
        {
          ...{ apiId: 'a1b2c3d4e5', stage: 'prod', category: 'WAF_FILTERED', lifecycle: 'ongoing' },
          ...{ action: 'digest', count: 3, previousCount: 1, mutedCount: 0, alertsSent: 0, topSources: [] },
          ...{ firstSeenAt: period.start, lastSeenAt: period.start },
        },
      ],
      { region: 'eu-west-3', period },
    );
    expect(view?.notes).toEqual([
      'This digest covers the last 73 h: the 95 h from 2026-11-23T07:00:00.000Z (the previous digest) to 2026-11-27T06:00:00.000Z are not in any digest, because the monitor keeps 73 hours of counts. A schedule whose firings are at most 73 h apart (a weekday one) covers every hour.',
    ]);
  });
});
