import { invariant, RuleViolation, ValidationError } from './errors.ts';
import { dayCountFraction, divRound, parseRate, plus, splitAmounts, toExactFraction } from './money/index.ts';
import { bigintOf, divRoundSmall, EXACT_NUMBER_LIMIT } from './money/exact-number.ts';
import { NO_CAP, splitWholeNumbers, type WholeNumberParts } from './money/split.ts';
import type { DayCount, DayCountFraction, ExactFraction, RemainderRule, RoundingMode, SplitPart } from './money/index.ts';
import { describeValue } from './money/describe-value.ts';
import type { ProgramTerms } from './program.ts';
import { checkDues, totalCovered, type Covered } from './repayment-waterfall.ts';

/**
 * The repayment split: what each lender receives of the principal, interest, penalty and fees one
 * borrower payment covers, and what goes to suspense. Each component is divided separately with the
 * money core's `split` and the program's remainder rule. The rules are written down in
 * docs/repayments.md.
 */

/** The program settings a split reads: a loan's terms snapshot satisfies it. */
export type RepaymentTerms = Pick<ProgramTerms, 'leadLenderId' | 'split' | 'dayCount' | 'roundingMode'>;

/** A funding lender's state in the loan at the moment of payment. */
export interface LenderHolding {
  readonly lenderId: string;
  readonly role: 'LEAD' | 'PARTNER';
  /** Before this payment; a lender repaid in full holds 0 and receives no principal, interest or penalty. */
  readonly outstandingPrincipalMinor: bigint;
  /** LENDER_RATE: the partner's agreed annual yield, a decimal string ("0.065"); the lead's is not used. */
  readonly yieldRate: string | null;
  /** Lower numbers win tie-breaks. */
  readonly priority: number;
  /**
   * LENDER_RATE: interest the partner has already received for this interest period from earlier
   * partial payments, so a period's entitlement is never paid twice. Zero when absent.
   */
  readonly periodInterestReceivedMinor?: bigint;
}

/** The interest period [start, end) of the interest being paid; LENDER_RATE entitlements accrue over it. */
export interface InterestPeriod {
  readonly start: string;
  readonly end: string;
}

/** One lender's part of a payment, in minor units. */
export interface LenderRepaymentParts {
  readonly principalMinor: bigint;
  readonly interestMinor: bigint;
  readonly penaltyMinor: bigint;
  readonly feeMinor: bigint;
  /** LENDER_RATE: the lead's spread (the borrower's interest above the partners' entitlements). */
  readonly spreadMinor: bigint;
}

export interface RepaymentSplit {
  /** Every holding and the fee party, ordered by lender id (character by character). */
  readonly perLender: ReadonlyMap<string, LenderRepaymentParts>;
  /** The payment above every due: held in suspense in the lead's book. */
  readonly suspenseMinor: bigint;
  readonly suspenseLenderId: string;
  /** The whole payment: the lenders' parts plus suspense (and the recovery, if any). */
  readonly paidMinor: bigint;
  /**
   * A payment on a compensated or written-off loan recovers a claim instead of paying lenders'
   * dues: the guarantor's claim (GUARANTEE_RECEIVABLE) or each lender's loss (LOSSES), by party.
   */
  readonly recovery?: Recovery;
  /**
   * Fees the program's rules take out of lenders' interest of this payment, each moving from the
   * payer to the payee (docs/fees.md); absent when none.
   */
  readonly deductions?: readonly FeeDeduction[];
}

/** A fee one lender pays another party out of its interest of a payment. */
export interface FeeDeduction {
  readonly ruleId: string;
  readonly fromLenderId: string;
  readonly toLenderId: string;
  readonly amountMinor: bigint;
}

export interface Recovery {
  readonly account: 'GUARANTEE_RECEIVABLE' | 'LOSSES';
  /** By party id, in id order. */
  readonly parts: ReadonlyMap<string, bigint>;
}

/** The program's remainder rule (for splits and schedules): ROUNDING_PARTY names its party, the lead unless set. */
export function scheduleRemainderRule(terms: Pick<ProgramTerms, 'split' | 'leadLenderId' | 'roundingMode'>): RemainderRule {
  if (terms.split.remainderRule === 'LARGEST_REMAINDER') return { kind: 'LARGEST_REMAINDER' };
  return { kind: 'ROUNDING_PARTY', party: terms.split.roundingParty ?? terms.leadLenderId, mode: terms.roundingMode };
}

/**
 * Splits what a payment covers (the waterfall's result) among the loan's funding lenders:
 * - principal by outstanding principal, capped at each lender's outstanding;
 * - interest by outstanding principal (PRO_RATA), or each partner's entitlement at its own yield
 *   with the rest to the lead as spread (LENDER_RATE; `period` is then required);
 * - penalty by outstanding principal (PRO_RATA) or all to the lead (LEAD);
 * - fees to the lead or to the program's named party;
 * - the excess to suspense, in the lead's book.
 * `holdings` are every funding lender of the loan, repaid ones included, in any order.
 */
