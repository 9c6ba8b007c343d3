import type { SellerShare } from './buyback.ts';
import { RuleViolation, ValidationError, invariant } from './errors.ts';
import { compareIsoDates, dayCountFraction, daysBetween, divRound, parseRate, toExactFraction } from './money/index.ts';
import type { ExactFraction } from './money/index.ts';
import type { Loan } from './loan.ts';
import { min, type Book, type HolderRole, type InterestPortion, type Row } from './loan-account-model.ts';
import { LoanEvents, type FeeEvent, type LoanEvent, type LoanEventOutcome, type StandingState } from './loan-events.ts';
import { DEFAULT_PREPAYMENT, DEFAULT_WATERFALL } from './program.ts';
import { NOTHING_COVERED, applyWaterfall, totalCovered, type Covered, type Dues } from './repayment-waterfall.ts';
import { splitRepayment, type LenderHolding, type LenderRepaymentParts, type RepaymentSplit } from './repayment-split.ts';
import { borrowerRules, chargesOnInterest, feesByPayee, interestDeductions, payOwedFees } from './fees.ts';
import { borrowerSchedule, levelPaymentMinor, loanLenderSchedules, scheduleTermsOf } from './schedule.ts';
import type { Instalment, LenderSchedule, Schedule } from './schedule.ts';

/**
 * A loan's repayment account: the borrower's payments applied one after the other, in order of
 * value date, to the loan's schedule. Each payment accrues penalty and compound interest up to its
 * value date, covers the dues by the waterfall, prepays principal when the program or the payment
 * says so (rebuilding the rest of the schedule), and is split among the lenders. The account is a
 * pure fold of the payments, so it is the same however often, and in whatever order, they arrive.
 * The rules are written down in docs/repayment-booking.md.
 */

// Compensation, write-off and transfer live in loan-events.ts; callers import them with the account.
export type { BuybackEvent, CompensationEvent, FeeEvent, LoanEvent, LoanEventOutcome, StandingState, TransferEvent, WriteOffEvent } from './loan-events.ts';

export type RepaymentKind = 'REGULAR' | 'PREPAYMENT';

/** One borrower payment as the account applies it. */
export interface RepaymentEvent {
  readonly type?: 'REPAYMENT';
  readonly repaymentId: string;
  readonly valueDate: string;
  readonly amountMinor: bigint;
  readonly kind: RepaymentKind;
  /** Arrival order on the loan; breaks ties between payments of one value date. */
  readonly seq: number;
}

/** What one payment did, in the order of effect. */
export interface RepaymentOutcome {
  readonly repaymentId: string;
  readonly valueDate: string;
  readonly dues: Dues;
  /** The waterfall's cover plus the early repayment (in currentInterest/currentPrincipal) and the excess. */
  readonly covered: Covered;
  readonly prepaidPrincipalMinor: bigint;
  readonly prepaidInterestMinor: bigint;
  readonly split: RepaymentSplit;
  /** Days past due just before the payment. */
  readonly dpdBefore: number;
}

export interface AccountInstalment {
  readonly number: number;
  readonly dueDate: string;
  readonly periodStart: string;
  readonly principalMinor: bigint;
  readonly interestMinor: bigint;
  readonly paidPrincipalMinor: bigint;
  readonly paidInterestMinor: bigint;
  /** A row written by an early repayment: what it settled on its value date. */
  readonly prepayment: boolean;
}

export interface AccountSummary {
  readonly status: 'ACTIVE' | 'PAID_OFF' | 'COMPENSATED' | 'WRITTEN_OFF';
  readonly asOf: string;
  readonly outstandingPrincipalMinor: bigint;
  readonly outstandingByLender: ReadonlyMap<string, bigint>;
  readonly penaltyOutstandingMinor: bigint;
  readonly suspenseMinor: bigint;
  readonly reschedules: number;
  readonly instalments: readonly AccountInstalment[];
}

/** Where the rows not yet due come from after an early repayment rebuilt them. */
export interface RowBasis {
  /** The value date of the early repayment: the first rebuilt period runs from it. */
  readonly from: string;
  readonly principalMinor: bigint;
  /** 0: nothing was left to rebuild. */
  readonly termMonths: number;
  /** The rebuilt rows keep the booked schedule's due dates from this index on. */
  readonly firstDueIndex: number;
  readonly firstNumber: number;
}

/** A row of the account with what is paid of it. */
export type AccountRow = Readonly<Row>;

/**
 * What the account holds after an event (`LoanAccount.state`): the next event applied to the
 * restored account does what it does in the whole fold.
 */
export interface AccountState extends StandingState {
  readonly last: { readonly id: string; readonly valueDate: string; readonly seq: number } | null;
  readonly accruedThrough: string;
  readonly penaltyOutstandingMinor: bigint;
  readonly suspenseMinor: bigint;
  readonly reschedules: number;
  readonly books: readonly {
    readonly lenderId: string;
    readonly role: HolderRole;
    readonly outstandingMinor: bigint;
    readonly heldMinor: bigint;
    /** LENDER_RATE: interest received of each instalment still open. */
    readonly interestByInstalment: readonly (readonly [number, bigint])[];
  }[];
  /** Rows due by the last event's value date and not fully paid. */
  readonly openRows: readonly AccountRow[];
  readonly basis: RowBasis | null;
  /** Borrower fees charged and not yet paid, by fee rule id; absent when none. */
  readonly feesOwed?: readonly (readonly [string, bigint])[];
}

