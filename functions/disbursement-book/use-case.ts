import { DomainError, invariant } from '../../shared/domain/errors.ts';
import type { Clock } from '../../shared/ports/stores.ts';
import { WriteConflict, type ApplicationStore, type ExposureStore } from '../../shared/ports/stores.ts';
import { bookWith, type LoanDeps } from '../../shared/use-cases/loan-booking.ts';
import { auditStep, type StepAuditDeps } from '../../shared/use-cases/audit.ts';

export interface BookFromApplicationDeps extends LoanDeps {
  readonly applications: ApplicationStore;
  readonly exposure: ExposureStore;
  readonly clock: Clock;
}

/** Raised to the workflow by name: the booking was refused and the reservations must go back. */
export class BookingRefused extends Error {
  override readonly name = 'BookingRefused';
}

/**
 * Books the reviewed loan exactly as `POST /v1/loans` does, with the plan as its funding plan;
 * the loan takes the application's id. A retry after a booked attempt finds the loan booked.
 */
export async function bookFromApplication(
  deps: BookFromApplicationDeps,
  input: { applicationId: string; disbursementReference: string; disbursementDate: string },
): Promise<{ applicationId: string; loanId: string; status: 'BOOKED' }> {
  const { applicationId } = input;
  const record = await deps.applications.get(applicationId);
  invariant(record?.plan, 'a planned application is booked', { applicationId });
  if (record.status === 'BOOKED' && record.loanId !== null) return { applicationId, loanId: record.loanId, status: 'BOOKED' };
  const { application } = record;
  const program = await deps.programs.get(application.programId, application.programVersion);
  invariant(program, 'the program version of an application exists', { applicationId });
  const now = deps.clock.now();
  try {
    const loan = await bookWith(
      deps,
      {
        loanId: applicationId,
        programId: program.programId,
        programVersion: program.version,
        borrower: application.borrower,
        currency: program.currency,
        principalMinor: application.amountMinor,
        annualRate: application.annualRate,
        termMonths: application.termMonths,
        repaymentMethod: application.repaymentMethod,
        disbursementDate: input.disbursementDate,
        disbursementReference: input.disbursementReference,
        fundingPlan: record.plan.map((l) => ({ lenderId: l.lenderId, amountMinor: l.amountMinor })),
      },
      program,
      now,
      {
        seal: null,
        reservations: await deps.exposure.reservations(applicationId),
        applicationChange: (loan) => ({
          applicationId,
          change: { step: 'BookLoan', at: now, event: 'BOOKED', detail: { loanId: loan.loanId, disbursementReference: input.disbursementReference }, set: { status: 'BOOKED', loanId: loan.loanId } },
        }),
      },
    );
    return { applicationId, loanId: loan.loanId, status: 'BOOKED' };
  } catch (error) {
    if (error instanceof WriteConflict && (error.entity === 'loan' || error.entity === 'application-step')) {
      const latest = await deps.applications.get(applicationId);
      if (latest?.status === 'BOOKED' && latest.loanId !== null) return { applicationId, loanId: latest.loanId, status: 'BOOKED' };
    }
    if (error instanceof DomainError && error.name !== 'InvariantViolation') throw new BookingRefused(`${error.code}: ${error.message}`);
    throw error;
  }
}

export type BookLoanStepDeps = BookFromApplicationDeps & StepAuditDeps;

/**
 * The Disbursement saga's BookLoan: the loan booked (or found booked by a retry), then recorded in
 * the audit trail once per execution, naming every lender of its funding plan.
 */
export async function bookLoanStep(
  deps: BookLoanStepDeps,
  input: { applicationId: string; disbursementReference: string; disbursementDate: string; executionId?: string | undefined },
): Promise<{ applicationId: string; loanId: string; status: 'BOOKED' }> {
  const booked = await bookFromApplication(deps, input);
  if (input.executionId !== undefined) {
    const record = await deps.applications.get(input.applicationId);
    await auditStep(deps, input.executionId, {
      workflow: 'Disbursement',
      step: 'BookLoan',
      target: { loanId: booked.loanId },
      after: { applicationId: booked.applicationId, status: booked.status, disbursementReference: input.disbursementReference, disbursementDate: input.disbursementDate },
      lenderIds: (record?.plan ?? []).map((l) => l.lenderId),
    });
  }
  return booked;
}