export function splitRepayment(
  terms: RepaymentTerms,
  holdings: readonly LenderHolding[],
  covered: Covered,
  period: InterestPeriod | null,
): RepaymentSplit {
  return splitInNumbers(terms, holdings, covered, period) ?? splitRepaymentInBigint(terms, holdings, covered, period);
}

/**
 * The same split computed in bigint throughout, whatever the size of the amounts: the reference
 * that the number path of `splitRepayment` must always equal, and the path that refuses what is
 * wrong with the inputs.
 */
export function splitRepaymentInBigint(
  terms: RepaymentTerms,
  holdings: readonly LenderHolding[],
  covered: Covered,
  period: InterestPeriod | null,
): RepaymentSplit {
  const books = checkHoldings(terms, holdings);
  checkCovered(covered);
  const rule = remainderRuleOf(terms, books);
  const lead = terms.leadLenderId;
  let outstandingTotal = 0n;
  for (const book of books) outstandingTotal = plus(outstandingTotal, book.outstandingPrincipalMinor);

  const principalMinor = plus(covered.overduePrincipalMinor, covered.currentPrincipalMinor);
  if (principalMinor > outstandingTotal) {
    throw new RuleViolation(
      'PRINCIPAL_ABOVE_OUTSTANDING',
      `the payment covers ${principalMinor} of principal, the lenders hold ${outstandingTotal}`,
      { principalMinor: principalMinor.toString(), outstandingMinor: outstandingTotal.toString() },
    );
  }
  const principal = principalMinor === 0n ? null : splitAmounts(principalMinor, partsOf(books, true), rule);

  const interestMinor = plus(covered.overdueInterestMinor, covered.currentInterestMinor);
  let interest: readonly bigint[] | null = null;
  let spreadMinor = 0n;
  if (terms.split.interestBasis === 'LENDER_RATE') {
    const shared = lenderRateInterest(terms, books, interestMinor, period, rule);
    interest = shared.interest;
    spreadMinor = shared.spreadMinor;
  } else if (interestMinor > 0n) {
    refuseWithoutOutstanding(outstandingTotal, 'interest', interestMinor);
    interest = splitAmounts(interestMinor, partsOf(books, false), rule);
  }

  const penaltyMinor = covered.penaltyMinor;
  let penalty: readonly bigint[] | null = null;
  if (penaltyMinor > 0n && terms.split.penalty === 'PRO_RATA') {
    refuseWithoutOutstanding(outstandingTotal, 'penalty', penaltyMinor);
    penalty = splitAmounts(penaltyMinor, partsOf(books, false), rule);
  }

  return assemble(books, lead, feePartyOf(terms), { principal, interest, penalty, spreadMinor }, covered);
}

/**
 * Each component's division, one amount per book in the books' order; null when the component is
 * zero or goes whole to one party.
 */
interface Shares {
  readonly principal: readonly bigint[] | null;
  readonly interest: readonly bigint[] | null;
  /** Null also when the whole penalty goes to the lead. */
  readonly penalty: readonly bigint[] | null;
  readonly spreadMinor: bigint;
}

/**
 * Each lender's five parts, in lender id order, checked: no part negative, no principal above the
 * lender's outstanding, every component in full, and the payment accounted for to the minor unit.
 */
function assemble(
  books: readonly LenderHolding[],
  lead: string,
  feeParty: string,
  shares: Shares,
  covered: Covered,
): RepaymentSplit {
  const { principal, interest, penalty, spreadMinor } = shares;
  const principalMinor = plus(covered.overduePrincipalMinor, covered.currentPrincipalMinor);
  const interestMinor = plus(covered.overdueInterestMinor, covered.currentInterestMinor);
  const penaltyMinor = covered.penaltyMinor;
  const feesMinor = covered.feesMinor;
  const perLender = new Map<string, LenderRepaymentParts>();
  // A fee party that holds no part of the loan gets a row of its own, in id order among the books.
  let feePending = !holdsPart(books, feeParty);
  let principalBooked = 0n;
  let interestBooked = 0n;
  let penaltyBooked = 0n;
  let feesBooked = 0n;
  for (let i = 0; i < books.length; i++) {
    const book = books[i]!;
    const id = book.lenderId;
    if (feePending && feeParty < id) {
      perLender.set(feeParty, feesOnly(feesMinor));
      feesBooked = plus(feesBooked, feesMinor);
      feePending = false;
    }
    const isLead = id === lead;
    const parts: LenderRepaymentParts = {
      principalMinor: principal === null ? 0n : principal[i]!,
      interestMinor: interest === null ? 0n : interest[i]!,
      penaltyMinor: penalty === null ? (isLead ? penaltyMinor : 0n) : penalty[i]!,
      feeMinor: id === feeParty ? feesMinor : 0n,
      spreadMinor: isLead ? spreadMinor : 0n,
    };
    // Details are built only on failure, so the check costs nothing on the hot path.
    if (
      !(
        parts.principalMinor >= 0n &&
        parts.principalMinor <= book.outstandingPrincipalMinor &&
        parts.interestMinor >= 0n &&
        parts.penaltyMinor >= 0n
      )
    ) {
      invariant(false, 'no part is negative and no lender receives more principal than it has outstanding', {
        lenderId: id,
        principalMinor: String(parts.principalMinor),
        outstandingMinor: String(book.outstandingPrincipalMinor),
      });
    }
    principalBooked = plus(principalBooked, parts.principalMinor);
    interestBooked = plus(plus(interestBooked, parts.interestMinor), parts.spreadMinor);
    penaltyBooked = plus(penaltyBooked, parts.penaltyMinor);
    feesBooked = plus(feesBooked, parts.feeMinor);
    perLender.set(id, parts);
  }
  if (feePending) {
    perLender.set(feeParty, feesOnly(feesMinor));
    feesBooked = plus(feesBooked, feesMinor);
  }
  if (!(principalBooked === principalMinor && interestBooked === interestMinor && penaltyBooked === penaltyMinor)) {
    invariant(false, 'each component is split in full', {
      principalMinor: String(principalBooked),
      interestMinor: String(interestBooked),
      penaltyMinor: String(penaltyBooked),
    });
  }
  const paidMinor = plus(totalCovered(covered), covered.excessMinor);
  // The payment is principal + interest + penalty + fees + excess, and the suspense books the
  // excess: with every other component booked in full, the whole is booked exactly when the fees are.
  if (feesBooked !== feesMinor) {
    invariant(false, 'what the borrower paid equals what is booked to lenders, fees and suspense', {
      paidMinor: String(paidMinor),
    });
  }
  return { perLender, suspenseMinor: covered.excessMinor, suspenseLenderId: lead, paidMinor };
}

