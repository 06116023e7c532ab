import { describe, expect, it } from 'vitest';
import { digestTimes, firings, ScheduleError } from '../../cli/scenario/schedule.js';
import { DEFAULT_DIGEST_SCHEDULE, DEFAULT_DIGEST_TIMEZONE } from '../../lambda/core/noise-policy.js';

/** The digest schedule on the simulated clock of `npm start`: when the deployed schedule would fire. */
const at = (iso: string) => Date.parse(iso);
const iso = (times: readonly number[]) => times.map((time) => new Date(time).toISOString());
const HOUR = 3_600_000;

describe('the schedule firings of the simulated clock', () => {
  it.each([
    [
      'the default: daily 08:00 UTC',
      DEFAULT_DIGEST_SCHEDULE,
      DEFAULT_DIGEST_TIMEZONE,
      ['2026-11-30T08:00:00.000Z', '2026-12-01T08:00:00.000Z'],
    ],
    // 30 November 2026 is a Monday, 5 December a Saturday.
    [
      'weekdays 07:30',
      'cron(30 7 ? * MON-FRI *)',
      'UTC',
      ['2026-11-30T07:30:00.000Z', '2026-12-01T07:30:00.000Z'],
    ],
    ['Sundays by number (1 is Sunday)', 'cron(0 9 ? * 1 *)', 'UTC', []],
    [
      'a list and a step',
      'cron(0/30 8,20 * * ? *)',
      'UTC',
      [
        '2026-11-30T08:00:00.000Z',
        '2026-11-30T08:30:00.000Z',
        '2026-11-30T20:00:00.000Z',
        '2026-11-30T20:30:00.000Z',
        '2026-12-01T08:00:00.000Z',
        '2026-12-01T08:30:00.000Z',
      ],
    ],
    // Paris is UTC+1 in winter: 08:00 there is 07:00 UTC.
    [
      'daily 08:00 in Europe/Paris',
      'cron(0 8 * * ? *)',
      'Europe/Paris',
      ['2026-11-30T07:00:00.000Z', '2026-12-01T07:00:00.000Z'],
    ],
    [
      'every 12 hours',
      'rate(12 hours)',
      'UTC',
      ['2026-11-30T12:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12-01T12:00:00.000Z'],
    ],
    ['once a day, in another year', 'cron(0 8 * * ? 2027)', 'UTC', []],
  ])('%s', (_name, expression, timezone, expected) => {
    // (from, to]: 2026-11-30T07:00 excluded at its start, 2026-12-01T12:00 included at its end.
    expect(
      iso(firings(expression, timezone)(at('2026-11-30T06:00:00Z'), at('2026-12-01T12:00:00Z'))),
    ).toEqual(expected);
  });

  it.each([
    ['cron(0 8 L * ? *)', 'UTC', /L, W and # fields are not simulated/],
    ['cron(0 8 ? * 2#1 *)', 'UTC', /L, W and # fields are not simulated/],
    [
      'cron(0 8 * * ?)',
      'UTC',
      /not an EventBridge Scheduler cron\(minutes hours day-of-month month day-of-week year\)/,
    ],
    ['cron(0 25 * * ? *)', 'UTC', /"25" is not a value from 0 to 23/],
    ['cron(0 8 * FOO ? *)', 'UTC', /"FOO" is not a value from 1 to 12/],
    ['cron(0 8 * * ? *)', 'Mars/Olympus', /"Mars\/Olympus" is not an IANA time zone/],
    ['rate(0 hours)', 'UTC', /the rate must be at least 1/],
  ])('%s in %s: a one-line ScheduleError', (expression, timezone, message) => {
    let thrown: unknown;
    try {
      firings(expression, timezone)(0, HOUR);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ScheduleError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  });
});

describe('the digest runs of a replay', () => {
  const daily = firings(DEFAULT_DIGEST_SCHEDULE, 'UTC');

  it('runs every firing inside the replay and the first whose period holds its last event', () => {
    expect(iso(digestTimes(daily, at('2026-11-30T10:00:00Z'), at('2026-12-01T09:00:00Z')))).toEqual([
      '2026-12-01T08:00:00.000Z',
      '2026-12-02T08:00:00.000Z',
    ]);
    expect(iso(digestTimes(daily, at('2026-11-30T10:00:00Z'), at('2026-11-30T10:30:00Z')))).toEqual([
      '2026-12-01T08:00:00.000Z',
    ]);
  });

  it('a last event exactly at a digest time is in the next digest, not lost between two', () => {
    // The 08:00 run covers up to 08:00 exclusive: the 08:00:00.000 event is the next day's.
    expect(iso(digestTimes(daily, at('2026-11-30T07:00:00Z'), at('2026-11-30T08:00:00Z')))).toEqual([
      '2026-11-30T08:00:00.000Z',
      '2026-12-01T08:00:00.000Z',
    ]);
    expect(iso(digestTimes(daily, at('2026-11-30T07:00:00Z'), at('2026-11-30T07:59:59.999Z')))).toEqual([
      '2026-11-30T08:00:00.000Z',
    ]);
  });

  it('a schedule that fires more than a period after the replay runs no closing digest', () => {
    const yearly = firings('cron(0 8 1 JAN ? *)', 'UTC');
    expect(digestTimes(yearly, at('2026-11-30T07:00:00Z'), at('2026-11-30T09:00:00Z'))).toEqual([]);
  });
});
