import { RuleViolation, StateConflict, invariant } from './errors.ts';
import { assertBalanced, entryIdOf, type JournalEntry, type Leg } from './ledger.ts';
import type { Loan } from './loan.ts';
import { compareIsoDates } from './money/index.ts';
import { compareEvents, foldRepayments, type RepaymentEvent, type RepaymentKind, type RepaymentOutcome } from './loan-account.ts';
import { repaymentEntry, reversalEntry } from './repayment-entry.ts';
import type { LenderRepaymentParts, RepaymentSplit } from './repayment-split.ts';

/**
 * Booking a repayment or a reversal on a loan: the account is folded again with the change, the
 * new payment gets its entry, and every payment booked before whose split the change alters is
 * rebooked (one entry that reverses its last booking and books the new split). Pure: the caller
 * writes the entries, the positions and the record in one transaction. docs/repayment-booking.md.
 */

export interface RepaymentRequest {
  readonly repaymentId: string;
  readonly loanId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly valueDate: string;
  readonly channel: string;
  readonly kind: RepaymentKind;
}

export interface ReversalRequest {
  readonly reversalId: string;
  readonly reason: string;
  readonly comment: string | null;
}

/** A payment booked on the loan, with its split as booked now. */
export interface BookedRepayment {
  readonly repaymentId: string;
  readonly valueDate: string;
  readonly amountMinor: bigint;
  readonly kind: RepaymentKind;
  readonly channel: string;
  readonly seq: number;
  readonly bookedAt: string;
  /** 0 when booked once; n after its n-th rebooking. */
  readonly generation: number;
  /** Its entry now in effect: REPAYMENT#id, or REBOOK#id#n. */
  readonly entryId: string;
  readonly split: RepaymentSplit;
  readonly reversal: (ReversalRequest & { readonly reversedAt: string; readonly entryId: string }) | null;
}

/** The loan's repayment record: every payment booked, in arrival order, and the write version. */
export interface RepaymentLedger {
  readonly loanId: string;
  readonly version: number;
  readonly repayments: readonly BookedRepayment[];
}

export interface BookingPlan {
  readonly ledger: RepaymentLedger;
  /** The new entries in booking order; each balanced. */
  readonly entries: readonly JournalEntry[];
  readonly booked: BookedRepayment;
  /** The payments rebooked by this change, by id. */
  readonly rebooked: readonly string[];
  readonly outcome: RepaymentOutcome | null;
}

export type RepaymentDecision = { readonly kind: 'REPLAY'; readonly booked: BookedRepayment } | ({ readonly kind: 'BOOK' } & BookingPlan);

export function emptyLedger(loanId: string): RepaymentLedger {
  return { loanId, version: 0, repayments: [] };
}

/**
 * Decides a repayment: a replay when the id is booked with the same content, a refusal when it is
 * booked with other content or does not fit the loan, else the booking plan.
 */
export function decideRepayment(loan: Loan, ledger: RepaymentLedger, request: RepaymentRequest, today: string, now: string): RepaymentDecision {
  const known = ledger.repayments.find((r) => r.repaymentId === request.repaymentId);
  if (known !== undefined) {
    if (sameRequest(known, request)) return { kind: 'REPLAY', booked: known };
    throw new StateConflict('REPAYMENT_ID_REUSED', `repayment ${request.repaymentId} was booked with other content`, {
      path: 'repaymentId',
      repaymentId: request.repaymentId,
    });
  }
  checkRequest(loan, request, today);
  const seq = ledger.repayments.reduce((max, r) => Math.max(max, r.seq), 0) + 1;
  const event: RepaymentEvent = { repaymentId: request.repaymentId, valueDate: request.valueDate, amountMinor: request.amountMinor, kind: request.kind, seq };
  const { outcomes } = foldRepayments(loan, [...effective(ledger), event]);
  const outcome = outcomes.get(event.repaymentId);
  invariant(outcome !== undefined, 'the new payment is applied', { repaymentId: event.repaymentId });
  const entry = repaymentEntry(loan.loanId, event.repaymentId, event.valueDate, loan.currency, outcome.split, now);
  const booked: BookedRepayment = {
    repaymentId: request.repaymentId,
    valueDate: request.valueDate,
    amountMinor: request.amountMinor,
    kind: request.kind,
    channel: request.channel,
    seq,
    bookedAt: now,
    generation: 0,
    entryId: entry.entryId,
    split: outcome.split,
    reversal: null,
  };
  const rebooking = rebook(loan, ledger.repayments, outcomes, now);
  return {
    kind: 'BOOK',
    ledger: { ...ledger, version: ledger.version + 1, repayments: [...rebooking.repayments, booked] },
    entries: [entry, ...rebooking.entries],
    booked,
    rebooked: rebooking.rebooked,
    outcome,
  };
}

/**
 * Decides a reversal: the exact negative of the payment's booking now in effect, as its own entry,
 * and the rebooking of every later payment whose split changes without it.
 */
