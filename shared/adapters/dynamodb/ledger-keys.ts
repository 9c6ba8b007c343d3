import { indexFamily, tableFamily } from './key-families.ts';
import { loanShard } from './state-keys.ts';

/** Keys of the LedgerTable; see docs/access-patterns.md (L1-L5). The only place they are built. */
const pad = (n: number): string => n.toString().padStart(2, '0');

export const ledgerKeys = {
  loanPartition: (loanId: string) => `LOAN#${loanId}`,
  /** The loan of a partition key. */
  loanIdOf: (pk: string) => {
    if (!pk.startsWith('LOAN#')) throw new TypeError(`${pk} is not a loan's partition key`);
    return pk.slice('LOAN#'.length);
  },
  entry: (loanId: string, entryId: string) => ({ pk: `LOAN#${loanId}`, sk: `ENTRY#${entryId}` }),
  entryIndex: (businessDate: string, loanId: string, entryId: string) => ({
    gsi1pk: ledgerKeys.entryDatePartition(businessDate, loanShard(loanId)),
    gsi1sk: `${loanId}#${entryId}`,
  }),
  entryDatePartition: (businessDate: string, shard: number) => `ENTRYDATE#${businessDate}#${pad(shard)}`,
  entryPrefix: 'ENTRY#',
  /** A lender that holds (or held) a part of the loan; its position is on the loan's head. */
  holder: (loanId: string, lenderId: string) => ({ pk: `LOAN#${loanId}`, sk: `HOLDER#${lenderId}` }),
  holderIndex: (lenderId: string, loanId: string) => ({ gsi1pk: `LENDER#${lenderId}`, gsi1sk: `LOAN#${loanId}` }),
  lenderPartition: (lenderId: string) => `LENDER#${lenderId}`,
  /** The loan's head: version, state, risk and every lender's position in the loan. */
  head: (loanId: string) => ({ pk: `LOAN#${loanId}`, sk: 'HEAD' }),
  /** An event of the loan's book, in order of effect: value date, then arrival (9 digits). */
  event: (loanId: string, valueDate: string, seq: number) => ({ pk: `LOAN#${loanId}`, sk: `EV#${valueDate}#${seq.toString().padStart(9, '0')}` }),
  eventPrefix: 'EV#',
  eventsEnd: 'EV#\uffff',
  /** A compensation, write-off or transfer by its id: where it sits on the book. */
  eventRef: (loanId: string, type: string, eventId: string) => ({ pk: `LOAN#${loanId}`, sk: `REF#${type}#${eventId}` }),
};

/** The families of the LedgerTable's partition keys (docs/access-patterns.md#key-families). */
export const ledgerFamilies = {
  loan: tableFamily('ledger', 'LOAN#*'),
  /** gsi1 partitions: a lender's holdings, a settlement day's entries. */
  holdings: indexFamily('ledger', 'LENDER#*'),
  entryDates: indexFamily('ledger', 'ENTRYDATE#*'),
} as const;