/** The parts of a fee party that holds no part of the loan. */
function feesOnly(feeMinor: bigint): LenderRepaymentParts {
  return { principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor, spreadMinor: 0n };
}

/**
 * LENDER_RATE entitlements for the period: each partner's outstanding principal x its yield x the
 * day-count fraction of the period, rounded once with the program's rounding mode, less what it has
 * already received for the period (never below 0). The lead has none.
 */
export function lenderRateEntitlements(
  terms: RepaymentTerms,
  holdings: readonly LenderHolding[],
  period: InterestPeriod,
): Map<string, bigint> {
  if (terms.split.interestBasis !== 'LENDER_RATE') {
    throw new ValidationError('entitlements exist only on the LENDER_RATE interest basis', {
      path: 'split.interestBasis',
      rule: 'lender-rate',
    });
  }
  const books = checkHoldings(terms, holdings);
  const entitlements = entitlementsOf(terms, books, period);
  return new Map(books.map((book, i) => [book.lenderId, entitlements[i]!]));
}

function entitlementsOf(terms: RepaymentTerms, books: readonly LenderHolding[], period: InterestPeriod): bigint[] {
  const fraction = periodFraction(period, terms.dayCount);
  const mode = terms.roundingMode;
  const entitlements = new Array<bigint>(books.length);
  for (let i = 0; i < books.length; i++) {
    const book = books[i]!;
    if (book.role !== 'PARTNER') {
      entitlements[i] = 0n;
      continue;
    }
    const accrued = accrue(book.outstandingPrincipalMinor, yieldFraction(book.yieldRate, i), fraction, mode);
    const receivedMinor = book.periodInterestReceivedMinor ?? 0n;
    entitlements[i] = receivedMinor === 0n ? accrued : accrued > receivedMinor ? accrued - receivedMinor : 0n;
  }
  return entitlements;
}

/**
 * principal x rate x days / basis, rounded once with `mode`: in plain numbers when the product and
 * the divisor are whole numbers below EXACT_NUMBER_LIMIT (so exact, and equal to the bigint result),
 * in bigint otherwise.
 */
function accrue(principalMinor: bigint, rate: YieldRate, fraction: PeriodFraction, mode: RoundingMode): bigint {
  // Every factor is a whole number of at least 0: a product under the limit has exact partial products,
  // and a principal too large to be exact as a number makes the product too large (or NaN) as well.
  const numerator = Number(principalMinor) * rate.numeratorNumber * fraction.daysNumber;
  const denominator = rate.denominatorNumber * fraction.basisNumber;
  if (numerator < EXACT_NUMBER_LIMIT && denominator < EXACT_NUMBER_LIMIT) {
    return bigintOf(divRoundSmall(numerator, denominator, mode));
  }
  return divRound(principalMinor * rate.numerator * fraction.days, rate.denominator * fraction.basis, mode);
}

/**
 * Interest on the LENDER_RATE basis: when the interest paid reaches the partners' entitlements,
 * each partner gets its entitlement and the lead the rest as spread; otherwise what was paid is
 * split among the partners by their entitlements (each capped at its entitlement) and the lead
 * gets no spread.
 */
