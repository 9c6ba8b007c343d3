import type { AuditEvent, AuditRecord } from '../domain/audit.ts';
import type { Page, PageRequest } from './stores.ts';

/** The audit trail's table (docs/audit.md): records are added, never changed or removed. */
export interface AuditStore {
  /**
   * Places the event at the end of its chain of its day, once: the record written, or null when
   * a record of the same `auditKey` was written before (a retried step, a replayed request).
   */
  append(event: AuditEvent): Promise<AuditRecord | null>;
  /** Every record of one chain of a day, in seq order (what verification recomputes). */
  chain(date: string, chain: number): Promise<AuditRecord[]>;
  /**
   * A page of a day's records: every record when `lenderId` is null, chain by chain in seq order;
   * else the records that name the lender, in time order.
   */
  page(date: string, lenderId: string | null, request: PageRequest): Promise<Page<AuditRecord>>;
}
