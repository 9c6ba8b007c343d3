import type { RepaymentStepInput, RepaymentStepResult } from '../../shared/contracts/repayments.ts';
import { DomainError, InvariantViolation } from '../../shared/domain/errors.ts';
import { ESCROW } from '../../shared/domain/ledger.ts';
import { approveAdjustmentOf, proposeAdjustmentOf } from '../../shared/use-cases/adjustments.ts';
import { bookPeriodFees } from '../../shared/use-cases/period-fees.ts';
import { compareIsoDates } from '../../shared/domain/money/index.ts';
import { toJson } from '../../shared/json.ts';
import { describeCommand, type Fault, type RepaymentAmount, type RepaymentDate, type SimCommand, type SimSequence } from './commands.ts';
import { SimCrash, withoutBackoff } from './faults.ts';
import { moneyViolations, type OutstandingFigures, type SettledDate, type StatedProfit } from './invariants.ts';
import { borrowerNow, lenderOutstandingNow } from '../../shared/use-cases/outstanding.ts';
import { BORROWER_FEE, PARTIES, PARTNERS, START_DATE, World, bookingOf, type SentBooking, type SentChange } from './world.ts';
import { ReviewPlayer } from './review.ts';
import { ProfitRunPlayer } from './profit-runs.ts';
import { GUARANTOR_ID, PROGRAM_ID } from '../support/builders.ts';

/*
 * The money simulator (docs/testing.md): a sequence of commands played through the real use
 * cases on in-memory stores, with faults injected between steps. After every step the money is
 * checked (invariants.ts), and every change accepted is delivered again at once and must change
 * nothing. What it finds is a list of violations with the trace of the sequence up to them.
 */

export interface SimOutcome {
  readonly violations: readonly string[];
  readonly trace: readonly string[];
  readonly steps: number;
}

/** A change the system accepted: a booking, or a change of a loan's book. */
type Accepted =
  | { readonly kind: 'BOOKING'; readonly sent: SentBooking }
  | { readonly kind: 'CHANGE'; readonly sent: SentChange }
  | { readonly kind: 'APPROVAL'; readonly adjustmentId: string }
  | { readonly kind: 'FEES'; readonly loanId: string; readonly period: string }
  /** A request or a workflow step of the joint review or a profit run, delivered or run again later. */
  | { readonly kind: 'AGAIN'; readonly label: string; readonly replay: () => Promise<void> };

const MAKER = 'finance-maker';
const GUARANTORS: ReadonlySet<string> = new Set([GUARANTOR_ID]);
const CHECKER = 'finance-checker';

class Simulation {
  readonly world: World;
  readonly trace: string[] = [];
  readonly violations: string[] = [];
  private readonly loans: string[] = [];
  private readonly repaymentIds: string[] = [];
  private readonly accepted: Accepted[] = [];
  /** The amount of every repayment booked and not reversed. */
  private readonly inEffect = new Map<string, bigint>();
  private disbursedMinor = 0n;
  /** What approved adjustments say the collection account owes lenders. */
  private adjustedMinor = 0n;
  private readonly settled: SettledDate[] = [];
  private readonly firstFiles = new Map<string, string>();
  private settledThrough: string | null = null;
  private sent = 0;
  private readonly review: ReviewPlayer;
  private readonly profit: ProfitRunPlayer;

  constructor(sequence: SimSequence) {
    this.world = new World(sequence.program, sequence.files);
    const again = (label: string, replay: () => Promise<void>): void => {
      this.accepted.push({ kind: 'AGAIN', label, replay });
    };
    this.review = new ReviewPlayer({
      world: this.world,
      violations: this.violations,
      again,
      booked: (loanId, principalMinor) => {
        this.loans.push(loanId);
        this.disbursedMinor += principalMinor;
      },
    });
    this.profit = new ProfitRunPlayer({ world: this.world, violations: this.violations, billsServiceFee: sequence.program.serviceFee, again });
  }

