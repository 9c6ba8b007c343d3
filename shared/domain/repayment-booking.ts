import { checkExpectedPrice, priceOfLegs } from './buyback.ts';
import { RuleViolation, StateConflict, ValidationError, invariant } from './errors.ts';
import { DEFAULT_OVERPAYMENT_TOLERANCE_BPS, checkNotBeforeStart } from './program.ts';
import { assertBalanced, entryIdOf, type JournalEntry, type Leg } from './ledger.ts';
import type { Loan } from './loan.ts';
import { Decimal, compareIsoDates, daysBetween, toExactFraction } from './money/index.ts';
import {
  LoanAccount,
  checkValueDate,
  compareEvents,
  type AccountState,
  type LoanEvent,
  type LoanEventOutcome,
  type RepaymentEvent,
  type RepaymentKind,
  type RepaymentOutcome,
} from './loan-account.ts';
import type { Classification } from './regulatory-profile.ts';
import { encodeAccountState } from './account-state.ts';
import { repaymentEntry, reversalEntry } from './repayment-entry.ts';
import { withEventComponents } from './settlement.ts';
import type { FeeDeduction, LenderRepaymentParts, RepaymentSplit } from './repayment-split.ts';

/**
 * Booking a repayment, a reversal or another event of a loan's account on the loan's book: the
 * account is restored from the state just before the change takes effect and folded forward over
 * the change and the events booked after it (none, for a change in order); the change gets its
 * entry, every later payment or event whose split the change alters is rebooked (one entry that
 * reverses its last booking and books the new split), and every event whose state after it moved
 * is written again. Pure: the caller writes the head, the events, the entries, the positions and
 * the record in one transaction. docs/repayment-booking.md.
 */

/** Where an event sits in the order of effect: value date, then arrival on the loan. */
export interface EffectKey {
  readonly valueDate: string;
  readonly seq: number;
}

/** Above every arrival number: the key after every event of a value date. */
export const MAX_SEQ = 999_999_999;

/** After every event: a read of the head alone. */
export const HEAD_ONLY: EffectKey = { valueDate: '9999-12-31', seq: MAX_SEQ };

/** Where a new event of `valueDate` takes effect: after every event booked on that date. */
export function endOf(valueDate: string): EffectKey {
  return { valueDate, seq: MAX_SEQ };
}

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
  /** The account after it in order of effect (reversed: the account where it was); where a later change restores from. */
  readonly stateAfter: AccountState;
}

/** What a buyback names: the seller, the buyer, and the price the caller stated, if any (checked when booked). */
export interface BuybackParties {
  readonly sellerLenderId: string;
  readonly buyerId: string;
  readonly expectedPriceMinor: bigint | null;
}

/** A borrower period fee as billed: fixed when billed, whatever a later change of the period's principal. */
export interface BilledFee {
  readonly ruleId: string;
  readonly period: string;
  readonly amountMinor: bigint;
}

/**
 * A compensation, write-off, transfer, buyback or billed fee on the loan, with the legs of its
 * entry in effect (a billed fee moves no money: no legs, and no entry, `entryId` empty).
 */
export interface BookedLoanEvent {
  readonly type: LoanEvent['type'];
  readonly eventId: string;
  readonly valueDate: string;
  readonly seq: number;
  readonly bookedAt: string;
  /** TRANSFER only. */
  readonly transfer: { readonly fromLenderId: string; readonly toLenderId: string; readonly principalMinor: bigint } | null;
  /** BUYBACK only (absent on every other event); its price is read from its legs in effect (`priceOfLegs`). */
  readonly buyback?: BuybackParties;
  /** FEE only: the borrower period fee billed, its rule, period and amount (docs/fees.md). */
  readonly fee?: BilledFee;
  /** Why (write-off and compensation: the risk update's reason or the operator's). */
  readonly reason: string;
  /** WRITE_OFF under LEAD_FIRST_LOSS: the room left under the lead's cap in the program when booked. */
  readonly leadFirstLossCapMinor: bigint | null;
  readonly generation: number;
  readonly entryId: string;
  readonly legs: readonly Leg[];
  /** The account after it in order of effect (reversed: the account where it sits, nothing of it applied). */
  readonly stateAfter: AccountState;
  /** COMPENSATION and WRITE_OFF: its reversal, once reversed (absent or null: in effect). */
  readonly reversal?: LossEventReversal | null;
}

/** The types of loan event an operator can reverse: the losses a risk run (or an operator) booked. */
export const REVERSIBLE_LOAN_EVENTS = ['COMPENSATION', 'WRITE_OFF'] as const;
export type ReversibleLoanEvent = (typeof REVERSIBLE_LOAN_EVENTS)[number];

