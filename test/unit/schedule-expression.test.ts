import { describe, expect, it } from 'vitest';
import {
  firings,
  MAX_DATE_MS,
  previousFiring,
  scheduleProblem,
  timezoneProblem,
} from '../../lambda/core/schedule-expression.js';

/** The one grammar of digestSchedule / digestTimezone: the deploy-time check, the period, the replay. */
const at = (iso: string) => Date.parse(iso);
const iso = (times: readonly number[]) => times.map((time) => new Date(time).toISOString());

describe('what Scheduler takes', () => {
  it.each([
    'cron(0 8 * * ? *)',
    'cron(30 7 ? * MON-FRI *)',
    'cron(0/15 * ? * * 2026-2030)',
    // Scheduler takes L, W and #; only the simulated clock cannot fire them.
    'cron(0 8 L * ? *)',
    'cron(0 8 ? * 2#1 *)',
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 day)',
  ])('takes %s', (expression) => {
    expect(scheduleProblem(expression)).toBeUndefined();
  });

  it.each([
    ['cron(0 8 * * * *)', /day-of-month and day-of-week cannot both be given/],
    ['cron(0 8 1 * MON *)', /day-of-month and day-of-week cannot both be given/],
    ['cron(0 8 ? * ? *)', /nor both "\?"/],
    ['cron(? 8 * * ? *)', /"\?" is allowed only in the day-of-month and day-of-week fields/],
    ['cron(0 8 * ? ? *)', /day-of-month and day-of-week cannot both be given|"\?" is allowed only/],
    ['cron(0 8 1-2-3 * ? *)', /"1-2-3" is not a range/],
    ['cron(*/x 8 * * ? *)', /"\*\/x" has no whole step/],
    ['cron(0 8 * * ? 2200)', /"2200" is not a value from 1970 to 2199/],
    ['cron(nonsense)', /not an EventBridge Scheduler cron\(/],
    ['rate(0 minutes)', /the rate must be at least 1/],
    ['rate(5 weeks)', /a rate is rate\(value unit\), unit minutes, hours or days/],
    ['rate(1.5 hours)', /a rate is rate\(value unit\)/],
    ['at(2026-12-01T08:00:00)', /not an EventBridge Scheduler cron\(/],
  ])('refuses %s in one line', (expression, message) => {
    const problem = scheduleProblem(expression);
    expect(problem).toMatch(message);
    expect(problem).not.toContain('\n');
  });

  it.each(['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata'])('takes the zone %s', (zone) => {
    expect(timezoneProblem(zone)).toBeUndefined();
  });

  it.each(['Mars/Olympus', '', '+01:00', '-05:00'])('refuses the zone %j', (zone) => {
    expect(timezoneProblem(zone)).toBe(`${JSON.stringify(zone)} is not an IANA time zone`);
  });
});

describe('daylight saving time, as Scheduler fires', () => {
  it('skips a run whose wall-clock time does not exist in spring (02:30 New York, 2026-03-08)', () => {
    const fire = firings('cron(30 2 * * ? *)', 'America/New_York');
    expect(iso(fire(at('2026-03-07T00:00:00Z'), at('2026-03-09T12:00:00Z')))).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('runs a repeated wall-clock time once in the fall, at its first occurrence', () => {
    const fire = firings('cron(30 1 * * ? *)', 'America/New_York');
    expect(iso(fire(at('2026-10-31T00:00:00Z'), at('2026-11-02T12:00:00Z')))).toEqual([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
    // Searching backwards finds the same run, not the repeated 01:30 an hour later.
    expect(
      iso([previousFiring('cron(30 1 * * ? *)', 'America/New_York', at('2026-11-02T06:30:00Z'), 0) ?? 0]),
    ).toEqual(['2026-11-01T05:30:00.000Z']);
  });

  it('a 30-minute fall-back (Australia/Lord_Howe, 2026-04-05) runs 01:45 once', () => {
    const fire = firings('cron(45 1 * * ? *)', 'Australia/Lord_Howe');
    expect(fire(at('2026-04-04T12:00:00Z'), at('2026-04-05T12:00:00Z'))).toHaveLength(1);
  });
});

describe("the edges of Date's range", () => {
  it.each(['UTC', 'Europe/Paris'])('%s: fires nothing past the range, and does not throw', (zone) => {
    const fire = firings('cron(0 8 * * ? *)', zone);
    // Year 275760 is past the cron year field's 2199: no run, and no RangeError from Intl.
    expect(fire(MAX_DATE_MS - 2 * 86_400_000, MAX_DATE_MS + 86_400_000)).toEqual([]);
    expect(fire(-MAX_DATE_MS - 86_400_000, -MAX_DATE_MS + 86_400_000)).toEqual([]);
    expect(previousFiring('cron(0 8 * * ? *)', zone, MAX_DATE_MS, MAX_DATE_MS - 86_400_000)).toBeUndefined();
    expect(
      previousFiring('cron(0 8 * * ? *)', zone, -MAX_DATE_MS + 60_000, -MAX_DATE_MS - 86_400_000),
    ).toBeUndefined();
  });

  it('a rate() stops at the end of the range', () => {
    const times = firings('rate(6 hours)', 'UTC')(MAX_DATE_MS - 86_400_000, MAX_DATE_MS + 86_400_000);
    expect(times.length).toBeGreaterThan(0);
    expect(Math.max(...times)).toBeLessThanOrEqual(MAX_DATE_MS);
  });
});