  async step(command: SimCommand): Promise<void> {
    this.sent++;
    const line = `${this.sent}. [${this.world.today}] ${describeCommand(command)}`;
    try {
      const outcome = await this.play(command);
      this.trace.push(`${line} → ${outcome}`);
    } catch (error) {
      this.trace.push(`${line} → threw`);
      this.violations.push(`step ${this.sent} threw ${error instanceof DomainError ? `${error.code}: ` : ''}${(error as Error).stack ?? String(error)}`);
      return;
    }
    await this.check();
  }

  private async play(command: SimCommand): Promise<string> {
    switch (command.type) {
      case 'BOOK':
        return this.book(command);
      case 'REPAY':
        return this.repay(command);
      case 'REVERSE':
        return this.reverse(command);
      case 'TRANSFER':
      case 'BUYBACK':
      case 'COMPENSATE':
      case 'WRITE_OFF':
        return this.loanEvent(command);
      case 'REDELIVER':
        return this.redeliver(command.accepted);
      case 'ADJUST':
        return this.adjust(command);
      case 'BILL_FEES':
        return this.billFees(command);
      case 'APPLY':
        return this.review.apply(command);
      case 'DECIDE':
        return this.review.decideOne(command);
      case 'DISBURSE':
        return this.review.disburse(command);
      case 'PROFIT_RUN':
        return this.profit.run(command);
      case 'NEXT_DAY':
        this.world.nextDay(command.days);
        return `today ${this.world.today}`;
      case 'EVENING':
        this.world.toEvening();
        return 'past the cut-off';
      case 'SETTLE':
        return this.settleAll(command.fault);
      case 'RESETTLE':
        return this.resettle(command.run);
    }
  }

  // Bookings ---------------------------------------------------------------------------------------

  private async book(command: Extract<SimCommand, { type: 'BOOK' }>): Promise<string> {
    const sent = bookingOf(this.loans.length + 1, this.world.today, command);
    const before = this.world.stores.db.transactions;
    this.world.faults.arm(command.fault);
    let answer;
    try {
      answer = await this.world.book(sent);
    } catch (error) {
      this.world.faults.disarm();
      if (error instanceof SimCrash) {
        // The client heard nothing and sends the same request with the same key.
        answer = await this.world.book(sent);
        if (!answer.replayed) this.violations.push(`booking ${sent.request.loanId} committed before the crash, but its retry booked it again`);
      } else if (error instanceof DomainError && !(error instanceof InvariantViolation)) {
        if (this.world.stores.db.transactions !== before) this.violations.push(`booking ${sent.request.loanId} was refused (${error.code}) but wrote`);
        return `REFUSED ${error.code}`;
      } else {
        throw error;
      }
    }
    this.world.faults.disarm();
    this.loans.push(sent.request.loanId);
    this.disbursedMinor += sent.request.principalMinor;
    const booking: SentBooking = { ...sent, first: answer.replayed ? null : answer };
    this.accepted.push({ kind: 'BOOKING', sent: booking });
    await this.replayBooking(booking);
    return `BOOKED ${sent.request.loanId}${answer.replayed ? ' (answered by its retry)' : ''}`;
  }

  /** A booking sent again with its key: the first answer, and nothing written. */
  private async replayBooking(sent: SentBooking): Promise<void> {
    const before = this.world.stores.db.transactions;
    const again = await this.world.book(sent);
    if (!again.replayed) this.violations.push(`booking ${sent.request.loanId} sent again was not answered as a replay`);
    if (sent.first !== null && (again.body !== sent.first.body || again.statusCode !== sent.first.statusCode)) this.violations.push(`booking ${sent.request.loanId} sent again answered otherwise`);
    if (this.world.stores.db.transactions !== before) this.violations.push(`booking ${sent.request.loanId} sent again wrote`);
  }

  // Changes of a loan's book -----------------------------------------------------------------------

  private loanAt(index: number): string | null {
    return this.loans.length === 0 ? null : this.loans[index % this.loans.length]!;
  }

