import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { DEFAULT_WATERFALL, type WaterfallComponent } from '../../../../shared/domain/program.ts';
import {
  DUES_FIELDS,
  NOTHING_COVERED,
  applyWaterfall,
  applyWaterfallInBigint,
  checkDues,
  totalCovered,
  type Covered,
  type Dues,
} from '../../../../shared/domain/repayment-waterfall.ts';
import { thrownBy } from '../../../support/expect-error.ts';

function dues(overrides: Partial<Dues> = {}): Dues {
  const { excessMinor: _excess, ...nothing } = NOTHING_COVERED;
  return { ...nothing, ...overrides };
}

function covered(overrides: Partial<Covered> = {}): Covered {
  return { ...NOTHING_COVERED, ...overrides };
}

/** Every component due, each a different amount: 1.00 penalty ... 6.00 fees would hide a swap; these do not. */
const EVERY_DUE = dues({
  penaltyMinor: 1_000n,
  overdueInterestMinor: 20_000n,
  overduePrincipalMinor: 300_000n,
  currentInterestMinor: 4_000n,
  currentPrincipalMinor: 50_000n,
  feesMinor: 600n,
});
const EVERY_DUE_TOTAL = 375_600n;

const REVERSED: WaterfallComponent[] = ['FEES', 'CURRENT_PRINCIPAL', 'CURRENT_INTEREST', 'OVERDUE_PRINCIPAL', 'OVERDUE_INTEREST', 'PENALTY'];

const LIMIT = 2n ** 52n;

// The number path (applyWaterfall below 2^52) and the bigint reference must each give these exact covers.
describe.each([
  ['applyWaterfall', applyWaterfall],
  ['applyWaterfallInBigint', applyWaterfallInBigint],
] as const)('%s', (_name, waterfall) => {
  it('covers in the default order and stops inside the component the payment runs out in', () => {
    expect(waterfall(321_500n, EVERY_DUE)).toEqual(covered({ penaltyMinor: 1_000n, overdueInterestMinor: 20_000n, overduePrincipalMinor: 300_000n, currentInterestMinor: 500n }));
  });

  it('takes part of the first component when the payment is smaller than it', () => {
    expect(waterfall(999n, EVERY_DUE)).toEqual(covered({ penaltyMinor: 999n }));
  });

  it('covers every component exactly, with no excess, when the payment is what is due', () => {
    expect(waterfall(EVERY_DUE_TOTAL, EVERY_DUE)).toEqual(covered({ ...EVERY_DUE }));
  });

  it('stops on a component covered exactly and leaves the rest uncovered', () => {
    expect(waterfall(21_000n, EVERY_DUE)).toEqual(covered({ penaltyMinor: 1_000n, overdueInterestMinor: 20_000n }));
  });

  it('puts what is paid above every due into the excess', () => {
    expect(waterfall(EVERY_DUE_TOTAL + 7n, EVERY_DUE)).toEqual(covered({ ...EVERY_DUE, excessMinor: 7n }));
    expect(waterfall(12_345n, dues())).toEqual(covered({ excessMinor: 12_345n }));
  });

  it('skips components with nothing due', () => {
    expect(waterfall(30_000n, dues({ overduePrincipalMinor: 10_000n, feesMinor: 25_000n }))).toEqual(covered({ overduePrincipalMinor: 10_000n, feesMinor: 20_000n }));
  });

  it('follows a program order that reverses the default, each component into its own field', () => {
    expect(waterfall(354_601n, EVERY_DUE, REVERSED)).toEqual(
      covered({ feesMinor: 600n, currentPrincipalMinor: 50_000n, currentInterestMinor: 4_000n, overduePrincipalMinor: 300_000n, overdueInterestMinor: 1n }),
    );
    expect(waterfall(EVERY_DUE_TOTAL + 1n, EVERY_DUE, REVERSED)).toEqual(covered({ ...EVERY_DUE, excessMinor: 1n }));
  });

  it('covers part of a due at or above 2^52 with a payment below it', () => {
    expect(waterfall(LIMIT - 1n, dues({ penaltyMinor: 5n, overduePrincipalMinor: LIMIT * 3n }))).toEqual(covered({ penaltyMinor: 5n, overduePrincipalMinor: LIMIT - 6n }));
  });

  it('covers dues and an excess past 2^53 exactly, to the minor unit', () => {
    const big = dues({ penaltyMinor: 3n, overduePrincipalMinor: LIMIT * 2n + 1n, feesMinor: LIMIT + 7n });
    expect(waterfall(LIMIT * 4n + 1n, big)).toEqual(covered({ penaltyMinor: 3n, overduePrincipalMinor: LIMIT * 2n + 1n, feesMinor: LIMIT + 7n, excessMinor: LIMIT - 10n }));
    expect(waterfall(LIMIT * 2n + 3n, big)).toEqual(covered({ penaltyMinor: 3n, overduePrincipalMinor: LIMIT * 2n }));
  });

  it('refuses a payment that is not a bigint above zero, naming the field and the rule', () => {
    for (const [amount, shown] of [
      [0n, '0'],
      [-1n, '-1'],
      [5, '5'],
    ] as const) {
      const error = thrownBy(ValidationError, () => waterfall(amount as bigint, EVERY_DUE));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toBe(`amountMinor must be a bigint greater than zero, got ${shown}`);
      expect(error.details).toEqual({ path: 'amountMinor', rule: 'positive' });
    }
  });

  it('refuses a due that is negative or not a bigint, naming the first such component', () => {
    for (const field of DUES_FIELDS) {
      const error = thrownBy(ValidationError, () => waterfall(1n, { ...EVERY_DUE, [field]: -1n }));
      expect(error.message).toBe(`dues.${field} must be a bigint of zero or more, got -1`);
      expect(error.details).toEqual({ path: `dues.${field}`, rule: 'non-negative' });
      const notBigint = thrownBy(ValidationError, () => waterfall(1n, { ...EVERY_DUE, [field]: 1 }));
      expect(notBigint.details).toEqual({ path: `dues.${field}`, rule: 'non-negative' });
    }
    const allNumbers = Object.fromEntries(DUES_FIELDS.map((field) => [field, 1])) as unknown as Dues;
    expect(thrownBy(ValidationError, () => waterfall(1n, allNumbers)).details).toEqual({ path: 'dues.penaltyMinor', rule: 'non-negative' });
    const allNegative = Object.fromEntries(DUES_FIELDS.map((field) => [field, -1n])) as unknown as Dues;
    expect(thrownBy(ValidationError, () => waterfall(1n, allNegative)).details).toEqual({ path: 'dues.penaltyMinor', rule: 'non-negative' });
    const two = thrownBy(ValidationError, () => waterfall(1n, { ...EVERY_DUE, currentInterestMinor: -2n, feesMinor: -1n }));
    expect(two.details).toEqual({ path: 'dues.currentInterestMinor', rule: 'non-negative' });
  });

  it('refuses an order naming something that is not a component, or a component twice', () => {
    const unknown = thrownBy(ValidationError, () => waterfall(1n, EVERY_DUE, ['PENALTY', 'INSURANCE'] as unknown as WaterfallComponent[]));
    expect(unknown.message).toBe('order[1] must be a waterfall component not named before, got "INSURANCE"');
    expect(unknown.details).toEqual({ path: 'order[1]', rule: 'waterfall-component' });
    for (const [i, component] of DEFAULT_WATERFALL.entries()) {
      const twice = [...DEFAULT_WATERFALL.slice(0, i + 1), component, ...DEFAULT_WATERFALL.slice(i + 1)];
      const error = thrownBy(ValidationError, () => waterfall(1n, EVERY_DUE, twice));
      expect(error.message).toBe(`order[${i + 1}] must be a waterfall component not named before, got "${component}"`);
      expect(error.details).toEqual({ path: `order[${i + 1}]`, rule: 'waterfall-component' });
    }
  });

  it('refuses an order missing components, naming them in the default order', () => {
    for (const [i, component] of DEFAULT_WATERFALL.entries()) {
      const without = DEFAULT_WATERFALL.filter((_, j) => j !== i);
      const error = thrownBy(ValidationError, () => waterfall(1n, EVERY_DUE, without));
      expect(error.message).toBe(`order must name every component once; missing ${component}`);
      expect(error.details).toEqual({ path: 'order', rule: 'waterfall-complete' });
    }
    expect(thrownBy(ValidationError, () => waterfall(1n, EVERY_DUE, ['FEES', 'PENALTY', 'CURRENT_INTEREST'])).message).toBe(
      'order must name every component once; missing OVERDUE_INTEREST, OVERDUE_PRINCIPAL, CURRENT_PRINCIPAL',
    );
    expect(thrownBy(ValidationError, () => waterfall(1n, EVERY_DUE, [])).message).toBe(
      'order must name every component once; missing PENALTY, OVERDUE_INTEREST, OVERDUE_PRINCIPAL, CURRENT_INTEREST, CURRENT_PRINCIPAL, FEES',
    );
  });
});

