/**
 * Repayment splitting, pure: the waterfall of one borrower payment over a loan's dues, the split of
 * each covered component among the lenders, and the journal entries of a repayment and its
 * reversal. The rules are written down in docs/repayments.md; the golden cases in
 * test/golden/repayments are computed from that page by a separate implementation.
 */
export { DUES_FIELDS, NOTHING_COVERED, applyWaterfall, totalCovered } from './repayment-waterfall.ts';
export type { Covered, Dues } from './repayment-waterfall.ts';
export { lenderRateEntitlements, splitRepayment } from './repayment-split.ts';
export type {
  InterestPeriod,
  LenderHolding,
  LenderRepaymentParts,
  RepaymentSplit,
  RepaymentTerms,
} from './repayment-split.ts';
export { repaymentEntry, reversalEntry } from './repayment-entry.ts';
