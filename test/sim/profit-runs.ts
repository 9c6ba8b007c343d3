import type { JournalEntry } from '../../shared/domain/ledger.ts';
import { DomainError, InvariantViolation } from '../../shared/domain/errors.ts';
import { bookShard, closeRun, failRun, openRun, statements, type ShardBooked } from '../../shared/use-cases/profit-sharing.ts';
import { LEAD_ID, PROGRAM_ID } from '../support/builders.ts';
import type { Fault, SimCommand } from './commands.ts';
import { SimCrash, StepFailure } from './faults.ts';
import { periodFeesOffPrincipal } from './invariants.ts';
import { PARTNERS, type World } from './world.ts';

/*
 * Profit-sharing runs in the money simulator (docs/profit-sharing.md), played as the workflow
 * plays them: OpenRun as the schedule asks (a period done is skipped), BookShard per loan shard,
 * Statements, CloseRun. A step that crashed after a fee entry committed is run again; a step that
 * failed fails the run (FailRun), and the period is run again as the next attempt, as an operator
 * restarts it. After the run, the fees it booked are checked against what the period's principal
 * earned, to the fen.
 */

/** The monthly service fee the simulator's programs bill each partner, as an exact fraction a year. */
export const SERVICE_FEE = { ruleId: 'SERVICE', payee: LEAD_ID, rateNumerator: 1n, rateDenominator: 100n, basisDays: 360n } as const;

export interface ProfitContext {
  readonly world: World;
  readonly violations: string[];
  /** Whether the program bills the monthly service fee (ProgramChoice.serviceFee). */
  readonly billsServiceFee: boolean;
  again(label: string, replay: () => Promise<void>): void;
}

export class ProfitRunPlayer {
  constructor(private readonly ctx: ProfitContext) {}

  private get world(): World {
    return this.ctx.world;
  }

  async run(command: Extract<SimCommand, { type: 'PROFIT_RUN' }>): Promise<string> {
    const [year, month] = this.world.today.split('-').map(Number) as [number, number];
    const index = year * 12 + (month - 1) - command.monthsBack;
    const period = `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
    const deps = this.world.profitDeps;
    const db = this.world.stores.db;
    const before = db.transactions;
    const entriesBefore = new Set(db.entries.keys());
    const billsBefore = new Set([...db.bookItems.entries()].filter(([, item]) => item.kind === 'EVENT' && item.booked.type === 'FEE').map(([key]) => key));
    // The loans' books as the run finds them: what the period's principal earned is judged on them.
    const ledgers = this.ledgersOfProgram();
    let opened;
    try {
      opened = await openRun(deps, { programId: PROGRAM_ID, period, attempt: null });
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof InvariantViolation) throw error;
      if (db.transactions !== before) this.ctx.violations.push(`profit run of ${period} refused (${error.code}) but wrote`);
      return `REFUSED ${error.code}`;
    }
    if (opened.skipped) {
      if (db.transactions !== before) this.ctx.violations.push(`profit run of ${period}, done before, wrote`);
      return `SKIPPED ${period}: shared before`;
    }
    let attempt = opened.attempt;
    let shards: ShardBooked[];
    let failed = false;
    try {
      shards = await this.bookShards(period, attempt, command.fault);
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      failed = true;
      await failRun(deps, PROGRAM_ID, period, attempt, { code: 'States.Timeout', message: error.message });
      const again = await openRun(deps, { programId: PROGRAM_ID, period, attempt: attempt + 1 });
      attempt = again.attempt;
      shards = await this.bookShards(period, attempt, 'NONE');
    }
    const { parties } = await statements(deps, PROGRAM_ID, period, attempt);
    const run = await closeRun(deps, PROGRAM_ID, period, attempt, { shards, parties });
    const fresh = [...db.entries.keys()].filter((key) => !entriesBefore.has(key));
    // A lenders' period fee is one write of its entry; a borrower's is one write of its bill on the
    // loan's account, with the rebooking of the payments after it that now pay it (REBOOK entries).
    const freshFees = fresh.filter((key) => db.entries.get(key)!.eventType === 'FEE').length;
    const freshBills = [...db.bookItems.entries()].filter(([key, item]) => item.kind === 'EVENT' && item.booked.type === 'FEE' && !billsBefore.has(key)).length;
    const rebooked = fresh.length - freshFees;
    if (db.transactions - before !== freshFees + freshBills || (freshBills === 0 && rebooked > 0)) {
      this.ctx.violations.push(`profit run of ${period}: ${freshFees} new fee entries, ${freshBills} new bills and ${rebooked} other entries with ${db.transactions - before} writes`);
    }
    // Every fee of the period is counted once, as booked or as found booked (one a crash interrupted is found by the retry).
    const billsOfPeriod = [...db.bookItems.values()].filter((item) => item.kind === 'EVENT' && item.booked.type === 'FEE' && item.booked.eventId.includes(`#${period}#`)).length;
    const ofPeriod = [...db.entries.values()].filter((e) => e.eventType === 'FEE' && e.eventId.includes(`#${period}#`)).length + billsOfPeriod;
    if (run.booked + run.replayed !== ofPeriod) this.ctx.violations.push(`profit run of ${period} counts ${run.booked} booked and ${run.replayed} found booked, the period has ${ofPeriod} fees`);
    const found = periodFeesOffPrincipal(period, ledgers, new Set(fresh.map((key) => db.entries.get(key)!.entryId)), [...db.entries.values()], [...PARTNERS], this.ctx.billsServiceFee ? SERVICE_FEE : null);
    for (const v of found) this.ctx.violations.push(`profit run of ${period}: ${v}`);
    this.ctx.again(`profit run of ${period}`, () => this.runAgain(period));
    return `${failed ? 'FAILED, then ' : ''}SHARED ${period} (attempt ${run.attempt}): ${run.loans} loans, ${run.booked} booked, ${run.replayed} found booked`;
  }

