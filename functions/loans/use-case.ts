import { Forbidden, NotFound } from '../../shared/domain/errors.ts';
import { canSeeLender, restrictedTo, type Principal } from '../../shared/domain/access.ts';
import { bookWith, loanView, programOf, type LoanDeps } from '../../shared/use-cases/loan-booking.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import type { LenderSchedule, Schedule } from '../../shared/domain/schedule.ts';
import type { ApplicationRecord, LenderStore, PersonLoan, PersonRef, PersonStore, ProgramStore, RepaymentStore } from '../../shared/ports/stores.ts';
import { foldRepayments, type LoanAccount } from '../../shared/domain/loan-account.ts';
import { HEAD_ONLY, effective, loanEvents } from '../../shared/domain/repayment-booking.ts';
import type { Seal } from '../../shared/ports/stores.ts';
import type { BookLoanRequestBody, BorrowerLookupRequest } from '../../shared/contracts/schemas.ts';
import type { AuditEvent } from '../../shared/domain/audit.ts';
import { userActor } from '../../shared/use-cases/audit.ts';
import type { PersonalDataCipher } from '../../shared/ports/personal-data.ts';
import { borrowerSubject } from '../../shared/domain/personal-data.ts';
import { borrowerViewFor, borrowerViewOf, identityHashOf, sealBorrower, type BorrowerView } from '../../shared/use-cases/personal-data.ts';

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

/** A loan of the person as the lookup answers it: ids, program, state and the lenders' principal outstanding now. */
export interface LookedUpLoan {
  readonly loanId: string;
  readonly borrowerId: string;
  readonly programId: string;
  readonly programVersion: number;
  readonly state: 'ACTIVE' | 'REPAID' | 'COMPENSATED' | 'WRITTEN_OFF';
  readonly principalMinor: bigint;
  readonly principalOutstandingMinor: bigint;
}

/** An application of the person as the lookup answers it. */
export interface LookedUpApplication {
  readonly applicationId: string;
  readonly borrowerId: string;
  readonly programId: string;
  readonly programVersion: number;
  readonly state: string;
  readonly amountMinor: bigint;
  readonly loanId: string | null;
}

export interface BorrowerLookup {
  /** Every borrower id the lead gave this person, on every page. */
  readonly borrowerIds: readonly string[];
  readonly applications: readonly LookedUpApplication[];
  readonly loans: readonly LookedUpLoan[];
  readonly cursor: string | null;
}

export interface BorrowerLookupDeps {
  readonly people: PersonStore;
  readonly lenders: Pick<LenderStore, 'get'>;
  readonly programs: Pick<ProgramStore, 'get'>;
  readonly personalData: PersonalDataCipher;
}

/**
 * `POST /v1/borrower-lookups` (docs/personal-data.md, matching one person): the person's borrower
 * ids, loans and applications, found by the keyed hash of the identity number, never by opening
 * anything. Lead operations and the platform's finance team see every lead's; the finance team of
 * a lead sees the programs that lead leads; any other caller is refused. The number is hashed and
 * dropped: it is in no record, no answer and no log. Returns the hash for the audit record.
 */
export async function lookUpBorrower(deps: BorrowerLookupDeps, principal: Principal, input: BorrowerLookupRequest): Promise<{ answer: BorrowerLookup; identityHash: string }> {
  const onlyLead = await leadOfCaller(deps, principal);
  const identityHash = await identityHashOf(deps.personalData, input.identityNumber);
  const [person, page] = await Promise.all([deps.people.person(identityHash), deps.people.refsOfPerson(identityHash, { limit: input.limit, ...(input.cursor === undefined ? {} : { cursor: input.cursor }) })]);
  const idsOf = (kind: PersonRef['kind']) => page.items.filter((r) => r.kind === kind).map((r) => r.id);
  const [loans, applications] = await Promise.all([deps.people.loansOfPerson(idsOf('LOAN')), deps.people.applicationsOfPerson(idsOf('APPLICATION'))]);
  const leads = await programLeads(deps, onlyLead, applications);
  return {
    identityHash,
    answer: {
      borrowerIds: person.borrowerIds,
      applications: applications
        .filter((r) => onlyLead === null || leads.get(`${r.application.programId}#${r.application.programVersion}`) === onlyLead)
        .map((r) => ({
          applicationId: r.application.applicationId,
          borrowerId: r.application.borrower.borrowerId,
          programId: r.application.programId,
          programVersion: r.application.programVersion,
          state: r.status,
          amountMinor: r.application.amountMinor,
          loanId: r.loanId,
        })),
      loans: loans.filter((l) => onlyLead === null || l.loan.terms.leadLenderId === onlyLead).map(lookedUpLoan),
      cursor: page.cursor,
    },
  };
}

/** Null: the caller sees every lead's (lead operations, the platform's finance team); else the one lead whose finance team calls. */
async function leadOfCaller(deps: Pick<BorrowerLookupDeps, 'lenders'>, principal: Principal): Promise<string | null> {
  const only = restrictedTo(principal);
  if (only === null) return null;
  const lender = await deps.lenders.get(only);
  if (lender === null || !lender.roles.includes('LEAD')) {
    throw new Forbidden(`looking up a person is open to lead operations and the lead's finance team; lender ${only} is not a lead`, { lenderId: only });
  }
  return only;
}

/** The lead of each program version the page's applications name, read only for a lead's finance team. */
async function programLeads(deps: Pick<BorrowerLookupDeps, 'programs'>, onlyLead: string | null, applications: readonly ApplicationRecord[]): Promise<Map<string, string>> {
  if (onlyLead === null) return new Map();
  const versions = [...new Set(applications.map((r) => `${r.application.programId}#${r.application.programVersion}`))];
  const found = await Promise.all(
    versions.map(async (key): Promise<[string, string]> => {
      const [programId = '', version = ''] = key.split('#');
      const program = await deps.programs.get(programId, Number(version));
      return [key, program?.leadLenderId ?? ''];
    }),
  );
  return new Map(found);
}

function lookedUpLoan({ loan, principalOutstandingMinor, writtenOff, compensated }: PersonLoan): LookedUpLoan {
  const state = writtenOff ? 'WRITTEN_OFF' : compensated ? 'COMPENSATED' : principalOutstandingMinor === 0n ? 'REPAID' : 'ACTIVE';
  return {
    loanId: loan.loanId,
    borrowerId: loan.borrower.borrowerId,
    programId: loan.programId,
    programVersion: loan.programVersion,
    state,
    principalMinor: loan.principalMinor,
    principalOutstandingMinor,
  };
}

/**
 * The audit record of a lookup: who looked, when, and the person's hash, never the number; the
 * answer's size. No before or after of any record: a lookup changes nothing.
 */
export function lookupAuditEvent(principal: Principal, identityHash: string, answer: BorrowerLookup, at: string): AuditEvent {
  return {
    auditKey: `LOOKUP#${principal.clientId}#${principal.userId}#${at}#${identityHash}`,
    at,
    actor: userActor(principal),
    action: 'lookUpBorrower',
    route: 'POST /v1/borrower-lookups',
    target: { identityHash },
    requestId: null,
    executionId: null,
    status: 200,
    before: null,
    after: { borrowerIds: answer.borrowerIds.length, loans: answer.loans.length, applications: answer.applications.length },
    lenderIds: principal.lenderId === null ? [] : [principal.lenderId],
  };
}
