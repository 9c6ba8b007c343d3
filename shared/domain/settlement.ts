import { invariant } from './errors.ts';
import { addDays } from './money/index.ts';
import { ESCROW, type Account, type JournalEntry, type Leg, type SettlementComponent } from './ledger.ts';

/**
 * The daily settlement's arithmetic (docs/settlement.md): what each entry moves between two
 * parties, per component; the settlement items of a business date per program, pair and
 * component; and the payout instructions they give, netted or gross as the program says. Pure.
 */

/** What a leg of a book's own claims counts as in settlement. */
const COMPONENT_OF_ACCOUNT: Readonly<Record<Account, SettlementComponent | null>> = {
  PRINCIPAL_RECEIVABLE: 'PRINCIPAL',
  INTEREST_RECEIVABLE: 'INTEREST',
  INTEREST_INCOME: 'INTEREST',
  FEE_INCOME: 'FEE',
  FEE_EXPENSE: 'FEE',
  PENALTY_INCOME: 'PENALTY',
  SETTLEMENT_CLEARING: null,
  GUARANTEE_RECEIVABLE: 'GUARANTEE',
  SUSPENSE: 'SUSPENSE',
  LOSSES: 'LOSS',
};

/** What money between two lenders is for, by the event that moved it, when its legs do not say. */
const COMPONENT_OF_EVENT: Readonly<Partial<Record<JournalEntry['eventType'], SettlementComponent>>> = {
  COMPENSATION: 'GUARANTEE',
  WRITE_OFF: 'LOSS',
  TRANSFER: 'PRINCIPAL',
  BUYBACK: 'PRINCIPAL',
  FEE: 'FEE',
};

/** Loan events a later change of the book may restate (repayment-booking.ts): `REBOOK#{type}-{eventId}#{n}`. */
const RESTATED_EVENTS = ['COMPENSATION', 'WRITE_OFF', 'TRANSFER', 'BUYBACK'] as const satisfies readonly JournalEntry['eventType'][];

/**
 * The event whose money an entry moves: its own, or for the restatement of a loan event the
 * restated event's, so that a restated compensation settles as a guarantee as the compensation did.
 */
export function eventTypeSettled(entry: Pick<JournalEntry, 'eventType' | 'eventId'>): JournalEntry['eventType'] {
  if (entry.eventType !== 'REBOOK') return entry.eventType;
  return RESTATED_EVENTS.find((type) => entry.eventId.startsWith(`${type}-`)) ?? 'REBOOK';
}

/**
 * The legs of an event of `eventType` with the component settlement reads from that type named on
 * each clearing leg between two parties that names none: what a REBOOK or a REVERSAL of the event
 * books, whose own type says nothing of what moves.
 */
export function withEventComponents(eventType: JournalEntry['eventType'], legs: readonly Leg[]): Leg[] {
  const component = COMPONENT_OF_EVENT[eventType];
  if (component === undefined) return [...legs];
  return legs.map((leg) => (leg.account === 'SETTLEMENT_CLEARING' && leg.component === undefined && leg.counterparty !== null && leg.counterparty !== ESCROW ? { ...leg, component } : leg));
}

/**
 * Money one entry moves between a lender and a counterparty (another lender, or ESCROW, the
 * collection account), for one component. `amountMinor` is signed from the lender's side:
 * positive, the counterparty owes the lender; negative, the lender owes the counterparty. Between
 * two lenders the lender is the one whose id sorts first.
 */
export interface Movement {
  readonly lenderId: string;
  readonly counterparty: string;
  readonly component: SettlementComponent;
  readonly amountMinor: bigint;
}

const signed = (leg: Leg): bigint => (leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor);

/**
 * Every movement of an entry, read from its SETTLEMENT_CLEARING legs (Dr: the counterparty owes
 * the book; Cr: the book owes the counterparty).
 * - With ESCROW: a book that clears only with ESCROW in the entry gives one movement per
 *   component of its other legs (a repayment's principal, interest, penalty, fee, suspense; a
 *   disbursement's principal); a leg that names its component gives that component.
 * - Between two lenders: each movement is in both books (Dr in one, Cr in the other) and is
 *   counted once, from the debit; its component is the leg's, or the event's (compensation →
 *   GUARANTEE, write-off → LOSS, transfer → PRINCIPAL; a restatement's, the restated event's).
 *   The two books must agree.
 * One movement per pair and component: a restatement moves its difference.
 * Anything else stops with a named invariant: an entry settlement cannot attribute.
 */
