import { NotFound } from '../../shared/domain/errors.ts';
import { canSeeLender, restrictedTo, type Principal } from '../../shared/domain/access.ts';
import { bookWith, loanView, programOf, type LoanDeps } from '../../shared/use-cases/loan-booking.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import type { LenderSchedule, Schedule } from '../../shared/domain/schedule.ts';
import type { RepaymentStore } from '../../shared/ports/stores.ts';
import { foldRepayments, type LoanAccount } from '../../shared/domain/loan-account.ts';
import { HEAD_ONLY, effective, loanEvents } from '../../shared/domain/repayment-booking.ts';
import type { Seal } from '../../shared/ports/stores.ts';
import type { BookLoanRequestBody } from '../../shared/contracts/schemas.ts';
import type { PersonalDataCipher } from '../../shared/ports/personal-data.ts';
import { borrowerSubject } from '../../shared/domain/personal-data.ts';
import { borrowerViewFor, borrowerViewOf, sealBorrower, type BorrowerView } from '../../shared/use-cases/personal-data.ts';

export interface LoansDeps extends LoanDeps {
  readonly personalData: PersonalDataCipher;
}

/** A loan as the API shows it: the borrower's personal data in clear or masked (docs/personal-data.md). */
export type LoanView = Omit<Loan, 'borrower'> & { readonly borrower: BorrowerView };

/**
 * `POST /v1/loans`: a loan booked with an explicit funding plan. The borrower's personal data is
 * sealed before the booking; the answer, kept in the idempotency record, shows it masked.
 */
export async function bookLoan(deps: LoansDeps, input: BookLoanRequestBody, seal: Seal, now: string): Promise<void> {
  const program = await programOf(deps, input.programId, input.programVersion);
  const clear = input.borrower.personalData ?? null;
  const request = { ...input, borrower: await sealBorrower(deps.personalData, input.borrower) };
  const answer = (loan: Loan): LoanView => ({ ...loanView(loan, null), borrower: borrowerViewOf(loan.borrower, clear, 'MASKED') });
  await bookWith(deps, request, program, now, { seal, reservations: [], applicationChange: null, answer });
}


async function visibleLoan(deps: Pick<LoanDeps, 'loans'>, principal: Principal, loanId: string, holders: readonly string[] = []): Promise<Loan> {
  const loan = await deps.loans.get(loanId);
  if (!loan || ![...loan.fundingPlan.map((p) => p.lenderId), ...holders].some((lenderId) => canSeeLender(principal, lenderId))) throw new NotFound('loan', loanId);
  return loan;
}

/**
 * A loan the caller has no part in answers 404, exactly as a loan that does not exist; its
 * borrower's personal data in clear only to whom the loan's terms entitle.
 */
export async function getLoan(deps: Pick<LoansDeps, 'loans' | 'personalData'>, principal: Principal, loanId: string): Promise<LoanView> {
  const loan = await visibleLoan(deps, principal, loanId);
  return { ...loanView(loan, restrictedTo(principal)), borrower: await borrowerViewFor(deps.personalData, principal, borrowerSubject(loan.terms), loan.borrower) };
}

/**
 * The borrower's schedule and the lenders' sub-schedules as they stand: as booked, or as rebuilt
 * by early repayments and buybacks; a lender sees only its own (a guarantor that bought a share
 * back sees its sub-schedule of it).
 */
export async function getLoanSchedule(
  deps: Pick<LoanDeps, 'loans'> & { readonly repayments: Pick<RepaymentStore, 'load'> },
  principal: Principal,
  loanId: string,
): Promise<{ loanId: string; borrower: Schedule | null; lenders: LenderSchedule[] }> {
  const { ledger: head, positions } = await deps.repayments.load(loanId, HEAD_ONLY);
  const loan = await visibleLoan(deps, principal, loanId, positions.map((p) => p.lenderId));
  // A transfer or a buyback leaves some lender holding other than it funded: the rows after it are divided again.
  const funded = new Map(loan.fundingPlan.map((part) => [part.lenderId, part.amountMinor]));
  const moved = (head.state?.books ?? []).some((b) => b.heldMinor !== (funded.get(b.lenderId) ?? 0n));
  const schedules = (head.state?.reschedules ?? 0) > 0 || moved ? await rebuiltSchedules(deps.repayments, loan) : await deps.loans.schedules(loanId);
  if (!schedules) throw new NotFound('schedule', loanId);
  const only = restrictedTo(principal);
  if (only === null) return { loanId, ...schedules };
  return { loanId, borrower: null, lenders: schedules.lenders.filter((s) => s.lenderId === only) };
}

/** After an early repayment, a transfer or a buyback the schedule is the whole book's fold. */
async function rebuiltSchedules(repayments: Pick<RepaymentStore, 'load'>, loan: Loan): Promise<ReturnType<LoanAccount['schedules']>> {
  const { ledger } = await repayments.load(loan.loanId, 'ALL');
  return foldRepayments(loan, effective(ledger), loanEvents(ledger)).account.schedules();
}
