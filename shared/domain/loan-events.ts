import { RuleViolation, ValidationError, invariant } from './errors.ts';
import type { Leg } from './ledger.ts';
import type { Loan } from './loan.ts';
import { buybackLegs, buybackPrice, buybackTermsOf, type BuybackBuyer, type SellerShare } from './buyback.ts';
import { min, type Book, type HolderRole, type InterestPortion, type Row } from './loan-account-model.ts';
import { compareIsoDates, dayCountFraction, divRound, parseRate, split, toExactFraction } from './money/index.ts';
import type { ExactFraction } from './money/index.ts';
import { isFunding } from './program.ts';
import { REGULATORY_PROFILES, RULES, formatBps } from './regulatory-profile.ts';
import { NOTHING_COVERED, totalCovered, type Covered } from './repayment-waterfall.ts';
import type { LenderRepaymentParts, Recovery, RepaymentSplit } from './repayment-split.ts';
import { scheduleRemainderRule, type ShareMove } from './schedule.ts';

/**
 * Losses and transfers on a loan's account: the guarantor's compensation of the lenders, the
 * write-off of what is still owed (shared per the program), the sale of a lender's share to another
 * funding participant, and what follows from them (payments that recover the claim or the losses,
 * interest owed to a seller). `LoanAccount` applies repayments and hands these events here, with
 * the access to its books and rows they need. The rules are written down in
 * docs/repayment-booking.md.
 */

/** The guarantor pays each lender its outstanding principal (and overdue interest); the claim becomes the guarantor's. */
export interface CompensationEvent {
  readonly type: 'COMPENSATION';
  readonly eventId: string;
  readonly valueDate: string;
  readonly seq: number;
}

/** The lenders' outstanding principal (or the guarantor's claim) is written off, shared per the program. */
export interface WriteOffEvent {
  readonly type: 'WRITE_OFF';
  readonly eventId: string;
  readonly valueDate: string;
  readonly seq: number;
  /**
   * LEAD_FIRST_LOSS: what the lead's first losses in the program could still take when the
   * write-off was booked (its cap is a share of the program's disbursed principal). Absent: the
   * cap's share of this loan's principal.
   */
  readonly leadFirstLossCapMinor?: bigint;
}

/** A lender sells some or all of its outstanding principal to another funding participant. */
export interface TransferEvent {
  readonly type: 'TRANSFER';
  readonly eventId: string;
  readonly valueDate: string;
  readonly seq: number;
  readonly fromLenderId: string;
  readonly toLenderId: string;
  readonly principalMinor: bigint;
}

/** The lead or the guarantor buys a partner's whole remaining share at the program's price (回购). */
export interface BuybackEvent {
  readonly type: 'BUYBACK';
  readonly eventId: string;
  readonly valueDate: string;
  readonly seq: number;
  readonly sellerLenderId: string;
  readonly buyerId: string;
}

/**
 * A borrower-paid period fee billed at its period's end (docs/fees.md): owed under its rule from
 * then on, due in the FEES slot of the next payments. It moves no money, so it has no legs.
 */
export interface FeeEvent {
  readonly type: 'FEE';
  /** `{ruleId}#{period}#{loanId}`. */
  readonly eventId: string;
  readonly valueDate: string;
  readonly seq: number;
  readonly ruleId: string;
  readonly amountMinor: bigint;
}

/** Every event of a loan's account other than a repayment. */
export type LoanEvent = CompensationEvent | WriteOffEvent | TransferEvent | BuybackEvent | FeeEvent;

/** What a compensation, write-off, transfer or buyback did: the legs of its entry. */
export interface LoanEventOutcome {
  readonly eventId: string;
  readonly type: LoanEvent['type'];
  readonly valueDate: string;
  readonly legs: readonly Leg[];
  /** WRITE_OFF under LEAD_FIRST_LOSS: the lead's first loss it took. */
  readonly leadFirstLossMinor?: bigint;
}