export function movementsOf(entry: JournalEntry): Movement[] {
  const books = new Map<string, Leg[]>();
  for (const leg of entry.legs) {
    const own = books.get(leg.lenderId);
    if (own === undefined) books.set(leg.lenderId, [leg]);
    else own.push(leg);
  }
  const out: Movement[] = [];
  const betweenLenders = new Map<string, bigint>();
  for (const [lenderId, legs] of books) {
    const clearing = legs.filter((l) => l.account === 'SETTLEMENT_CLEARING');
    if (clearing.length === 0) continue;
    const escrowOnly = clearing.every((l) => l.counterparty === ESCROW && l.component === undefined);
    if (escrowOnly) {
      const byComponent = new Map<SettlementComponent, bigint>();
      for (const leg of legs) {
        const component = COMPONENT_OF_ACCOUNT[leg.account];
        if (component === null) continue;
        // What the book's own claims lose (a credit) the counterparty owes it.
        byComponent.set(component, (byComponent.get(component) ?? 0n) - signed(leg));
      }
      const net = clearing.reduce((sum, l) => sum + signed(l), 0n);
      const parts = [...byComponent.values()].reduce((sum, v) => sum + v, 0n);
      invariant(parts === net, 'a book clearing with the collection account moves exactly its other legs', { entryId: entry.entryId, lenderId });
      for (const [component, amountMinor] of byComponent) {
        if (amountMinor !== 0n) out.push({ lenderId, counterparty: ESCROW, component, amountMinor });
      }
      continue;
    }
    for (const leg of clearing) {
      const counterparty = leg.counterparty;
      invariant(counterparty !== null && counterparty !== lenderId, 'a clearing leg names another party', { entryId: entry.entryId, lenderId });
      const component = leg.component ?? (counterparty === ESCROW ? undefined : COMPONENT_OF_EVENT[eventTypeSettled(entry)]);
      invariant(component !== undefined, 'a book clearing with more than one party names the component of each clearing leg', {
        entryId: entry.entryId,
        lenderId,
        counterparty,
      });
      if (counterparty === ESCROW) {
        out.push({ lenderId, counterparty, component, amountMinor: signed(leg) });
        continue;
      }
      const pair = lenderId < counterparty ? `${lenderId} ${counterparty}` : `${counterparty} ${lenderId}`;
      const fromFirst = lenderId < counterparty ? signed(leg) : -signed(leg);
      // Both books hold the movement; the debits are counted and the credits must match them.
      betweenLenders.set(pair, (betweenLenders.get(pair) ?? 0n) + (leg.side === 'DEBIT' ? fromFirst : -fromFirst));
      if (leg.side === 'CREDIT') continue;
      const [first, second] = lenderId < counterparty ? [lenderId, counterparty] : [counterparty, lenderId];
      out.push({ lenderId: first, counterparty: second, component, amountMinor: fromFirst });
    }
  }
  for (const [pair, difference] of betweenLenders) {
    invariant(difference === 0n, 'two lenders book a movement between them alike', { entryId: entry.entryId, pair });
  }
  return oneMovementPerComponent(out);
}

/**
 * An entry moves one amount per pair and component. A restatement undoes what the event moved and
 * moves it again: only its difference is owed, so without netting it is paid once and not as the
 * event's whole amount in each direction.
 */
function oneMovementPerComponent(movements: readonly Movement[]): Movement[] {
  const merged = new Map<string, Movement>();
  for (const m of movements) {
    const key = `${m.lenderId}|${m.counterparty}|${m.component}`;
    const seen = merged.get(key);
    merged.set(key, seen === undefined ? m : { ...seen, amountMinor: seen.amountMinor + m.amountMinor });
  }
  return [...merged.values()].filter((m) => m.amountMinor !== 0n);
}

/** A buyback, or the restatement of one (`REBOOK#BUYBACK-{eventId}#{n}`, its change). */
export function isBuyback(entry: Pick<JournalEntry, 'eventType' | 'eventId'>): boolean {
  return eventTypeSettled(entry) === 'BUYBACK';
}

