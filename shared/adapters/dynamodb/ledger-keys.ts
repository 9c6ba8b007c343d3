import { loanShard } from './state-keys.ts';

/** Keys of the LedgerTable; see docs/access-patterns.md (L1-L5). The only place they are built. */
const pad = (n: number): string => n.toString().padStart(2, '0');

export const ledgerKeys = {
  loanPartition: (loanId: string) => `LOAN#${loanId}`,
  entry: (loanId: string, entryId: string) => ({ pk: `LOAN#${loanId}`, sk: `ENTRY#${entryId}` }),
  entryIndex: (businessDate: string, loanId: string, entryId: string) => ({
    gsi1pk: ledgerKeys.entryDatePartition(businessDate, loanShard(loanId)),
    gsi1sk: `${loanId}#${entryId}`,
  }),
  entryDatePartition: (businessDate: string, shard: number) => `ENTRYDATE#${businessDate}#${pad(shard)}`,
  entryPrefix: 'ENTRY#',
  position: (loanId: string, lenderId: string) => ({ pk: `LOAN#${loanId}`, sk: `POS#${lenderId}` }),
  positionIndex: (lenderId: string, loanId: string) => ({ gsi1pk: `LENDER#${lenderId}`, gsi1sk: `LOAN#${loanId}` }),
  positionPrefix: 'POS#',
  lenderPartition: (lenderId: string) => `LENDER#${lenderId}`,
  /** The loan's repayment ledger; sorts right after the positions, so one query reads both. */
  repayments: (loanId: string) => ({ pk: `LOAN#${loanId}`, sk: 'REPAYMENTS' }),
};
