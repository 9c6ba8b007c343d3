import { restrictedTo, type Principal } from '../../shared/domain/access.ts';
import type { AuditRecord } from '../../shared/domain/audit.ts';
import type { AuditQuery } from '../../shared/contracts/audit.ts';
import type { AuditStore } from '../../shared/ports/audit.ts';
import { auditPage } from '../../shared/use-cases/audit.ts';

export interface AuditListing {
  readonly date: string;
  /** The lender the listing is bounded to (the caller's), or null for every record of the day. */
  readonly lenderId: string | null;
  readonly items: readonly AuditRecord[];
  readonly cursor: string | null;
}

/** A page of a day's audit records: the platform's teams see all; a lender's callers only those naming their lender. */
export async function listAuditRecords(deps: { audit: Pick<AuditStore, 'page'> }, caller: Principal, query: AuditQuery): Promise<AuditListing> {
  const lenderId = restrictedTo(caller);
  const page = await auditPage(deps.audit, query.date, lenderId, { limit: query.limit, cursor: query.cursor });
  return { date: query.date, lenderId, items: page.items, cursor: page.cursor };
}
