import type { Loan } from '../domain/loan.ts';
import type { LoanStore } from '../ports/stores.ts';

/** Loans a warm function keeps; a booked loan's terms never change, so a cached loan is never stale. */
const CACHED_LOANS = 5_000;

/** The loan store's `get`, remembered per function instance (least recently used out first). */
export function cachedLoans(loans: Pick<LoanStore, 'get'>, capacity = CACHED_LOANS): (loanId: string) => Promise<Loan | null> {
  const cache = new Map<string, Loan>();
  return async (loanId) => {
    const known = cache.get(loanId);
    if (known !== undefined) {
      cache.delete(loanId);
      cache.set(loanId, known);
      return known;
    }
    const loan = await loans.get(loanId);
    if (loan === null) return null;
    cache.set(loanId, loan);
    if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
    return loan;
  };
}
