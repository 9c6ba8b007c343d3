import { priceOfLegs } from '../domain/buyback.ts';
import { DomainError, InvariantViolation, RuleViolation, StateConflict, invariant } from '../domain/errors.ts';
import type { Loan } from '../domain/loan.ts';
import {
  decideLoanEvent,
  decideLossEventReversal,
  decideRepayment,
  decideReversal,
  endOf,
  replayOf,
  repaymentReplayOf,
  type BookedLoanEvent,
  type EffectKey,
  type LoanEventRequest,
  type LossEventReversalRequest,
  type BookedRepayment,
  type RepaymentDecision,
  type RepaymentLedger,
  type RepaymentRequest,
  type ReversalRequest,
  type LoanEventDecision,
  type LossEventReversalDecision,
} from '../domain/repayment-booking.ts';
import { toJson } from '../json.ts';
import { WriteConflict, type Clock, type ProgramPoolStore, type RepaymentStore, type KeyReservation } from '../ports/stores.ts';
import { commitLedgerChange, firstLossRoom, guaranteeRoom, poolUse } from './ledger-writer.ts';
import type {
  GroupResult,
  LoanEventRequestBody,
  LoanEventResult,
  LoanEventView,
  LoanGroup,
  RepaymentChangeResult,
  RepaymentStepInput,
  RepaymentStepResult,
  RepaymentView,
} from '../contracts/repayments.ts';

/**
 * The changes of a loan's book, for every function that makes one: a repayment, a reversal, a
 * compensation, a write-off or a transfer, each decided by the domain (`repayment-booking.ts`) and
 * written through the ledger writer; the views the API and the events show of them.
 * docs/repayment-booking.md.
 */

export interface RepaymentBookDeps {
  readonly loan: (loanId: string) => Promise<Loan | null>;
  readonly repayments: RepaymentStore;
  readonly programPools: Pick<ProgramPoolStore, 'get'>;
  readonly clock: Clock;
  /** An API request's Idempotency-Key, reserved in the change's own transaction. */
  readonly keyReservation?: KeyReservation;
}

/** One change of a loan's book (a repayment, a reversal, a compensation, write-off or transfer); a domain refusal is an answer, not a failure. */
export async function splitAndBook(deps: RepaymentBookDeps, input: RepaymentStepInput): Promise<RepaymentStepResult> {
  try {
    if (input.action === 'BOOK') return await bookRepayment(deps, input.repayment);
    if (input.action === 'REVERSE') return await reverseRepayment(deps, input.loanId, input.repaymentId, input.reversal);
    return await bookLoanEvent(deps, input.loanId, input.event);
  } catch (error) {
    if (error instanceof DomainError && !(error instanceof InvariantViolation)) {
      return { status: 'REFUSED', error: { code: error.code, message: error.message, details: error.details } };
    }
    throw error;
  }
}

/**
 * `BookLoanGroup`: the repayments of one loan in a batch, booked one after the other in the order
 * given (each its own change of the loan's book), each answered with its row index.
 */
export async function bookLoanGroup(deps: RepaymentBookDeps, group: LoanGroup): Promise<GroupResult> {
  const results: GroupResult['results'][number][] = [];
  for (const row of group.rows) results.push({ index: row.index, repaymentId: row.repayment.repaymentId, result: await splitAndBook(deps, { action: 'BOOK', repayment: row.repayment }) });
  return { loanId: group.loanId, results };
}

/**
 * A repayment booked, or its first booking answered again; a refusal is a DomainError.
 *
 * A new id is the common case, so the first attempt does not read the id's record: the record is
 * written in the booking's transaction on condition that the id is new, and a taken id fails the
 * whole transaction. Only then (or when the head moved, or the book refused the payment as it
 * stands now) is the record read, and a delivery again answered with its first booking.
 */
export async function bookRepayment(deps: RepaymentBookDeps, request: RepaymentRequest): Promise<RepaymentChangeResult> {
  const loan = await loanOf(deps, request.loanId);
  let firstAttempt = true;
  try {
    return await change(deps, loan, request.repaymentId, endOf(request.valueDate), async (ledger, today, now) => {
      const known = firstAttempt ? null : await bookedBefore(deps, loan, request);
      firstAttempt = false;
      return known ?? decideRepayment(loan, ledger, request, today, now);
    });
  } catch (error) {
    const refused = error instanceof DomainError && !(error instanceof InvariantViolation);
    if (!refused && !(error instanceof WriteConflict && error.entity === 'entry')) throw error;
    // Its entry taken, or refused by the book as it stands now (paid off since, too many later
    // events to restate): a delivery again of a repayment booked when the book allowed it is
    // answered, not refused.
    const known = await bookedBefore(deps, loan, request);
    if (known?.kind !== 'REPLAY') throw error;
    return replay(deps, loan, known.booked, true);
  }
}

