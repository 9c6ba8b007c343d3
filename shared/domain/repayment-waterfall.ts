import { invariant, ValidationError } from './errors.ts';
import { describeValue } from './money/describe-value.ts';
import { DEFAULT_WATERFALL, type WaterfallComponent } from './program.ts';

/**
 * The payment waterfall: which of a loan's dues one borrower payment covers, component by component
 * in the program's order, and what is left over. The rules are written down in docs/repayments.md.
 */

/** What a loan owes at a value date, by component, in minor units. */
export interface Dues {
  /** Penalty interest on overdue principal plus compound interest on overdue interest (罚息/复利). */
  readonly penaltyMinor: bigint;
  readonly overdueInterestMinor: bigint;
  readonly overduePrincipalMinor: bigint;
  readonly currentInterestMinor: bigint;
  readonly currentPrincipalMinor: bigint;
  readonly feesMinor: bigint;
}

/** What one payment covers of each component (never more than is due), and the excess over all dues. */
export interface Covered extends Dues {
  /** Paid above everything due: held in suspense. */
  readonly excessMinor: bigint;
}

/** A payment that covers nothing: the start of a cover built component by component. */
export const NOTHING_COVERED: Covered = Object.freeze({
  penaltyMinor: 0n,
  overdueInterestMinor: 0n,
  overduePrincipalMinor: 0n,
  currentInterestMinor: 0n,
  currentPrincipalMinor: 0n,
  feesMinor: 0n,
  excessMinor: 0n,
});

type DuesField = keyof Dues;

const FIELD_OF: Readonly<Record<WaterfallComponent, DuesField>> = {
  PENALTY: 'penaltyMinor',
  OVERDUE_INTEREST: 'overdueInterestMinor',
  OVERDUE_PRINCIPAL: 'overduePrincipalMinor',
  CURRENT_INTEREST: 'currentInterestMinor',
  CURRENT_PRINCIPAL: 'currentPrincipalMinor',
  FEES: 'feesMinor',
};

export const DUES_FIELDS: readonly DuesField[] = [
  'penaltyMinor',
  'overdueInterestMinor',
  'overduePrincipalMinor',
  'currentInterestMinor',
  'currentPrincipalMinor',
  'feesMinor',
];

/**
 * Covers the dues in `order` (the program's waterfall, by default penalty -> overdue interest ->
 * overdue principal -> current interest -> current principal -> fees): each component takes what
 * is left of the payment up to its due amount; whatever remains after the last one is the excess.
 */
export function applyWaterfall(
  amountMinor: bigint,
  dues: Dues,
  order: readonly WaterfallComponent[] = DEFAULT_WATERFALL,
): Covered {
  if (typeof amountMinor !== 'bigint' || amountMinor <= 0n) {
    throw new ValidationError(`amountMinor must be a bigint greater than zero, got ${describeValue(amountMinor)}`, {
      path: 'amountMinor',
      rule: 'positive',
    });
  }
  checkDues(dues, 'dues');
  checkOrder(order);
  let left = amountMinor;
  let penaltyMinor = 0n;
  let overdueInterestMinor = 0n;
  let overduePrincipalMinor = 0n;
  let currentInterestMinor = 0n;
  let currentPrincipalMinor = 0n;
  let feesMinor = 0n;
  for (let i = 0; i < order.length && left > 0n; i++) {
    const due = dues[FIELD_OF[order[i]!]];
    const take = left < due ? left : due;
    left -= take;
    switch (order[i]!) {
      case 'PENALTY':
        penaltyMinor = take;
        break;
      case 'OVERDUE_INTEREST':
        overdueInterestMinor = take;
        break;
      case 'OVERDUE_PRINCIPAL':
        overduePrincipalMinor = take;
        break;
      case 'CURRENT_INTEREST':
        currentInterestMinor = take;
        break;
      case 'CURRENT_PRINCIPAL':
        currentPrincipalMinor = take;
        break;
      case 'FEES':
        feesMinor = take;
        break;
    }
  }
  const result: Covered = {
    penaltyMinor,
    overdueInterestMinor,
    overduePrincipalMinor,
    currentInterestMinor,
    currentPrincipalMinor,
    feesMinor,
    excessMinor: left,
  };
  if (!(totalCovered(result) + left === amountMinor && left >= 0n)) {
    invariant(false, 'the waterfall accounts for the whole payment', {
      amountMinor: amountMinor.toString(),
      excessMinor: left.toString(),
    });
  }
  return result;
}

/** The sum of the covered components, the excess left out. */
export function totalCovered(covered: Dues): bigint {
  return (
    covered.penaltyMinor +
    covered.overdueInterestMinor +
    covered.overduePrincipalMinor +
    covered.currentInterestMinor +
    covered.currentPrincipalMinor +
    covered.feesMinor
  );
}

/** Every component is a bigint of zero or more minor units. */
export function checkDues(dues: Dues, path: string): void {
  for (const field of DUES_FIELDS) {
    const value: unknown = dues[field];
    if (typeof value !== 'bigint' || value < 0n) {
      throw new ValidationError(`${path}.${field} must be a bigint of zero or more, got ${describeValue(value)}`, {
        path: `${path}.${field}`,
        rule: 'non-negative',
      });
    }
  }
}

const COMPONENT_BIT: Readonly<Record<WaterfallComponent, number>> = {
  PENALTY: 1,
  OVERDUE_INTEREST: 2,
  OVERDUE_PRINCIPAL: 4,
  CURRENT_INTEREST: 8,
  CURRENT_PRINCIPAL: 16,
  FEES: 32,
};
const EVERY_COMPONENT = 63;

/** A waterfall names each of the six components exactly once. */
function checkOrder(order: readonly WaterfallComponent[]): void {
  let seen = 0;
  for (let i = 0; i < order.length; i++) {
    const component = order[i]!;
    const bit = Object.hasOwn(COMPONENT_BIT, component) ? COMPONENT_BIT[component] : 0;
    if (bit === 0 || (seen & bit) !== 0) {
      throw new ValidationError(
        `order[${i}] must be a waterfall component not named before, got ${describeValue(component)}`,
        { path: `order[${i}]`, rule: 'waterfall-component' },
      );
    }
    seen |= bit;
  }
  if (seen !== EVERY_COMPONENT) {
    const missing = DEFAULT_WATERFALL.filter((c) => (seen & COMPONENT_BIT[c]) === 0);
    throw new ValidationError(`order must name every component once; missing ${missing.join(', ')}`, {
      path: 'order',
      rule: 'waterfall-complete',
    });
  }
}
