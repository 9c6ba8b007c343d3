import { describe, expect, it } from 'vitest';
import {
  lenderRateEntitlements,
  scheduleRemainderRule,
  splitRepayment,
  splitRepaymentInBigint,
  type InterestPeriod,
  type LenderHolding,
  type LenderRepaymentParts,
  type RepaymentSplit,
  type RepaymentTerms,
} from '../../../../shared/domain/repayment-split.ts';
import { NOTHING_COVERED, type Covered } from '../../../../shared/domain/repayment-waterfall.ts';
import { LENDER_RATE, THREE, holding, terms } from '../../../support/repayment-terms.ts';

/**
 * The repayment split on its own: exact parts for every component and setting, on the number path
 * (`splitRepayment`) and the bigint reference alike, and every refusal with its class, code,
 * message, path and rule.
 */

const PERIOD: InterestPeriod = { start: '2025-03-15', end: '2025-04-15' }; // 31 days

function covered(overrides: Partial<Covered> = {}): Covered {
  return { ...NOTHING_COVERED, ...overrides };
}

type Parts = [principal: bigint, interest: bigint, penalty: bigint, fee: bigint, spread: bigint];

function row([principalMinor, interestMinor, penaltyMinor, feeMinor, spreadMinor]: Parts): LenderRepaymentParts {
  return { principalMinor, interestMinor, penaltyMinor, feeMinor, spreadMinor };
}

/** The split as plain data: lenders in map order, each with its five parts. */
function shape(split: RepaymentSplit): unknown {
  return {
    perLender: [...split.perLender].map(([id, parts]) => [id, { ...parts }]),
    suspenseMinor: split.suspenseMinor,
    suspenseLenderId: split.suspenseLenderId,
    paidMinor: split.paidMinor,
    ...(split.recovery === undefined ? {} : { recovery: split.recovery }),
    ...(split.deductions === undefined ? {} : { deductions: split.deductions }),
  };
}

function expected(lenders: [string, Parts][], paidMinor: bigint, suspenseMinor = 0n, suspenseLenderId = 'LEAD'): unknown {
  return { perLender: lenders.map(([id, parts]) => [id, row(parts)]), suspenseMinor, suspenseLenderId, paidMinor };
}

/** Both paths split the payment as `want`. */
function expectSplit(t: RepaymentTerms, holdings: readonly LenderHolding[], paid: Covered, period: InterestPeriod | null, want: unknown): void {
  expect(shape(splitRepaymentInBigint(t, holdings, paid, period))).toEqual(want);
  expect(shape(splitRepayment(t, holdings, paid, period))).toEqual(want);
}

/** What a refusal says: its class, code, message and details. */
function refusalOf(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    const { name, code, message, details } = error as { name: string; code: string; message: string; details: unknown };
    return { name, code, message, details };
  }
  throw new Error('expected a refusal');
}

function validation(message: string, path: string, rule: string): unknown {
  return { name: 'ValidationError', code: 'VALIDATION_FAILED', message, details: { path, rule } };
}

/** Both paths refuse the payment with `want`. */
function expectRefusal(t: RepaymentTerms, holdings: readonly LenderHolding[], paid: Covered, period: InterestPeriod | null, want: unknown): void {
  expect(refusalOf(() => splitRepaymentInBigint(t, holdings, paid, period))).toEqual(want);
  expect(refusalOf(() => splitRepayment(t, holdings, paid, period))).toEqual(want);
}

describe('scheduleRemainderRule', () => {
  it('is LARGEST_REMAINDER, or ROUNDING_PARTY with the named party (the lead unless set) and the rounding mode', () => {
    expect(scheduleRemainderRule(terms({ remainderRule: 'LARGEST_REMAINDER', roundingParty: 'BANK-A' }))).toEqual({ kind: 'LARGEST_REMAINDER' });
    expect(scheduleRemainderRule(terms({}, { roundingMode: 'DOWN' }))).toEqual({ kind: 'ROUNDING_PARTY', party: 'LEAD', mode: 'DOWN' });
    expect(scheduleRemainderRule(terms({ roundingParty: 'BANK-B' }, { roundingMode: 'HALF_EVEN' }))).toEqual({
      kind: 'ROUNDING_PARTY',
      party: 'BANK-B',
      mode: 'HALF_EVEN',
    });
  });
});

describe('splitRepayment: the first LENDER_RATE payment of a process', () => {
  // First in this file: no period has been seen yet when the number path splits.
  it('splits on the number path before any period was seen, the yields converted by a payment refused first', () => {
    const paid = covered({ currentInterestMinor: 40_000n });
    // Refused after the holdings' yields are converted (the number path takes only those) and before any period is.
    expect(refusalOf(() => splitRepaymentInBigint(LENDER_RATE, THREE, paid, null))).toEqual(
      validation('period is required when interest is split on the LENDER_RATE basis', 'period', 'required'),
    );
    // 16,792 + 18,729 = 35,521 of entitlements; 4,479 of spread.
    const want = expected(
      [
        ['BANK-A', [0n, 16_792n, 0n, 0n, 0n]],
        ['BANK-B', [0n, 18_729n, 0n, 0n, 0n]],
        ['LEAD', [0n, 0n, 0n, 0n, 4_479n]],
      ],
      40_000n,
    );
    expect(shape(splitRepayment(LENDER_RATE, THREE, paid, PERIOD))).toEqual(want);
  });
});

