import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Leg } from '../../../../shared/domain/ledger.ts';
import {
  foldRepayments,
  type CompensationEvent,
  type LoanEvent,
  type LoanEventOutcome,
  type RepaymentEvent,
  type RepaymentKind,
  type TransferEvent,
  type WriteOffEvent,
} from '../../../../shared/domain/loan-account.ts';
import { bookLoan, type Loan } from '../../../../shared/domain/loan.ts';
import type { DayCount, RoundingMode } from '../../../../shared/domain/money/index.ts';
import type {
  InterestBasis,
  ParticipantRole,
  PrepaymentTerms,
  RemainderRuleName,
  RepaymentMethod,
  WaterfallComponent,
} from '../../../../shared/domain/program.ts';
import type { RegulatoryProfileId } from '../../../../shared/domain/regulatory-profile.ts';
import { loanSchedules } from '../../../../shared/domain/schedule.ts';
import { NOW, aBookLoanRequest, aLender, aParticipant, aProgram, anIndiaLenders, defaultLenders, lenderMap } from '../../../support/builders.ts';

/**
 * The golden loan accounts of test/golden/loan-account, computed from docs/repayment-booking.md
 * ("The loan account" and "Compensation, write-off, share transfer") by an independent
 * implementation (generate.py). Each case books its loan with `bookLoan`, folds its payments and its
 * events (compensation, write-off, transfer) with `foldRepayments` and compares every figure to the
 * fen: per payment the dues, the cover, the early repayment, the suspense, each lender's parts, what
 * a recovery gives back and the days past due before it; per event the legs of its entry, in order;
 * at the end every schedule row, each lender's outstanding principal, the penalty outstanding, the
 * suspense and the status.
 */
const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../golden/loan-account');

type Amounts = Record<string, string>;
type DuesAmounts = Record<'penaltyMinor' | 'overdueInterestMinor' | 'overduePrincipalMinor' | 'currentInterestMinor' | 'currentPrincipalMinor' | 'feesMinor', string>;

interface GoldenParticipant {
  lenderId: string;
  role: ParticipantRole;
  targetShareBps: number;
  priority: number;
  yieldRate: string | null;
}

interface GoldenProgram {
  regulatoryProfile: RegulatoryProfileId;
  currency: string;
  leadLenderId: string;
  participants: GoldenParticipant[];
  split: {
    interestBasis: InterestBasis;
    penalty: 'PRO_RATA' | 'LEAD';
    fees: 'LEAD';
    remainderRule: RemainderRuleName;
    roundingParty: string | null;
  };
  fees: { guarantorLenderId: string | null };
  lossSharing: {
    method: 'PRO_RATA' | 'LEAD_FIRST_LOSS';
    leadFirstLossCapBps: number | null;
    guaranteeTriggerDpd: number | null;
    guaranteeCoversInterest: boolean;
  };
  transfers: { interest: 'ACTUALS' | 'RECORD' };
  dayCount: DayCount;
  roundingMode: RoundingMode;
  penaltyRateMultiplier: string;
  prepayment: PrepaymentTerms;
  waterfall: WaterfallComponent[];
}

interface GoldenLoan {
  loanId: string;
  principalMinor: string;
  annualRate: string;
  termMonths: number;
  method: RepaymentMethod;
  disbursementDate: string;
  currency: string;
  fundingPlan: { lenderId: string; amountMinor: string }[];
}

interface GoldenPayment {
  repaymentId: string;
  valueDate: string;
  amountMinor: string;
  kind: RepaymentKind;
  /** Arrival on the loan, shared with the events. */
  seq: number;
}

type GoldenEvent = CompensationEvent | WriteOffEvent | (Omit<TransferEvent, 'principalMinor'> & { principalMinor: string });

type GoldenLeg = { [K in keyof Leg]: Leg[K] extends bigint ? string : Leg[K] };

interface GoldenOutcome {
  repaymentId: string;
  valueDate: string;
  daysPastDueBefore: number;
  dues: DuesAmounts;
  /** What the waterfall covers; `excessMinor` is what is left before any early repayment. */
  covered: DuesAmounts & { excessMinor: string };
  prepaidInterestMinor: string;
  prepaidPrincipalMinor: string;
  suspenseMinor: string;
  perLender: Amounts[];
  /** A payment on a compensated or written-off loan: what goes back to the guarantor or to the parties that lost. */
  recovery?: { account: 'GUARANTEE_RECEIVABLE' | 'LOSSES'; parts: { lenderId: string; amountMinor: string }[] };
}

