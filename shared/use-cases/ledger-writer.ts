import { businessDateAt, cutoffDayAt } from '../domain/business-date.ts';
import { RuleViolation, StateConflict } from '../domain/errors.ts';
import { outstandingMoveOf } from '../domain/exposure.ts';
import { applyEntries, openPosition, type JournalEntry, type Position } from '../domain/ledger.ts';
import type { Loan } from '../domain/loan.ts';
import { MAX_TRANSACTION_ITEMS } from '../domain/transaction-size.ts';
import { REGULATORY_PROFILES } from '../domain/regulatory-profile.ts';
import type { BookedItem, EffectKey, RepaymentLedger } from '../domain/repayment-booking.ts';
import { WriteConflict, type Clock, type KeyReservation, type ProgramPool, type ProgramPoolStore, type RepaymentRecord, type RepaymentStore, type RepaymentWrite } from '../ports/stores.ts';

/**
 * The one way a loan's book changes, for every function that changes it (repayments, reversals,
 * compensations, write-offs, transfers, risk): the head read, the change planned, and the head,
 * events, entries, positions, record and program pool written in one transaction conditioned on
 * the head's version. docs/repayment-booking.md.
 */

/**
 * How often a change is decided again after another change of the same loan landed first. Every
 * loss means another write landed, so this bounds the retries by the writers of one loan at once.
 */
export const REPAYMENT_ATTEMPTS = 200;



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
 * again on the new head. An API request's Idempotency-Key (`keyReservation`) is reserved in the
 * same transaction.
 */
export async function commitLedgerChange<R>(
  deps: { readonly repayments: RepaymentStore; readonly clock: Clock; readonly keyReservation?: KeyReservation },
  loan: Loan,
  from: EffectKey,
  plan: (ledger: RepaymentLedger, today: string, now: string) => Promise<PlannedChange<R>> | PlannedChange<R>,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const { ledger, positions } = await deps.repayments.load(loan.loanId, from);
    const now = deps.clock.now();
    const planned = await plan(ledger, businessDateAt(now, loan.terms.settlement.calendar), now);
    if ('done' in planned) return planned.done;
    // Every entry of the change is settled in the settlement day it is booked in, on the loan's program's terms.
    const settledAs = { bookedOn: cutoffDayAt(now, loan.terms.settlement), programId: loan.programId, programVersion: loan.programVersion };
    const entries = planned.entries.map((entry) => (entry.bookedOn === undefined ? { ...entry, ...settledAs } : entry));
    const changed = positionsAfter(loan, positions, entries);
    const opened = changed.filter((p) => p.expectedVersion === 0).length;
    // The limits are measured on outstanding principal: what the change moves is added to it in the same write.
    const outstanding = outstandingMoveOf(loan, entries);
    const measures = outstanding.lenders.length + (outstanding.borrower === null ? 0 : 1);
    // The head, the events, the entries, new positions, the record, the pool, the outstanding measures and the request's key reservation.
    const items =
      1 + planned.items.length + entries.length + opened + (planned.record === null ? 0 : 1) + (planned.programPool === undefined ? 0 : 1) + measures + (deps.keyReservation === undefined ? 0 : 1);
    if (items > MAX_TRANSACTION_ITEMS) {
      throw new RuleViolation('TOO_MANY_REBOOKINGS', `this change would restate ${planned.items.length - 1} later events of loan ${loan.loanId} in one step`, {
        path: 'valueDate',
        rebooked: planned.rebooked,
        restated: planned.items.length - 1,
      });
    }
    // An API request's Idempotency-Key is reserved in the change's own transaction: a change that fails, or is refused after, leaves none (docs/architecture.md#requests).
    const reservation = deps.keyReservation?.inTransaction();
    try {
      await deps.repayments.write({
        ledger: planned.ledger,
        items: planned.items,
        entries,
        positions: changed,
        record: planned.record,
        ...(planned.programPool === undefined ? {} : { programPool: planned.programPool }),
        outstanding,
        ...(reservation === undefined ? {} : { reservation }),
      });
      return planned.result;
    } catch (error) {
      if (!(error instanceof WriteConflict)) throw error;
      if (error.reason !== 'BUSY' && !['repayment-ledger', 'repayment-record', 'position', 'program-pool'].includes(error.entity)) throw error;
      if (attempt >= REPAYMENT_ATTEMPTS) {
        throw new StateConflict('LOAN_BUSY', `loan ${loan.loanId} changed ${REPAYMENT_ATTEMPTS} times while this change was decided; deliver it again`, {
          path: 'loanId',
          loanId: loan.loanId,
          attempts: REPAYMENT_ATTEMPTS,
        });
      }
      // Full jitter, growing with each loss: writers that collided spread out instead of colliding again.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * Math.min(160, 10 * 2 ** Math.min(attempt, 5)))));
    }
  }
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