describe('splitRepayment: PRO_RATA', () => {
  it('splits principal, interest and penalty 40/30/30, overdue and current together, the lead taking each remainder', () => {
    // principal 100,000 + 200,001 = 300,001: the partners' exact 90,000.3 round to 90,000, the lead 120,001;
    // interest 500 + 1,501 = 2,001: 600.3 -> 600 each, the lead 801; penalty 1,001: 300.3 -> 300, the lead 401.
    const paid = covered({
      penaltyMinor: 1_001n,
      overdueInterestMinor: 500n,
      overduePrincipalMinor: 100_000n,
      currentInterestMinor: 1_501n,
      currentPrincipalMinor: 200_001n,
      feesMinor: 300n,
      excessMinor: 7n,
    });
    expectSplit(
      terms(),
      THREE,
      paid,
      null,
      expected(
        [
          ['BANK-A', [90_000n, 600n, 300n, 0n, 0n]],
          ['BANK-B', [90_000n, 600n, 300n, 0n, 0n]],
          ['LEAD', [120_001n, 801n, 401n, 300n, 0n]],
        ],
        303_310n,
        7n,
      ),
    );
  });

  it('gives the whole penalty to the lead on the LEAD penalty rule, even with nothing outstanding', () => {
    const repaid = THREE.map((h) => ({ ...h, outstandingPrincipalMinor: 0n }));
    expectSplit(
      terms({ penalty: 'LEAD' }),
      repaid,
      covered({ penaltyMinor: 901n }),
      null,
      expected(
        [
          ['BANK-A', [0n, 0n, 0n, 0n, 0n]],
          ['BANK-B', [0n, 0n, 0n, 0n, 0n]],
          ['LEAD', [0n, 0n, 901n, 0n, 0n]],
        ],
        901n,
      ),
    );
  });

  it('books only the excess, to the lead, when the payment covers nothing due', () => {
    expectSplit(
      terms(),
      THREE,
      covered({ excessMinor: 12_345n }),
      null,
      expected(
        [
          ['BANK-A', [0n, 0n, 0n, 0n, 0n]],
          ['BANK-B', [0n, 0n, 0n, 0n, 0n]],
          ['LEAD', [0n, 0n, 0n, 0n, 0n]],
        ],
        12_345n,
        12_345n,
      ),
    );
  });

  it('repays every lender its whole outstanding when the principal is all of it', () => {
    expectSplit(
      terms(),
      THREE,
      covered({ overduePrincipalMinor: 4_000_000n, currentPrincipalMinor: 6_000_000n }),
      null,
      expected(
        [
          ['BANK-A', [3_000_000n, 0n, 0n, 0n, 0n]],
          ['BANK-B', [3_000_000n, 0n, 0n, 0n, 0n]],
          ['LEAD', [4_000_000n, 0n, 0n, 0n, 0n]],
        ],
        10_000_000n,
      ),
    );
  });

  it('splits amounts past 2^53 exactly, to the minor unit', () => {
    // 2^53 each; principal 2^53 + 1: BANK-A's exact share 2^52 + 0.5 rounds HALF_UP to 2^52 + 1, the lead 2^52.
    const big = 2n ** 53n;
    const holdings = [holding('LEAD', big, null, 0), holding('BANK-A', big, null, 1)];
    expectSplit(
      terms(),
      holdings,
      covered({ currentPrincipalMinor: big + 1n, currentInterestMinor: 3n, excessMinor: big }),
      null,
      expected(
        [
          ['BANK-A', [2n ** 52n + 1n, 2n, 0n, 0n, 0n]],
          ['LEAD', [2n ** 52n, 1n, 0n, 0n, 0n]],
        ],
        2n * big + 4n,
        big,
      ),
    );
  });
});

describe('splitRepayment: the rounding party and the remainder rule', () => {
  // 5 fen of principal 4:3:3: exact LEAD 2, BANK-A 1.5, BANK-B 1.5.
  const five = covered({ currentPrincipalMinor: 5n });
  const principals = (split: RepaymentSplit): bigint[] => [...split.perLender.values()].map((p) => p.principalMinor);

  it('rounds every part but the named party, one program after another', () => {
    // Each program differs from the one before in its party or its mode only.
    const steps: [RepaymentTerms, bigint[]][] = [
      [terms({ roundingParty: 'BANK-A' }), [1n, 2n, 2n]],
      [terms({ roundingParty: 'BANK-B' }), [2n, 1n, 2n]],
      [terms({ roundingParty: 'BANK-B' }, { roundingMode: 'DOWN' }), [1n, 2n, 2n]],
      [terms({ roundingParty: 'BANK-A' }, { roundingMode: 'DOWN' }), [2n, 1n, 2n]],
      [terms({ remainderRule: 'LARGEST_REMAINDER' }), [2n, 1n, 2n]],
    ];
    for (const [t, want] of steps) {
      expect(principals(splitRepayment(t, THREE, five, null))).toEqual(want);
      expect(principals(splitRepaymentInBigint(t, THREE, five, null))).toEqual(want);
    }
  });
});