interface GoldenEventOutcome {
  eventId: string;
  type: LoanEvent['type'];
  valueDate: string;
  legs: GoldenLeg[];
}

interface GoldenRow {
  number: number;
  dueDate: string;
  periodStart: string;
  principalMinor: string;
  interestMinor: string;
  paidPrincipalMinor: string;
  paidInterestMinor: string;
  prepayment: boolean;
}

interface Golden {
  name: string;
  description: string;
  loan: GoldenLoan;
  program: GoldenProgram;
  /** In arrival order. */
  payments: GoldenPayment[];
  /** In arrival order. */
  events: GoldenEvent[];
  bookedSchedule: Omit<GoldenRow, 'paidPrincipalMinor' | 'paidInterestMinor' | 'prepayment'>[];
  expected: {
    /** In order of effect. */
    payments: GoldenOutcome[];
    /** In order of effect. */
    events: GoldenEventOutcome[];
    account: {
      rows: GoldenRow[];
      lenders: { lenderId: string; outstandingPrincipalMinor: string }[];
      penaltyOutstandingMinor: string;
      suspenseMinor: string;
      status: string;
    };
  };
}

function loadGoldens(): Golden[] {
  return readdirSync(GOLDEN_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as Golden);
}

/** The case's loan booked under its program, with the repository's own `bookLoan`. */
function bookGoldenLoan(golden: Golden): Loan {
  const { loan, program } = golden;
  const known = program.currency === 'INR' ? anIndiaLenders() : defaultLenders();
  // Participants without a lender record of their own (a guarantor, a partner not in the loan yet).
  const others = program.participants
    .filter(({ lenderId }) => !known.some((l) => l.lenderId === lenderId))
    .map(({ lenderId, role }) => aLender({ lenderId, roles: [role], currency: program.currency }));
  const terms = aProgram({
    regulatoryProfile: program.regulatoryProfile,
    currency: program.currency,
    leadLenderId: program.leadLenderId,
    participants: program.participants.map(({ lenderId, role, targetShareBps, priority, yieldRate }) =>
      aParticipant(lenderId, role, targetShareBps, { priority, yieldRate }),
    ),
    split: program.split,
    fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: program.fees.guarantorLenderId },
    lossSharing: { ...program.lossSharing, writeOffDpd: null },
    transfers: program.transfers,
    dayCount: program.dayCount,
    roundingMode: program.roundingMode,
    penaltyRateMultiplier: program.penaltyRateMultiplier,
    prepayment: program.prepayment,
    waterfall: program.waterfall,
  });
  const request = aBookLoanRequest({
    loanId: loan.loanId,
    currency: loan.currency,
    principalMinor: BigInt(loan.principalMinor),
    annualRate: loan.annualRate,
    termMonths: loan.termMonths,
    repaymentMethod: loan.method,
    disbursementDate: loan.disbursementDate,
    fundingPlan: loan.fundingPlan.map(({ lenderId, amountMinor }) => ({ lenderId, amountMinor: BigInt(amountMinor) })),
  });
  return bookLoan(request, terms, lenderMap([...known, ...others]), NOW).loan;
}

function repaymentsOf(golden: Golden): RepaymentEvent[] {
  return golden.payments.map(({ repaymentId, valueDate, amountMinor, kind, seq }) => ({ repaymentId, valueDate, amountMinor: BigInt(amountMinor), kind, seq }));
}

function loanEventsOf(golden: Golden): LoanEvent[] {
  return golden.events.map((event): LoanEvent => (event.type === 'TRANSFER' ? { ...event, principalMinor: BigInt(event.principalMinor) } : event));
}

function foldGolden(golden: Golden, order: <T>(items: T[]) => T[] = (items) => items) {
  const loan = bookGoldenLoan(golden);
  return foldRepayments(loan, order(repaymentsOf(golden)), order(loanEventsOf(golden)));
}

/** The latest value date of the case's payments and events. */
function lastValueDate(golden: Golden): string {
  return [...golden.expected.payments, ...golden.expected.events].map((o) => o.valueDate).sort().at(-1)!;
}

