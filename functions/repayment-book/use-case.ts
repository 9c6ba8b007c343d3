import { DomainError, InvariantViolation, RuleViolation, StateConflict } from '../../shared/domain/errors.ts';
import { applyEntries, openPosition, type JournalEntry, type Position } from '../../shared/domain/ledger.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import {
  decideLoanEvent,
  decideRepayment,
  decideReversal,
  type BookedLoanEvent,
  type LoanEventRequest,
  type BookedRepayment,
  type RepaymentDecision,
  type RepaymentLedger,
  type RepaymentRequest,
  type ReversalRequest,
} from '../../shared/domain/repayment-booking.ts';
import { toErrorResponse } from '../../shared/http/errors.ts';
import { toJson } from '../../shared/json.ts';
import { WriteConflict, type Clock, type ProgramPool, type ProgramPoolStore, type RepaymentRecord, type RepaymentStore, type RepaymentWrite } from '../../shared/ports/stores.ts';
import { REGULATORY_PROFILES } from '../../shared/domain/regulatory-profile.ts';
import type { LoanEventRequestBody, LoanEventView, RepaymentStepInput, RepaymentStepResult, RepaymentView } from './schema.ts';

export interface RepaymentBookDeps {
  readonly loan: (loanId: string) => Promise<Loan | null>;
  readonly repayments: RepaymentStore;
  readonly programPools: Pick<ProgramPoolStore, 'get'>;
  readonly clock: Clock;
}

/**
 * How often a change is decided again after another change of the same loan landed first. Every
 * loss means another write landed, so this bounds the retries by the writers of one loan at once.
 */
const REPAYMENT_ATTEMPTS = 200;

/** A transaction holds at most 100 items; the ledger, a record and the positions take their share. */
const MAX_TRANSACTION_ITEMS = 100;

/** The time zone of each settlement calendar: a value date is "in the future" by its local date. */
const CALENDAR_ZONES: Readonly<Record<string, string>> = { CN: 'Asia/Shanghai', IN: 'Asia/Kolkata' };

/** `SplitAndBook`: books a repayment or a reversal; domain refusals are answers, not failures. */
export async function splitAndBook(deps: RepaymentBookDeps, input: RepaymentStepInput): Promise<RepaymentStepResult> {
  try {
    if (input.action === 'BOOK') return await book(deps, input.repayment);
    if (input.action === 'REVERSE') return await reverse(deps, input.loanId, input.repaymentId, input.reversal);
    return await bookEvent(deps, input.loanId, input.event);
  } catch (error) {
    if (error instanceof DomainError && !(error instanceof InvariantViolation)) {
      return { status: 'REFUSED', statusCode: toErrorResponse(error).statusCode, error: { code: error.code, message: error.message, details: error.details } };
    }
    throw error;
  }
}

async function book(deps: RepaymentBookDeps, request: RepaymentRequest): Promise<RepaymentStepResult> {
  const loan = await loanOf(deps, request.loanId);
  return change(deps, loan, request.repaymentId, (ledger, today, now) => decideRepayment(loan, ledger, request, today, now), true);
}

async function reverse(deps: RepaymentBookDeps, loanId: string, repaymentId: string, request: ReversalRequest): Promise<RepaymentStepResult> {
  const loan = await loanOf(deps, loanId);
  return change(deps, loan, repaymentId, (ledger, today, now) => decideReversal(loan, ledger, repaymentId, request, today, now), false);
}

/** A compensation, write-off or transfer, booked through the same change as a repayment. */
export async function bookEvent(deps: RepaymentBookDeps, loanId: string, request: LoanEventRequestBody): Promise<RepaymentStepResult> {
  const loan = await loanOf(deps, loanId);
  return commitLedgerChange<RepaymentStepResult>(deps, loan, async (ledger, today, now) => {
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
    };
    const decision = decideLoanEvent(loan, ledger, event, today, now);
    if (decision.kind === 'REPLAY') return { done: { status: 'REPLAYED', event: eventViewOf(loan, decision.booked, []), entryIds: [] } };
    return {
      ledger: decision.ledger,
      entries: decision.entries,
      rebooked: decision.rebooked.length,
      record: null,
      result: { status: 'BOOKED', event: eventViewOf(loan, decision.booked, decision.rebooked), entryIds: decision.entries.map((e) => e.entryId) },
      ...poolUse(firstLoss?.kind === 'CAPPED' ? firstLoss.pool : null, decision.leadFirstLossMinor),
    };
  });
}

