import { applyLegs, balanceDifferences, imbalances, type Balances, type JournalEntry, type Position } from './ledger.ts';

/** What the daily check found wrong with one loan's books; nothing, when they are right. */
export interface LedgerDifference {
  readonly loanId: string;
  readonly kind: 'ENTRY_UNBALANCED' | 'NEGATIVE_PRINCIPAL' | 'POSITION_MISMATCH' | 'POSITION_MISSING' | 'POSITION_WITHOUT_ENTRIES';
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
  const expected = foldWithoutChecks(entries);
  const stored = new Map(positions.map((p) => [p.lenderId, p]));
  for (const [lenderId, balancesMinor] of expected) {
    const principal = balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n;
    if (principal < 0n) {
      found.push({ loanId, kind: 'NEGATIVE_PRINCIPAL', lenderId, entryId: null, detail: `entries give a principal of ${principal}` });
    }
    const actual = stored.get(lenderId);
    if (!actual) {
      found.push({ loanId, kind: 'POSITION_MISSING', lenderId, entryId: null, detail: 'entries book to a lender that has no stored position' });
      continue;
    }
    for (const d of balanceDifferences(balancesMinor, actual.balancesMinor)) {
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
 * Balances per lender from the entries alone. Unlike booking, the check must not stop at a
 * broken invariant: finding such books is its purpose, so it reports them instead.
 */
function foldWithoutChecks(entries: readonly JournalEntry[]): Map<string, Balances> {
  const books = new Map<string, Balances>();
  for (const entry of entries) {
    for (const lenderId of new Set(entry.legs.map((l) => l.lenderId))) {
      books.set(lenderId, applyLegs(books.get(lenderId) ?? {}, entry.legs.filter((l) => l.lenderId === lenderId)));
    }
  }
  return books;
}