/** What losses and transfers read and change of the account they act on. */
export interface AccountAccess {
  readonly loan: Loan;
  /** Every lender's book in the loan; a transfer to a new funding participant, or a guarantor's buyback, adds one. */
  readonly books: Book[];
  /** The loan's contract rate, exact. */
  readonly rate: ExactFraction;
  /** A lender's book in the loan, its terms from the program's participants. */
  openBook(lenderId: string, role: HolderRole, heldMinor: bigint): Book;
  /** The unpaid interest of each row due by `date`, oldest first. */
  dueInterest(date: string): InterestPortion[];
  /** The first row not yet due on `date`. */
  firstFutureRow(date: string): Row | undefined;
  /** The split of what is covered among the lenders, as a payment of it would be split. */
  splitAmong(covered: Covered, portions: readonly InterestPortion[], date: string): RepaymentSplit;
  /** Lowers each lender's outstanding by the principal it receives in `split`. */
  repayPrincipal(split: RepaymentSplit): void;
  /** A lender's share at a date, part by part, each as a payment of that part alone would give it the lender. */
  shareAt(lenderId: string, date: string): SellerShare;
}

/** What losses and transfers leave on the account (part of `AccountState`). */
export interface StandingState {
  readonly claim: { readonly guarantorId: string; readonly remainingMinor: bigint } | null;
  readonly compensated: boolean;
  readonly writtenOff: { readonly lossByParty: readonly (readonly [string, bigint])[]; readonly remainingMinor: bigint } | null;
  readonly interestOwed: readonly { readonly number: number; readonly buyer: string; readonly seller: string; readonly remainingMinor: bigint }[];
}

/**
 * The losses and transfers of one loan's account, and the standing they leave: compensated (with
 * the guarantor's claim), written off (with each party's loss), interest owed to sellers.
 */
export class LoanEvents {
  /** After a compensation: the guarantor and what it has still to recover. */
  private claim: { readonly guarantorId: string; remainingMinor: bigint } | null = null;
  private compensated = false;
  /** The lead's first loss taken by the event being applied. */
  private firstLossTaken = 0n;
  /** After a write-off: what each party lost, and what is still to recover. */
  private writtenOff: { readonly lossByParty: ReadonlyMap<string, bigint>; remainingMinor: bigint } | null = null;
  /** Interest of a period owed to a seller for its days (transfers under ACTUALS), by instalment number. */
  private interestOwed: { readonly number: number; buyer: string; readonly seller: string; remainingMinor: bigint }[] = [];
  /** The transfers and buybacks applied by this fold, in order of effect: the sub-schedules follow them (not kept in the state). */
  private readonly moved: ShareMove[] = [];

  constructor(private readonly account: AccountAccess) {}

  private get loan(): Loan {
    return this.account.loan;
  }

  private get books(): Book[] {
    return this.account.books;
  }

  private get rate(): ExactFraction {
    return this.account.rate;
  }

  /** Applies a compensation, a write-off, a transfer or a buyback: the legs of its entry, and the lead's first loss it took. */
  apply(event: LoanEvent): { readonly legs: Leg[]; readonly leadFirstLossMinor: bigint } {
    this.firstLossTaken = 0n;
    return { legs: this.legsOf(event), leadFirstLossMinor: this.firstLossTaken };
  }

  private legsOf(event: LoanEvent): Leg[] {
    switch (event.type) {
      case 'COMPENSATION':
        return this.compensate(event);
      case 'WRITE_OFF':
        return this.writeOff(event);
      case 'TRANSFER':
        return this.transfer(event);
      case 'BUYBACK':
        return this.buyback(event);
      case 'FEE':
        // The account bills a fee itself (LoanAccount.applyEvent): nothing of the standing changes.
        invariant(false, 'a billed fee is applied by the account, not by its losses and transfers', { eventId: event.eventId });
        return [];
    }
  }

  /** The transfers and buybacks this fold applied, in order of effect. */
  get shareMoves(): readonly ShareMove[] {
    return this.moved;
  }

  /** Whether payments now recover a claim or losses instead of paying the lenders' dues. */
  get recovering(): boolean {
    return this.claim !== null || this.writtenOff !== null;
  }

  /** Whether the loan was compensated by its guarantor, and whether it was written off. */
  get standing(): { readonly compensated: boolean; readonly writtenOff: boolean } {
    return { compensated: this.compensated, writtenOff: this.writtenOff !== null };
  }

  /** WRITTEN_OFF, COMPENSATED (the guarantor's claim still open), or null. */
  get status(): 'WRITTEN_OFF' | 'COMPENSATED' | null {
    return this.writtenOff !== null ? 'WRITTEN_OFF' : this.claim !== null ? 'COMPENSATED' : null;
  }

