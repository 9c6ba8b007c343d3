import { describe, it, expect } from 'vitest';
import { Decimal, parseDecimal, parseRate, parseRatio, toExactFraction } from '../../../../../shared/domain/money/index.ts';
import { expectValidation } from './expect-domain-error.ts';

describe('Decimal', () => {
  it('computes with 50 significant digits', () => {
    expect(new Decimal(1).div(3).toString()).toBe(`0.${'3'.repeat(50)}`);
    expect(new Decimal('0.1').plus('0.2').toString()).toBe('0.3');
  });

  it('writes plain notation, never an exponent, for small and large values', () => {
    expect(new Decimal('0.000000000000000000000000000001').toString()).toBe(`0.${'0'.repeat(29)}1`);
    expect(new Decimal('1000000000000000000000000000000').toString()).toBe(`1${'0'.repeat(30)}`);
  });
});

describe('parseDecimal', () => {
  it('reads plain decimal strings exactly, signed', () => {
    expect(parseDecimal('0.0365', 'rate').toString()).toBe('0.0365');
    expect(parseDecimal('-1.25', 'spread').toString()).toBe('-1.25');
    expect(parseDecimal('12', 'x').toString()).toBe('12');
    expect(parseDecimal('0.123456789012345678901234567890123456789', 'x').toString()).toBe(
      '0.123456789012345678901234567890123456789',
    );
  });

  it('reads safe-integer numbers only', () => {
    expect(parseDecimal(5, 'x').toString()).toBe('5');
    expect(parseDecimal(-0, 'x').toString()).toBe('0');
    expectValidation(() => parseDecimal(0.1, 'x'), 'x', 'decimal-format');
    expectValidation(() => parseDecimal(2 ** 60, 'x'), 'x', 'decimal-format');
  });
});

describe('parseRate', () => {
  it('reads annual rates as exact decimals', () => {
    expect(parseRate('0.0365', 'program.annualRate').toString()).toBe('0.0365');
    expect(parseRate('0', 'program.annualRate').isZero()).toBe(true);
    expect(parseRate('1.5', 'program.penaltyMultiplier').toString()).toBe('1.5');
    expect(parseRate(2, 'program.penaltyMultiplier').toString()).toBe('2');
  });

  it.each([
    ['1e3'],
    ['1E-2'],
    ['3.65e-2'],
    ['.5'],
    ['5.'],
    ['+0.1'],
    [' 0.1'],
    ['0.1 '],
    [''],
    ['0,1'],
    ['NaN'],
    ['Infinity'],
    ['-Infinity'],
    ['1/3'],
  ])('refuses the string %j with the path', (value) => {
    expectValidation(() => parseRate(value, 'program.annualRate'), 'program.annualRate', 'decimal-format');
  });

  it.each([[0.0365], [1.5], [NaN], [Infinity], [2 ** 60], [null], [undefined], [true], [1n]])(
    'refuses %s with the path',
    (value) => {
      expectValidation(() => parseRate(value, 'program.annualRate'), 'program.annualRate', 'decimal-format');
    },
  );

  it('refuses negative rates', () => {
    expectValidation(() => parseRate('-0.01', 'program.annualRate'), 'program.annualRate', 'non-negative');
    expect(parseRate('-0', 'program.annualRate').isZero()).toBe(true);
  });
});

describe('parseRatio', () => {
  it('accepts 0 to 1 inclusive', () => {
    for (const value of ['0', '0.5', '1', '1.000', '0.0001']) {
      expect(parseRatio(value, 'share').toString()).toBe(new Decimal(value).toString());
    }
    expect(parseRatio(1, 'share').toString()).toBe('1');
    expect(parseRatio(0, 'share').toString()).toBe('0');
  });

  it('refuses values outside 0..1 and malformed input', () => {
    expectValidation(() => parseRatio('1.0001', 'lossCap'), 'lossCap', 'ratio-range');
    expectValidation(() => parseRatio('-0.1', 'lossCap'), 'lossCap', 'ratio-range');
    expectValidation(() => parseRatio(2, 'lossCap'), 'lossCap', 'ratio-range');
    expectValidation(() => parseRatio(0.5, 'lossCap'), 'lossCap', 'decimal-format');
    expectValidation(() => parseRatio('5e-1', 'lossCap'), 'lossCap', 'decimal-format');
  });
});

describe('toExactFraction', () => {
  it('turns a decimal into numerator / 10^k exactly', () => {
    expect(toExactFraction(new Decimal('0.0365'))).toEqual({ numerator: 365n, denominator: 10000n });
    expect(toExactFraction(new Decimal('-1.5'))).toEqual({ numerator: -15n, denominator: 10n });
    expect(toExactFraction(new Decimal('42'))).toEqual({ numerator: 42n, denominator: 1n });
    expect(toExactFraction(new Decimal('0'))).toEqual({ numerator: 0n, denominator: 1n });
  });

  it('handles values written with an exponent internally', () => {
    expect(toExactFraction(new Decimal('1e-120'))).toEqual({ numerator: 1n, denominator: 10n ** 120n });
    expect(toExactFraction(new Decimal('12e150'))).toEqual({ numerator: 12n * 10n ** 150n, denominator: 1n });
  });

  it('keeps the 50 digits of a computed value', () => {
    const third = toExactFraction(new Decimal(1).div(3));
    expect(third.denominator).toBe(10n ** 50n);
    expect(third.numerator).toBe(BigInt('3'.repeat(50)));
  });

  it('refuses NaN and infinities', () => {
    expectValidation(() => toExactFraction(new Decimal(NaN)), 'decimal', 'finite');
    expectValidation(() => toExactFraction(new Decimal(Infinity)), 'decimal', 'finite');
  });
});
