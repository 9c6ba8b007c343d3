import { invariant, ValidationError } from '../errors.ts';
import type { Decimal } from './decimal.ts';
import { toExactFraction } from './decimal.ts';
import { describeValue } from './describe-value.ts';

/**
 * How an exact value becomes a whole number of minor units, symmetric around zero:
 * - HALF_UP: to the nearest, a tie away from zero (2.5 -> 3, -2.5 -> -3);
 * - HALF_EVEN: to the nearest, a tie to the even neighbour (2.5 -> 2, 3.5 -> 4, -2.5 -> -2);
 * - DOWN: toward zero (2.9 -> 2, -2.9 -> -2).
 */
export type RoundingMode = 'HALF_UP' | 'HALF_EVEN' | 'DOWN';

export const ROUNDING_MODES: readonly RoundingMode[] = ['HALF_UP', 'HALF_EVEN', 'DOWN'];

export function parseRoundingMode(value: unknown, path: string): RoundingMode {
  if (value === 'HALF_UP' || value === 'HALF_EVEN' || value === 'DOWN') return value;
  throw new ValidationError(`${path} must be one of ${ROUNDING_MODES.join(', ')}, got ${describeValue(value)}`, {
    path,
    rule: 'rounding-mode',
  });
}

/** numerator / denominator rounded with `mode`, exactly, for a positive denominator. */
export function divRound(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (!(denominator > 0n)) invariant(false, 'divRound needs a positive denominator', { denominator: String(denominator) });
  if (mode !== 'HALF_UP' && mode !== 'HALF_EVEN' && mode !== 'DOWN') parseRoundingMode(mode, 'mode');
  const quotient = numerator / denominator; // bigint division truncates toward zero
  const remainder = numerator % denominator; // carries the sign of the numerator
  if (remainder === 0n || mode === 'DOWN') return quotient;
  const away = numerator < 0n ? quotient - 1n : quotient + 1n;
  const twice = remainder < 0n ? -2n * remainder : 2n * remainder;
  if (twice > denominator) return away;
  if (twice < denominator) return quotient;
  if (mode === 'HALF_UP') return away;
  return quotient % 2n === 0n ? quotient : away; // HALF_EVEN
}

/** A decimal number of minor units (for instance 1234.5 fen) rounded to whole minor units. */
export function roundDecimalToMinor(value: Decimal, mode: RoundingMode): bigint {
  const { numerator, denominator } = toExactFraction(value);
  return divRound(numerator, denominator, mode);
}

/** amountMinor x rate, rounded once with `mode` (a fee rate on an amount, a share of an amount). */
export function applyRate(amountMinor: bigint, rate: Decimal, mode: RoundingMode): bigint {
  const { numerator, denominator } = toExactFraction(rate);
  return divRound(amountMinor * numerator, denominator, mode);
}
