import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EXACT_NUMBER_LIMIT } from '../../../../shared/domain/money/exact-number.ts';
import { DAY_COUNTS, ROUNDING_MODES, addDays } from '../../../../shared/domain/money/index.ts';
import { DEFAULT_WATERFALL, type WaterfallComponent } from '../../../../shared/domain/program.ts';
import type { Covered, Dues, InterestPeriod, LenderHolding, RepaymentSplit, RepaymentTerms } from '../../../../shared/domain/repayment.ts';
import { applyWaterfall, repaymentEntry, splitRepayment } from '../../../../shared/domain/repayment.ts';
import { repaymentEntryInBigint } from '../../../../shared/domain/repayment-entry.ts';
import { splitRepaymentInBigint } from '../../../../shared/domain/repayment-split.ts';
import { applyWaterfallInBigint } from '../../../../shared/domain/repayment-waterfall.ts';

/**
 * The number paths of the waterfall, the split and the entry against their bigint references: the
 * same result to the minor unit, or the same refusal, for amounts on both sides of the limit and
 * for inputs the references refuse.
 */

const LIMIT = BigInt(EXACT_NUMBER_LIMIT);

function outcome<T>(run: () => T): unknown {
  try {
    return { result: run() };
  } catch (error) {
    return { error: (error as Error).name, message: (error as Error).message, details: (error as { details?: unknown }).details };
  }
}

/** Amounts from zero to beyond the limit, mostly small. */
const amount = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0n) },
  { weight: 6, arbitrary: fc.bigInt({ min: 1n, max: 1_000n }) },
  { weight: 6, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 10n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: LIMIT - 1_000n, max: LIMIT + 1_000n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 20n }) },
);

/** Now and then an amount that is not one: negative, or not a bigint at all. */
const maybeWrong = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ weight: 100, arbitrary: value }, { weight: 1, arbitrary: fc.constantFrom(-1n, 5 as unknown, undefined) as fc.Arbitrary<T> });

/** Now and then a setting the split does not know. */
const rarelyWrong = <T>(value: fc.Arbitrary<T>, wrong: T): fc.Arbitrary<T> =>
  fc.oneof({ weight: 30, arbitrary: value }, { weight: 1, arbitrary: fc.constant(wrong) });

const dues: fc.Arbitrary<Dues> = fc.record({
  penaltyMinor: maybeWrong(amount),
  overdueInterestMinor: maybeWrong(amount),
  overduePrincipalMinor: maybeWrong(amount),
  currentInterestMinor: maybeWrong(amount),
  currentPrincipalMinor: maybeWrong(amount),
  feesMinor: maybeWrong(amount),
});

