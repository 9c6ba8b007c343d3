import type { ScheduleTerms } from '../../shared/domain/schedule.ts';

/** A schedule's terms: 1,000,000 fen at 12% over 12 months, EQUAL_INSTALLMENT from 2024-01-15, ACT/365, HALF_UP. */
export function scheduleTerms(overrides: Partial<ScheduleTerms> = {}): ScheduleTerms {
  return {
    principalMinor: 1_000_000n,
    annualRate: '0.12',
    termMonths: 12,
    method: 'EQUAL_INSTALLMENT',
    disbursementDate: '2024-01-15',
    dayCount: 'ACT/365',
    roundingMode: 'HALF_UP',
    ...overrides,
  };
}
