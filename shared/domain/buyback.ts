import { RuleViolation, StateConflict, ValidationError, invariant } from './errors.ts';
import type { Leg, SettlementComponent } from './ledger.ts';
import { applyRate, parseDecimal, type Decimal, type RoundingMode } from './money/index.ts';

/**
 * Buyback (回购): the lead or the guarantor buys a partner's whole remaining share of a loan at the
 * price the program agrees, effective from a value date. This module holds the program's buyback
 * terms, the price of a share and the legs of the buyback's entry; the loan's account decides who
 * holds what (loan-events.ts). The rules are written down in docs/repayment-booking.md.
 */

/** Who may buy a partner's share back: the program's lead, its guarantor, or both. */
export type BuybackBuyer = 'LEAD' | 'GUARANTOR';

export interface BuybackPriceRule {
  /** The seller's part of the interest accrued on the principal not yet due, from the period's start to the value date. */
  readonly accruedInterest: boolean;
  /** The seller's part of the unpaid interest of the rows due on or before the value date. */
  readonly overdueInterest: boolean;
  /** The seller's part of the penalty and compound interest accrued to the value date. */
  readonly penalty: boolean;
  /** Premium (positive) or discount (negative) on the price, an exact decimal: "0" at par, "-0.02" a 2% discount. */
  readonly premiumRate: string;
}

export interface BuybackTerms {
  readonly buyers: readonly BuybackBuyer[];
  readonly price: BuybackPriceRule;
}

/** The terms of a program that names none (every program created before buybacks existed). */
export const DEFAULT_BUYBACK: BuybackTerms = Object.freeze({
  buyers: Object.freeze(['LEAD', 'GUARANTOR'] as const),
  price: Object.freeze({ accruedInterest: true, overdueInterest: true, penalty: false, premiumRate: '0' }),
});

const BUYERS: readonly BuybackBuyer[] = ['LEAD', 'GUARANTOR'];

/** The program's buyback terms, or the default when it names none. */
export function buybackTermsOf(terms: { readonly buyback?: BuybackTerms | undefined }): BuybackTerms {
  return terms.buyback ?? DEFAULT_BUYBACK;
}

/**
 * Checks a program's buyback terms: at least one buyer, each LEAD or GUARANTOR and listed once, the
 * price's parts named as true or false, and a premium rate that is an exact decimal above -1 (a
 * 100% discount would give the share away) and at most 1. Every refusal names the field.
 */
export function checkBuybackTerms(buyback: BuybackTerms | undefined): void {
  if (buyback === undefined) return;
  if (!Array.isArray(buyback.buyers) || buyback.buyers.length === 0) {
    throw new ValidationError('buyback.buyers must name at least one buyer: LEAD, GUARANTOR', { path: 'buyback.buyers', rule: 'non-empty' });
  }
  buyback.buyers.forEach((buyer, i) => {
    if (!BUYERS.includes(buyer)) {
      throw new ValidationError(`buyback.buyers.${i} must be LEAD or GUARANTOR, got ${String(buyer)}`, { path: `buyback.buyers.${i}`, rule: 'buyer' });
    }
    if (buyback.buyers.indexOf(buyer) !== i) {
      throw new ValidationError(`buyback.buyers.${i} ${buyer} is listed twice`, { path: `buyback.buyers.${i}`, rule: 'unique' });
    }
  });
  for (const part of ['accruedInterest', 'overdueInterest', 'penalty'] as const) {
    if (typeof buyback.price?.[part] !== 'boolean') {
      throw new ValidationError(`buyback.price.${part} must be true or false`, { path: `buyback.price.${part}`, rule: 'boolean' });
    }
  }
  premiumRateOf(buyback.price.premiumRate);
}

/** The premium rate as an exact decimal, above -1 and at most 1. */
function premiumRateOf(text: string): Decimal {
  const path = 'buyback.price.premiumRate';
  const rate = parseDecimal(text, path);
  if (rate.lessThanOrEqualTo(-1) || rate.greaterThan(1)) {
    throw new ValidationError(`${path} must be above -1 and at most 1 (a discount of less than 100%, a premium of at most 100%), got ${rate.toString()}`, {
      path,
      rule: 'premium-range',
    });
  }
  return rate;
}

/** The seller's share of a loan at the value date, part by part, each as a payment of that part alone would give it the seller. */
export interface SellerShare {
  readonly principalMinor: bigint;
  readonly overdueInterestMinor: bigint;
  readonly accruedInterestMinor: bigint;
  readonly penaltyMinor: bigint;
}

/** What the buyer owes the seller, by component. */
export interface BuybackPrice {
  readonly principalMinor: bigint;
  readonly interestMinor: bigint;
  readonly penaltyMinor: bigint;
  /** Positive: a premium the buyer pays on top; negative: a discount the seller gives. */
  readonly premiumMinor: bigint;
  readonly priceMinor: bigint;
}

/**
 * The price of a share under the program's rule: its outstanding principal, plus the interest and
 * penalty parts the rule includes, plus the premium: that base times the premium rate, rounded
 * once with the program's rounding mode (a discount is rounded as the premium it negates).
 */
