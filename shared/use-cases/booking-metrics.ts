import type { GroupResult, LoanGroup } from '../contracts/repayments.ts';
import type { Loan } from '../domain/loan.ts';
import type { MetricsSink } from '../ports/telemetry.ts';
import { bookLoanGroup, type RepaymentBookDeps } from './loan-changes.ts';

/** Where a repayment came in: one through the API, booked in its function; or a row of a collection batch. */
export type RepaymentIntake = 'API' | 'BATCH';

export interface BookingMetricsDeps {
  readonly loan: (loanId: string) => Promise<Loan | null>;
  readonly metrics: MetricsSink;
}

/**
 * Counts the repayments a group booked (RepaymentsBooked), by intake and by the loan's program:
 * a repayment answered again (REPLAYED) or refused was booked before or not at all, and counts
 * nothing. The loan was just read by the booking, so the lookup is the warm function's cache.
 */
export async function countBooked(deps: BookingMetricsDeps, groups: readonly GroupResult[], intake: RepaymentIntake): Promise<void> {
  for (const group of groups) {
    const booked = group.results.filter(({ result }) => result.status === 'BOOKED' && 'repayment' in result).length;
    if (booked === 0) continue;
    const loan = await deps.loan(group.loanId);
    deps.metrics.measure('repaymentsBooked', booked, { source: intake, program: loan?.programId ?? 'unknown' });
  }
}

/** `BookLoanGroup` of the RepaymentBatch workflow: one loan's rows booked in order, then counted. */
export async function bookCountedLoanGroup(deps: RepaymentBookDeps & BookingMetricsDeps, group: LoanGroup): Promise<GroupResult> {
  const result = await bookLoanGroup(deps, group);
  await countBooked(deps, [result], 'BATCH');
  return result;
}
