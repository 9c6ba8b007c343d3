import {
  adjustmentEntry,
  adjustmentVisibleTo,
  approveAdjustment,
  approvedAs,
  checkBreak,
  checkParties,
  isSameProposal,
  proposeAdjustment,
  rejectAdjustment,
  type Adjustment,
  type AdjustmentProposal,
  type AdjustmentState,
} from '../domain/adjustment.ts';
import { restrictedTo, type Principal } from '../domain/access.ts';
import { cutoffDayAt } from '../domain/business-date.ts';
import { NotFound, RuleViolation, StateConflict, invariant } from '../domain/errors.ts';
import type { Loan } from '../domain/loan.ts';
import { resolveByAdjustment } from '../domain/reconciliation-break.ts';
import { HEAD_ONLY } from '../domain/repayment-booking.ts';
import { OPTIMISTIC_ATTEMPTS, WriteConflict, type AdjustmentStore, type BreakStore, type Clock, type LedgerStore, type Page, type RepaymentStore, type KeyReservation } from '../ports/stores.ts';
import { changeBreak } from './break-actions.ts';
import { commitLedgerChange } from './ledger-writer.ts';

/**
 * Adjustments with maker-checker (docs/reconciliation.md, Adjustments): proposed by one finance
 * user, approved by another, booked once through the ledger writer as `ADJUSTMENT#{adjustmentId}`
 * in the settlement day of the approval, then the break it names is resolved.
 */

export interface AdjustmentDeps {
  readonly adjustments: AdjustmentStore;
  readonly breaks: Pick<BreakStore, 'get' | 'put'>;
  readonly loan: (loanId: string) => Promise<Loan | null>;
  readonly repayments: RepaymentStore;
  readonly ledger: Pick<LedgerStore, 'loanLedger'>;
  readonly clock: Clock;
  /** An API request's Idempotency-Key, reserved right before a proposal is written. */
  readonly keyReservation?: KeyReservation;
}

/** A proposal: the adjustment as stored, and whether this call created it (false: the same proposal again). */
export interface Proposed {
  readonly created: boolean;
  readonly adjustment: Adjustment;
}

/**
 * The maker proposes. The loan must exist and both parties hold or have held a part of it; a named
 * break must be open, in the currency, and concern one of the parties; a component the loan's
 * account holds (principal, a claim, a loss) is refused. The same adjustment id with the same proposal by the
 * same maker answers the stored one; with anything else it is refused.
 */
export async function proposeAdjustmentOf(deps: AdjustmentDeps, proposal: AdjustmentProposal, maker: string): Promise<Proposed> {
  const adjustment = proposeAdjustment(proposal, maker, deps.clock.now());
  const known = await deps.adjustments.get(proposal.adjustmentId);
  if (known !== null) return replayed(known, proposal, maker);
  const loan = await deps.loan(proposal.loanId);
  if (loan === null) throw new RuleViolation('LOAN_NOT_FOUND', `loan ${proposal.loanId} does not exist`, { path: 'loanId', loanId: proposal.loanId });
  const { positions } = await deps.repayments.load(loan.loanId, HEAD_ONLY);
  checkParties(proposal, loan, new Set(positions.map((p) => p.lenderId)));
  if (proposal.breakId !== null) checkBreak(proposal, await breakOf(deps, proposal.breakId));
  await deps.keyReservation?.take();
  try {
    await deps.adjustments.create(adjustment);
  } catch (error) {
    if (!(error instanceof WriteConflict && error.reason === 'ALREADY_EXISTS')) throw error;
    const winner = await deps.adjustments.get(proposal.adjustmentId);
    invariant(winner !== null, 'an adjustment id taken is stored', { adjustmentId: proposal.adjustmentId });
    return replayed(winner, proposal, maker);
  }
  return { created: true, adjustment };
}

function replayed(known: Adjustment, proposal: AdjustmentProposal, maker: string): Proposed {
  if (!isSameProposal(known, proposal, maker)) {
    throw new StateConflict('ADJUSTMENT_ID_REUSED', `adjustment ${proposal.adjustmentId} was proposed with other content`, { path: 'adjustmentId', adjustmentId: proposal.adjustmentId });
  }
  return { created: false, adjustment: known };
}

async function breakOf(deps: Pick<AdjustmentDeps, 'breaks'>, breakId: string) {
  const found = await deps.breaks.get(breakId);
  if (found === null) throw new RuleViolation('BREAK_NOT_FOUND', `break ${breakId} does not exist`, { path: 'breakId', breakId });
  return found;
}

/**
 * A checker approves: never the maker. The approval is recorded on the adjustment (still PROPOSED,
 * so no rejection can come between), the entry booked once (its id is the adjustment's), the
 * adjustment then APPROVED and its break RESOLVED. Approving an approved adjustment answers the
 * stored approval; approving one whose approval was recorded but not finished (a crash) finishes it.
 */
