import type { Clock } from '../ports/stores.ts';

/**
 * The local stack's time, when it plays a story on other dates than today (the scenario
 * simulator, tests of dated runs such as settlement): every handler's clock then reads the
 * instant it was set to, moving on from there. Never set in AWS.
 */
let pinned: { readonly atMs: number; readonly sinceMs: number } | null = null;

export const systemClock: Clock = {
  now: () => new Date(pinned === null ? Date.now() : pinned.atMs + (Date.now() - pinned.sinceMs)).toISOString(),
};

/** Moves the local clock to `instant` (it runs on from there); null returns to the machine's clock. */
export function setLocalTime(instant: string | null): void {
  if (instant === null) {
    pinned = null;
    return;
  }
  const atMs = Date.parse(instant);
  if (Number.isNaN(atMs)) throw new RangeError(`not an ISO instant: ${instant}`);
  pinned = { atMs, sinceMs: Date.now() };
}
