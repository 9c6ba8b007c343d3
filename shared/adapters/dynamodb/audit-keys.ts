import { createHash } from 'node:crypto';

/** Keys of the AuditTable; see docs/audit.md (A1-A3). The only place they are built. */

const pad = (n: number, width: number): string => n.toString().padStart(width, '0');

export const auditKeys = {
  /** A1: a record in its chain of its day, ordered by seq. */
  record: (date: string, chain: number, seq: number) => ({ pk: auditKeys.chainPartition(date, chain), sk: `SEQ#${pad(seq, 12)}` }),
  chainPartition: (date: string, chain: number) => `DAY#${date}#C${pad(chain, 2)}`,
  seqPrefix: 'SEQ#',
  /** A2: a record's pointer under each lender it names, ordered by time then place. */
  lenderPointer: (lenderId: string, date: string, at: string, chain: number, seq: number) => ({
    pk: auditKeys.lenderPartition(lenderId, date),
    sk: `${at}#C${pad(chain, 2)}#${pad(seq, 12)}`,
  }),
  lenderPartition: (lenderId: string, date: string) => `LENDER#${lenderId}#${date}`,
  /** A3: that a record of an audit key was written: the key hashed, so any key fits. */
  once: (auditKey: string) => ({ pk: `ONCE#${createHash('sha256').update(auditKey, 'utf8').digest('hex')}`, sk: 'ONCE' }),
} as const;

/** Whether a key is one of A1's chain partitions of a date (a cursor must stay in the day it lists). */
export function chainPartitionOf(pk: string, date: string): number | null {
  const match = /^DAY#(\d{4}-\d{2}-\d{2})#C(\d{2})$/.exec(pk);
  return match !== null && match[1] === date ? Number(match[2]) : null;
}
