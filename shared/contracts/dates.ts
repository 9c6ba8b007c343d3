import { z } from 'zod';
import { businessDateAt, PLATFORM_CALENDAR } from '../domain/business-date.ts';
import { toCivilDate } from '../domain/money/calendar.ts';

/**
 * The one validator of the dates clients send (docs/calendar.md, Dates clients send). A date is a
 * real calendar date `YYYY-MM-DD` inside the platform's window, and a date that names something
 * done (a run's business date, a disbursement, a value date) is never after today. A date outside
 * its window is refused with `DATE_OUT_OF_WINDOW` and details `{ field, from, to }`.
 */

/** The first and last dates the platform takes from a client: no loan book predates the first, no plan runs past the last. */
export const EARLIEST_DATE = '1970-01-01';
export const LATEST_DATE = '2099-12-31';

/** The code of a date outside its window; `validate` makes it the error's code. */
export const DATE_OUT_OF_WINDOW = 'DATE_OUT_OF_WINDOW';

/** The key under which a date schema publishes its window in the OpenAPI document. */
export const DATE_WINDOW = 'x-date-window';

const DATE_MESSAGE = 'must be a calendar date YYYY-MM-DD';

/**
 * Today's date while a request is validated. zod passes no context to a refinement, and parsing is
 * synchronous, so `validate` sets it for the length of one parse and nothing else can see it.
 */
let today: string | null = null;

/** Runs a synchronous parse with `date` as today, for the dates that may not be after it. */
export function parsingOn<T>(date: string, parse: () => T): T {
  const outer = today;
  today = date;
  try {
    return parse();
  } finally {
    today = outer;
  }
}

function isCalendarDate(value: string): boolean {
  try {
    toCivilDate(value, 'date');
    return true;
  } catch {
    return false;
  }
}

function dateIn(window: 'PLATFORM' | 'NOT_AFTER_TODAY') {
  return z
    .string(DATE_MESSAGE)
    .superRefine((value, ctx) => {
      if (!isCalendarDate(value)) {
        ctx.addIssue({ code: 'custom', message: DATE_MESSAGE, params: { rule: 'iso-date' } });
        return;
      }
      const to = window === 'PLATFORM' || today === null ? LATEST_DATE : today;
      if (value < EARLIEST_DATE || value > to) {
        const when = to === today ? ' (today)' : '';
        ctx.addIssue({ code: 'custom', message: `must be from ${EARLIEST_DATE} to ${to}${when}, got ${value}`, params: { code: DATE_OUT_OF_WINDOW, rule: 'date-window', from: EARLIEST_DATE, to } });
      }
    })
    .meta({ format: 'date', [DATE_WINDOW]: window === 'PLATFORM' ? `${EARLIEST_DATE}/${LATEST_DATE}` : `${EARLIEST_DATE}/today` });
}

/** Any date a client names: a real calendar date from EARLIEST_DATE to LATEST_DATE. */
export const calendarDate = dateIn('PLATFORM');

/**
 * A date of something done or run: a real calendar date from EARLIEST_DATE to today, the
 * platform's current business date. The HTTP edge always validates with today (shared/http/api.ts);
 * a parse without one (a workflow step re-reading what the edge accepted) checks the platform window.
 */
export const pastDate = dateIn('NOT_AFTER_TODAY');

/**
 * An instant of something done (a lead's approval, a bank's execution of a transfer): an ISO date
 * and time with its offset, whose date on the platform's calendar is inside the window of
 * `pastDate`: never after today, nor before EARLIEST_DATE.
 */
export const pastInstant = z.iso.datetime({ offset: true }).superRefine((value, ctx) => {
  // zod runs this refinement after a failed format check too: a text that is no instant at all is
  // that check's refusal (its issue comes first), never an exception of the window's reckoning.
  if (Number.isNaN(Date.parse(value))) return;
  const date = businessDateAt(value, PLATFORM_CALENDAR);
  const to = today ?? LATEST_DATE;
  if (date < EARLIEST_DATE || date > to) {
    const when = to === today ? ' (today)' : '';
    ctx.addIssue({ code: 'custom', message: `must be on a date from ${EARLIEST_DATE} to ${to}${when}, got ${value}`, params: { code: DATE_OUT_OF_WINDOW, rule: 'date-window', from: EARLIEST_DATE, to } });
  }
});
