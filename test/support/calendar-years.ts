import type { LoadedCalendarYear } from '../../shared/domain/calendar.ts';

/**
 * A table of 2027 for the Chinese calendar, as an operator would load it before the package has
 * the year. The dates are a test's, not the State Council's.
 */
export const CN_2027_TABLE = {
  holidays: ['2027-01-01', '2027-02-06', '2027-02-07', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11', '2027-02-12'],
  workingDays: ['2027-02-20'],
  source: '2027 holiday arrangements, notice No. 1',
} as const;

/** Version 2 of the same year: National Day added, with its worked Saturday. */
export const CN_2027_TABLE_V2 = {
  holidays: [...CN_2027_TABLE.holidays, '2027-10-01', '2027-10-02', '2027-10-03', '2027-10-04', '2027-10-05', '2027-10-06', '2027-10-07'],
  workingDays: [...CN_2027_TABLE.workingDays, '2027-10-09'],
  source: '2027 holiday arrangements, notice No. 1, National Day added',
} as const;

export function loadedYear(overrides: Partial<LoadedCalendarYear> = {}): LoadedCalendarYear {
  return {
    calendar: 'CN',
    year: 2027,
    version: 1,
    holidays: CN_2027_TABLE.holidays,
    workingDays: CN_2027_TABLE.workingDays,
    loadedBy: 'finance-client',
    loadedAt: '2026-11-20T08:00:00.000Z',
    source: CN_2027_TABLE.source,
    ...overrides,
  };
}