/**
 * The running account of one loan. `apply` takes the payments in order of effect (value date,
 * then arrival); `foldRepayments` sorts and applies them all.
 */
export class LoanAccount {
  private readonly rows: Row[];
  private readonly books: Book[];
  private readonly rate: ExactFraction;
  private readonly penaltyRate: ExactFraction;
  private penaltyOutstandingMinor = 0n;
  private accruedThrough: string;
  private suspenseMinor = 0n;
  /** Borrower fees charged on interest paid and not yet paid, by fee rule id (docs/fees.md). */
  private feesOwed = new Map<string, bigint>();
  private reschedules = 0;
  private lastApplied: { readonly id: string; readonly valueDate: string; readonly seq: number } | null = null;
  /** Compensation, write-off and transfers, and the standing they leave. */
  private readonly events: LoanEvents;
  /** The due dates of the schedule booked with the loan: every row's due date is one of them. */
  private readonly bookedDueDates: readonly string[];
  /** Where the rows not yet due come from: the booked schedule (null), or the last rebuild. */
  private basis: RowBasis | null = null;
  /** Restored from a state: the rows fully paid before it are not held. */
  private partial = false;

  constructor(private readonly loan: Loan) {
    const borrower = bookedSchedule(loan);
    this.rows = borrower.instalments.map((row) => rowOf(row, row.number, false));
    this.bookedDueDates = borrower.instalments.map((row) => row.dueDate);
    this.books = loan.fundingPlan.map((part) => this.openBook(part.lenderId, part.role, part.amountMinor));
    this.rate = toExactFraction(parseRate(loan.annualRate, 'annualRate'));
    const multiplier = toExactFraction(parseRate(loan.terms.penaltyRateMultiplier, 'penaltyRateMultiplier'));
    this.penaltyRate = {
      numerator: this.rate.numerator * multiplier.numerator,
      denominator: this.rate.denominator * multiplier.denominator,
    };
    this.accruedThrough = loan.disbursementDate;
    this.events = new LoanEvents({
      loan,
      books: this.books,
      rate: this.rate,
      openBook: (lenderId, role, heldMinor) => this.openBook(lenderId, role, heldMinor),
      dueInterest: (date) => this.dueInterest(date),
      firstFutureRow: (date) => this.firstFutureRow(date),
      splitAmong: (covered, portions, date) => this.splitAmong(covered, portions, date),
      repayPrincipal: (split) => this.repayPrincipal(split),
      shareAt: (lenderId, date) => this.shareAt(lenderId, date),
    });
  }

  /**
   * The account as it stands after the last event applied: enough to apply the next one exactly as
   * the whole fold would. Rows fully paid by then are left out (no later event reads them), and the
   * rows not yet due are named by their basis (the booked schedule or the last rebuild), so the
   * state does not grow with the loan's history.
   */
  state(): AccountState {
    const cut = this.lastApplied?.valueDate ?? this.loan.disbursementDate;
    const openRows: AccountRow[] = [];
    const live = new Set<number>();
    let tailFrom = Number.MAX_SAFE_INTEGER;
    for (const row of this.rows) {
      if (compareIsoDates(row.dueDate, cut) > 0) {
        tailFrom = Math.min(tailFrom, row.number);
        continue;
      }
      if (row.paidInterestMinor < row.interestMinor) live.add(row.number);
      if (row.paidPrincipalMinor < row.principalMinor || row.paidInterestMinor < row.interestMinor) openRows.push({ ...row });
    }
    const alive = (n: number) => n >= tailFrom || live.has(n);
    return {
      last: this.lastApplied,
      accruedThrough: this.accruedThrough,
      penaltyOutstandingMinor: this.penaltyOutstandingMinor,
      suspenseMinor: this.suspenseMinor,
      reschedules: this.reschedules,
      books: this.books.map((book) => ({
        lenderId: book.lenderId,
        role: book.role,
        outstandingMinor: book.outstandingMinor,
        heldMinor: book.heldMinor,
        interestByInstalment: [...book.interestByInstalment].filter(([n]) => alive(n)).sort(([a], [b]) => a - b),
      })),
      openRows,
      basis: this.basis,
      ...this.events.state(alive),
      ...(this.feesOwed.size === 0 ? {} : { feesOwed: [...this.feesOwed] }),
    };
  }

  /** The account of `loan` as `state` left it: applying the events after it gives what the whole fold gives. */
  static restore(loan: Loan, state: AccountState): LoanAccount {
    const account = new LoanAccount(loan);
    const cut = state.last?.valueDate ?? loan.disbursementDate;
    const tail = state.basis === null ? account.rows : account.rebuiltRows(state.basis);
    const rows = [...state.openRows.map((row) => ({ ...row })), ...tail.filter((row) => compareIsoDates(row.dueDate, cut) > 0)];
    account.rows.splice(0, account.rows.length, ...rows);
    account.books.splice(
      0,
      account.books.length,
      ...state.books.map((b) => {
        const book = account.openBook(b.lenderId, b.role, b.heldMinor);
        book.outstandingMinor = b.outstandingMinor;
        for (const [n, amount] of b.interestByInstalment) book.interestByInstalment.set(n, amount);
        return book;
      }),
    );
    account.lastApplied = state.last;
    account.accruedThrough = state.accruedThrough;
    account.penaltyOutstandingMinor = state.penaltyOutstandingMinor;
    account.suspenseMinor = state.suspenseMinor;
    account.reschedules = state.reschedules;
    account.basis = state.basis;
    account.feesOwed = new Map(state.feesOwed ?? []);
    account.events.restore(state);
    account.partial = true;
    return account;
  }