describe('splitRepayment: fees', () => {
  const paid = covered({ feesMinor: 250n, currentInterestMinor: 10n });
  const interest: Parts[] = [
    [0n, 3n, 0n, 0n, 0n],
    [0n, 3n, 0n, 0n, 0n],
    [0n, 4n, 0n, 0n, 0n],
  ];

  it('go to the lead, or to the named party when it holds a part', () => {
    expectSplit(terms(), THREE, paid, null, expected([['BANK-A', interest[0]!], ['BANK-B', interest[1]!], ['LEAD', [0n, 4n, 0n, 250n, 0n]]], 260n));
    expectSplit(
      terms({ fees: { party: 'BANK-A' } }),
      THREE,
      paid,
      null,
      expected([['BANK-A', [0n, 3n, 0n, 250n, 0n]], ['BANK-B', interest[1]!], ['LEAD', interest[2]!]], 260n),
    );
  });

  it('give a party that holds no part a row of its own, in lender id order: first, between, last', () => {
    const agentRow: Parts = [0n, 0n, 0n, 250n, 0n];
    expectSplit(
      terms({ fees: { party: 'AGENT' } }),
      THREE,
      paid,
      null,
      expected([['AGENT', agentRow], ['BANK-A', interest[0]!], ['BANK-B', interest[1]!], ['LEAD', interest[2]!]], 260n),
    );
    expectSplit(
      terms({ fees: { party: 'BANK-AB' } }),
      THREE,
      paid,
      null,
      expected([['BANK-A', interest[0]!], ['BANK-AB', agentRow], ['BANK-B', interest[1]!], ['LEAD', interest[2]!]], 260n),
    );
    expectSplit(
      terms({ fees: { party: 'ZETA' } }),
      THREE,
      paid,
      null,
      expected([['BANK-A', interest[0]!], ['BANK-B', interest[1]!], ['LEAD', interest[2]!], ['ZETA', agentRow]], 260n),
    );
  });
});

