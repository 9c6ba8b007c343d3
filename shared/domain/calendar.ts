import { CALENDAR_ZONES } from './business-date.ts';
import { CHINESE_DAYS_PACKAGE, packageYears } from './chinese-days.ts';
import { InvariantViolation, RuleViolation, ValidationError } from './errors.ts';
import { civilToEpochDay, epochDayToCivil, formatIsoDate, toCivilDate, type CivilDate } from './money/calendar.ts';

/**
 * Business calendars (docs/calendar.md). A settlement calendar says which dates are business days:
 * 'CN' by China's public holidays and adjusted working days (调休), year by year, as the
 * `chinese-days` package publishes them or as an operator loaded them; every other calendar by
 * plain weekdays (Monday to Friday), every year. A table calendar refuses a date in a year it has
 * no table for, rather than guessing a plain week.
 */
export interface BusinessCalendar {
  /** 'CN' (Chinese calendar) or 'IN' (plain weekdays), the program's `settlement.calendar`. */
  readonly id: string;
  /** IANA zone, from CALENDAR_ZONES in business-date.ts. */
  readonly zone: string;
  /** Years whose working days the calendar knows, ascending; null when it knows every year (a plain weekday calendar). */
  readonly coveredYears: readonly number[] | null;
  /** YYYY-MM-DD; throws CalendarYearNotCovered for a year it does not cover. */
  isBusinessDay(date: string): boolean;
  /** Strictly after `date`. */
  nextBusinessDay(date: string): string;
  /** Strictly before `date`. */
  previousBusinessDay(date: string): string;
  /** `date` itself when it is a business day and n = 0, else the n-th business day after it (n >= 0; n = 0 on a holiday gives the next business day). */
  addBusinessDays(date: string, n: number): string;
  /** Where the year's table comes from; throws CalendarYearNotCovered for a year it does not cover. */
  yearSource(year: number): CalendarYearSource;
  /** The year's holidays and worked weekend days (both empty for a plain weekday calendar); throws for a year not covered. */
  yearTable(year: number): CalendarYearTable;
  /** Every business day of the year, ascending; throws for a year not covered. */
  businessDaysOf(year: number): string[];
}

/** What an operator loads for a newly published year (the State Council's notice, for 'CN'). */
export interface CalendarYearTable {
  /** Days off, ascending; a holiday period's weekend days may be listed (they are days off anyway). */
  readonly holidays: readonly string[];
  /** Saturdays and Sundays that are worked (调休上班), ascending. */
  readonly workingDays: readonly string[];
}

/** A stored version of an operator-loaded year. A version, once written, never changes. */
export interface LoadedCalendarYear extends CalendarYearTable {
  readonly calendar: string;
  readonly year: number;
  readonly version: number;
  /** The client id of the principal who loaded it. */
  readonly loadedBy: string;
  readonly loadedAt: string;
  /** Where the table comes from, in the operator's words (the notice's title and number). */
  readonly source: string;
}

export type CalendarYearSource =
  | { readonly kind: 'PACKAGE'; readonly package: string; readonly packageVersion: string }
  | { readonly kind: 'LOADED'; readonly version: number; readonly loadedBy: string; readonly loadedAt: string; readonly source: string }
  | { readonly kind: 'WEEKDAYS' };

/** Calendars that keep a table per year; every other calendar of CALENDAR_ZONES is plain weekdays. */
export const TABLE_CALENDARS: ReadonlySet<string> = new Set(['CN']);

/** The years an operator may load. */
export const LOADABLE_YEARS = { min: 2000, max: 2199 } as const;

/** How to load a year, as the refusal of a year not covered tells it. */
export function howToLoad(calendar: string, year: number): { readonly route: string; readonly command: string } {
  return { route: `PUT /v1/calendars/${calendar}/years/${year}`, command: `colend calendar load <file.json> --calendar ${calendar} --year ${year}` };
}

/** Years as compact ranges for a message: [2004, 2005, 2006, 2027] → "2004-2006, 2027". */
function yearRanges(years: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < years.length; ) {
    let j = i;
    while (j + 1 < years.length && (years[j + 1] as number) === (years[j] as number) + 1) j++;
    parts.push(i === j ? String(years[i]) : `${years[i]}-${years[j]}`);
    i = j + 1;
  }
  return parts.length === 0 ? 'no year' : parts.join(', ');
}