export function decideReversal(
  loan: Loan,
  ledger: RepaymentLedger,
  repaymentId: string,
  request: ReversalRequest,
  today: string,
  now: string,
): RepaymentDecision {
  const target = ledger.repayments.find((r) => r.repaymentId === repaymentId);
  if (target === undefined) {
    throw new RuleViolation('REPAYMENT_NOT_FOUND', `loan ${loan.loanId} has no repayment ${repaymentId}`, { path: 'repaymentId', repaymentId });
  }
  if (target.reversal !== null) {
    if (target.reversal.reversalId === request.reversalId) return { kind: 'REPLAY', booked: target };
    throw new StateConflict('ALREADY_REVERSED', `repayment ${repaymentId} was reversed by ${target.reversal.reversalId}`, {
      path: 'reversalId',
      reversalId: target.reversal.reversalId,
    });
  }
  const original = repaymentEntry(loan.loanId, target.repaymentId, target.valueDate, loan.currency, target.split, target.bookedAt);
  const booking = target.generation === 0 ? original : { ...original, entryId: target.entryId };
  const entry = reversalEntry(booking, request.reversalId, now, today);
  const reversed: BookedRepayment = { ...target, reversal: { ...request, reversedAt: now, entryId: entry.entryId } };
  const repayments = ledger.repayments.map((r) => (r.repaymentId === repaymentId ? reversed : r));
  const { outcomes } = foldRepayments(loan, effective({ ...ledger, repayments }));
  const rebooking = rebook(loan, repayments, outcomes, now);
  return {
    kind: 'BOOK',
    ledger: { ...ledger, version: ledger.version + 1, repayments: rebooking.repayments },
    entries: [entry, ...rebooking.entries],
    booked: reversed,
    rebooked: rebooking.rebooked,
    outcome: null,
  };
}

/** The payments in effect (not reversed), as the account applies them. */
export function effective(ledger: Pick<RepaymentLedger, 'repayments'>): RepaymentEvent[] {
  return ledger.repayments
    .filter((r) => r.reversal === null)
    .map((r) => ({ repaymentId: r.repaymentId, valueDate: r.valueDate, amountMinor: r.amountMinor, kind: r.kind, seq: r.seq }))
    .sort(compareEvents);
}

/** Every booked payment whose split differs from its new outcome gets a REBOOK entry and its next generation. */
function rebook(
  loan: Loan,
  repayments: readonly BookedRepayment[],
  outcomes: ReadonlyMap<string, RepaymentOutcome>,
  now: string,
): { repayments: BookedRepayment[]; entries: JournalEntry[]; rebooked: string[] } {
  const entries: JournalEntry[] = [];
  const rebooked: string[] = [];
  const next = repayments.map((booked) => {
    if (booked.reversal !== null) return booked;
    const outcome = outcomes.get(booked.repaymentId);
    invariant(outcome !== undefined, 'every payment in effect has an outcome', { repaymentId: booked.repaymentId });
    if (sameSplit(booked.split, outcome.split)) return booked;
    const generation = booked.generation + 1;
    const entry = rebookEntry(loan, booked, outcome.split, generation, now);
    entries.push(entry);
    rebooked.push(booked.repaymentId);
    return { ...booked, generation, entryId: entry.entryId, split: outcome.split };
  });
  return { repayments: next, entries, rebooked };
}

/**
 * `REBOOK#<repaymentId>#<n>`: the legs of the booking in effect with debit and credit swapped,
 * then the legs of the new split. Both halves balance, so the entry does, in every book.
 */
function rebookEntry(loan: Loan, booked: BookedRepayment, split: RepaymentSplit, generation: number, now: string): JournalEntry {
  const before = repaymentEntry(loan.loanId, booked.repaymentId, booked.valueDate, loan.currency, booked.split, now);
  const after = repaymentEntry(loan.loanId, booked.repaymentId, booked.valueDate, loan.currency, split, now);
  const undo = before.legs.map((leg): Leg => ({ ...leg, side: leg.side === 'DEBIT' ? 'CREDIT' : 'DEBIT' }));
  const eventId = `${booked.repaymentId}#${generation}`;
  return assertBalanced({
    entryId: entryIdOf('REBOOK', eventId),
    eventType: 'REBOOK',
    eventId,
    loanId: loan.loanId,
    currency: loan.currency,
    businessDate: booked.valueDate,
    legs: [...undo, ...after.legs],
    createdAt: now,
  });
}

function sameRequest(booked: BookedRepayment, request: RepaymentRequest): boolean {
  return (
    booked.valueDate === request.valueDate &&
    booked.amountMinor === request.amountMinor &&
    booked.kind === request.kind &&
    booked.channel === request.channel
  );
}

const PARTS: readonly (keyof LenderRepaymentParts)[] = ['principalMinor', 'interestMinor', 'penaltyMinor', 'feeMinor', 'spreadMinor'];

export function sameSplit(a: RepaymentSplit, b: RepaymentSplit): boolean {
  if (a.suspenseMinor !== b.suspenseMinor || a.paidMinor !== b.paidMinor || a.perLender.size !== b.perLender.size) return false;
  for (const [lenderId, parts] of a.perLender) {
    const other = b.perLender.get(lenderId);
    if (other === undefined || PARTS.some((part) => parts[part] !== other[part])) return false;
  }
  return true;
}

/** A payment the loan can take: its currency, a value date from the disbursement to today. */
function checkRequest(loan: Loan, request: RepaymentRequest, today: string): void {
  if (request.currency !== loan.currency) {
    throw new RuleViolation('CURRENCY_MISMATCH', `loan ${loan.loanId} is in ${loan.currency}, the repayment in ${request.currency}`, {
      path: 'currency',
      loanCurrency: loan.currency,
    });
  }
  if (compareIsoDates(request.valueDate, loan.disbursementDate) < 0) {
    throw new RuleViolation(
      'VALUE_DATE_BEFORE_DISBURSEMENT',
      `value date ${request.valueDate} is before the disbursement of loan ${loan.loanId} on ${loan.disbursementDate}`,
      { path: 'valueDate', valueDate: request.valueDate, disbursementDate: loan.disbursementDate },
    );
  }
  if (compareIsoDates(request.valueDate, today) > 0) {
    throw new RuleViolation('VALUE_DATE_IN_FUTURE', `value date ${request.valueDate} is after today, ${today}`, {
      path: 'valueDate',
      valueDate: request.valueDate,
      today,
    });
  }
}
