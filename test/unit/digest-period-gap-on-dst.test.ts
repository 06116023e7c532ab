import { describe, expect, it } from 'vitest';
import { firings } from '../../cli/scenario/schedule.js';
import { DIGEST_EVENT, digestPeriod } from '../../lambda/core/digest-event.js';
import { DEFAULT_DIGEST_SCHEDULE } from '../../lambda/core/noise-policy.js';

// A digest covers the fixed 24 h before the hour of its scheduled time (digest-event.ts), not "since
// the previous run". With digestTimezone Europe/Paris the daily 08:00 run moves from 06:00Z to 07:00Z
// on the fall-back day: the hour Sat 06:00Z-07:00Z is in no digest (and in spring one hour is in two).
// End to end: `npm start -- --input dst.json --config paris.json --report r.json`, 3 WAF 403s at
// 2026-10-24T06:30Z, noisePolicy {"digestTimezone":"Europe/Paris"}: the alert goes, the only digest
// (2026-10-25T07:00Z) says "0 403s between 2026-10-24T07:00:00.000Z and 2026-10-25T07:00:00.000Z".
const periodsOf = (from: string, to: string) => {
  const fire = firings(DEFAULT_DIGEST_SCHEDULE, 'Europe/Paris');
  return fire(Date.parse(from), Date.parse(to)).map((at) =>
    digestPeriod({ ...DIGEST_EVENT, scheduledTime: new Date(at).toISOString() }, at, {
      schedule: DEFAULT_DIGEST_SCHEDULE,
      timezone: 'Europe/Paris',
    }),
  );
};

describe('daily digests in a DST time zone', () => {
  it('leave no hour out on the fall-back day (2026-10-25, Europe/Paris)', () => {
    const [saturday, sunday] = periodsOf('2026-10-24T00:00:00Z', '2026-10-25T12:00:00Z');
    expect(sunday?.start).toBe(saturday?.end);
  });
  it('count no hour twice on the spring-forward day (2026-03-29, Europe/Paris)', () => {
    const [saturday, sunday] = periodsOf('2026-03-28T00:00:00Z', '2026-03-29T12:00:00Z');
    expect(sunday?.start).toBe(saturday?.end);
  });
});

// The same period rule with a rate() that is not a whole number of hours: `rate(30 minutes)` runs
// twice per hour, each covering the 1 h before the hour (two digests of the same hour);
// `rate(90 minutes)` covers 2 h every 1.5 h (an hour in two digests).
describe('rate() digests', () => {
  it.each(['rate(30 minutes)', 'rate(90 minutes)'])(
    '%s: consecutive digests cover consecutive periods',
    (schedule) => {
      const fire = firings(schedule, 'UTC');
      const periods = fire(Date.parse('2026-11-30T00:00:00Z'), Date.parse('2026-11-30T06:00:00Z')).map((at) =>
        digestPeriod({ ...DIGEST_EVENT, scheduledTime: new Date(at).toISOString() }, at, {
          schedule,
          timezone: 'UTC',
        }),
      );
      for (let i = 1; i < periods.length; i += 1) expect(periods[i]?.start).toBe(periods[i - 1]?.end);
    },
  );
});
