import type { ClientLimits, LimitRefusal } from '../domain/request-limits.ts';

/**
 * Counts an app client's requests in its windows (docs/limits.md, docs/adr/0011-per-client-limits-at-the-edge.md).
 * A request is counted only when it is within every limit; a refused request is not counted.
 */
export interface RequestCounter {
  /** Null when the request was counted; else the limit it is over, and nothing was counted. */
  count(clientId: string, limits: ClientLimits, instant: string): Promise<LimitRefusal | null>;
}