  /** The standing to keep in the account's state; `alive` says which instalments a later event can still touch. */
  state(alive: (instalment: number) => boolean): StandingState {
    return {
      claim: this.claim === null ? null : { ...this.claim },
      compensated: this.compensated,
      writtenOff: this.writtenOff === null ? null : { lossByParty: [...this.writtenOff.lossByParty], remainingMinor: this.writtenOff.remainingMinor },
      interestOwed: this.interestOwed.filter((owed) => owed.remainingMinor > 0n && alive(owed.number)).map((owed) => ({ ...owed })),
    };
  }

  /** The standing as `state` left it. */
  restore(state: StandingState): void {
    this.claim = state.claim === null ? null : { ...state.claim };
    this.compensated = state.compensated;
    this.writtenOff = state.writtenOff === null ? null : { lossByParty: new Map(state.writtenOff.lossByParty), remainingMinor: state.writtenOff.remainingMinor };
    this.interestOwed = state.interestOwed.map((owed) => ({ ...owed }));
  }

  private guarantorOrNull(): string | null {
    return this.loan.terms.fees.guarantorLenderId;
  }

  /**
   * The guarantor pays each lender its outstanding principal and, when the program says so, its
   * part of the overdue interest (split as a payment of it would be); the lenders' claim becomes
   * the guarantor's. Lender: Dr SETTLEMENT_CLEARING (guarantor) / Cr PRINCIPAL_RECEIVABLE,
   * INTEREST_INCOME, FEE_INCOME (spread). Guarantor: Dr GUARANTEE_RECEIVABLE / Cr
   * SETTLEMENT_CLEARING (each lender).
   */
  private compensate(event: CompensationEvent): Leg[] {
    const guarantorId = this.guarantorOrNull();
    if (guarantorId === null) throw new RuleViolation('NO_GUARANTOR', `the program of loan ${this.loan.loanId} has no guarantor`, { path: 'fees.guarantorLenderId' });
    this.refuseAfterLoss('compensate');
    const outstanding = this.books.reduce((sum, book) => sum + book.outstandingMinor, 0n);
    if (outstanding === 0n) throw new RuleViolation('NOTHING_OUTSTANDING', `loan ${this.loan.loanId} has no principal outstanding`, { path: 'loanId' });
    const portions = this.loan.terms.lossSharing.guaranteeCoversInterest !== false ? this.account.dueInterest(event.valueDate) : [];
    let interestMinor = 0n;
    for (const portion of portions) interestMinor += portion.amountMinor;
    const covered: Covered = { ...NOTHING_COVERED, overdueInterestMinor: interestMinor, overduePrincipalMinor: outstanding };
    const paid = this.account.splitAmong(covered, portions, event.valueDate);
    this.account.repayPrincipal(paid);
    const legs: Leg[] = [];
    const guarantorLegs: Leg[] = [];
    let claimMinor = 0n;
    for (const [lenderId, parts] of paid.perLender) {
      if (lenderId === guarantorId) {
        // A share the guarantor bought back: its principal joins its claim. Nobody pays it the
        // interest of that share (income is booked when paid); the borrower still owes it.
        claimMinor += parts.principalMinor;
        pushLeg(guarantorLegs, guarantorId, 'PRINCIPAL_RECEIVABLE', 'CREDIT', parts.principalMinor, null);
        continue;
      }
      const totalMinor = parts.principalMinor + parts.interestMinor + parts.penaltyMinor + parts.feeMinor + parts.spreadMinor;
      if (totalMinor === 0n) continue;
      claimMinor += totalMinor;
      pushLeg(legs, lenderId, 'SETTLEMENT_CLEARING', 'DEBIT', totalMinor, guarantorId);
      pushLeg(legs, lenderId, 'PRINCIPAL_RECEIVABLE', 'CREDIT', parts.principalMinor, null);
      pushLeg(legs, lenderId, 'INTEREST_INCOME', 'CREDIT', parts.interestMinor, null);
      pushLeg(legs, lenderId, 'FEE_INCOME', 'CREDIT', parts.feeMinor + parts.spreadMinor, null);
      pushLeg(guarantorLegs, guarantorId, 'SETTLEMENT_CLEARING', 'CREDIT', totalMinor, lenderId);
    }
    const own: Leg[] = [];
    pushLeg(own, guarantorId, 'GUARANTEE_RECEIVABLE', 'DEBIT', claimMinor, null);
    this.claim = { guarantorId, remainingMinor: claimMinor };
    this.compensated = true;
    return [...legs, ...own, ...guarantorLegs];
  }

