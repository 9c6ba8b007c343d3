import { LOAN_SHARDS } from '../../shared/adapters/dynamodb/state-keys.ts';
import { runIdempotent, type StoredResponse } from '../../shared/http/idempotency.ts';
import { bookLoan, type LoansDeps } from '../../functions/loans/use-case.ts';
import type { BookLoanRequestBody } from '../../shared/contracts/schemas.ts';
import type { RepaymentStepInput, RepaymentStepResult } from '../../shared/contracts/repayments.ts';
import { addDays } from '../../shared/domain/money/index.ts';
import type { Program } from '../../shared/domain/program.ts';
import { splitAndBook, type RepaymentBookDeps } from '../../shared/use-cases/loan-changes.ts';
import type { AdjustmentDeps } from '../../shared/use-cases/adjustments.ts';
import type { PeriodFeeDeps } from '../../shared/use-cases/period-fees.ts';
import type { ProfitSharingDeps } from '../../shared/use-cases/profit-sharing.ts';
import type { ApplicationDeps } from '../../functions/applications/use-case.ts';
import type { ReviewDeps } from '../../functions/review-steps/use-case.ts';
import type { DisbursementDeps } from '../../functions/disbursement-steps/use-case.ts';
import type { BookFromApplicationDeps } from '../../functions/disbursement-book/use-case.ts';
import { businessCalendar } from '../../shared/use-cases/calendars.ts';
import { cachedLoans } from '../../shared/use-cases/loan-cache.ts';
import { closeRun, failRun, gatherShard, instruct, openRun, writeFiles, type SettlementDeps } from '../../shared/use-cases/settlement.ts';
import type { SettlementRun } from '../../shared/ports/stores.ts';
import { GUARANTOR_ID, LEAD_ID, PARTNER_A, PARTNER_B, PROGRAM_ID, aLeadLender, aLender, aLimits, aParticipant, aPartnerLender, aProgram, defaultPlan } from '../support/builders.ts';
import { InMemoryFileStore } from '../support/in-memory-files.ts';
import { createInMemoryStores, seed, type InMemoryStores } from '../support/in-memory-stores.ts';
import type { ProgramChoice } from './commands.ts';
import { FaultPlan, FaultyExposureStore, FaultyLoanStore, FaultyRepaymentStore, SimCrash, StepFailure, faultyApplications, faultySettlements } from './faults.ts';

/*
 * The world of the money simulator: one program with a lead, two partners and a guarantor, the
 * in-memory stores behind the real use cases, a frozen clock the simulator moves a day at a time,
 * and faults armed in the stores. Everything is a function of the sequence: no wall clock, no
 * randomness, so a sequence run twice does exactly the same.
 */

/** Monday 2025-03-03, 12:00 in Beijing: the first business day of every sequence. */
export const START_DATE = '2025-03-03';
/** Every day's work happens at noon in Beijing: after the previous day's cut-off, before today's. */
const NOON_UTC = 'T04:00:00.000Z';
export const PARTIES = [LEAD_ID, PARTNER_A, PARTNER_B, GUARANTOR_ID] as const;
export const PARTNERS = [PARTNER_A, PARTNER_B] as const;
/** A tight quota for partner B in some sequences: a few loans use it up, so plans and bookings find it short. */
export const TIGHT_QUOTA_MINOR = 8_000_000n;

/** The guarantee fee the borrower pays in some sequences (ProgramChoice.borrowerFee), billed monthly to the loan's account. */
export const BORROWER_FEE = {
  id: 'GUARANTEE-B',
  kind: 'GUARANTEE',
  payee: GUARANTOR_ID,
  base: 'OUTSTANDING_PRINCIPAL',
  rate: '0.005',
  amountMinor: null,
  period: 'MONTHLY',
  payer: { kind: 'BORROWER' },
} as const;

