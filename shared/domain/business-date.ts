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
