import { Decimal as DecimalJs } from 'decimal.js';
import { ValidationError } from '../errors.ts';
import { describeValue } from './describe-value.ts';

/**
 * The product's exact decimal: 50 significant digits for intermediate results, plain notation in
 * `toString()` for any value a rate or ratio can take. Build instances from strings (or values parsed
 * with `parseDecimal`, `parseRate`, `parseRatio`), never from fractional JS numbers. Amounts are not
 * Decimals: they stay `bigint` minor units, and a Decimal becomes an amount only through
 * `roundDecimalToMinor` or `applyRate` with an explicit rounding mode.
 */
export const Decimal = DecimalJs.clone({
  precision: 50,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -100,
  toExpPos: 100,
  modulo: DecimalJs.ROUND_DOWN,
  crypto: false,
});
export type Decimal = DecimalJs;

/** Plain decimal notation only: optional '-', digits, optionally '.' and digits. No '+', no exponent. */
const DECIMAL_STRING = /^-?\d+(?:\.\d+)?$/;

/** A signed exact decimal from a JSON string like '0.0365', or from a JS number that is a safe integer. */
export function parseDecimal(value: unknown, path: string): Decimal {
  if (typeof value === 'string') {
    if (DECIMAL_STRING.test(value)) return new Decimal(value);
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return new Decimal(value === 0 ? '0' : String(value));
  }
  throw new ValidationError(
    `${path} must be a decimal string such as "0.0365" (no exponent, no '+') or a safe integer, ` +
      `got ${describeValue(value)}`,
    { path, rule: 'decimal-format' },
  );
}

/** A rate (annual interest, penalty multiplier, fee rate): an exact decimal, zero or more. */
export function parseRate(value: unknown, path: string): Decimal {
  const rate = parseDecimal(value, path);
  if (rate.isNegative() && !rate.isZero()) {
    throw new ValidationError(`${path} must not be negative, got ${rate.toString()}`, { path, rule: 'non-negative' });
  }
  return rate;
}

/** A ratio (a share, a percentage as a fraction): an exact decimal from 0 to 1 inclusive. */
export function parseRatio(value: unknown, path: string): Decimal {
  const ratio = parseDecimal(value, path);
  if ((ratio.isNegative() && !ratio.isZero()) || ratio.greaterThan(1)) {
    throw new ValidationError(`${path} must be from 0 to 1 inclusive, got ${ratio.toString()}`, {
      path,
      rule: 'ratio-range',
    });
  }
  return ratio;
}

export interface ExactFraction {
  readonly numerator: bigint;
  /** Always a positive power of ten (not reduced). */
  readonly denominator: bigint;
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

/** The exact value of a finite decimal as numerator / 10^k, so amounts can be multiplied by it in bigint. */
export function toExactFraction(value: Decimal): ExactFraction {
  if (!value.isFinite()) {
    throw new ValidationError(`a decimal must be finite, got ${value.toString()}`, { path: 'decimal', rule: 'finite' });
  }
  const match = DECIMAL_TEXT.exec(value.toString());
  if (match === null) {
    throw new ValidationError(`unreadable decimal ${value.toString()}`, { path: 'decimal', rule: 'decimal-format' });
  }
  const [, sign = '', whole = '0', fraction = '', exponentText = '0'] = match;
  let numerator = BigInt(whole + fraction);
  let scale = fraction.length - Number(exponentText);
  if (scale < 0) {
    numerator *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { numerator: sign === '-' ? -numerator : numerator, denominator: 10n ** BigInt(scale) };
}