  /** Every loan shard: a crash after a fee commits runs the shard again; a failure is raised after the shard's work, as a step that timed out after its writes. */
  private async bookShards(period: string, attempt: number, fault: Fault): Promise<ShardBooked[]> {
    const deps = this.world.profitDeps;
    const done: ShardBooked[] = [];
    this.world.faults.arm(fault === 'CRASH' ? 'CRASH' : 'NONE', ['CHANGE']);
    try {
      for (let shard = 0; shard < deps.shardCount; shard++) {
        let booked: ShardBooked;
        try {
          booked = await bookShard(deps, PROGRAM_ID, period, attempt, shard);
        } catch (error) {
          if (!(error instanceof SimCrash)) throw error;
          this.world.faults.disarm();
          booked = await bookShard(deps, PROGRAM_ID, period, attempt, shard);
        }
        done.push(booked);
        if (fault === 'CONFLICT' && booked.loans > 0) throw new StepFailure(`booking shard ${shard} of ${period} timed out`);
      }
    } finally {
      this.world.faults.disarm();
    }
    return done;
  }

  /** A period shared before, asked again by the schedule: skipped, nothing written. */
  private async runAgain(period: string): Promise<void> {
    const before = this.world.stores.db.transactions;
    const opened = await openRun(this.world.profitDeps, { programId: PROGRAM_ID, period, attempt: null });
    if (!opened.skipped) this.ctx.violations.push(`profit run of ${period} asked again was not skipped`);
    if (this.world.stores.db.transactions !== before) this.ctx.violations.push(`profit run of ${period} asked again wrote`);
  }

  /** Every loan's entries, as they stand before the run. */
  private ledgersOfProgram(): Map<string, JournalEntry[]> {
    const byLoan = new Map<string, JournalEntry[]>();
    for (const loanId of this.world.stores.db.loans.keys()) byLoan.set(loanId, []);
    for (const entry of this.world.stores.db.entries.values()) byLoan.get(entry.loanId)?.push(entry);
    return byLoan;
  }
}
