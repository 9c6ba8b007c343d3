/**
 * What one app client may send (docs/limits.md): a number of requests in each second and in each
 * day (UTC). Pure: the windows of an instant, and what a refusal says.
 */
export interface ClientLimits {
  readonly requestsPerSecond: number;
  readonly requestsPerDay: number;
}

/** The limit a refused request is over. */
export type LimitName = 'requestsPerSecond' | 'requestsPerDay';

export interface LimitRefusal {
  readonly limit: LimitName;
  /** The limit itself: how many requests the window allows. */
  readonly allowed: number;
  /** Whole seconds until the window that refused ends (1 at least). */
  readonly retryAfterSeconds: number;
}

/** The windows an instant falls in: its second since the epoch, its UTC day, and the seconds left in that day. */
export interface LimitWindows {
  readonly epochSecond: number;
  readonly day: string;
  readonly secondsLeftInDay: number;
}

const SECONDS_PER_DAY = 86_400;

export function limitWindows(instant: string): LimitWindows {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO instant: ${instant}`);
  const epochSecond = Math.floor(ms / 1000);
  const dayStart = epochSecond - (((epochSecond % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY);
  return { epochSecond, day: new Date(dayStart * 1000).toISOString().slice(0, 10), secondsLeftInDay: dayStart + SECONDS_PER_DAY - epochSecond };
}

/** The refusal of a request over `limit` at the windows of its instant. */
export function refusal(limit: LimitName, limits: ClientLimits, windows: LimitWindows): LimitRefusal {
  return limit === 'requestsPerSecond'
    ? { limit, allowed: limits.requestsPerSecond, retryAfterSeconds: 1 }
    : { limit, allowed: limits.requestsPerDay, retryAfterSeconds: Math.max(1, windows.secondsLeftInDay) };
}

/** Limits are whole, positive, safe numbers; a day allows at least what a second does. */
export function checkLimits(limits: ClientLimits): string | null {
  for (const [name, value] of [
    ['requestsPerSecond', limits.requestsPerSecond],
    ['requestsPerDay', limits.requestsPerDay],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) return `${name} must be a whole number of at least 1, not ${String(value)}`;
  }
  return limits.requestsPerDay < limits.requestsPerSecond ? 'requestsPerDay must be at least requestsPerSecond' : null;
}
