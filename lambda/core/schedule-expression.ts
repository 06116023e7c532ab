/**
 * EventBridge Scheduler expressions (`digestSchedule`, evaluated in `digestTimezone`): one grammar for
 * the deploy-time policy schema (noise-policy.ts), the digest's period (digest-event.ts) and the
 * simulated clock of `npm start` (cli/scenario/schedule.ts), so what the schema takes is what
 * Scheduler takes and what the replay fires. Pure: Intl formats a given instant and reads no clock.
 * Rules from https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 * (the cron grammar Scheduler shares) and
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html (rate units, DST).
 */

/** Which policy setting a ScheduleError is about, so the message names the one to fix. */
export type ScheduleSetting = 'digestSchedule' | 'digestTimezone';

export class ScheduleError extends Error {
  constructor(
    message: string,
    readonly setting: ScheduleSetting = 'digestSchedule',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ScheduleError';
  }
}

/** An expression Scheduler takes that the simulated clock cannot fire (L, W and # days). */
export class UnsimulatedScheduleError extends ScheduleError {}

export const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** The last instant a Date holds (ECMAScript's time value range is ±8.64e15 ms). */
export const MAX_DATE_MS = 8.64e15;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const RATE_UNIT_MS: Readonly<Record<string, number>> = {
  minute: MINUTE_MS,
  hour: HOUR_MS,
  day: 24 * HOUR_MS,
};
const CRON_SYNTAX =
  'not an EventBridge Scheduler cron(minutes hours day-of-month month day-of-week year) or rate(value unit) expression';

export interface WallClock {
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  readonly month: number;
  /** 1 (Sunday) to 7 (Saturday), as EventBridge counts. */
  readonly weekday: number;
  readonly year: number;
  /** The wall-clock time as if it were UTC, to tell a repeated wall-clock minute at fall-back. */
  readonly local: number;
}

export type Schedule =
  | { readonly kind: 'rate'; readonly everyMs: number }
  | { readonly kind: 'cron'; readonly matches: (clock: WallClock) => boolean };

type Field = (value: number) => boolean;

interface FieldSpec {
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Day-of-month and day-of-week: the only fields `?` (and L, W, #) may be in. */
  readonly dayField?: boolean;
}

/** One value: a number or a name (names count from 1, as JAN and SUN do). */
function cronValue(token: string, { min, max, names = [] }: FieldSpec): number {
  const named = names.indexOf(token.toUpperCase());
  const number = named >= 0 ? named + 1 : /^\d+$/.test(token) ? Number(token) : Number.NaN;
  if (!(number >= min && number <= max))
    throw new ScheduleError(`"${token}" is not a value from ${min} to ${max}`);
  return number;
}

/** The values of one list item: `*`, a value, a range, each with an optional `/` step. */
function partValues(part: string, spec: FieldSpec): number[] {
  const names = spec.names ?? [];
  const unnamed = part.replace(/[A-Z]{3}/gi, (name) => (names.includes(name.toUpperCase()) ? '' : name));
  if (spec.dayField && /[LW#]/i.test(unnamed))
    throw new UnsimulatedScheduleError(
      `"${part}" (L, W and # fields are not simulated; give the days as numbers)`,
    );
  const [range = '', step, extra] = part.split('/');
  const every = step === undefined ? 1 : /^\d+$/.test(step) ? Number(step) : Number.NaN;
  if (extra !== undefined || !(every >= 1)) throw new ScheduleError(`"${part}" has no whole step`);
  const bounds =
    range === '*' ? [spec.min, spec.max] : range.split('-').map((token) => cronValue(token, spec));
  if (bounds.length > 2) throw new ScheduleError(`"${part}" is not a range`);
  const [from = spec.min, to = step === undefined ? from : spec.max] = bounds;
  const values: number[] = [];
  for (let at = from; at <= to; at += every) values.push(at);
  return values;
}

/** One cron field: `*`, `?` (day fields only), numbers or names, ranges, lists and `/` steps. */
function field(text: string, spec: FieldSpec): Field {
  if (text === '?') {
    if (!spec.dayField)
      throw new ScheduleError('"?" is allowed only in the day-of-month and day-of-week fields');
    return () => true;
  }
  const allowed = new Set(text.split(',').flatMap((part) => partValues(part, spec)));
  return (candidate) => allowed.has(candidate);
}

/** Parses an expression as Scheduler would; throws a one-line ScheduleError for what it refuses. */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) {
    const everyMs = Number(rate[1]) * (RATE_UNIT_MS[rate[2] ?? ''] ?? 0);
    if (!(everyMs > 0)) throw new ScheduleError(`${expression}: the rate must be at least 1`);
    return { kind: 'rate', everyMs };
  }
  if (expression.startsWith('rate('))
    throw new ScheduleError(`${expression}: a rate is rate(value unit), unit minutes, hours or days`);
  const fields = /^cron\((.+)\)$/.exec(expression)?.[1]?.trim().split(/\s+/) ?? [];
  if (fields.length !== 6) throw new ScheduleError(`${expression}: ${CRON_SYNTAX}`);
  const [minutes = '', hours = '', dom = '', month = '', dow = '', year = ''] = fields;
  try {
    if ((dom === '?') === (dow === '?'))
      throw new ScheduleError(
        'day-of-month and day-of-week cannot both be given (nor both "?"): use "?" in one of them',
      );
    const m = field(minutes, { min: 0, max: 59 });
    const h = field(hours, { min: 0, max: 23 });
    const d = field(dom, { min: 1, max: 31, dayField: true });
    const mo = field(month, { min: 1, max: 12, names: MONTHS });
    const w = field(dow, { min: 1, max: 7, names: DAYS, dayField: true });
    const y = field(year, { min: 1970, max: 2199 });
    return {
      kind: 'cron',
      matches: (c) => m(c.minute) && h(c.hour) && d(c.day) && mo(c.month) && w(c.weekday) && y(c.year),
    };
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    const Kind = error instanceof UnsimulatedScheduleError ? UnsimulatedScheduleError : ScheduleError;
    throw new Kind(`${expression}: ${error.message}`, 'digestSchedule', { cause: error });
  }
}

/** Why Scheduler would refuse `expression` (the deploy-time schema's check), or undefined. */
export function scheduleProblem(expression: string): string | undefined {
  try {
    parseSchedule(expression);
    return undefined;
  } catch (error) {
    if (error instanceof UnsimulatedScheduleError) return undefined;
    if (error instanceof ScheduleError) return error.message;
    throw error;
  }
}

/** The wall clock of an IANA time zone; throws a ScheduleError naming digestTimezone otherwise. */
export function wallClockOf(timezone: string): (at: number) => WallClock {
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
        local: Math.floor(at / MINUTE_MS) * MINUTE_MS,
      };
    };
  }
  let format: Intl.DateTimeFormat;
  try {
    // Scheduler takes zone names only: newer Intl also takes offsets ("+01:00"), which it would refuse.
    if (!/^[A-Za-z]/.test(timezone)) throw new RangeError(`Invalid time zone: ${timezone}`);
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
  } catch (error) {
    throw new ScheduleError(`${JSON.stringify(timezone)} is not an IANA time zone`, 'digestTimezone', {
      cause: error,
    });
  }
  return (at) => {
    const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
    const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
    const [month, day, hour, minute] = [parts.month, parts.day, parts.hour, parts.minute].map(Number) as [
      number,
      number,
      number,
      number,
    ];
    return {
      minute,
      hour,
      day,
      month,
      weekday: DAYS.indexOf(String(parts.weekday).toUpperCase()) + 1,
      year,
      local: new Date(0).setUTCFullYear(year, month - 1, day) + hour * HOUR_MS + minute * MINUTE_MS,
    };
  };
}

