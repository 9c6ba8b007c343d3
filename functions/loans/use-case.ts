import { canSeeLender, restrictedTo, type Principal } from '../../shared/domain/access.ts';
import { RuleViolation } from '../../shared/domain/errors.ts';
import { applyEntry, openPosition } from '../../shared/domain/ledger.ts';
import { bookLoan as decideBooking, type Loan } from '../../shared/domain/loan.ts';
import type { LenderStore, LoanStore, ProgramStore } from '../../shared/ports/stores.ts';
import type { Seal } from '../../shared/http/idempotency.ts';
import { notFound } from '../../shared/http/errors.ts';
import type { BookLoanRequestBody } from '../../shared/http/schemas.ts';

export interface LoanDeps {
  readonly loans: LoanStore;
  readonly programs: ProgramStore;
  readonly lenders: LenderStore;
}

/**
 * Books a loan: the loan, its disbursement entry and each lender's new position are written in
 * one transaction, with the idempotency record; a refused booking writes nothing.
 */
export async function bookLoan(deps: LoanDeps, input: BookLoanRequestBody, seal: Seal, now: string): Promise<void> {
  const program = await deps.programs.get(input.programId, input.programVersion);
  if (!program) {
    const which = input.programVersion === null ? input.programId : `${input.programId} version ${input.programVersion}`;
    throw new RuleViolation('UNKNOWN_PROGRAM', `program ${which} does not exist`, { path: input.programVersion === null ? 'programId' : 'programVersion' });
  }
  const lenders = await deps.lenders.getMany(input.fundingPlan.map((p) => p.lenderId));
  const booked = decideBooking(input, program, lenders, now);
  const positions = booked.loan.fundingPlan.map((part) => applyEntry(openPosition(part.lenderId, booked.loan.loanId, booked.loan.currency), booked.entry));
  await deps.loans.book(booked, positions, seal(201, loanView(booked.loan, null)));
}

/** What a caller sees of a loan: everything for the lead, only its own part for a lender. */
export function loanView(loan: Loan, onlyLender: string | null): Loan {
  if (onlyLender === null) return loan;
  return {
    ...loan,
    fundingPlan: loan.fundingPlan.filter((p) => p.lenderId === onlyLender),
    terms: { ...loan.terms, participants: loan.terms.participants.filter((p) => p.lenderId === onlyLender) },
  };
}

/** A loan the caller has no part in answers 404, exactly as a loan that does not exist. */
export async function getLoan(deps: LoanDeps, principal: Principal, loanId: string): Promise<Loan> {
  const loan = await deps.loans.get(loanId);
  const only = restrictedTo(principal);
  if (!loan || !loan.fundingPlan.some((p) => canSeeLender(principal, p.lenderId))) throw notFound('loan', loanId);
  return loanView(loan, only);
}