describe('checkDues', () => {
  it('accepts zero dues and names the field under the path it is given', () => {
    expect(checkDues(dues(), 'x')).toBeUndefined();
    const error = thrownBy(ValidationError, () => checkDues({ ...EVERY_DUE, overdueInterestMinor: null as unknown as bigint }, 'loan.dues'));
    expect(error.message).toBe('loan.dues.overdueInterestMinor must be a bigint of zero or more, got null');
    expect(error.details).toEqual({ path: 'loan.dues.overdueInterestMinor', rule: 'non-negative' });
  });
});

describe('totalCovered', () => {
  it('adds up the six components and leaves the excess out', () => {
    expect(totalCovered(EVERY_DUE)).toBe(EVERY_DUE_TOTAL);
    expect(totalCovered(covered({ ...EVERY_DUE, excessMinor: 99n }))).toBe(EVERY_DUE_TOTAL);
    expect(totalCovered(dues())).toBe(0n);
  });
});

describe('NOTHING_COVERED and DUES_FIELDS', () => {
  it('is zero in every component and the excess, and cannot be changed', () => {
    expect(NOTHING_COVERED).toEqual({
      penaltyMinor: 0n,
      overdueInterestMinor: 0n,
      overduePrincipalMinor: 0n,
      currentInterestMinor: 0n,
      currentPrincipalMinor: 0n,
      feesMinor: 0n,
      excessMinor: 0n,
    });
    expect(Object.isFrozen(NOTHING_COVERED)).toBe(true);
  });

  it('lists the six components of the dues in the default waterfall order', () => {
    expect(DUES_FIELDS).toEqual(['penaltyMinor', 'overdueInterestMinor', 'overduePrincipalMinor', 'currentInterestMinor', 'currentPrincipalMinor', 'feesMinor']);
  });
});
