import { invariant, ValidationError } from './errors.ts';
import { describeValue } from './money/describe-value.ts';
import { plus } from './money/index.ts';
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
 * Computed in bigint: a comparison or subtraction of amounts costs less than converting each of
 * them to a plain number (Number() of a bigint calls into the runtime).
 */
export function applyWaterfall(
  amountMinor: bigint,
  dues: Dues,
  order: readonly WaterfallComponent[] = DEFAULT_WATERFALL,
): Covered {
  checkWaterfall(amountMinor, dues, order);
  return coverInBigint(amountMinor, dues, order);
}

/**
 * The same waterfall computed in bigint throughout, whatever the size of the amounts: the
 * reference that `applyWaterfall` must always equal, whatever path it takes.
 */
export function applyWaterfallInBigint(
  amountMinor: bigint,
  dues: Dues,
  order: readonly WaterfallComponent[] = DEFAULT_WATERFALL,
): Covered {
  checkWaterfall(amountMinor, dues, order);
  return coverInBigint(amountMinor, dues, order);
}

function checkWaterfall(amountMinor: bigint, dues: Dues, order: readonly WaterfallComponent[]): void {
  if (typeof amountMinor !== 'bigint' || amountMinor <= 0n) {
    throw new ValidationError(`amountMinor must be a bigint greater than zero, got ${describeValue(amountMinor)}`, {
      path: 'amountMinor',
      rule: 'positive',
    });
  }
  checkDues(dues, 'dues');
  checkOrder(order);
}

function coverInBigint(amountMinor: bigint, dues: Dues, order: readonly WaterfallComponent[]): Covered {
  let left = amountMinor;
  let taken = 0n;
  let penaltyMinor = 0n;
  let overdueInterestMinor = 0n;
  let overduePrincipalMinor = 0n;
  let currentInterestMinor = 0n;
  let currentPrincipalMinor = 0n;
  let feesMinor = 0n;
  for (let i = 0; i < order.length && left > 0n; i++) {
    const component = order[i]!;
    const due = dueOf(dues, component);
    if (due === 0n) continue;
    const take = left < due ? left : due;
    left = take === left ? 0n : left - take;
    taken = plus(taken, take);
    switch (component) {
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
  if (!(plus(taken, left) === amountMinor && left >= 0n)) {
    invariant(false, 'the waterfall accounts for the whole payment', {
      amountMinor: amountMinor.toString(),
      excessMinor: left.toString(),
    });
  }
  return {
    penaltyMinor,
    overdueInterestMinor,
    overduePrincipalMinor,
    currentInterestMinor,
    currentPrincipalMinor,
    feesMinor,
    excessMinor: left,
  };
}

function dueOf(dues: Dues, component: WaterfallComponent): bigint {
  switch (component) {
    case 'PENALTY':
      return dues.penaltyMinor;
    case 'OVERDUE_INTEREST':
      return dues.overdueInterestMinor;
    case 'OVERDUE_PRINCIPAL':
      return dues.overduePrincipalMinor;
    case 'CURRENT_INTEREST':
      return dues.currentInterestMinor;
    case 'CURRENT_PRINCIPAL':
      return dues.currentPrincipalMinor;
    case 'FEES':
      return dues.feesMinor;
  }
}

/** The sum of the covered components, the excess left out. */
export function totalCovered(covered: Dues): bigint {
  return plus(
    plus(plus(covered.penaltyMinor, covered.overdueInterestMinor), plus(covered.overduePrincipalMinor, covered.currentInterestMinor)),
    plus(covered.currentPrincipalMinor, covered.feesMinor),
  );
}

/** Every component is a bigint of zero or more minor units. */
export function checkDues(dues: Dues, path: string): void {
  if (
    isAmount(dues.penaltyMinor) &&
    isAmount(dues.overdueInterestMinor) &&
    isAmount(dues.overduePrincipalMinor) &&
    isAmount(dues.currentInterestMinor) &&
    isAmount(dues.currentPrincipalMinor) &&
    isAmount(dues.feesMinor)
  ) {
    return;
  }
  // Field by field, to name the first one that is wrong.
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

function isAmount(value: unknown): boolean {
  return typeof value === 'bigint' && value >= 0n;
}

/** A component's bit in the set of components seen; 0 for anything that is not a component. */
function componentBit(component: unknown): number {
  switch (component) {
    case 'PENALTY':
      return 1;
    case 'OVERDUE_INTEREST':
      return 2;
    case 'OVERDUE_PRINCIPAL':
      return 4;
    case 'CURRENT_INTEREST':
      return 8;
    case 'CURRENT_PRINCIPAL':
      return 16;
    case 'FEES':
      return 32;
    default:
      return 0;
  }
}
const EVERY_COMPONENT = 63;

/** A waterfall names each of the six components exactly once. */
function checkOrder(order: readonly WaterfallComponent[]): void {
  let seen = 0;
  for (let i = 0; i < order.length; i++) {
    const component = order[i]!;
    const bit = componentBit(component);
    if (bit === 0 || (seen & bit) !== 0) {
      throw new ValidationError(
        `order[${i}] must be a waterfall component not named before, got ${describeValue(component)}`,
        { path: `order[${i}]`, rule: 'waterfall-component' },
      );
    }
    seen |= bit;
  }
  if (seen !== EVERY_COMPONENT) {
    const missing = DEFAULT_WATERFALL.filter((c) => (seen & componentBit(c)) === 0);
    throw new ValidationError(`order must name every component once; missing ${missing.join(', ')}`, {
      path: 'order',
      rule: 'waterfall-complete',
    });
  }
}
