import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../shared/adapters/clock.ts';

afterEach(() => vi.useRealTimers());

describe('systemClock', () => {
  it('reads the time as an ISO-8601 instant in UTC', () => {
    vi.useFakeTimers({ now: new Date('2025-03-01T02:00:00.123Z') });
    expect(systemClock.now()).toBe('2025-03-01T02:00:00.123Z');
  });
});