  /**
   * Writes off what is still owed to the lenders (or to the guarantor, after a compensation).
   * Lenders' losses are shared per the program: PRO_RATA (each loses what it holds), or
   * LEAD_FIRST_LOSS (the lead absorbs the first losses up to its cap, a share of the loan's
   * principal, then every lender pro rata by outstanding); the lead pays each partner the part of
   * its outstanding it absorbs. Loser: Dr LOSSES / Cr PRINCIPAL_RECEIVABLE (or GUARANTEE_RECEIVABLE).
   */
  private writeOff(event: WriteOffEvent): Leg[] {
    if (this.writtenOff !== null) throw new RuleViolation('ALREADY_WRITTEN_OFF', `loan ${this.loan.loanId} is already written off`, { path: 'loanId', eventId: event.eventId });
    const legs: Leg[] = [];
    if (this.claim !== null) {
      const { guarantorId, remainingMinor } = this.claim;
      if (remainingMinor === 0n) throw new RuleViolation('NOTHING_OUTSTANDING', `the guarantor's claim on loan ${this.loan.loanId} is recovered`, { path: 'loanId' });
      pushLeg(legs, guarantorId, 'LOSSES', 'DEBIT', remainingMinor, null);
      pushLeg(legs, guarantorId, 'GUARANTEE_RECEIVABLE', 'CREDIT', remainingMinor, null);
      this.writtenOff = { lossByParty: new Map([[guarantorId, remainingMinor]]), remainingMinor };
      this.claim = null;
      return legs;
    }
    const held = new Map(this.books.filter((b) => b.outstandingMinor > 0n).map((b) => [b.lenderId, b.outstandingMinor]));
    const totalMinor = [...held.values()].reduce((sum, v) => sum + v, 0n);
    if (totalMinor === 0n) throw new RuleViolation('NOTHING_OUTSTANDING', `loan ${this.loan.loanId} has no principal outstanding`, { path: 'loanId' });
    const losses = this.lossShares(held, totalMinor, event.leadFirstLossCapMinor);
    const lead = this.loan.terms.leadLenderId;
    // Book by book: the lead's legs together (its loss, its principal, what it pays each partner).
    for (const book of this.books) {
      const own = held.get(book.lenderId) ?? 0n;
      const loss = losses.get(book.lenderId) ?? 0n;
      pushLeg(legs, book.lenderId, 'LOSSES', 'DEBIT', loss, null);
      if (book.lenderId === lead) {
        pushLeg(legs, lead, 'PRINCIPAL_RECEIVABLE', 'CREDIT', own, null);
        for (const other of this.books) {
          if (other.lenderId !== lead) pushLeg(legs, lead, 'SETTLEMENT_CLEARING', 'CREDIT', (held.get(other.lenderId) ?? 0n) - (losses.get(other.lenderId) ?? 0n), other.lenderId);
        }
      } else {
        pushLeg(legs, book.lenderId, 'SETTLEMENT_CLEARING', 'DEBIT', own - loss, lead);
        pushLeg(legs, book.lenderId, 'PRINCIPAL_RECEIVABLE', 'CREDIT', own, null);
      }
      book.outstandingMinor = 0n;
    }
    this.writtenOff = { lossByParty: losses, remainingMinor: totalMinor };
    return legs;
  }

  /**
   * Each lender's loss; under LEAD_FIRST_LOSS the lead's first loss is capped by what its cap in
   * the program has left (or, when not given, the cap's share of this loan's principal).
   */
  private lossShares(held: ReadonlyMap<string, bigint>, totalMinor: bigint, capLeftMinor: bigint | undefined): Map<string, bigint> {
    const { method, leadFirstLossCapBps } = this.loan.terms.lossSharing;
    if (method !== 'LEAD_FIRST_LOSS') return new Map(held);
    const lead = this.loan.terms.leadLenderId;
    const capMinor = capLeftMinor ?? (this.loan.principalMinor * BigInt(leadFirstLossCapBps ?? 0)) / 10_000n;
    const firstMinor = totalMinor < capMinor ? totalMinor : capMinor;
    this.firstLossTaken = firstMinor;
    const rest = totalMinor - firstMinor;
    const shares = rest === 0n ? new Map<string, bigint>() : split(rest, this.weights(held), scheduleRemainderRule(this.loan.terms));
    const losses = new Map<string, bigint>();
    for (const [lenderId] of held) losses.set(lenderId, shares.get(lenderId) ?? 0n);
    losses.set(lead, (losses.get(lead) ?? 0n) + firstMinor);
    for (const [lenderId, loss] of losses) {
      invariant(lenderId === lead || loss <= (held.get(lenderId) ?? 0n), 'a partner never loses more than it holds', { lenderId });
    }
    return losses;
  }