/** A date in a year the calendar has no table for: the year must be loaded first. */
export class CalendarYearNotCovered extends RuleViolation {
  constructor(calendar: string, year: number, coveredYears: readonly number[]) {
    const load = howToLoad(calendar, year);
    super(
      'CALENDAR_YEAR_NOT_COVERED',
      `calendar ${calendar} does not cover ${year} (it covers ${yearRanges(coveredYears)}); load the year's holidays and working days with ${load.route} or ${load.command}`,
      { calendar, year, coveredYears: [...coveredYears], load },
    );
  }
}

/** The calendar id as a program or a route gives it; an unknown id is refused. */
export function knownCalendar(id: string, path = 'calendar'): string {
  if (!Object.hasOwn(CALENDAR_ZONES, id)) {
    throw new ValidationError(`${path}: ${JSON.stringify(id)} is not a calendar; known calendars are ${Object.keys(CALENDAR_ZONES).join(', ')}`, {
      path,
      rule: 'known-calendar',
      calendars: Object.keys(CALENDAR_ZONES),
    });
  }
  return id;
}

// ---------------------------------------------------------------------------------------------
// Days as epoch days: one parse per call, then arithmetic and Set lookups.

interface DayTable {
  readonly holidays: ReadonlySet<number>;
  readonly workingDays: ReadonlySet<number>;
  readonly table: CalendarYearTable;
  readonly source: CalendarYearSource;
}

/** 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday). */
function weekdayOfEpochDay(epochDay: number): number {
  return (((epochDay + 4) % 7) + 7) % 7;
}

function isWeekend(epochDay: number): boolean {
  const weekday = weekdayOfEpochDay(epochDay);
  return weekday === 0 || weekday === 6;
}

function epochDayOf(date: string, path = 'date'): { epochDay: number; civil: CivilDate } {
  const civil = toCivilDate(date, path);
  return { epochDay: civilToEpochDay(civil), civil };
}

function dayTable(table: CalendarYearTable, source: CalendarYearSource): DayTable {
  return {
    holidays: new Set(table.holidays.map((d) => civilToEpochDay(toCivilDate(d, 'holidays')))),
    workingDays: new Set(table.workingDays.map((d) => civilToEpochDay(toCivilDate(d, 'workingDays')))),
    table,
    source,
  };
}

/** The package's years as day tables, built once per process. */
let packageTables: ReadonlyMap<number, DayTable> | undefined;
function packageDayTables(): ReadonlyMap<number, DayTable> {
  packageTables ??= new Map(
    [...packageYears().values()].map((y) => [y.year, dayTable(y, { kind: 'PACKAGE', package: CHINESE_DAYS_PACKAGE.name, packageVersion: CHINESE_DAYS_PACKAGE.version })]),
  );
  return packageTables;
}

/** A loaded version's day table, built once per stored version read (kept while the version is). */
const loadedTables = new WeakMap<LoadedCalendarYear, DayTable>();
function loadedDayTable(loaded: LoadedCalendarYear): DayTable {
  let table = loadedTables.get(loaded);
  if (!table) {
    const { version, loadedBy, loadedAt, source } = loaded;
    table = dayTable({ holidays: loaded.holidays, workingDays: loaded.workingDays }, { kind: 'LOADED', version, loadedBy, loadedAt, source });
    loadedTables.set(loaded, table);
  }
  return table;
}

/** No calendar has this many days off in a row; a walk that finds none is a defect of a table. */
const MAX_WALK_DAYS = 3660;

abstract class WalkingCalendar implements BusinessCalendar {
  abstract readonly id: string;
  abstract readonly zone: string;
  abstract readonly coveredYears: readonly number[] | null;
  protected abstract isBusinessEpochDay(epochDay: number, year: number): boolean;
  abstract yearSource(year: number): CalendarYearSource;
  abstract yearTable(year: number): CalendarYearTable;

  isBusinessDay(date: string): boolean {
    const { epochDay, civil } = epochDayOf(date);
    return this.isBusinessEpochDay(epochDay, civil.year);
  }