describe('splitRepayment: LENDER_RATE', () => {
  // Over 31 days ACT/360: BANK-A 3,000,000 x 0.065 x 31/360 = 16,791.67 -> 16,792;
  // BANK-B 3,000,000 x 0.0725 x 31/360 = 18,729.17 -> 18,729.

  it('pays each partner its entitlement less what it received for the period, and the lead the rest as spread', () => {
    // BANK-B has received 729 of its 18,729: entitled 18,000; 45,000 - 34,792 = 10,208 of spread.
    const holdings = [THREE[0]!, THREE[1]!, { ...THREE[2]!, periodInterestReceivedMinor: 729n }];
    const paid = covered({ overdueInterestMinor: 5_000n, currentInterestMinor: 40_000n, penaltyMinor: 900n, feesMinor: 250n });
    expectSplit(
      terms({ interestBasis: 'LENDER_RATE', penalty: 'LEAD', fees: { party: 'BANK-B' } }),
      holdings,
      paid,
      PERIOD,
      expected(
        [
          ['BANK-A', [0n, 16_792n, 0n, 0n, 0n]],
          ['BANK-B', [0n, 18_000n, 0n, 250n, 0n]],
          ['LEAD', [0n, 0n, 900n, 0n, 10_208n]],
        ],
        46_150n,
      ),
    );
  });

  it('gives a partner that has received its entitlement (or more) nothing more', () => {
    const interest = covered({ currentInterestMinor: 16_892n });
    for (const received of [18_729n, 20_000n]) {
      const holdings = [THREE[0]!, THREE[1]!, { ...THREE[2]!, periodInterestReceivedMinor: received }];
      expectSplit(
        LENDER_RATE,
        holdings,
        interest,
        PERIOD,
        expected(
          [
            ['BANK-A', [0n, 16_792n, 0n, 0n, 0n]],
            ['BANK-B', [0n, 0n, 0n, 0n, 0n]],
            ['LEAD', [0n, 0n, 0n, 0n, 100n]],
          ],
          16_892n,
        ),
      );
    }
    const oneShort = [THREE[0]!, THREE[1]!, { ...THREE[2]!, periodInterestReceivedMinor: 18_728n }];
    expect(lenderRateEntitlements(LENDER_RATE, oneShort, PERIOD)).toEqual(
      new Map([
        ['BANK-A', 16_792n],
        ['BANK-B', 1n],
        ['LEAD', 0n],
      ]),
    );
  });

  it('splits a shortfall among the partners by entitlement, and splits nothing when no interest is paid', () => {
    // 10,000 of 35,521: BANK-A's exact 4,727.34 rounds to 4,727; BANK-B (the larger weight, the lead
    // having none) takes 5,273.
    expectSplit(
      LENDER_RATE,
      THREE,
      covered({ currentInterestMinor: 10_000n, currentPrincipalMinor: 10n }),
      PERIOD,
      expected(
        [
          ['BANK-A', [3n, 4_727n, 0n, 0n, 0n]],
          ['BANK-B', [3n, 5_273n, 0n, 0n, 0n]],
          ['LEAD', [4n, 0n, 0n, 0n, 0n]],
        ],
        10_010n,
      ),
    );
    expectSplit(
      LENDER_RATE,
      THREE,
      covered({ currentPrincipalMinor: 10n }),
      PERIOD,
      expected(
        [
          ['BANK-A', [3n, 0n, 0n, 0n, 0n]],
          ['BANK-B', [3n, 0n, 0n, 0n, 0n]],
          ['LEAD', [4n, 0n, 0n, 0n, 0n]],
        ],
        10n,
      ),
    );
  });

  it('reads each period, day count and rounding mode afresh, one payment after another', () => {
    // [start, end, day count, mode] and the entitlements of BANK-A and BANK-B; each step differs from
    // the one before in one thing only.
    const steps: [string, string, RepaymentTerms['dayCount'], RepaymentTerms['roundingMode'], bigint, bigint][] = [
      ['2025-03-15', '2025-04-15', 'ACT/360', 'HALF_UP', 16_792n, 18_729n],
      ['2025-03-16', '2025-04-15', 'ACT/360', 'HALF_UP', 16_250n, 18_125n], // 30 days: 16,250 and 18,125 exactly
      ['2025-03-16', '2025-04-16', 'ACT/360', 'HALF_UP', 16_792n, 18_729n], // 31 days again
      ['2025-03-16', '2025-04-16', 'ACT/365', 'HALF_UP', 16_562n, 18_473n], // 16,561.64 and 18,472.60
      ['2025-03-16', '2025-04-16', 'ACT/365', 'DOWN', 16_561n, 18_472n],
      ['2025-03-16', '2025-04-16', '30/360', 'DOWN', 16_250n, 18_125n], // 30/360 counts 30 days
    ];
    for (const [start, end, dayCount, roundingMode, a, b] of steps) {
      const t = terms({ interestBasis: 'LENDER_RATE' }, { dayCount, roundingMode });
      const period = { start, end };
      const want = new Map([
        ['BANK-A', a],
        ['BANK-B', b],
        ['LEAD', 0n],
      ]);
      expect(lenderRateEntitlements(t, THREE, period)).toEqual(want);
      const paid = covered({ currentInterestMinor: a + b + 1n });
      const lenders: [string, Parts][] = [
        ['BANK-A', [0n, a, 0n, 0n, 0n]],
        ['BANK-B', [0n, b, 0n, 0n, 0n]],
        ['LEAD', [0n, 0n, 0n, 0n, 1n]],
      ];
      expect(shape(splitRepayment(t, THREE, paid, period))).toEqual(expected(lenders, a + b + 1n));
      expect(shape(splitRepaymentInBigint(t, THREE, paid, period))).toEqual(expected(lenders, a + b + 1n));
    }
  });

  it('accrues past 2^53 and on rates finer than a double holds, exactly', () => {
    // 2^53 + 1 at 100% for 360 days ACT/360 is the principal itself, one fen above what a double holds.
    const year = { start: '2025-01-01', end: '2025-12-27' };
    const huge = [holding('LEAD', 1n, null, 0), holding('BANK-A', 2n ** 53n + 1n, '1', 1)];
    expect(lenderRateEntitlements(LENDER_RATE, huge, year).get('BANK-A')).toBe(2n ** 53n + 1n);
    // 10^10 fen at 10^-16 for 31 days: 0.0000086 fen, 0 in every mode.
    const fine = [holding('LEAD', 1n, null, 0), holding('BANK-A', 10n ** 10n, '0.0000000000000001', 1)];
    expect(lenderRateEntitlements(LENDER_RATE, fine, PERIOD).get('BANK-A')).toBe(0n);
    expectSplit(
      LENDER_RATE,
      fine,
      covered({ currentInterestMinor: 5n }),
      PERIOD,
      expected(
        [
          ['BANK-A', [0n, 0n, 0n, 0n, 0n]],
          ['LEAD', [0n, 0n, 0n, 0n, 5n]],
        ],
        5n,
      ),
    );
  });
});

