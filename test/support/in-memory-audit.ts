import { AUDIT_CHAINS, auditDate, chainOf, chainRecord, type AuditEvent, type AuditRecord } from '../../shared/domain/audit.ts';
import { auditKeys } from '../../shared/adapters/dynamodb/audit-keys.ts';
import type { AuditStore } from '../../shared/ports/audit.ts';
import type { Page, PageRequest } from '../../shared/ports/stores.ts';
import { pageOf } from './in-memory-stores.ts';

/**
 * The audit trail in memory, as the DynamoDB adapter keeps it: chains of a day in seq order, a
 * record once per audit key, a lender's records in time order. `failNext` makes the next appends
 * throw, as a table that cannot be reached does.
 */
export class InMemoryAuditStore implements AuditStore {
  private readonly chains = new Map<string, AuditRecord[]>();
  private readonly recorded = new Set<string>();
  failNext = 0;

  append(event: AuditEvent): Promise<AuditRecord | null> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('the audit table cannot be reached'));
    }
    if (this.recorded.has(event.auditKey)) return Promise.resolve(null);
    const key = auditKeys.chainPartition(auditDate(event.at), chainOf(event.auditKey));
    const chain = this.chains.get(key) ?? [];
    const last = chain.at(-1);
    const record = chainRecord(event, last === undefined ? null : { seq: last.seq, hash: last.hash });
    chain.push(record);
    this.chains.set(key, chain);
    this.recorded.add(event.auditKey);
    return Promise.resolve(structuredClone(record));
  }

  chain(date: string, chain: number): Promise<AuditRecord[]> {
    return Promise.resolve(structuredClone(this.chains.get(auditKeys.chainPartition(date, chain)) ?? []));
  }

  page(date: string, lenderId: string | null, request: PageRequest): Promise<Page<AuditRecord>> {
    const all = Array.from({ length: AUDIT_CHAINS }, (_, c) => this.chains.get(auditKeys.chainPartition(date, c)) ?? []).flat();
    if (lenderId === null) return Promise.resolve(pageOf(`DAY#${date}`, all, (r) => `C${String(r.chain).padStart(2, '0')}#${auditKeys.record(date, r.chain, r.seq).sk}`, request));
    const named = all.filter((r) => r.lenderIds.includes(lenderId)).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.chain - b.chain || a.seq - b.seq));
    return Promise.resolve(pageOf(auditKeys.lenderPartition(lenderId, date), named, (r) => auditKeys.lenderPointer(lenderId, date, r.at, r.chain, r.seq).sk, request));
  }

  /** Every record of a day, chain by chain: what tests read back. */
  all(date: string): AuditRecord[] {
    return Array.from({ length: AUDIT_CHAINS }, (_, c) => this.chains.get(auditKeys.chainPartition(date, c)) ?? []).flat();
  }

  /** Replaces a stored record as an attacker with write access to the table would. */
  tamper(date: string, chain: number, seq: number, change: (record: AuditRecord) => AuditRecord): void {
    const records = this.chains.get(auditKeys.chainPartition(date, chain)) ?? [];
    const index = records.findIndex((r) => r.seq === seq);
    if (index < 0) throw new Error(`no record ${seq} in chain ${chain} of ${date}`);
    records[index] = change(records[index] as AuditRecord);
  }
}
