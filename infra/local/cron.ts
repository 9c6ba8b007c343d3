/**
 * EventBridge Scheduler expressions: `cron(...)` (the six-field AWS form), `rate(...)` and
 * `at(...)`, evaluated in the schedule's time zone.
 *
 * Daylight saving time is handled as EventBridge Scheduler documents it: a time that does not
 * exist on the day clocks move forward is skipped; a time that occurs twice on the day they move
 * back fires once, at its first occurrence.
 */

export class ScheduleExpressionError extends Error {
  override name = 'ScheduleExpressionError';
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

type DayOfMonthRule =
  | { kind: 'values'; values: Set<number> }
  | { kind: 'last' }
  | { kind: 'lastWeekday' }
  | { kind: 'nearestWeekday'; day: number };

type DayOfWeekRule =
  | { kind: 'values'; values: Set<number> }
  | { kind: 'last'; weekday: number }
  | { kind: 'nth'; weekday: number; nth: number };

export interface CronExpression {
  minutes: number[];
  hours: number[];
  months: Set<number>;
  years: Set<number>;
  dayOfMonth: DayOfMonthRule | 'any';
  dayOfWeek: DayOfWeekRule | 'any';
}

export type ScheduleExpression =
  | { kind: 'cron'; cron: CronExpression }
  | { kind: 'rate'; intervalMs: number }
  | { kind: 'at'; wall: WallTime };

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function fieldValue(token: string, min: number, max: number, names: string[] | undefined, offset: number, field: string): number {
  const upper = token.toUpperCase();
  const named = names?.indexOf(upper) ?? -1;
  const value = named >= 0 ? named + offset : /^\d+$/.test(token) ? Number(token) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ScheduleExpressionError(`${field}: ${token} is not between ${min} and ${max}`);
  }
  return value;
}

/** A field of values, ranges, lists and increments: `5`, `1-5`, `MON-FRI`, `0/15`, `*\/2`, `1,3`. */
function parseValues(text: string, min: number, max: number, field: string, names?: string[], offset = 0): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`${field}: bad increment in ${part}`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [start, end] = range.split('-') as [string, string];
      from = fieldValue(start, min, max, names, offset, field);
      to = fieldValue(end, min, max, names, offset, field);
      if (to < from) throw new ScheduleExpressionError(`${field}: range ${range} runs backwards`);
    } else {
      from = fieldValue(range, min, max, names, offset, field);
      to = stepText === undefined ? from : max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

function parseDayOfMonth(text: string): DayOfMonthRule | 'any' {
  if (text === '?' || text === '*') return 'any';
  const upper = text.toUpperCase();
  if (upper === 'L') return { kind: 'last' };
  if (upper === 'LW') return { kind: 'lastWeekday' };
  const weekday = /^(\d{1,2})W$/.exec(upper);
  if (weekday) return { kind: 'nearestWeekday', day: fieldValue(weekday[1] as string, 1, 31, undefined, 0, 'day-of-month') };
  return { kind: 'values', values: parseValues(text, 1, 31, 'day-of-month') };
}

/** Days of week are 1-7 (1 = Sunday) or SUN-SAT; stored as 0-6 like Date.getUTCDay(). */
function parseDayOfWeek(text: string): DayOfWeekRule | 'any' {
  if (text === '?' || text === '*') return 'any';
  const upper = text.toUpperCase();
  if (upper === 'L') return { kind: 'values', values: new Set([6]) };
  const last = /^(\w+)L$/.exec(upper);
  if (last) return { kind: 'last', weekday: fieldValue(last[1] as string, 1, 7, DAY_NAMES, 1, 'day-of-week') - 1 };
  const nth = /^(\w+)#([1-5])$/.exec(upper);
  if (nth) {
    return { kind: 'nth', weekday: fieldValue(nth[1] as string, 1, 7, DAY_NAMES, 1, 'day-of-week') - 1, nth: Number(nth[2]) };
  }
  const values = parseValues(text, 1, 7, 'day-of-week', DAY_NAMES, 1);
  return { kind: 'values', values: new Set([...values].map((value) => value - 1)) };
}

export function parseCron(body: string): CronExpression {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(`cron(${body}) needs six fields: minutes hours day-of-month month day-of-week year`);
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new ScheduleExpressionError(`cron(${body}): exactly one of day-of-month and day-of-week must be ?`);
  }
  return {
    minutes: [...parseValues(minutes, 0, 59, 'minutes')].sort((a, b) => a - b),
    hours: [...parseValues(hours, 0, 23, 'hours')].sort((a, b) => a - b),
    months: parseValues(month, 1, 12, 'month', MONTH_NAMES, 1),
    years: parseValues(year, 1970, 2199, 'year'),
    dayOfMonth: parseDayOfMonth(dayOfMonth),
    dayOfWeek: parseDayOfWeek(dayOfWeek),
  };
}

const RATE_UNITS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