  private async repay(command: Extract<SimCommand, { type: 'REPAY' }>): Promise<string> {
    const loanId = this.loanAt(command.loan);
    if (loanId === null) return 'no loan yet';
    const loan = (await this.world.changeDeps.loan(loanId))!;
    const schedules = (await this.world.stores.loans.schedules(loanId))!;
    const valueDate = this.valueDateOf(command.date, loan.disbursementDate, schedules.borrower.instalments.map((i) => i.dueDate));
    const amountMinor = this.amountOf(command.amount, loan.principalMinor, valueDate, schedules.borrower.instalments);
    const repaymentId = `R-${this.repaymentIds.length + 1}`;
    this.repaymentIds.push(repaymentId);
    const input: RepaymentStepInput = {
      action: 'BOOK',
      repayment: { repaymentId, loanId, amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT', kind: command.prepayment ? 'PREPAYMENT' : 'REGULAR' },
    };
    return this.deliverNew(input, command.fault, `${repaymentId} ${amountMinor} on ${valueDate}`);
  }

  private valueDateOf(date: RepaymentDate, disbursementDate: string, dueDates: readonly string[]): string {
    if (date.kind === 'TODAY') return this.world.today;
    const due = dueDates[date.instalment % dueDates.length]!;
    const shifted = new Date(Date.parse(`${due}T00:00:00Z`) + date.shiftDays * 86_400_000).toISOString().slice(0, 10);
    if (compareIsoDates(shifted, disbursementDate) < 0) return disbursementDate;
    return compareIsoDates(shifted, this.world.today) > 0 ? this.world.today : shifted;
  }

  private amountOf(amount: RepaymentAmount, principalMinor: bigint, valueDate: string, instalments: readonly { dueDate: string; totalMinor: bigint }[]): bigint {
    const next = instalments.find((i) => compareIsoDates(i.dueDate, valueDate) >= 0) ?? instalments[instalments.length - 1]!;
    const atLeastOne = (v: bigint): bigint => (v > 0n ? v : 1n);
    switch (amount.kind) {
      case 'INSTALMENT':
        return next.totalMinor;
      case 'PART':
      case 'OVER':
        return atLeastOne((next.totalMinor * BigInt(amount.permille)) / 1_000n);
      case 'PAYOFF':
        return principalMinor + (principalMinor * BigInt(amount.extraPermille)) / 1_000n;
      case 'TINY':
        return BigInt(amount.minor);
    }
  }

  private async reverse(command: Extract<SimCommand, { type: 'REVERSE' }>): Promise<string> {
    if (this.repaymentIds.length === 0) return 'no repayment yet';
    const repaymentId = this.repaymentIds[command.repayment % this.repaymentIds.length]!;
    const loanId = this.loans.find((id) => this.world.stores.db.repaymentRecords.get(repaymentId)?.loanId === id) ?? this.loans[0]!;
    const input: RepaymentStepInput = { action: 'REVERSE', loanId, repaymentId, reversal: { reversalId: `RV-${this.sent}`, reason: 'BOUNCED', comment: null } };
    return this.deliverNew(input, command.fault, `of ${repaymentId}`);
  }

  private async loanEvent(command: Extract<SimCommand, { type: 'TRANSFER' | 'BUYBACK' | 'COMPENSATE' | 'WRITE_OFF' }>): Promise<string> {
    const loanId = this.loanAt(command.loan);
    if (loanId === null) return 'no loan yet';
    const valueDate = this.world.today;
    const eventId = `E-${this.sent}`;
    let event: Extract<RepaymentStepInput, { action: 'EVENT' }>['event'];
    if (command.type === 'TRANSFER') {
      const from = PARTIES[command.from % PARTIES.length]!;
      const to = PARTIES[command.to % PARTIES.length] === from ? PARTIES[(command.to + 1) % PARTIES.length]! : PARTIES[command.to % PARTIES.length]!;
      const held = this.world.stores.db.positions.get(`${loanId}#${from}`)?.balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n;
      const principalMinor = (held * BigInt(command.permille)) / 1_000n;
      event = { type: 'TRANSFER', eventId, valueDate, reason: 'Share transfer', fromLenderId: from, toLenderId: to, principalMinor: principalMinor > 0n ? principalMinor : 1n };
    } else if (command.type === 'BUYBACK') {
      const seller = PARTNERS[command.seller % PARTNERS.length]!;
      const buyerId = command.buyer === 'LEAD' ? this.world.program.leadLenderId : this.world.program.fees.guarantorLenderId!;
      event = { type: 'BUYBACK', eventId, valueDate, reason: 'Buyback', sellerLenderId: seller, buyerId, expectedPriceMinor: null };
    } else {
      event = { type: command.type === 'COMPENSATE' ? 'COMPENSATION' : 'WRITE_OFF', eventId, valueDate, reason: 'Risk update' };
    }
    return this.deliverNew({ action: 'EVENT', loanId, event }, command.fault, `${event.type} ${eventId} of ${loanId}`);
  }

  /**
   * A change sent for the first time, with the fault armed in its write. A crash after the commit
   * is answered by nothing; the client sends it again, and that must be answered as a replay of
   * what was committed. Accepted or not, what the system says is checked against what it wrote.
   */
  private async deliverNew(input: RepaymentStepInput, fault: Fault, label: string): Promise<string> {
    const before = this.world.stores.db.transactions;
    this.world.faults.arm(fault);
    let result: RepaymentStepResult;
    let crashed = false;
    try {
      result = await (fault === 'CONFLICT' ? withoutBackoff(() => this.world.change(input)) : this.world.change(input));
    } catch (error) {
      this.world.faults.disarm();
      if (!(error instanceof SimCrash)) throw error;
      crashed = true;
      const committed = this.world.stores.db.transactions;
      result = await this.world.change(input);
      if (result.status !== 'REPLAYED') this.violations.push(`${label}: committed before the crash, its retry answered ${statusOf(result)}`);
      if (this.world.stores.db.transactions !== committed) this.violations.push(`${label}: its retry after the crash wrote again`);
    }
    this.world.faults.disarm();
    const wrote = this.world.stores.db.transactions - before;
    if (result.status === 'REFUSED') {
      if (wrote !== 0) this.violations.push(`${label}: refused (${result.error.code}) but wrote`);
      return `REFUSED ${result.error.code}`;
    }
    if (wrote !== 1) this.violations.push(`${label}: answered ${result.status} with ${wrote} writes`);
    this.accepted.push({ kind: 'CHANGE', sent: { input, first: result } });
    this.account(input);
    await this.replayChange({ input, first: result }, crashed);
    return `${crashed ? 'CRASHED, then ' : ''}${result.status} ${label}`;
  }

  /** The client's cash: a repayment booked is collected, a reversal gives it back. */
  private account(input: RepaymentStepInput): void {
    if (input.action === 'BOOK') {
      this.inEffect.set(input.repayment.repaymentId, input.repayment.amountMinor);
    } else if (input.action === 'REVERSE') {
      if (!this.inEffect.has(input.repaymentId)) this.violations.push(`reversal of ${input.repaymentId} accepted, but it was not in effect`);
      this.inEffect.delete(input.repaymentId);
    }
  }

  /** A change delivered again: a replay, nothing written; a repayment answered exactly as first booked. */
  private async replayChange(sent: SentChange, skipAnswer = false): Promise<string> {
    const label = describeInput(sent.input);
    const before = this.world.stores.db.transactions;
    const again = await this.world.change(sent.input);
    if (again.status !== 'REPLAYED') this.violations.push(`${label} delivered again answered ${statusOf(again)}`);
    if (this.world.stores.db.transactions !== before) this.violations.push(`${label} delivered again wrote`);
    if (!skipAnswer && sent.input.action === 'BOOK' && 'repayment' in again && 'repayment' in sent.first && sent.first.status === 'BOOKED') {
      if (toJson(again.repayment) !== toJson(sent.first.repayment)) this.violations.push(`${label} delivered again answered otherwise than its booking`);
    }
    return `${statusOf(again)} ${label}`;
  }

  // Fee billing --------------------------------------------------------------------------------------

  /** A month's period fees of a loan, with the fault armed in the first booking; billed again, nothing more is booked. */
  private async billFees(command: Extract<SimCommand, { type: 'BILL_FEES' }>): Promise<string> {
    const loanId = this.loanAt(command.loan);
    if (loanId === null) return 'no loan yet';
    const [year, month] = this.world.today.split('-').map(Number) as [number, number];
    const index = year * 12 + (month - 1) - command.monthsBack;
    const period = `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
    const before = this.world.stores.db.transactions;
    const known = new Set([...this.world.stores.db.entries.values()].filter((e) => e.loanId === loanId).map((e) => e.entryId));
    for (const id of billedFeeIds(this.world, loanId)) known.add(id);
    this.world.faults.arm(command.fault);
    let result;
    let crashed = false;
    try {
      result = await (command.fault === 'CONFLICT' ? withoutBackoff(() => bookPeriodFees(this.world.feeDeps, loanId, period)) : bookPeriodFees(this.world.feeDeps, loanId, period));
    } catch (error) {
      this.world.faults.disarm();
      if (!(error instanceof SimCrash)) throw error;
      crashed = true;
      result = await bookPeriodFees(this.world.feeDeps, loanId, period);
    }
    this.world.faults.disarm();
    const billed = [...result.booked, ...result.replayed];
    // Each fee is booked once (a lenders' fee as its entry, the borrower's as its bill on the loan's account): as many writes as fees new to the book, and every fee billed is on it.
    const fresh = billed.filter((id) => !known.has(id)).length;
    if (this.world.stores.db.transactions - before !== fresh) this.violations.push(`fees of ${loanId} for ${period}: ${fresh} new entries billed with ${this.world.stores.db.transactions - before} writes`);
    const onBook = new Set(billedFeeIds(this.world, loanId));
    for (const id of billed) if (!this.world.stores.db.entries.has(`${loanId}#${id}`) && !onBook.has(id)) this.violations.push(`fees of ${loanId} for ${period}: ${id} billed but not on the book`);
    if (billed.length > 0) {
      this.accepted.push({ kind: 'FEES', loanId, period });
      await this.replayFees(loanId, period);
    }
    return `${crashed ? 'CRASHED, then ' : ''}BILLED ${period} of ${loanId}: ${billed.join(', ') || 'nothing'}`;
  }

  /** A period billed again books nothing. */
  private async replayFees(loanId: string, period: string): Promise<string> {
    const before = this.world.stores.db.transactions;
    const again = await bookPeriodFees(this.world.feeDeps, loanId, period);
    if (again.booked.length > 0 || this.world.stores.db.transactions !== before) this.violations.push(`fees of ${loanId} for ${period} billed again booked ${again.booked.join(', ')}`);
    return `billed ${period} of ${loanId} again`;
  }

  // Adjustments --------------------------------------------------------------------------------------

  /**
   * Proposed by one finance user (again: the stored proposal, nothing new), approved by another
   * with the fault armed in its booking; a crash after the booking is answered by approving again,
   * which finishes the approval without booking twice.
   */
  private async adjust(command: Extract<SimCommand, { type: 'ADJUST' }>): Promise<string> {
    const loanId = this.loanAt(command.loan);
    if (loanId === null) return 'no loan yet';
    const lenderId = PARTIES[command.lender % PARTIES.length]!;
    const named = command.counterparty < PARTIES.length ? PARTIES[command.counterparty]! : ESCROW;
    const counterparty = named === lenderId ? ESCROW : named;
    const adjustmentId = `ADJ-${this.sent}`;
    const proposal = { adjustmentId, breakId: null, loanId, lenderId, counterparty, currency: 'CNY', component: command.component, direction: command.direction, amountMinor: command.amountMinor, reason: 'Correction agreed with the counterparty' };
    const deps = this.world.adjustmentDeps;
    const before = this.world.stores.db.transactions;
    try {
      await proposeAdjustmentOf(deps, proposal, MAKER);
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof InvariantViolation) throw error;
      if (this.world.stores.db.transactions !== before) this.violations.push(`adjustment ${adjustmentId} refused (${error.code}) but wrote`);
      return `REFUSED ${error.code}`;
    }
    if ((await proposeAdjustmentOf(deps, proposal, MAKER)).created) this.violations.push(`adjustment ${adjustmentId} proposed again was created again`);
    if (!command.approve) return `PROPOSED ${adjustmentId}`;
    this.world.faults.arm(command.fault);
    let crashed = false;
    try {
      await (command.fault === 'CONFLICT' ? withoutBackoff(() => approveAdjustmentOf(deps, adjustmentId, CHECKER, 'Agreed')) : approveAdjustmentOf(deps, adjustmentId, CHECKER, 'Agreed'));
    } catch (error) {
      this.world.faults.disarm();
      if (!(error instanceof SimCrash)) throw error;
      crashed = true;
      await approveAdjustmentOf(deps, adjustmentId, CHECKER, 'Agreed');
    }
    this.world.faults.disarm();
    const approved = await this.world.stores.adjustments.get(adjustmentId);
    if (approved?.state !== 'APPROVED') this.violations.push(`adjustment ${adjustmentId} approved is ${approved?.state ?? 'missing'}`);
    if (this.world.stores.db.transactions - before !== 1) this.violations.push(`adjustment ${adjustmentId} approved with ${this.world.stores.db.transactions - before} writes`);
    if (counterparty === ESCROW) this.adjustedMinor += command.direction === 'COUNTERPARTY_OWES_LENDER' ? command.amountMinor : -command.amountMinor;
    this.accepted.push({ kind: 'APPROVAL', adjustmentId });
    await this.replayApproval(adjustmentId);
    return `${crashed ? 'CRASHED, then ' : ''}APPROVED ${adjustmentId} ${lenderId} ↔ ${counterparty}`;
  }

