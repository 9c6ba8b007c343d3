import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { InvariantViolation, RuleViolation } from '../../../../../shared/domain/errors.ts';
import type { RemainderRule, RoundingMode, SplitPart } from '../../../../../shared/domain/money/index.ts';
import { ROUNDING_MODES, divRound, split, splitAmounts } from '../../../../../shared/domain/money/index.ts';
import { NO_CAP, splitAmountsInBigint, splitWholeNumbers } from '../../../../../shared/domain/money/split.ts';
import { expectDomainError, expectValidation } from './expect-domain-error.ts';
import { propertyRuns } from '../../../../support/property-runs.ts';

const LARGEST_REMAINDER: RemainderRule = { kind: 'LARGEST_REMAINDER' };
const toLead = (mode: RoundingMode, party = 'LEAD'): RemainderRule => ({ kind: 'ROUNDING_PARTY', party, mode });

function asObject(result: Map<string, bigint>): Record<string, bigint> {
  return Object.fromEntries(result);
}

/** LEAD 30%, BANK-A 50%, BANK-B 20% of the outstanding principal. */
const THREE_LENDERS: readonly SplitPart[] = [
  { id: 'LEAD', weight: 3_000_000n, priority: 0 },
  { id: 'BANK-A', weight: 5_000_000n, priority: 1 },
  { id: 'BANK-B', weight: 2_000_000n, priority: 2 },
];

describe('split: ROUNDING_PARTY', () => {
  it('rounds the other lenders and gives the rest to the lead', () => {
    // 1,000,001 fen: exact LEAD 300000.3, BANK-A 500000.5, BANK-B 200000.2
    // HALF_UP: BANK-A 500001, BANK-B 200000, LEAD 1000001 - 700001 = 300000
    expect(asObject(split(1_000_001n, THREE_LENDERS, toLead('HALF_UP')))).toEqual({
      LEAD: 300_000n,
      'BANK-A': 500_001n,
      'BANK-B': 200_000n,
    });
    // HALF_EVEN: BANK-A's tie goes to the even 500000, LEAD 1000001 - 700000 = 300001
    expect(asObject(split(1_000_001n, THREE_LENDERS, toLead('HALF_EVEN')))).toEqual({
      LEAD: 300_001n,
      'BANK-A': 500_000n,
      'BANK-B': 200_000n,
    });
    // DOWN: 500000 and 200000, LEAD 300001
    expect(asObject(split(1_000_001n, THREE_LENDERS, toLead('DOWN')))).toEqual({
      LEAD: 300_001n,
      'BANK-A': 500_000n,
      'BANK-B': 200_000n,
    });
  });

  it('splits 1 fen among three equal lenders: the lead takes it', () => {
    const equal: SplitPart[] = [
      { id: 'LEAD', weight: 1n, priority: 0 },
      { id: 'BANK-A', weight: 1n, priority: 1 },
      { id: 'BANK-B', weight: 1n, priority: 2 },
    ];
    // each exact share is 1/3 fen: the others round to 0, the lead takes 1
    for (const mode of ROUNDING_MODES) {
      expect(asObject(split(1n, equal, toLead(mode)))).toEqual({ LEAD: 1n, 'BANK-A': 0n, 'BANK-B': 0n });
    }
  });

  it('splits 1 fen 30/50/20 by mode', () => {
    // exact LEAD 0.3, BANK-A 0.5, BANK-B 0.2
    expect(asObject(split(1n, THREE_LENDERS, toLead('HALF_UP')))).toEqual({ LEAD: 0n, 'BANK-A': 1n, 'BANK-B': 0n });
    expect(asObject(split(1n, THREE_LENDERS, toLead('HALF_EVEN')))).toEqual({ LEAD: 1n, 'BANK-A': 0n, 'BANK-B': 0n });
    expect(asObject(split(1n, THREE_LENDERS, toLead('DOWN')))).toEqual({ LEAD: 1n, 'BANK-A': 0n, 'BANK-B': 0n });
  });

  it('shows HALF_UP, HALF_EVEN and DOWN on 1.5 fen shares', () => {
    const parts: SplitPart[] = [
      { id: 'LEAD', weight: 2n, priority: 0 },
      { id: 'A', weight: 1n, priority: 1 },
      { id: 'B', weight: 1n, priority: 2 },
    ];
    // 6 fen: exact LEAD 3, A 1.5, B 1.5
    expect(asObject(split(6n, parts, toLead('HALF_UP')))).toEqual({ LEAD: 2n, A: 2n, B: 2n });
    expect(asObject(split(6n, parts, toLead('HALF_EVEN')))).toEqual({ LEAD: 2n, A: 2n, B: 2n });
    expect(asObject(split(6n, parts, toLead('DOWN')))).toEqual({ LEAD: 4n, A: 1n, B: 1n });
    // 10 fen: exact LEAD 5, A 2.5, B 2.5
    expect(asObject(split(10n, parts, toLead('HALF_UP')))).toEqual({ LEAD: 4n, A: 3n, B: 3n });
    expect(asObject(split(10n, parts, toLead('HALF_EVEN')))).toEqual({ LEAD: 6n, A: 2n, B: 2n });
    expect(asObject(split(10n, parts, toLead('DOWN')))).toEqual({ LEAD: 6n, A: 2n, B: 2n });
  });

  it('without a named party uses the largest weight, then the lower priority, then the lower id', () => {
    // 1 fen, exact 0.3 / 0.5 / 0.2: the party is BANK-A (largest weight), the others round to 0
    expect(asObject(split(1n, THREE_LENDERS, { kind: 'ROUNDING_PARTY', mode: 'DOWN' }))).toEqual({
      LEAD: 0n,
      'BANK-A': 1n,
      'BANK-B': 0n,
    });
    const tied: SplitPart[] = [
      { id: 'Z', weight: 5n, priority: 1 },
      { id: 'Y', weight: 5n, priority: 2 },
      { id: 'X', weight: 1n, priority: 0 },
    ];
    expect(asObject(split(1n, tied, { kind: 'ROUNDING_PARTY', mode: 'DOWN' }))).toEqual({ Z: 1n, Y: 0n, X: 0n });
    const tiedPriority: SplitPart[] = [
      { id: 'N', weight: 5n, priority: 1 },
      { id: 'M', weight: 5n, priority: 1 },
    ];
    expect(asObject(split(1n, tiedPriority, { kind: 'ROUNDING_PARTY', mode: 'DOWN' }))).toEqual({ N: 0n, M: 1n });
  });

  it('falls back from a named party of weight 0', () => {
    const parts: SplitPart[] = [
      { id: 'LEAD', weight: 0n, priority: 0 },
      { id: 'A', weight: 2n, priority: 1 },
      { id: 'B', weight: 1n, priority: 2 },
    ];
    // 1 fen: exact A 0.667, B 0.333; the party falls back to A
    expect(asObject(split(1n, parts, toLead('DOWN')))).toEqual({ LEAD: 0n, A: 1n, B: 0n });
  });

  it('refuses a named party that is not a part', () => {
    expectValidation(() => split(10n, THREE_LENDERS, toLead('HALF_UP', 'GHOST')), 'rule.party', 'known-party');
  });

  it('never lets the party go negative: rounded-up parts give back, last in tie-break order first', () => {
    const four: SplitPart[] = ['A', 'B', 'C', 'D'].map((id) => ({ id, weight: 1n, priority: 0 }));
    // 2 fen: each exact share 0.5; B, C and D round up to 1 = 3 > 2, so A gets 0
    // and one unit comes back from the highest id among the tied rounded-up parts, D.
    expect(asObject(split(2n, four, toLead('HALF_UP', 'A')))).toEqual({ A: 0n, B: 1n, C: 1n, D: 0n });
    const prioritised: SplitPart[] = [
      { id: 'A', weight: 1n, priority: 0 },
      { id: 'B', weight: 1n, priority: 9 },
      { id: 'C', weight: 1n, priority: 1 },
      { id: 'D', weight: 1n, priority: 1 },
    ];
    // the same, but B has the highest priority number, so B gives back
    expect(asObject(split(2n, prioritised, toLead('HALF_UP', 'A')))).toEqual({ A: 0n, B: 0n, C: 1n, D: 1n });
  });
});

