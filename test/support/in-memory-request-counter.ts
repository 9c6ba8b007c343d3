import { limitWindows, refusal, type ClientLimits, type LimitRefusal } from '../../shared/domain/request-limits.ts';
import type { RequestCounter } from '../../shared/ports/request-counter.ts';

/** The request counters in memory: the same fixed windows as S44 (a second, a UTC day), for edge tests. */
export class InMemoryRequestCounter implements RequestCounter {
  private readonly days = new Map<string, { requests: number; second: number; inSecond: number }>();
  /** Every request counted, as `clientId@instant`. */
  readonly counted: string[] = [];

  count(clientId: string, limits: ClientLimits, instant: string): Promise<LimitRefusal | null> {
    const windows = limitWindows(instant);
    const key = `${clientId}#${windows.day}`;
    const item = this.days.get(key) ?? { requests: 0, second: -1, inSecond: 0 };
    if (item.requests >= limits.requestsPerDay) return Promise.resolve(refusal('requestsPerDay', limits, windows));
    const inSecond = item.second === windows.epochSecond ? item.inSecond : 0;
    if (inSecond >= limits.requestsPerSecond) return Promise.resolve(refusal('requestsPerSecond', limits, windows));
    this.days.set(key, { requests: item.requests + 1, second: windows.epochSecond, inSecond: inSecond + 1 });
    this.counted.push(`${clientId}@${instant}`);
    return Promise.resolve(null);
  }
}