/**
 * What the repayment detail shows of an entry, per lender and component, signed from the lender's
 * side: its movements with the collection account, and of a buyback what the buyer owes the
 * seller, in both books (positive in the seller's, negative in the buyer's).
 */
export function detailMovements(entry: Pick<JournalEntry, 'eventType' | 'eventId'>, movements: readonly Movement[]): Movement[] {
  if (!isBuyback(entry)) return movements.filter((m) => m.counterparty === ESCROW);
  return movements.flatMap((m) => (m.counterparty === ESCROW ? [m] : [m, { lenderId: m.counterparty, counterparty: m.lenderId, component: m.component, amountMinor: -m.amountMinor }]));
}

/** One program's settlement of one pair and component for a business date, each direction apart. */
export interface SettlementItem {
  readonly currency: string;
  readonly programId: string;
  readonly lenderId: string;
  readonly counterparty: string;
  readonly component: SettlementComponent;
  /** What the counterparty owes the lender. */
  readonly receivableMinor: bigint;
  /** What the lender owes the counterparty. */
  readonly payableMinor: bigint;
}

const itemKey = (currency: string, programId: string, m: Pick<Movement, 'lenderId' | 'counterparty' | 'component'>): string =>
  `${currency}|${programId}|${m.lenderId}|${m.counterparty}|${m.component}`;

/** Settlement items being added up (a shard's, or a run's); merged in any order, listed in one. */
export class SettlementItems {
  private readonly items = new Map<string, { currency: string; programId: string; lenderId: string; counterparty: string; component: SettlementComponent; receivableMinor: bigint; payableMinor: bigint }>();

  add(currency: string, programId: string, movement: Movement): void {
    this.addItem({ currency, programId, ...movement, receivableMinor: movement.amountMinor > 0n ? movement.amountMinor : 0n, payableMinor: movement.amountMinor < 0n ? -movement.amountMinor : 0n });
  }

  addItem(item: SettlementItem): void {
    const key = itemKey(item.currency, item.programId, item);
    const sum = this.items.get(key);
    if (sum === undefined) this.items.set(key, { ...item });
    else {
      sum.receivableMinor += item.receivableMinor;
      sum.payableMinor += item.payableMinor;
    }
  }

  /** Sorted by currency, program, lender, counterparty and component: the order of every file. */
  list(): SettlementItem[] {
    return [...this.items.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => ({ ...item }));
  }
}

/** A payment the collection account (or a lender) is to make for a business date. */
export interface PayoutInstruction {
  /** One id for life: the date, the program, the payer and the payee. A re-run gives the same id. */
  readonly instructionId: string;
  readonly businessDate: string;
  readonly valueDate: string;
  readonly currency: string;
  readonly programId: string;
  readonly payer: string;
  readonly payee: string;
  readonly amountMinor: bigint;
  /** Netted over every component and both directions of the pair, or one direction gross. */
  readonly netted: boolean;
  /** What the amount is made of, per component: signed from the payee's side (what the payer owes it). */
  readonly componentsMinor: Readonly<Partial<Record<SettlementComponent, bigint>>>;
}

/** The day an instruction's execution is dated: the date of the bank's execution time as it was recorded. */
export function executedOn(executed: { readonly executedAt: string }): string {
  return executed.executedAt.slice(0, 10);
}

export interface ProgramSettlementTerms {
  readonly netting: boolean;
  /** The date the program's instructions are paid: T + N business days of its calendar. */
  readonly valueDate: string;
}

/**
 * The instructions of a business date. Per program and pair: with netting, one instruction of
 * what is left after everything each owes the other (none when it nets to zero); without, one
 * per direction that moves anything. Ids are the date, program, payer and payee, so a re-run of
 * the date names the same instructions.
 */