  /** A lender's book in the loan, its terms from the program's participants. */
  private openBook(lenderId: string, role: HolderRole, heldMinor: bigint): Book {
    const participant = this.loan.terms.participants.find((p) => p.lenderId === lenderId);
    return {
      lenderId,
      role,
      yieldRate: participant?.yieldRate ?? null,
      priority: participant?.priority ?? Number.MAX_SAFE_INTEGER,
      outstandingMinor: heldMinor,
      heldMinor,
      interestByInstalment: new Map(),
    };
  }

  /** The rows a rebuild made, numbered from its first. */
  private rebuiltRows(basis: RowBasis): Row[] {
    if (basis.termMonths === 0) return [];
    const rebuilt = borrowerSchedule({
      ...scheduleTermsOf(this.loan),
      principalMinor: basis.principalMinor,
      termMonths: basis.termMonths,
      disbursementDate: basis.from,
      dueDates: this.bookedDueDates.slice(basis.firstDueIndex, basis.firstDueIndex + basis.termMonths),
    });
    return rebuilt.instalments.map((row) => rowOf(row, basis.firstNumber + row.number - 1, false));
  }

  /** Applies one payment; it must not come before the last one applied. */
  apply(event: RepaymentEvent): RepaymentOutcome {
    checkEvent(this.loan, event);
    this.enter(event.repaymentId, event);
    const date = event.valueDate;
    this.accrueTo(date);
    const dpdBefore = this.daysPastDue(date);
    const recovering = this.events.recovering;
    const { dues, waterfall, feesPaid } = this.coverWithFees(event.amountMinor, date, recovering);
    this.penaltyOutstandingMinor -= waterfall.penaltyMinor;
    const prepayment = recovering ? { interestMinor: 0n, principalMinor: 0n } : this.prepaymentOf(event, waterfall.excessMinor);
    const covered: Covered = {
      ...waterfall,
      currentInterestMinor: waterfall.currentInterestMinor + prepayment.interestMinor,
      currentPrincipalMinor: waterfall.currentPrincipalMinor + prepayment.principalMinor,
      excessMinor: waterfall.excessMinor - prepayment.interestMinor - prepayment.principalMinor,
    };
    const portions = this.coverDues(date, waterfall);
    const prepaying = prepayment.principalMinor > 0n || prepayment.interestMinor > 0n;
    const settled = prepaying ? this.settlePrepayment(date, prepayment, portions) : -1;
    const split = recovering ? this.events.recover(covered) : this.withFees(this.events.payInterestOwed(this.splitAmong({ ...covered, feesMinor: 0n }, portions, date), portions), feesPaid);
    this.repayPrincipal(split);
    if (prepaying) this.rebuildAfter(date, settled);
    this.suspenseMinor += split.suspenseMinor;
    return {
      repaymentId: event.repaymentId,
      valueDate: date,
      dues,
      covered,
      prepaidPrincipalMinor: prepayment.principalMinor,
      prepaidInterestMinor: prepayment.interestMinor,
      split,
      dpdBefore,
    };
  }

  /**
   * The waterfall of a payment with the borrower's fees: the fees owed are due in the FEES slot,
   * and so is each borrower rule's fraction of the interest this payment covers (the FEES slot
   * comes after the interest, so adding them changes no interest covered). What the payment covers
   * of the fees is paid to the rules in the program's order; the rest stays owed. A compensated
   * or written-off loan is charged no fees.
   */
  private coverWithFees(amountMinor: bigint, date: string, recovering: boolean): { dues: Dues; waterfall: Covered; feesPaid: ReadonlyMap<string, bigint> } {
    const order = this.loan.terms.waterfall ?? DEFAULT_WATERFALL;
    const owed = recovering ? new Map<string, bigint>() : new Map(this.feesOwed);
    let owedMinor = 0n;
    for (const amount of owed.values()) owedMinor += amount;
    const base = this.duesAt(date);
    let dues: Dues = owedMinor === 0n ? base : { ...base, feesMinor: owedMinor };
    let waterfall = applyWaterfall(amountMinor, dues, order);
    const charges = recovering ? new Map<string, bigint>() : chargesOnInterest(this.loan.terms, waterfall.overdueInterestMinor + waterfall.currentInterestMinor);
    if (charges.size > 0) {
      for (const [ruleId, fee] of charges) {
        owed.set(ruleId, (owed.get(ruleId) ?? 0n) + fee);
        owedMinor += fee;
      }
      dues = { ...dues, feesMinor: owedMinor };
      waterfall = applyWaterfall(amountMinor, dues, order);
    }
    if (owedMinor === 0n) return { dues, waterfall, feesPaid: new Map() };
    const { paid, left } = payOwedFees(this.loan.terms, owed, waterfall.feesMinor);
    if (!recovering) this.feesOwed = left;
    return { dues, waterfall, feesPaid: paid };
  }