describe('split: LARGEST_REMAINDER', () => {
  it('floors and hands leftover units to the largest remainders', () => {
    // 1,000,001 fen: floors 300000 / 500000 / 200000, 1 unit left, remainders .3 / .5 / .2 -> BANK-A
    expect(asObject(split(1_000_001n, THREE_LENDERS, LARGEST_REMAINDER))).toEqual({
      LEAD: 300_000n,
      'BANK-A': 500_001n,
      'BANK-B': 200_000n,
    });
    // 1,000,009 fen: exact 300002.7 / 500004.5 / 200001.8; floors leave 2 units -> LEAD (.7), BANK-B (.8)
    expect(asObject(split(1_000_009n, THREE_LENDERS, LARGEST_REMAINDER))).toEqual({
      LEAD: 300_003n,
      'BANK-A': 500_004n,
      'BANK-B': 200_002n,
    });
  });

  it('splits 1 fen among three equal lenders by priority', () => {
    const equal: SplitPart[] = [
      { id: 'BANK-B', weight: 1n, priority: 2 },
      { id: 'BANK-A', weight: 1n, priority: 1 },
      { id: 'LEAD', weight: 1n, priority: 0 },
    ];
    expect(asObject(split(1n, equal, LARGEST_REMAINDER))).toEqual({ LEAD: 1n, 'BANK-A': 0n, 'BANK-B': 0n });
    // 2 fen: LEAD then BANK-A
    expect(asObject(split(2n, equal, LARGEST_REMAINDER))).toEqual({ LEAD: 1n, 'BANK-A': 1n, 'BANK-B': 0n });
  });

  it('breaks a remainder tie by priority, then by id', () => {
    const parts: SplitPart[] = [
      { id: 'b', weight: 1n, priority: 1 },
      { id: 'a', weight: 1n, priority: 1 },
      { id: 'c', weight: 1n, priority: 0 },
    ];
    // each exact share is 1/3: c wins on priority, then a beats b on id
    expect(asObject(split(1n, parts, LARGEST_REMAINDER))).toEqual({ a: 0n, b: 0n, c: 1n });
    expect(asObject(split(2n, parts, LARGEST_REMAINDER))).toEqual({ a: 1n, b: 0n, c: 1n });
    // 4 fen: floors 1 each, one unit left, again c
    expect(asObject(split(4n, parts, LARGEST_REMAINDER))).toEqual({ a: 1n, b: 1n, c: 2n });
  });

  it('compares ids by code units, not by locale', () => {
    const parts: SplitPart[] = [
      { id: 'a', weight: 1n, priority: 0 },
      { id: 'B', weight: 1n, priority: 0 },
    ];
    // 'B' (66) sorts before 'a' (97)
    expect(asObject(split(1n, parts, LARGEST_REMAINDER))).toEqual({ a: 0n, B: 1n });
  });
});

describe('split: caps', () => {
  it('gives a part its cap when its exact share reaches it and re-splits the rest', () => {
    const parts: SplitPart[] = [
      { id: 'A', weight: 1n, priority: 0, cap: 10n },
      { id: 'B', weight: 1n, priority: 1 },
      { id: 'C', weight: 2n, priority: 2 },
    ];
    // 100 fen: A's exact share 25 exceeds its cap 10; the other 90 go 1:2 to B and C -> 30 and 60
    expect(asObject(split(100n, parts, LARGEST_REMAINDER))).toEqual({ A: 10n, B: 30n, C: 60n });
    expect(asObject(split(100n, parts, toLead('HALF_UP', 'C')))).toEqual({ A: 10n, B: 30n, C: 60n });
  });

  it('repeats until no exact share exceeds a cap', () => {
    const parts: SplitPart[] = [
      { id: 'A', weight: 1n, priority: 0, cap: 10n },
      { id: 'B', weight: 1n, priority: 1, cap: 40n },
      { id: 'C', weight: 1n, priority: 2 },
    ];
    // 120 fen: 40 each, A capped at 10; then 110 over B and C = 55 each, B capped at 40; C gets 70
    expect(asObject(split(120n, parts, LARGEST_REMAINDER))).toEqual({ A: 10n, B: 40n, C: 70n });
  });

  it('moves the excess the rounding party cannot hold to the best remainder with headroom', () => {
    // outstanding principal LEAD 100, A 201, B 300 fen (W = 601), repayment of 600 fen, DOWN:
    // exact A 600 x 201 / 601 = 200.666 -> 200, B 600 x 300 / 601 = 299.501 -> 299,
    // LEAD would take 600 - 499 = 101 > its 100 outstanding: the extra fen goes to A (remainder .666 > .501)
    const outstanding: SplitPart[] = [
      { id: 'LEAD', weight: 100n, priority: 0, cap: 100n },
      { id: 'A', weight: 201n, priority: 1, cap: 201n },
      { id: 'B', weight: 300n, priority: 2, cap: 300n },
    ];
    expect(asObject(split(600n, outstanding, toLead('DOWN')))).toEqual({ LEAD: 100n, A: 201n, B: 299n });
  });

  it('breaks the excess tie by priority then id', () => {
    // 1 fen outstanding each, 2 fen repaid, DOWN: A and B get 0 (2/3 each), LEAD would take 2 > 1;
    // the extra fen goes to the lower priority number among the equal remainders: A
    const outstanding: SplitPart[] = [
      { id: 'LEAD', weight: 1n, priority: 0, cap: 1n },
      { id: 'B', weight: 1n, priority: 1, cap: 1n },
      { id: 'A', weight: 1n, priority: 2, cap: 1n },
    ];
    expect(asObject(split(2n, outstanding, toLead('DOWN')))).toEqual({ LEAD: 1n, B: 1n, A: 0n });
    const samePriority = outstanding.map((part) => ({ ...part, priority: 1 }));
    expect(asObject(split(2n, samePriority, toLead('DOWN')))).toEqual({ LEAD: 1n, B: 0n, A: 1n });
  });

  it('pays every part its cap when the total equals the caps', () => {
    const outstanding: SplitPart[] = [
      { id: 'LEAD', weight: 333n, priority: 0, cap: 333n },
      { id: 'A', weight: 333n, priority: 1, cap: 333n },
      { id: 'B', weight: 334n, priority: 2, cap: 334n },
    ];
    for (const rule of [LARGEST_REMAINDER, toLead('HALF_UP'), toLead('DOWN')]) {
      expect(asObject(split(1000n, outstanding, rule))).toEqual({ LEAD: 333n, A: 333n, B: 334n });
    }
  });

  it('moves the rounding party to the largest remaining weight when the named party is at its cap', () => {
    const parts: SplitPart[] = [
      { id: 'LEAD', weight: 5n, priority: 0, cap: 2n },
      { id: 'A', weight: 3n, priority: 1 },
      { id: 'B', weight: 2n, priority: 2 },
    ];
    // 10 fen: LEAD's exact share 5 reaches its cap 2; the other 8 go 3:2 -> A 4.8, B 3.2;
    // A (largest remaining weight) becomes the rounding party: B rounds to 3, A takes 8 - 3 = 5
    expect(asObject(split(10n, parts, toLead('HALF_UP')))).toEqual({ LEAD: 2n, A: 5n, B: 3n });
  });

  it('gives a cap of 0 nothing', () => {
    const parts: SplitPart[] = [
      { id: 'A', weight: 5n, priority: 0, cap: 0n },
      { id: 'B', weight: 5n, priority: 1 },
    ];
    expect(asObject(split(7n, parts, LARGEST_REMAINDER))).toEqual({ A: 0n, B: 7n });
  });

  it('refuses a total above the caps with SPLIT_EXCEEDS_CAPS', () => {
    const parts: SplitPart[] = [
      { id: 'A', weight: 1n, priority: 0, cap: 10n },
      { id: 'B', weight: 1n, priority: 1, cap: 20n },
      { id: 'Z', weight: 0n, priority: 2, cap: 1000n }, // weight 0: its cap adds nothing
    ];
    const error = expectDomainError(() => split(31n, parts, LARGEST_REMAINDER), RuleViolation, 'SPLIT_EXCEEDS_CAPS');
    expect(error.details).toEqual({ total: '31', capacity: '30' });
    expect(asObject(split(30n, parts, LARGEST_REMAINDER))).toEqual({ A: 10n, B: 20n, Z: 0n });
  });
});

