import { RuleViolation, StateConflict, ValidationError, invariant } from './errors.ts';
import { assertBalanced, entryIdOf, ESCROW, type Account, type JournalEntry, type Leg, type SettlementComponent } from './ledger.ts';
import { OPEN_BREAK_STATES, type ReconciliationBreak } from './reconciliation-break.ts';

/**
 * Adjustments with maker-checker (docs/reconciliation.md, Adjustments): money moved between a
 * lender and a counterparty (another lender of the loan, or ESCROW, the collection account) for
 * one component, proposed by one finance user and approved by another, then booked once as the
 * journal entry `ADJUSTMENT#{adjustmentId}` that the next settlement run carries. Pure.
 */

export const ADJUSTMENT_STATES = ['PROPOSED', 'APPROVED', 'REJECTED'] as const;
export type AdjustmentState = (typeof ADJUSTMENT_STATES)[number];

/** Who owes whom: the counterparty owes the lender, or the lender owes the counterparty. */
export const ADJUSTMENT_DIRECTIONS = ['COUNTERPARTY_OWES_LENDER', 'LENDER_OWES_COUNTERPARTY'] as const;
export type AdjustmentDirection = (typeof ADJUSTMENT_DIRECTIONS)[number];

/** The largest adjustment: 10,000,000,000.00 in major units; anything above is a typing slip. */
export const MAX_ADJUSTMENT_MINOR = 1_000_000_000_000n;

/**
 * The account of a book that a component's money moves against: the other leg of the clearing leg.
 * The book owed the money credits it (its claim or income shrinks as the money comes in); the book
 * that owes debits it.
 */
export const ACCOUNT_OF_COMPONENT: Readonly<Record<SettlementComponent, Account>> = {
  PRINCIPAL: 'PRINCIPAL_RECEIVABLE',
  INTEREST: 'INTEREST_INCOME',
  PENALTY: 'PENALTY_INCOME',
  FEE: 'FEE_INCOME',
  SUSPENSE: 'SUSPENSE',
  GUARANTEE: 'GUARANTEE_RECEIVABLE',
  LOSS: 'LOSSES',
};

/** The components an adjustment moves: income and suspense, which no later event of the loan reads from the books. */
export const ADJUSTABLE_COMPONENTS: readonly SettlementComponent[] = ['INTEREST', 'PENALTY', 'FEE', 'SUSPENSE'];

/** What the maker proposes. */
export interface AdjustmentProposal {
  readonly adjustmentId: string;
  /** The break the adjustment resolves once approved; null for an adjustment of its own. */
  readonly breakId: string | null;
  readonly loanId: string;
  readonly lenderId: string;
  /** Another lender of the loan, or ESCROW. */
  readonly counterparty: string;
  readonly currency: string;
  readonly component: SettlementComponent;
  readonly direction: AdjustmentDirection;
  readonly amountMinor: bigint;
  readonly reason: string;
}

/** A decision on an adjustment: who, when, why. */
export interface AdjustmentDecision {
  readonly by: string;
  readonly at: string;
  readonly reason: string;
}

export interface AdjustmentApproval extends AdjustmentDecision {
  readonly entryId: string;
  /** The settlement day the entry was booked in; null while the approval is being booked. */
  readonly bookedOn: string | null;
}

export interface AdjustmentRejection extends AdjustmentDecision {
  /** The maker withdrew it (rather than a checker rejecting it). */
  readonly withdrawn: boolean;
}

/**
 * An adjustment as stored. An approval is recorded first, with the adjustment still PROPOSED (no
 * rejection can then come between), booked, and only then is the adjustment APPROVED: a crash
 * anywhere between is finished by approving again.
 */
export interface Adjustment extends AdjustmentProposal {
  readonly state: AdjustmentState;
  readonly proposedBy: string;
  readonly proposedAt: string;
  readonly approval: AdjustmentApproval | null;
  readonly rejection: AdjustmentRejection | null;
  readonly version: number;
}

const reasonOf = (reason: string, what: string): string => {
  const trimmed = reason.trim();
  if (trimmed === '') throw new ValidationError(`${what} needs a reason`, { path: 'reason', rule: 'required' });
  return trimmed;
};

/**
 * The components the loan's account holds: who holds the principal, the guarantor's claim and each
 * party's loss are what later repayments are split and recovered by, so they change only by the
 * loan's own events, never by an adjustment of the books beside it.
 */
const LOAN_ACCOUNT_COMPONENTS: Readonly<Partial<Record<SettlementComponent, string>>> = {
  PRINCIPAL: 'a share transfer (POST /v1/loans/{loanId}/transfers) or a buyback moves principal between lenders; a repayment booked wrong is reversed and booked again',
  GUARANTEE: "the guarantor's claim is its compensation's and is recovered by the loan's repayments",
  LOSS: "each party's loss is its write-off's and is recovered by the loan's repayments",
};

