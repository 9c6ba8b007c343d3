import { addDays } from './money/index.ts';

/**
 * The one definition of a business date (docs/architecture.md): the date at an instant in a
 * settlement calendar's time zone. A program settles in its calendar (`terms.settlement.calendar`);
 * the platform's daily runs close the business dates of its own calendar.
 */

/** The time zone of each settlement calendar. */
export const CALENDAR_ZONES: Readonly<Record<string, string>> = { CN: 'Asia/Shanghai', IN: 'Asia/Kolkata' };

/** The platform's calendar: its daily runs (ledger check, risk update) close its business dates. */
export const PLATFORM_CALENDAR = 'CN';

const formats = new Map<string, Intl.DateTimeFormat>();

/** The date at `instant` in the calendar's time zone (UTC for a calendar without one). */
export function businessDateAt(instant: string, calendar: string): string {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO instant: ${instant}`);
  const zone = CALENDAR_ZONES[calendar] ?? 'UTC';
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(zone, format);
  }
  return format.format(new Date(ms));
}

/** The business date a run at `instant` closes: the day before the run's date (a run just after midnight closes the day that ended). */
export function businessDateClosedAt(instant: string, calendar: string = PLATFORM_CALENDAR): string {
  return addDays(businessDateAt(instant, calendar), -1);
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The settlement day of something booked at `instant` under a program's settlement terms: its
 * date in the calendar's time zone, or the next day when booked at or after the cut-off time
 * (`HH:MM`, in the same zone). A settlement run of business date T takes the days after the
 * previous business date up to T (docs/settlement.md), so what is booked on a weekend, a holiday
 * or after T's cut-off is settled on the next business date.
 */
export function cutoffDayAt(instant: string, settlement: { readonly cutoffTime: string; readonly calendar: string }): string {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO instant: ${instant}`);
  const cutoff = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(settlement.cutoffTime);
  if (!cutoff) throw new RangeError(`a cut-off time is HH:MM, got ${settlement.cutoffTime}`);
  const zone = CALENDAR_ZONES[settlement.calendar] ?? 'UTC';
  let format = clockFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    clockFormats.set(zone, format);
  }
  const date = businessDateAt(instant, settlement.calendar);
  const time = format.format(new Date(ms));
  return time >= settlement.cutoffTime ? addDays(date, 1) : date;
}

/**
 * Today's settlement day across programs' terms: the latest of their cut-off days at `instant`,
 * and never before `floor`. Entries booked after a date sit in the date index under the days
 * after it, up to this one.
 */
export function latestCutoffDayAt(instant: string, settlements: readonly { readonly cutoffTime: string; readonly calendar: string }[], floor: string): string {
  return settlements.reduce((last, terms) => {
    const day = cutoffDayAt(instant, terms);
    return day > last ? day : last;
  }, floor);
}