/** A repayment reversed (the exact negative of its booking in effect); a refusal is a DomainError. */
export async function reverseRepayment(deps: RepaymentBookDeps, loanId: string, repaymentId: string, request: ReversalRequest): Promise<RepaymentChangeResult> {
  const loan = await loanOf(deps, loanId);
  const record = await deps.repayments.record(repaymentId);
  if (record === null || record.loanId !== loan.loanId) {
    throw new RuleViolation('REPAYMENT_NOT_FOUND', `loan ${loan.loanId} has no repayment ${repaymentId}`, { path: 'repaymentId', repaymentId });
  }
  try {
    return await change(deps, loan, null, { valueDate: record.valueDate, seq: record.seq }, (ledger, today, now) => decideReversal(loan, ledger, repaymentId, request, today, now));
  } catch (error) {
    // The reversal's entry is keyed by its id: taken means another repayment of the loan was reversed by it.
    if (error instanceof WriteConflict && error.entity === 'entry') {
      throw new StateConflict('REVERSAL_ID_REUSED', `reversal ${request.reversalId} already reversed another repayment`, { path: 'reversalId' });
    }
    throw error;
  }
}

/**
 * A repayment id already taken: by this loan with the same content, a replay of its booking; with
 * other content, or by another loan, a refusal. Null when the id is new.
 */
async function bookedBefore(deps: RepaymentBookDeps, loan: Loan, request: RepaymentRequest): Promise<RepaymentDecision | null> {
  const record = await deps.repayments.record(request.repaymentId);
  if (record === null) return null;
  if (record.loanId !== loan.loanId) {
    throw new StateConflict('REPAYMENT_ID_REUSED', `repayment ${request.repaymentId} was booked on loan ${record.loanId}`, { path: 'repaymentId', repaymentId: request.repaymentId });
  }
  const item = await deps.repayments.item(loan.loanId, { valueDate: record.valueDate, seq: record.seq });
  invariant(item?.kind === 'REPAYMENT', 'a repayment record points at its payment on the book', { repaymentId: request.repaymentId });
  return repaymentReplayOf(item.booked, request);
}

/** A compensation, write-off, transfer or buyback, booked through the same change as a repayment; a refusal is a DomainError. */
export async function bookLoanEvent(deps: RepaymentBookDeps, loanId: string, request: LoanEventRequestBody): Promise<LoanEventResult> {
  const loan = await loanOf(deps, loanId);
  return commitLedgerChange<LoanEventResult>(deps, loan, endOf(request.valueDate), async (ledger, today, now) => {
    const firstLoss = request.type === 'WRITE_OFF' ? await firstLossRoom(deps.programPools, loan) : null;
    if (firstLoss?.kind === 'UNKNOWN') {
      throw new RuleViolation('FIRST_LOSS_BASE_UNKNOWN', `the lead's first-loss cap of program ${loan.programId} is a share of its disbursed principal, which no risk update has measured yet`, {
        path: 'writeOffId',
        programId: loan.programId,
      });
    }
    const event: LoanEventRequest = {
      type: request.type,
      eventId: request.eventId,
      valueDate: request.valueDate,
      reason: request.reason,
      transfer: request.type === 'TRANSFER' ? { fromLenderId: request.fromLenderId, toLenderId: request.toLenderId, principalMinor: request.principalMinor } : null,
      leadFirstLossCapMinor: firstLoss?.kind === 'CAPPED' ? firstLoss.roomMinor : null,
      ...(request.type === 'BUYBACK' ? { buyback: { sellerLenderId: request.sellerLenderId, buyerId: request.buyerId, expectedPriceMinor: request.expectedPriceMinor } } : {}),
    };
    const known = await deps.repayments.loanEvent(loan.loanId, event.type, event.eventId);
    const decision = known === null ? decideLoanEvent(loan, ledger, event, today, now) : replayOf(known, event);
    if (decision.kind === 'REPLAY') return { done: { status: 'REPLAYED', event: eventViewOf(loan, decision.booked, []), entryIds: [] } };
    return {
      ...eventChange(loan, decision, 'BOOKED'),
      ...poolUse(firstLoss?.kind === 'CAPPED' ? firstLoss.pool : null, decision.leadFirstLossMinor),
    };
  });
}

