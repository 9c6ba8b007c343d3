/**
 * The pure repayment split engine on one core: waterfall + split + journal entry per payment, for a
 * loan of 3 lenders on the LENDER_RATE basis with ACT/360. Prints splits per second; asserts nothing
 * about time.
 *
 *   npx tsx -e "import('./test/bench/split.ts').then((m) => m.benchSplit(200000))"
 */
import type { ProgramTerms } from '../../shared/domain/program.ts';
import { DEFAULT_WATERFALL } from '../../shared/domain/program.ts';
import type { Dues, InterestPeriod, LenderHolding, RepaymentTerms } from '../../shared/domain/repayment.ts';
import { applyWaterfall, repaymentEntry, splitRepayment } from '../../shared/domain/repayment.ts';

const TERMS: RepaymentTerms & Pick<ProgramTerms, 'waterfall'> = {
  leadLenderId: 'LEAD',
  split: { interestBasis: 'LENDER_RATE', penalty: 'PRO_RATA', fees: 'LEAD', remainderRule: 'ROUNDING_PARTY', roundingParty: null },
  dayCount: 'ACT/360',
  roundingMode: 'HALF_UP',
  waterfall: DEFAULT_WATERFALL,
};

/** 100,000.00 yuan outstanding: the lead 40%, two banks 30% each at their own yields. */
const HOLDINGS: readonly LenderHolding[] = [
  { lenderId: 'LEAD', role: 'LEAD', outstandingPrincipalMinor: 4_000_000n, yieldRate: null, priority: 0 },
  { lenderId: 'BANK-A', role: 'PARTNER', outstandingPrincipalMinor: 3_000_000n, yieldRate: '0.065', priority: 1 },
  { lenderId: 'BANK-B', role: 'PARTNER', outstandingPrincipalMinor: 3_000_000n, yieldRate: '0.0725', priority: 2 },
];

const PERIOD: InterestPeriod = { start: '2025-03-15', end: '2025-04-15' };

/** A monthly instalment at 12%: 1,000.00 of interest, 8,333.33 of principal, 20.00 of fees. */
const DUES: Dues = {
  penaltyMinor: 0n,
  overdueInterestMinor: 0n,
  overduePrincipalMinor: 0n,
  currentInterestMinor: 100_000n,
  currentPrincipalMinor: 833_333n,
  feesMinor: 2_000n,
};

/** Full instalments, overpayments, and partial payments ending in principal and in interest. */
const PAYMENTS: readonly bigint[] = [935_333n, 935_333n, 940_000n, 500_001n, 935_333n, 60_007n, 935_334n, 100_000n];

export interface SplitBench {
  readonly iterations: number;
  readonly elapsedMs: number;
  readonly splitsPerSecond: number;
}

function run(iterations: number): number {
  let legs = 0;
  for (let i = 0; i < iterations; i++) {
    const amountMinor = PAYMENTS[i & 7]!;
    const covered = applyWaterfall(amountMinor, DUES, TERMS.waterfall);
    const split = splitRepayment(TERMS, HOLDINGS, covered, PERIOD);
    const entry = repaymentEntry('LOAN-1', `R${i}`, '2025-04-15', 'CNY', split, '2025-04-15T10:00:00.000Z');
    legs += entry.legs.length;
  }
  return legs;
}

export function benchSplit(iterations: number): SplitBench {
  run(Math.min(iterations, 20_000)); // warm-up: JIT
  const started = performance.now();
  const legs = run(iterations);
  const elapsedMs = performance.now() - started;
  if (legs === 0) throw new Error('the bench booked nothing');
  const result = { iterations, elapsedMs, splitsPerSecond: Math.round((iterations * 1000) / elapsedMs) };
  printSplit(result);
  return result;
}

export function printSplit(result: SplitBench): void {
  console.log(
    `repayment split engine, 3 lenders, LENDER_RATE, ACT/360: ${result.splitsPerSecond.toLocaleString('en-US')} splits/s on one core` +
      `   (${result.iterations.toLocaleString('en-US')} payments in ${Math.round(result.elapsedMs)} ms)`,
  );
}
