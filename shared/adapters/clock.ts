import type { Clock } from '../ports/stores.ts';

export const systemClock: Clock = { now: () => new Date().toISOString() };