/** Why `timezone` is no IANA time zone (the deploy-time schema's check), or undefined. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    wallClockOf(timezone);
    return undefined;
  } catch (error) {
    if (error instanceof ScheduleError) return error.message;
    throw error;
  }
}

/** The longest a zone's clock goes back at once (a DST fall-back is an hour; no zone has gone back 6). */
const LOOK_BACK_MS = 6 * HOUR_MS;

/**
 * A cron schedule's matching of instants (whole minutes): a wall-clock minute that repeats when the
 * clock goes back fires only its first time, as Scheduler does ("When the time shifts back in the
 * Fall, your schedule runs only once and doesn't repeat its invocation.", EventBridge Scheduler User
 * Guide, "Daylight saving time on EventBridge Scheduler":
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time);
 * a minute the clock skips in spring never shows on the wall clock, so it never fires either.
 */
function cronFires(
  matches: (clock: WallClock) => boolean,
  wallClock: (at: number) => WallClock,
): (at: number) => boolean {
  return (at) => {
    const clock = wallClock(at);
    if (!matches(clock)) return false;
    if (at - LOOK_BACK_MS < -MAX_DATE_MS) return true;
    const back = clock.local - at - (wallClock(at - LOOK_BACK_MS).local - (at - LOOK_BACK_MS));
    return !(back < 0 && wallClock(at + back).local === clock.local);
  };
}

/** A schedule's firing times in (from, to], within Date's range: throws ScheduleError for what it cannot simulate. */
export type Firings = (from: number, to: number) => number[];

/**
 * When a schedule fires: a `cron()` is matched minute by minute on the zone's wall clock; a `rate()`
 * fires at the multiples of its interval (a deployed rate schedule counts from its creation, which a
 * replay does not have). Instants past Date's range have no wall clock and fire nothing.
 */
export function firings(expression: string, timezone: string): Firings {
  const schedule = parseSchedule(expression);
  const wallClock = wallClockOf(timezone);
  const clamp = (at: number) => Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, at));
  if (schedule.kind === 'rate') {
    const every = schedule.everyMs;
    return (from, to) => {
      const times: number[] = [];
      for (let at = Math.floor(clamp(from) / every) * every + every; at <= clamp(to); at += every)
        times.push(at);
      return times;
    };
  }
  const fires = cronFires(schedule.matches, wallClock);
  return (from, to) => {
    const times: number[] = [];
    for (
      let at = Math.floor(clamp(from) / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
      at <= clamp(to);
      at += MINUTE_MS
    )
      if (fires(at)) times.push(at);
    return times;
  };
}

/**
 * The schedule's last firing before `at` and not before `earliest`, or undefined: a `rate()` fired its
 * interval before (Scheduler counts a rate from the schedule's start, so `at` is one of its firings);
 * a `cron()` is searched minute by minute backwards on the zone's wall clock.
 */
export function previousFiring(
  expression: string,
  timezone: string,
  at: number,
  earliest: number,
): number | undefined {
  const schedule = parseSchedule(expression);
  if (schedule.kind === 'rate') return at - schedule.everyMs >= earliest ? at - schedule.everyMs : undefined;
  const fires = cronFires(schedule.matches, wallClockOf(timezone));
  const floor = Math.max(earliest, -MAX_DATE_MS);
  for (let t = Math.ceil(at / MINUTE_MS) * MINUTE_MS - MINUTE_MS; t >= floor; t -= MINUTE_MS)
    if (t <= MAX_DATE_MS && fires(t)) return t;
  return undefined;
}