  /**
   * Split parts for amounts by party; every lender of the loan takes part (weight 0 when it has
   * none), so the program's rounding party is always among them and falls back as the split's
   * rule says when it has no share.
   */
  private weights(amounts: ReadonlyMap<string, bigint>): { id: string; weight: bigint; priority: number; cap: bigint }[] {
    const parts = this.books.map((book) => {
      const weight = amounts.get(book.lenderId) ?? 0n;
      return { id: book.lenderId, weight, priority: book.priority, cap: weight };
    });
    for (const [id, weight] of amounts) {
      if (!parts.some((p) => p.id === id)) parts.push({ id, weight, priority: Number.MAX_SAFE_INTEGER, cap: weight });
    }
    return parts;
  }

  /**
   * A sale of outstanding principal at par from one funding participant to another, effective on
   * the value date: Seller Dr SETTLEMENT_CLEARING (buyer) / Cr PRINCIPAL_RECEIVABLE; buyer the
   * reverse. Refused when a regulatory minimum would no longer hold. Under ACTUALS the seller is
   * owed the interest of the current period for its days on what it sold.
   */
  private transfer(event: TransferEvent): Leg[] {
    this.refuseAfterLoss('transfer');
    const { fromLenderId, toLenderId, principalMinor } = event;
    if (fromLenderId === toLenderId) throw new ValidationError('toLenderId must differ from fromLenderId', { path: 'toLenderId', rule: 'other-lender' });
    const seller = this.books.find((b) => b.lenderId === fromLenderId);
    if (seller === undefined || seller.outstandingMinor === 0n) {
      throw new RuleViolation('NOT_A_HOLDER', `lender ${fromLenderId} holds no part of loan ${this.loan.loanId}`, { path: 'fromLenderId' });
    }
    if (principalMinor <= 0n || principalMinor > seller.outstandingMinor) {
      throw new RuleViolation('ABOVE_HOLDING', `lender ${fromLenderId} holds ${seller.outstandingMinor}, it cannot sell ${principalMinor}`, {
        path: 'principalMinor',
        holdingMinor: seller.outstandingMinor.toString(),
      });
    }
    // Under LENDER_RATE the lead is paid the spread on every payment of the loan, its share or not: it keeps a share while it does.
    if (seller.role === 'LEAD' && principalMinor === seller.outstandingMinor && this.loan.terms.split.interestBasis === 'LENDER_RATE') {
      throw new RuleViolation('LEAD_KEEPS_SHARE', `under LENDER_RATE the lead ${fromLenderId} earns the spread on loan ${this.loan.loanId} and keeps a share of it: it can sell at most ${principalMinor - 1n}`, {
        path: 'principalMinor',
        rule: 'LEAD_KEEPS_SHARE',
        holdingMinor: seller.outstandingMinor.toString(),
      });
    }
    const buyer = this.bookOf(toLenderId);
    seller.outstandingMinor -= principalMinor;
    buyer.outstandingMinor += principalMinor;
    seller.heldMinor -= principalMinor;
    buyer.heldMinor += principalMinor;
    this.checkMinimums();
    if (this.loan.terms.transfers?.interest === 'ACTUALS') this.oweSellerInterest(event, buyer);
    this.moved.push({ sellerLenderId: fromLenderId, buyerId: toLenderId, valueDate: event.valueDate, principalMinor });
    const legs: Leg[] = [];
    pushLeg(legs, fromLenderId, 'SETTLEMENT_CLEARING', 'DEBIT', principalMinor, toLenderId);
    pushLeg(legs, fromLenderId, 'PRINCIPAL_RECEIVABLE', 'CREDIT', principalMinor, null);
    pushLeg(legs, toLenderId, 'PRINCIPAL_RECEIVABLE', 'DEBIT', principalMinor, null);
    pushLeg(legs, toLenderId, 'SETTLEMENT_CLEARING', 'CREDIT', principalMinor, fromLenderId);
    return legs;
  }