describe('splitRepayment: refusals', () => {
  const one = covered({ currentPrincipalMinor: 1n });

  it('refuses holdings that are not a list of the loan’s lenders', () => {
    const want = validation("holdings must list the loan's funding lenders", 'holdings', 'non-empty');
    expectRefusal(terms(), [], one, null, want);
    const arrayLike = { length: 1, 0: THREE[0]! } as unknown as LenderHolding[];
    expectRefusal(terms(), arrayLike, one, null, want);
    expectRefusal(
      terms(),
      [THREE[1]!, THREE[2]!],
      one,
      null,
      validation('holdings must include the lead LEAD exactly once as LEAD', 'holdings', 'one-lead'),
    );
  });

  it('refuses a lender listed twice, naming the second listing', () => {
    const twice = validation('holdings[2].lenderId "BANK-A" is listed twice', 'holdings[2].lenderId', 'unique-id');
    expectRefusal(terms(), [THREE[0]!, THREE[1]!, THREE[1]!], one, null, twice);
    // found among lenders already ordered before it
    expectRefusal(
      terms(),
      [THREE[2]!, THREE[1]!, THREE[0]!, THREE[1]!],
      one,
      null,
      validation('holdings[3].lenderId "BANK-A" is listed twice', 'holdings[3].lenderId', 'unique-id'),
    );
  });

  it('refuses a holding with a wrong field, naming it and its rule', () => {
    const a = THREE[1]!;
    const cases: [Partial<LenderHolding>, string, string, string][] = [
      [{ lenderId: '' }, 'holdings[1].lenderId must be a non-empty id, got ""', 'holdings[1].lenderId', 'id'],
      [{ lenderId: 7 as unknown as string }, 'holdings[1].lenderId must be a non-empty id, got 7', 'holdings[1].lenderId', 'id'],
      [{ role: 'GUARANTOR' as 'PARTNER' }, 'holdings[1].role must be LEAD or PARTNER, got "GUARANTOR"', 'holdings[1].role', 'funding-role'],
      [{ role: 'LEAD' }, "holdings[1].role: the program's lead LEAD holds the LEAD role, and only it", 'holdings[1].role', 'program-lead'],
      [
        { outstandingPrincipalMinor: -1n },
        'holdings[1].outstandingPrincipalMinor must be a bigint of zero or more, got -1',
        'holdings[1].outstandingPrincipalMinor',
        'non-negative',
      ],
      [
        { outstandingPrincipalMinor: 5 as unknown as bigint },
        'holdings[1].outstandingPrincipalMinor must be a bigint of zero or more, got 5',
        'holdings[1].outstandingPrincipalMinor',
        'non-negative',
      ],
      [
        { periodInterestReceivedMinor: -1n },
        'holdings[1].periodInterestReceivedMinor must be a bigint of zero or more, got -1',
        'holdings[1].periodInterestReceivedMinor',
        'non-negative',
      ],
      [
        { periodInterestReceivedMinor: 5 as unknown as bigint },
        'holdings[1].periodInterestReceivedMinor must be a bigint of zero or more, got 5',
        'holdings[1].periodInterestReceivedMinor',
        'non-negative',
      ],
      [{ priority: Number.NaN }, 'holdings[1].priority must be a finite number, got NaN', 'holdings[1].priority', 'finite'],
      [{ priority: Infinity }, 'holdings[1].priority must be a finite number, got Infinity', 'holdings[1].priority', 'finite'],
      [{ priority: '1' as unknown as number }, 'holdings[1].priority must be a finite number, got "1"', 'holdings[1].priority', 'finite'],
    ];
    for (const [change, message, path, rule] of cases) {
      expectRefusal(terms(), [THREE[0]!, { ...a, ...change }, THREE[2]!], one, null, validation(message, path, rule));
    }
    expectRefusal(
      terms(),
      [{ ...THREE[0]!, role: 'PARTNER' }, a],
      one,
      null,
      validation("holdings[0].role: the program's lead LEAD holds the LEAD role, and only it", 'holdings[0].role', 'program-lead'),
    );
  });

  it('takes zero amounts received and outstanding, and a partner without a yield off LENDER_RATE', () => {
    const holdings = [THREE[0]!, { ...THREE[1]!, outstandingPrincipalMinor: 0n, periodInterestReceivedMinor: 0n, yieldRate: null }, THREE[2]!];
    expectSplit(
      terms(),
      holdings,
      covered({ currentPrincipalMinor: 7n }),
      null,
      expected(
        [
          ['BANK-A', [0n, 0n, 0n, 0n, 0n]],
          ['BANK-B', [3n, 0n, 0n, 0n, 0n]],
          ['LEAD', [4n, 0n, 0n, 0n, 0n]],
        ],
        7n,
      ),
    );
  });

  it('refuses a partner without a yield on LENDER_RATE', () => {
    expectRefusal(
      LENDER_RATE,
      [THREE[0]!, { ...THREE[1]!, yieldRate: null }],
      one,
      PERIOD,
      validation('holdings[1].yieldRate is required for a partner under the LENDER_RATE basis', 'holdings[1].yieldRate', 'required'),
    );
  });

  it('refuses a negative excess', () => {
    expectRefusal(
      terms(),
      THREE,
      covered({ excessMinor: -1n }),
      null,
      validation('covered.excessMinor must be a bigint of zero or more, got -1', 'covered.excessMinor', 'non-negative'),
    );
    expectRefusal(
      terms(),
      THREE,
      covered({ excessMinor: 3 as unknown as bigint }),
      null,
      validation('covered.excessMinor must be a bigint of zero or more, got 3', 'covered.excessMinor', 'non-negative'),
    );
  });

  it('refuses settings it does not know, naming the setting', () => {
    const unknown = (path: string, value: string): unknown =>
      validation(`${path} is not a setting the repayment split knows: "${value}"`, path, 'split-setting');
    expectRefusal(terms({ interestBasis: 'FIXED' as 'PRO_RATA' }), THREE, one, null, unknown('split.interestBasis', 'FIXED'));
    expectRefusal(terms({ penalty: 'GUARANTOR' as 'LEAD' }), THREE, one, null, unknown('split.penalty', 'GUARANTOR'));
    expectRefusal(terms({ remainderRule: 'BANKERS' as 'ROUNDING_PARTY' }), THREE, one, null, unknown('split.remainderRule', 'BANKERS'));
    expectRefusal(
      terms({ roundingParty: 'AGENT' }),
      THREE,
      one,
      null,
      validation('split.roundingParty "AGENT" holds no part of the loan', 'split.roundingParty', 'holding'),
    );
    expectRefusal(
      terms({}, { roundingMode: 'UP' as 'DOWN' }),
      THREE,
      one,
      null,
      validation('rule.mode must be one of HALF_UP, HALF_EVEN, DOWN, got "UP"', 'rule.mode', 'rounding-mode'),
    );
  });

  it('refuses a fee party that is neither LEAD nor a named party', () => {
    const fees = (value: unknown, shown: string): void =>
      expectRefusal(
        terms({ fees: value as 'LEAD' }),
        THREE,
        one,
        null,
        validation(`split.fees must be LEAD or { party }, got ${shown}`, 'split.fees', 'fee-party'),
      );
    fees({ party: '' }, 'a value of type object');
    fees({ party: 5 }, 'a value of type object');
    fees(null, 'null');
    fees(undefined, 'undefined');
    fees('PARTNER', '"PARTNER"');
  });

  it('refuses principal above what the lenders hold, with the figures', () => {
    expectRefusal(terms(), THREE, covered({ overduePrincipalMinor: 10_000_000n, currentPrincipalMinor: 1n }), null, {
      name: 'RuleViolation',
      code: 'PRINCIPAL_ABOVE_OUTSTANDING',
      message: 'the payment covers 10000001 of principal, the lenders hold 10000000',
      details: { principalMinor: '10000001', outstandingMinor: '10000000' },
    });
  });

  it('refuses interest or penalty to split by outstanding principal when no lender has any', () => {
    const repaid = THREE.map((h) => ({ ...h, outstandingPrincipalMinor: 0n }));
    const nothingOutstanding = (component: string, amount: string): unknown => ({
      name: 'RuleViolation',
      code: 'NO_OUTSTANDING_PRINCIPAL',
      message: `${component} of ${amount} is split by outstanding principal, and no lender has any outstanding`,
      details: { component, amountMinor: amount },
    });
    expectRefusal(terms(), repaid, covered({ currentInterestMinor: 3n }), null, nothingOutstanding('interest', '3'));
    expectRefusal(terms(), repaid, covered({ penaltyMinor: 4n }), null, nothingOutstanding('penalty', '4'));
  });

  it('refuses LENDER_RATE without a period, and entitlements off LENDER_RATE', () => {
    expectRefusal(
      LENDER_RATE,
      THREE,
      covered({ excessMinor: 1n }),
      null,
      validation('period is required when interest is split on the LENDER_RATE basis', 'period', 'required'),
    );
    expect(refusalOf(() => lenderRateEntitlements(terms(), THREE, PERIOD))).toEqual(
      validation('entitlements exist only on the LENDER_RATE interest basis', 'split.interestBasis', 'lender-rate'),
    );
  });
});

