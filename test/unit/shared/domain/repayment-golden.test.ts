import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../../shared/domain/ledger.ts';
import type { DayCount, RoundingMode } from '../../../../shared/domain/money/index.ts';
import type { InterestBasis, RemainderRuleName, WaterfallComponent } from '../../../../shared/domain/program.ts';
import type { Dues, InterestPeriod, LenderHolding, RepaymentTerms } from '../../../../shared/domain/repayment.ts';
import {
  DUES_FIELDS,
  applyWaterfall,
  lenderRateEntitlements,
  repaymentEntry,
  reversalEntry,
  splitRepayment,
} from '../../../../shared/domain/repayment.ts';

/**
 * The golden repayments of test/golden/repayments, computed from docs/repayments.md by an
 * independent implementation (generate.py). Every covered component, every lender's part, the
 * suspense and every leg of the entries must match to the minor unit.
 */
const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../golden/repayments');

interface GoldenTerms {
  leadLenderId: string;
  split: {
    interestBasis: InterestBasis;
    penalty: 'PRO_RATA' | 'LEAD';
    fees: 'LEAD' | { party: string };
    remainderRule: RemainderRuleName;
    roundingParty: string | null;
  };
  dayCount: DayCount;
  roundingMode: RoundingMode;
  waterfall: WaterfallComponent[];
}

interface GoldenHolding {
  lenderId: string;
  role: 'LEAD' | 'PARTNER';
  outstandingPrincipalMinor: string;
  yieldRate: string | null;
  priority: number;
  periodInterestReceivedMinor?: string;
}

interface Golden {
  name: string;
  description: string;
  terms: GoldenTerms;
  holdings: GoldenHolding[];
  period: InterestPeriod | null;
  dues: Record<keyof Dues, string>;
  payment: { loanId: string; repaymentId: string; valueDate: string; currency: string; amountMinor: string; now: string };
  expected: {
    covered: Record<string, string>;
    entitlements?: Record<string, string>;
    perLender: Record<string, string>[];
    suspenseMinor: string;
    paidMinor: string;
    entry: unknown;
  };
  reversal?: { reversalId: string; now: string; businessDate?: string; expected: unknown };
}

function loadGoldens(): Golden[] {
  return readdirSync(GOLDEN_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as Golden);
}

function holdingsOf(golden: Golden): LenderHolding[] {
  return golden.holdings.map(({ outstandingPrincipalMinor, periodInterestReceivedMinor, ...rest }) => ({
    ...rest,
    outstandingPrincipalMinor: BigInt(outstandingPrincipalMinor),
    ...(periodInterestReceivedMinor === undefined ? {} : { periodInterestReceivedMinor: BigInt(periodInterestReceivedMinor) }),
  }));
}

function duesOf(golden: Golden): Dues {
  const dues = {} as Record<keyof Dues, bigint>;
  for (const field of DUES_FIELDS) dues[field] = BigInt(golden.dues[field]);
  return dues;
}

/** The engine's output in the goldens' JSON shape: minor units as decimal strings. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

const goldens = loadGoldens();

describe('golden repayments', () => {
  it('has at least 40 goldens covering both interest bases, both remainder rules, every mode and day count', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(40);
    const seen = (pick: (g: Golden) => string) => [...new Set(goldens.map(pick))].sort();
    expect(seen((g) => g.terms.split.interestBasis)).toEqual(['LENDER_RATE', 'PRO_RATA']);
    expect(seen((g) => g.terms.split.remainderRule)).toEqual(['LARGEST_REMAINDER', 'ROUNDING_PARTY']);
    expect(seen((g) => g.terms.roundingMode)).toEqual(['DOWN', 'HALF_EVEN', 'HALF_UP']);
    expect(seen((g) => g.terms.dayCount)).toEqual(['30/360', 'ACT/360', 'ACT/365']);
    expect(seen((g) => g.terms.split.penalty)).toEqual(['LEAD', 'PRO_RATA']);
    expect(seen((g) => String(g.holdings.length))).toEqual(['2', '3', '4', '5']);
    expect(goldens.some((g) => g.reversal !== undefined)).toBe(true);
    expect(goldens.some((g) => BigInt(g.expected.suspenseMinor) > 0n)).toBe(true);
  });

  it.each(goldens.map((g) => [g.name, g] as const))('%s', (_name, golden) => {
    const terms: RepaymentTerms = golden.terms;
    const holdings = holdingsOf(golden);
    const { payment, expected } = golden;

    const covered = applyWaterfall(BigInt(payment.amountMinor), duesOf(golden), golden.terms.waterfall);
    expect(asJson(covered)).toEqual(expected.covered);

    if (expected.entitlements !== undefined && golden.period !== null) {
      expect(asJson(Object.fromEntries(lenderRateEntitlements(terms, holdings, golden.period)))).toEqual(expected.entitlements);
    }

    const split = splitRepayment(terms, holdings, covered, golden.period);
    expect(asJson([...split.perLender].map(([lenderId, parts]) => ({ lenderId, ...parts })))).toEqual(expected.perLender);
    expect(split.suspenseMinor.toString()).toBe(expected.suspenseMinor);
    expect(split.paidMinor.toString()).toBe(expected.paidMinor);
    expect(split.suspenseLenderId).toBe(golden.terms.leadLenderId);

    const entry = repaymentEntry(payment.loanId, payment.repaymentId, payment.valueDate, payment.currency, split, payment.now);
    expect(asJson(entry)).toEqual(expected.entry);

    if (golden.reversal !== undefined) {
      const { reversalId, now, businessDate } = golden.reversal;
      const reversal: JournalEntry = reversalEntry(entry, reversalId, now, businessDate);
      expect(asJson(reversal)).toEqual(golden.reversal.expected);
    }
  });
});
