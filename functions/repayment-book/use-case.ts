import { DomainError, InvariantViolation, RuleViolation, StateConflict, invariant } from '../../shared/domain/errors.ts';
import { applyEntries, openPosition, type JournalEntry, type Position } from '../../shared/domain/ledger.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import {
  decideLoanEvent,
  decideRepayment,
  decideReversal,
  endOf,
  replayOf,
  repaymentReplayOf,
  type BookedItem,
  type BookedLoanEvent,
  type EffectKey,
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
  return change(deps, loan, request.repaymentId, endOf(request.valueDate), async (ledger, today, now) => {
    const known = await bookedBefore(deps, loan, request);
    return known ?? decideRepayment(loan, ledger, request, today, now);
  });
}

async function reverse(deps: RepaymentBookDeps, loanId: string, repaymentId: string, request: ReversalRequest): Promise<RepaymentStepResult> {
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

/** A compensation, write-off or transfer, booked through the same change as a repayment. */
export async function bookEvent(deps: RepaymentBookDeps, loanId: string, request: LoanEventRequestBody): Promise<RepaymentStepResult> {
  const loan = await loanOf(deps, loanId);
  return commitLedgerChange<RepaymentStepResult>(deps, loan, endOf(request.valueDate), async (ledger, today, now) => {
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
    const known = await deps.repayments.loanEvent(loan.loanId, event.type, event.eventId);
    const decision = known === null ? decideLoanEvent(loan, ledger, event, today, now) : replayOf(known, event);
    if (decision.kind === 'REPLAY') return { done: { status: 'REPLAYED', event: eventViewOf(loan, decision.booked, []), entryIds: [] } };
    return {
      ledger: decision.ledger,
      items: decision.writes,
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
 * Decides a repayment or a reversal on the loan's book and writes the decision; a new repayment
 * takes its id's record, which answers its replays.
 */
async function change(
  deps: RepaymentBookDeps,
  loan: Loan,
  newRepaymentId: string | null,
  from: EffectKey,
  decide: (ledger: RepaymentLedger, today: string, now: string) => Promise<RepaymentDecision> | RepaymentDecision,
): Promise<RepaymentStepResult> {
  return commitLedgerChange<RepaymentStepResult>(deps, loan, from, async (ledger, today, now) => {
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

/** A change of a loan's book, decided on the book as read: done already, or to be written. */
export type PlannedChange<R> =
  | { readonly done: R }
  | {
      readonly ledger: RepaymentLedger;
      readonly items: readonly BookedItem[];
      readonly entries: readonly JournalEntry[];
      readonly rebooked: number;
      readonly record: RepaymentRecord | null;
      readonly result: R;
      readonly programPool?: RepaymentWrite['programPool'];
    };

/**
 * The one way a loan's book changes (repayments, reversals, compensations, write-offs, transfers,
 * risk): read the head, the positions and the window of events from where the change takes
 * effect, plan, and write the head, the events, the entries, the positions they change and the
 * record in one transaction conditioned on the head's version; a plan that lost the race is made
 * again on the new head.
 */
export async function commitLedgerChange<R>(
  deps: Pick<RepaymentBookDeps, 'repayments' | 'clock'>,
  loan: Loan,
  from: EffectKey,
  plan: (ledger: RepaymentLedger, today: string, now: string) => Promise<PlannedChange<R>> | PlannedChange<R>,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const { ledger, positions } = await deps.repayments.load(loan.loanId, from);
    const now = deps.clock.now();
    const planned = await plan(ledger, localDate(now, loan.terms.settlement.calendar), now);
    if ('done' in planned) return planned.done;
    const changed = positionsAfter(loan, positions, planned.entries);
    const opened = changed.filter((p) => p.expectedVersion === 0).length;
    const items = 1 + planned.items.length + planned.entries.length + opened + (planned.record === null ? 0 : 1) + (planned.programPool === undefined ? 0 : 1);
    if (items > MAX_TRANSACTION_ITEMS) {
      throw new RuleViolation('TOO_MANY_REBOOKINGS', `this change would restate ${planned.items.length - 1} later events of loan ${loan.loanId} in one step`, {
        path: 'valueDate',
        rebooked: planned.rebooked,
        restated: planned.items.length - 1,
      });
    }
    try {
      await deps.repayments.write({
        ledger: planned.ledger,
        items: planned.items,
        entries: planned.entries,
        positions: changed,
        record: planned.record,
        ...(planned.programPool === undefined ? {} : { programPool: planned.programPool }),
      });
      return planned.result;
    } catch (error) {
      if (!(error instanceof WriteConflict)) throw error;
      if (error.reason !== 'BUSY' && !['repayment-ledger', 'repayment-record', 'position', 'program-pool'].includes(error.entity)) throw error;
      if (attempt >= REPAYMENT_ATTEMPTS) throw new WriteConflict('BUSY', 'repayment-ledger');
      // Full jitter, growing with each loss: writers that collided spread out instead of colliding again.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * Math.min(160, 10 * 2 ** Math.min(attempt, 5)))));
    }
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
 * Every position of the loan after the entries (they live on the loan's head, written whole),
 * each with the version it had; a lender new to the loan has version 0. The entries are written
 * together, so each position is checked after all of them (`applyEntries`).
 */
export function positionsAfter(loan: Loan, positions: readonly Position[], entries: readonly JournalEntry[]): { position: Position; expectedVersion: number }[] {
  const byLender = new Map(positions.map((p) => [p.lenderId, p]));
  const touched = new Map<string, JournalEntry[]>();
  for (const entry of entries) {
    for (const lenderId of new Set(entry.legs.map((l) => l.lenderId))) touched.set(lenderId, [...(touched.get(lenderId) ?? []), entry]);
  }
  const lenderIds = [...new Set([...byLender.keys(), ...touched.keys()])].sort();
  return lenderIds.map((lenderId) => {
    const current = byLender.get(lenderId) ?? openPosition(lenderId, loan.loanId, loan.currency);
    const own = touched.get(lenderId);
    return { position: own === undefined ? current : applyEntries(current, own), expectedVersion: current.version };
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