  /** An approval sent again answers the approval and books nothing. */
  private async replayApproval(adjustmentId: string): Promise<string> {
    const before = this.world.stores.db.transactions;
    const again = await approveAdjustmentOf(this.world.adjustmentDeps, adjustmentId, CHECKER, 'Agreed');
    if (again.state !== 'APPROVED') this.violations.push(`adjustment ${adjustmentId} approved again is ${again.state}`);
    if (this.world.stores.db.transactions !== before) this.violations.push(`adjustment ${adjustmentId} approved again wrote`);
    return `replayed approval of ${adjustmentId}`;
  }

  private async redeliver(index: number): Promise<string> {
    if (this.accepted.length === 0) return 'nothing accepted yet';
    const accepted = this.accepted[index % this.accepted.length]!;
    if (accepted.kind === 'APPROVAL') return this.replayApproval(accepted.adjustmentId);
    if (accepted.kind === 'FEES') return this.replayFees(accepted.loanId, accepted.period);
    if (accepted.kind === 'AGAIN') {
      await accepted.replay();
      return `again: ${accepted.label}`;
    }
    if (accepted.kind === 'BOOKING') {
      await this.replayBooking(accepted.sent);
      return `replayed booking ${accepted.sent.request.loanId}`;
    }
    // A booking answered only by its retry after a crash has no first answer to compare with.
    return this.replayChange(accepted.sent, accepted.sent.first.status === 'REPLAYED');
  }

