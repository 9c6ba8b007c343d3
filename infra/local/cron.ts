import { Cron } from 'croner';

/**
 * EventBridge Scheduler expressions: `cron(...)` (the six-field AWS form), `rate(...)` and
 * `at(...)`, evaluated in the schedule's time zone. A cron expression is evaluated by croner
 * (Quartz weekday numbering, 1 = Sunday, and a year field, as AWS has them); this module only
 * translates the AWS form and applies the AWS rules croner does not share.
 *
 * Daylight saving time is handled as EventBridge Scheduler documents it: a time that does not
 * exist on the day clocks move forward is skipped; a time that occurs twice on the day they move
 * back fires once, at its first occurrence. Croner follows Vixie cron instead (a fixed time in
 * the gap runs just after it; an interval job runs on both occurrences), so its candidates are
 * filtered: one whose wall time the expression does not name, or that is the second occurrence
 * of its wall time, is passed over.
 */

export class ScheduleExpressionError extends Error {
  override name = 'ScheduleExpressionError';
}

/** A parsed `cron(...)`: the AWS text and the croner pattern that evaluates it. */
export interface CronExpression {
  readonly expression: string;
  /** Seven croner fields: a zero second, then the AWS fields with the day of week in croner's form. */
  readonly pattern: string;
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

/**
 * AWS day-of-week → croner's: `L` alone is the last day of the week (Saturday); `6L` / `FRIL` is
 * the last such weekday of the month, which croner writes `6#L`. Numbers already agree (Quartz).
 */
function croneredDayOfWeek(field: string): string {
  const upper = field.toUpperCase();
  if (upper === 'L') return '7';
  const last = /^(\w+)L$/.exec(upper);
  return last ? `${last[1] as string}#L` : field;
}

/** Checks the AWS rules, then hands the expression to croner; a field croner refuses is named in the error. */
export function parseCron(body: string): CronExpression {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(`cron(${body}) needs six fields: minutes hours day-of-month month day-of-week year`);
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new ScheduleExpressionError(`cron(${body}): exactly one of day-of-month and day-of-week must be ?`);
  }
  const cron = { expression: body, pattern: ['0', minutes, hours, dayOfMonth, month, croneredDayOfWeek(dayOfWeek), year].join(' ') };
  try {
    jobOf(cron, 'UTC');
  } catch (error) {
    throw new ScheduleExpressionError(`cron(${body}): ${error instanceof Error ? error.message : String(error)}`);
  }
  return cron;
}

const jobs = new Map<string, Cron>();

/** The croner job of a pattern in a time zone, built once; `paused` with no function never starts a timer. */
function jobOf(cron: CronExpression, timeZone: string): Cron {
  const key = `${timeZone} ${cron.pattern}`;
  let job = jobs.get(key);
  if (!job) {
    // `sloppyRanges` accepts the AWS increments `0/15`; Quartz weekdays and the year field are the AWS ones.
    job = new Cron(cron.pattern, { timezone: timeZone, mode: '7-part', alternativeWeekdays: true, sloppyRanges: true, paused: true });
    jobs.set(key, job);
  }
  return job;
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

/** A candidate croner gives that EventBridge Scheduler would not fire: see the module comment. */
function firesAsAwsDoes(job: Cron, timeZone: string, candidate: Date): boolean {
  if (!job.match(candidate)) return false;
  return instantsOf(wallTime(candidate, timeZone), timeZone)[0]?.getTime() === candidate.getTime();
}

/** At most this many of croner's candidates in a row are passed over (each is a DST edge, so a handful at most). */
const MAX_PASSED_OVER = 16;

/** The first instant strictly after `after` at which the cron expression fires in `timeZone`. */
export function nextCronTime(cron: CronExpression, timeZone: string, after: Date): Date | undefined {
  formatter(timeZone);
  const job = jobOf(cron, timeZone);
  let cursor = after;
  for (let passed = 0; passed <= MAX_PASSED_OVER; passed++) {
    const candidate = job.nextRun(cursor);
    if (candidate === null) return undefined;
    if (firesAsAwsDoes(job, timeZone, candidate)) return candidate;
    cursor = candidate;
  }
  throw new ScheduleExpressionError(`cron(${cron.expression}) in ${timeZone}: no fire time after ${after.toISOString()} that exists once on the wall clock`);
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
