import { addDays } from './money/index.ts';
import { balanceDifferences, foldEntries, imbalances, type JournalEntry, type Position } from './ledger.ts';

/** What the daily check found wrong with one loan's books; nothing, when they are right. */
export interface LedgerDifference {
  readonly loanId: string;
  readonly kind: 'ENTRY_UNBALANCED' | 'POSITION_MISMATCH' | 'POSITION_MISSING' | 'POSITION_WITHOUT_ENTRIES';
  readonly lenderId: string | null;
  readonly entryId: string | null;
  readonly detail: string;
}

/**
 * Recomputes every position of a loan from its journal entries and compares it with the stored
 * position, and checks that every entry balances in every book.
 */
export function verifyLoanLedger(loanId: string, entries: readonly JournalEntry[], positions: readonly Position[]): LedgerDifference[] {
  const found: LedgerDifference[] = [];
  for (const entry of entries) {
    for (const book of imbalances(entry)) {
      found.push({
        loanId,
        kind: 'ENTRY_UNBALANCED',
        lenderId: book.lenderId,
        entryId: entry.entryId,
        detail: `debits ${book.debitMinor} ≠ credits ${book.creditMinor}`,
      });
    }
  }
  const expected = foldEntries(loanId, entries);
  const stored = new Map(positions.map((p) => [p.lenderId, p]));
  for (const [lenderId, position] of expected) {
    const actual = stored.get(lenderId);
    if (!actual) {
      found.push({ loanId, kind: 'POSITION_MISSING', lenderId, entryId: null, detail: 'entries book to a lender that has no stored position' });
      continue;
    }
    for (const d of balanceDifferences(position.balancesMinor, actual.balancesMinor)) {
      found.push({ loanId, kind: 'POSITION_MISMATCH', lenderId, entryId: null, detail: `${d.account}: entries give ${d.expectedMinor}, position holds ${d.actualMinor}` });
    }
  }
  for (const lenderId of stored.keys()) {
    if (!expected.has(lenderId)) {
      found.push({ loanId, kind: 'POSITION_WITHOUT_ENTRIES', lenderId, entryId: null, detail: 'a stored position has no entries behind it' });
    }
  }
  return found;
}

/**
 * The business date a run at `instant` closes: the day before the run's local date (a run just
 * after midnight checks the day that ended). `utcOffsetMinutes` is the calendar's fixed offset.
 */
export function businessDateClosedAt(instant: string, utcOffsetMinutes: number): string {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO instant: ${instant}`);
  const local = new Date(ms + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
  return addDays(local, -1);
}