/** Refuses a component the loan's account holds, naming the way that component does change. */
function checkAdjustable(component: SettlementComponent): void {
  const ofTheLoan = LOAN_ACCOUNT_COMPONENTS[component];
  if (ofTheLoan === undefined) return;
  throw new RuleViolation('ADJUSTMENT_OF_LOAN_ACCOUNT', `${component} is held by the loan's account, not adjusted beside it: ${ofTheLoan}`, {
    path: 'component',
    component,
    adjustable: ADJUSTABLE_COMPONENTS,
  });
}

/** A new adjustment, PROPOSED by its maker; refuses what breaks a rule of its own fields. */
export function proposeAdjustment(proposal: AdjustmentProposal, by: string, at: string): Adjustment {
  checkAdjustable(proposal.component);
  if (proposal.counterparty === proposal.lenderId) {
    throw new ValidationError('the counterparty must be another party than the lender', { path: 'counterparty', rule: 'other-party', lenderId: proposal.lenderId });
  }
  if (proposal.amountMinor <= 0n || proposal.amountMinor > MAX_ADJUSTMENT_MINOR) {
    throw new ValidationError(`amountMinor must be above 0 and at most ${MAX_ADJUSTMENT_MINOR}`, {
      path: 'amountMinor',
      rule: 'range',
      amountMinor: proposal.amountMinor.toString(),
      maxMinor: MAX_ADJUSTMENT_MINOR.toString(),
    });
  }
  const reason = reasonOf(proposal.reason, 'an adjustment');
  return { ...proposal, reason, state: 'PROPOSED', proposedBy: by, proposedAt: at, approval: null, rejection: null, version: 1 };
}

/** The same adjustment id proposed again: the same proposal by the same maker is a replay. */
export function isSameProposal(stored: Adjustment, proposal: AdjustmentProposal, by: string): boolean {
  return (
    stored.proposedBy === by &&
    stored.breakId === proposal.breakId &&
    stored.loanId === proposal.loanId &&
    stored.lenderId === proposal.lenderId &&
    stored.counterparty === proposal.counterparty &&
    stored.currency === proposal.currency &&
    stored.component === proposal.component &&
    stored.direction === proposal.direction &&
    stored.amountMinor === proposal.amountMinor &&
    stored.reason === proposal.reason.trim()
  );
}

/**
 * The parties and currency fit the loan: its currency, and both parties (the counterparty unless it
 * is ESCROW) hold or have held a part of it (a position in the loan).
 */
export function checkParties(proposal: AdjustmentProposal, loan: { readonly loanId: string; readonly currency: string }, holders: ReadonlySet<string>): void {
  if (proposal.currency !== loan.currency) {
    throw new RuleViolation('CURRENCY_MISMATCH', `loan ${loan.loanId} is in ${loan.currency}, not ${proposal.currency}`, { path: 'currency', loanCurrency: loan.currency });
  }
  if (!holders.has(proposal.lenderId)) {
    throw new RuleViolation('NOT_A_HOLDER', `lender ${proposal.lenderId} never held a part of loan ${loan.loanId}`, { path: 'lenderId', lenderId: proposal.lenderId });
  }
  if (proposal.counterparty !== ESCROW && !holders.has(proposal.counterparty)) {
    throw new RuleViolation('NOT_A_HOLDER', `${proposal.counterparty} is neither ESCROW nor a lender that held a part of loan ${loan.loanId}`, {
      path: 'counterparty',
      counterparty: proposal.counterparty,
    });
  }
}

/**
 * The break an adjustment names is still open (or was resolved by this very adjustment), is in its
 * currency, and concerns one of its two parties.
 */
export function checkBreak(proposal: Pick<AdjustmentProposal, 'adjustmentId' | 'lenderId' | 'counterparty' | 'currency'>, found: ReconciliationBreak): void {
  const resolvedByThis = found.state === 'RESOLVED' && found.history.at(-1)?.adjustmentId === proposal.adjustmentId;
  if (!OPEN_BREAK_STATES.includes(found.state) && !resolvedByThis) {
    throw new StateConflict('BREAK_CLOSED', `break ${found.breakId} is ${found.state}; only an open or investigating break is resolved by an adjustment`, {
      path: 'breakId',
      breakId: found.breakId,
      state: found.state,
    });
  }
  if (found.lenderId !== proposal.lenderId && found.lenderId !== proposal.counterparty) {
    throw new RuleViolation('BREAK_OF_ANOTHER_PARTY', `break ${found.breakId} concerns ${found.lenderId}, neither the lender nor the counterparty of the adjustment`, {
      path: 'breakId',
      breakLenderId: found.lenderId,
    });
  }
  if (found.currency !== proposal.currency) {
    throw new RuleViolation('CURRENCY_MISMATCH', `break ${found.breakId} is in ${found.currency}, not ${proposal.currency}`, { path: 'currency', breakCurrency: found.currency });
  }
}

/**
 * The journal entry of an adjustment, balanced in every book. The lender's book: Dr
 * SETTLEMENT_CLEARING (the counterparty owes it) / Cr the component's account, or the reverse when
 * the lender owes. A counterparty lender's book mirrors it. With ESCROW only the lender's book
 * moves. Every clearing leg names the component, so settlement reads it from the leg.
 */