  // Settlement ---------------------------------------------------------------------------------------

  /** Every business date before today not yet settled, in order, the fault armed in the first. */
  private async settleAll(fault: Fault): Promise<string> {
    const calendar = await this.world.settlementDeps.calendar('CN');
    const done: string[] = [];
    // The first business day of the sequence is its first settlement date.
    let date = this.settledThrough === null ? START_DATE : calendar.addBusinessDays(this.settledThrough, 1);
    this.world.faults.arm(fault);
    try {
      // A date whose cut-off has passed: every date before today, and today in the evening.
      while (compareIsoDates(date, this.world.today) < 0 || (this.world.evening && date === this.world.today)) {
        const run = await this.world.settle(date);
        await this.recordSettled(run.businessDate, run);
        this.settledThrough = date;
        done.push(date);
        date = calendar.addBusinessDays(date, 1);
      }
    } finally {
      this.world.faults.disarm();
    }
    return done.length === 0 ? 'nothing to settle' : `settled ${done.join(', ')}`;
  }

  private async recordSettled(businessDate: string, run: { daysByCalendar: Readonly<Record<string, readonly string[]>>; files: readonly unknown[] }): Promise<void> {
    const days = [...new Set(Object.values(run.daysByCalendar).flat())].sort();
    const entryKeys = new Set([...this.world.stores.db.entries.values()].filter((e) => days.includes(e.bookedOn ?? e.businessDate)).map((e) => `${e.loanId}#${e.entryId}`));
    const instructions = await this.world.stores.settlements.instructions(businessDate);
    this.settled.push({ businessDate, days, entryKeys, instructions });
    this.firstFiles.set(businessDate, toJson(run.files));
  }

