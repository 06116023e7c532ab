import { HOUR_MS, MAX_DIGEST_PERIOD_MS } from '../../lambda/core/digest-event.js';

/**
 * When an EventBridge Scheduler expression fires, for the simulated clock of `npm start`: the digest
 * runs at the times the deployed schedule would (`digestSchedule` in `digestTimezone`). A `cron()`
 * is matched minute by minute on the zone's wall clock; a `rate()` fires at the multiples of its
 * interval (a deployed rate schedule counts from its creation, which a replay does not have).
 */

export class ScheduleError extends Error {}

const MINUTE = 60_000;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const RATE_UNIT_MS: Readonly<Record<string, number>> = {
  minute: MINUTE,
  hour: 60 * MINUTE,
  day: 1440 * MINUTE,
};

interface WallClock {
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  readonly month: number;
  /** 1 (Sunday) to 7 (Saturday), as EventBridge counts. */
  readonly weekday: number;
  readonly year: number;
}

type Field = (value: number) => boolean;

/** One cron field: `*`, `?`, numbers or names, ranges, lists and `/` steps. */
function field(text: string, min: number, max: number, names: readonly string[] = [], offset = 1): Field {
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const number = named >= 0 ? named + offset : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!(number >= min && number <= max))
      throw new ScheduleError(`"${token}" is not a value from ${min} to ${max}`);
    return number;
  };
  const allowed = new Set<number>();
  for (const part of text.split(',')) {
    if (/[LW#]/i.test(part.replace(/[A-Z]{3}/gi, (name) => (names.includes(name.toUpperCase()) ? '' : name))))
      throw new ScheduleError(`"${part}" (L, W and # fields are not simulated; give the days as numbers)`);
    const [range = '', step] = part.split('/');
    const every = step === undefined ? 1 : Number(step);
    if (!Number.isInteger(every) || every < 1) throw new ScheduleError(`"${part}" has no whole step`);
    const [from, to] =
      range === '*' || range === '?'
        ? [min, max]
        : range.includes('-')
          ? (range.split('-').map(value) as [number, number])
          : [value(range), step === undefined ? value(range) : max];
    for (let at = from; at <= to; at += every) allowed.add(at);
  }
  return (candidate) => allowed.has(candidate);
}

function wallClockOf(timezone: string): (at: number) => WallClock {
  if (timezone === 'UTC') {
    return (at) => {
      const date = new Date(at);
      return {
        minute: date.getUTCMinutes(),
        hour: date.getUTCHours(),
        day: date.getUTCDate(),
        month: date.getUTCMonth() + 1,
        weekday: date.getUTCDay() + 1,
        year: date.getUTCFullYear(),
      };
    };
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
  } catch {
    throw new ScheduleError(`digestTimezone "${timezone}" is not an IANA time zone (e.g. "Europe/Paris")`);
  }
  return (at) => {
    const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
    return {
      minute: Number(parts.minute),
      hour: Number(parts.hour),
      day: Number(parts.day),
      month: Number(parts.month),
      weekday: DAYS.indexOf(String(parts.weekday).toUpperCase()) + 1,
      year: Number(parts.year),
    };
  };
}

/** A schedule's firing times in (from, to]: throws ScheduleError for what it cannot simulate. */
export type Firings = (from: number, to: number) => number[];

export function firings(expression: string, timezone: string): Firings {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) {
    const every = Number(rate[1]) * (RATE_UNIT_MS[rate[2] ?? 'day'] ?? 0);
    if (!(every > 0)) throw new ScheduleError(`${expression}: the rate must be at least 1`);
    return (from, to) => {
      const times: number[] = [];
      for (let at = Math.floor(from / every) * every + every; at <= to; at += every) times.push(at);
      return times;
    };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  const fields = cron?.[1]?.trim().split(/\s+/) ?? [];
  if (fields.length !== 6)
    throw new ScheduleError(
      `${expression}: not a cron(minutes hours day-of-month month day-of-week year) or rate() expression`,
    );
  const [minutes = '', hours = '', dom = '', month = '', dow = '', year = ''] = fields;
  let match: (clock: WallClock) => boolean;
  try {
    const m = field(minutes, 0, 59);
    const h = field(hours, 0, 23);
    const d = field(dom, 1, 31);
    const mo = field(month, 1, 12, MONTHS);
    const w = field(dow, 1, 7, DAYS);
    const y = field(year, 1970, 2199);
    match = (c) => m(c.minute) && h(c.hour) && d(c.day) && mo(c.month) && w(c.weekday) && y(c.year);
  } catch (error) {
    throw error instanceof ScheduleError ? new ScheduleError(`${expression}: ${error.message}`) : error;
  }
  const wallClock = wallClockOf(timezone);
  return (from, to) => {
    const times: number[] = [];
    for (let at = Math.floor(from / MINUTE) * MINUTE + MINUTE; at <= to; at += MINUTE)
      if (match(wallClock(at))) times.push(at);
    return times;
  };
}

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
