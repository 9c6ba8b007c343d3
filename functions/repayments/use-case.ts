import { NotFound } from '../../shared/domain/errors.ts';
import { canSeeLender, restrictedTo, type Principal } from '../../shared/domain/access.ts';
import { foldRepayments } from '../../shared/domain/loan-account.ts';
import { feeRulesOf } from '../../shared/domain/fee-rules.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import { HEAD_ONLY, effective, loanEvents } from '../../shared/domain/repayment-booking.ts';
import type { LossEventReversalRequestBody, PostRepaymentsRequestBody, ReversalRequestBody } from '../../shared/contracts/schemas.ts';
import type { LoanStore, SyncWorkflow } from '../../shared/ports/stores.ts';
import type { BatchReport, LoanEventRequestBody, LoanEventView, RepaymentView } from '../../shared/contracts/repayments.ts';
import { businessDateAt } from '../../shared/domain/business-date.ts';
import { bookLoanEvent, eventViewOf, reverseLossEvent, reverseRepayment, splitAndBook, viewOf, type RepaymentBookDeps } from '../../shared/use-cases/loan-changes.ts';
import { batchReport } from '../../shared/use-cases/repayment-batch.ts';
import { checkTransferLimits, type TransferLimitsDeps } from '../../shared/use-cases/outstanding.ts';
import { countBooked, type BookingMetricsDeps } from '../../shared/use-cases/booking-metrics.ts';

export interface RepaymentsDeps extends RepaymentBookDeps, TransferLimitsDeps, BookingMetricsDeps {
  /** The RepaymentBatch workflow, started synchronously. */
  readonly batch: SyncWorkflow;
  readonly loans: Pick<LoanStore, 'get'>;
}

/**
 * `POST /v1/repayments`: a single repayment is booked in this function, through the same use case
 * the workflow's steps call; a call of many runs as one RepaymentBatch execution (docs/adr/0004).
 * Every row is answered in request order, with the batch's report.
 */
export async function postRepayments(deps: RepaymentsDeps, body: PostRepaymentsRequestBody): Promise<BatchReport> {
  if (body.repayments.length > 1) {
    // The workflow writes; the request's Idempotency-Key is taken before it starts.
    await deps.keyReservation?.take();
    return (await deps.batch.run({ repayments: body.repayments })) as BatchReport;
  }
  const repayment = body.repayments[0]!;
  const result = await splitAndBook(deps, { action: 'BOOK', repayment });
  const group = { loanId: repayment.loanId, results: [{ index: 0, repaymentId: repayment.repaymentId, result }] };
  // A batch's rows are counted where the workflow books them; a single one here.
  await countBooked(deps, [group], 'API');
  return batchReport(1, [], [group]);
}

/**
 * `POST /v1/loans/{loanId}/transfers`, `.../buybacks` and `.../write-off`: one change of the loan's
 * book; a refusal is an error. A transfer's buyer is held to its limits first, as a booking's
 * lenders are; a buyback is the agreement's obligation and is not.
 */
export async function postLoanEvent(deps: RepaymentsDeps, loanId: string, event: LoanEventRequestBody): Promise<{ statusCode: number; body: { status: string; event: LoanEventView } }> {
  const loan = await deps.loans.get(loanId);
  if (loan === null) throw new NotFound('loan', loanId);
  if (event.type === 'TRANSFER' && (await deps.repayments.loanEvent(loanId, 'TRANSFER', event.eventId)) === null) {
    await checkTransferLimits(deps, loan, event, businessDateAt(deps.clock.now(), loan.terms.settlement.calendar));
  }
  const result = await bookLoanEvent(deps, loanId, event);
  return { statusCode: result.status === 'BOOKED' ? 201 : 200, body: { status: result.status, event: result.event } };
}

/** `POST /v1/repayments/{repaymentId}/reversal`: one change of the loan's book; a refusal is an error. */
export async function postReversal(deps: RepaymentsDeps, repaymentId: string, reversal: ReversalRequestBody): Promise<{ status: string; repayment: RepaymentView }> {
  const record = await deps.repayments.record(repaymentId);
  if (record === null) throw new NotFound('repayment', repaymentId);
  const { status, repayment } = await reverseRepayment(deps, record.loanId, repaymentId, reversal);
  return { status, repayment };
}

/** `POST /v1/loans/{loanId}/loss-events/{eventId}/reversal`: one change of the loan's book; a refusal is an error. */
export async function postLossEventReversal(deps: RepaymentsDeps, loanId: string, eventId: string, body: LossEventReversalRequestBody): Promise<{ status: string; event: LoanEventView }> {
  if ((await deps.loans.get(loanId)) === null) throw new NotFound('loan', loanId);
  if ((await deps.repayments.loanEvent(loanId, body.type, eventId)) === null) throw new NotFound('event', `${body.type} ${eventId}`);
  const { status, event } = await reverseLossEvent(deps, loanId, { ...body, eventId });
  return { status, event };
}

/** A repayment as booked now; a partner sees it only on a loan it funds, and only its own part. */
export async function getRepayment(deps: RepaymentsDeps, principal: Principal, repaymentId: string): Promise<RepaymentView> {
  const record = await deps.repayments.record(repaymentId);
  if (record === null) throw new NotFound('repayment', repaymentId);
  const loan = await visibleLoan(deps, principal, record.loanId, () => new NotFound('repayment', repaymentId));
  const item = await deps.repayments.item(loan.loanId, { valueDate: record.valueDate, seq: record.seq });
  if (item?.kind !== 'REPAYMENT') throw new NotFound('repayment', repaymentId);
  return onlyOwnPart(viewOf(loan, item.booked, []), restrictedTo(principal));
}

/**
 * `GET /v1/loans/{loanId}/repayments`: the loan's repayment account today: instalments with what
 * is paid, penalty outstanding, days past due, suspense, the borrower's fees owed by rule, each
 * lender's outstanding principal and every repayment.
 */
export async function getLoanRepayments(deps: RepaymentsDeps, principal: Principal, loanId: string) {
  const loan = await visibleLoan(deps, principal, loanId, () => new NotFound('loan', loanId));
  const { ledger } = await deps.repayments.load(loanId, 'ALL');
  const { account } = foldRepayments(loan, effective(ledger), loanEvents(ledger));
  const today = businessDateAt(deps.clock.now(), loan.terms.settlement.calendar);
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
    // What the borrower's fee rules are owed (docs/fees.md); a partner sees those it earns.
    feesOwed: [...account.feesOwedByRule]
      .filter(([ruleId]) => only === null || feeRulesOf(loan.terms).some((rule) => rule.id === ruleId && rule.payee === only))
      .map(([ruleId, amountMinor]) => ({ ruleId, amountMinor })),
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
  if (loan === null) throw missing();
  if (loan.fundingPlan.some((p) => canSeeLender(principal, p.lenderId))) return loan;
  // A lender that came to the loan later (a transfer's buyer, a guarantor that bought a share back or compensated) has a position on its head.
  const { positions } = await deps.repayments.load(loanId, HEAD_ONLY);
  if (positions.some((p) => canSeeLender(principal, p.lenderId))) return loan;
  throw missing();
}

function onlyOwnPart(view: RepaymentView, only: string | null): RepaymentView {
  if (only === null) return view;
  const recovery = view.split.recovery === null ? null : { ...view.split.recovery, parties: view.split.recovery.parties.filter((p) => p.partyId === only) };
  // Suspense is the collection account's, not a lender's: a lender's caller is told it is not shown (null), never a made-up 0.
  return { ...view, split: { lenders: view.split.lenders.filter((l) => l.lenderId === only), suspenseMinor: null, recovery } };
}