  /**
   * The buyer (the program's lead or guarantor, as its buyback terms allow) takes the seller's
   * whole remaining share from the value date at the program's price: the seller's outstanding
   * principal and, as the rule says, its part of the interest accrued and due and of the penalty,
   * with the premium or discount. The seller's later payments, and its part of interest already
   * received in the current period (LENDER_RATE), pass to the buyer; a guarantor that held nothing
   * gets a book. No regulatory minimum is checked: a buyback is a partner's exit.
   */
  private buyback(event: BuybackEvent): Leg[] {
    this.refuseAfterLoss('be bought back');
    const { sellerLenderId, buyerId } = event;
    const loanId = this.loan.loanId;
    if (sellerLenderId === buyerId) {
      throw new RuleViolation('BUYBACK_BUYER_IS_SELLER', `lender ${buyerId} cannot buy back its own share of loan ${loanId}`, { path: 'buyerId', buyerId, sellerLenderId });
    }
    const terms = buybackTermsOf(this.loan.terms);
    const role = this.buyerRole(buyerId);
    if (role === null || !terms.buyers.includes(role)) {
      throw new RuleViolation('BUYBACK_BUYER_NOT_ALLOWED', `program ${this.loan.programId} lets ${terms.buyers.join(' or ')} buy a share of loan ${loanId} back; ${buyerId} is ${role ?? 'neither its lead nor its guarantor'}`, {
        path: 'buyerId',
        buyerId,
        allowed: [...terms.buyers],
      });
    }
    if (this.books.every((b) => b.outstandingMinor === 0n)) throw new RuleViolation('LOAN_CLOSED', `loan ${loanId} has no principal outstanding`, { path: 'loanId', loanId });
    const seller = this.books.find((b) => b.lenderId === sellerLenderId);
    if (seller === undefined || seller.outstandingMinor === 0n) {
      throw new RuleViolation('NOT_A_HOLDER', `lender ${sellerLenderId} holds no part of loan ${loanId}`, { path: 'sellerLenderId', sellerLenderId });
    }
    if (seller.role !== 'PARTNER') {
      throw new RuleViolation('BUYBACK_SELLER_NOT_A_PARTNER', `a buyback buys a partner's share; ${sellerLenderId} holds loan ${loanId} as ${seller.role}`, { path: 'sellerLenderId', sellerLenderId, role: seller.role });
    }
    const buyer = this.buyerBook(buyerId, role);
    const price = buybackPrice(this.netOfInterestOwed(sellerLenderId, this.account.shareAt(sellerLenderId, event.valueDate), event.valueDate), terms, this.loan.terms.roundingMode);
    buyer.outstandingMinor += seller.outstandingMinor;
    buyer.heldMinor += seller.heldMinor;
    seller.outstandingMinor = 0n;
    seller.heldMinor = 0n;
    for (const [instalment, receivedMinor] of seller.interestByInstalment) buyer.interestByInstalment.set(instalment, (buyer.interestByInstalment.get(instalment) ?? 0n) + receivedMinor);
    seller.interestByInstalment.clear();
    // What the seller owed for a transfer's days passes to the buyer with the share; a buyer owed it
    // itself (the lead buying back what it sold) owes nothing: the price already left it out.
    for (const owed of this.interestOwed) {
      if (owed.buyer !== sellerLenderId) continue;
      owed.buyer = buyerId;
      if (owed.seller === buyerId) owed.remainingMinor = 0n;
    }
    this.moved.push({ sellerLenderId, buyerId, valueDate: event.valueDate });
    return buybackLegs(sellerLenderId, buyerId, price);
  }