export function adjustmentEntry(adjustment: Adjustment, loan: { readonly loanId: string; readonly currency: string }, businessDate: string, now: string): JournalEntry {
  const { lenderId, counterparty, component, amountMinor } = adjustment;
  checkAdjustable(component);
  const owed = adjustment.direction === 'COUNTERPARTY_OWES_LENDER';
  const account = ACCOUNT_OF_COMPONENT[component];
  const book = (bookId: string, other: string, isOwed: boolean): Leg[] => [
    { lenderId: bookId, account: 'SETTLEMENT_CLEARING', side: isOwed ? 'DEBIT' : 'CREDIT', amountMinor, counterparty: other, component },
    { lenderId: bookId, account, side: isOwed ? 'CREDIT' : 'DEBIT', amountMinor, counterparty: null },
  ];
  return assertBalanced({
    entryId: entryIdOf('ADJUSTMENT', adjustment.adjustmentId),
    eventType: 'ADJUSTMENT',
    eventId: adjustment.adjustmentId,
    loanId: loan.loanId,
    currency: loan.currency,
    businessDate,
    legs: [...book(lenderId, counterparty, owed), ...(counterparty === ESCROW ? [] : book(counterparty, lenderId, !owed))],
    createdAt: now,
  });
}

/** What a checker's approval does to an adjustment: nothing more to book, or the approval to record and book. */
export type ApprovalStep = { readonly kind: 'APPROVED'; readonly adjustment: Adjustment } | { readonly kind: 'BOOK'; readonly adjustment: Adjustment; readonly recorded: boolean };

/**
 * A checker approves. The maker never can. An approved adjustment answers its approval; one whose
 * approval was recorded but not yet booked is booked under that approval; a proposed one records
 * this checker's approval first (`recorded`: the adjustment to write before booking).
 */
export function approveAdjustment(current: Adjustment, checker: string, at: string, reason: string): ApprovalStep {
  if (checker === current.proposedBy) {
    throw new StateConflict('MAKER_CANNOT_APPROVE', `${checker} proposed adjustment ${current.adjustmentId}; another finance user must approve it`, {
      adjustmentId: current.adjustmentId,
      proposedBy: current.proposedBy,
    });
  }
  if (current.state === 'REJECTED') {
    throw new StateConflict('ADJUSTMENT_REJECTED', `adjustment ${current.adjustmentId} was ${current.rejection?.withdrawn === true ? 'withdrawn' : 'rejected'}`, {
      adjustmentId: current.adjustmentId,
      state: current.state,
    });
  }
  if (current.state === 'APPROVED') return { kind: 'APPROVED', adjustment: current };
  if (current.approval !== null) return { kind: 'BOOK', adjustment: current, recorded: false };
  const approval: AdjustmentApproval = { by: checker, at, reason: reasonOf(reason, 'an approval'), entryId: entryIdOf('ADJUSTMENT', current.adjustmentId), bookedOn: null };
  return { kind: 'BOOK', adjustment: { ...current, approval, version: current.version + 1 }, recorded: true };
}

/** The adjustment once its entry is booked: APPROVED, with the settlement day of its entry. */
export function approvedAs(current: Adjustment, bookedOn: string): Adjustment {
  invariant(current.state === 'PROPOSED' && current.approval !== null, 'only a recorded approval is completed', { adjustmentId: current.adjustmentId, state: current.state });
  return { ...current, state: 'APPROVED', approval: { ...current.approval, bookedOn }, version: current.version + 1 };
}

/**
 * A finance user rejects a proposed adjustment: the maker withdraws it, anyone else rejects it; a
 * reason is required. A rejected one answers as it is; an approved one, or one whose approval is
 * recorded (its money is being booked), can no longer be rejected.
 */
export function rejectAdjustment(current: Adjustment, by: string, at: string, reason: string): Adjustment {
  if (current.state === 'REJECTED') return current;
  if (current.state === 'APPROVED' || current.approval !== null) {
    throw new StateConflict('ADJUSTMENT_APPROVED', `adjustment ${current.adjustmentId} was approved by ${current.approval?.by ?? 'a checker'}; its money moves`, {
      adjustmentId: current.adjustmentId,
      state: current.state,
    });
  }
  const rejection: AdjustmentRejection = { by, at, reason: reasonOf(reason, 'a rejection'), withdrawn: by === current.proposedBy };
  return { ...current, state: 'REJECTED', rejection, version: current.version + 1 };
}

/** Whether a caller restricted to one lender (null: sees all) may see an adjustment: it must be one of its two parties. */
export function adjustmentVisibleTo(adjustment: Pick<Adjustment, 'lenderId' | 'counterparty'>, onlyLender: string | null): boolean {
  return onlyLender === null || adjustment.lenderId === onlyLender || adjustment.counterparty === onlyLender;
}