/** The reversal of a compensation or write-off: its id (the key of its entry), why, and when. */
export interface LossEventReversal extends ReversalRequest {
  readonly reversedAt: string;
  readonly entryId: string;
}

/** The loan's risk as the daily update last set it: the same class for every lender. */
export interface LoanRisk {
  readonly asOf: string;
  readonly dpd: number;
  readonly classification: Classification;
  /** The date the loan entered this class. */
  readonly since: string;
  /** The first date of the loan's current stretch without arrears (the observation before an upgrade). */
  readonly clearSince?: string;
  /** The date the loan became non-performing, while it is. */
  readonly nonPerformingSince?: string;
  /**
   * What the assessment of `asOf` did to the loan, and the run that made it. That run, retried
   * after it committed the loan (a shard that crashed before its report or its audit record),
   * finds the loan assessed and reports and records this as if it had not stopped; another run of
   * the date did nothing to the loan and reports nothing of it.
   */
  readonly outcome?: RiskOutcome;
}

/** What one date's assessment did to a loan: its class changed, a compensation or a write-off booked, an action held and why. */
export interface RiskOutcome {
  /** The run (its workflow execution) that assessed the loan; null when it had no id. */
  readonly runId: string | null;
  readonly reclassified: boolean;
  readonly compensated: boolean;
  readonly writtenOff: boolean;
  readonly held: string | null;
}

/**
 * A loan's book as a change needs it: the head (version, next arrival number, the key of the
 * latest event, the account after every event, the risk) and a window of the events booked from
 * where the change takes effect on, with the account just before the window. A change in order
 * has an empty window whose base is the head's state; a view reads the whole book (base null,
 * every event).
 */
export interface RepaymentLedger {
  readonly loanId: string;
  readonly version: number;
  /** The arrival number of the next event booked on the loan. */
  readonly nextSeq: number;
  /** The key of the latest event in order of effect (reversed ones included); null before the first. */
  readonly lastKey: EffectKey | null;
  /** The account after every event in effect; null before the first event. */
  readonly state: AccountState | null;
  /** The account just before the window's first event; null: the loan as disbursed. */
  readonly base: AccountState | null;
  /** The payments of the window, in arrival order. */
  readonly repayments: readonly BookedRepayment[];
  /** The compensations, write-offs and transfers of the window, in arrival order. */
  readonly events?: readonly BookedLoanEvent[];
  readonly risk?: LoanRisk;
}

/** A booked payment or event whose item is written by a change (new, rebooked, reversed, or its state after moved). */
export type BookedItem = { readonly kind: 'REPAYMENT'; readonly booked: BookedRepayment } | { readonly kind: 'EVENT'; readonly booked: BookedLoanEvent };

export type LoanEventRequest = Omit<BookedLoanEvent, 'seq' | 'bookedAt' | 'generation' | 'entryId' | 'legs' | 'stateAfter' | 'reversal'>;

/** A loan event decided: its first answer again, or what to book, with what the kind of event adds. */
type EventDecision<Extra> =
  | { readonly kind: 'REPLAY'; readonly booked: BookedLoanEvent }
  | ({
      readonly kind: 'BOOK';
      readonly ledger: RepaymentLedger;
      readonly entries: readonly JournalEntry[];
      readonly booked: BookedLoanEvent;
      readonly rebooked: readonly string[];
      readonly writes: readonly BookedItem[];
    } & Extra);

export type LoanEventDecision = EventDecision<{
  /** WRITE_OFF under LEAD_FIRST_LOSS: the lead's first loss taken (0 otherwise). */
  readonly leadFirstLossMinor: bigint;
}>;

export interface BookingPlan {
  readonly ledger: RepaymentLedger;
  /** The new entries in booking order; each balanced. */
  readonly entries: readonly JournalEntry[];
  readonly booked: BookedRepayment;
  /** The payments rebooked by this change, by id. */
  readonly rebooked: readonly string[];
  /** The items of the book this change writes: the change's own and every one it moved. */
  readonly writes: readonly BookedItem[];
  readonly outcome: RepaymentOutcome | null;
}

export type RepaymentDecision = { readonly kind: 'REPLAY'; readonly booked: BookedRepayment } | ({ readonly kind: 'BOOK' } & BookingPlan);

export function emptyLedger(loanId: string): RepaymentLedger {
  return { loanId, version: 0, nextSeq: 1, lastKey: null, state: null, base: null, repayments: [] };
}