export function parseScheduleExpression(expression: string): ScheduleExpression {
  const match = /^(cron|rate|at)\((.*)\)$/.exec(expression.trim());
  if (!match) throw new ScheduleExpressionError(`${expression} is not cron(...), rate(...) or at(...)`);
  const [, kind, body] = match as unknown as [string, string, string];
  if (kind === 'cron') return { kind: 'cron', cron: parseCron(body) };
  if (kind === 'rate') {
    const rate = /^(\d+)\s+(\w+)$/.exec(body.trim());
    const unit = rate ? RATE_UNITS[(rate[2] as string).toLowerCase()] : undefined;
    const value = rate ? Number(rate[1]) : 0;
    if (!rate || unit === undefined || value < 1) {
      throw new ScheduleExpressionError(`rate(${body}) must be rate(<n> minute(s)|hour(s)|day(s)) with n ≥ 1`);
    }
    return { kind: 'rate', intervalMs: value * unit };
  }
  const at = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body.trim());
  if (!at) throw new ScheduleExpressionError(`at(${body}) must be at(yyyy-mm-ddThh:mm:ss)`);
  const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [number, number, number, number, number, number];
  return { kind: 'at', wall: { year, month, day, hour, minute, second } };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new ScheduleExpressionError(`Unknown time zone ${timeZone}`);
    }
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall-clock time of an instant in a time zone. */
export function wallTime(instant: Date, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

function wallAsUtc(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

function sameWall(a: WallTime, b: WallTime): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute && a.second === b.second;
}

/** The instants at which a wall-clock time occurs: none in a spring gap, two in an autumn overlap. */
export function instantsOf(wall: WallTime, timeZone: string): Date[] {
  const asUtc = wallAsUtc(wall);
  const offsetAround = (instant: number): number => wallAsUtc(wallTime(new Date(instant), timeZone)) - instant;
  const candidates = new Set([asUtc - offsetAround(asUtc - 86_400_000), asUtc - offsetAround(asUtc + 86_400_000)]);
  return [...candidates]
    .filter((instant) => sameWall(wallTime(new Date(instant), timeZone), wall))
    .sort((a, b) => a - b)
    .map((instant) => new Date(instant));
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

function dayOfMonthMatches(rule: DayOfMonthRule, year: number, month: number, day: number): boolean {
  const last = daysInMonth(year, month);
  switch (rule.kind) {
    case 'values':
      return rule.values.has(day);
    case 'last':
      return day === last;
    case 'lastWeekday': {
      let candidate = last;
      while (weekdayOf(year, month, candidate) === 0 || weekdayOf(year, month, candidate) === 6) candidate -= 1;
      return day === candidate;
    }
    case 'nearestWeekday': {
      if (rule.day > last) return false;
      const target = rule.day;
      const weekday = weekdayOf(year, month, target);
      let candidate = target;
      if (weekday === 6) candidate = target === 1 ? 3 : target - 1;
      if (weekday === 0) candidate = target === last ? target - 2 : target + 1;
      return day === candidate;
    }
  }
}

function dayOfWeekMatches(rule: DayOfWeekRule, year: number, month: number, day: number): boolean {
  const weekday = weekdayOf(year, month, day);
  switch (rule.kind) {
    case 'values':
      return rule.values.has(weekday);
    case 'last':
      return weekday === rule.weekday && day + 7 > daysInMonth(year, month);
    case 'nth':
      return weekday === rule.weekday && Math.ceil(day / 7) === rule.nth;
  }
}

function dayMatches(cron: CronExpression, year: number, month: number, day: number): boolean {
  if (!cron.years.has(year) || !cron.months.has(month)) return false;
  if (cron.dayOfMonth !== 'any' && !dayOfMonthMatches(cron.dayOfMonth, year, month, day)) return false;
  if (cron.dayOfWeek !== 'any' && !dayOfWeekMatches(cron.dayOfWeek, year, month, day)) return false;
  return true;
}

/** The first instant strictly after `after` at which the cron expression fires in `timeZone`. */
export function nextCronTime(cron: CronExpression, timeZone: string, after: Date): Date | undefined {
  const start = wallTime(after, timeZone);
  const cursor = new Date(Date.UTC(start.year, start.month - 1, start.day));
  const lastYear = Math.max(...cron.years);
  while (cursor.getUTCFullYear() <= lastYear) {
    const year = cursor.getUTCFullYear();
    const month = cursor.getUTCMonth() + 1;
    const day = cursor.getUTCDate();
    if (dayMatches(cron, year, month, day)) {
      for (const hour of cron.hours) {
        for (const minute of cron.minutes) {
          const first = instantsOf({ year, month, day, hour, minute, second: 0 }, timeZone)[0];
          if (first !== undefined && first.getTime() > after.getTime()) return first;
        }
      }
    }
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return undefined;
}

/**
 * The next fire time of a schedule expression after `after`. A rate counts its intervals from
 * `anchor` (when the schedule started); an `at` fires once.
 */
export function nextFireTime(expression: string | ScheduleExpression, timeZone: string, after: Date, anchor: Date = after): Date | undefined {
  const parsed = typeof expression === 'string' ? parseScheduleExpression(expression) : expression;
  switch (parsed.kind) {
    case 'cron':
      return nextCronTime(parsed.cron, timeZone, after);
    case 'rate': {
      const elapsed = after.getTime() - anchor.getTime();
      const intervals = elapsed < 0 ? 1 : Math.floor(elapsed / parsed.intervalMs) + 1;
      return new Date(anchor.getTime() + intervals * parsed.intervalMs);
    }
    case 'at': {
      const first = instantsOf(parsed.wall, timeZone)[0];
      return first !== undefined && first.getTime() > after.getTime() ? first : undefined;
    }
  }
}