export function buybackPrice(share: SellerShare, terms: BuybackTerms, mode: RoundingMode): BuybackPrice {
  const rule = terms.price;
  const interestMinor = (rule.overdueInterest ? share.overdueInterestMinor : 0n) + (rule.accruedInterest ? share.accruedInterestMinor : 0n);
  const penaltyMinor = rule.penalty ? share.penaltyMinor : 0n;
  const baseMinor = share.principalMinor + interestMinor + penaltyMinor;
  const rate = premiumRateOf(rule.premiumRate);
  const premiumMinor = rate.isNegative() ? -applyRate(baseMinor, rate.negated(), mode) : applyRate(baseMinor, rate, mode);
  const price = { principalMinor: share.principalMinor, interestMinor, penaltyMinor, premiumMinor, priceMinor: baseMinor + premiumMinor };
  if (price.priceMinor <= 0n) {
    throw new RuleViolation('BUYBACK_PRICE_NOT_POSITIVE', `the program's discount leaves nothing to pay for a share of ${baseMinor} minor units: a buyback has a positive price`, {
      path: 'buyback.price.premiumRate',
      baseMinor: baseMinor.toString(),
      priceMinor: price.priceMinor.toString(),
    });
  }
  return price;
}

/** Each part of the price, the account it is booked to in the seller's book, and its settlement component. */
const PARTS: readonly (readonly [keyof Omit<BuybackPrice, 'priceMinor'>, Leg['account'], SettlementComponent])[] = [
  ['principalMinor', 'PRINCIPAL_RECEIVABLE', 'PRINCIPAL'],
  ['interestMinor', 'INTEREST_INCOME', 'INTEREST'],
  ['penaltyMinor', 'PENALTY_INCOME', 'PENALTY'],
  ['premiumMinor', 'FEE_INCOME', 'FEE'],
];

/**
 * The legs of a buyback, the seller's book then the buyer's. Each part of the price clears between
 * the two under its own component, so settlement moves it from the buyer to the seller:
 * seller Dr SETTLEMENT_CLEARING (buyer) / Cr PRINCIPAL_RECEIVABLE, INTEREST_INCOME, PENALTY_INCOME,
 * FEE_INCOME (a premium); the buyer the mirror image, its interest and penalty paid for debited to
 * its income (income is booked when paid: what the borrower later pays it of them is not its own).
 * A discount reverses the premium's sides: seller Dr FEE_EXPENSE / Cr SETTLEMENT_CLEARING, buyer Dr
 * SETTLEMENT_CLEARING / Cr FEE_INCOME.
 */
export function buybackLegs(sellerId: string, buyerId: string, price: BuybackPrice): Leg[] {
  const seller: Leg[] = [];
  const buyer: Leg[] = [];
  for (const [part, account, component] of PARTS) {
    const amount = price[part];
    invariant(amount >= 0n || part === 'premiumMinor', 'only the premium of a buyback may be negative', { part, amountMinor: amount.toString() });
    if (amount === 0n) continue;
    const owed = amount > 0n ? amount : -amount;
    // A discount is the seller's expense and the buyer's income.
    const own: Leg['account'] = amount < 0n ? 'FEE_EXPENSE' : account;
    const buyerOwn: Leg['account'] = part === 'premiumMinor' ? (amount < 0n ? 'FEE_INCOME' : 'FEE_EXPENSE') : account;
    const toSeller = amount > 0n;
    seller.push({ lenderId: sellerId, account: 'SETTLEMENT_CLEARING', side: toSeller ? 'DEBIT' : 'CREDIT', amountMinor: owed, counterparty: buyerId, component });
    seller.push({ lenderId: sellerId, account: own, side: toSeller ? 'CREDIT' : 'DEBIT', amountMinor: owed, counterparty: null });
    buyer.push({ lenderId: buyerId, account: buyerOwn, side: toSeller ? 'DEBIT' : 'CREDIT', amountMinor: owed, counterparty: null });
    buyer.push({ lenderId: buyerId, account: 'SETTLEMENT_CLEARING', side: toSeller ? 'CREDIT' : 'DEBIT', amountMinor: owed, counterparty: sellerId, component });
  }
  return [...seller, ...buyer];
}

/** The price a buyback's legs book, read from the seller's clearing with the buyer: the one reading of a booked buyback. */
export function priceOfLegs(legs: readonly Leg[], sellerId: string, buyerId: string): BuybackPrice {
  const byComponent = new Map<SettlementComponent | undefined, bigint>();
  for (const leg of legs) {
    if (leg.lenderId !== sellerId || leg.account !== 'SETTLEMENT_CLEARING' || leg.counterparty !== buyerId) continue;
    byComponent.set(leg.component, (byComponent.get(leg.component) ?? 0n) + (leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor));
  }
  const part = (component: SettlementComponent) => byComponent.get(component) ?? 0n;
  const price = { principalMinor: part('PRINCIPAL'), interestMinor: part('INTEREST'), penaltyMinor: part('PENALTY'), premiumMinor: part('FEE') };
  return { ...price, priceMinor: price.principalMinor + price.interestMinor + price.penaltyMinor + price.premiumMinor };
}

/** A caller that states the price it agreed is refused, with both figures, when the book's price differs. */
export function checkExpectedPrice(price: BuybackPrice, expectedPriceMinor: bigint | null): void {
  if (expectedPriceMinor === null || expectedPriceMinor === price.priceMinor) return;
  throw new StateConflict(
    'BUYBACK_PRICE_MISMATCH',
    `the buyback's price is ${price.priceMinor} (principal ${price.principalMinor}, interest ${price.interestMinor}, penalty ${price.penaltyMinor}, premium ${price.premiumMinor}), not the expected ${expectedPriceMinor}`,
    {
      path: 'expectedPriceMinor',
      expectedPriceMinor: expectedPriceMinor.toString(),
      priceMinor: price.priceMinor.toString(),
      principalMinor: price.principalMinor.toString(),
      interestMinor: price.interestMinor.toString(),
      penaltyMinor: price.penaltyMinor.toString(),
      premiumMinor: price.premiumMinor.toString(),
    },
  );
}
