import type { RoundingMode } from './rounding.ts';
import { parseRoundingMode } from './rounding.ts';

/**
 * Plain numbers for the hot arithmetic of amounts: whole numbers below EXACT_NUMBER_LIMIT multiply,
 * add and divide exactly in a double. A number path keeps every intermediate under the limit and
 * falls back to bigint otherwise, so its results are the bigint results to the minor unit.
 */
export const EXACT_NUMBER_LIMIT = 2 ** 52;

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

/**
 * A whole number (from a number path, so exact) as a bigint amount. BigInt() of a 32-bit integer
 * is about twice as fast as of a double, and most amounts of one payment fit in one.
 */
export function bigintOf(value: number): bigint {
  if (value === 0) return 0n;
  return value <= INT32_MAX && value >= INT32_MIN ? BigInt(value | 0) : BigInt(value);
}

/**
 * `divRound` on plain numbers, with the same result, for whole numbers with numerator >= 0,
 * denominator > 0 and numerator + denominator below 2^53 (true when both are below
 * EXACT_NUMBER_LIMIT): every product and difference below is then exact.
 */
export function divRoundSmall(numerator: number, denominator: number, mode: RoundingMode): number {
  if (mode !== 'HALF_UP' && mode !== 'HALF_EVEN' && mode !== 'DOWN') parseRoundingMode(mode, 'mode');
  // The double quotient is within half a unit of the exact one: its floor is off by one at most.
  let quotient = Math.floor(numerator / denominator);
  let remainder = numerator - quotient * denominator;
  if (remainder < 0) {
    quotient -= 1;
    remainder += denominator;
  } else if (remainder >= denominator) {
    quotient += 1;
    remainder -= denominator;
  }
  if (remainder === 0 || mode === 'DOWN') return quotient;
  const twice = 2 * remainder;
  if (twice > denominator) return quotient + 1;
  if (twice < denominator) return quotient;
  if (mode === 'HALF_UP') return quotient + 1;
  return quotient % 2 === 0 ? quotient : quotient + 1; // HALF_EVEN
}
