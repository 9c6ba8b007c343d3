import { ValidationError } from '../errors.ts';
import { describeValue } from './describe-value.ts';

/**
 * Amounts are `bigint` counts of the currency's minor unit (fen for CNY, paise for INR).
 * In JSON an amount is a string of digits with an optional '-'; a JS number is accepted only when it
 * is a safe integer, so no amount ever passes through a float.
 */
const INTEGER_STRING = /^-?\d+$/;

export function parseMinor(value: unknown, path: string): bigint {
  if (typeof value === 'string') {
    if (INTEGER_STRING.test(value)) return BigInt(value);
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return BigInt(value);
  }
  throw new ValidationError(
    `${path} must be a whole number of minor units (digits with an optional '-', or a safe integer), ` +
      `got ${describeValue(value)}`,
    { path, rule: 'integer-minor-units' },
  );
}

export function parseNonNegativeMinor(value: unknown, path: string): bigint {
  const minor = parseMinor(value, path);
  if (minor < 0n) {
    throw new ValidationError(`${path} must not be negative, got ${minor}`, { path, rule: 'non-negative' });
  }
  return minor;
}

export function parsePositiveMinor(value: unknown, path: string): bigint {
  const minor = parseMinor(value, path);
  if (minor <= 0n) {
    throw new ValidationError(`${path} must be greater than zero, got ${minor}`, { path, rule: 'positive' });
  }
  return minor;
}

/**
 * a + b, returning the other operand itself when one is zero: every bigint sum allocates, and most
 * components of a payment are zero, so hot sums of amounts go through here.
 */
export function plus(a: bigint, b: bigint): bigint {
  return a === 0n ? b : b === 0n ? a : a + b;
}

/** The JSON form of an amount: a decimal string of minor units. */
export function formatMinor(minor: bigint): string {
  return minor.toString();
}

export interface Currency {
  readonly code: CurrencyCode;
  /** Digits of the minor unit: 2 means 100 minor units to one major unit. */
  readonly minorDigits: number;
}

export type CurrencyCode = 'CNY' | 'INR';

export const CURRENCIES: Readonly<Record<CurrencyCode, Currency>> = Object.freeze({
  CNY: Object.freeze({ code: 'CNY', minorDigits: 2 }),
  INR: Object.freeze({ code: 'INR', minorDigits: 2 }),
});

export function isCurrencyCode(code: unknown): code is CurrencyCode {
  return typeof code === 'string' && Object.hasOwn(CURRENCIES, code);
}

export function assertCurrency(code: unknown, path: string): asserts code is CurrencyCode {
  if (!isCurrencyCode(code)) {
    const known = Object.keys(CURRENCIES).join(', ');
    throw new ValidationError(`${path} must be one of ${known}, got ${describeValue(code)}`, { path, rule: 'currency' });
  }
}

/** Major units with the currency's digits, for statements and files: 123456n CNY -> '1234.56'. */
export function formatMajor(minor: bigint, currency: CurrencyCode): string {
  const digits = CURRENCIES[currency].minorDigits;
  const sign = minor < 0n ? '-' : '';
  const magnitude = (minor < 0n ? -minor : minor).toString();
  if (digits === 0) return sign + magnitude;
  const padded = magnitude.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}