const waterfall: fc.Arbitrary<readonly WaterfallComponent[]> = fc.oneof(
  { weight: 10, arbitrary: fc.shuffledSubarray([...DEFAULT_WATERFALL], { minLength: 6, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.shuffledSubarray([...DEFAULT_WATERFALL], { minLength: 5, maxLength: 5 }) },
);

const IDS = ['LEAD', 'BANK-A', 'BANK-B', 'bank-c', 'P1'];

interface Scenario {
  readonly terms: RepaymentTerms;
  readonly holdings: readonly LenderHolding[];
  readonly covered: Covered;
  readonly period: InterestPeriod | null;
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    ids: fc.shuffledSubarray(IDS, { minLength: 1, maxLength: 5 }),
    lenders: fc.array(
      fc.record({
        outstanding: maybeWrong(amount),
        yieldRate: fc.oneof({ weight: 20, arbitrary: fc.constantFrom('0.065', '0.0725', '0', '0.12', '0.000001') }, { weight: 1, arbitrary: fc.constantFrom('bad', null) }),
        priority: fc.integer({ min: 0, max: 3 }),
        received: fc.option(maybeWrong(amount), { nil: undefined }),
      }),
      { minLength: 5, maxLength: 5 },
    ),
    duplicate: fc.integer({ min: 0, max: 20 }),
    interestBasis: rarelyWrong(fc.constantFrom('PRO_RATA' as const, 'LENDER_RATE' as const, 'LENDER_RATE' as const), 'OTHER' as 'PRO_RATA'),
    penalty: fc.constantFrom('PRO_RATA' as const, 'LEAD' as const),
    fees: rarelyWrong(fc.constantFrom('LEAD' as const, { party: 'SERVICE-CO' }, { party: 'BANK-A' }), { party: '' }),
    remainderRule: fc.constantFrom('ROUNDING_PARTY' as const, 'LARGEST_REMAINDER' as const),
    roundingParty: rarelyWrong(fc.constantFrom(null, null, 'BANK-A', 'BANK-B'), 'NOBODY'),
    roundingMode: fc.constantFrom(...ROUNDING_MODES),
    dayCount: fc.constantFrom(...DAY_COUNTS),
    periodStart: fc.integer({ min: 0, max: 9_000 }),
    periodDays: fc.integer({ min: 0, max: 400 }),
    noPeriod: fc.integer({ min: 0, max: 30 }),
    covered: dues,
    excess: maybeWrong(amount),
  })
  .map((r): Scenario => {
    const lead = r.ids[0]!;
    const holdings = r.ids.map((lenderId, i): LenderHolding => {
      const l = r.lenders[i]!;
      const holding = {
        lenderId: r.duplicate === 0 && i > 0 ? r.ids[0]! : lenderId,
        role: lenderId === lead ? ('LEAD' as const) : ('PARTNER' as const),
        outstandingPrincipalMinor: l.outstanding,
        yieldRate: lenderId === lead ? null : l.yieldRate,
        priority: l.priority,
      };
      return l.received === undefined ? holding : { ...holding, periodInterestReceivedMinor: l.received };
    });
    const start = addDays('2000-01-01', r.periodStart);
    return {
      terms: {
        leadLenderId: lead,
        split: { interestBasis: r.interestBasis, penalty: r.penalty, fees: r.fees, remainderRule: r.remainderRule, roundingParty: r.roundingParty },
        dayCount: r.dayCount,
        roundingMode: r.roundingMode,
      },
      holdings,
      covered: { ...r.covered, excessMinor: r.excess },
      period: r.noPeriod === 0 ? null : { start, end: addDays(start, r.periodDays) },
    };
  });

/** Principal covered within what the lenders hold, so most scenarios split rather than refuse. */
const payable: fc.Arbitrary<Scenario> = scenario.map((s) => {
  const held = s.holdings.reduce((sum, h) => (typeof h.outstandingPrincipalMinor === 'bigint' && h.outstandingPrincipalMinor > 0n ? sum + h.outstandingPrincipalMinor : sum), 0n);
  const principal = (value: bigint): bigint => (typeof value === 'bigint' && value > 0n && held > 0n ? value % (held / 2n + 1n) : value);
  return {
    ...s,
    covered: {
      ...s.covered,
      overduePrincipalMinor: principal(s.covered.overduePrincipalMinor),
      currentPrincipalMinor: principal(s.covered.currentPrincipalMinor),
    },
  };
});

describe('repayment number paths', () => {
  it('the waterfall covers as the bigint waterfall does, or refuses the same way', () => {
    fc.assert(
      fc.property(maybeWrong(amount), dues, waterfall, (paid, due, order) => {
        expect(outcome(() => applyWaterfall(paid, due, order))).toEqual(outcome(() => applyWaterfallInBigint(paid, due, order)));
      }),
      { numRuns: 1000 },
    );
  });

  it('the split gives what the bigint split gives, to the minor unit, or refuses the same way', () => {
    fc.assert(
      fc.property(fc.oneof(scenario, payable, payable), ({ terms, holdings, covered, period }) => {
        // The reference first: it converts the yields the number path then reads.
        const reference = outcome(() => splitRepaymentInBigint(terms, holdings, covered, period));
        expect(outcome(() => splitRepayment(terms, holdings, covered, period))).toEqual(reference);
      }),
      { numRuns: 2000 },
    );
  });

  it('the entry books what the bigint entry books, or refuses the same way', () => {
    fc.assert(
      fc.property(fc.oneof(payable, payable, scenario), ({ terms, holdings, covered, period }) => {
        let split: RepaymentSplit;
        try {
          split = splitRepaymentInBigint(terms, holdings, covered, period);
        } catch {
          return;
        }
        const entry = (): unknown => repaymentEntry('LOAN-1', 'R1', '2025-04-15', 'CNY', split, '2025-04-15T10:00:00.000Z');
        const reference = (): unknown => repaymentEntryInBigint('LOAN-1', 'R1', '2025-04-15', 'CNY', split, '2025-04-15T10:00:00.000Z');
        expect(outcome(entry)).toEqual(outcome(reference));
      }),
      { numRuns: 1000 },
    );
  });

  it('the entry of a split built by hand (recoveries, negative or huge parts) matches the bigint entry', () => {
    const part = fc.oneof(amount, fc.bigInt({ min: -1_000n, max: -1n }));
    const parts = fc.record({ principalMinor: part, interestMinor: part, penaltyMinor: part, feeMinor: part, spreadMinor: part });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...IDS), parts), { minLength: 1, maxLength: 4 }),
        amount,
        fc.constantFrom(...IDS),
        fc.option(fc.array(fc.tuple(fc.constantFrom('GUARANTOR', 'LEAD', 'BANK-A'), part), { maxLength: 3 }), { nil: undefined }),
        fc.boolean(),
        (lenders, suspenseMinor, suspenseLenderId, recovered, paidRight) => {
          const perLender = new Map(lenders);
          let paidMinor = suspenseMinor;
          for (const p of perLender.values()) paidMinor += p.principalMinor + p.interestMinor + p.penaltyMinor + p.feeMinor + p.spreadMinor;
          const recoveryParts = recovered === undefined ? undefined : new Map(recovered);
          for (const a of recoveryParts?.values() ?? []) paidMinor += a;
          const split: RepaymentSplit = {
            perLender,
            suspenseMinor,
            suspenseLenderId,
            paidMinor: paidRight ? paidMinor : paidMinor + 1n,
            ...(recoveryParts === undefined ? {} : { recovery: { account: 'LOSSES' as const, parts: recoveryParts } }),
          };
          const entry = (): unknown => repaymentEntry('LOAN-1', 'R1', '2025-04-15', 'CNY', split, '2025-04-15T10:00:00.000Z');
          const reference = (): unknown => repaymentEntryInBigint('LOAN-1', 'R1', '2025-04-15', 'CNY', split, '2025-04-15T10:00:00.000Z');
          expect(outcome(entry)).toEqual(outcome(reference));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
