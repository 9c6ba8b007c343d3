import { canSeeLender, restrictedTo, type Principal } from '../../shared/domain/access.ts';
import { foldRepayments } from '../../shared/domain/loan-account.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import { effective, loanEvents } from '../../shared/domain/repayment-booking.ts';
import { HttpError, notFound } from '../../shared/http/errors.ts';
import type { PostRepaymentsRequestBody, RepaymentRequestBody, ReversalRequestBody } from '../../shared/http/schemas.ts';
import type { Clock, LoanStore, RepaymentStore, SyncWorkflow } from '../../shared/ports/stores.ts';
import type { LoanEventRequestBody, LoanEventView, RepaymentStepResult, RepaymentView } from '../repayment-book/schema.ts';
import { invariant } from '../../shared/domain/errors.ts';
import { eventViewOf, localDate, viewOf } from '../repayment-book/use-case.ts';

export interface RepaymentsDeps {
  readonly split: SyncWorkflow;
  readonly loans: Pick<LoanStore, 'get'>;
  readonly repayments: RepaymentStore;
  readonly clock: Clock;
}

/** Repayments of one call that go through the workflow at the same time. */
const IN_FLIGHT = 8;

export type RepaymentAnswer =
  | { readonly repaymentId: string; readonly status: 'BOOKED' | 'REPLAYED'; readonly repayment: RepaymentView }
  | { readonly repaymentId: string; readonly status: 'REFUSED'; readonly error: { code: string; message: string; details: Readonly<Record<string, unknown>> } };

/** `POST /v1/repayments`: each repayment through the RepaymentSplit workflow; answers in request order. */
export async function postRepayments(deps: RepaymentsDeps, body: PostRepaymentsRequestBody): Promise<{ results: RepaymentAnswer[] }> {
  const results = new Array<RepaymentAnswer>(body.repayments.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < body.repayments.length) {
      const index = next++;
      results[index] = await bookOne(deps, body.repayments[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, body.repayments.length) }, worker));
  return { results };
}

async function bookOne(deps: RepaymentsDeps, repayment: RepaymentRequestBody): Promise<RepaymentAnswer> {
  const result = (await deps.split.run({ action: 'BOOK', repayment })) as RepaymentStepResult;
  if (result.status === 'REFUSED') return { repaymentId: repayment.repaymentId, status: 'REFUSED', error: result.error };
  return { repaymentId: repayment.repaymentId, status: result.status === 'REPLAYED' ? 'REPLAYED' : 'BOOKED', repayment: repaymentOf(result) };
}

function repaymentOf(result: RepaymentStepResult): RepaymentView {
  invariant('repayment' in result, 'a repayment step answers with the repayment', { status: result.status });
  return result.repayment;
}

/**
 * `POST /v1/loans/{loanId}/transfers` and `POST /v1/loans/{loanId}/write-off`: through the same
 * workflow as a repayment, so every change of a loan's ledger has one writer; a refusal is an error.
 */
export async function postLoanEvent(deps: RepaymentsDeps, loanId: string, event: LoanEventRequestBody): Promise<{ statusCode: number; body: { status: string; event: LoanEventView } }> {
  if ((await deps.loans.get(loanId)) === null) throw notFound('loan', loanId);
  const result = (await deps.split.run({ action: 'EVENT', loanId, event })) as RepaymentStepResult;
  if (result.status === 'REFUSED') throw new HttpError(result.statusCode, result.error.code, result.error.message, { ...result.error.details });
  invariant('event' in result, 'an event step answers with the event', { status: result.status });
  return { statusCode: result.status === 'BOOKED' ? 201 : 200, body: { status: result.status, event: result.event } };
}

/** `POST /v1/repayments/{repaymentId}/reversal`: through the same workflow; a refusal is an error. */
export async function reverseRepayment(deps: RepaymentsDeps, repaymentId: string, reversal: ReversalRequestBody): Promise<{ status: string; repayment: RepaymentView }> {
  const record = await deps.repayments.record(repaymentId);
  if (record === null) throw notFound('repayment', repaymentId);
  const result = (await deps.split.run({ action: 'REVERSE', loanId: record.loanId, repaymentId, reversal })) as RepaymentStepResult;
  if (result.status === 'REFUSED') throw new HttpError(result.statusCode, result.error.code, result.error.message, { ...result.error.details });
  return { status: result.status, repayment: repaymentOf(result) };
}