  /**
   * A split with the borrower's fees paid to their payees (a payee that holds no part of the loan
   * appears with its fee only) and the fees lenders pay out of their interest of it.
   */
  private withFees(split: RepaymentSplit, feesPaid: ReadonlyMap<string, bigint>): RepaymentSplit {
    let result = split;
    if (feesPaid.size > 0) {
      const perLender = new Map(split.perLender);
      let paidMinor = split.paidMinor;
      for (const [payee, amount] of feesByPayee(this.loan.terms, feesPaid)) {
        const known = perLender.get(payee) ?? { principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 0n, spreadMinor: 0n };
        perLender.set(payee, { ...known, feeMinor: known.feeMinor + amount });
        paidMinor += amount;
      }
      result = { ...split, perLender: new Map([...perLender].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))), paidMinor };
    }
    const deductions = interestDeductions(this.loan.terms, result.perLender);
    return deductions.length === 0 ? result : { ...result, deductions };
  }

  /** Applies a compensation, a write-off or a transfer; it must not come before the last event applied. */
  applyEvent(event: LoanEvent): LoanEventOutcome {
    checkValueDate(this.loan, event.valueDate);
    this.enter(event.eventId, event);
    if (event.type === 'FEE') return this.billFee(event);
    this.accrueTo(event.valueDate);
    const { legs, leadFirstLossMinor } = this.events.apply(event);
    const outcome = { eventId: event.eventId, type: event.type, valueDate: event.valueDate, legs };
    return leadFirstLossMinor > 0n ? { ...outcome, leadFirstLossMinor } : outcome;
  }

  /**
   * A borrower period fee billed: owed under its rule, on top of what the rule already owes, and
   * due in the FEES slot of the next payments. Nothing accrues (the next payment accrues penalty
   * over the whole stretch, as without the bill) and nothing is booked: income is booked when paid.
   */
  private billFee(event: FeeEvent): LoanEventOutcome {
    invariant(event.amountMinor > 0n, 'a billed fee is positive', { eventId: event.eventId });
    const rules = borrowerRules(this.loan.terms);
    invariant(rules.some((r) => r.id === event.ruleId), "a billed fee names a borrower rule of the loan's program", { eventId: event.eventId, ruleId: event.ruleId });
    const owed = new Map(this.feesOwed);
    owed.set(event.ruleId, (owed.get(event.ruleId) ?? 0n) + event.amountMinor);
    // Kept in the program's order, the order payments pay them in, so equal states encode the same.
    this.feesOwed = new Map(rules.filter((r) => owed.has(r.id)).map((r) => [r.id, owed.get(r.id)!]));
    return { eventId: event.eventId, type: event.type, valueDate: event.valueDate, legs: [] };
  }

  /** Borrower fees billed or charged and not yet paid, by rule id, in the program's order. */
  get feesOwedByRule(): ReadonlyMap<string, bigint> {
    return this.feesOwed;
  }

  /** Whether the loan was compensated by its guarantor, and whether it was written off. */
  get standing(): { readonly compensated: boolean; readonly writtenOff: boolean } {
    return this.events.standing;
  }

  private enter(id: string, event: { readonly valueDate: string; readonly seq: number }): void {
    const last = this.lastApplied;
    invariant(last === null || compareEvents(last, event) < 0, 'events are applied in order of effect', { last: last?.id ?? null, next: id });
    this.lastApplied = { id, valueDate: event.valueDate, seq: event.seq };
  }

  /** The account at `asOf` (not before the last payment): penalty accrued to that date. */
  summary(asOf: string): AccountSummary {
    this.accrueTo(asOf);
    let outstanding = 0n;
    const byLender = new Map<string, bigint>();
    for (const book of this.books) {
      outstanding += book.outstandingMinor;
      byLender.set(book.lenderId, book.outstandingMinor);
    }
    const unpaid = this.rows.some((r) => r.paidPrincipalMinor < r.principalMinor || r.paidInterestMinor < r.interestMinor);
    return {
      status: this.events.status ?? (!unpaid && outstanding === 0n && this.penaltyOutstandingMinor === 0n && this.feesOwed.size === 0 ? 'PAID_OFF' : 'ACTIVE'),
      asOf,
      outstandingPrincipalMinor: outstanding,
      outstandingByLender: byLender,
      penaltyOutstandingMinor: this.penaltyOutstandingMinor,
      suspenseMinor: this.suspenseMinor,
      reschedules: this.reschedules,
      instalments: this.rows.map((r) => ({ ...r })),
    };
  }

  /**
   * Interest and penalty accrued and unpaid at `asOf` (not before the last event), and each
   * lender's part of them: what it would receive if the borrower paid them now. Interest is the
   * unpaid interest of the rows due by `asOf` and the interest accrued daily on the principal not
   * yet due since the current period began; penalty is the penalty and compound interest accrued.
   * Nothing is booked: income is booked when paid.
   */
  accruals(asOf: string): { interestDueMinor: bigint; interestAccruedMinor: bigint; penaltyMinor: bigint; byLender: ReadonlyMap<string, LenderRepaymentParts> } {
    this.accrueTo(asOf);
    const portions = this.dueInterest(asOf);
    let interestDueMinor = 0n;
    for (const portion of portions) interestDueMinor += portion.amountMinor;
    const first = this.firstFutureRow(asOf);
    const interestAccruedMinor = first === undefined ? 0n : this.accruedInterest(first.periodStart, asOf, this.notDuePrincipal(first));
    if (first !== undefined && interestAccruedMinor > 0n) portions.push({ number: first.number, amountMinor: interestAccruedMinor, start: first.periodStart, end: asOf });
    const covered: Covered = { ...NOTHING_COVERED, penaltyMinor: this.penaltyOutstandingMinor, overdueInterestMinor: interestDueMinor + interestAccruedMinor };
    const live = !this.events.recovering && totalCovered(covered) > 0n;
    const byLender = live ? this.splitAmong(covered, portions, asOf, false).perLender : new Map<string, LenderRepaymentParts>();
    return { interestDueMinor, interestAccruedMinor, penaltyMinor: this.penaltyOutstandingMinor, byLender };
  }

  /**
   * A lender's share at `date` (penalty accrued to it), part by part: its outstanding principal,
   * and its part of the unpaid interest of the rows due by `date`, of the interest accrued since
   * the current period began on the principal not yet due, and of the penalty, each split on its
   * own as a payment of that part alone would be. Nothing is recorded.
   */
  private shareAt(lenderId: string, date: string): SellerShare {
    const partOf = (covered: Covered, portions: readonly InterestPortion[]): LenderRepaymentParts | undefined =>
      totalCovered(covered) === 0n ? undefined : this.splitAmong(covered, portions, date, false).perLender.get(lenderId);
    const due = this.dueInterest(date);
    const dueMinor = due.reduce((sum, portion) => sum + portion.amountMinor, 0n);
    const first = this.firstFutureRow(date);
    const accruedMinor = first === undefined ? 0n : this.accruedInterest(first.periodStart, date, this.notDuePrincipal(first));
    const accrued = first === undefined || accruedMinor === 0n ? [] : [{ number: first.number, amountMinor: accruedMinor, start: first.periodStart, end: date }];
    const overdue = partOf({ ...NOTHING_COVERED, overdueInterestMinor: dueMinor }, due);
    const current = partOf({ ...NOTHING_COVERED, overdueInterestMinor: accruedMinor }, accrued);
    const penalty = partOf({ ...NOTHING_COVERED, penaltyMinor: this.penaltyOutstandingMinor }, []);
    return {
      principalMinor: this.books.find((book) => book.lenderId === lenderId)?.outstandingMinor ?? 0n,
      overdueInterestMinor: (overdue?.interestMinor ?? 0n) + (overdue?.spreadMinor ?? 0n),
      accruedInterestMinor: (current?.interestMinor ?? 0n) + (current?.spreadMinor ?? 0n),
      penaltyMinor: penalty?.penaltyMinor ?? 0n,
    };
  }

  /** Whether an early repayment has rebuilt the schedule. */
  get rescheduled(): boolean {
    return this.reschedules > 0;
  }

  /**
   * The schedule as it stands: the rows booked with the loan, each early repayment's settled row
   * and the rows rebuilt after it; each lender's sub-schedule derived from it exactly as at
   * booking, so the sub-schedules still sum to the borrower's.
   */
  schedules(): { borrower: Schedule; lenders: LenderSchedule[] } {
    invariant(!this.partial, 'the whole schedule comes from the whole fold, not from a restored state', { loanId: this.loan.loanId });
    let opening = this.loan.principalMinor;
    let totalInterestMinor = 0n;
    const instalments = this.rows.map((row): Instalment => {
      const instalment: Instalment = {
        number: row.number,
        dueDate: row.dueDate,
        periodStart: row.periodStart,
        periodEnd: row.dueDate,
        days: daysBetween(row.periodStart, row.dueDate),
        principalMinor: row.principalMinor,
        interestMinor: row.interestMinor,
        totalMinor: row.principalMinor + row.interestMinor,
        openingPrincipalMinor: opening,
        closingPrincipalMinor: opening - row.principalMinor,
      };
      opening -= row.principalMinor;
      totalInterestMinor += row.interestMinor;
      return instalment;
    });
    invariant(opening === 0n, 'the rows repay the principal exactly', { loanId: this.loan.loanId });
    const borrower: Schedule = { method: this.loan.repaymentMethod, instalments, totalPrincipalMinor: this.loan.principalMinor, totalInterestMinor };
    return { borrower, lenders: loanLenderSchedules(this.loan, borrower, this.events.shareMoves) };
  }

  /** Days from the due date of the oldest instalment not fully paid and due before `asOf`. */
  daysPastDue(asOf: string): number {
    for (const row of this.rows) {
      if (compareIsoDates(row.dueDate, asOf) >= 0) break;
      if (row.paidPrincipalMinor < row.principalMinor || row.paidInterestMinor < row.interestMinor) {
        return daysBetween(row.dueDate, asOf);
      }
    }
    return 0;
  }

  /**
   * Penalty interest on overdue principal and compound interest on overdue interest, at the
   * penalty rate, from the last accrual (or each instalment's due date, if later) to `to`; each
   * rounded once per accrual with the program's rounding mode.
   */
  private accrueTo(to: string): void {
    const from = this.accruedThrough;
    if (compareIsoDates(to, from) <= 0) return;
    let principalDays = 0n;
    let interestDays = 0n;
    let basis = 0n;
    for (const row of this.rows) {
      if (compareIsoDates(row.dueDate, to) >= 0) break;
      const unpaidPrincipal = row.principalMinor - row.paidPrincipalMinor;
      const unpaidInterest = row.interestMinor - row.paidInterestMinor;
      if (unpaidPrincipal === 0n && unpaidInterest === 0n) continue;
      const start = compareIsoDates(row.dueDate, from) > 0 ? row.dueDate : from;
      const fraction = dayCountFraction(start, to, this.loan.terms.dayCount);
      principalDays += unpaidPrincipal * fraction.days;
      interestDays += unpaidInterest * fraction.days;
      basis = fraction.basis;
    }
    this.accruedThrough = to;
    if (basis === 0n) return;
    const { numerator, denominator } = this.penaltyRate;
    const mode = this.loan.terms.roundingMode;
    this.penaltyOutstandingMinor +=
      divRound(principalDays * numerator, denominator * basis, mode) + divRound(interestDays * numerator, denominator * basis, mode);
  }

  private duesAt(date: string): Dues {
    let overduePrincipalMinor = 0n;
    let overdueInterestMinor = 0n;
    let currentPrincipalMinor = 0n;
    let currentInterestMinor = 0n;
    for (const row of this.rows) {
      const order = compareIsoDates(row.dueDate, date);
      if (order > 0) break;
      const principal = row.principalMinor - row.paidPrincipalMinor;
      const interest = row.interestMinor - row.paidInterestMinor;
      if (order < 0) {
        overduePrincipalMinor += principal;
        overdueInterestMinor += interest;
      } else {
        currentPrincipalMinor += principal;
        currentInterestMinor += interest;
      }
    }
    return {
      penaltyMinor: this.penaltyOutstandingMinor,
      overdueInterestMinor,
      overduePrincipalMinor,
      currentInterestMinor,
      currentPrincipalMinor,
      feesMinor: 0n,
    };
  }

  /**
   * The early repayment a payment makes of its excess: only a PREPAYMENT, or any payment when the
   * program prepays, and only when the excess pays at least the interest accrued on the principal
   * not yet due; then that interest and as much of that principal as the rest covers.
   */
  private prepaymentOf(event: RepaymentEvent, excessMinor: bigint): { interestMinor: bigint; principalMinor: bigint } {
    const none = { interestMinor: 0n, principalMinor: 0n };
    const rule = this.loan.terms.prepayment ?? DEFAULT_PREPAYMENT;
    if (excessMinor === 0n || (event.kind !== 'PREPAYMENT' && rule.excess !== 'PREPAY')) return none;
    const first = this.firstFutureRow(event.valueDate);
    if (first === undefined) return none;
    const notDueMinor = this.notDuePrincipal(first);
    if (notDueMinor === 0n) return none;
    const interestMinor = this.accruedInterest(first.periodStart, event.valueDate, notDueMinor);
    if (excessMinor < interestMinor) return none;
    const left = excessMinor - interestMinor;
    return { interestMinor, principalMinor: left < notDueMinor ? left : notDueMinor };
  }

  /** The unpaid interest of each row due by `date`, oldest first, with the period it accrued over. */
  private dueInterest(date: string): InterestPortion[] {
    const portions: InterestPortion[] = [];
    for (const row of this.rows) {
      if (compareIsoDates(row.dueDate, date) > 0) break;
      const unpaid = row.interestMinor - row.paidInterestMinor;
      if (unpaid === 0n) continue;
      portions.push({ number: row.number, amountMinor: unpaid, start: row.periodStart, end: row.dueDate });
    }
    return portions;
  }

  private firstFutureRow(date: string): Row | undefined {
    return this.rows.find((row) => compareIsoDates(row.dueDate, date) > 0);
  }

  private notDuePrincipal(first: Row): bigint {
    let sum = 0n;
    for (const row of this.rows) if (row.number >= first.number) sum += row.principalMinor - row.paidPrincipalMinor;
    return sum;
  }

  /** Interest accrued daily with the day count over [from, to), rounded once. */
  private accruedInterest(from: string, to: string, principalMinor: bigint): bigint {
    if (compareIsoDates(to, from) <= 0) return 0n;
    const { days, basis } = dayCountFraction(from, to, this.loan.terms.dayCount);
    const { numerator, denominator } = this.rate;
    return divRound(principalMinor * numerator * days, denominator * basis, this.loan.terms.roundingMode);
  }

  /**
   * Marks what the waterfall covered as paid: overdue interest and principal oldest instalment
   * first, current ones on the instalment due that day. Returns the interest paid per instalment.
   */
  private coverDues(date: string, covered: Covered): InterestPortion[] {
    const portions: InterestPortion[] = [];
    let overdueInterest = covered.overdueInterestMinor;
    let overduePrincipal = covered.overduePrincipalMinor;
    let currentInterest = covered.currentInterestMinor;
    let currentPrincipal = covered.currentPrincipalMinor;
    for (const row of this.rows) {
      const order = compareIsoDates(row.dueDate, date);
      if (order > 0) break;
      const interestLeft = row.interestMinor - row.paidInterestMinor;
      const interest = order < 0 ? min(overdueInterest, interestLeft) : min(currentInterest, interestLeft);
      const principalLeft = row.principalMinor - row.paidPrincipalMinor;
      const principal = order < 0 ? min(overduePrincipal, principalLeft) : min(currentPrincipal, principalLeft);
      if (order < 0) {
        overdueInterest -= interest;
        overduePrincipal -= principal;
      } else {
        currentInterest -= interest;
        currentPrincipal -= principal;
      }
      row.paidInterestMinor += interest;
      row.paidPrincipalMinor += principal;
      if (interest > 0n) portions.push({ number: row.number, amountMinor: interest, start: row.periodStart, end: row.dueDate });
    }
    invariant(
      overdueInterest === 0n && overduePrincipal === 0n && currentInterest === 0n && currentPrincipal === 0n,
      'every covered due is marked paid on an instalment',
      { date },
    );
    return portions;
  }

  /**
   * An early repayment becomes a row of its own, due and settled on its value date: the interest
   * accrued since the current period began and the principal prepaid. The rows not yet due are
   * left for `rebuildAfter`.
   */
  private settlePrepayment(date: string, prepayment: { interestMinor: bigint; principalMinor: bigint }, portions: InterestPortion[]): number {
    const first = this.firstFutureRow(date);
    invariant(first !== undefined, 'an early repayment has rows not yet due', { date });
    const row: Row = {
      number: first.number,
      dueDate: date,
      periodStart: first.periodStart,
      principalMinor: prepayment.principalMinor,
      interestMinor: prepayment.interestMinor,
      paidPrincipalMinor: prepayment.principalMinor,
      paidInterestMinor: prepayment.interestMinor,
      prepayment: true,
    };
    const index = this.rows.indexOf(first);
    this.rows.splice(index, 0, row);
    if (prepayment.interestMinor > 0n) portions.push({ number: row.number, amountMinor: prepayment.interestMinor, start: first.periodStart, end: date });
    return index;
  }

  /**
   * The rows not yet due, rebuilt on the principal left from the value date, keeping their due
   * dates: as many instalments, smaller (LOWER_INSTALMENT), or fewer (SHORTER_TERM). The first
   * rebuilt period runs from the value date.
   */
  private rebuildAfter(date: string, settled: number): void {
    const prepaidMinor = this.rows[settled]!.principalMinor;
    invariant(this.rows[settled]!.prepayment, 'the early repayment row precedes the rebuilt rows', { date });
    const future = this.rows.slice(settled + 1);
    const leftMinor = future.reduce((sum, row) => sum + row.principalMinor, 0n) - prepaidMinor;
    invariant(leftMinor >= 0n, 'an early repayment never exceeds the principal not yet due', { date });
    this.rows.splice(settled + 1);
    this.reschedules += 1;
    const firstNumber = this.rows[settled]!.number + 1;
    if (leftMinor === 0n || future.length === 0) {
      this.basis = { from: date, principalMinor: 0n, termMonths: 0, firstDueIndex: 0, firstNumber };
      return;
    }
    const termMonths = this.termAfterPrepayment(future, leftMinor);
    const firstDueIndex = this.bookedDueDates.indexOf(future[0]!.dueDate);
    invariant(
      future.slice(0, termMonths).every((row, i) => row.dueDate === this.bookedDueDates[firstDueIndex + i]),
      'rebuilt rows keep due dates of the booked schedule, in a run',
      { date },
    );
    this.basis = { from: date, principalMinor: leftMinor, termMonths, firstDueIndex, firstNumber };
    this.rows.push(...this.rebuiltRows(this.basis));
  }

  private termAfterPrepayment(future: readonly Row[], leftMinor: bigint): number {
    const rule = this.loan.terms.prepayment ?? DEFAULT_PREPAYMENT;
    const count = future.length;
    const method = this.loan.repaymentMethod;
    if (rule.reschedule === 'LOWER_INSTALMENT' || method === 'BULLET' || method === 'INTEREST_ONLY') return count;
    if (method === 'EQUAL_PRINCIPAL') {
      const per = future[0]!.principalMinor;
      const needed = (leftMinor + per - 1n) / per;
      return Number(needed < BigInt(count) ? needed : BigInt(count));
    }
    const instalmentMinor = future[0]!.principalMinor + future[0]!.interestMinor;
    for (let months = 1; months < count; months++) {
      if (levelPaymentMinor(leftMinor, this.loan.annualRate, months, this.loan.terms.roundingMode) <= instalmentMinor) return months;
    }
    return count;
  }

  /**
   * The split of everything covered among the lenders. Under LENDER_RATE each instalment's interest
   * is split on its own period and recorded against it, so a partner's entitlement for a period is
   * never paid twice.
   */
  private splitAmong(covered: Covered, portions: readonly InterestPortion[], date: string, record = true): RepaymentSplit {
    const terms = this.loan.terms;
    if (terms.split.interestBasis !== 'LENDER_RATE') return splitRepayment(terms, this.holdings(null), covered, null);
    const withoutInterest: Covered = { ...covered, overdueInterestMinor: 0n, currentInterestMinor: 0n };
    let result = splitRepayment(terms, this.holdings(null), withoutInterest, { start: date, end: date });
    for (const portion of portions) {
      const interestOnly: Covered = { ...NOTHING_COVERED, currentInterestMinor: portion.amountMinor };
      const part = splitRepayment(terms, this.holdings(portion.number), interestOnly, { start: portion.start, end: portion.end });
      for (const book of record ? this.books : []) {
        const received = part.perLender.get(book.lenderId)?.interestMinor ?? 0n;
        if (received > 0n) book.interestByInstalment.set(portion.number, (book.interestByInstalment.get(portion.number) ?? 0n) + received);
      }
      result = mergeSplits(result, part);
    }
    return result;
  }

  /**
   * Every lender's holding for a split. Once every lender is repaid (a waterfall may put principal
   * before interest), interest and penalty still due are split by what each funded, after transfers.
   */
  private holdings(instalment: number | null): LenderHolding[] {
    const repaid = this.books.every((book) => book.outstandingMinor === 0n);
    return this.books.map((book) => ({
      lenderId: book.lenderId,
      // A guarantor holding a share it bought back is paid for it as a partner is.
      role: book.role === 'LEAD' ? 'LEAD' : 'PARTNER',
      outstandingPrincipalMinor: repaid ? book.heldMinor : book.outstandingMinor,
      yieldRate: book.yieldRate,
      priority: book.priority,
      ...(instalment === null ? {} : { periodInterestReceivedMinor: book.interestByInstalment.get(instalment) ?? 0n }),
    }));
  }

  private repayPrincipal(split: RepaymentSplit): void {
    for (const book of this.books) {
      book.outstandingMinor -= split.perLender.get(book.lenderId)?.principalMinor ?? 0n;
      invariant(book.outstandingMinor >= 0n, 'no lender principal is ever negative', { lenderId: book.lenderId });
    }
  }
}