/**
 * A compensation or write-off reversed (docs/risk-update.md, Undoing a loss): the mirror of its
 * legs in effect as `REVERSAL#<reversalId>`, the later events folded again without it, and what it
 * took from its program's pool given back, in one change of the loan's book; a refusal is a
 * DomainError.
 */
export async function reverseLossEvent(deps: RepaymentBookDeps, loanId: string, request: LossEventReversalRequest): Promise<LoanEventResult> {
  const loan = await loanOf(deps, loanId);
  const known = await deps.repayments.loanEvent(loan.loanId, request.type, request.eventId);
  if (known === null) {
    throw new RuleViolation('LOSS_EVENT_NOT_FOUND', `loan ${loan.loanId} has no ${request.type} ${request.eventId}`, { path: 'eventId', type: request.type, eventId: request.eventId });
  }
  try {
    return await commitLedgerChange<LoanEventResult>(deps, loan, { valueDate: known.valueDate, seq: known.seq }, async (ledger, today, now) => {
      const decision = decideLossEventReversal(loan, ledger, request, today, now);
      if (decision.kind === 'REPLAY') return { done: { status: 'REPLAYED', event: eventViewOf(loan, decision.booked, []), entryIds: [] } };
      const room = request.type === 'COMPENSATION' ? await guaranteeRoom(deps.programPools, loan) : await firstLossRoom(deps.programPools, loan);
      const pool = room.kind === 'CAPPED' ? room.pool : null;
      // Never below nothing used: a pool's use is what the program's losses took, each given back once.
      const released = pool === null ? 0n : decision.releasedMinor < pool.usedMinor ? decision.releasedMinor : pool.usedMinor;
      return {
        ...eventChange(loan, decision, 'REVERSED'),
        ...poolUse(pool, -released),
      };
    });
  } catch (error) {
    // The reversal's entry is keyed by its id: taken means another event or repayment of the loan was reversed by it.
    if (error instanceof WriteConflict && error.entity === 'entry') {
      throw new StateConflict('REVERSAL_ID_REUSED', `reversal ${request.reversalId} already reversed another event of the loan`, { path: 'reversalId' });
    }
    throw error;
  }
}

/** A decided loan event as one change of the book: its writes, its entries and the answer it gives. */
function eventChange(loan: Loan, decision: Extract<LoanEventDecision | LossEventReversalDecision, { kind: 'BOOK' }>, status: 'BOOKED' | 'REVERSED') {
  return {
    ledger: decision.ledger,
    items: decision.writes,
    entries: decision.entries,
    rebooked: decision.rebooked.length,
    record: null,
    result: { status, event: eventViewOf(loan, decision.booked, decision.rebooked), entryIds: decision.entries.map((e) => e.entryId) },
  };
}

/** What the API shows of a compensation, write-off, transfer or buyback. */
export function eventViewOf(loan: Loan, booked: BookedLoanEvent, rebooked: readonly string[]): LoanEventView {
  const buyback = booked.buyback;
  const price = buyback === undefined ? null : priceOfLegs(booked.legs, buyback.sellerLenderId, buyback.buyerId);
  return {
    type: booked.type,
    eventId: booked.eventId,
    loanId: loan.loanId,
    valueDate: booked.valueDate,
    reason: booked.reason,
    transfer: booked.transfer === null ? null : { ...booked.transfer, principalMinor: booked.transfer.principalMinor.toString() },
    ...(buyback === undefined || price === null
      ? {}
      : {
          buyback: {
            sellerLenderId: buyback.sellerLenderId,
            buyerId: buyback.buyerId,
            expectedPriceMinor: buyback.expectedPriceMinor === null ? null : buyback.expectedPriceMinor.toString(),
            price: {
              principalMinor: price.principalMinor.toString(),
              interestMinor: price.interestMinor.toString(),
              penaltyMinor: price.penaltyMinor.toString(),
              premiumMinor: price.premiumMinor.toString(),
              priceMinor: price.priceMinor.toString(),
            },
          },
        }),
    ...(booked.fee === undefined ? {} : { fee: { ruleId: booked.fee.ruleId, period: booked.fee.period, amountMinor: booked.fee.amountMinor.toString() } }),
    bookedAt: booked.bookedAt,
    entryId: booked.entryId,
    generation: booked.generation,
    legs: booked.legs.map((leg) => ({ ...leg, amountMinor: leg.amountMinor.toString() })),
    rebooked: [...rebooked],
    ...(booked.reversal === undefined || booked.reversal === null ? {} : { reversal: { ...booked.reversal } }),
  };
}