function lenderRateInterest(
  terms: RepaymentTerms,
  books: readonly LenderHolding[],
  interestMinor: bigint,
  period: InterestPeriod | null,
  rule: RemainderRule,
): { interest: readonly bigint[] | null; spreadMinor: bigint } {
  if (period === null) {
    throw new ValidationError('period is required when interest is split on the LENDER_RATE basis', {
      path: 'period',
      rule: 'required',
    });
  }
  const entitlements = entitlementsOf(terms, books, period);
  let entitled = 0n;
  for (const amount of entitlements) entitled = plus(entitled, amount);
  if (interestMinor >= entitled) return { interest: entitlements, spreadMinor: interestMinor - entitled };
  if (interestMinor === 0n) return { interest: null, spreadMinor: 0n };
  const parts: SplitPart[] = [];
  for (let i = 0; i < books.length; i++) {
    const book = books[i]!;
    parts.push({ id: book.lenderId, weight: entitlements[i]!, priority: book.priority, cap: entitlements[i]! });
  }
  return { interest: splitAmounts(interestMinor, parts, rule), spreadMinor: 0n };
}

/** Weights = outstanding principal; capped at it for principal. */
function partsOf(books: readonly LenderHolding[], capped: boolean): SplitPart[] {
  const parts: SplitPart[] = [];
  for (const book of books) {
    const weight = book.outstandingPrincipalMinor;
    parts.push(
      capped
        ? { id: book.lenderId, weight, priority: book.priority, cap: weight }
        : { id: book.lenderId, weight, priority: book.priority },
    );
  }
  return parts;
}

function refuseWithoutOutstanding(outstandingTotal: bigint, component: string, amountMinor: bigint): void {
  if (outstandingTotal > 0n) return;
  throw new RuleViolation(
    'NO_OUTSTANDING_PRINCIPAL',
    `${component} of ${amountMinor} is split by outstanding principal, and no lender has any outstanding`,
    { component, amountMinor: amountMinor.toString() },
  );
}

function remainderRuleOf(terms: RepaymentTerms, books: readonly LenderHolding[]): RemainderRule {
  const { interestBasis, penalty, remainderRule } = terms.split;
  if (interestBasis !== 'PRO_RATA' && interestBasis !== 'LENDER_RATE') refuseSetting('split.interestBasis', interestBasis);
  if (penalty !== 'PRO_RATA' && penalty !== 'LEAD') refuseSetting('split.penalty', penalty);
  if (remainderRule !== 'ROUNDING_PARTY' && remainderRule !== 'LARGEST_REMAINDER') {
    refuseSetting('split.remainderRule', remainderRule);
  }
  const rule = scheduleRemainderRule(terms);
  if (rule.kind === 'ROUNDING_PARTY' && !holdsPart(books, rule.party)) {
    throw new ValidationError(`split.roundingParty ${describeValue(rule.party)} holds no part of the loan`, {
      path: 'split.roundingParty',
      rule: 'holding',
    });
  }
  return rule;
}

function holdsPart(books: readonly LenderHolding[], lenderId: string | undefined): boolean {
  for (const book of books) if (book.lenderId === lenderId) return true;
  return false;
}

function refuseSetting(path: string, value: unknown): never {
  throw new ValidationError(`${path} is not a setting the repayment split knows: ${describeValue(value)}`, {
    path,
    rule: 'split-setting',
  });
}

function feePartyOf(terms: RepaymentTerms): string {
  const fees = terms.split.fees;
  if (fees === 'LEAD') return terms.leadLenderId;
  if (typeof fees === 'object' && fees !== null && typeof fees.party === 'string' && fees.party !== '') return fees.party;
  throw new ValidationError(`split.fees must be LEAD or { party }, got ${describeValue(fees)}`, {
    path: 'split.fees',
    rule: 'fee-party',
  });
}

/** The holdings, checked and ordered by lender id, so nothing downstream depends on their order. */
function checkHoldings(terms: RepaymentTerms, holdings: readonly LenderHolding[]): LenderHolding[] {
  if (!Array.isArray(holdings) || holdings.length === 0) {
    throw new ValidationError("holdings must list the loan's funding lenders", { path: 'holdings', rule: 'non-empty' });
  }
  const books = new Array<LenderHolding>(holdings.length);
  let leads = 0;
  for (let i = 0; i < holdings.length; i++) {
    const holding = holdings[i]!;
    checkHolding(terms, holding, i);
    if (holding.role === 'LEAD') leads += 1;
    // Insertion by id: a loan has a handful of lenders.
    let at = i;
    while (at > 0 && books[at - 1]!.lenderId >= holding.lenderId) {
      if (books[at - 1]!.lenderId === holding.lenderId) {
        throw new ValidationError(`holdings[${i}].lenderId ${describeValue(holding.lenderId)} is listed twice`, {
          path: `holdings[${i}].lenderId`,
          rule: 'unique-id',
        });
      }
      books[at] = books[at - 1]!;
      at -= 1;
    }
    books[at] = holding;
  }
  if (leads !== 1) {
    throw new ValidationError(`holdings must include the lead ${terms.leadLenderId} exactly once as LEAD`, {
      path: 'holdings',
      rule: 'one-lead',
    });
  }
  return books;
}