/** The order of effect: value date, then arrival. */
export function compareEvents(a: Pick<RepaymentEvent, 'valueDate' | 'seq'>, b: Pick<RepaymentEvent, 'valueDate' | 'seq'>): number {
  return compareIsoDates(a.valueDate, b.valueDate) || a.seq - b.seq;
}

/**
 * The account after every payment and event, applied in order of effect; the outcome of each by
 * id (repayment ids and event ids).
 */
export function foldRepayments(
  loan: Loan,
  repayments: readonly RepaymentEvent[],
  events: readonly LoanEvent[] = [],
): { account: LoanAccount; outcomes: Map<string, RepaymentOutcome>; eventOutcomes: Map<string, LoanEventOutcome> } {
  const account = new LoanAccount(loan);
  const outcomes = new Map<string, RepaymentOutcome>();
  const eventOutcomes = new Map<string, LoanEventOutcome>();
  const all: (RepaymentEvent | LoanEvent)[] = [...repayments, ...events].sort(compareEvents);
  for (const event of all) {
    if (isRepayment(event)) outcomes.set(event.repaymentId, account.apply(event));
    else eventOutcomes.set(event.eventId, account.applyEvent(event));
  }
  return { account, outcomes, eventOutcomes };
}

function isRepayment(event: RepaymentEvent | LoanEvent): event is RepaymentEvent {
  return event.type === undefined || event.type === 'REPAYMENT';
}

