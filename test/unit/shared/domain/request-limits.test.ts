import { describe, expect, it } from 'vitest';
import { checkLimits, limitWindows, refusal } from '../../../../shared/domain/request-limits.ts';

const LIMITS = { requestsPerSecond: 5, requestsPerDay: 1_000 };

describe('limitWindows', () => {
  it('gives the second since the epoch, the UTC day and the seconds left in it', () => {
    expect(limitWindows('2026-12-07T23:59:59.999Z')).toEqual({ epochSecond: 1_796_687_999, day: '2026-12-07', secondsLeftInDay: 1 });
    expect(limitWindows('2026-12-08T00:00:00.000Z')).toEqual({ epochSecond: 1_796_688_000, day: '2026-12-08', secondsLeftInDay: 86_400 });
    // 08:00 in Beijing is midnight UTC: the quota day is the UTC day.
    expect(limitWindows('2026-12-07T16:00:00+08:00')).toEqual({ epochSecond: 1_796_630_400, day: '2026-12-07', secondsLeftInDay: 57_600 });
  });

  it('refuses what is not an instant', () => {
    expect(() => limitWindows('yesterday')).toThrow(new RangeError('not an ISO instant: yesterday'));
  });
});

describe('refusal', () => {
  it('of a second: retry after 1 s; of a day: after what is left of the UTC day', () => {
    const windows = limitWindows('2026-12-07T23:00:00Z');
    expect(refusal('requestsPerSecond', LIMITS, windows)).toEqual({ limit: 'requestsPerSecond', allowed: 5, retryAfterSeconds: 1 });
    expect(refusal('requestsPerDay', LIMITS, windows)).toEqual({ limit: 'requestsPerDay', allowed: 1_000, retryAfterSeconds: 3_600 });
  });
});

describe('checkLimits', () => {
  it('accepts whole positive limits, a day at least a second', () => {
    expect(checkLimits(LIMITS)).toBeNull();
    expect(checkLimits({ requestsPerSecond: 1, requestsPerDay: 1 })).toBeNull();
  });

  it('names what is wrong', () => {
    expect(checkLimits({ requestsPerSecond: 0, requestsPerDay: 10 })).toBe('requestsPerSecond must be a whole number of at least 1, not 0');
    expect(checkLimits({ requestsPerSecond: 2.5, requestsPerDay: 10 })).toBe('requestsPerSecond must be a whole number of at least 1, not 2.5');
    expect(checkLimits({ requestsPerSecond: 20, requestsPerDay: 10 })).toBe('requestsPerDay must be at least requestsPerSecond');
  });
});