function checkHolding(terms: RepaymentTerms, holding: LenderHolding, index: number): void {
  const { lenderId, role, outstandingPrincipalMinor, priority, periodInterestReceivedMinor } = holding;
  if (typeof lenderId !== 'string' || lenderId === '') {
    throw new ValidationError(`${pathOf(index, 'lenderId')} must be a non-empty id, got ${describeValue(lenderId)}`, {
      path: pathOf(index, 'lenderId'),
      rule: 'id',
    });
  }
  if (role !== 'LEAD' && role !== 'PARTNER') {
    throw new ValidationError(`${pathOf(index, 'role')} must be LEAD or PARTNER, got ${describeValue(role)}`, {
      path: pathOf(index, 'role'),
      rule: 'funding-role',
    });
  }
  if ((role === 'LEAD') !== (lenderId === terms.leadLenderId)) {
    throw new ValidationError(`${pathOf(index, 'role')}: the program's lead ${terms.leadLenderId} holds the LEAD role, and only it`, {
      path: pathOf(index, 'role'),
      rule: 'program-lead',
    });
  }
  if (typeof outstandingPrincipalMinor !== 'bigint' || outstandingPrincipalMinor < 0n) {
    refuseAmount(outstandingPrincipalMinor, pathOf(index, 'outstandingPrincipalMinor'));
  }
  if (
    periodInterestReceivedMinor !== undefined &&
    (typeof periodInterestReceivedMinor !== 'bigint' || periodInterestReceivedMinor < 0n)
  ) {
    refuseAmount(periodInterestReceivedMinor, pathOf(index, 'periodInterestReceivedMinor'));
  }
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new ValidationError(`${pathOf(index, 'priority')} must be a finite number, got ${describeValue(priority)}`, {
      path: pathOf(index, 'priority'),
      rule: 'finite',
    });
  }
  if (terms.split.interestBasis === 'LENDER_RATE' && role === 'PARTNER') yieldFraction(holding.yieldRate, index);
}

function pathOf(index: number, field: string): string {
  return `holdings[${index}].${field}`;
}

function checkAmount(value: unknown, path: string): void {
  if (typeof value !== 'bigint' || value < 0n) refuseAmount(value, path);
}

function refuseAmount(value: unknown, path: string): never {
  throw new ValidationError(`${path} must be a bigint of zero or more, got ${describeValue(value)}`, {
    path,
    rule: 'non-negative',
  });
}

function checkCovered(covered: Covered): void {
  checkDues(covered, 'covered');
  checkAmount(covered.excessMinor, 'covered.excessMinor');
}

/** A period's day-count fraction, with its terms also as numbers for `accrue`. */
interface PeriodFraction extends DayCountFraction {
  readonly daysNumber: number;
  readonly basisNumber: number;
}

/** The day-count fraction of the last period seen: consecutive payments of a period share it. */
let lastPeriod: { start: string; end: string; dayCount: DayCount; fraction: PeriodFraction } | null = null;

function periodFraction(period: InterestPeriod, dayCount: DayCount): PeriodFraction {
  const last = lastPeriod;
  if (last !== null && last.start === period.start && last.end === period.end && last.dayCount === dayCount) {
    return last.fraction;
  }
  const { days, basis } = dayCountFraction(period.start, period.end, dayCount);
  const fraction = { days, basis, daysNumber: asExactNumber(days), basisNumber: asExactNumber(basis) };
  lastPeriod = { start: period.start, end: period.end, dayCount, fraction };
  return fraction;
}

/** A yield as an exact fraction, with its terms also as numbers for `accrue`. */
interface YieldRate extends ExactFraction {
  readonly numeratorNumber: number;
  readonly denominatorNumber: number;
}

/** Yield rates as exact fractions, converted once per distinct rate text. */
const yieldFractions = new Map<string, YieldRate>();
const YIELD_CACHE_LIMIT = 1024;

/** A partner's yield as an exact fraction; `index` names the holding in a refusal. */
function yieldFraction(rate: string | null, index: number): YieldRate {
  if (typeof rate === 'string') {
    const known = yieldFractions.get(rate);
    if (known !== undefined) return known;
  }
  const path = `holdings[${index}].yieldRate`;
  if (rate === null) {
    throw new ValidationError(`${path} is required for a partner under the LENDER_RATE basis`, { path, rule: 'required' });
  }
  const { numerator, denominator } = toExactFraction(parseRate(rate, path));
  const fraction: YieldRate = {
    numerator,
    denominator,
    numeratorNumber: asExactNumber(numerator),
    denominatorNumber: asExactNumber(denominator),
  };
  if (yieldFractions.size >= YIELD_CACHE_LIMIT) yieldFractions.clear();
  yieldFractions.set(rate, fraction);
  return fraction;
}

/** A whole number of zero or more as a number when that is exact, otherwise Infinity (the number path then never applies). */
function asExactNumber(value: bigint): number {
  return value < BigInt(EXACT_NUMBER_LIMIT) ? Number(value) : Infinity;
}