export function programOf(choice: ProgramChoice): Program {
  const lenderRate = choice.interestBasis === 'LENDER_RATE';
  return aProgram({
    participants: [
      aParticipant(LEAD_ID, 'LEAD', 4000, { priority: 0 }),
      aParticipant(PARTNER_A, 'PARTNER', 3000, { priority: 1, yieldRate: lenderRate ? '0.06' : null }),
      aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2, yieldRate: lenderRate ? '0.055' : null }),
      aParticipant(GUARANTOR_ID, 'GUARANTOR', null),
    ],
    split: { interestBasis: choice.interestBasis, penalty: 'PRO_RATA', fees: 'LEAD', remainderRule: choice.remainderRule, roundingParty: null },
    fees: {
      serviceFeeRate: null,
      guaranteeFeeRate: null,
      guarantorLenderId: GUARANTOR_ID,
      rules: [
        ...(choice.serviceFee
          ? [{ id: 'SERVICE', kind: 'SERVICE', payee: LEAD_ID, base: 'OUTSTANDING_PRINCIPAL', rate: '0.01', amountMinor: null, period: 'MONTHLY', payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: 'ALL_PARTNERS' } } as const]
          : []),
        ...(choice.borrowerFee ? [BORROWER_FEE] : []),
      ],
    },
    lossSharing: {
      method: choice.lossMethod,
      leadFirstLossCapBps: choice.lossMethod === 'LEAD_FIRST_LOSS' ? 500 : null,
      guaranteeTriggerDpd: 90,
      guaranteeCoversInterest: true,
      writeOffDpd: null,
    },
    prepayment: { excess: choice.excess, reschedule: 'LOWER_INSTALMENT' },
    settlement: { cutoffTime: '22:00', settlementLagDays: 1, netting: choice.netting, calendar: 'CN' },
  });
}

/** A client's view of a loan change it sent: the input, and what it took effect as. */
export interface SentChange {
  readonly input: RepaymentStepInput;
  readonly first: RepaymentStepResult;
}

/** A booking a client sent, with its Idempotency-Key and what the API first answered. */
export interface SentBooking {
  readonly key: string;
  readonly body: Record<string, unknown>;
  readonly request: BookLoanRequestBody;
  readonly first: StoredResponse | null;
}

export class World {
  readonly stores: InMemoryStores;
  readonly files = new InMemoryFileStore();
  readonly faults = new FaultPlan();
  readonly program: Program;
  readonly bookingDeps: LoansDeps;
  readonly changeDeps: RepaymentBookDeps;
  readonly settlementDeps: SettlementDeps;
  readonly adjustmentDeps: AdjustmentDeps;
  readonly feeDeps: PeriodFeeDeps;
  /** The joint review and its saga: the application API, the review's steps, the disbursement's steps and its BookLoan. */
  readonly applicationDeps: ApplicationDeps;
  readonly reviewDeps: ReviewDeps;
  readonly disbursementDeps: DisbursementDeps;
  readonly bookFromApplicationDeps: BookFromApplicationDeps;
  readonly profitDeps: ProfitSharingDeps;
  today = START_DATE;

  constructor(
    choice: ProgramChoice,
    /** Whether a settlement writes its statement files, or settles the money alone. */
    readonly writesFiles = true,
  ) {
    this.stores = createInMemoryStores(`${START_DATE}${NOON_UTC}`);
    this.program = programOf(choice);
    seed(this.stores, {
      lenders: [
        aLeadLender(),
        aPartnerLender(PARTNER_A),
        aPartnerLender(PARTNER_B, choice.tightQuota ? { limits: aLimits({ exposureQuotaMinor: TIGHT_QUOTA_MINOR }) } : {}),
        aLender({ lenderId: GUARANTOR_ID, roles: ['GUARANTOR'], institutionType: 'NON_BANK' }),
      ],
      programs: [this.program],
    });
    // The program's pools as a risk update measured them: the lead's first losses are capped at 5% of a large book.
    for (const kind of ['FIRST_LOSS', 'GUARANTEE'] as const) {
      this.stores.db.programPools.set(`${PROGRAM_ID}#${kind}`, { programId: PROGRAM_ID, kind, baseMinor: 200_000_000n, baseAsOf: START_DATE, usedMinor: 0n, version: 1 });
    }
    const repayments = new FaultyRepaymentStore(this.stores.repayments, this.faults);
    const loans = new FaultyLoanStore(this.stores.loans, this.faults);
    this.bookingDeps = { ...this.stores, loans };
    // A loan by id as the functions read it: remembered once read (a booked loan's terms never change).
    const loan = cachedLoans(this.stores.loans);
    this.changeDeps = { loan, repayments, programPools: this.stores.programPools, clock: this.stores.clock };
    this.feeDeps = { loan, repayments, ledger: this.stores.ledger, clock: this.stores.clock };
    this.adjustmentDeps = { adjustments: this.stores.adjustments, breaks: this.stores.breaks, loan, repayments, ledger: this.stores.ledger, clock: this.stores.clock };
    const exposure = new FaultyExposureStore(this.stores.exposure, this.faults);
    const applications = faultyApplications(this.stores.applications, this.faults);
    this.applicationDeps = { ...this.stores, applications, exposure };
    this.reviewDeps = { ...this.stores, applications, exposure };
    this.disbursementDeps = { ...this.stores, applications, exposure };
    this.bookFromApplicationDeps = { ...this.stores, applications, exposure, loans };
    this.profitDeps = { ...this.stores, loan, repayments, shardCount: LOAN_SHARDS };
    this.settlementDeps = {
      ...this.stores,
      settlements: faultySettlements(this.stores.settlements, this.faults),
      files: this.files,
      calendar: (id) => businessCalendar(this.stores, id),
      shardCount: LOAN_SHARDS,
    };
  }