  /** A settled date run again: the same days, instructions and files, to the byte. */
  private async resettle(index: number): Promise<string> {
    if (this.settled.length === 0) return 'nothing settled yet';
    const first = this.settled[index % this.settled.length]!;
    const existing = (await this.world.stores.settlements.getRun(first.businessDate))!;
    const run = await this.world.settle(first.businessDate, existing.attempt + 1);
    const days = [...new Set(Object.values(run.daysByCalendar).flat())].sort();
    if (toJson(days) !== toJson(first.days)) this.violations.push(`re-run of ${first.businessDate} settled days ${days.join(',')}, first ${first.days.join(',')}`);
    const instructions = await this.world.stores.settlements.instructions(first.businessDate);
    if (toJson(instructions) !== toJson(first.instructions)) this.violations.push(`re-run of ${first.businessDate} has other instructions`);
    if (toJson(run.files) !== this.firstFiles.get(first.businessDate)) this.violations.push(`re-run of ${first.businessDate} wrote other files`);
    return `re-ran ${first.businessDate} as attempt ${run.attempt}`;
  }

  // The invariants -----------------------------------------------------------------------------------

  async check(): Promise<void> {
    const db = this.world.stores.db;
    const found = moneyViolations({
      entries: [...db.entries.values()],
      positions: [...db.positions.values()],
      cash: { collectedMinor: [...this.inEffect.values()].reduce((s, a) => s + a, 0n), disbursedMinor: this.disbursedMinor, adjustedMinor: this.adjustedMinor },
      settled: this.settled,
      outstanding: await this.outstanding(),
      quota: {
        shards: [...db.quotas.values()],
        reservations: [...db.reservations.values()],
        applications: [...db.applications.values()].map(({ record }) => ({ applicationId: record.application.applicationId, status: record.status, plan: record.plan, loanId: record.loanId })),
        loans: [...db.loans.values()],
      },
      adjustments: [...this.world.stores.adjustments.adjustments.values()],
      stated: this.stated(),
      guarantors: GUARANTORS,
    });
    for (const v of found) this.violations.push(`after step ${this.sent}: ${v}`);
    for (const v of borrowerFeesOffBooks(this.world)) this.violations.push(`after step ${this.sent}: ${v}`);
  }

