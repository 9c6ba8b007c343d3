import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bigintOf, divRoundSmall, EXACT_NUMBER_LIMIT } from '../../../../../shared/domain/money/exact-number.ts';
import { ROUNDING_MODES, divRound } from '../../../../../shared/domain/money/index.ts';
import { expectValidation } from './expect-domain-error.ts';

const LIMIT = BigInt(EXACT_NUMBER_LIMIT);

/** Whole numbers below the limit: small ones, ones near a power of two, and ones near the limit. */
const below = (min: bigint): fc.Arbitrary<bigint> =>
  fc.oneof(
    fc.bigInt({ min, max: 1000n }),
    fc.bigInt({ min, max: 10n ** 9n }),
    fc.bigInt({ min: 0n, max: 1n << 31n }).map((v) => (v < min ? min : v)),
    fc.bigInt({ min: LIMIT - 1000n, max: LIMIT - 1n }),
    fc.bigInt({ min, max: LIMIT - 1n }),
  );

describe('divRoundSmall', () => {
  it('equals divRound in bigint for every mode, below the limit', () => {
    fc.assert(
      fc.property(below(0n), below(1n), fc.constantFrom(...ROUNDING_MODES), (numerator, denominator, mode) => {
        expect(BigInt(divRoundSmall(Number(numerator), Number(denominator), mode))).toBe(divRound(numerator, denominator, mode));
      }),
      { numRuns: 2000 },
    );
  });

  it('rounds ties by mode', () => {
    expect([divRoundSmall(5, 2, 'HALF_UP'), divRoundSmall(5, 2, 'HALF_EVEN'), divRoundSmall(5, 2, 'DOWN')]).toEqual([3, 2, 2]);
    expect([divRoundSmall(7, 2, 'HALF_UP'), divRoundSmall(7, 2, 'HALF_EVEN'), divRoundSmall(7, 2, 'DOWN')]).toEqual([4, 4, 3]);
    expect(divRoundSmall(0, 7, 'HALF_UP')).toBe(0);
  });

  it('refuses an unknown rounding mode as divRound does', () => {
    expectValidation(() => divRoundSmall(5, 2, 'UP' as never), 'mode', 'rounding-mode');
  });
});

describe('bigintOf', () => {
  it('is BigInt() of any whole number below the limit, in and beyond 32 bits', () => {
    fc.assert(
      fc.property(below(0n), fc.boolean(), (value, negative) => {
        const signed = negative ? -value : value;
        expect(bigintOf(Number(signed))).toBe(signed);
      }),
      { numRuns: 2000 },
    );
    expect([bigintOf(0x7fffffff), bigintOf(0x80000000), bigintOf(-0x80000000), bigintOf(-0x80000001)]).toEqual([
      0x7fffffffn,
      0x80000000n,
      -0x80000000n,
      -0x80000001n,
    ]);
  });
});
