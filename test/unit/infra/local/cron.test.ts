import { describe, expect, it } from 'vitest';
import { instantsOf, nextFireTime, parseCron, parseScheduleExpression, ScheduleExpressionError, wallTime } from '../../../../infra/local/cron.ts';

const next = (expression: string, timeZone: string, after: string): string | undefined =>
  nextFireTime(expression, timeZone, new Date(after))?.toISOString();

/** The first `count` fire times after `after`. */
function series(expression: string, timeZone: string, after: string, count: number): string[] {
  const times: string[] = [];
  let cursor = new Date(after);
  for (let i = 0; i < count; i += 1) {
    const time = nextFireTime(expression, timeZone, cursor);
    if (!time) break;
    times.push(time.toISOString());
    cursor = time;
  }
  return times;
}

describe('cron expressions', () => {
  it('fires daily at 01:00 Beijing time, which is 17:00 UTC the day before', () => {
    expect(series('cron(0 1 * * ? *)', 'Asia/Shanghai', '2026-11-02T12:00:00Z', 3)).toEqual([
      '2026-11-02T17:00:00.000Z',
      '2026-11-03T17:00:00.000Z',
      '2026-11-04T17:00:00.000Z',
    ]);
  });

  it('is strictly after the given instant', () => {
    expect(next('cron(0 1 * * ? *)', 'Asia/Shanghai', '2026-11-02T17:00:00Z')).toBe('2026-11-03T17:00:00.000Z');
    expect(next('cron(0 1 * * ? *)', 'Asia/Shanghai', '2026-11-02T16:59:59.999Z')).toBe('2026-11-02T17:00:00.000Z');
  });

  it('evaluates lists, ranges, increments and names', () => {
    expect(series('cron(0/20 9-10 ? * MON-FRI *)', 'UTC', '2026-11-06T09:30:00Z', 5)).toEqual([
      '2026-11-06T09:40:00.000Z',
      '2026-11-06T10:00:00.000Z',
      '2026-11-06T10:20:00.000Z',
      '2026-11-06T10:40:00.000Z',
      '2026-11-09T09:00:00.000Z', // Friday → Monday
    ]);
    expect(series('cron(15 12 1,15 JAN,JUL ? 2027)', 'UTC', '2026-01-01T00:00:00Z', 5)).toEqual([
      '2027-01-01T12:15:00.000Z',
      '2027-01-15T12:15:00.000Z',
      '2027-07-01T12:15:00.000Z',
      '2027-07-15T12:15:00.000Z',
    ]);
    expect(series('cron(*/30 0 ? * 1 *)', 'UTC', '2026-11-01T00:10:00Z', 2)).toEqual([
      '2026-11-01T00:30:00.000Z', // 1 = Sunday
      '2026-11-08T00:00:00.000Z',
    ]);
  });

  it('knows the last day, the last weekday and the nearest weekday of a month', () => {
    expect(series('cron(0 0 L * ? *)', 'UTC', '2028-01-15T00:00:00Z', 3)).toEqual([
      '2028-01-31T00:00:00.000Z',
      '2028-02-29T00:00:00.000Z',
      '2028-03-31T00:00:00.000Z',
    ]);
    // May 2026 ends on a Sunday: its last weekday is Friday the 29th.
    expect(next('cron(0 0 LW * ? *)', 'UTC', '2026-05-01T00:00:00Z')).toBe('2026-05-29T00:00:00.000Z');
    // 2026-11-15 is a Sunday → Monday the 16th; 2026-08-01 is a Saturday → Monday the 3rd.
    expect(next('cron(0 0 15W * ? *)', 'UTC', '2026-11-01T00:00:00Z')).toBe('2026-11-16T00:00:00.000Z');
    expect(next('cron(0 0 1W * ? *)', 'UTC', '2026-07-15T00:00:00Z')).toBe('2026-08-03T00:00:00.000Z');
  });

  it('knows the nth and the last weekday of a month', () => {
    // Second Tuesday, last Friday.
    expect(next('cron(0 8 ? * 3#2 *)', 'UTC', '2026-11-01T00:00:00Z')).toBe('2026-11-10T08:00:00.000Z');
    expect(next('cron(0 8 ? * 6L *)', 'UTC', '2026-11-01T00:00:00Z')).toBe('2026-11-27T08:00:00.000Z');
    expect(next('cron(0 8 ? * FRIL *)', 'UTC', '2026-11-28T00:00:00Z')).toBe('2026-12-25T08:00:00.000Z');
  });

  it('skips a time that does not exist when clocks move forward', () => {
    // New York moved from 02:00 to 03:00 on 2026-03-08: 02:30 did not happen that day.
    expect(series('cron(30 2 * * ? *)', 'America/New_York', '2026-03-07T12:00:00Z', 2)).toEqual([
      '2026-03-09T06:30:00.000Z',
      '2026-03-10T06:30:00.000Z',
    ]);
  });

  it('fires once, at the first occurrence, for a time that happens twice when clocks move back', () => {
    // New York went from 02:00 back to 01:00 on 2026-11-01: 01:30 happened at 05:30 and 06:30 UTC.
    expect(series('cron(30 1 * * ? *)', 'America/New_York', '2026-10-31T12:00:00Z', 3)).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
      '2026-11-03T06:30:00.000Z',
    ]);
    // Between the two occurrences: the second one is not a new fire time.
    expect(next('cron(30 1 * * ? *)', 'America/New_York', '2026-11-01T06:00:00Z')).toBe('2026-11-02T06:30:00.000Z');
  });

  it('reads L alone in the day of week as Saturday, as AWS does', () => {
    // 2026-11-07 is a Saturday.
    expect(series('cron(0 8 ? * L *)', 'UTC', '2026-11-02T00:00:00Z', 2)).toEqual(['2026-11-07T08:00:00.000Z', '2026-11-14T08:00:00.000Z']);
  });

  it('fires an interval expression once per wall time through the repeated hour, and skips its times in the gap', () => {
    // 01:00 and 01:30 each happened twice in New York on 2026-11-01; each fires at its first occurrence only.
    expect(series('cron(0,30 1 * * ? *)', 'America/New_York', '2026-10-31T12:00:00Z', 4)).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:00:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
    // 02:00-02:59 did not happen on 2026-03-08: */20 resumes at 03:00.
    expect(series('cron(*/20 2-3 * * ? *)', 'America/New_York', '2026-03-08T06:50:00Z', 3)).toEqual([
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:20:00.000Z',
      '2026-03-08T07:40:00.000Z',
    ]);
  });

  it('ends after the last year of the expression', () => {
    expect(next('cron(0 0 1 1 ? 2027)', 'UTC', '2027-01-01T00:00:00Z')).toBeUndefined();
  });

  it('rejects malformed expressions with a reason', () => {
    expect(() => parseCron('0 1 * * *')).toThrow(/six fields/);
    expect(() => parseCron('0 1 * * * *')).toThrow(/exactly one of day-of-month and day-of-week/);
    expect(() => parseCron('0 1 ? * ? *')).toThrow(/exactly one/);
    expect(() => parseCron('61 1 * * ? *')).toThrow(/cron\(61 1 \* \* \? \*\): .*minute: 61/);
    expect(() => parseCron('0 1 ? * FUNDAY *')).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression('every day')).toThrow(/cron\(\.\.\.\), rate\(\.\.\.\) or at\(\.\.\.\)/);
    expect(() => nextFireTime('cron(0 1 * * ? *)', 'Mars/Olympus', new Date())).toThrow(/Unknown time zone/);
  });
});

