import { describe, expect, it } from 'vitest';
import { calendarOf, CalendarYearNotCovered, validateCalendarYear, type CalendarYearInput } from '../../../../shared/domain/calendar.ts';
import { packageYears } from '../../../../shared/domain/chinese-days.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { thrownBy } from '../../../support/expect-error.ts';
import { CN_2027_TABLE, CN_2027_TABLE_V2, loadedYear } from '../../../support/calendar-years.ts';

const PACKAGE_YEARS = Array.from({ length: 2026 - 2004 + 1 }, (_, i) => 2004 + i);
const cn = calendarOf('CN', []);

describe('the Chinese calendar from the package (2026, per the State Council notice)', () => {
  it('covers exactly the years the package has notices for, 2004 to 2026', () => {
    expect(cn.id).toBe('CN');
    expect(cn.zone).toBe('Asia/Shanghai');
    expect(cn.coveredYears).toEqual(PACKAGE_YEARS);
    expect(cn.yearSource(2026)).toEqual({ kind: 'PACKAGE', package: 'chinese-days', packageVersion: '1.5.7' });
  });

  it('National Day: 1-7 October off, Sunday 20 September and Saturday 10 October worked', () => {
    for (const day of ['01', '02', '03', '04', '05', '06', '07']) expect(cn.isBusinessDay(`2026-10-${day}`), `2026-10-${day}`).toBe(false);
    expect(cn.isBusinessDay('2026-09-30')).toBe(true);
    expect(cn.isBusinessDay('2026-10-08')).toBe(true);
    expect(cn.isBusinessDay('2026-09-20')).toBe(true);
    expect(cn.isBusinessDay('2026-10-10')).toBe(true);
    expect(cn.isBusinessDay('2026-10-11')).toBe(false);
  });

  it('Spring Festival: 15-23 February off, Saturdays 14 and 28 February worked', () => {
    for (let day = 15; day <= 23; day++) expect(cn.isBusinessDay(`2026-02-${day}`), `2026-02-${day}`).toBe(false);
    expect(cn.isBusinessDay('2026-02-14')).toBe(true);
    expect(cn.isBusinessDay('2026-02-24')).toBe(true);
    expect(cn.isBusinessDay('2026-02-28')).toBe(true);
    expect(cn.nextBusinessDay('2026-02-13')).toBe('2026-02-14');
    expect(cn.nextBusinessDay('2026-02-14')).toBe('2026-02-24');
    expect(cn.previousBusinessDay('2026-02-24')).toBe('2026-02-14');
  });

  it('a plain weekend is off, its Friday and Monday are not', () => {
    expect(cn.isBusinessDay('2026-03-06')).toBe(true);
    expect(cn.isBusinessDay('2026-03-07')).toBe(false);
    expect(cn.isBusinessDay('2026-03-08')).toBe(false);
    expect(cn.nextBusinessDay('2026-03-06')).toBe('2026-03-09');
    expect(cn.previousBusinessDay('2026-03-09')).toBe('2026-03-06');
  });

  it('adds business days across a holiday', () => {
    expect(cn.addBusinessDays('2026-09-30', 0)).toBe('2026-09-30');
    expect(cn.addBusinessDays('2026-09-30', 1)).toBe('2026-10-08');
    expect(cn.addBusinessDays('2026-10-01', 0)).toBe('2026-10-08');
    expect(cn.addBusinessDays('2026-10-03', 1)).toBe('2026-10-08');
    expect(cn.addBusinessDays('2026-10-07', 3)).toBe('2026-10-10');
    expect(cn.addBusinessDays('2026-09-24', 1)).toBe('2026-09-28');
    expect(cn.addBusinessDays('2026-12-28', 3)).toBe('2026-12-31');
  });

  it('lists the business days and the table of a year', () => {
    const days = cn.businessDaysOf(2026);
    expect(days).toHaveLength(248);
    expect(days.slice(0, 3)).toEqual(['2026-01-04', '2026-01-05', '2026-01-06']);
    expect(days.at(-1)).toBe('2026-12-31');
    expect(cn.yearTable(2026).workingDays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
  });

  it("holds every package year to the rules of an operator's table", () => {
    for (const y of packageYears().values()) {
      expect(() => validateCalendarYear({ calendar: 'CN', year: y.year, holidays: y.holidays, workingDays: y.workingDays, source: 'package' }), String(y.year)).not.toThrow();
    }
  });
});

describe('a year the calendar does not cover', () => {
  it('refuses 2027 before its table is loaded, naming the year and how to load it', () => {
    const error = thrownBy(CalendarYearNotCovered, () => cn.isBusinessDay('2027-01-04'));
    expect(error.code).toBe('CALENDAR_YEAR_NOT_COVERED');
    expect(error.details).toEqual({
      calendar: 'CN',
      year: 2027,
      coveredYears: PACKAGE_YEARS,
      load: { route: 'PUT /v1/calendars/CN/years/2027', command: 'colend calendar load <file.json> --calendar CN --year 2027' },
    });
    expect(error.message).toContain('covers 2004-2026');
  });

  it('refuses a walk that leaves the covered years, never guessing a plain week', () => {
    expect(thrownBy(CalendarYearNotCovered, () => cn.nextBusinessDay('2026-12-31')).details.year).toBe(2027);
    expect(thrownBy(CalendarYearNotCovered, () => cn.addBusinessDays('2026-12-31', 1)).details.year).toBe(2027);
    expect(thrownBy(CalendarYearNotCovered, () => cn.previousBusinessDay('2004-01-02')).details.year).toBe(2003);
    expect(thrownBy(CalendarYearNotCovered, () => cn.businessDaysOf(2027)).details.year).toBe(2027);
    expect(thrownBy(CalendarYearNotCovered, () => cn.yearSource(2027)).details.year).toBe(2027);
  });

  it('answers once the year is loaded', () => {
    const loaded = calendarOf('CN', [loadedYear()]);
    expect(loaded.coveredYears).toEqual([...PACKAGE_YEARS, 2027]);
    expect(loaded.isBusinessDay('2027-01-01')).toBe(false);
    expect(loaded.isBusinessDay('2027-01-04')).toBe(true);
    expect(loaded.isBusinessDay('2027-02-12')).toBe(false);
    expect(loaded.isBusinessDay('2027-02-20')).toBe(true);
    expect(loaded.nextBusinessDay('2026-12-31')).toBe('2027-01-04');
    expect(loaded.addBusinessDays('2027-02-05', 1)).toBe('2027-02-15');
    expect(loaded.isBusinessDay('2027-10-01')).toBe(true);
    expect(loaded.yearSource(2027)).toEqual({ kind: 'LOADED', version: 1, loadedBy: 'finance-client', loadedAt: '2026-11-20T08:00:00.000Z', source: CN_2027_TABLE.source });
    expect(thrownBy(CalendarYearNotCovered, () => loaded.nextBusinessDay('2027-12-31')).details.year).toBe(2028);
  });

  it('takes the latest loaded version of a year, in whatever order the versions come', () => {
    const v1 = loadedYear();
    const v2 = loadedYear({ version: 2, ...CN_2027_TABLE_V2 });
    for (const versions of [
      [v1, v2],
      [v2, v1],
    ]) {
      const calendar = calendarOf('CN', versions);
      expect(calendar.isBusinessDay('2027-10-01')).toBe(false);
      expect(calendar.isBusinessDay('2027-10-09')).toBe(true);
      expect(calendar.addBusinessDays('2027-09-30', 1)).toBe('2027-10-08');
      expect(calendar.yearSource(2027)).toMatchObject({ kind: 'LOADED', version: 2 });
    }
    expect(calendarOf('CN', [v1]).addBusinessDays('2027-09-30', 1)).toBe('2027-10-01');
  });

  it("lets a loaded year replace the package's table of that year", () => {
    const corrected = calendarOf('CN', [loadedYear({ year: 2026, holidays: ['2026-10-01'], workingDays: [], source: 'a correction' })]);
    expect(corrected.isBusinessDay('2026-10-02')).toBe(true);
    expect(corrected.isBusinessDay('2026-10-10')).toBe(false);
    expect(corrected.yearSource(2026)).toMatchObject({ kind: 'LOADED', source: 'a correction' });
    expect(corrected.yearSource(2025)).toMatchObject({ kind: 'PACKAGE' });
  });

  it('ignores the loaded years of another calendar', () => {
    expect(calendarOf('CN', [loadedYear({ calendar: 'IN' })]).coveredYears).toEqual(PACKAGE_YEARS);
  });
});

describe('plain weekday calendars', () => {
  const india = calendarOf('IN', []);

  it('knows every year: Monday to Friday', () => {
    expect(india.zone).toBe('Asia/Kolkata');
    expect(india.coveredYears).toBeNull();
    expect(india.isBusinessDay('2026-10-01')).toBe(true);
    expect(india.isBusinessDay('2026-10-03')).toBe(false);
    expect(india.isBusinessDay('2099-12-31')).toBe(true);
    expect(india.addBusinessDays('2026-10-02', 1)).toBe('2026-10-05');
    expect(india.addBusinessDays('2026-10-03', 0)).toBe('2026-10-05');
    expect(india.previousBusinessDay('2026-10-05')).toBe('2026-10-02');
    expect(india.businessDaysOf(2026)).toHaveLength(261);
    expect(india.yearSource(2040)).toEqual({ kind: 'WEEKDAYS' });
  });
});

describe('refusals of a calendar and its dates', () => {
  it('refuses an unknown calendar id', () => {
    const error = thrownBy(ValidationError, () => calendarOf('XX', []));
    expect(error.details).toMatchObject({ path: 'calendar', rule: 'known-calendar', calendars: ['CN', 'IN'] });
  });

  it('refuses a date that is not a real date and a negative count', () => {
    expect(thrownBy(ValidationError, () => cn.isBusinessDay('2026-02-30')).details).toMatchObject({ path: 'date', rule: 'iso-date' });
    expect(thrownBy(ValidationError, () => cn.addBusinessDays('2026-03-02', -1)).details).toEqual({ path: 'n', rule: 'non-negative-integer' });
    expect(thrownBy(ValidationError, () => cn.addBusinessDays('2026-03-02', 1.5)).details).toEqual({ path: 'n', rule: 'non-negative-integer' });
  });
});

describe("validateCalendarYear (an operator's table)", () => {
  const input = (overrides: Partial<CalendarYearInput> = {}): CalendarYearInput => ({ calendar: 'CN', year: 2027, ...CN_2027_TABLE, ...overrides });

  it('returns the table in date order', () => {
    expect(validateCalendarYear(input({ holidays: ['2027-02-07', '2027-01-01'], workingDays: ['2027-10-09', '2027-02-20'] }))).toEqual({
      holidays: ['2027-01-01', '2027-02-07'],
      workingDays: ['2027-02-20', '2027-10-09'],
    });
  });

  it('accepts a holiday on a weekend: a holiday period runs through its weekend', () => {
    expect(validateCalendarYear(input({ holidays: ['2027-01-02'], workingDays: [] })).holidays).toEqual(['2027-01-02']);
  });

  it('names every broken rule with its field path', () => {
    const error = thrownBy(ValidationError, () =>
      validateCalendarYear(
        input({
          holidays: ['2027-01-01', '2027-13-01', '2026-12-31', '2027-01-01', 20270105, '2027-02-29'],
          workingDays: ['2027-01-01', '2027-01-04', '2027-02-20', '2027-02-20'],
        }),
      ),
    );
    expect(error.details.path).toBe('holidays.1');
    expect(error.details.rule).toBe('real-date');
    expect((error.details.issues as { path: string; rule: string }[]).map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'holidays.1', rule: 'real-date' },
      { path: 'holidays.2', rule: 'same-year' },
      { path: 'holidays.3', rule: 'duplicate' },
      { path: 'holidays.4', rule: 'real-date' },
      { path: 'holidays.5', rule: 'real-date' },
      { path: 'workingDays.3', rule: 'duplicate' },
      { path: 'workingDays.0', rule: 'not-both' },
      { path: 'workingDays.1', rule: 'weekend-only' },
    ]);
  });

  it('refuses an empty year, a missing source, a year out of range and a weekday calendar', () => {
    expect(thrownBy(ValidationError, () => validateCalendarYear(input({ holidays: [] }))).details).toMatchObject({ path: 'holidays', rule: 'min-items' });
    expect(thrownBy(ValidationError, () => validateCalendarYear(input({ source: '  ' }))).details).toMatchObject({ path: 'source', rule: 'required' });
    expect(thrownBy(ValidationError, () => validateCalendarYear(input({ year: 1999 }))).details).toEqual({ path: 'year', rule: 'year-range' });
    expect(thrownBy(ValidationError, () => validateCalendarYear(input({ calendar: 'IN' }))).details).toMatchObject({ path: 'calendar', rule: 'table-calendar' });
    expect(thrownBy(ValidationError, () => validateCalendarYear(input({ calendar: 'XX' }))).details).toMatchObject({ path: 'calendar', rule: 'known-calendar' });
  });
});