  /** The statements of every period shared, each with whether its party guarantees. */
  private stated(): StatedProfit[] {
    const profitRuns = this.world.stores.profitRuns;
    const done = new Set([...profitRuns.runs.values()].filter((r) => r.status === 'DONE' && r.programId === PROGRAM_ID).map((r) => r.period));
    return [...profitRuns.stored.values()].filter((s) => done.has(s.period)).map((statement) => ({ statement, guarantor: GUARANTORS.has(statement.lenderId) }));
  }

  /** The outstanding principal as the limits read it (shared/use-cases/outstanding.ts), for every party and borrower. */
  private async outstanding(): Promise<OutstandingFigures> {
    const deps = this.world.bookingDeps;
    const lenders = new Map<string, bigint>();
    for (const lenderId of PARTIES) lenders.set(lenderId, (await lenderOutstandingNow(deps, lenderId)).outstandingMinor);
    const borrowerOfLoan = new Map([...this.world.stores.db.loans.values()].map((loan) => [loan.loanId, loan.borrower.borrowerId]));
    const borrowers = new Map<string, { totalMinor: bigint; perLenderMinor: Readonly<Record<string, bigint>> }>();
    for (const borrowerId of new Set(borrowerOfLoan.values())) {
      const { owed } = await borrowerNow(deps, borrowerId);
      borrowers.set(borrowerId, { totalMinor: owed.totalOutstandingMinor, perLenderMinor: owed.perLenderMinor });
    }
    return { lenders, borrowers, borrowerOfLoan };
  }
}