describe('rate and at expressions', () => {
  it('counts rate intervals from the anchor', () => {
    const anchor = new Date('2026-11-02T00:00:00Z');
    expect(nextFireTime('rate(5 minutes)', 'UTC', new Date('2026-11-02T00:07:00Z'), anchor)?.toISOString()).toBe('2026-11-02T00:10:00.000Z');
    expect(nextFireTime('rate(1 hour)', 'UTC', anchor, anchor)?.toISOString()).toBe('2026-11-02T01:00:00.000Z');
    expect(nextFireTime('rate(2 days)', 'UTC', anchor, anchor)?.toISOString()).toBe('2026-11-04T00:00:00.000Z');
    expect(() => parseScheduleExpression('rate(0 minutes)')).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression('rate(5 weeks)')).toThrow(ScheduleExpressionError);
  });

  it('fires an at expression once, in its time zone', () => {
    expect(next('at(2026-12-01T09:00:00)', 'Asia/Shanghai', '2026-11-01T00:00:00Z')).toBe('2026-12-01T01:00:00.000Z');
    expect(next('at(2026-12-01T09:00:00)', 'Asia/Shanghai', '2026-12-01T01:00:00Z')).toBeUndefined();
  });
});

describe('wall-clock conversion', () => {
  it('maps wall times to instants through gaps and overlaps', () => {
    const wall = { year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0 };
    expect(instantsOf(wall, 'America/New_York')).toEqual([]);
    expect(instantsOf({ ...wall, month: 11, day: 1, hour: 1 }, 'America/New_York').map((d) => d.toISOString())).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
    ]);
    expect(wallTime(new Date('2026-11-02T17:00:00Z'), 'Asia/Shanghai')).toEqual({ year: 2026, month: 11, day: 3, hour: 1, minute: 0, second: 0 });
  });
});