export async function approveAdjustmentOf(deps: AdjustmentDeps, adjustmentId: string, checker: string, reason: string): Promise<Adjustment> {
  for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
    const current = await adjustmentOf(deps, adjustmentId);
    const step = approveAdjustment(current, checker, deps.clock.now(), reason);
    if (step.kind === 'APPROVED') {
      await resolveBreak(deps, step.adjustment);
      return step.adjustment;
    }
    let approving = step.adjustment;
    if (step.recorded) {
      if (approving.breakId !== null) checkBreak(approving, await breakOf(deps, approving.breakId));
      if (!(await written(deps, approving, current.version))) continue;
    }
    const bookedOn = await book(deps, approving);
    const approved = approvedAs(approving, bookedOn);
    if (!(await written(deps, approved, approving.version))) continue;
    approving = approved;
    await resolveBreak(deps, approving);
    return approving;
  }
  throw new WriteConflict('BUSY', 'adjustment');
}

/** A rejection (by a checker) or a withdrawal (by the maker); nothing is booked. A rejected adjustment answers as it is. */
export async function rejectAdjustmentOf(deps: AdjustmentDeps, adjustmentId: string, by: string, reason: string): Promise<Adjustment> {
  for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
    const current = await adjustmentOf(deps, adjustmentId);
    const next = rejectAdjustment(current, by, deps.clock.now(), reason);
    if (next === current || (await written(deps, next, current.version))) return next;
  }
  throw new WriteConflict('BUSY', 'adjustment');
}

async function adjustmentOf(deps: Pick<AdjustmentDeps, 'adjustments'>, adjustmentId: string): Promise<Adjustment> {
  const found = await deps.adjustments.get(adjustmentId);
  if (found === null) throw new NotFound('adjustment', adjustmentId);
  return found;
}

/** Writes on the version read; false when another write came first (the caller decides again). */
async function written(deps: Pick<AdjustmentDeps, 'adjustments'>, changed: Adjustment, expectedVersion: number): Promise<boolean> {
  try {
    await deps.adjustments.put(changed, expectedVersion);
    return true;
  } catch (error) {
    if (error instanceof WriteConflict && error.reason === 'VERSION') return false;
    throw error;
  }
}

/**
 * Books the adjustment's entry through the ledger writer (at the head of the loan's book, after every
 * event), once: an entry already booked (a crash after booking, or another checker's call) is found
 * and its settlement day answered.
 */
async function book(deps: AdjustmentDeps, adjustment: Adjustment): Promise<string> {
  const loan = await deps.loan(adjustment.loanId);
  invariant(loan !== null, 'an adjustment belongs to a booked loan', { adjustmentId: adjustment.adjustmentId, loanId: adjustment.loanId });
  const entryId = adjustment.approval?.entryId;
  try {
    return await commitLedgerChange(deps, loan, HEAD_ONLY, async (ledger, today, now) => {
      const entry = adjustmentEntry(adjustment, loan, today, now);
      return { ledger: { ...ledger, version: ledger.version + 1 }, items: [], entries: [entry], rebooked: 0, record: null, result: cutoffDayAt(now, loan.terms.settlement) };
    });
  } catch (error) {
    if (!(error instanceof WriteConflict && error.entity === 'entry')) throw error;
    const booked = (await deps.ledger.loanLedger(loan.loanId)).entries.find((e) => e.entryId === entryId);
    invariant(booked?.bookedOn !== undefined, 'a booked adjustment entry carries its settlement day', { entryId: entryId ?? null });
    return booked.bookedOn;
  }
}

/** The break an approved adjustment names becomes RESOLVED, naming it; one resolved already, or accepted meanwhile, stays as it is. */
async function resolveBreak(deps: Pick<AdjustmentDeps, 'breaks'>, adjustment: Adjustment): Promise<void> {
  const approval = adjustment.approval;
  if (adjustment.breakId === null || approval === null) return;
  await changeBreak(deps, adjustment.breakId, (current) =>
    current.state === 'ACCEPTED' ? current : resolveByAdjustment(current, adjustment.adjustmentId, approval.by, approval.at, approval.reason),
  );
}

/** One adjustment; a caller restricted to a lender sees it only when its lender is one of the two parties. */
export async function adjustmentFor(deps: Pick<AdjustmentDeps, 'adjustments'>, principal: Principal, adjustmentId: string): Promise<Adjustment> {
  const found = await deps.adjustments.get(adjustmentId);
  if (found === null || !adjustmentVisibleTo(found, restrictedTo(principal))) throw new NotFound('adjustment', adjustmentId);
  return found;
}

/** The adjustments in a state, oldest proposal first, a page at a time; a restricted caller sees its own lender's. */
export function adjustmentsFor(
  deps: Pick<AdjustmentDeps, 'adjustments'>,
  principal: Principal,
  query: { readonly state: AdjustmentState; readonly limit: number; readonly cursor?: string },
): Promise<Page<Adjustment>> {
  return deps.adjustments.list({ ...query, lenderId: restrictedTo(principal) });
}