function statusOf(result: RepaymentStepResult): string {
  return result.status === 'REFUSED' ? `REFUSED ${result.error.code}` : result.status;
}

function describeInput(input: RepaymentStepInput): string {
  if (input.action === 'BOOK') return `repayment ${input.repayment.repaymentId}`;
  if (input.action === 'REVERSE') return `reversal ${input.reversal.reversalId} of ${input.repaymentId}`;
  return `${input.event.type} ${input.event.eventId}`;
}

/** Plays a sequence to its end or its first violation. */
export async function runSequence(sequence: SimSequence): Promise<SimOutcome> {
  return (await simulate(sequence)).outcome;
}

/** The same, with the world it leaves, to look into what a failing sequence wrote. */
export async function simulate(sequence: SimSequence): Promise<{ outcome: SimOutcome; world: World }> {
  const simulation = new Simulation(sequence);
  await simulation.check();
  let steps = 0;
  for (const command of sequence.commands) {
    if (simulation.violations.length > 0) break;
    await simulation.step(command);
    steps++;
  }
  return { outcome: { violations: simulation.violations, trace: simulation.trace, steps }, world: simulation.world };
}

/** The borrower's period fees billed on a loan's account, as `FEE#{ruleId}#{period}#{loanId}`. */
export function billedFeeIds(world: World, loanId: string): string[] {
  return [...world.stores.db.bookItems.entries()].flatMap(([key, item]) => (key.startsWith(`${loanId}#`) && item.kind === 'EVENT' && item.booked.type === 'FEE' ? [`FEE#${item.booked.eventId}`] : []));
}

/**
 * The borrower's period fees of each loan: what was billed is what the payee was paid of it (its
 * fee income in the loan's repayments, rebookings and reversals) plus what is still owed; each
 * rule's period billed once.
 */
function borrowerFeesOffBooks(world: World): string[] {
  const found: string[] = [];
  const { db } = world.stores;
  for (const [loanId, head] of db.repaymentLedgers) {
    const bills = [...db.bookItems.entries()].filter(([key, item]) => key.startsWith(`${loanId}#`) && item.kind === 'EVENT' && item.booked.type === 'FEE').map(([, item]) => item);
    if (bills.length === 0) continue;
    let billedMinor = 0n;
    const ids = new Set<string>();
    for (const bill of bills) {
      if (bill.kind !== 'EVENT' || bill.booked.fee === undefined) continue;
      billedMinor += bill.booked.fee.amountMinor;
      ids.add(bill.booked.eventId);
    }
    if (ids.size !== bills.length) found.push(`loan ${loanId}: a borrower fee period is billed twice`);
    let paidMinor = 0n;
    for (const entry of db.entries.values()) {
      if (entry.loanId !== loanId || entry.eventType === 'ADJUSTMENT') continue;
      for (const leg of entry.legs) if (leg.lenderId === BORROWER_FEE.payee && leg.account === 'FEE_INCOME') paidMinor += leg.side === 'CREDIT' ? leg.amountMinor : -leg.amountMinor;
    }
    const owedMinor = (head.state?.feesOwed ?? []).reduce((sum, [ruleId, amount]) => (ruleId === BORROWER_FEE.id ? sum + amount : sum), 0n);
    if (paidMinor + owedMinor !== billedMinor) found.push(`loan ${loanId}: borrower fees billed ${billedMinor}, paid ${paidMinor} and owed ${owedMinor}`);
  }
  return found;
}