  private walk(from: number, step: 1 | -1): number {
    let epochDay = from;
    for (let days = 0; days < MAX_WALK_DAYS; days++) {
      epochDay += step;
      if (this.isBusinessEpochDay(epochDay, epochDayToCivil(epochDay).year)) return epochDay;
    }
    throw new InvariantViolation(`calendar ${this.id} has no business day within ${MAX_WALK_DAYS} days of epoch day ${from}`, { calendar: this.id });
  }

  nextBusinessDay(date: string): string {
    return formatIsoDate(epochDayToCivil(this.walk(epochDayOf(date).epochDay, 1)));
  }

  previousBusinessDay(date: string): string {
    return formatIsoDate(epochDayToCivil(this.walk(epochDayOf(date).epochDay, -1)));
  }

  addBusinessDays(date: string, n: number): string {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ValidationError(`n must be a whole number of business days, 0 or more, got ${String(n)}`, { path: 'n', rule: 'non-negative-integer' });
    }
    const { epochDay, civil } = epochDayOf(date);
    if (n === 0 && this.isBusinessEpochDay(epochDay, civil.year)) return date;
    let day = epochDay;
    for (let i = 0; i < Math.max(n, 1); i++) day = this.walk(day, 1);
    return formatIsoDate(epochDayToCivil(day));
  }

  businessDaysOf(year: number): string[] {
    this.yearSource(year);
    const first = civilToEpochDay({ year, month: 1, day: 1 });
    const last = civilToEpochDay({ year, month: 12, day: 31 });
    const days: string[] = [];
    for (let d = first; d <= last; d++) if (this.isBusinessEpochDay(d, year)) days.push(formatIsoDate(epochDayToCivil(d)));
    return days;
  }
}

/** Monday to Friday, every year. */
class WeekdayCalendar extends WalkingCalendar {
  readonly coveredYears = null;
  constructor(
    readonly id: string,
    readonly zone: string,
  ) {
    super();
  }

  protected isBusinessEpochDay(epochDay: number): boolean {
    return !isWeekend(epochDay);
  }

  yearSource(): CalendarYearSource {
    return { kind: 'WEEKDAYS' };
  }

  yearTable(): CalendarYearTable {
    return { holidays: [], workingDays: [] };
  }
}

/** A table per year: the package's, overridden by the latest loaded version of that year. */
class TableCalendar extends WalkingCalendar {
  readonly coveredYears: readonly number[];
  constructor(
    readonly id: string,
    readonly zone: string,
    private readonly tables: ReadonlyMap<number, DayTable>,
  ) {
    super();
    this.coveredYears = [...tables.keys()].sort((a, b) => a - b);
  }

  private tableOf(year: number): DayTable {
    const table = this.tables.get(year);
    if (!table) throw new CalendarYearNotCovered(this.id, year, this.coveredYears);
    return table;
  }

  protected isBusinessEpochDay(epochDay: number, year: number): boolean {
    const table = this.tableOf(year);
    if (table.holidays.has(epochDay)) return false;
    return table.workingDays.has(epochDay) || !isWeekend(epochDay);
  }

  yearSource(year: number): CalendarYearSource {
    return this.tableOf(year).source;
  }

  yearTable(year: number): CalendarYearTable {
    return this.tableOf(year).table;
  }
}

/**
 * The calendar of a program's `settlement.calendar`. For a table calendar, `loadedYears` are the
 * stored versions of its operator-loaded years (any order; versions of other calendars are
 * ignored): the latest version of a year replaces the package's table for that year.
 */
export function calendarOf(id: string, loadedYears: readonly LoadedCalendarYear[]): BusinessCalendar {
  const zone = CALENDAR_ZONES[knownCalendar(id)] as string;
  if (!TABLE_CALENDARS.has(id)) return new WeekdayCalendar(id, zone);
  const latest = new Map<number, LoadedCalendarYear>();
  for (const loaded of loadedYears) {
    if (loaded.calendar !== id) continue;
    const seen = latest.get(loaded.year);
    if (!seen || seen.version < loaded.version) latest.set(loaded.year, loaded);
  }
  const tables = new Map(id === 'CN' ? packageDayTables() : []);
  for (const [year, loaded] of latest) tables.set(year, loadedDayTable(loaded));
  return new TableCalendar(id, zone, tables);
}