/*
 * The number path of `splitRepayment`. Every amount of a loan below EXACT_NUMBER_LIMIT makes every
 * sum, product and quotient below exact in plain numbers, so the split needs no bigint arithmetic:
 * bigints are created once, for the parts that are not already one of the inputs. Anything out of
 * the ordinary (an input the bigint path refuses, an amount too large, a rate or rounding mode not
 * seen yet, a split that needs more than one pass) returns null, and the bigint path computes or
 * refuses the split; it is the reference this path is tested against.
 */

/** The number path's working arrays, reused from payment to payment (a split runs to its end first). */
interface SplitScratch {
  /** The holdings in lender id order, with their partners' yields (null for the lead, and off LENDER_RATE). */
  readonly books: LenderHolding[];
  readonly rates: (YieldRate | null)[];
  readonly ids: string[];
  readonly priorities: Float64Array;
  readonly outstanding: Float64Array;
  readonly noCaps: Float64Array;
  readonly entitlements: Float64Array;
  readonly principal: Float64Array;
  readonly interest: Float64Array;
  readonly penalty: Float64Array;
  /** Principal: weights and caps are the outstanding principal. */
  readonly byOutstandingCapped: WholeNumberParts;
  /** Interest and penalty on PRO_RATA: weights are the outstanding principal, no caps. */
  readonly byOutstanding: WholeNumberParts;
  /** Interest on LENDER_RATE paid in part: weights and caps are the entitlements. */
  readonly byEntitlement: WholeNumberParts;
}

/** A placeholder in the scratch's list of books. */
const NO_BOOK: LenderHolding = { lenderId: '', role: 'PARTNER', outstandingPrincipalMinor: 0n, yieldRate: null, priority: 0 };

let splitScratch = splitScratchOf(8);

function splitScratchOf(size: number): SplitScratch {
  const ids = new Array<string>(size).fill('');
  const priorities = new Float64Array(size);
  const outstanding = new Float64Array(size);
  const noCaps = new Float64Array(size).fill(NO_CAP);
  const entitlements = new Float64Array(size);
  return {
    books: new Array<LenderHolding>(size).fill(NO_BOOK),
    rates: new Array<YieldRate | null>(size).fill(null),
    ids,
    priorities,
    outstanding,
    noCaps,
    entitlements,
    principal: new Float64Array(size),
    interest: new Float64Array(size),
    penalty: new Float64Array(size),
    byOutstandingCapped: { ids, priorities, weights: outstanding, caps: outstanding },
    byOutstanding: { ids, priorities, weights: outstanding, caps: noCaps },
    byEntitlement: { ids, priorities, weights: entitlements, caps: entitlements },
  };
}

/** A whole number of minor units as a number, or NaN when it is not a bigint from 0 to below EXACT_NUMBER_LIMIT. */
function exactAmount(value: unknown): number {
  if (value === 0n) return 0;
  if (typeof value !== 'bigint') return NaN;
  const amount = Number(value);
  return amount >= 0 && amount < EXACT_NUMBER_LIMIT ? amount : NaN;
}

/** The remainder rule of the last program seen, so consecutive payments share it. */
let lastRule: Extract<RemainderRule, { kind: 'ROUNDING_PARTY' }> = { kind: 'ROUNDING_PARTY', party: '', mode: 'HALF_UP' };
const LARGEST_REMAINDER: RemainderRule = Object.freeze({ kind: 'LARGEST_REMAINDER' });

function ruleInNumbers(terms: RepaymentTerms): RemainderRule | null {
  const { remainderRule, roundingParty } = terms.split;
  if (remainderRule === 'LARGEST_REMAINDER') return LARGEST_REMAINDER;
  if (remainderRule !== 'ROUNDING_PARTY') return null;
  const party = roundingParty ?? terms.leadLenderId;
  const mode = terms.roundingMode;
  if (typeof party !== 'string') return null;
  if (lastRule.party !== party || lastRule.mode !== mode) lastRule = { kind: 'ROUNDING_PARTY', party, mode };
  return lastRule;
}

/** The fee party, or null where `feePartyOf` refuses. */
function feePartyInNumbers(terms: RepaymentTerms): string | null {
  const fees = terms.split.fees;
  if (fees === 'LEAD') return terms.leadLenderId;
  if (typeof fees === 'object' && fees !== null && typeof fees.party === 'string' && fees.party !== '') return fees.party;
  return null;
}

/** The day-count fraction of a period, or null where `periodFraction` refuses. */
function periodFractionInNumbers(period: InterestPeriod, dayCount: DayCount): PeriodFraction | null {
  const last = lastPeriod;
  if (last !== null && last.start === period.start && last.end === period.end && last.dayCount === dayCount) {
    return last.fraction;
  }
  try {
    return periodFraction(period, dayCount);
  } catch {
    return null;
  }
}

/**
 * The holdings, checked as `checkHoldings` checks them, in lender id order in the scratch, with
 * their figures as numbers; false for anything `checkHoldings` refuses or the number path does not take.
 */