/** Whether a change taking effect at `key` comes after every event booked: its window is empty. */
export function inOrder(ledger: Pick<RepaymentLedger, 'lastKey'>, key: EffectKey): boolean {
  return ledger.lastKey === null || compareEvents(ledger.lastKey, key) < 0;
}

/**
 * Decides a repayment: a replay when the id is booked with the same content, a refusal when it is
 * booked with other content or does not fit the loan, else the booking plan.
 */
export function decideRepayment(loan: Loan, ledger: RepaymentLedger, request: RepaymentRequest, today: string, now: string): RepaymentDecision {
  const known = ledger.repayments.find((r) => r.repaymentId === request.repaymentId);
  if (known !== undefined) return repaymentReplayOf(known, request);
  checkRequest(loan, request, today);
  checkAmountOwed(loan, request);
  const seq = ledger.nextSeq;
  const event: RepaymentEvent = { repaymentId: request.repaymentId, valueDate: request.valueDate, amountMinor: request.amountMinor, kind: request.kind, seq };
  const folded = foldWindow(loan, ledger, [...ledger.repayments.map(itemOf), { kind: 'REPAYMENT', event, active: true }, ...(ledger.events ?? []).map(eventItemOf)]);
  const outcome = folded.outcomes.get(event.repaymentId);
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
    stateAfter: stateOf(folded, repaymentKey(event.repaymentId)),
  };
  const rebooking = rebook(loan, ledger, ledger.repayments, folded, now);
  return {
    kind: 'BOOK',
    ledger: after(ledger, folded, { valueDate: event.valueDate, seq }, [...rebooking.repayments, booked], rebooking.events),
    entries: [entry, ...rebooking.entries],
    booked,
    rebooked: rebooking.rebooked,
    writes: [{ kind: 'REPAYMENT', booked }, ...rebooking.writes],
    outcome,
  };
}

