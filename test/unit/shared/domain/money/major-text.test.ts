import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMajor } from '../../../../../shared/domain/money/amount.ts';
import { parseMajorText } from '../../../../../shared/domain/money/major-text.ts';

describe('parseMajorText', () => {
  it.each([
    ['1234.56', 123456n],
    ['1234.5', 123450n],
    ['1234', 123400n],
    ['-0.01', -1n],
    ['007.07', 707n],
    ['9999999999999.99', 999999999999999n],
    ['99999999999999.99', 9999999999999999n],
    ['9999999999999', 999999999999900n],
    ['99999999999999', 9999999999999900n],
    ['123456789012345678901234567.89', 12345678901234567890123456789n],
  ])('%s is %s minor units', (text, minor) => {
    expect(parseMajorText(text, 2)).toBe(minor);
  });

  it.each([
    ['1,234.56', 123456n],
    ['12,345,678.9', 1234567890n],
    ['-1,000', -100000n],
    ['99,999,999,999,999.99', 9999999999999999n],
    ['999', 99900n],
  ])('with thousands separators allowed, %s is %s', (text, minor) => {
    expect(parseMajorText(text, 2, { thousands: true })).toBe(minor);
  });

  it.each([
    ['', 'decimal-format'],
    ['-', 'decimal-format'],
    ['+5', 'decimal-format'],
    ['.5', 'decimal-format'],
    ['12.', 'decimal-format'],
    ['1e3', 'decimal-format'],
    ['1,234.56', 'decimal-format'],
    ['12.345', 'minor-digits'],
    ['1 234', 'decimal-format'],
  ])('refuses %j (%s)', (text, rule) => {
    expect(parseMajorText(text, 2)).toMatchObject({ rule });
  });

  it.each([['1,23'], ['1234,567'], [',123'], ['1,,234'], ['1,234,56']])('refuses the grouping of %j', (text) => {
    expect(parseMajorText(text, 2, { thousands: true })).toMatchObject({ rule: expect.stringMatching(/thousands-separator|decimal-format/) });
  });

  it('names the unit and the text in its messages', () => {
    expect(parseMajorText('12.345', 2, { unit: ' for CNY' })).toEqual({ rule: 'minor-digits', message: 'has more than 2 decimal places for CNY (got "12.345")' });
    expect(parseMajorText('1,23', 2, { thousands: true })).toEqual({ rule: 'thousands-separator', message: 'must group its digits by three between separators, as 1,234,567.89 (got "1,23")' });
  });

  it('reads back what formatMajor writes, for any amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (minor) => {
        expect(parseMajorText(formatMajor(minor, 'CNY'), 2)).toBe(minor);
      }),
    );
  });
});