function booksInNumbers(terms: RepaymentTerms, holdings: readonly LenderHolding[], lenderRate: boolean): boolean {
  if (!Array.isArray(holdings) || holdings.length === 0) return false;
  const count = holdings.length;
  if (splitScratch.ids.length < count) splitScratch = splitScratchOf(Math.max(count, 2 * splitScratch.ids.length));
  const { books, rates, ids, priorities, outstanding, entitlements } = splitScratch;
  const lead = terms.leadLenderId;
  let leads = 0;
  for (let i = 0; i < count; i++) {
    const holding = holdings[i]!;
    const { lenderId, role, priority } = holding;
    if (typeof lenderId !== 'string' || lenderId === '' || (role !== 'LEAD' && role !== 'PARTNER')) return false;
    if ((role === 'LEAD') !== (lenderId === lead)) return false;
    if (typeof priority !== 'number' || !Number.isFinite(priority)) return false;
    const held = exactAmount(holding.outstandingPrincipalMinor);
    if (!(held >= 0)) return false;
    const receivedMinor = holding.periodInterestReceivedMinor;
    const received = receivedMinor === undefined ? 0 : exactAmount(receivedMinor);
    if (!(received >= 0)) return false;
    if (role === 'LEAD') leads += 1;
    // A yield is taken from the rates already converted (by the bigint path, which refuses a wrong one).
    let rate: YieldRate | null = null;
    if (lenderRate && role === 'PARTNER') {
      const yieldRate = holding.yieldRate;
      rate = typeof yieldRate === 'string' ? (yieldFractions.get(yieldRate) ?? null) : null;
      if (rate === null) return false;
    }
    // Insertion by id: a loan has a handful of lenders.
    let at = i;
    while (at > 0 && ids[at - 1]! >= lenderId) {
      if (ids[at - 1] === lenderId) return false;
      books[at] = books[at - 1]!;
      rates[at] = rates[at - 1]!;
      ids[at] = ids[at - 1]!;
      priorities[at] = priorities[at - 1]!;
      outstanding[at] = outstanding[at - 1]!;
      entitlements[at] = entitlements[at - 1]!;
      at -= 1;
    }
    books[at] = holding;
    rates[at] = rate;
    ids[at] = lenderId;
    priorities[at] = priority;
    outstanding[at] = held;
    entitlements[at] = received;
  }
  return leads === 1;
}

/**
 * LENDER_RATE entitlements as `entitlementsOf` computes them, in place of what each partner has
 * already received in the scratch; their sum, or NaN when the number path does not apply.
 */
function entitlementsInNumbers(terms: RepaymentTerms, period: InterestPeriod, count: number): number {
  const fraction = periodFractionInNumbers(period, terms.dayCount);
  if (fraction === null) return NaN;
  const mode = terms.roundingMode;
  const { rates, outstanding, entitlements } = splitScratch;
  let entitled = 0;
  for (let i = 0; i < count; i++) {
    const rate = rates[i]!;
    if (rate === null) {
      entitlements[i] = 0;
      continue;
    }
    const numerator = outstanding[i]! * rate.numeratorNumber * fraction.daysNumber;
    const denominator = rate.denominatorNumber * fraction.basisNumber;
    if (!(numerator < EXACT_NUMBER_LIMIT && denominator < EXACT_NUMBER_LIMIT && denominator > 0)) return NaN;
    const accrued = divRoundSmall(numerator, denominator, mode);
    const received = entitlements[i]!;
    const entitlement = accrued > received ? accrued - received : 0;
    entitlements[i] = entitlement;
    entitled += entitlement;
  }
  return entitled < EXACT_NUMBER_LIMIT ? entitled : NaN;
}