/** A repayment id booked before: the same content is a replay; other content is refused. */
export function repaymentReplayOf(known: BookedRepayment, request: RepaymentRequest): RepaymentDecision {
  if (sameRequest(known, request)) return { kind: 'REPLAY', booked: known };
  throw new StateConflict('REPAYMENT_ID_REUSED', `repayment ${request.repaymentId} was booked with other content`, {
    path: 'repaymentId',
    repaymentId: request.repaymentId,
  });
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
  const other = ledger.repayments.find((r) => r.repaymentId !== repaymentId && r.reversal?.reversalId === request.reversalId);
  if (other !== undefined) {
    throw new StateConflict('REVERSAL_ID_REUSED', `reversal ${request.reversalId} already reversed repayment ${other.repaymentId}`, {
      path: 'reversalId',
      repaymentId: other.repaymentId,
    });
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
  const marked: BookedRepayment = { ...target, reversal: { ...request, reversedAt: now, entryId: entry.entryId } };
  const repayments = ledger.repayments.map((r) => (r.repaymentId === repaymentId ? marked : r));
  const folded = foldWindow(loan, ledger, [...repayments.map(itemOf), ...(ledger.events ?? []).map(eventItemOf)]);
  const reversed: BookedRepayment = { ...marked, stateAfter: stateOf(folded, repaymentKey(repaymentId)) };
  const rebooking = rebook(loan, ledger, repayments.map((r) => (r.repaymentId === repaymentId ? reversed : r)), folded, now);
  return {
    kind: 'BOOK',
    ledger: after(ledger, folded, null, rebooking.repayments, rebooking.events),
    entries: [entry, ...rebooking.entries],
    booked: reversed,
    rebooked: rebooking.rebooked,
    writes: [{ kind: 'REPAYMENT', booked: reversed }, ...rebooking.writes],
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

/** One event of a window as the fold takes it: a payment (applied unless reversed) or another event. */
type WindowItem =
  | { readonly kind: 'REPAYMENT'; readonly event: RepaymentEvent; readonly active: boolean }
  | { readonly kind: 'EVENT'; readonly event: LoanEvent; readonly active: boolean };

interface WindowFold {
  readonly outcomes: ReadonlyMap<string, RepaymentOutcome>;
  readonly eventOutcomes: ReadonlyMap<string, LoanEventOutcome>;
  /** By `eventKey` (a risk run's compensation and write-off of one date share their id). */
  /** The account after each item, by `repaymentKey` / `eventKey`; a reversed payment's or event's is the account where it sits. */
  readonly states: ReadonlyMap<string, AccountState>;
  /** The account after the whole window: the state after its last item (the base when it is empty). */
  readonly final: AccountState;
}

const repaymentKey = (repaymentId: string): string => `R#${repaymentId}`;
const eventKey = (type: string, eventId: string): string => `E#${type}#${eventId}`;

function itemOf(r: BookedRepayment): WindowItem {
  return { kind: 'REPAYMENT', event: { repaymentId: r.repaymentId, valueDate: r.valueDate, amountMinor: r.amountMinor, kind: r.kind, seq: r.seq }, active: r.reversal === null };
}

function eventItemOf(e: BookedLoanEvent): WindowItem {
  return { kind: 'EVENT', event: loanEventOf(e), active: !isReversed(e) };
}

/** Whether a compensation or write-off was reversed: the fold skips it, as it skips a reversed payment. */
export function isReversed(e: Pick<BookedLoanEvent, 'reversal'>): boolean {
  return e.reversal !== undefined && e.reversal !== null;
}

/**
 * The account restored at the window's base and every item of the window applied in order of
 * effect, with the account after each: the same outcomes as the fold of the whole book.
 */
function foldWindow(loan: Loan, ledger: Pick<RepaymentLedger, 'base'>, items: readonly WindowItem[]): WindowFold {
  const account = ledger.base === null ? new LoanAccount(loan) : LoanAccount.restore(loan, ledger.base);
  const outcomes = new Map<string, RepaymentOutcome>();
  const eventOutcomes = new Map<string, LoanEventOutcome>();
  const states = new Map<string, AccountState>();
  let final: AccountState | null = null;
  for (const item of [...items].sort((x, y) => compareEvents(x.event, y.event))) {
    if (item.kind === 'REPAYMENT') {
      if (item.active) outcomes.set(item.event.repaymentId, account.apply(item.event));
      final = account.state();
      states.set(repaymentKey(item.event.repaymentId), final);
    } else {
      if (item.active) eventOutcomes.set(eventKey(item.event.type, item.event.eventId), account.applyEvent(item.event));
      final = account.state();
      states.set(eventKey(item.event.type, item.event.eventId), final);
    }
  }
  return { outcomes, eventOutcomes, states, final: final ?? account.state() };
}

function stateOf(folded: WindowFold, key: string): AccountState {
  const state = folded.states.get(key);
  invariant(state !== undefined, 'every item of the window has its state after it', { key });
  return state;
}

/** The book after a change: the next version, the window as it now stands and the account after every event. */
function after(
  ledger: RepaymentLedger,
  folded: WindowFold,
  added: EffectKey | null,
  repayments: readonly BookedRepayment[],
  events: readonly BookedLoanEvent[],
): RepaymentLedger {
  const lastKey = added !== null && inOrder(ledger, added) ? added : ledger.lastKey;
  return {
    ...ledger,
    version: ledger.version + 1,
    nextSeq: added === null ? ledger.nextSeq : ledger.nextSeq + 1,
    lastKey,
    state: folded.final,
    repayments,
    events,
  };
}

/**
 * Every booked payment whose split differs from its new outcome, and every booked event whose legs
 * differ, gets a REBOOK entry and its next generation; every one whose state after it moved is
 * written again with it.
 */
function rebook(
  loan: Loan,
  ledger: RepaymentLedger,
  repayments: readonly BookedRepayment[],
  folded: WindowFold,
  now: string,
): { repayments: BookedRepayment[]; events: BookedLoanEvent[]; entries: JournalEntry[]; rebooked: string[]; writes: BookedItem[] } {
  const entries: JournalEntry[] = [];
  const rebooked: string[] = [];
  const writes: BookedItem[] = [];
  const nextRepayments = repayments.map((booked) => {
    const stateAfter = stateOf(folded, repaymentKey(booked.repaymentId));
    const moved = !sameState(booked.stateAfter, stateAfter);
    let next: BookedRepayment = moved ? { ...booked, stateAfter } : booked;
    if (booked.reversal === null) {
      const outcome = folded.outcomes.get(booked.repaymentId);
      invariant(outcome !== undefined, 'every payment in effect has an outcome', { repaymentId: booked.repaymentId });
      if (!sameSplit(booked.split, outcome.split)) {
        const generation = booked.generation + 1;
        const entry = rebookEntry(loan, booked, outcome.split, generation, now);
        entries.push(entry);
        rebooked.push(booked.repaymentId);
        next = { ...next, generation, entryId: entry.entryId, split: outcome.split };
      }
    }
    if (next !== booked) writes.push({ kind: 'REPAYMENT', booked: next });
    return next;
  });
  const events = (ledger.events ?? []).map((booked) => {
    const stateAfter = stateOf(folded, eventKey(booked.type, booked.eventId));
    let next: BookedLoanEvent = sameState(booked.stateAfter, stateAfter) ? booked : { ...booked, stateAfter };
    const outcome = folded.eventOutcomes.get(eventKey(booked.type, booked.eventId));
    invariant(outcome !== undefined || isReversed(booked), 'every event in effect has an outcome', { eventId: booked.eventId });
    if (outcome !== undefined && !sameLegs(booked.legs, outcome.legs)) {
      const generation = booked.generation + 1;
      // A REBOOK's type says nothing of what moves between two parties: its clearing legs name it.
      const entry = restatement(loan, `${booked.type}-${booked.eventId}#${generation}`, booked.valueDate, withEventComponents(booked.type, booked.legs), withEventComponents(booked.type, outcome.legs), now);
      entries.push(entry);
      rebooked.push(booked.eventId);
      next = { ...next, generation, entryId: entry.entryId, legs: outcome.legs };
    }
    if (next !== booked) writes.push({ kind: 'EVENT', booked: next });
    return next;
  });
  return { repayments: nextRepayments, events, entries, rebooked, writes };
}

/**
 * Decides a compensation, write-off or transfer: a replay when its id is booked with the same
 * content, a refusal when with other content or when the account refuses it, else its entry
 * (`<TYPE>#<eventId>`) and the rebooking of what follows it.
 */
export function decideLoanEvent(loan: Loan, ledger: RepaymentLedger, request: LoanEventRequest, today: string, now: string): LoanEventDecision {
  const known = (ledger.events ?? []).find((e) => e.eventId === request.eventId && e.type === request.type);
  if (known !== undefined) return replayOf(known, request);
  checkDate(loan, request.valueDate, today);
  const seq = ledger.nextSeq;
  const event = loanEventOf({ ...request, seq });
  const folded = foldWindow(loan, ledger, [...ledger.repayments.map(itemOf), ...(ledger.events ?? []).map(eventItemOf), { kind: 'EVENT', event, active: true }]);
  const outcome = folded.eventOutcomes.get(eventKey(request.type, request.eventId));
  invariant(outcome !== undefined, 'the new event is applied', { eventId: request.eventId });
  // A stated price is the caller's agreement: checked when the buyback is booked, never when a later change restates it.
  if (request.buyback !== undefined) checkExpectedPrice(priceOfLegs(outcome.legs, request.buyback.sellerLenderId, request.buyback.buyerId), request.buyback.expectedPriceMinor);
  // A billed fee moves no money (income is booked when paid): it is an event of the book with no entry.
  const entry =
    request.type === 'FEE'
      ? null
      : assertBalanced({
          entryId: entryIdOf(request.type, request.eventId),
          eventType: request.type,
          eventId: request.eventId,
          loanId: loan.loanId,
          currency: loan.currency,
          businessDate: request.valueDate,
          legs: outcome.legs,
          createdAt: now,
        });
  invariant(entry !== null || outcome.legs.length === 0, 'only an event with no legs books no entry', { eventId: request.eventId });
  const booked: BookedLoanEvent = {
    ...request,
    seq,
    bookedAt: now,
    generation: 0,
    entryId: entry?.entryId ?? '',
    legs: outcome.legs,
    stateAfter: stateOf(folded, eventKey(request.type, request.eventId)),
  };
  const rebooking = rebook(loan, ledger, ledger.repayments, folded, now);
  return {
    kind: 'BOOK',
    ledger: after(ledger, folded, { valueDate: request.valueDate, seq }, rebooking.repayments, [...rebooking.events, booked]),
    entries: entry === null ? rebooking.entries : [entry, ...rebooking.entries],
    booked,
    rebooked: rebooking.rebooked,
    writes: [{ kind: 'EVENT', booked }, ...rebooking.writes],
    leadFirstLossMinor: outcome.leadFirstLossMinor ?? 0n,
  };
}

/** What an operator names to reverse a compensation or a write-off. */
export interface LossEventReversalRequest extends ReversalRequest {
  readonly type: ReversibleLoanEvent;
  readonly eventId: string;
}

export type LossEventReversalDecision = EventDecision<{
  /**
   * What the event took from its program's pool, given back: a compensation's claim (the
   * guarantee's cap), a write-off's first loss of the lead (the first-loss cap).
   */
  readonly releasedMinor: bigint;
}>;

/**
 * Decides the reversal of a compensation or a write-off (docs/risk-update.md, Undoing a loss):
 * `REVERSAL#<reversalId>`, the exact mirror of the legs of the event's booking in effect, naming
 * it (`reverses`), booked on today's date; the event stays on the book, marked reversed, and the
 * account is folded again without it, so every later payment or event whose split or legs change
 * is rebooked, as after a payment's reversal. The same reversal id again answers the first;
 * another reversal of a reversed event is refused (`ALREADY_REVERSED`).
 */
export function decideLossEventReversal(loan: Loan, ledger: RepaymentLedger, request: LossEventReversalRequest, today: string, now: string): LossEventReversalDecision {
  const events = ledger.events ?? [];
  const target = events.find((e) => e.type === request.type && e.eventId === request.eventId);
  if (target === undefined) {
    throw new RuleViolation('LOSS_EVENT_NOT_FOUND', `loan ${loan.loanId} has no ${request.type} ${request.eventId}`, { path: 'eventId', type: request.type, eventId: request.eventId });
  }
  const other = events.find((e) => e !== target && e.reversal?.reversalId === request.reversalId);
  if (other !== undefined) {
    throw new StateConflict('REVERSAL_ID_REUSED', `reversal ${request.reversalId} already reversed ${other.type} ${other.eventId}`, { path: 'reversalId', type: other.type, eventId: other.eventId });
  }
  if (target.reversal !== undefined && target.reversal !== null) {
    if (target.reversal.reversalId === request.reversalId) return { kind: 'REPLAY', booked: target };
    throw new StateConflict('ALREADY_REVERSED', `${target.type} ${target.eventId} was reversed by ${target.reversal.reversalId}`, { path: 'reversalId', reversalId: target.reversal.reversalId });
  }
  const releasedMinor = takenFromPool(loan, ledger, target);
  const entry = assertBalanced({
    entryId: entryIdOf('REVERSAL', request.reversalId),
    eventType: 'REVERSAL',
    eventId: request.reversalId,
    loanId: loan.loanId,
    currency: loan.currency,
    businessDate: today,
    legs: withEventComponents(target.type, target.legs).map((leg): Leg => ({ ...leg, side: leg.side === 'DEBIT' ? 'CREDIT' : 'DEBIT' })),
    createdAt: now,
    reverses: target.entryId,
  });
  const { type: _type, eventId: _eventId, ...reversal } = request;
  const marked: BookedLoanEvent = { ...target, reversal: { ...reversal, reversedAt: now, entryId: entry.entryId } };
  const withMarked = events.map((e) => (e === target ? marked : e));
  const folded = foldWindow(loan, ledger, [...ledger.repayments.map(itemOf), ...withMarked.map(eventItemOf)]);
  const reversed: BookedLoanEvent = { ...marked, stateAfter: stateOf(folded, eventKey(target.type, target.eventId)) };
  const rebooking = rebook(loan, { ...ledger, events: withMarked.map((e) => (e === marked ? reversed : e)) }, ledger.repayments, folded, now);
  const writes = rebooking.writes.some((w) => w.kind === 'EVENT' && w.booked === reversed) ? rebooking.writes : [{ kind: 'EVENT' as const, booked: reversed }, ...rebooking.writes];
  return {
    kind: 'BOOK',
    ledger: after(ledger, folded, null, rebooking.repayments, rebooking.events),
    entries: [entry, ...rebooking.entries],
    booked: reversed,
    rebooked: rebooking.rebooked,
    writes,
    releasedMinor,
  };
}

/** What a compensation or write-off took from its program's pool as it stands: the claim it gave the guarantor, or the lead's first loss. */
function takenFromPool(loan: Loan, ledger: RepaymentLedger, target: BookedLoanEvent): bigint {
  if (target.type === 'COMPENSATION') {
    return target.legs.filter((leg) => leg.account === 'GUARANTEE_RECEIVABLE' && leg.side === 'DEBIT').reduce((sum, leg) => sum + leg.amountMinor, 0n);
  }
  const folded = foldWindow(loan, ledger, [...ledger.repayments.map(itemOf), ...(ledger.events ?? []).map(eventItemOf)]);
  return folded.eventOutcomes.get(eventKey(target.type, target.eventId))?.leadFirstLossMinor ?? 0n;
}

/** An event id booked before: the same content is a replay; other content is refused. */
export function replayOf(known: BookedLoanEvent, request: LoanEventRequest): LoanEventDecision {
  if (known.valueDate === request.valueDate && sameTransfer(known.transfer, request.transfer) && sameBuyback(known.buyback, request.buyback) && sameBill(known.fee, request.fee)) {
    return { kind: 'REPLAY', booked: known };
  }
  throw new StateConflict('EVENT_ID_REUSED', `${request.type} ${request.eventId} was booked with other content`, { path: 'eventId', eventId: request.eventId });
}

/** The events in effect, as the account applies them. */
export function loanEvents(ledger: Pick<RepaymentLedger, 'events'>): LoanEvent[] {
  return (ledger.events ?? []).filter((e) => !isReversed(e)).map((e) => loanEventOf(e));
}

function loanEventOf(e: Pick<BookedLoanEvent, 'type' | 'eventId' | 'valueDate' | 'seq' | 'transfer' | 'buyback' | 'fee'> & { readonly leadFirstLossCapMinor?: bigint | null }): LoanEvent {
  if (e.type === 'FEE') {
    invariant(e.fee !== undefined, 'a billed fee names its rule and amount', { eventId: e.eventId });
    return { type: 'FEE', eventId: e.eventId, valueDate: e.valueDate, seq: e.seq, ruleId: e.fee.ruleId, amountMinor: e.fee.amountMinor };
  }
  if (e.type === 'TRANSFER') {
    invariant(e.transfer !== null, 'a transfer names its lenders and amount', { eventId: e.eventId });
    return { type: 'TRANSFER', eventId: e.eventId, valueDate: e.valueDate, seq: e.seq, ...e.transfer };
  }
  if (e.type === 'BUYBACK') {
    invariant(e.buyback !== undefined, 'a buyback names its seller and buyer', { eventId: e.eventId });
    return { type: 'BUYBACK', eventId: e.eventId, valueDate: e.valueDate, seq: e.seq, sellerLenderId: e.buyback.sellerLenderId, buyerId: e.buyback.buyerId };
  }
  if (e.type === 'WRITE_OFF' && e.leadFirstLossCapMinor !== undefined && e.leadFirstLossCapMinor !== null) {
    return { type: 'WRITE_OFF', eventId: e.eventId, valueDate: e.valueDate, seq: e.seq, leadFirstLossCapMinor: e.leadFirstLossCapMinor };
  }
  return { type: e.type, eventId: e.eventId, valueDate: e.valueDate, seq: e.seq };
}

/** Two states of the account are the same when they encode the same. */
function sameState(a: AccountState, b: AccountState): boolean {
  return encodeAccountState(a) === encodeAccountState(b);
}

function sameTransfer(a: BookedLoanEvent['transfer'], b: BookedLoanEvent['transfer']): boolean {
  if (a === null || b === null) return a === b;
  return a.fromLenderId === b.fromLenderId && a.toLenderId === b.toLenderId && a.principalMinor === b.principalMinor;
}

/** A rule's period is billed once: billing it again is the same bill, whatever the amount it would come to now. */
function sameBill(a: BilledFee | undefined, b: BilledFee | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.ruleId === b.ruleId && a.period === b.period;
}

function sameBuyback(a: BuybackParties | undefined, b: BuybackParties | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.sellerLenderId === b.sellerLenderId && a.buyerId === b.buyerId && a.expectedPriceMinor === b.expectedPriceMinor;
}

function sameLegs(a: readonly Leg[], b: readonly Leg[]): boolean {
  return (
    a.length === b.length &&
    a.every((leg, i) => {
      const other = b[i]!;
      return leg.lenderId === other.lenderId && leg.account === other.account && leg.side === other.side && leg.amountMinor === other.amountMinor && leg.counterparty === other.counterparty && leg.component === other.component;
    })
  );
}

/**
 * `REBOOK#<repaymentId>#<n>`: the legs of the booking in effect with debit and credit swapped,
 * then the legs of the new split. Both halves balance, so the entry does, in every book.
 */
function rebookEntry(loan: Loan, booked: BookedRepayment, split: RepaymentSplit, generation: number, now: string): JournalEntry {
  const before = repaymentEntry(loan.loanId, booked.repaymentId, booked.valueDate, loan.currency, booked.split, now);
  const after = repaymentEntry(loan.loanId, booked.repaymentId, booked.valueDate, loan.currency, split, now);
  return restatement(loan, `${booked.repaymentId}#${generation}`, booked.valueDate, before.legs, after.legs, now);
}

/** `REBOOK#<eventId>`: the legs in effect with debit and credit swapped, then the new legs. */
function restatement(loan: Loan, eventId: string, businessDate: string, before: readonly Leg[], after: readonly Leg[], now: string): JournalEntry {
  const undo = before.map((leg): Leg => ({ ...leg, side: leg.side === 'DEBIT' ? 'CREDIT' : 'DEBIT' }));
  return assertBalanced({
    entryId: entryIdOf('REBOOK', eventId),
    eventType: 'REBOOK',
    eventId,
    loanId: loan.loanId,
    currency: loan.currency,
    businessDate,
    legs: [...undo, ...after],
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

function sameSplit(a: RepaymentSplit, b: RepaymentSplit): boolean {
  if (a.suspenseMinor !== b.suspenseMinor || a.paidMinor !== b.paidMinor || a.perLender.size !== b.perLender.size) return false;
  if (a.recovery?.account !== b.recovery?.account || !sameAmounts(a.recovery?.parts, b.recovery?.parts)) return false;
  if (!sameDeductions(a.deductions ?? [], b.deductions ?? [])) return false;
  for (const [lenderId, parts] of a.perLender) {
    const other = b.perLender.get(lenderId);
    if (other === undefined || PARTS.some((part) => parts[part] !== other[part])) return false;
  }
  return true;
}

function sameDeductions(a: readonly FeeDeduction[], b: readonly FeeDeduction[]): boolean {
  return a.length === b.length && a.every((d, i) => d.ruleId === b[i]!.ruleId && d.fromLenderId === b[i]!.fromLenderId && d.toLenderId === b[i]!.toLenderId && d.amountMinor === b[i]!.amountMinor);
}

function sameAmounts(a: ReadonlyMap<string, bigint> | undefined, b: ReadonlyMap<string, bigint> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.size !== b.size) return false;
  for (const [id, amount] of a) if (b.get(id) !== amount) return false;
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
  checkDate(loan, request.valueDate, today);
}

/**
 * The most the loan could owe on a value date, from its terms alone (so that whether a payment is
 * taken never depends on the order payments arrive in): its principal, interest on the whole
 * principal for every day of the term (31 days a month, 360 a year: above any schedule's
 * interest), and penalty on both at the program's penalty rate for every day since disbursement,
 * as if nothing had ever been paid.
 */
export function mostOwedMinor(loan: Loan, valueDate: string): bigint {
  const rate = toExactFraction(new Decimal(loan.annualRate));
  const penaltyRate = toExactFraction(new Decimal(loan.annualRate).times(loan.terms.penaltyRateMultiplier));
  const termDays = BigInt(loan.termMonths * 31);
  const interestMinor = ceilDiv(loan.principalMinor * rate.numerator * termDays, rate.denominator * 360n);
  const days = BigInt(Math.max(0, daysBetween(loan.disbursementDate, valueDate)));
  const penaltyMinor = ceilDiv((loan.principalMinor + interestMinor) * penaltyRate.numerator * days, penaltyRate.denominator * 360n);
  return loan.principalMinor + interestMinor + penaltyMinor;
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

/**
 * A payment is at most what the loan can owe plus the program's overpayment tolerance (a share of
 * the loan's principal, `prepayment.overpaymentToleranceBps`, 10% unless set): a payment beyond
 * it is a mistake to send back, not an amount to hold in suspense.
 */
function checkAmountOwed(loan: Loan, request: RepaymentRequest): void {
  const toleranceBps = BigInt(loan.terms.prepayment?.overpaymentToleranceBps ?? DEFAULT_OVERPAYMENT_TOLERANCE_BPS);
  const owedMinor = mostOwedMinor(loan, request.valueDate);
  const toleranceMinor = (loan.principalMinor * toleranceBps) / 10_000n;
  const maximumMinor = owedMinor + toleranceMinor;
  if (request.amountMinor <= maximumMinor) return;
  throw new ValidationError(
    `amountMinor: ${request.amountMinor} is more than loan ${loan.loanId} could owe on ${request.valueDate} (${owedMinor}) plus the program's overpayment tolerance (${toleranceMinor}): at most ${maximumMinor}`,
    { path: 'amountMinor', field: 'amountMinor', rule: 'at-most-owed', amount: request.amountMinor.toString(), maximum: maximumMinor.toString(), owedMinor: owedMinor.toString(), toleranceMinor: toleranceMinor.toString() },
    'AMOUNT_ABOVE_OWED',
  );
}

/**
 * A value date from the disbursement to today, and never before the program's start (a loan
 * booked before programs had a start keeps its disbursement as the bound).
 */
function checkDate(loan: Loan, valueDate: string, today: string): void {
  if (loan.terms.startDate !== undefined) checkNotBeforeStart('valueDate', valueDate, loan.terms.startDate, today);
  checkValueDate(loan, valueDate);
  if (compareIsoDates(valueDate, today) > 0) {
    throw new RuleViolation('VALUE_DATE_IN_FUTURE', `value date ${valueDate} is after today, ${today}`, { path: 'valueDate', valueDate, today });
  }
}
