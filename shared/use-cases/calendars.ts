import {
  calendarOf,
  knownCalendar,
  TABLE_CALENDARS,
  validateCalendarYear,
  type BusinessCalendar,
  type CalendarYearSource,
  type LoadedCalendarYear,
} from '../domain/calendar.ts';
import type { CalendarStore, Seal } from '../ports/stores.ts';
import { writeNextVersion } from './versions.ts';

/**
 * Business calendars (docs/calendar.md): the calendar settlement counts business days with, and
 * the operator's path for a newly published year. Pass a store kept by the reference cache
 * (`withCachedReferences`) where the calendar is asked for often: a newly loaded year is then seen
 * within the cache's TTL (`REFERENCE_CACHE_TTL_MS`, 60 s by default).
 */
export interface CalendarDeps {
  readonly calendars: CalendarStore;
}

/** The calendar of a program's `settlement.calendar`, with every year loaded so far; a plain weekday calendar reads nothing. */
export async function businessCalendar(deps: CalendarDeps, id: string): Promise<BusinessCalendar> {
  knownCalendar(id);
  return calendarOf(id, TABLE_CALENDARS.has(id) ? await deps.calendars.loadedYears(id) : []);
}

export interface LoadCalendarYearInput {
  readonly calendar: string;
  readonly year: number;
  readonly holidays: readonly unknown[];
  readonly workingDays: readonly unknown[];
  readonly source: string;
}

/**
 * Stores an operator's table of a year as its next version (version 1 for a year never loaded).
 * A version, once written, never changes; two loads of the same year at once race for the same
 * number and the loser takes the next one. A table that breaks a rule is refused before anything
 * is read or written.
 */
export async function loadCalendarYear(deps: CalendarDeps, input: LoadCalendarYearInput, loadedBy: string, seal: Seal, now: string): Promise<LoadedCalendarYear> {
  const table = validateCalendarYear(input);
  return writeNextVersion(
    async () => (await deps.calendars.loadedYears(input.calendar)).filter((y) => y.year === input.year).reduce((latest, y) => Math.max(latest, y.version), 0),
    async (version) => {
      const loaded: LoadedCalendarYear = { calendar: input.calendar, year: input.year, version, ...table, loadedBy, loadedAt: now, source: input.source.trim() };
      await deps.calendars.putYear(loaded, seal(201, loaded));
      return loaded;
    },
  );
}

export interface CalendarYearView {
  readonly year: number;
  readonly source: CalendarYearSource;
  readonly holidays: readonly string[];
  readonly workingDays: readonly string[];
  readonly businessDays: readonly string[];
}

export interface CalendarView {
  readonly calendar: string;
  readonly zone: string;
  /** TABLE: a table per year, refusing a year it has none for; WEEKDAYS: Monday to Friday, every year. */
  readonly kind: 'TABLE' | 'WEEKDAYS';
  readonly coveredYears: readonly number[] | null;
  /** Each covered year and where its table comes from (empty for a plain weekday calendar). */
  readonly years: readonly { readonly year: number; readonly source: CalendarYearSource }[];
  /** The year asked for: its table and every business day. */
  readonly year?: CalendarYearView;
}

/** What a calendar covers and from where; with `year`, that year's days (refused if it is not covered). */
export async function describeCalendar(deps: CalendarDeps, id: string, year: number | null): Promise<CalendarView> {
  const calendar = await businessCalendar(deps, id);
  const covered = calendar.coveredYears;
  const view: CalendarView = {
    calendar: calendar.id,
    zone: calendar.zone,
    kind: covered === null ? 'WEEKDAYS' : 'TABLE',
    coveredYears: covered,
    years: (covered ?? []).map((y) => ({ year: y, source: calendar.yearSource(y) })),
  };
  if (year === null) return view;
  return { ...view, year: { year, source: calendar.yearSource(year), ...calendar.yearTable(year), businessDays: calendar.businessDaysOf(year) } };
}