describe('splitRepayment: what the mutants of the first measure left unpinned', () => {
  it('splits interest and penalty above the outstanding principal: only principal is capped by it', () => {
    // 1 fen outstanding each; interest 5: BANK-A's 2.5 rounds HALF_UP to 3, the lead 2; penalty 7: 3.5 -> 4, the lead 3.
    const holdings = [holding('LEAD', 1n, null, 0), holding('BANK-A', 1n, null, 1)];
    expectSplit(
      terms(),
      holdings,
      covered({ currentInterestMinor: 5n, penaltyMinor: 7n }),
      null,
      expected(
        [
          ['BANK-A', [0n, 3n, 4n, 0n, 0n]],
          ['LEAD', [0n, 2n, 3n, 0n, 0n]],
        ],
        12n,
      ),
    );
  });

  it('books an excess alone when no lender has anything outstanding, on PRO_RATA too', () => {
    const repaid = THREE.map((h) => ({ ...h, outstandingPrincipalMinor: 0n }));
    const nothing: Parts = [0n, 0n, 0n, 0n, 0n];
    expectSplit(terms(), repaid, covered({ excessMinor: 5n }), null, expected([['BANK-A', nothing], ['BANK-B', nothing], ['LEAD', nothing]], 5n, 5n));
  });

  it('accrues in bigint past 2^52 with the yield’s own numerator', () => {
    // 10^15 fen at 6.5% for 31 days ACT/360: 10^15 x 65 x 31 / 360,000 = 5,597,222,222,222.22
    const large = [holding('LEAD', 1n, null, 0), holding('BANK-A', 10n ** 15n, '0.065', 1)];
    expect(lenderRateEntitlements(LENDER_RATE, large, PERIOD).get('BANK-A')).toBe(5_597_222_222_222n);
  });

  it('names a covered due that is wrong under covered', () => {
    for (const t of [terms(), LENDER_RATE]) {
      const error = refusalOf(() => splitRepayment(t, THREE, covered({ penaltyMinor: -1n }), PERIOD)) as { details: unknown };
      expect(error.details).toEqual({ path: 'covered.penaltyMinor', rule: 'non-negative' });
    }
  });
});