/** Two splits of one payment summed lender by lender. */
function mergeSplits(a: RepaymentSplit, b: RepaymentSplit): RepaymentSplit {
  const merged = new Map<string, LenderRepaymentParts>(a.perLender);
  for (const [lenderId, parts] of b.perLender) {
    const known = merged.get(lenderId);
    merged.set(
      lenderId,
      known === undefined
        ? parts
        : {
            principalMinor: known.principalMinor + parts.principalMinor,
            interestMinor: known.interestMinor + parts.interestMinor,
            penaltyMinor: known.penaltyMinor + parts.penaltyMinor,
            feeMinor: known.feeMinor + parts.feeMinor,
            spreadMinor: known.spreadMinor + parts.spreadMinor,
          },
    );
  }
  const perLender = new Map([...merged].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return {
    perLender,
    suspenseMinor: a.suspenseMinor + b.suspenseMinor,
    suspenseLenderId: a.suspenseLenderId,
    paidMinor: a.paidMinor + b.paidMinor,
  };
}

/**
 * The schedule booked with a loan, computed once per loan object: a pure function of the loan's
 * terms, which never change, read by every event the loan's account applies or restores from.
 */
const bookedSchedules = new WeakMap<Loan, Schedule>();
function bookedSchedule(loan: Loan): Schedule {
  let schedule = bookedSchedules.get(loan);
  if (schedule === undefined) {
    schedule = borrowerSchedule(scheduleTermsOf(loan));
    bookedSchedules.set(loan, schedule);
  }
  return schedule;
}

function rowOf(instalment: Instalment, number: number, prepayment: boolean): Row {
  return {
    number,
    dueDate: instalment.dueDate,
    periodStart: instalment.periodStart,
    principalMinor: instalment.principalMinor,
    interestMinor: instalment.interestMinor,
    paidPrincipalMinor: 0n,
    paidInterestMinor: 0n,
    prepayment,
  };
}

/** A payment the account can take: a positive amount, on or after the disbursement. */
function checkEvent(loan: Loan, event: RepaymentEvent): void {
  if (typeof event.amountMinor !== 'bigint' || event.amountMinor <= 0n) {
    throw new ValidationError(`amountMinor must be a positive whole number of minor units, got ${String(event.amountMinor)}`, {
      path: 'amountMinor',
      rule: 'positive',
    });
  }
  checkValueDate(loan, event.valueDate);
}

/** Nothing of a loan's account happens before its disbursement. */
export function checkValueDate(loan: Loan, valueDate: string): void {
  if (compareIsoDates(valueDate, loan.disbursementDate) < 0) {
    throw new RuleViolation(
      'VALUE_DATE_BEFORE_DISBURSEMENT',
      `value date ${valueDate} is before the disbursement of loan ${loan.loanId} on ${loan.disbursementDate}`,
      { path: 'valueDate', valueDate, disbursementDate: loan.disbursementDate },
    );
  }
}