/** What a capped program pool leaves for a loan: nothing to cap, room under the cap, or not measured yet. */
export type PoolRoom = { readonly kind: 'UNCAPPED' } | { readonly kind: 'CAPPED'; readonly pool: ProgramPool; readonly roomMinor: bigint } | { readonly kind: 'UNKNOWN' };

function roomOf(pool: ProgramPool | null, capBps: number): PoolRoom {
  if (pool === null) return { kind: 'UNKNOWN' };
  const left = (pool.baseMinor * BigInt(capBps)) / 10_000n - pool.usedMinor;
  return { kind: 'CAPPED', pool, roomMinor: left > 0n ? left : 0n };
}

/** LEAD_FIRST_LOSS: the room the lead's cap (a share of the program's disbursed principal) leaves. */
export async function firstLossRoom(pools: Pick<ProgramPoolStore, 'get'>, loan: Loan): Promise<PoolRoom> {
  const { method, leadFirstLossCapBps } = loan.terms.lossSharing;
  if (method !== 'LEAD_FIRST_LOSS') return { kind: 'UNCAPPED' };
  return roomOf(await pools.get(loan.programId, 'FIRST_LOSS'), leadFirstLossCapBps ?? 0);
}

/** A profile that caps the default-loss guarantee (IN-2025): the room its cap (a share of loans outstanding) leaves. */
export async function guaranteeRoom(pools: Pick<ProgramPoolStore, 'get'>, loan: Loan): Promise<PoolRoom> {
  const capBps = REGULATORY_PROFILES[loan.terms.regulatoryProfile].maxDefaultLossGuaranteeBps;
  if (capBps === null) return { kind: 'UNCAPPED' };
  return roomOf(await pools.get(loan.programId, 'GUARANTEE'), capBps);
}

/** The pool written with the change when the change used some of it, at the version read. */
export function poolUse(pool: ProgramPool | null, usedMinor: bigint): { programPool?: RepaymentWrite['programPool'] } {
  if (pool === null || usedMinor === 0n) return {};
  return { programPool: { pool: { ...pool, usedMinor: pool.usedMinor + usedMinor, version: pool.version + 1 }, expectedVersion: pool.version } };
}

/** What the API shows of a compensation, write-off or transfer. */
export function eventViewOf(loan: Loan, booked: BookedLoanEvent, rebooked: readonly string[]): LoanEventView {
  return {
    type: booked.type,
    eventId: booked.eventId,
    loanId: loan.loanId,
    valueDate: booked.valueDate,
    reason: booked.reason,
    transfer: booked.transfer === null ? null : { ...booked.transfer, principalMinor: booked.transfer.principalMinor.toString() },
    bookedAt: booked.bookedAt,
    entryId: booked.entryId,
    generation: booked.generation,
    legs: booked.legs.map((leg) => ({ ...leg, amountMinor: leg.amountMinor.toString() })),
    rebooked: [...rebooked],
  };
}

/**
 * Reads the loan's repayments, decides, and writes the decision in one transaction conditioned on
 * the ledger's version; a change that lost the race is decided again on the new ledger.
 */
async function change(
  deps: RepaymentBookDeps,
  loan: Loan,
  repaymentId: string,
  decide: (ledger: RepaymentLedger, today: string, now: string) => RepaymentDecision,
  newRepayment: boolean,
): Promise<RepaymentStepResult> {
  return commitLedgerChange<RepaymentStepResult>(
    deps,
    loan,
    async (ledger, today, now) => {
      const decision = decide(ledger, today, now);
      if (decision.kind === 'REPLAY') return { done: await replay(deps, loan, decision.booked, newRepayment) };
      const view = viewOf(loan, decision.booked, decision.rebooked);
      return {
        ledger: decision.ledger,
        entries: decision.entries,
        rebooked: decision.rebooked.length,
        record: newRepayment ? { repaymentId, loanId: loan.loanId, resultJson: toJson(view), createdAt: now } : null,
        result: { status: newRepayment ? 'BOOKED' : 'REVERSED', repayment: view, entryIds: decision.entries.map((e) => e.entryId) },
      };
    },
    () => refuseReuseOnOtherLoan(deps, loan, repaymentId),
  );
}

