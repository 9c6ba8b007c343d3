import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CURRENCIES,
  assertCurrency,
  formatMajor,
  formatMinor,
  parseMinor,
  parseNonNegativeMinor,
  parsePositiveMinor,
} from '../../../../../shared/domain/money/index.ts';
import { expectValidation } from './expect-domain-error.ts';

describe('parseMinor', () => {
  it('reads decimal strings of minor units exactly', () => {
    expect(parseMinor('123456', 'amount')).toBe(123456n);
    expect(parseMinor('-5', 'amount')).toBe(-5n);
    expect(parseMinor('0', 'amount')).toBe(0n);
    expect(parseMinor('-0', 'amount')).toBe(0n);
    expect(parseMinor('007', 'amount')).toBe(7n);
    // beyond any float's exact range: 10^30 + 1 fen survives to the last digit
    expect(parseMinor('1000000000000000000000000000001', 'amount')).toBe(10n ** 30n + 1n);
  });

  it('reads JS numbers that are safe integers', () => {
    expect(parseMinor(42, 'amount')).toBe(42n);
    expect(parseMinor(-42, 'amount')).toBe(-42n);
    expect(parseMinor(-0, 'amount')).toBe(0n);
    expect(parseMinor(Number.MAX_SAFE_INTEGER, 'amount')).toBe(9007199254740991n);
    expect(parseMinor(Number.MIN_SAFE_INTEGER, 'amount')).toBe(-9007199254740991n);
  });

  it.each([
    ['1.5'],
    ['1e3'],
    ['1E3'],
    [' 1'],
    ['1 '],
    [''],
    ['+1'],
    ['-'],
    ['--1'],
    ['0x10'],
    ['1_000'],
    ['1,000'],
    ['１２'],
    ['Infinity'],
  ])('refuses the string %j with the path', (value) => {
    expectValidation(() => parseMinor(value, 'payment.amountMinor'), 'payment.amountMinor', 'integer-minor-units');
  });

  it.each([[1.5], [NaN], [Infinity], [-Infinity], [2 ** 60], [Number.MAX_SAFE_INTEGER + 1], [0.1 + 0.2]])(
    'refuses the number %s with the path',
    (value) => {
      expectValidation(() => parseMinor(value, 'lines[3].amountMinor'), 'lines[3].amountMinor', 'integer-minor-units');
    },
  );

  it.each([[null], [undefined], [true], [12n], [{}], [['1']]])('refuses %s', (value) => {
    expectValidation(() => parseMinor(value, 'amount'), 'amount', 'integer-minor-units');
  });

  it('round-trips every bigint through formatMinor', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), (minor) => {
        expect(parseMinor(formatMinor(minor), 'amount')).toBe(minor);
      }),
    );
  });
});

describe('parseNonNegativeMinor and parsePositiveMinor', () => {
  it('accept zero and positives, or positives only', () => {
    expect(parseNonNegativeMinor('0', 'fee')).toBe(0n);
    expect(parseNonNegativeMinor(7, 'fee')).toBe(7n);
    expect(parsePositiveMinor('1', 'principal')).toBe(1n);
  });

  it('refuse what is out of range with its own rule', () => {
    expectValidation(() => parseNonNegativeMinor('-1', 'fee'), 'fee', 'non-negative');
    expectValidation(() => parsePositiveMinor('0', 'principal'), 'principal', 'positive');
    expectValidation(() => parsePositiveMinor(-3, 'principal'), 'principal', 'positive');
  });

  it('refuse malformed input with the format rule first', () => {
    expectValidation(() => parseNonNegativeMinor('1.0', 'fee'), 'fee', 'integer-minor-units');
    expectValidation(() => parsePositiveMinor(null, 'principal'), 'principal', 'integer-minor-units');
  });
});

describe('formatMinor', () => {
  it('writes the plain decimal string', () => {
    expect(formatMinor(0n)).toBe('0');
    expect(formatMinor(-123n)).toBe('-123');
    expect(formatMinor(10n ** 20n)).toBe('100000000000000000000');
  });
});

describe('currencies', () => {
  it('know CNY and INR with two minor digits', () => {
    expect(CURRENCIES.CNY.minorDigits).toBe(2);
    expect(CURRENCIES.INR.minorDigits).toBe(2);
    expect(Object.keys(CURRENCIES).sort()).toEqual(['CNY', 'INR']);
  });

  it('assertCurrency accepts the table and refuses anything else with the path', () => {
    expect(() => assertCurrency('CNY', 'program.currency')).not.toThrow();
    expect(() => assertCurrency('INR', 'program.currency')).not.toThrow();
    for (const code of ['USD', 'cny', '', 'toString', 'constructor', 1, null]) {
      expectValidation(() => assertCurrency(code, 'program.currency'), 'program.currency', 'currency');
    }
  });
});

describe('formatMajor', () => {
  it.each([
    [123456n, '1234.56'],
    [100n, '1.00'],
    [5n, '0.05'],
    [50n, '0.50'],
    [0n, '0.00'],
    [-5n, '-0.05'],
    [-123456n, '-1234.56'],
    [1000000000000n, '10000000000.00'],
  ])('writes %s fen as %s', (minor, major) => {
    expect(formatMajor(minor, 'CNY')).toBe(major);
  });

  it('writes paise the same way', () => {
    expect(formatMajor(9999n, 'INR')).toBe('99.99');
  });

  it('keeps every digit of the minor amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (minor) => {
        const text = formatMajor(minor, 'CNY');
        expect(text).toMatch(/^-?\d+\.\d{2}$/);
        expect(BigInt(text.replace('.', ''))).toBe(minor);
      }),
    );
  });
});