describe('split: edges and refusals', () => {
  it('gives weight-0 parts nothing and lists every id', () => {
    const parts: SplitPart[] = [
      { id: 'A', weight: 0n, priority: 0 },
      { id: 'B', weight: 3n, priority: 1 },
      { id: 'C', weight: 0n, priority: 2 },
    ];
    expect(asObject(split(7n, parts, LARGEST_REMAINDER))).toEqual({ A: 0n, B: 7n, C: 0n });
    expect(asObject(split(7n, parts, toLead('HALF_UP', 'A')))).toEqual({ A: 0n, B: 7n, C: 0n });
  });

  it('splits zero as zeros, even with no positive weight', () => {
    const zeros: SplitPart[] = [
      { id: 'A', weight: 0n, priority: 0 },
      { id: 'B', weight: 0n, priority: 1 },
    ];
    expect(asObject(split(0n, zeros, LARGEST_REMAINDER))).toEqual({ A: 0n, B: 0n });
    expect(split(0n, [], LARGEST_REMAINDER).size).toBe(0);
  });

  it('refuses bad totals, weights, caps, priorities and ids with a path', () => {
    const one: SplitPart[] = [{ id: 'A', weight: 1n, priority: 0 }];
    expectValidation(() => split(-1n, one, LARGEST_REMAINDER), 'total', 'non-negative');
    expectValidation(() => split(5 as unknown as bigint, one, LARGEST_REMAINDER), 'total', 'non-negative');
    expectValidation(() => split(5n, [{ id: 'A', weight: -1n, priority: 0 }], LARGEST_REMAINDER), 'parts[0].weight');
    expectValidation(
      () => split(5n, [{ id: 'A', weight: 1 as unknown as bigint, priority: 0 }], LARGEST_REMAINDER),
      'parts[0].weight',
    );
    expectValidation(() => split(5n, [{ id: 'A', weight: 1n, priority: 0, cap: -1n }], LARGEST_REMAINDER), 'parts[0].cap');
    expectValidation(() => split(5n, [{ id: 'A', weight: 1n, priority: NaN }], LARGEST_REMAINDER), 'parts[0].priority');
    expectValidation(() => split(5n, [{ id: '', weight: 1n, priority: 0 }], LARGEST_REMAINDER), 'parts[0].id');
    expectValidation(
      () =>
        split(
          5n,
          [
            { id: 'A', weight: 1n, priority: 0 },
            { id: 'A', weight: 2n, priority: 1 },
          ],
          LARGEST_REMAINDER,
        ),
      'parts[1].id',
      'unique-id',
    );
    expectValidation(() => split(5n, [{ id: 'A', weight: 0n, priority: 0 }], LARGEST_REMAINDER), 'parts', 'positive-weight');
    expectValidation(() => split(5n, [], LARGEST_REMAINDER), 'parts', 'positive-weight');
    expectValidation(
      () => split(5n, one, { kind: 'ROUNDING_PARTY', mode: 'UP' as RoundingMode }),
      'rule.mode',
      'rounding-mode',
    );
    expectValidation(() => split(5n, one, { kind: 'PRO_RATA' } as unknown as RemainderRule), 'rule.kind', 'remainder-rule');
  });

  it('is not the source of invariant failures for valid input', () => {
    expect(() => split(10n ** 13n, THREE_LENDERS, toLead('HALF_UP'))).not.toThrow(InvariantViolation);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const weightArb = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 10n }),
  fc.bigInt({ min: 1n, max: 10n ** 13n }),
);
const totalArb = fc.oneof(fc.bigInt({ min: 0n, max: 100n }), fc.bigInt({ min: 0n, max: 10n ** 13n }));
const modeArb = fc.constantFrom<RoundingMode>(...ROUNDING_MODES);

/** 1 to 20 parts with unique ids, small priorities (to force ties) and at least one positive weight. */
const partsArb = fc
  .uniqueArray(
    fc.record({ id: fc.string({ minLength: 1, maxLength: 4 }), weight: weightArb, priority: fc.integer({ min: 0, max: 3 }) }),
    { minLength: 1, maxLength: 20, selector: (part) => part.id },
  )
  .map((parts): SplitPart[] =>
    parts.some((part) => part.weight > 0n) ? parts : parts.map((part, i) => (i === 0 ? { ...part, weight: 1n } : part)),
  );

function ruleArb(parts: readonly SplitPart[]): fc.Arbitrary<RemainderRule> {
  return fc.oneof(
    fc.constant<RemainderRule>(LARGEST_REMAINDER),
    modeArb.map((mode): RemainderRule => ({ kind: 'ROUNDING_PARTY', mode })),
    fc.tuple(fc.constantFrom(...parts.map((part) => part.id)), modeArb).map(
      ([party, mode]): RemainderRule => ({ kind: 'ROUNDING_PARTY', party, mode }),
    ),
  );
}

interface Scenario {
  readonly total: bigint;
  readonly parts: readonly SplitPart[];
  readonly rule: RemainderRule;
  readonly shuffled: readonly SplitPart[];
}

function scenarioArb(parts: fc.Arbitrary<SplitPart[]>, total: (parts: SplitPart[]) => fc.Arbitrary<bigint>): fc.Arbitrary<Scenario> {
  return parts.chain((ps) =>
    fc.record({
      total: total(ps),
      parts: fc.constant(ps),
      rule: ruleArb(ps),
      shuffled: fc.shuffledSubarray(ps, { minLength: ps.length, maxLength: ps.length }),
    }),
  );
}

const uncapped = scenarioArb(partsArb, () => totalArb);

/** Parts with outstanding principal as both weight and cap, and a repayment of at most the total outstanding. */
const outstanding = scenarioArb(
  partsArb.map((parts) => parts.map((part) => ({ ...part, cap: part.weight }))),
  (parts) => fc.bigInt({ min: 0n, max: parts.reduce((sum, part) => sum + part.weight, 0n) }),
);

/** Parts with arbitrary caps (some absent); the total may exceed what the caps allow. */
const randomCaps = scenarioArb(
  partsArb.chain((parts) =>
    fc.tuple(...parts.map((part) => fc.option(fc.bigInt({ min: 0n, max: 10n ** 13n }), { nil: undefined }).map((cap) => ({ ...part, cap })))),
  ),
  () => totalArb,
);

function weightOf(parts: readonly SplitPart[]): bigint {
  return parts.reduce((sum, part) => sum + part.weight, 0n);
}

function capacityOf(parts: readonly SplitPart[]): bigint | undefined {
  let capacity = 0n;
  for (const part of parts) {
    if (part.weight === 0n) continue;
    if (part.cap === undefined) return undefined;
    capacity += part.cap;
  }
  return capacity;
}

function expectWellFormed(result: Map<string, bigint>, total: bigint, parts: readonly SplitPart[]): void {
  expect(result.size).toBe(parts.length);
  let sum = 0n;
  for (const part of parts) {
    const amount = result.get(part.id);
    expect(amount).toBeDefined();
    expect(amount! >= 0n).toBe(true);
    if (part.weight === 0n) expect(amount).toBe(0n);
    if (part.cap !== undefined) expect(amount! <= part.cap).toBe(true);
    sum += amount!;
  }
  expect(sum).toBe(total);
}

/** The rounding party as documented, computed independently by sorting. */
function expectedParty(parts: readonly SplitPart[], named: string | undefined): string {
  const namedPart = parts.find((part) => part.id === named);
  if (namedPart !== undefined && namedPart.weight > 0n) return namedPart.id;
  const ranked = [...parts]
    .filter((part) => part.weight > 0n)
    .sort((a, b) =>
      a.weight !== b.weight ? (a.weight > b.weight ? -1 : 1) : a.priority !== b.priority ? a.priority - b.priority : a.id < b.id ? -1 : 1,
    );
  return ranked[0]!.id;
}

describe('split: properties', () => {
  it('sums to the total, never negative, weight 0 gets 0, every id present (1-20 parts, totals to 10^13)', () => {
    fc.assert(
      fc.property(uncapped, ({ total, parts, rule }) => {
        expectWellFormed(split(total, parts, rule), total, parts);
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('does not depend on the order of the parts and is repeatable', () => {
    for (const scenarios of [uncapped, outstanding]) {
      fc.assert(
        fc.property(scenarios, ({ total, parts, rule, shuffled }) => {
          const first = asObject(split(total, parts, rule));
          expect(asObject(split(total, shuffled, rule))).toEqual(first);
          expect(asObject(split(total, parts, rule))).toEqual(first);
        }),
        { numRuns: propertyRuns(300) },
      );
    }
  });

  it('LARGEST_REMAINDER: every part is within one unit of its exact share', () => {
    fc.assert(
      fc.property(uncapped, ({ total, parts }) => {
        const result = split(total, parts, LARGEST_REMAINDER);
        const weight = weightOf(parts);
        for (const part of parts) {
          // |amount - total x w / W| < 1  <=>  |amount x W - total x w| < W
          const gap = result.get(part.id)! * weight - total * part.weight;
          expect((gap < 0n ? -gap : gap) < weight).toBe(true);
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('ROUNDING_PARTY: the other parts get exactly their rounded share while the party can absorb the rest', () => {
    const roundingParty = uncapped.filter(({ rule }) => rule.kind === 'ROUNDING_PARTY');
    fc.assert(
      fc.property(roundingParty, ({ total, parts, rule }) => {
        if (rule.kind !== 'ROUNDING_PARTY') return;
        const result = split(total, parts, rule);
        const weight = weightOf(parts);
        const party = expectedParty(parts, rule.party);
        const rounded = new Map(parts.map((part) => [part.id, divRound(total * part.weight, weight, rule.mode)]));
        const othersRounded = parts.reduce((sum, part) => (part.id === party ? sum : sum + rounded.get(part.id)!), 0n);
        if (othersRounded <= total) {
          for (const part of parts) {
            if (part.id !== party) expect(result.get(part.id)).toBe(rounded.get(part.id));
          }
          expect(result.get(party)).toBe(total - othersRounded);
        } else {
          // rounding up overshot: the party gets nothing and every other part is its floor or ceiling
          expect(result.get(party)).toBe(0n);
          for (const part of parts) {
            const floor = (total * part.weight) / weight;
            const amount = result.get(part.id)!;
            if (part.id !== party) expect(amount === floor || amount === floor + 1n).toBe(true);
          }
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('never pays a lender more principal than it has outstanding', () => {
    fc.assert(
      fc.property(outstanding, ({ total, parts, rule }) => {
        const result = split(total, parts, rule);
        expectWellFormed(result, total, parts);
        if (rule.kind === 'LARGEST_REMAINDER') {
          const weight = weightOf(parts);
          for (const part of parts) {
            const gap = result.get(part.id)! * weight - total * part.weight;
            expect((gap < 0n ? -gap : gap) < weight).toBe(true);
          }
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('respects arbitrary caps or refuses a total above them', () => {
    fc.assert(
      fc.property(randomCaps, ({ total, parts, rule, shuffled }) => {
        const capacity = capacityOf(parts);
        if (capacity !== undefined && total > capacity) {
          expectDomainError(() => split(total, parts, rule), RuleViolation, 'SPLIT_EXCEEDS_CAPS');
          return;
        }
        const result = split(total, parts, rule);
        expectWellFormed(result, total, parts);
        expect(asObject(split(total, shuffled, rule))).toEqual(asObject(result));
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});

describe('split: the number path', () => {
  /** Amounts from a fen to beyond what a double holds exactly, so both paths and the switch between them occur. */
  const amount = fc.oneof(
    fc.bigInt({ min: 0n, max: 10n }),
    fc.bigInt({ min: 0n, max: 10_000_000n }),
    fc.bigInt({ min: 0n, max: 1n << 26n }),
    fc.bigInt({ min: (1n << 26n) - 5000n, max: (1n << 26n) + 5000n }),
    fc.bigInt({ min: 0n, max: 1n << 60n }),
  );
  const rule: fc.Arbitrary<RemainderRule> = fc.oneof(
    fc.constant(LARGEST_REMAINDER),
    fc.record({
      kind: fc.constant('ROUNDING_PARTY' as const),
      mode: fc.constantFrom(...ROUNDING_MODES),
      party: fc.constantFrom('A', 'B', 'C', 'D'),
    }),
    fc.record({ kind: fc.constant('ROUNDING_PARTY' as const), mode: fc.constantFrom(...ROUNDING_MODES) }),
  );
  const parts: fc.Arbitrary<SplitPart[]> = fc
    .array(
      fc.record({
        weight: amount,
        priority: fc.integer({ min: 0, max: 2 }),
        cap: fc.option(amount, { nil: undefined }),
        capAtWeight: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    )
    .map((drawn) =>
      drawn.map(({ weight, priority, cap, capAtWeight }, i) => {
        const id = 'ABCD'[i]!;
        const limit = capAtWeight ? weight : cap;
        return limit === undefined ? { id, weight, priority } : { id, weight, priority, cap: limit };
      }),
    );

  function outcome(run: () => bigint[]): unknown {
    try {
      return run();
    } catch (error) {
      return { error: (error as Error).name, message: (error as Error).message };
    }
  }

  it('gives what the bigint computation gives, to the minor unit, or refuses the same way', () => {
    fc.assert(
      fc.property(amount, parts, rule, (total, drawn, remainder) => {
        const known = drawn.some((p) => remainder.kind === 'LARGEST_REMAINDER' || remainder.party === undefined || p.id === remainder.party);
        const usable: RemainderRule = known ? remainder : { kind: 'LARGEST_REMAINDER' };
        expect(outcome(() => splitAmounts(total, drawn, usable))).toEqual(outcome(() => splitAmountsInBigint(total, drawn, usable)));
      }),
      { numRuns: propertyRuns(2000) },
    );
  });

  it('splits a loan of three lenders by outstanding principal as the bigint computation does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 100_000_000n }), { minLength: 3, maxLength: 3 }),
        fc.bigInt({ min: 0n, max: 100_000_000n }),
        rule,
        (outstanding, paid, remainder) => {
          const lenders = outstanding.map((weight, i) => ({ id: 'ABC'[i]!, weight, priority: i, cap: weight }));
          const usable: RemainderRule = remainder.kind === 'ROUNDING_PARTY' && remainder.party === 'D' ? LARGEST_REMAINDER : remainder;
          expect(outcome(() => splitAmounts(paid, lenders, usable))).toEqual(outcome(() => splitAmountsInBigint(paid, lenders, usable)));
        },
      ),
      { numRuns: propertyRuns(1000) },
    );
  });
});

describe('splitWholeNumbers: the number path for callers holding plain numbers', () => {
  function run(total: number, weights: number[], caps: number[], rule: RemainderRule, priorities = weights.map((_, i) => i)): { done: boolean; amounts: number[] } {
    const count = weights.length;
    const amounts = new Float64Array(count + 1).fill(99);
    const parts = {
      ids: weights.map((_, i) => 'ABCDEFGH'[i]!),
      priorities: Float64Array.from(priorities),
      weights: Float64Array.from(weights),
      caps: Float64Array.from(caps),
    };
    const done = splitWholeNumbers(total, count, parts, rule, amounts);
    return { done, amounts: [...amounts] };
  }
  const none = (count: number): number[] => new Array<number>(count).fill(NO_CAP);

  it('splits a simple split itself, writing every amount', () => {
    // 10 over 1:1:1: floors 3 each, the leftover unit to the lowest priority number
    expect(run(10, [1, 1, 1], none(3), LARGEST_REMAINDER)).toEqual({ done: true, amounts: [4, 3, 3, 99] });
    // 10 over 2:1:1, B the rounding party: A 5, C 2.5 -> 3, B 2
    expect(run(10, [2, 1, 1], none(3), toLead('HALF_UP', 'B'))).toEqual({ done: true, amounts: [5, 2, 3, 99] });
    expect(run(10, [2, 1, 1], none(3), toLead('DOWN', 'B'))).toEqual({ done: true, amounts: [5, 3, 2, 99] });
    // HALF_EVEN: C's 2.5 goes to the even 2, B takes 3
    expect(run(10, [2, 1, 1], none(3), toLead('HALF_EVEN', 'B'))).toEqual({ done: true, amounts: [5, 3, 2, 99] });
    // no party named: the largest weight, A, takes the rest: B and C 2.5 -> 3 each, A 4
    expect(run(10, [2, 1, 1], none(3), { kind: 'ROUNDING_PARTY', mode: 'HALF_UP' })).toEqual({ done: true, amounts: [4, 3, 3, 99] });
    // a part of weight 0 gets 0
    expect(run(7, [0, 3, 4], none(3), LARGEST_REMAINDER)).toEqual({ done: true, amounts: [0, 3, 4, 99] });
  });

  it('gives a capped part its cap and the rest to the others, in one pass', () => {
    expect(run(10, [1, 1], [2, NO_CAP], LARGEST_REMAINDER)).toEqual({ done: true, amounts: [2, 8, 99] });
    expect(run(10, [1, 1], [2, NO_CAP], toLead('HALF_UP', 'B'))).toEqual({ done: true, amounts: [2, 8, 99] });
    // every part at its cap: the total is the caps
    expect(run(9, [1, 2], [4, 5], toLead('HALF_UP', 'A'))).toEqual({ done: true, amounts: [4, 5, 99] });
    // a cap not reached is no limit: 6 over 1:2 with caps 4 and 5 gives 2 and 4
    expect(run(6, [1, 2], [4, 5], LARGEST_REMAINDER)).toEqual({ done: true, amounts: [2, 4, 99] });
  });

  it('splits zero as zeros, with or without a positive weight', () => {
    expect(run(0, [0, 0], none(2), LARGEST_REMAINDER)).toEqual({ done: true, amounts: [0, 0, 99] });
    expect(run(0, [5, 1], [1, 1], toLead('HALF_UP', 'A'))).toEqual({ done: true, amounts: [0, 0, 99] });
  });

  it('chooses the rounding party among equal weights by priority, then id, wherever the parts stand', () => {
    const noParty: RemainderRule = { kind: 'ROUNDING_PARTY', mode: 'DOWN' };
    // 1 over two equal weights: each exact 0.5 rounds DOWN to 0, the party takes 1
    expect(run(1, [5, 5], none(2), noParty, [2, 1])).toEqual({ done: true, amounts: [0, 1, 99] }); // B: lower priority number
    expect(run(1, [5, 5], none(2), noParty, [1, 1])).toEqual({ done: true, amounts: [1, 0, 99] }); // A: lower id
    expect(run(5, [3], none(1), noParty)).toEqual({ done: true, amounts: [5, 99] }); // one part takes all
    for (const splitter of [splitAmounts, splitAmountsInBigint]) {
      expect(splitter(1n, [{ id: 'A', weight: 5n, priority: 2 }, { id: 'B', weight: 5n, priority: 1 }], noParty)).toEqual([0n, 1n]);
      expect(splitter(1n, [{ id: 'A', weight: 5n, priority: 1 }, { id: 'B', weight: 5n, priority: 1 }], noParty)).toEqual([1n, 0n]);
      expect(splitter(5n, [{ id: 'A', weight: 3n, priority: 0 }], noParty)).toEqual([5n]);
    }
  });

  it('leaves to the bigint split what is not simple, writing nothing the caller uses', () => {
    const declined = (total: number, weights: number[], caps: number[], rule: RemainderRule = LARGEST_REMAINDER): boolean =>
      run(total, weights, caps, rule).done;
    const limit = 2 ** 52;
    expect(declined(5, [1, Number.NaN], none(2))).toBe(false); // a weight that is not a number
    expect(declined(5, [1, -1], none(2))).toBe(false); // a negative weight
    expect(declined(-1, [1], none(1))).toBe(false); // a negative total
    expect(declined(limit, [1], none(1))).toBe(false); // a total not exact
    expect(declined(limit - 1, [1], none(1))).toBe(true); // the largest exact total, alone
    expect(declined(1, [limit / 2, limit / 2], none(2))).toBe(false); // weights adding up to 2^52
    expect(declined(1, [limit / 2, limit / 2 - 1], none(2))).toBe(true);
    expect(declined(1, [1, 1], [limit / 2, limit / 2])).toBe(false); // caps adding up to 2^52
    expect(declined(5, [0, 0], none(2))).toBe(false); // no positive weight
    expect(declined(10, [1, 1], [4, 5])).toBe(false); // a total above the caps
    expect(declined(2 ** 26, [2 ** 25, 2 ** 25], none(2))).toBe(false); // total x weights = 2^52
    expect(declined(2 ** 26 - 1, [2 ** 25, 2 ** 25], none(2))).toBe(true);
    expect(declined(1, [2 ** 20, 2 ** 20], [2 ** 31, NO_CAP])).toBe(false); // cap x weights = 2^52
    expect(declined(1, [2 ** 20, 2 ** 20], [2 ** 31 - 1, NO_CAP])).toBe(true);
    // rounding that pushes the party below zero: 2 over four equal parts, HALF_UP, the others 1 each
    expect(declined(2, [1, 1, 1, 1], none(4), toLead('HALF_UP', 'A'))).toBe(false);
    // rounding that pushes the party above its cap: 600 over 100/201/300 DOWN, the party would take 101
    expect(declined(600, [100, 201, 300], [100, 201, 300], toLead('DOWN', 'A'))).toBe(false);
    expect(declined(599, [100, 201, 300], [100, 201, 300], toLead('DOWN', 'A'))).toBe(true);
  });
});

describe('split: long lists and the exact refusals', () => {
  it('finds an id listed twice among more than sixteen parts', () => {
    const parts: SplitPart[] = Array.from({ length: 20 }, (_, i) => ({ id: `P${i}`, weight: 1n, priority: i }));
    expect(split(20n, parts, LARGEST_REMAINDER).get('P19')).toBe(1n);
    const twice = [...parts.slice(0, 19), { id: 'P3', weight: 1n, priority: 19 }];
    const error = expectValidation(() => split(20n, twice, LARGEST_REMAINDER), 'parts[19].id', 'unique-id');
    expect(error.message).toBe('parts[19].id "P3" appears more than once');
  });

  it('names the field, the rule and the value in each refusal', () => {
    const message = (action: () => unknown, path: string, rule: string): string => expectValidation(action, path, rule).message;
    const one: SplitPart[] = [{ id: 'A', weight: 1n, priority: 0 }];
    expect(message(() => split(-3n, one, LARGEST_REMAINDER), 'total', 'non-negative')).toBe(
      'total must be a bigint of zero or more minor units, got -3',
    );
    expect(message(() => split(5n, [{ id: '', weight: 1n, priority: 0 }], LARGEST_REMAINDER), 'parts[0].id', 'id')).toBe(
      'parts[0].id must be a non-empty string',
    );
    expect(message(() => split(5n, [{ id: 'A', weight: -2n, priority: 0 }], LARGEST_REMAINDER), 'parts[0].weight', 'non-negative')).toBe(
      'parts[0].weight must be a bigint of zero or more, got -2',
    );
    expect(message(() => split(5n, [{ id: 'A', weight: 1n, priority: Infinity }], LARGEST_REMAINDER), 'parts[0].priority', 'finite')).toBe(
      'parts[0].priority must be a finite number, got Infinity',
    );
    expect(message(() => split(5n, [{ id: 'A', weight: 1n, priority: 0, cap: -4n }], LARGEST_REMAINDER), 'parts[0].cap', 'non-negative')).toBe(
      'parts[0].cap must be a bigint of zero or more, got -4',
    );
    expect(message(() => split(5n, [{ id: 'A', weight: 0n, priority: 0 }], LARGEST_REMAINDER), 'parts', 'positive-weight')).toBe(
      'parts: splitting 5 needs at least one part with a positive weight',
    );
    expect(message(() => split(5n, one, toLead('HALF_UP', 'GHOST')), 'rule.party', 'known-party')).toBe('rule.party "GHOST" is not one of the parts');
    expect(message(() => split(5n, one, { kind: 'ROUNDING_PARTY', party: 7 as unknown as string, mode: 'DOWN' }), 'rule.party', 'known-party')).toBe(
      'rule.party must be a part id, got 7',
    );
    expect(message(() => split(5n, one, { kind: 'PRO_RATA' } as unknown as RemainderRule), 'rule.kind', 'remainder-rule')).toBe(
      'rule.kind must be ROUNDING_PARTY or LARGEST_REMAINDER, got "PRO_RATA"',
    );
    // the id of the part goes with a refusal of its weight, priority or cap
    const weight = expectValidation(() => split(5n, [one[0]!, { id: 'B', weight: -1n, priority: 1 }], LARGEST_REMAINDER), 'parts[1].weight');
    expect(weight.details).toEqual({ path: 'parts[1].weight', rule: 'non-negative', id: 'B' });
    const priority = expectValidation(() => split(5n, [{ id: 'B', weight: 1n, priority: Number.NaN }], LARGEST_REMAINDER), 'parts[0].priority');
    expect(priority.details).toEqual({ path: 'parts[0].priority', rule: 'finite', id: 'B' });
    const cap = expectValidation(() => split(5n, [{ id: 'B', weight: 1n, priority: 0, cap: 3 as unknown as bigint }], LARGEST_REMAINDER), 'parts[0].cap');
    expect(cap.details).toEqual({ path: 'parts[0].cap', rule: 'non-negative', id: 'B' });
    expect(cap.message).toBe('parts[0].cap must be a bigint of zero or more, got 3');
  });

  it('says what the caps allow when the total is above them, on the number path and past it', () => {
    const parts: SplitPart[] = [
      { id: 'A', weight: 1n, priority: 0, cap: 10n },
      { id: 'B', weight: 1n, priority: 1, cap: 20n },
    ];
    const error = expectDomainError(() => split(31n, parts, LARGEST_REMAINDER), RuleViolation, 'SPLIT_EXCEEDS_CAPS');
    expect(error.message).toBe("cannot split 31: the parts' caps allow at most 30");
    const huge: SplitPart[] = [
      { id: 'A', weight: 1n, priority: 0, cap: 2n ** 60n },
      { id: 'B', weight: 1n, priority: 1, cap: 2n ** 60n },
    ];
    const past = expectDomainError(() => split(2n ** 61n + 1n, huge, LARGEST_REMAINDER), RuleViolation, 'SPLIT_EXCEEDS_CAPS');
    expect(past.details).toEqual({ total: String(2n ** 61n + 1n), capacity: String(2n ** 61n) });
    expect(asObject(split(2n ** 61n, huge, LARGEST_REMAINDER))).toEqual({ A: 2n ** 60n, B: 2n ** 60n });
  });
});

describe('splitAmountsInBigint: the reference gives every worked example to the fen', () => {
  const parts = (spec: string): SplitPart[] =>
    spec.split(' ').map((item) => {
      const [id, weight, priority, cap] = item.split(':');
      const part = { id: id!, weight: BigInt(weight!), priority: Number(priority) };
      return cap === undefined ? part : { ...part, cap: BigInt(cap) };
    });
  const lenders = 'LEAD:3000000:0 BANK-A:5000000:1 BANK-B:2000000:2';
  const equal = 'LEAD:1:0 BANK-A:1:1 BANK-B:1:2';
  const lead2 = 'LEAD:2:0 A:1:1 B:1:2';
  const party = (mode: RoundingMode, named?: string): RemainderRule =>
    named === undefined ? { kind: 'ROUNDING_PARTY', mode } : { kind: 'ROUNDING_PARTY', party: named, mode };
  // [total, parts, rule, amounts in the parts' order]
  const examples: [bigint, string, RemainderRule, bigint[]][] = [
    [1_000_001n, lenders, party('HALF_UP', 'LEAD'), [300_000n, 500_001n, 200_000n]],
    [1_000_001n, lenders, party('HALF_EVEN', 'LEAD'), [300_001n, 500_000n, 200_000n]],
    [1_000_001n, lenders, party('DOWN', 'LEAD'), [300_001n, 500_000n, 200_000n]],
    [1n, equal, party('HALF_UP', 'LEAD'), [1n, 0n, 0n]],
    [1n, lenders, party('HALF_UP', 'LEAD'), [0n, 1n, 0n]],
    [1n, lenders, party('HALF_EVEN', 'LEAD'), [1n, 0n, 0n]],
    [6n, lead2, party('HALF_UP', 'LEAD'), [2n, 2n, 2n]],
    [6n, lead2, party('DOWN', 'LEAD'), [4n, 1n, 1n]],
    [10n, lead2, party('HALF_UP', 'LEAD'), [4n, 3n, 3n]],
    [10n, lead2, party('HALF_EVEN', 'LEAD'), [6n, 2n, 2n]],
    [1n, lenders, party('DOWN'), [0n, 1n, 0n]],
    [1n, 'Z:5:1 Y:5:2 X:1:0', party('DOWN'), [1n, 0n, 0n]],
    [1n, 'N:5:1 M:5:1', party('DOWN'), [0n, 1n]],
    [1n, 'LEAD:0:0 A:2:1 B:1:2', party('DOWN', 'LEAD'), [0n, 1n, 0n]],
    [2n, 'A:1:0 B:1:0 C:1:0 D:1:0', party('HALF_UP', 'A'), [0n, 1n, 1n, 0n]],
    [2n, 'A:1:0 B:1:9 C:1:1 D:1:1', party('HALF_UP', 'A'), [0n, 0n, 1n, 1n]],
    [1_000_001n, lenders, LARGEST_REMAINDER, [300_000n, 500_001n, 200_000n]],
    [1_000_009n, lenders, LARGEST_REMAINDER, [300_003n, 500_004n, 200_002n]],
    [2n, 'BANK-B:1:2 BANK-A:1:1 LEAD:1:0', LARGEST_REMAINDER, [0n, 1n, 1n]],
    [1n, 'b:1:1 a:1:1 c:1:0', LARGEST_REMAINDER, [0n, 0n, 1n]],
    [2n, 'b:1:1 a:1:1 c:1:0', LARGEST_REMAINDER, [0n, 1n, 1n]],
    [4n, 'b:1:1 a:1:1 c:1:0', LARGEST_REMAINDER, [1n, 1n, 2n]],
    [1n, 'a:1:0 B:1:0', LARGEST_REMAINDER, [0n, 1n]],
    [100n, 'A:1:0:10 B:1:1 C:2:2', LARGEST_REMAINDER, [10n, 30n, 60n]],
    [100n, 'A:1:0:10 B:1:1 C:2:2', party('HALF_UP', 'C'), [10n, 30n, 60n]],
    [120n, 'A:1:0:10 B:1:1:40 C:1:2', LARGEST_REMAINDER, [10n, 40n, 70n]],
    [600n, 'LEAD:100:0:100 A:201:1:201 B:300:2:300', party('DOWN', 'LEAD'), [100n, 201n, 299n]],
    [2n, 'LEAD:1:0:1 B:1:1:1 A:1:2:1', party('DOWN', 'LEAD'), [1n, 1n, 0n]],
    [2n, 'LEAD:1:1:1 B:1:1:1 A:1:1:1', party('DOWN', 'LEAD'), [1n, 0n, 1n]],
    [1000n, 'LEAD:333:0:333 A:333:1:333 B:334:2:334', party('HALF_UP', 'LEAD'), [333n, 333n, 334n]],
    [1000n, 'LEAD:333:0:333 A:333:1:333 B:334:2:334', LARGEST_REMAINDER, [333n, 333n, 334n]],
    [10n, 'LEAD:5:0:2 A:3:1 B:2:2', party('HALF_UP', 'LEAD'), [2n, 5n, 3n]],
    [7n, 'A:5:0:0 B:5:1', LARGEST_REMAINDER, [0n, 7n]],
    [7n, 'A:0:0 B:3:1 C:0:2', party('HALF_UP', 'A'), [0n, 7n, 0n]],
    [0n, 'A:0:0 B:0:1', LARGEST_REMAINDER, [0n, 0n]],
  ];

  it('gives the same amounts as the number path', () => {
    for (const [total, spec, rule, amounts] of examples) {
      expect(splitAmountsInBigint(total, parts(spec), rule)).toEqual(amounts);
      expect(splitAmounts(total, parts(spec), rule)).toEqual(amounts);
    }
  });

  it('refuses as the number path does', () => {
    const error = expectDomainError(() => splitAmountsInBigint(31n, parts('A:1:0:10 B:1:1:20'), LARGEST_REMAINDER), RuleViolation, 'SPLIT_EXCEEDS_CAPS');
    expect(error.details).toEqual({ total: '31', capacity: '30' });
    expectValidation(() => splitAmountsInBigint(5n, parts('A:0:0'), LARGEST_REMAINDER), 'parts', 'positive-weight');
  });
});

describe('split: what the measure with the property tests left unpinned', () => {
  const both = (total: bigint, parts: readonly SplitPart[], rule: RemainderRule): bigint[][] => [
    splitAmounts(total, parts, rule),
    splitAmountsInBigint(total, parts, rule),
  ];

  it('reads no party from a LARGEST_REMAINDER rule, even one that carries a stray party', () => {
    const stray = { kind: 'LARGEST_REMAINDER', party: 'GHOST' } as unknown as RemainderRule;
    expect(both(1_000_001n, THREE_LENDERS, stray)).toEqual([
      [300_000n, 500_001n, 200_000n],
      [300_000n, 500_001n, 200_000n],
    ]);
  });

  it('refuses an id that is not a string', () => {
    const error = expectValidation(() => split(5n, [{ id: 7 as unknown as string, weight: 1n, priority: 0 }], LARGEST_REMAINDER), 'parts[0].id', 'id');
    expect(error.message).toBe('parts[0].id must be a non-empty string');
  });

  it('fixes a part at its cap in a later round, once the first round has fixed another', () => {
    // 120 over 1:1:1: A (40 > 10) is fixed first; then 110 over B and C is 55 each, above B's 45
    const parts: SplitPart[] = [
      { id: 'A', weight: 1n, priority: 0, cap: 10n },
      { id: 'B', weight: 1n, priority: 1, cap: 45n },
      { id: 'C', weight: 1n, priority: 2 },
    ];
    expect(both(120n, parts, LARGEST_REMAINDER)).toEqual([
      [10n, 45n, 65n],
      [10n, 45n, 65n],
    ]);
    expect(both(120n, parts, toLead('HALF_UP', 'C'))).toEqual([
      [10n, 45n, 65n],
      [10n, 45n, 65n],
    ]);
  });

  it('fixes a part whose exact share equals its cap, so another part becomes the rounding party', () => {
    // 6 over 6:5:1: X's exact share is 3, its cap; the other 3 go 5:1 to B 2.5 and C 0.5.
    // X fixed at 3, B (largest weight left) takes what C's rounded 1 leaves: 2. Were X the
    // rounding party instead, B would round to 3, C to 1 and X take 2.
    const parts: SplitPart[] = [
      { id: 'X', weight: 6n, priority: 0, cap: 3n },
      { id: 'B', weight: 5n, priority: 1 },
      { id: 'C', weight: 1n, priority: 2 },
    ];
    expect(both(6n, parts, toLead('HALF_UP', 'X'))).toEqual([
      [3n, 2n, 1n],
      [3n, 2n, 1n],
    ]);
  });

  it('breaks a remainder tie by id whichever part comes first', () => {
    const ab: SplitPart[] = [
      { id: 'a', weight: 1n, priority: 0 },
      { id: 'b', weight: 1n, priority: 0 },
    ];
    expect(both(1n, ab, LARGEST_REMAINDER)).toEqual([
      [1n, 0n],
      [1n, 0n],
    ]);
    expect(both(1n, [ab[1]!, ab[0]!], LARGEST_REMAINDER)).toEqual([
      [0n, 1n],
      [0n, 1n],
    ]);
  });

  it('splits among many more parts than any split before it, counting the caps of all of them', () => {
    // 2,000 over 300 parts of weight 1, each capped at 10 (3,000 in all): 6.67 each, floors of 6 and
    // the 200 units left to the 200 lowest priority numbers
    const parts: SplitPart[] = Array.from({ length: 300 }, (_, i) => ({ id: `P${i}`, weight: 1n, priority: i, cap: 10n }));
    const expected = parts.map((_, i) => (i < 200 ? 7n : 6n));
    expect(both(2000n, parts, LARGEST_REMAINDER)).toEqual([expected, expected]);
  });

  it('hands the excess over the rounding party cap to a part without a cap', () => {
    // 600 over LEAD 100 (cap 100), A 201 (no cap), B 300 (cap 300), DOWN: A 200.67 -> 200,
    // B 299.50 -> 299, LEAD would take 101: the extra fen goes to A, the larger remainder
    const parts: SplitPart[] = [
      { id: 'LEAD', weight: 100n, priority: 0, cap: 100n },
      { id: 'A', weight: 201n, priority: 1 },
      { id: 'B', weight: 300n, priority: 2, cap: 300n },
    ];
    expect(both(600n, parts, toLead('DOWN'))).toEqual([
      [100n, 201n, 299n],
      [100n, 201n, 299n],
    ]);
  });

  it('hands the excess to the larger remainder even when the other part has the lower priority number', () => {
    // A 299.50 -> 299, B 200.67 -> 200: the extra fen goes to B (.67 > .50) though A has priority 1
    const parts: SplitPart[] = [
      { id: 'LEAD', weight: 100n, priority: 0, cap: 100n },
      { id: 'A', weight: 300n, priority: 1, cap: 300n },
      { id: 'B', weight: 201n, priority: 2, cap: 201n },
    ];
    expect(both(600n, parts, toLead('DOWN'))).toEqual([
      [100n, 299n, 201n],
      [100n, 299n, 201n],
    ]);
  });

  it('hands the excess by remainder, not by the smaller amount', () => {
    // 998 over LEAD 100 (cap 100), A 600, B 300, DOWN: A 598.8 -> 598, B 299.4 -> 299, LEAD would
    // take 101: the extra fen goes to A, the larger remainder though the larger amount
    const parts: SplitPart[] = [
      { id: 'LEAD', weight: 100n, priority: 0, cap: 100n },
      { id: 'A', weight: 600n, priority: 1 },
      { id: 'B', weight: 300n, priority: 2 },
    ];
    expect(both(998n, parts, toLead('DOWN'))).toEqual([
      [100n, 599n, 299n],
      [100n, 599n, 299n],
    ]);
  });

  it('takes back what rounding overshot from a part at its cap as from any other', () => {
    // 2 over four equal parts, HALF_UP: B, C and D round up to 1, A would take -1; D gives back
    // first (last in tie-break order) although its 1 is its cap
    const parts: SplitPart[] = [
      { id: 'A', weight: 1n, priority: 0 },
      { id: 'B', weight: 1n, priority: 0 },
      { id: 'C', weight: 1n, priority: 0 },
      { id: 'D', weight: 1n, priority: 0, cap: 1n },
    ];
    expect(both(2n, parts, toLead('HALF_UP', 'A'))).toEqual([
      [0n, 1n, 1n, 0n],
      [0n, 1n, 1n, 0n],
    ]);
  });
});

describe('splitWholeNumbers: what the measure with the property tests left unpinned', () => {
  function run(total: number, weights: number[], caps: number[], rule: RemainderRule): { done: boolean; amounts: number[] } {
    const count = weights.length;
    const amounts = new Float64Array(count + 1).fill(99);
    const parts = {
      ids: weights.map((_, i) => 'ABCDEFGH'[i]!),
      priorities: Float64Array.from(weights.map((_, i) => i)),
      weights: Float64Array.from(weights),
      caps: Float64Array.from(caps),
    };
    const done = splitWholeNumbers(total, count, parts, rule, amounts);
    return { done, amounts: [...amounts] };
  }
  const none = (count: number): number[] => new Array<number>(count).fill(NO_CAP);
  const limit = 2 ** 52;

  it('declines a negative weight even when the weights still add up to more than zero', () => {
    expect(run(5, [2, -1], none(2), LARGEST_REMAINDER).done).toBe(false);
  });

  it('declines a split of zero when the weights or the caps add up past 2^52', () => {
    expect(run(0, [limit / 2, limit / 2], none(2), LARGEST_REMAINDER).done).toBe(false);
    expect(run(0, [1, 1], [limit / 2, limit / 2], LARGEST_REMAINDER).done).toBe(false);
    expect(run(0, [limit / 2, limit / 2 - 1], [limit / 2, limit / 2 - 1], LARGEST_REMAINDER)).toEqual({ done: true, amounts: [0, 0, 99] });
  });

  it('counts no cap of a part of weight 0', () => {
    expect(run(1, [1, 0], [NO_CAP, limit], LARGEST_REMAINDER)).toEqual({ done: true, amounts: [1, 0, 99] });
  });

  it('splits LARGEST_REMAINDER by remainders, not as a rounding party would', () => {
    // 7 over 1:2:2: 1.4, 2.8, 2.8 -> floors 1, 2, 2 and the two units left to B and C
    expect(run(7, [1, 2, 2], none(3), LARGEST_REMAINDER)).toEqual({ done: true, amounts: [1, 3, 3, 99] });
  });

  it('leaves a rounding mode it does not know to the bigint split, writing nothing', () => {
    expect(run(10, [2, 1, 1], none(3), { kind: 'ROUNDING_PARTY', party: 'A', mode: 'UP' as RoundingMode })).toEqual({
      done: false,
      amounts: [99, 99, 99, 99],
    });
  });

  it('splits itself a rounding party left with exactly nothing', () => {
    // 2 over 1:1:1, HALF_UP: B and C round 0.67 up to 1 each, the party A takes 0
    expect(run(2, [1, 1, 1], none(3), toLead('HALF_UP', 'A'))).toEqual({ done: true, amounts: [0, 1, 1, 99] });
  });

  it('fixes a part whose exact share equals its cap before choosing the rounding party', () => {
    // as in the bigint split: 6 over 6:5:1, A's exact share is its cap 3
    expect(run(6, [6, 5, 1], [3, NO_CAP, NO_CAP], toLead('HALF_UP', 'A'))).toEqual({ done: true, amounts: [3, 2, 1, 99] });
  });
});