describe('splitRepayment: the number path on its own, and inputs only the reference refuses', () => {
  it('splits one payment after another on the number path alone, each period and day count read afresh', () => {
    // Converts the yields (the number path takes only those) over a period none of the steps uses.
    lenderRateEntitlements(LENDER_RATE, THREE, { start: '2000-01-01', end: '2000-01-02' });
    // Each step differs from the one before in its start, its end or its day count only.
    const steps: [string, string, RepaymentTerms['dayCount'], bigint, bigint][] = [
      ['2025-03-15', '2025-04-15', 'ACT/360', 16_792n, 18_729n],
      ['2025-03-16', '2025-04-15', 'ACT/360', 16_250n, 18_125n],
      ['2025-03-16', '2025-04-16', 'ACT/360', 16_792n, 18_729n],
      ['2025-03-16', '2025-04-16', 'ACT/365', 16_562n, 18_473n],
    ];
    for (const [start, end, dayCount, a, b] of steps) {
      const paid = covered({ currentInterestMinor: a + b + 2n });
      const want = expected(
        [
          ['BANK-A', [0n, a, 0n, 0n, 0n]],
          ['BANK-B', [0n, b, 0n, 0n, 0n]],
          ['LEAD', [0n, 0n, 0n, 0n, 2n]],
        ],
        a + b + 2n,
      );
      expect(shape(splitRepayment(terms({ interestBasis: 'LENDER_RATE' }, { dayCount }), THREE, paid, { start, end }))).toEqual(want);
    }
  });

  it('splits on the number path a yield first seen there: the reference converts it, and the next payment reads it', () => {
    // 3,000,000 x 0.0815 x 31/360 = 21,054.17 -> 21,054; 30,000 - 21,054 = 8,946 of spread. No other test uses this yield.
    const holdings = [THREE[0]!, holding('BANK-A', 3_000_000n, '0.0815', 1)];
    const paid = covered({ currentInterestMinor: 30_000n });
    const want = expected(
      [
        ['BANK-A', [0n, 21_054n, 0n, 0n, 0n]],
        ['LEAD', [0n, 0n, 0n, 0n, 8_946n]],
      ],
      30_000n,
    );
    expect(shape(splitRepayment(LENDER_RATE, holdings, paid, PERIOD))).toEqual(want);
    expect(shape(splitRepayment(LENDER_RATE, holdings, paid, PERIOD))).toEqual(want);
  });

  it('refuses a period that ends before it starts, or a day count it does not know, on a period not seen before', () => {
    const paid = covered({ currentInterestMinor: 100n });
    lenderRateEntitlements(LENDER_RATE, THREE, PERIOD);
    expectRefusal(
      LENDER_RATE,
      THREE,
      paid,
      { start: '2025-04-15', end: '2025-03-15' },
      validation('end 2025-03-15 is before start 2025-04-15', 'end', 'not-before-start'),
    );
    expectRefusal(
      terms({ interestBasis: 'LENDER_RATE' }, { dayCount: 'ACT/ACT' as 'ACT/360' }),
      THREE,
      paid,
      PERIOD,
      validation('dayCount must be one of ACT/360, ACT/365, 30/360, got "ACT/ACT"', 'dayCount', 'day-count'),
    );
  });

  it('refuses swapped roles, holdings without the lead or none on LARGEST_REMAINDER, and a negative penalty to the lead', () => {
    const one = covered({ currentPrincipalMinor: 1n });
    expectRefusal(
      terms(),
      [{ ...THREE[0]!, role: 'PARTNER' }, { ...THREE[1]!, role: 'LEAD' }],
      one,
      null,
      validation("holdings[0].role: the program's lead LEAD holds the LEAD role, and only it", 'holdings[0].role', 'program-lead'),
    );
    const noLead = validation('holdings must include the lead LEAD exactly once as LEAD', 'holdings', 'one-lead');
    const largest = terms({ remainderRule: 'LARGEST_REMAINDER' });
    expectRefusal(largest, [THREE[1]!], one, null, noLead);
    expectRefusal(largest, [THREE[1]!, THREE[2]!], one, null, noLead);
    expectRefusal(largest, [], covered(), null, validation("holdings must list the loan's funding lenders", 'holdings', 'non-empty'));
    // A negative penalty to the lead, everything else zero: refused, not booked.
    const repaid = THREE.map((h) => ({ ...h, outstandingPrincipalMinor: 0n }));
    const negative = refusalOf(() => splitRepayment(terms({ penalty: 'LEAD' }), repaid, covered({ penaltyMinor: -1n }), null)) as { name: string; details: unknown };
    expect([negative.name, negative.details]).toEqual(['ValidationError', { path: 'covered.penaltyMinor', rule: 'non-negative' }]);
  });

  it('splits a shortfall by the exact entitlements when one partner accrues too much for plain numbers', () => {
    // BANK-B: 10^12 x 0.0725 x 31/360 = 6,243,055,555.56 -> 6,243,055,556 (its product 10^12 x 725 x 31
    // is past 2^52); BANK-A 16,792. 10,000 paid: BANK-A's exact share 0.027 rounds to 0, BANK-B (the
    // largest weight, the lead having none) takes all of it.
    const holdings = [THREE[0]!, THREE[1]!, holding('BANK-B', 10n ** 12n, '0.0725', 2)];
    expect(lenderRateEntitlements(LENDER_RATE, holdings, PERIOD).get('BANK-B')).toBe(6_243_055_556n);
    expectSplit(
      LENDER_RATE,
      holdings,
      covered({ currentInterestMinor: 10_000n }),
      PERIOD,
      expected(
        [
          ['BANK-A', [0n, 0n, 0n, 0n, 0n]],
          ['BANK-B', [0n, 10_000n, 0n, 0n, 0n]],
          ['LEAD', [0n, 0n, 0n, 0n, 0n]],
        ],
        10_000n,
      ),
    );
  });

  it('takes no yield of the lead, and refuses a lender listed twice in id order or amounts that are numbers', () => {
    const lead = { ...THREE[0]!, yieldRate: '0.065' };
    expectSplit(
      LENDER_RATE,
      [lead, THREE[1]!, THREE[2]!],
      covered({ currentInterestMinor: 40_000n }),
      PERIOD,
      expected(
        [
          ['BANK-A', [0n, 16_792n, 0n, 0n, 0n]],
          ['BANK-B', [0n, 18_729n, 0n, 0n, 0n]],
          ['LEAD', [0n, 0n, 0n, 0n, 4_479n]],
        ],
        40_000n,
      ),
    );
    expectRefusal(
      terms(),
      [THREE[1]!, THREE[1]!, THREE[0]!],
      covered(),
      null,
      validation('holdings[1].lenderId "BANK-A" is listed twice', 'holdings[1].lenderId', 'unique-id'),
    );
    const asNumbers = THREE.map((h) => ({ ...h, outstandingPrincipalMinor: 5 as unknown as bigint }));
    expectRefusal(
      terms(),
      asNumbers,
      covered(),
      null,
      validation('holdings[0].outstandingPrincipalMinor must be a bigint of zero or more, got 5', 'holdings[0].outstandingPrincipalMinor', 'non-negative'),
    );
  });

  it('breaks ties by each lender’s own priority when the holdings come out of id order', () => {
    // 2 fen among three equal holdings on LARGEST_REMAINDER: the equal remainders go by priority, BANK-B (0) and BANK-A (5).
    const holdings = [holding('LEAD', 1_000n, null, 9), holding('BANK-B', 1_000n, null, 0), holding('BANK-A', 1_000n, null, 5)];
    expectSplit(
      terms({ remainderRule: 'LARGEST_REMAINDER' }),
      holdings,
      covered({ currentPrincipalMinor: 2n }),
      null,
      expected(
        [
          ['BANK-A', [1n, 0n, 0n, 0n, 0n]],
          ['BANK-B', [1n, 0n, 0n, 0n, 0n]],
          ['LEAD', [0n, 0n, 0n, 0n, 0n]],
        ],
        2n,
      ),
    );
  });

  it('accrues exactly where principal x yield x days is past 2^54 and not a double', () => {
    // 49,354,516,464,338 at 100% for 365 days ACT/365 earns itself exactly; x 365 = 18,014,398,509,483,370,
    // which a double rounds down by 2, one fen less rounded DOWN.
    const principal = 49_354_516_464_338n;
    const t = terms({ interestBasis: 'LENDER_RATE' }, { dayCount: 'ACT/365', roundingMode: 'DOWN' });
    const holdings = [holding('LEAD', 1n, null, 0), holding('BANK-A', principal, '1', 1)];
    const year = { start: '2025-01-01', end: '2026-01-01' };
    expectSplit(
      t,
      holdings,
      covered({ currentInterestMinor: principal + 3n }),
      year,
      expected(
        [
          ['BANK-A', [0n, principal, 0n, 0n, 0n]],
          ['LEAD', [0n, 0n, 0n, 0n, 3n]],
        ],
        principal + 3n,
      ),
    );
  });

  it('splits a shortfall that pushes the rounding party above its entitlement as the reference does', () => {
    // Entitlements 1, 10 and 10 (100% for 360 days ACT/360); 20 paid, rounded DOWN: BANK-B and BANK-C 9 each
    // would leave BANK-A 2, above its 1; the unit above goes to BANK-B, the lower priority number.
    const t = terms({ interestBasis: 'LENDER_RATE', roundingParty: 'BANK-A' }, { roundingMode: 'DOWN' });
    const holdings = [holding('LEAD', 1n, null, 0), holding('BANK-A', 1n, '1', 1), holding('BANK-B', 10n, '1', 2), holding('BANK-C', 10n, '1', 3)];
    const year = { start: '2025-01-01', end: '2025-12-27' };
    expectSplit(
      t,
      holdings,
      covered({ currentInterestMinor: 20n }),
      year,
      expected(
        [
          ['BANK-A', [0n, 1n, 0n, 0n, 0n]],
          ['BANK-B', [0n, 10n, 0n, 0n, 0n]],
          ['BANK-C', [0n, 9n, 0n, 0n, 0n]],
          ['LEAD', [0n, 0n, 0n, 0n, 0n]],
        ],
        20n,
      ),
    );
  });
});