  /**
   * The seller's share less the interest it still owes for shares it bought with ACTUALS: that
   * interest is the days its seller held them, not the seller's own, so the price leaves it out of
   * the part it belongs to (the current period's accrued interest, or a due row's overdue interest).
   */
  private netOfInterestOwed(sellerLenderId: string, share: SellerShare, valueDate: string): SellerShare {
    const current = this.account.firstFutureRow(valueDate)?.number;
    let accruedInterestMinor = share.accruedInterestMinor;
    let overdueInterestMinor = share.overdueInterestMinor;
    for (const owed of this.interestOwed) {
      if (owed.buyer !== sellerLenderId || owed.remainingMinor === 0n) continue;
      if (owed.number === current) accruedInterestMinor -= min(owed.remainingMinor, accruedInterestMinor);
      else overdueInterestMinor -= min(owed.remainingMinor, overdueInterestMinor);
    }
    return { ...share, accruedInterestMinor, overdueInterestMinor };
  }

  /** The buyer's role in the loan's program: its lead, its guarantor, or neither. */
  private buyerRole(lenderId: string): BuybackBuyer | null {
    if (lenderId === this.loan.terms.leadLenderId) return 'LEAD';
    if (lenderId === this.guarantorOrNull()) return 'GUARANTOR';
    return null;
  }

  /**
   * The buyer's book; a guarantor's is opened by its first buyback. Under LENDER_RATE a guarantor
   * is paid for the share at its own yield, so it must have one in the program.
   */
  private buyerBook(lenderId: string, role: BuybackBuyer): Book {
    const known = this.books.find((b) => b.lenderId === lenderId);
    const book = known ?? this.account.openBook(lenderId, role, 0n);
    if (role === 'GUARANTOR' && this.loan.terms.split.interestBasis === 'LENDER_RATE' && book.yieldRate === null) {
      throw new RuleViolation('BUYBACK_BUYER_YIELD_REQUIRED', `under LENDER_RATE the guarantor ${lenderId} is paid for a share at its own yield, and program ${this.loan.programId} gives it none`, {
        path: 'buyerId',
        buyerId: lenderId,
      });
    }
    if (known === undefined) this.books.push(book);
    return book;
  }

  /** The buyer's book, opened on its first purchase: it must be a funding participant of the program. */
  private bookOf(lenderId: string): Book {
    const known = this.books.find((b) => b.lenderId === lenderId);
    if (known !== undefined) return known;
    const participant = this.loan.terms.participants.find((p) => p.lenderId === lenderId);
    if (participant === undefined || !isFunding(participant)) {
      throw new RuleViolation('NOT_A_FUNDING_PARTICIPANT', `lender ${lenderId} does not fund loans of program ${this.loan.programId}`, { path: 'toLenderId' });
    }
    const book = this.account.openBook(lenderId, participant.role === 'LEAD' ? 'LEAD' : 'PARTNER', 0n);
    this.books.push(book);
    return book;
  }

  /** After a transfer every holder keeps the profile's minimum share of the outstanding, and a partner still holds a part. */
  private checkMinimums(): void {
    const profile = REGULATORY_PROFILES[this.loan.terms.regulatoryProfile];
    const total = this.books.reduce((sum, b) => sum + b.outstandingMinor, 0n);
    if (!this.books.some((b) => b.role === 'PARTNER' && b.outstandingMinor > 0n)) {
      throw new RuleViolation(RULES.partnerMinShare, `under ${profile.id} a co-lent loan keeps a partner`, { path: 'toLenderId', rule: RULES.partnerMinShare, profile: profile.id });
    }
    for (const book of this.books) {
      const mustHold = book.role !== 'PARTNER' ? profile.minLenderShareBps : Math.max(profile.minLenderShareBps, book.outstandingMinor > 0n ? profile.minPartnerShareBps : 0);
      if (book.outstandingMinor * 10_000n < BigInt(mustHold) * total) {
        const rule = book.role === 'PARTNER' && mustHold === profile.minPartnerShareBps ? RULES.partnerMinShare : RULES.lenderMinShare;
        throw new RuleViolation(rule, `under ${profile.id} ${book.lenderId} must keep at least ${formatBps(mustHold)} of the outstanding principal after the transfer`, {
          path: 'principalMinor',
          rule,
          profile: profile.id,
          lenderId: book.lenderId,
          minimumBps: mustHold,
        });
      }
    }
  }