// ---------------------------------------------------------------------------------------------
// An operator's table of a year.

export interface CalendarYearInput {
  readonly calendar: string;
  readonly year: number;
  readonly holidays: readonly unknown[];
  readonly workingDays: readonly unknown[];
  readonly source: string;
}

interface Issue {
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

/** One list's dates: each a real date of the year, listed once; the valid ones by epoch day. */
function checkDates(list: readonly unknown[], field: string, year: number, issues: Issue[]): Map<number, number> {
  const seen = new Map<number, number>();
  list.forEach((value, index) => {
    const path = `${field}.${index}`;
    let civil: CivilDate;
    try {
      civil = toCivilDate(value, path);
    } catch {
      issues.push({ path, rule: 'real-date', message: `${path}: ${JSON.stringify(value)} is not a real calendar date YYYY-MM-DD` });
      return;
    }
    if (civil.year !== year) {
      issues.push({ path, rule: 'same-year', message: `${path}: ${String(value)} is not in ${year}, the year being loaded` });
      return;
    }
    const epochDay = civilToEpochDay(civil);
    const earlier = seen.get(epochDay);
    if (earlier !== undefined) {
      issues.push({ path, rule: 'duplicate', message: `${path}: ${String(value)} is listed already, at ${field}.${earlier}` });
      return;
    }
    seen.set(epochDay, index);
  });
  return seen;
}

/**
 * Checks an operator's table of a year and returns it in order. Holidays may fall on a weekend (a
 * notice's holiday period runs through its weekend, and the package lists them so); a worked day
 * must be a Saturday or a Sunday (a weekday is worked anyway); no date is both; every date is a
 * real date of the year, listed once; a year has at least one holiday. Every problem is reported,
 * each with its field path (`holidays.3`) and rule; the first names the error.
 */
export function validateCalendarYear(input: CalendarYearInput): CalendarYearTable {
  knownCalendar(input.calendar);
  if (!TABLE_CALENDARS.has(input.calendar)) {
    throw new ValidationError(`calendar ${input.calendar} is plain weekdays (Monday to Friday) every year; it takes no table`, {
      path: 'calendar',
      rule: 'table-calendar',
      tableCalendars: [...TABLE_CALENDARS],
    });
  }
  if (!Number.isSafeInteger(input.year) || input.year < LOADABLE_YEARS.min || input.year > LOADABLE_YEARS.max) {
    throw new ValidationError(`year must be a year from ${LOADABLE_YEARS.min} to ${LOADABLE_YEARS.max}, got ${String(input.year)}`, { path: 'year', rule: 'year-range' });
  }
  const issues: Issue[] = [];
  if (input.source.trim() === '') issues.push({ path: 'source', rule: 'required', message: 'source: say where the table comes from (the notice and its number)' });
  if (input.holidays.length === 0) {
    issues.push({ path: 'holidays', rule: 'min-items', message: `holidays: a year of calendar ${input.calendar} has holidays; an empty table would be a plain week` });
  }
  const holidays = checkDates(input.holidays, 'holidays', input.year, issues);
  const working = checkDates(input.workingDays, 'workingDays', input.year, issues);
  for (const [epochDay, index] of working) {
    const path = `workingDays.${index}`;
    const date = formatIsoDate(epochDayToCivil(epochDay));
    if (holidays.has(epochDay)) {
      issues.push({ path, rule: 'not-both', message: `${path}: ${date} is also a holiday (holidays.${holidays.get(epochDay)})` });
    } else if (!isWeekend(epochDay)) {
      issues.push({ path, rule: 'weekend-only', message: `${path}: ${date} is a weekday, a working day anyway; only a Saturday or a Sunday can be worked in lieu` });
    }
  }
  const first = issues[0];
  if (first) throw new ValidationError(first.message, { path: first.path, rule: first.rule, issues });
  const sorted = (days: Map<number, number>): string[] => [...days.keys()].sort((a, b) => a - b).map((d) => formatIsoDate(epochDayToCivil(d)));
  return { holidays: sorted(holidays), workingDays: sorted(working) };
}
