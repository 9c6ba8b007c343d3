import { describe, expect, it } from 'vitest';
import { businessDateAt, businessDateClosedAt, cutoffDayAt, latestCutoffDayAt } from '../../../../shared/domain/business-date.ts';

describe('businessDateAt', () => {
  it("is the date in the program's settlement calendar", () => {
    // 2026-11-29T17:00Z is 2026-11-30 01:00 in Shanghai and 2026-11-29 22:30 in Kolkata
    expect(businessDateAt('2026-11-29T17:00:00Z', 'CN')).toBe('2026-11-30');
    expect(businessDateAt('2026-11-29T17:00:00Z', 'IN')).toBe('2026-11-29');
    expect(businessDateAt('2026-11-29T18:30:00Z', 'IN')).toBe('2026-11-30');
    expect(businessDateAt('2026-11-29T15:59:59Z', 'CN')).toBe('2026-11-29');
  });

  it('is the UTC date for a calendar it does not know', () => {
    expect(businessDateAt('2026-11-29T23:59:59Z', 'XX')).toBe('2026-11-29');
  });
});

describe('businessDateClosedAt (the platform calendar, Asia/Shanghai)', () => {
  it('closes the day that just ended at local midnight', () => {
    expect(businessDateClosedAt('2025-03-01T16:00:00Z')).toBe('2025-03-01');
    expect(businessDateClosedAt('2025-03-01T16:05:00.000Z')).toBe('2025-03-01');
  });

  it('one millisecond before local midnight is still the earlier local day', () => {
    expect(businessDateClosedAt('2025-03-01T15:59:59.999Z')).toBe('2025-02-28');
  });

  it('crosses month ends, leap and common years', () => {
    expect(businessDateClosedAt('2024-02-29T16:00:00Z')).toBe('2024-02-29');
    expect(businessDateClosedAt('2025-02-28T16:00:00Z')).toBe('2025-02-28');
    expect(businessDateClosedAt('2025-04-30T16:30:00Z')).toBe('2025-04-30');
  });

  it('crosses the year end', () => {
    expect(businessDateClosedAt('2024-12-31T16:00:00Z')).toBe('2024-12-31');
    expect(businessDateClosedAt('2024-12-31T15:59:59Z')).toBe('2024-12-30');
    expect(businessDateClosedAt('2025-01-01T00:30:00+08:00')).toBe('2024-12-31');
  });

  it('closes the business dates of the calendar it is given', () => {
    // 2025-03-01T20:00Z is 2025-03-02 01:30 in Kolkata and 04:00 in Shanghai
    expect(businessDateClosedAt('2025-03-01T20:00:00Z', 'IN')).toBe('2025-03-01');
    expect(businessDateClosedAt('2025-03-01T18:00:00Z', 'IN')).toBe('2025-02-28');
  });

  it('refuses a value that is not an instant', () => {
    expect(() => businessDateClosedAt('yesterday')).toThrow(new RangeError('not an ISO instant: yesterday'));
    expect(() => businessDateClosedAt('')).toThrow(RangeError);
  });
});

describe('cutoffDayAt: the settlement day of a booking', () => {
  const cn = { cutoffTime: '22:00', calendar: 'CN' };
  it('is the date in the calendar zone before the cut-off time', () => {
    expect(cutoffDayAt('2026-03-02T13:59:59.999Z', cn)).toBe('2026-03-02'); // 21:59:59.999 in Shanghai
  });
  it('is the next day at or after the cut-off time', () => {
    expect(cutoffDayAt('2026-03-02T14:00:00.000Z', cn)).toBe('2026-03-03'); // 22:00 in Shanghai
    expect(cutoffDayAt('2026-03-02T15:59:00.000Z', cn)).toBe('2026-03-03'); // 23:59
  });
  it('takes the date of the zone, not of UTC', () => {
    expect(cutoffDayAt('2026-03-02T16:30:00.000Z', cn)).toBe('2026-03-03'); // 00:30 on the 3rd in Shanghai
    expect(cutoffDayAt('2026-12-31T18:00:00.000Z', { cutoffTime: '23:30', calendar: 'IN' })).toBe('2027-01-01'); // 23:30 in Kolkata is the cut-off
    expect(cutoffDayAt('2026-12-31T17:59:00.000Z', { cutoffTime: '23:30', calendar: 'IN' })).toBe('2026-12-31'); // 23:29
    expect(cutoffDayAt('2026-12-31T18:00:00.000Z', { cutoffTime: '23:31', calendar: 'IN' })).toBe('2026-12-31');
  });
  it('rolls over a month and a year end', () => {
    expect(cutoffDayAt('2026-12-31T14:00:00.000Z', cn)).toBe('2027-01-01');
  });
  it('refuses a malformed instant or cut-off', () => {
    expect(() => cutoffDayAt('yesterday', cn)).toThrow('not an ISO instant: yesterday');
    expect(() => cutoffDayAt('2026-03-02T14:00:00.000Z', { cutoffTime: '24:00', calendar: 'CN' })).toThrow('a cut-off time is HH:MM, got 24:00');
  });
});

describe("today's settlement day across programs", () => {
  it('is the latest of their cut-off days, never before the floor', () => {
    // 22:30 in Beijing: past a 22:00 cut-off (the next day), not past 23:00.
    const at = '2025-03-01T14:30:00.000Z';
    const terms = [
      { cutoffTime: '23:00', calendar: 'CN' },
      { cutoffTime: '22:00', calendar: 'CN' },
    ];
    expect(latestCutoffDayAt(at, terms, '2025-02-01')).toBe('2025-03-02');
    expect(latestCutoffDayAt(at, [terms[0]!], '2025-02-01')).toBe('2025-03-01');
    expect(latestCutoffDayAt(at, [], '2025-02-27')).toBe('2025-02-27');
    expect(latestCutoffDayAt(at, terms, '2025-03-05')).toBe('2025-03-05');
  });
});