  /**
   * ACTUALS: the seller's interest for [period start, value date) on what it sold, at the buyer's
   * basis (the contract rate, or the buyer's yield under LENDER_RATE), rounded once; moved from the
   * buyer to the seller when the period's interest is paid.
   */
  private oweSellerInterest(event: TransferEvent, buyer: Book): void {
    const row = this.account.firstFutureRow(event.valueDate);
    if (row === undefined || compareIsoDates(row.periodStart, event.valueDate) >= 0) return;
    const rate = this.loan.terms.split.interestBasis === 'LENDER_RATE' && buyer.role === 'PARTNER' && buyer.yieldRate !== null
      ? toExactFraction(parseRate(buyer.yieldRate, 'yieldRate'))
      : this.rate;
    const { days, basis } = dayCountFraction(row.periodStart, event.valueDate, this.loan.terms.dayCount);
    const owed = divRound(event.principalMinor * rate.numerator * days, rate.denominator * basis, this.loan.terms.roundingMode);
    if (owed > 0n) this.interestOwed.push({ number: row.number, buyer: buyer.lenderId, seller: event.fromLenderId, remainingMinor: owed });
  }

  /** Moves interest owed to sellers out of the buyers' parts of a payment of that period's interest. */
  payInterestOwed(paid: RepaymentSplit, portions: readonly InterestPortion[]): RepaymentSplit {
    if (this.interestOwed.length === 0) return paid;
    const perLender = new Map(paid.perLender);
    for (const owed of this.interestOwed) {
      if (owed.remainingMinor === 0n || !portions.some((p) => p.number === owed.number)) continue;
      const buyer = perLender.get(owed.buyer);
      if (buyer === undefined || !perLender.has(owed.seller)) continue;
      invariant(owed.buyer !== owed.seller, 'a lender never owes interest to itself', { lenderId: owed.buyer, number: owed.number });
      const move = min(owed.remainingMinor, buyer.interestMinor);
      perLender.set(owed.buyer, { ...buyer, interestMinor: buyer.interestMinor - move });
      // Read after the buyer's part is set: one lender's part is never written from a stale copy.
      const seller = perLender.get(owed.seller)!;
      perLender.set(owed.seller, { ...seller, interestMinor: seller.interestMinor + move });
      owed.remainingMinor -= move;
    }
    return { ...paid, perLender };
  }

  /**
   * A payment on a compensated loan recovers the guarantor's claim; on a written-off loan, each
   * party's loss in proportion to it. Whatever is above what is left to recover is suspense.
   */
  recover(covered: Covered): RepaymentSplit {
    const recovered = totalCovered(covered);
    const lead = this.loan.terms.leadLenderId;
    const zero: LenderRepaymentParts = { principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 0n, spreadMinor: 0n };
    let recovery: Recovery;
    let recoveredMinor: bigint;
    if (this.claim !== null) {
      recoveredMinor = min(recovered, this.claim.remainingMinor);
      this.claim.remainingMinor -= recoveredMinor;
      recovery = { account: 'GUARANTEE_RECEIVABLE', parts: new Map(recoveredMinor === 0n ? [] : [[this.claim.guarantorId, recoveredMinor]]) };
    } else {
      const loss = this.writtenOff!;
      recoveredMinor = min(recovered, loss.remainingMinor);
      loss.remainingMinor -= recoveredMinor;
      const parts = recoveredMinor === 0n ? new Map<string, bigint>() : split(recoveredMinor, this.weights(loss.lossByParty), scheduleRemainderRule(this.loan.terms));
      recovery = { account: 'LOSSES', parts: new Map([...parts].filter(([, v]) => v > 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
    }
    const suspenseMinor = covered.excessMinor + recovered - recoveredMinor;
    return { perLender: new Map([[lead, zero]]), suspenseMinor, suspenseLenderId: lead, paidMinor: recovered + covered.excessMinor, recovery };
  }

  private refuseAfterLoss(action: string): void {
    if (this.claim !== null) throw new RuleViolation('COMPENSATED', `loan ${this.loan.loanId} was compensated by its guarantor; it cannot ${action}`, { path: 'loanId' });
    if (this.writtenOff !== null) throw new RuleViolation('WRITTEN_OFF', `loan ${this.loan.loanId} is written off; it cannot ${action}`, { path: 'loanId' });
  }
}

function pushLeg(legs: Leg[], lenderId: string, account: Leg['account'], side: Leg['side'], amountMinor: bigint, counterparty: string | null): void {
  if (amountMinor !== 0n) legs.push({ lenderId, account, side, amountMinor, counterparty });
}