function splitInNumbers(
  terms: RepaymentTerms,
  holdings: readonly LenderHolding[],
  covered: Covered,
  period: InterestPeriod | null,
): RepaymentSplit | null {
  const settings = terms.split;
  const { interestBasis, penalty: penaltyRule } = settings;
  if (interestBasis !== 'PRO_RATA' && interestBasis !== 'LENDER_RATE') return null;
  if (penaltyRule !== 'PRO_RATA' && penaltyRule !== 'LEAD') return null;
  const mode = terms.roundingMode;
  if (mode !== 'HALF_UP' && mode !== 'HALF_EVEN' && mode !== 'DOWN') return null;
  const rule = ruleInNumbers(terms);
  const feeParty = feePartyInNumbers(terms);
  if (rule === null || feeParty === null) return null;
  const lenderRate = interestBasis === 'LENDER_RATE';
  if (lenderRate && period === null) return null;
  if (!booksInNumbers(terms, holdings, lenderRate)) return null;
  const count = holdings.length;
  const { books, ids, outstanding } = splitScratch;
  if (rule.kind === 'ROUNDING_PARTY' && indexOfBook(ids, count, rule.party!) < 0) return null;

  const penaltyMinor = exactAmount(covered.penaltyMinor);
  const principalMinor = exactAmount(covered.overduePrincipalMinor) + exactAmount(covered.currentPrincipalMinor);
  const interestMinor = exactAmount(covered.overdueInterestMinor) + exactAmount(covered.currentInterestMinor);
  const feesMinor = exactAmount(covered.feesMinor);
  const excessMinor = exactAmount(covered.excessMinor);
  // Each term is exact and below the limit; a total at or above it (or NaN) leaves the number path.
  const paidMinor = penaltyMinor + principalMinor + interestMinor + feesMinor + excessMinor;
  if (!(paidMinor < EXACT_NUMBER_LIMIT)) return null;

  let outstandingTotal = 0;
  for (let i = 0; i < count; i++) outstandingTotal += outstanding[i]!;
  if (!(outstandingTotal < EXACT_NUMBER_LIMIT) || principalMinor > outstandingTotal) return null;
  const { principal, interest, penalty } = splitScratch;
  if (!splitWholeNumbers(principalMinor, count, splitScratch.byOutstandingCapped, rule, principal)) return null;

  let spreadMinor = 0;
  if (lenderRate) {
    const entitled = entitlementsInNumbers(terms, period!, count);
    if (!(entitled >= 0)) return null;
    const entitlements = splitScratch.entitlements;
    if (interestMinor >= entitled) {
      for (let i = 0; i < count; i++) interest[i] = entitlements[i]!;
      spreadMinor = interestMinor - entitled;
    } else if (!splitWholeNumbers(interestMinor, count, splitScratch.byEntitlement, rule, interest)) {
      return null;
    }
  } else if (interestMinor === 0) {
    interest.fill(0, 0, count);
  } else if (outstandingTotal === 0 || !splitWholeNumbers(interestMinor, count, splitScratch.byOutstanding, rule, interest)) {
    return null;
  }

  const penaltyProRata = penaltyMinor > 0 && penaltyRule === 'PRO_RATA';
  if (penaltyProRata && (outstandingTotal === 0 || !splitWholeNumbers(penaltyMinor, count, splitScratch.byOutstanding, rule, penalty))) {
    return null;
  }

  // Each lender's parts, in lender id order, checked as `assemble` checks them.
  const lead = terms.leadLenderId;
  const perLender = new Map<string, LenderRepaymentParts>();
  let feePending = indexOfBook(ids, count, feeParty) < 0;
  let principalBooked = 0;
  let interestBooked = 0;
  let penaltyBooked = 0;
  let feesBooked = 0;
  for (let i = 0; i < count; i++) {
    const book = books[i]!;
    const id = ids[i]!;
    if (feePending && feeParty < id) {
      perLender.set(feeParty, feesOnly(covered.feesMinor));
      feesBooked += feesMinor;
      feePending = false;
    }
    const isLead = id === lead;
    const principalPart = principal[i]!;
    const interestPart = interest[i]!;
    const penaltyPart = penaltyProRata ? penalty[i]! : isLead ? penaltyMinor : 0;
    const spreadPart = isLead ? spreadMinor : 0;
    const isFeeParty = id === feeParty;
    if (!(principalPart >= 0 && principalPart <= outstanding[i]! && interestPart >= 0 && penaltyPart >= 0)) {
      invariant(false, 'no part is negative and no lender receives more principal than it has outstanding', {
        lenderId: id,
        principalMinor: String(principalPart),
        outstandingMinor: String(book.outstandingPrincipalMinor),
      });
    }
    principalBooked += principalPart;
    interestBooked += interestPart + spreadPart;
    penaltyBooked += penaltyPart;
    if (isFeeParty) feesBooked += feesMinor;
    perLender.set(id, {
      principalMinor: principalPart === outstanding[i] ? book.outstandingPrincipalMinor : bigintOf(principalPart),
      interestMinor: bigintOf(interestPart),
      penaltyMinor: penaltyProRata ? bigintOf(penaltyPart) : isLead ? covered.penaltyMinor : 0n,
      feeMinor: isFeeParty ? covered.feesMinor : 0n,
      spreadMinor: spreadPart === interestMinor && spreadPart > 0 ? interestOf(covered) : bigintOf(spreadPart),
    });
  }
  if (feePending) {
    perLender.set(feeParty, feesOnly(covered.feesMinor));
    feesBooked += feesMinor;
  }
  if (!(principalBooked === principalMinor && interestBooked === interestMinor && penaltyBooked === penaltyMinor)) {
    invariant(false, 'each component is split in full', {
      principalMinor: String(principalBooked),
      interestMinor: String(interestBooked),
      penaltyMinor: String(penaltyBooked),
    });
  }
  if (feesBooked !== feesMinor) {
    invariant(false, 'what the borrower paid equals what is booked to lenders, fees and suspense', {
      paidMinor: String(paidMinor),
    });
  }
  return {
    perLender,
    suspenseMinor: covered.excessMinor,
    suspenseLenderId: lead,
    paidMinor: paidMinor === excessMinor ? covered.excessMinor : bigintOf(paidMinor),
  };
}

/** The index of a lender among the first `count` ids of the scratch, -1 when it holds no part. */
function indexOfBook(ids: readonly string[], count: number, lenderId: string): number {
  for (let i = 0; i < count; i++) if (ids[i] === lenderId) return i;
  return -1;
}

/** The interest a payment covers, as one of its bigints when the other is zero. */
function interestOf(covered: Covered): bigint {
  return plus(covered.overdueInterestMinor, covered.currentInterestMinor);
}