/**
 * Decides a repayment or a reversal on the loan's book and writes the decision; a new repayment
 * takes its id's record, which answers its replays.
 */
async function change(
  deps: RepaymentBookDeps,
  loan: Loan,
  newRepaymentId: string | null,
  from: EffectKey,
  decide: (ledger: RepaymentLedger, today: string, now: string) => Promise<RepaymentDecision> | RepaymentDecision,
): Promise<RepaymentChangeResult> {
  return commitLedgerChange<RepaymentChangeResult>(deps, loan, from, async (ledger, today, now) => {
    const decision = await decide(ledger, today, now);
    if (decision.kind === 'REPLAY') return { done: await replay(deps, loan, decision.booked, newRepaymentId !== null) };
    const view = viewOf(loan, decision.booked, decision.rebooked);
    const { booked } = decision;
    return {
      ledger: decision.ledger,
      items: decision.writes,
      entries: decision.entries,
      rebooked: decision.rebooked.length,
      record: newRepaymentId === null ? null : { repaymentId: newRepaymentId, loanId: loan.loanId, valueDate: booked.valueDate, seq: booked.seq, resultJson: toJson(view), createdAt: now },
      result: { status: newRepaymentId === null ? 'REVERSED' : 'BOOKED', repayment: view, entryIds: decision.entries.map((e) => e.entryId) },
    };
  });
}

/** A repayment delivered again answers exactly what its first booking answered. */
async function replay(deps: RepaymentBookDeps, loan: Loan, booked: BookedRepayment, newRepayment: boolean): Promise<RepaymentChangeResult> {
  if (!newRepayment) return { status: 'REPLAYED', repayment: viewOf(loan, booked, []), entryIds: [] };
  const record = await deps.repayments.record(booked.repaymentId);
  const repayment = record === null ? viewOf(loan, booked, []) : (JSON.parse(record.resultJson) as RepaymentView);
  return { status: 'REPLAYED', repayment, entryIds: [] };
}

async function loanOf(deps: RepaymentBookDeps, loanId: string): Promise<Loan> {
  const loan = await deps.loan(loanId);
  if (loan === null) throw new RuleViolation('LOAN_NOT_FOUND', `loan ${loanId} does not exist`, { path: 'loanId', loanId });
  return loan;
}

/** What the API shows of a booked repayment. */
export function viewOf(loan: Loan, booked: BookedRepayment, rebooked: readonly string[]): RepaymentView {
  return {
    repaymentId: booked.repaymentId,
    loanId: loan.loanId,
    currency: loan.currency,
    valueDate: booked.valueDate,
    amountMinor: booked.amountMinor.toString(),
    channel: booked.channel,
    kind: booked.kind,
    bookedAt: booked.bookedAt,
    entryId: booked.entryId,
    generation: booked.generation,
    split: {
      lenders: [...booked.split.perLender].map(([lenderId, parts]) => ({
        lenderId,
        principalMinor: parts.principalMinor.toString(),
        interestMinor: parts.interestMinor.toString(),
        penaltyMinor: parts.penaltyMinor.toString(),
        feeMinor: parts.feeMinor.toString(),
        spreadMinor: parts.spreadMinor.toString(),
      })),
      suspenseMinor: booked.split.suspenseMinor.toString(),
      recovery:
        booked.split.recovery === undefined
          ? null
          : { account: booked.split.recovery.account, parties: [...booked.split.recovery.parts].map(([partyId, amount]) => ({ partyId, amountMinor: amount.toString() })) },
    },
    rebooked: [...rebooked],
    reversal:
      booked.reversal === null
        ? null
        : {
            reversalId: booked.reversal.reversalId,
            reason: booked.reversal.reason,
            comment: booked.reversal.comment,
            reversedAt: booked.reversal.reversedAt,
            entryId: booked.reversal.entryId,
          },
  };
}