export function payoutInstructions(businessDate: string, items: readonly SettlementItem[], termsOf: (programId: string) => ProgramSettlementTerms): PayoutInstruction[] {
  const pairs = new Map<string, SettlementItem[]>();
  for (const item of items) {
    const key = `${item.currency}|${item.programId}|${item.lenderId}|${item.counterparty}`;
    const list = pairs.get(key);
    if (list === undefined) pairs.set(key, [item]);
    else list.push(item);
  }
  const out: PayoutInstruction[] = [];
  for (const pairItems of pairs.values()) {
    const { currency, programId, lenderId, counterparty } = pairItems[0]!;
    const terms = termsOf(programId);
    const instruction = (payer: string, payee: string, amountMinor: bigint, netted: boolean, components: Partial<Record<SettlementComponent, bigint>>): PayoutInstruction => ({
      instructionId: `SI-${businessDate.replaceAll('-', '')}-${programId}-${payer}-${payee}`,
      businessDate,
      valueDate: terms.valueDate,
      currency,
      programId,
      payer,
      payee,
      amountMinor,
      netted,
      componentsMinor: components,
    });
    if (terms.netting) {
      let net = 0n;
      const components: Partial<Record<SettlementComponent, bigint>> = {};
      for (const item of pairItems) {
        const itemNet = item.receivableMinor - item.payableMinor;
        net += itemNet;
        if (itemNet !== 0n) components[item.component] = (components[item.component] ?? 0n) + itemNet;
      }
      if (net > 0n) out.push(instruction(counterparty, lenderId, net, true, components));
      else if (net < 0n) out.push(instruction(lenderId, counterparty, -net, true, negate(components)));
      continue;
    }
    const toLender: Partial<Record<SettlementComponent, bigint>> = {};
    const fromLender: Partial<Record<SettlementComponent, bigint>> = {};
    let receivable = 0n;
    let payable = 0n;
    for (const item of pairItems) {
      receivable += item.receivableMinor;
      payable += item.payableMinor;
      if (item.receivableMinor !== 0n) toLender[item.component] = item.receivableMinor;
      if (item.payableMinor !== 0n) fromLender[item.component] = item.payableMinor;
    }
    if (receivable > 0n) out.push(instruction(counterparty, lenderId, receivable, false, toLender));
    if (payable > 0n) out.push(instruction(lenderId, counterparty, payable, false, fromLender));
  }
  return out.sort((a, b) => (a.instructionId < b.instructionId ? -1 : a.instructionId > b.instructionId ? 1 : 0));
}

function negate(components: Partial<Record<SettlementComponent, bigint>>): Partial<Record<SettlementComponent, bigint>> {
  return Object.fromEntries(Object.entries(components).map(([k, v]) => [k, -(v as bigint)]));
}

/**
 * What the instructions of a date move, per party: received less paid. It must equal what the
 * items say each party is owed, net; the run checks it before anything is written.
 */
export function netByParty(instructions: readonly Pick<PayoutInstruction, 'payer' | 'payee' | 'amountMinor' | 'currency'>[]): Map<string, bigint> {
  const net = new Map<string, bigint>();
  for (const i of instructions) {
    net.set(`${i.currency}|${i.payee}`, (net.get(`${i.currency}|${i.payee}`) ?? 0n) + i.amountMinor);
    net.set(`${i.currency}|${i.payer}`, (net.get(`${i.currency}|${i.payer}`) ?? 0n) - i.amountMinor);
  }
  return net;
}

/** The same figure from the items: what each party is owed, net, per currency. */
export function netOwedByParty(items: readonly SettlementItem[]): Map<string, bigint> {
  const net = new Map<string, bigint>();
  for (const item of items) {
    const owed = item.receivableMinor - item.payableMinor;
    net.set(`${item.currency}|${item.lenderId}`, (net.get(`${item.currency}|${item.lenderId}`) ?? 0n) + owed);
    net.set(`${item.currency}|${item.counterparty}`, (net.get(`${item.currency}|${item.counterparty}`) ?? 0n) - owed);
  }
  return net;
}

/**
 * The days a run of business date T settles in one calendar: every settlement day after the
 * previous business date up to T (a weekend's and a holiday's bookings, and those after the
 * previous date's cut-off, go to T). Empty when T is not a business day of the calendar.
 */
export function settlementDays(businessDate: string, calendar: { isBusinessDay(date: string): boolean; previousBusinessDay(date: string): string }): string[] {
  if (!calendar.isBusinessDay(businessDate)) return [];
  const days: string[] = [];
  for (let day = businessDate, previous = calendar.previousBusinessDay(businessDate); day > previous; day = addDays(day, -1)) days.push(day);
  return days.reverse();
}