/** A repayment as booked now; a partner sees it only on a loan it funds, and only its own part. */
export async function getRepayment(deps: RepaymentsDeps, principal: Principal, repaymentId: string): Promise<RepaymentView> {
  const record = await deps.repayments.record(repaymentId);
  if (record === null) throw notFound('repayment', repaymentId);
  const loan = await visibleLoan(deps, principal, record.loanId, () => notFound('repayment', repaymentId));
  const item = await deps.repayments.item(loan.loanId, { valueDate: record.valueDate, seq: record.seq });
  if (item?.kind !== 'REPAYMENT') throw notFound('repayment', repaymentId);
  return onlyOwnPart(viewOf(loan, item.booked, []), restrictedTo(principal));
}

/**
 * `GET /v1/loans/{loanId}/repayments`: the loan's repayment account today: instalments with what
 * is paid, penalty outstanding, days past due, suspense, each lender's outstanding principal and
 * every repayment.
 */
export async function getLoanRepayments(deps: RepaymentsDeps, principal: Principal, loanId: string) {
  const loan = await visibleLoan(deps, principal, loanId, () => notFound('loan', loanId));
  const { ledger } = await deps.repayments.load(loanId, 'ALL');
  const { account } = foldRepayments(loan, effective(ledger), loanEvents(ledger));
  const today = localDate(deps.clock.now(), loan.terms.settlement.calendar);
  const lastValueDate = [...ledger.repayments, ...(ledger.events ?? [])].reduce((last, r) => (r.valueDate > last ? r.valueDate : last), loan.disbursementDate);
  const asOf = today > lastValueDate ? today : lastValueDate;
  const summary = account.summary(asOf);
  const accruals = account.accruals(asOf);
  const only = restrictedTo(principal);
  return {
    loanId,
    currency: loan.currency,
    asOf,
    status: summary.status,
    daysPastDue: account.daysPastDue(asOf),
    outstandingPrincipalMinor: only === null ? summary.outstandingPrincipalMinor : null,
    penaltyOutstandingMinor: summary.penaltyOutstandingMinor,
    suspenseMinor: only === null ? summary.suspenseMinor : null,
    reschedules: summary.reschedules,
    interestDueMinor: accruals.interestDueMinor,
    interestAccruedMinor: accruals.interestAccruedMinor,
    lenders: [...summary.outstandingByLender]
      .filter(([lenderId]) => only === null || lenderId === only)
      .map(([lenderId, outstandingPrincipalMinor]) => {
        const parts = accruals.byLender.get(lenderId);
        return {
          lenderId,
          outstandingPrincipalMinor,
          interestAccruedMinor: (parts?.interestMinor ?? 0n) + (parts?.spreadMinor ?? 0n),
          penaltyAccruedMinor: parts?.penaltyMinor ?? 0n,
        };
      }),
    instalments: only === null ? summary.instalments : null,
    risk: ledger.risk ?? null,
    repayments: ledger.repayments.map((r) => onlyOwnPart(viewOf(loan, r, []), only)),
    events: (ledger.events ?? []).map((e) => {
      const view = eventViewOf(loan, e, []);
      return only === null ? view : { ...view, legs: view.legs.filter((leg) => leg.lenderId === only) };
    }),
  };
}

async function visibleLoan(deps: RepaymentsDeps, principal: Principal, loanId: string, missing: () => Error): Promise<Loan> {
  const loan = await deps.loans.get(loanId);
  if (loan === null || !loan.fundingPlan.some((p) => canSeeLender(principal, p.lenderId))) throw missing();
  return loan;
}

function onlyOwnPart(view: RepaymentView, only: string | null): RepaymentView {
  if (only === null) return view;
  const recovery = view.split.recovery === null ? null : { ...view.split.recovery, parties: view.split.recovery.parties.filter((p) => p.partyId === only) };
  return { ...view, split: { lenders: view.split.lenders.filter((l) => l.lenderId === only), suspenseMinor: '0', recovery } };
}
