import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { InvariantViolation } from '../../../../../shared/domain/errors.ts';
import type { RoundingMode } from '../../../../../shared/domain/money/index.ts';
import {
  Decimal,
  ROUNDING_MODES,
  applyRate,
  divRound,
  parseRoundingMode,
  roundDecimalToMinor,
} from '../../../../../shared/domain/money/index.ts';
import { expectDomainError, expectValidation } from './expect-domain-error.ts';

describe('divRound', () => {
  // [numerator, denominator, HALF_UP, HALF_EVEN, DOWN]
  it.each([
    [5n, 2n, 3n, 2n, 2n], // 2.5: tie
    [-5n, 2n, -3n, -2n, -2n], // -2.5: tie, symmetric
    [7n, 2n, 4n, 4n, 3n], // 3.5: tie to the even 4
    [-7n, 2n, -4n, -4n, -3n],
    [25n, 10n, 3n, 2n, 2n],
    [35n, 10n, 4n, 4n, 3n],
    [-35n, 10n, -4n, -4n, -3n],
    [1n, 2n, 1n, 0n, 0n], // 0.5
    [-1n, 2n, -1n, 0n, 0n], // -0.5
    [1n, 3n, 0n, 0n, 0n], // 0.333
    [2n, 3n, 1n, 1n, 0n], // 0.667
    [-2n, 3n, -1n, -1n, 0n],
    [29n, 10n, 3n, 3n, 2n], // 2.9
    [-29n, 10n, -3n, -3n, -2n],
    [21n, 10n, 2n, 2n, 2n], // 2.1
    [6n, 3n, 2n, 2n, 2n], // exact
    [-6n, 3n, -2n, -2n, -2n],
    [0n, 7n, 0n, 0n, 0n],
    [10n ** 30n + 5n, 10n, 10n ** 29n + 1n, 10n ** 29n, 10n ** 29n], // ...0.5 beyond float range
  ])('%s / %s -> HALF_UP %s, HALF_EVEN %s, DOWN %s', (numerator, denominator, halfUp, halfEven, down) => {
    expect(divRound(numerator, denominator, 'HALF_UP')).toBe(halfUp);
    expect(divRound(numerator, denominator, 'HALF_EVEN')).toBe(halfEven);
    expect(divRound(numerator, denominator, 'DOWN')).toBe(down);
  });

  it('needs a positive denominator', () => {
    expectDomainError(() => divRound(1n, 0n, 'HALF_UP'), InvariantViolation, 'INVARIANT_VIOLATED');
    expectDomainError(() => divRound(1n, -2n, 'DOWN'), InvariantViolation, 'INVARIANT_VIOLATED');
  });

  it('refuses an unknown mode', () => {
    expectValidation(() => divRound(5n, 2n, 'CEILING' as RoundingMode), 'mode', 'rounding-mode');
  });

  const fraction = fc.record({
    numerator: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
    denominator: fc.bigInt({ min: 1n, max: 10n ** 15n }),
  });
  const mode = fc.constantFrom<RoundingMode>(...ROUNDING_MODES);

  it('is symmetric around zero', () => {
    fc.assert(
      fc.property(fraction, mode, ({ numerator, denominator }, m) => {
        expect(divRound(-numerator, denominator, m)).toBe(-divRound(numerator, denominator, m));
      }),
    );
  });

  it('lands within one unit of the exact value, within half a unit for the HALF modes', () => {
    fc.assert(
      fc.property(fraction, mode, ({ numerator, denominator }, m) => {
        const rounded = divRound(numerator, denominator, m);
        const error = rounded * denominator - numerator; // (rounded - exact) x denominator
        const size = error < 0n ? -error : error;
        if (m === 'DOWN') {
          expect(size < denominator).toBe(true);
          expect(rounded === 0n || (rounded > 0n) === (numerator > 0n)).toBe(true);
          expect(rounded < 0n ? -rounded : rounded).toBe((numerator < 0n ? -numerator : numerator) / denominator);
        } else {
          expect(2n * size <= denominator).toBe(true);
        }
      }),
    );
  });
});

describe('parseRoundingMode', () => {
  it('accepts the three modes and refuses others with the path', () => {
    for (const m of ROUNDING_MODES) expect(parseRoundingMode(m, 'program.roundingMode')).toBe(m);
    for (const value of ['half_up', 'UP', '', null, 1]) {
      expectValidation(() => parseRoundingMode(value, 'program.roundingMode'), 'program.roundingMode', 'rounding-mode');
    }
  });
});

describe('roundDecimalToMinor', () => {
  // [decimal minor units, HALF_UP, HALF_EVEN, DOWN]
  it.each([
    ['2.5', 3n, 2n, 2n],
    ['-2.5', -3n, -2n, -2n],
    ['3.5', 4n, 4n, 3n],
    ['0.5', 1n, 0n, 0n],
    ['1234.4999999', 1234n, 1234n, 1234n],
    ['1234.5000001', 1235n, 1235n, 1234n],
    ['-0.0001', 0n, 0n, 0n],
    ['-0.9', -1n, -1n, 0n],
    ['100', 100n, 100n, 100n],
  ])('%s -> HALF_UP %s, HALF_EVEN %s, DOWN %s', (value, halfUp, halfEven, down) => {
    const d = new Decimal(value);
    expect(roundDecimalToMinor(d, 'HALF_UP')).toBe(halfUp);
    expect(roundDecimalToMinor(d, 'HALF_EVEN')).toBe(halfEven);
    expect(roundDecimalToMinor(d, 'DOWN')).toBe(down);
  });

  it('rounds a value with 50 significant digits exactly', () => {
    // 10^13 / 3 = 3333333333333.333...: 33 more threes after the point, never a float.
    expect(roundDecimalToMinor(new Decimal('10000000000000').div(3), 'HALF_UP')).toBe(3333333333333n);
  });

  it('refuses NaN', () => {
    expectValidation(() => roundDecimalToMinor(new Decimal(NaN), 'HALF_UP'), 'decimal', 'finite');
  });
});

describe('applyRate', () => {
  it('multiplies an amount by a rate and rounds once', () => {
    // 10001 fen x 0.5 = 5000.5 fen
    expect(applyRate(10001n, new Decimal('0.5'), 'HALF_UP')).toBe(5001n);
    expect(applyRate(10001n, new Decimal('0.5'), 'HALF_EVEN')).toBe(5000n);
    expect(applyRate(10001n, new Decimal('0.5'), 'DOWN')).toBe(5000n);
    // 1,000,000.00 CNY x 0.35% = 100000000 x 35 / 10000 = 350000 fen exactly
    expect(applyRate(100_000_000n, new Decimal('0.0035'), 'HALF_UP')).toBe(350_000n);
    // -3 fen x 1.5 = -4.5 fen
    expect(applyRate(-3n, new Decimal('1.5'), 'HALF_UP')).toBe(-5n);
    expect(applyRate(-3n, new Decimal('1.5'), 'HALF_EVEN')).toBe(-4n);
  });
});