function byId<T>(items: readonly (readonly [string, T])[]): (readonly [string, T])[] {
  return [...items].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Values in the goldens' JSON shape: minor units as decimal strings. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

const goldens = loadGoldens();

describe('golden loan accounts', () => {
  it('has at least 16 cases covering the kinds of payment, the methods, day counts, modes and remainder rules', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(16);
    const seen = (pick: (g: Golden) => string) => [...new Set(goldens.map(pick))].sort();
    expect(seen((g) => g.loan.method)).toEqual(['BULLET', 'EQUAL_INSTALLMENT', 'EQUAL_PRINCIPAL', 'INTEREST_ONLY']);
    expect(seen((g) => g.program.dayCount)).toEqual(['30/360', 'ACT/360', 'ACT/365']);
    expect(seen((g) => g.program.roundingMode)).toEqual(['DOWN', 'HALF_EVEN', 'HALF_UP']);
    expect(seen((g) => g.program.split.remainderRule)).toEqual(['LARGEST_REMAINDER', 'ROUNDING_PARTY']);
    expect(seen((g) => g.program.split.interestBasis)).toEqual(['LENDER_RATE', 'PRO_RATA']);
    expect(seen((g) => g.program.prepayment.reschedule)).toEqual(['LOWER_INSTALMENT', 'SHORTER_TERM']);
    expect(seen((g) => g.program.regulatoryProfile)).toEqual(['CN-2021', 'IN-2025']);
    const outcomes = goldens.flatMap((g) => g.expected.payments);
    expect(outcomes.some((o) => BigInt(o.prepaidPrincipalMinor) > 0n)).toBe(true);
    expect(outcomes.some((o) => BigInt(o.dues.penaltyMinor) > 0n)).toBe(true);
    expect(outcomes.some((o) => BigInt(o.suspenseMinor) > 0n)).toBe(true);
    expect(goldens.some((g) => g.expected.account.status === 'PAID_OFF')).toBe(true);
  });

  it('has at least 10 cases of compensation, recoveries, write-off and transfer', () => {
    const withEvents = goldens.filter((g) => g.events.length > 0);
    expect(withEvents.length).toBeGreaterThanOrEqual(10);
    const seen = (pick: (g: Golden) => string[]) => [...new Set(withEvents.flatMap(pick))].sort();
    expect(seen((g) => g.events.map((e) => e.type))).toEqual(['COMPENSATION', 'TRANSFER', 'WRITE_OFF']);
    const has = (type: LoanEvent['type']) => (g: Golden) => g.events.some((e) => e.type === type);
    expect(seen((g) => (has('COMPENSATION')(g) ? [`${g.program.split.interestBasis} ${g.program.lossSharing.guaranteeCoversInterest}`] : []))).toEqual([
      'LENDER_RATE false',
      'LENDER_RATE true',
      'PRO_RATA false',
      'PRO_RATA true',
    ]);
    expect(seen((g) => (has('WRITE_OFF')(g) ? [has('COMPENSATION')(g) ? 'the guarantor\'s claim' : g.program.lossSharing.method] : []))).toEqual(
      expect.arrayContaining(['PRO_RATA', 'the guarantor\'s claim']),
    );
    expect(seen((g) => (has('TRANSFER')(g) ? [g.program.transfers.interest] : []))).toEqual(['ACTUALS', 'RECORD']);
    expect(seen((g) => g.expected.payments.flatMap((o) => (o.recovery === undefined ? [] : [o.recovery.account])))).toEqual(['GUARANTEE_RECEIVABLE', 'LOSSES']);
    expect(seen((g) => [g.expected.account.status])).toEqual(['ACTIVE', 'COMPENSATED', 'WRITTEN_OFF']);
  });

  it.each(goldens.map((g) => [g.name, g] as const))('%s', (_name, golden) => {
    const loan = bookGoldenLoan(golden);
    expect(asJson(loanSchedules(loan).borrower.instalments.map(({ number, dueDate, periodStart, principalMinor, interestMinor }) => ({
      number,
      dueDate,
      periodStart,
      principalMinor,
      interestMinor,
    })))).toEqual(golden.bookedSchedule);

    const { account, outcomes, eventOutcomes } = foldRepayments(loan, repaymentsOf(golden), loanEventsOf(golden));
    for (const expected of golden.expected.payments) {
      const outcome = outcomes.get(expected.repaymentId);
      expect(outcome, expected.repaymentId).toBeDefined();
      const { covered, prepaidInterestMinor, prepaidPrincipalMinor, split } = outcome!;
      // The engine reports the early repayment inside the current components and the suspense as
      // the excess; the golden keeps the waterfall's own cover and excess apart from it.
      const waterfall = {
        ...covered,
        currentInterestMinor: covered.currentInterestMinor - prepaidInterestMinor,
        currentPrincipalMinor: covered.currentPrincipalMinor - prepaidPrincipalMinor,
        excessMinor: covered.excessMinor + prepaidInterestMinor + prepaidPrincipalMinor,
      };
      const perLender = [...split.perLender].map(([lenderId, parts]) => ({ lenderId, ...parts }));
      const recovering = expected.recovery !== undefined;
      expect(asJson({
        repaymentId: outcome!.repaymentId,
        valueDate: outcome!.valueDate,
        daysPastDueBefore: outcome!.dpdBefore,
        dues: outcome!.dues,
        covered: waterfall,
        prepaidInterestMinor,
        prepaidPrincipalMinor,
        suspenseMinor: split.suspenseMinor,
        // A recovery pays no lender: the golden lists none, so lenders with nothing are left out.
        perLender: recovering ? perLender.filter(({ lenderId: _id, ...parts }) => Object.values(parts).some((v) => v !== 0n)) : perLender,
        ...(split.recovery === undefined
          ? {}
          : { recovery: { account: split.recovery.account, parts: byId([...split.recovery.parts]).map(([lenderId, amountMinor]) => ({ lenderId, amountMinor })) } }),
      }), expected.repaymentId).toEqual(expected);
      if (recovering) {
        // What the waterfall covers beyond what is left to recover is suspense, with the excess.
        const coveredMinor = covered.penaltyMinor + covered.overdueInterestMinor + covered.overduePrincipalMinor + covered.currentInterestMinor + covered.currentPrincipalMinor + covered.feesMinor;
        const recoveredMinor = [...split.recovery!.parts.values()].reduce((sum, v) => sum + v, 0n);
        expect(split.suspenseMinor).toBe(covered.excessMinor + coveredMinor - recoveredMinor);
      } else {
        expect(covered.excessMinor).toBe(split.suspenseMinor);
      }
    }
    expect(outcomes.size).toBe(golden.payments.length);

    for (const expected of golden.expected.events) {
      const outcome: LoanEventOutcome | undefined = eventOutcomes.get(expected.eventId);
      expect(outcome, expected.eventId).toBeDefined();
      const { eventId, type, valueDate, legs } = outcome!;
      expect(asJson({
        eventId,
        type,
        valueDate,
        legs: legs.map(({ lenderId, account, side, amountMinor, counterparty }) => ({ lenderId, account, side, amountMinor, counterparty })),
      }), expected.eventId).toEqual(expected);
    }
    expect(eventOutcomes.size).toBe(golden.events.length);

    const summary = account.summary(lastValueDate(golden));
    const { expected } = golden;
    expect(asJson(summary.instalments)).toEqual(expected.account.rows);
    expect(asJson(byId([...summary.outstandingByLender]).map(([lenderId, outstandingPrincipalMinor]) => ({
      lenderId,
      outstandingPrincipalMinor,
    })))).toEqual(expected.account.lenders);
    expect(summary.penaltyOutstandingMinor.toString()).toBe(expected.account.penaltyOutstandingMinor);
    expect(summary.suspenseMinor.toString()).toBe(expected.account.suspenseMinor);
    expect(summary.status).toBe(expected.account.status);
  });

  it.each(goldens.map((g) => [g.name, g] as const))('%s: the same account whatever order the payments and events are listed in', (_name, golden) => {
    const inOrder = foldGolden(golden);
    const shuffled = foldGolden(golden, (items) => [...items].reverse());
    const last = lastValueDate(golden);
    expect(asJson(shuffled.account.summary(last))).toEqual(asJson(inOrder.account.summary(last)));
    expect(asJson(Object.fromEntries(shuffled.outcomes))).toEqual(asJson(Object.fromEntries(inOrder.outcomes)));
    expect(asJson(Object.fromEntries(shuffled.eventOutcomes))).toEqual(asJson(Object.fromEntries(inOrder.eventOutcomes)));
  });
});