/** A change of a loan's ledger, decided on the ledger as read: done already, or to be written. */
export type PlannedChange<R> =
  | { readonly done: R }
  | {
      readonly ledger: RepaymentLedger;
      readonly entries: readonly JournalEntry[];
      readonly rebooked: number;
      readonly record: RepaymentRecord | null;
      readonly result: R;
      readonly programPool?: RepaymentWrite['programPool'];
    };

/**
 * The one way a loan's ledger changes (repayments, reversals, compensations, write-offs,
 * transfers, risk): read the ledger and positions, plan, write the ledger, the entries, the
 * positions they change and the record in one transaction conditioned on the ledger's version;
 * a plan that lost the race is made again on the new ledger.
 */
export async function commitLedgerChange<R>(
  deps: Pick<RepaymentBookDeps, 'repayments' | 'clock'>,
  loan: Loan,
  plan: (ledger: RepaymentLedger, today: string, now: string) => Promise<PlannedChange<R>> | PlannedChange<R>,
  onRecordTaken: () => Promise<void> = async () => undefined,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const { ledger, positions } = await deps.repayments.load(loan.loanId);
    const now = deps.clock.now();
    const planned = await plan(ledger, localDate(now, loan.terms.settlement.calendar), now);
    if ('done' in planned) return planned.done;
    const changed = positionsAfter(loan, positions, planned.entries);
    const items = 1 + planned.entries.length + changed.length + (planned.record === null ? 0 : 1);
    if (items > MAX_TRANSACTION_ITEMS) {
      throw new RuleViolation('TOO_MANY_REBOOKINGS', `this change would rebook ${planned.rebooked} entries of loan ${loan.loanId} in one step`, {
        path: 'valueDate',
        rebooked: planned.rebooked,
      });
    }
    try {
      await deps.repayments.write({
        ledger: planned.ledger,
        entries: planned.entries,
        positions: changed,
        record: planned.record,
        ...(planned.programPool === undefined ? {} : { programPool: planned.programPool }),
      });
      return planned.result;
    } catch (error) {
      if (!(error instanceof WriteConflict)) throw error;
      if (error.entity === 'repayment-record') await onRecordTaken();
      else if (error.reason !== 'BUSY' && !['repayment-ledger', 'position', 'program-pool'].includes(error.entity)) throw error;
      if (attempt >= REPAYMENT_ATTEMPTS) throw new WriteConflict('BUSY', 'repayment-ledger');
      // Full jitter, growing with each loss: writers that collided spread out instead of colliding again.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * Math.min(160, 10 * 2 ** Math.min(attempt, 5)))));
    }
  }
}

async function refuseReuseOnOtherLoan(deps: RepaymentBookDeps, loan: Loan, repaymentId: string): Promise<void> {
  const record = await deps.repayments.record(repaymentId);
  if (record !== null && record.loanId !== loan.loanId) {
    throw new StateConflict('REPAYMENT_ID_REUSED', `repayment ${repaymentId} was booked on loan ${record.loanId}`, {
      path: 'repaymentId',
      repaymentId,
    });
  }
}

/** A repayment delivered again answers exactly what its first booking answered. */
async function replay(deps: RepaymentBookDeps, loan: Loan, booked: BookedRepayment, newRepayment: boolean): Promise<RepaymentStepResult> {
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

/**
 * Each position an entry touches, after the entries, with the version it must still have. The
 * entries are written together, so each position is checked after all of them (`applyEntries`).
 */
export function positionsAfter(loan: Loan, positions: readonly Position[], entries: readonly JournalEntry[]): { position: Position; expectedVersion: number }[] {
  const byLender = new Map(positions.map((p) => [p.lenderId, p]));
  const touched = new Map<string, JournalEntry[]>();
  for (const entry of entries) {
    for (const lenderId of new Set(entry.legs.map((l) => l.lenderId))) touched.set(lenderId, [...(touched.get(lenderId) ?? []), entry]);
  }
  return [...touched].map(([lenderId, own]) => {
    const current = byLender.get(lenderId) ?? openPosition(lenderId, loan.loanId, loan.currency);
    return { position: applyEntries(current, own), expectedVersion: current.version };
  });
}

/** The date at `now` where the program settles. */
export function localDate(now: string, calendar: string): string {
  const zone = CALENDAR_ZONES[calendar] ?? 'UTC';
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(now));
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
