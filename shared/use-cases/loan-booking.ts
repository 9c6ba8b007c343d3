import { ownTerms } from '../domain/access.ts';
import { RuleViolation, invariant } from '../domain/errors.ts';
import { businessDateAt } from '../domain/business-date.ts';
import { addBorrowerExposure, commitQuota, lenderOutstanding, type QuotaUsage, type Reservation } from '../domain/exposure.ts';
import type { Lender } from '../domain/lender.ts';
import { applyEntry, openPosition } from '../domain/ledger.ts';
import { bookLoan as decideBooking, type BookLoanRequest, type FundingShare, type Loan } from '../domain/loan.ts';
import type { Program } from '../domain/program.ts';
import { checkJointLoanLimits } from '../domain/regulatory-checks.ts';
import { REGULATORY_PROFILES } from '../domain/regulatory-profile.ts';
import { loanSchedules } from '../domain/schedule.ts';
import { checkLoanBookingSize } from '../domain/transaction-size.ts';
import type { PersonBooking, Seal } from '../ports/stores.ts';
import { bookPerson, personRef, type Person } from '../domain/person.ts';
import { borrowerNow, quotaUsageNow } from './outstanding.ts';
import { lendersOnDate, type FiguresDeps } from './regulatory-figures.ts';
import { OPTIMISTIC_ATTEMPTS, WriteConflict, type ApplicationChange, type ExposureStore, type LenderStore, type LoanStore, type ProgramStore } from '../ports/stores.ts';

/**
 * Booking a loan, for every function that books one (a direct booking, the BookLoan step of a
 * reviewed application): the program it is booked under, and the one booking transaction.
 */

export interface LoanDeps extends FiguresDeps {
  readonly loans: LoanStore;
  readonly programs: ProgramStore;
  readonly lenders: LenderStore;
  readonly exposure: ExposureStore;
}

export async function programOf(deps: Pick<LoanDeps, 'programs'>, programId: string, version: number | null): Promise<Program> {
  const program = await deps.programs.get(programId, version);
  if (!program) {
    const which = version === null ? programId : `${programId} version ${version}`;
    throw new RuleViolation('UNKNOWN_PROGRAM', `program ${which} does not exist`, { path: version === null ? 'programId' : 'programVersion' });
  }
  return program;
}

export interface BookingOptions {
  /** Seals the API response into the idempotency record (direct bookings). */
  readonly seal: Seal | null;
  /** Reservations of the plan being booked (bookings from an application). */
  readonly reservations: readonly Reservation[];
  readonly applicationChange: ((loan: Loan) => { applicationId: string; change: ApplicationChange }) | null;
  /** The answer sealed into the idempotency record; the loan as the lead sees it unless set. */
  readonly answer?: (loan: Loan) => unknown;
}

/**
 * The one way a loan is booked, directly or from a reviewed application: the loan, its
 * disbursement entry, each lender's position and sub-schedule, quota (reserved → committed) and
 * the borrower's exposure, in one transaction. A quota or exposure changed by another booking
 * since it was read makes the write fail; the booking is then decided again on fresh figures.
 */
export async function bookWith(deps: LoanDeps, request: BookLoanRequest, program: Program, now: string, options: BookingOptions): Promise<Loan> {
  const lenderIds = request.fundingPlan.map((p) => p.lenderId);
  // A plan without reservations was not reviewed: its banks are judged here, as a review judges them, by their figures in force today.
  const lenders = options.reservations.length === 0 ? await lendersOnDate(deps, lenderIds, businessDateAt(now, program.settlement.calendar)) : await deps.lenders.getMany(lenderIds);
  for (let attempt = 1; ; attempt++) {
    const booked = decideBooking(request, program, lenders, now);
    const { loan, entry } = booked;
    const reserved = new Map(options.reservations.filter((r) => r.state === 'RESERVED').map((r) => [r.lenderId, r]));
    const quotas = await Promise.all(
      loan.fundingPlan.map(async (part, i) => {
        const lender = lenders.get(part.lenderId);
        invariant(lender, 'plan lenders are loaded', { lenderId: part.lenderId });
        const usage = await quotaUsageNow(deps, lender);
        const reservation = reserved.get(part.lenderId) ?? null;
        if (reservation === null) checkRatioRules(program, lender, usage, part, i);
        return commitQuota(lender, usage, part, program.leadLenderId, reservation, loan.loanId);
      }),
    );
    // The caps count the person (every borrower id of its identity number), not the id alone.
    const borrower = await borrowerNow(deps, loan.borrower);
    const exposureBefore = borrower.booked;
    const exposureAfter = addBorrowerExposure(exposureBefore, borrower.moved, loan.borrower, loan.principalMinor, loan.fundingPlan, lenders, program.regulatoryProfile, borrower.measure);
    const person = borrower.person === null ? null : personBooking(borrower.person, loan, now);
    const schedules = loanSchedules(loan);
    const quotaChanges = quotas.flat();
    checkLoanBookingSize({
      lenders: loan.fundingPlan.length,
      quotaShards: quotaChanges.length,
      reservations: reserved.size,
      idempotency: options.seal !== null,
      applicationStep: options.applicationChange !== null,
      person: person !== null,
    });
    try {
      await deps.loans.book({
        booked,
        positions: loan.fundingPlan.map((part) => applyEntry(openPosition(part.lenderId, loan.loanId, loan.currency), entry)),
        schedules,
        quotas: quotaChanges,
        exposure: { before: exposureBefore, after: exposureAfter },
        person,
        idempotency: options.seal ? options.seal(201, options.answer ? options.answer(loan) : loanView(loan, null)) : null,
        usedReservations: [...reserved.values()].map((r) => ({ ...r, state: 'USED', at: now })),
        applicationChange: options.applicationChange ? options.applicationChange(loan) : null,
      });
      return loan;
    } catch (error) {
      const stale = error instanceof WriteConflict && (error.reason === 'BUSY' || error.entity === 'quota' || error.entity === 'exposure' || error.entity === 'person');
      if (!stale || attempt >= OPTIMISTIC_ATTEMPTS) throw error;
    }
  }
}

/** The person after this booking (its version raised, the id linked) and the loan listed under it. */
function personBooking(before: Person, loan: Loan, now: string): PersonBooking {
  return { before, after: bookPerson(before, loan.borrower.borrowerId), ref: personRef(before.identityHash, 'LOAN', loan.loanId, loan.borrower.borrowerId, loan.programId, now) };
}

/**
 * A part booked without a reservation (a direct booking) meets the CN-2021 ratio rules on the
 * partner's outstanding principal, as the review's candidates do; a reserved part was judged by
 * its review. The lead's own side of the rules is reported, not enforced, as in the review.
 */
function checkRatioRules(program: Program, lender: Lender, usage: QuotaUsage, part: FundingShare, index: number): void {
  if (part.role !== 'PARTNER') return;
  const held = lenderOutstanding(usage);
  checkJointLoanLimits(
    REGULATORY_PROFILES[program.regulatoryProfile],
    lender,
    program.leadLenderId,
    { withLeadMinor: held.byLeadMinor[program.leadLenderId] ?? 0n, totalMinor: held.outstandingMinor },
    part.amountMinor,
    `fundingPlan.${index}.amountMinor`,
  );
}

/** What a caller sees of a loan: everything for the lead, only its own part for a lender. */
export function loanView(loan: Loan, onlyLender: string | null): Loan {
  if (onlyLender === null) return loan;
  return {
    ...loan,
    fundingPlan: loan.fundingPlan.filter((p) => p.lenderId === onlyLender),
    terms: ownTerms(loan.terms, onlyLender),
  };
}