  /** Whether the clock stands past today's cut-off. */
  evening = false;

  nextDay(days: number): void {
    this.today = addDays(this.today, days);
    this.evening = false;
    this.stores.clock.set(`${this.today}${NOON_UTC}`);
  }

  /** 23:30 in Beijing: today's cut-off has passed. */
  toEvening(): void {
    this.evening = true;
    this.stores.clock.set(`${this.today}T15:30:00.000Z`);
  }

  /** A booking as `POST /v1/loans` makes it: through the idempotency record of its key, then the use case. */
  book(sent: Pick<SentBooking, 'key' | 'body' | 'request'>): Promise<StoredResponse> {
    const now = this.stores.clock.now();
    return runIdempotent(this.stores.idempotency, { operation: 'bookLoan', clientId: 'lead-ops-client', userId: 'lead-ops-client', key: sent.key, body: sent.body, now }, (seal) =>
      bookLoan(this.bookingDeps, sent.request, seal, now),
    );
  }

  change(input: RepaymentStepInput): Promise<RepaymentStepResult> {
    return splitAndBook(this.changeDeps, input);
  }

  /**
   * The daily settlement of a date as its workflow runs it: a step that crashed after its write
   * is run again (Step Functions retries it); a step that failed fails the run, and the run is
   * started again as the next attempt, as an operator does. `attempt` re-runs a settled date.
   */
  async settle(businessDate: string, attempt?: number): Promise<SettlementRun> {
    const deps = this.settlementDeps;
    const retried = async <T>(step: () => Promise<T>): Promise<T> => {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof SimCrash)) throw error;
        return step();
      }
    };
    let next = attempt;
    for (let tries = 0; ; tries++) {
      const opened = await openRun(deps, { businessDate, ...(next === undefined ? {} : { attempt: next }) });
      try {
        for (const { shard } of opened.shards) await retried(() => gatherShard(deps, businessDate, opened.attempt, shard));
        const instructed = await retried(() => instruct(deps, businessDate, opened.attempt));
        if (!this.writesFiles) return await closeRun(deps, businessDate, opened.attempt, instructed);
        const { files } = await retried(() => writeFiles(deps, businessDate, opened.attempt));
        return await closeRun(deps, businessDate, opened.attempt, { ...instructed, files });
      } catch (error) {
        if (!(error instanceof StepFailure) || tries > 0) throw error;
        await failRun(deps, businessDate, opened.attempt, { code: 'States.Timeout', message: error.message });
        next = opened.attempt + 1;
      }
    }
  }
}

/** The request a client sends to book loan number `n`, and its JSON body as sent. */
export function bookingOf(
  n: number,
  today: string,
  command: { principalMinor: bigint; termMonths: number; method: BookLoanRequestBody['repaymentMethod']; daysAgo: number; borrower: number },
): Pick<SentBooking, 'key' | 'body' | 'request'> {
  const loanId = `LN-SIM-${String(n).padStart(4, '0')}`;
  const rates = ['0.0725', '0.12', '0.18', '0.24'];
  const request: BookLoanRequestBody = {
    loanId,
    programId: PROGRAM_ID,
    programVersion: null,
    borrower: { borrowerId: `BRW-${command.borrower}`, type: 'INDIVIDUAL', region: 'CN-44', secured: false },
    currency: 'CNY',
    principalMinor: command.principalMinor,
    annualRate: rates[command.borrower % rates.length]!,
    termMonths: command.termMonths,
    repaymentMethod: command.method,
    disbursementDate: addDays(today, -command.daysAgo),
    disbursementReference: `DISB-${loanId}`,
    fundingPlan: defaultPlan(command.principalMinor),
  };
  const body = JSON.parse(JSON.stringify(request, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
  return { key: `book-${loanId}`, body, request };
}
