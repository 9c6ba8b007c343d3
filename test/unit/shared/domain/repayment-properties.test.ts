import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyLegs, imbalances, type JournalEntry } from '../../../../shared/domain/ledger.ts';
import { DAY_COUNTS, ROUNDING_MODES, addDays, dayCountFraction, divRound, parseRate, toExactFraction } from '../../../../shared/domain/money/index.ts';
import type { WaterfallComponent } from '../../../../shared/domain/program.ts';
import { DEFAULT_WATERFALL } from '../../../../shared/domain/program.ts';
import { NOTHING_COVERED, type Covered, type Dues, type InterestPeriod, type LenderHolding, type RepaymentSplit, type RepaymentTerms } from '../../../../shared/domain/repayment.ts';
import {
  applyWaterfall,
  lenderRateEntitlements,
  repaymentEntry,
  reversalEntry,
  splitRepayment,
  totalCovered,
} from '../../../../shared/domain/repayment.ts';

const NOW = '2025-04-15T09:30:00.000Z';
const IDS = ['LEAD', 'BANK-A', 'BANK-B', 'bank-c', 'P1', 'Z9', 'A_1', 'PARTNER-10'];

/** A yield from 0 to 0.2 with 1 to 6 decimal places, as a decimal string. */
const yieldRate = fc.integer({ min: 1, max: 6 }).chain((places) =>
  fc.integer({ min: 0, max: 2 * 10 ** (places - 1) }).map((units) => {
    const digits = String(units).padStart(places + 1, '0');
    return `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  }),
);

interface Scenario {
  readonly terms: RepaymentTerms & { readonly waterfall: readonly WaterfallComponent[] };
  readonly holdings: readonly LenderHolding[];
  readonly period: InterestPeriod;
  readonly dues: Dues;
  readonly amountMinor: bigint;
  readonly permutation: readonly number[];
}

/** Outstanding principal: often zero or tiny, sometimes large, so rounding, floors and caps all occur. */
const outstanding = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 10n }),
  fc.bigInt({ min: 1n, max: 100_000n }),
  fc.bigInt({ min: 1n, max: 100_000_000n }),
  fc.bigInt({ min: 1n, max: 10n ** 12n }),
);

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    ids: fc.shuffledSubarray(IDS, { minLength: 2, maxLength: 5 }),
    leadIndex: fc.nat(),
    lenders: fc.array(
      fc.record({
        outstanding,
        yieldRate,
        priority: fc.integer({ min: 0, max: 3 }),
        received: fc.option(fc.bigInt({ min: 0n, max: 1_000_000n }), { nil: undefined }),
      }),
      { minLength: 5, maxLength: 5 },
    ),
    interestBasis: fc.constantFrom('PRO_RATA' as const, 'LENDER_RATE' as const),
    penalty: fc.constantFrom('PRO_RATA' as const, 'LEAD' as const),
    feeTo: fc.oneof(fc.constant<'LEAD' | number | 'OUTSIDE'>('LEAD'), fc.constant<'OUTSIDE'>('OUTSIDE'), fc.nat()),
    remainderRule: fc.constantFrom('ROUNDING_PARTY' as const, 'LARGEST_REMAINDER' as const),
    roundingPartyIndex: fc.option(fc.nat()),
    roundingMode: fc.constantFrom(...ROUNDING_MODES),
    dayCount: fc.constantFrom(...DAY_COUNTS),
    waterfall: fc.shuffledSubarray([...DEFAULT_WATERFALL], { minLength: 6, maxLength: 6 }),
    periodStart: fc.integer({ min: 0, max: 9_000 }),
    periodDays: fc.integer({ min: 0, max: 400 }),
    dues: fc.array(fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 10n ** 10n })), {
      minLength: 6,
      maxLength: 6,
    }),
    principalShare: fc.tuple(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 1_000n })),
    paymentShare: fc.bigInt({ min: 1n, max: 1_200n }),
    permutationSeed: fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
  })
  .map((r): Scenario => {
    const ids = r.ids;
    const lead = ids[r.leadIndex % ids.length]!;
    const holdings = ids.map((lenderId, i): LenderHolding => {
      const l = r.lenders[i]!;
      const base = {
        lenderId,
        role: lenderId === lead ? ('LEAD' as const) : ('PARTNER' as const),
        outstandingPrincipalMinor: l.outstanding,
        yieldRate: lenderId === lead ? null : l.yieldRate,
        priority: l.priority,
      };
      return l.received === undefined ? base : { ...base, periodInterestReceivedMinor: l.received };
    });
    const outstandingTotal = holdings.reduce((s, h) => s + h.outstandingPrincipalMinor, 0n);
    // Principal due never exceeds what the lenders hold: each part is a share of it (in thousandths).
    const [overdueShare, currentShare] = r.principalShare;
    const overduePrincipal = (outstandingTotal * overdueShare) / 2_000n;
    const currentPrincipal = (outstandingTotal * currentShare) / 2_000n;
    const [penalty, overdueInterest, , currentInterest, , feesDue] = r.dues;
    const dues: Dues = {
      penaltyMinor: penalty!,
      overdueInterestMinor: overdueInterest!,
      overduePrincipalMinor: overduePrincipal,
      currentInterestMinor: currentInterest!,
      currentPrincipalMinor: currentPrincipal,
      feesMinor: feesDue!,
    };
    const owed = totalCovered(dues);
    const amountMinor = owed === 0n ? r.paymentShare : (owed * r.paymentShare) / 1_000n + 1n;
    const feeTo = r.feeTo;
    const fees = feeTo === 'LEAD' ? 'LEAD' : { party: feeTo === 'OUTSIDE' ? 'SERVICE-CO' : ids[feeTo % ids.length]! };
    const start = addDays('2000-01-01', r.periodStart);
    // A random permutation of the holdings, from the seed.
    const order = ids.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = r.permutationSeed[i]! % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return {
      terms: {
        leadLenderId: lead,
        split: {
          interestBasis: r.interestBasis,
          penalty: r.penalty,
          fees,
          remainderRule: r.remainderRule,
          roundingParty: r.roundingPartyIndex === null ? null : ids[r.roundingPartyIndex % ids.length]!,
        },
        dayCount: r.dayCount,
        roundingMode: r.roundingMode,
        waterfall: r.waterfall,
      },
      holdings,
      period: { start, end: addDays(start, r.periodDays) },
      dues,
      amountMinor,
      permutation: order,
    };
  })
  // Interest and penalty split pro rata need someone holding principal (a refusal covered by the examples).
  .filter((s) => s.holdings.some((h) => h.outstandingPrincipalMinor > 0n));

interface Run {
  readonly covered: Covered;
  readonly split: RepaymentSplit;
  readonly entry: JournalEntry;
}

function run(s: Scenario, holdings: readonly LenderHolding[] = s.holdings): Run {
  const covered = applyWaterfall(s.amountMinor, s.dues, s.terms.waterfall);
  const split = splitRepayment(s.terms, holdings, covered, s.period);
  const entry = repaymentEntry('LOAN-1', 'RP-1', s.period.end, 'CNY', split, NOW);
  return { covered, split, entry };
}

function sumParts(split: RepaymentSplit): bigint {
  let sum = 0n;
  for (const p of split.perLender.values()) sum += p.principalMinor + p.interestMinor + p.penaltyMinor + p.feeMinor + p.spreadMinor;
  return sum;
}

const RUNS = { numRuns: 400 };

describe('repayment split properties', () => {
  it('the waterfall covers components in order, never more than due, and accounts for the whole payment', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const covered = applyWaterfall(s.amountMinor, s.dues, s.terms.waterfall);
        expect(totalCovered(covered) + covered.excessMinor).toBe(s.amountMinor);
        const fieldOf: Record<WaterfallComponent, keyof Dues> = {
          PENALTY: 'penaltyMinor',
          OVERDUE_INTEREST: 'overdueInterestMinor',
          OVERDUE_PRINCIPAL: 'overduePrincipalMinor',
          CURRENT_INTEREST: 'currentInterestMinor',
          CURRENT_PRINCIPAL: 'currentPrincipalMinor',
          FEES: 'feesMinor',
        };
        let earlierAllPaid = true;
        for (const component of s.terms.waterfall) {
          const field = fieldOf[component];
          expect(covered[field] >= 0n && covered[field] <= s.dues[field]).toBe(true);
          if (!earlierAllPaid) expect(covered[field]).toBe(0n);
          earlierAllPaid &&= covered[field] === s.dues[field];
        }
        if (covered.excessMinor > 0n) expect(earlierAllPaid).toBe(true);
      }),
      RUNS,
    );
  });

  it('paid = booked to lenders + fees + suspense, exactly, in the split and in the entry', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { covered, split, entry } = run(s);
        expect(split.paidMinor).toBe(s.amountMinor);
        expect(sumParts(split) + split.suspenseMinor).toBe(s.amountMinor);
        expect(split.suspenseMinor).toBe(covered.excessMinor);
        const clearing = entry.legs.filter((l) => l.account === 'SETTLEMENT_CLEARING').reduce((sum, l) => sum + l.amountMinor, 0n);
        expect(clearing).toBe(s.amountMinor);
        let principal = 0n;
        let interest = 0n;
        let penalty = 0n;
        let fees = 0n;
        for (const p of split.perLender.values()) {
          principal += p.principalMinor;
          interest += p.interestMinor + p.spreadMinor;
          penalty += p.penaltyMinor;
          fees += p.feeMinor;
        }
        expect(principal).toBe(covered.overduePrincipalMinor + covered.currentPrincipalMinor);
        expect(interest).toBe(covered.overdueInterestMinor + covered.currentInterestMinor);
        expect(penalty).toBe(covered.penaltyMinor);
        expect(fees).toBe(covered.feesMinor);
      }),
      RUNS,
    );
  });

  it('every entry balances per book and in total, with positive legs only', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { entry } = run(s);
        const reversal = reversalEntry(entry, 'RV-1', NOW);
        for (const e of [entry, reversal]) {
          expect(imbalances(e)).toEqual([]);
          expect(e.legs.every((l) => l.amountMinor > 0n)).toBe(true);
          const debits = e.legs.filter((l) => l.side === 'DEBIT').reduce((sum, l) => sum + l.amountMinor, 0n);
          const credits = e.legs.filter((l) => l.side === 'CREDIT').reduce((sum, l) => sum + l.amountMinor, 0n);
          expect(debits).toBe(credits);
        }
      }),
      RUNS,
    );
  });

  it('no lender receives more principal than it has outstanding, and no part is negative', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { split } = run(s);
        const held = new Map(s.holdings.map((h) => [h.lenderId, h.outstandingPrincipalMinor]));
        for (const [lenderId, p] of split.perLender) {
          expect(p.principalMinor <= (held.get(lenderId) ?? 0n)).toBe(true);
          for (const amount of [p.principalMinor, p.interestMinor, p.penaltyMinor, p.feeMinor, p.spreadMinor]) expect(amount >= 0n).toBe(true);
          if (lenderId !== s.terms.leadLenderId) expect(p.spreadMinor).toBe(0n);
          if ((held.get(lenderId) ?? 0n) === 0n) {
            expect(p.principalMinor).toBe(0n);
            if (s.terms.split.interestBasis === 'PRO_RATA') expect(p.interestMinor).toBe(0n);
            if (s.terms.split.penalty === 'PRO_RATA') expect(p.penaltyMinor).toBe(0n);
          }
        }
      }),
      RUNS,
    );
  });

  it('LENDER_RATE: partners get their entitlements and the lead the rest, or a shortfall within the entitlements', () => {
    fc.assert(
      fc.property(
        scenario.filter((s) => s.terms.split.interestBasis === 'LENDER_RATE'),
        (s) => {
          const { covered, split } = run(s);
          const entitlements = lenderRateEntitlements(s.terms, s.holdings, s.period);
          const entitled = [...entitlements.values()].reduce((sum, e) => sum + e, 0n);
          const interest = covered.overdueInterestMinor + covered.currentInterestMinor;
          const lead = split.perLender.get(s.terms.leadLenderId)!;
          expect(lead.interestMinor).toBe(0n);
          for (const [lenderId, entitlement] of entitlements) {
            const got = split.perLender.get(lenderId)!.interestMinor;
            if (interest >= entitled) expect(got).toBe(entitlement);
            else expect(got <= entitlement).toBe(true);
          }
          expect(lead.spreadMinor).toBe(interest >= entitled ? interest - entitled : 0n);
        },
      ),
      RUNS,
    );
  });

  it('LENDER_RATE shortfall with entitlements of a few fen: no partner is paid above its entitlement', () => {
    // 360.00 at 1% for one day ACT/360 is exactly 1 fen, so each partner is entitled to k fen.
    const shortfall = fc
      .record({
        units: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 2, maxLength: 5 }),
        priorities: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 5, maxLength: 5 }),
        remainderRule: fc.constantFrom('ROUNDING_PARTY' as const, 'LARGEST_REMAINDER' as const),
        roundingMode: fc.constantFrom(...ROUNDING_MODES),
        partyIndex: fc.option(fc.nat()),
        paidSeed: fc.nat(),
      })
      .filter((r) => r.units.slice(1).reduce((sum, k) => sum + k, 0) >= 2);
    fc.assert(
      fc.property(shortfall, (r) => {
        const ids = r.units.map((_, i) => (i === 0 ? 'LEAD' : `P${i}`));
        const holdings = r.units.map(
          (k, i): LenderHolding => ({
            lenderId: ids[i]!,
            role: i === 0 ? 'LEAD' : 'PARTNER',
            outstandingPrincipalMinor: 36_000n * BigInt(k) + (i === 0 ? 1n : 0n),
            yieldRate: i === 0 ? null : '0.01',
            priority: r.priorities[i]!,
          }),
        );
        const entitled = r.units.slice(1).reduce((sum, k) => sum + k, 0);
        const paid = BigInt(1 + (r.paidSeed % (entitled - 1))); // 1 .. entitled - 1
        const terms: RepaymentTerms = {
          leadLenderId: 'LEAD',
          split: {
            interestBasis: 'LENDER_RATE',
            penalty: 'PRO_RATA',
            fees: 'LEAD',
            remainderRule: r.remainderRule,
            roundingParty: r.partyIndex === null ? null : ids[r.partyIndex % ids.length]!,
          },
          dayCount: 'ACT/360',
          roundingMode: r.roundingMode,
        };
        const period = { start: '2025-04-14', end: '2025-04-15' };
        const covered: Covered = { ...NOTHING_COVERED, currentInterestMinor: paid };
        const split = splitRepayment(terms, holdings, covered, period);
        let sum = 0n;
        for (let i = 1; i < ids.length; i++) {
          const got = split.perLender.get(ids[i]!)!.interestMinor;
          expect(got <= BigInt(r.units[i]!)).toBe(true);
          sum += got;
        }
        expect(sum).toBe(paid);
        expect(split.perLender.get('LEAD')!.spreadMinor).toBe(0n);
      }),
      RUNS,
    );
  });

  it('PRO_RATA: no spread, and the penalty goes all to the lead when the program says so', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { covered, split } = run(s);
        if (s.terms.split.interestBasis === 'PRO_RATA') for (const p of split.perLender.values()) expect(p.spreadMinor).toBe(0n);
        if (s.terms.split.penalty === 'LEAD') expect(split.perLender.get(s.terms.leadLenderId)!.penaltyMinor).toBe(covered.penaltyMinor);
      }),
      RUNS,
    );
  });

  it('a reversal and its original net every account of every book to zero', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { entry } = run(s);
        const reversal = reversalEntry(entry, 'RV-1', NOW);
        expect(reversal.reverses).toBe(entry.entryId);
        const books = new Set(entry.legs.map((l) => l.lenderId));
        expect(new Set(reversal.legs.map((l) => l.lenderId))).toEqual(books);
        for (const lenderId of books) {
          const balances = applyLegs({}, [...entry.legs, ...reversal.legs].filter((l) => l.lenderId === lenderId));
          for (const amount of Object.values(balances)) expect(amount).toBe(0n);
        }
      }),
      RUNS,
    );
  });

  it('does not depend on the order in which the holdings are given', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const given = run(s);
        const shuffled = run(s, s.permutation.map((i) => s.holdings[i]!));
        expect([...shuffled.split.perLender]).toEqual([...given.split.perLender]);
        expect(shuffled.split.suspenseMinor).toBe(given.split.suspenseMinor);
        expect(shuffled.entry).toEqual(given.entry);
      }),
      RUNS,
    );
  });


  it('LENDER_RATE entitlements equal principal x yield x day-count fraction worked out in bigint, less what was received', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const terms = { ...s.terms, split: { ...s.terms.split, interestBasis: 'LENDER_RATE' as const } };
        const { days, basis } = dayCountFraction(s.period.start, s.period.end, terms.dayCount);
        const expected = new Map<string, bigint>();
        for (const h of s.holdings) {
          if (h.role === 'LEAD') {
            expected.set(h.lenderId, 0n);
            continue;
          }
          const rate = toExactFraction(parseRate(h.yieldRate, 'yieldRate'));
          const accrued = divRound(h.outstandingPrincipalMinor * rate.numerator * days, rate.denominator * basis, terms.roundingMode);
          const left = accrued - (h.periodInterestReceivedMinor ?? 0n);
          expected.set(h.lenderId, left > 0n ? left : 0n);
        }
        const entitlements = lenderRateEntitlements(terms, s.holdings, s.period);
        for (const [lenderId, amount] of expected) expect(entitlements.get(lenderId)).toBe(amount);
      }),
      { numRuns: 1000 },
    );
  });
});
