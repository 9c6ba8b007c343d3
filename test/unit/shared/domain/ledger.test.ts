import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvariantViolation } from '../../../../shared/domain/errors.ts';
import {
  ACCOUNTS,
  ESCROW,
  applyEntries,
  applyEntry,
  applyLegs,
  balancesBefore,
  assertBalanced,
  balanceDifferences,
  entryIdOf,
  foldEntries,
  imbalances,
  openPosition,
  outstandingPrincipalMinor,
  type JournalEntry,
  type Leg,
} from '../../../../shared/domain/ledger.ts';
import { LEAD_ID, LOAN_ID, NOW, PARTNER_A, aLeg } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';
import { propertyRuns } from '../../../support/property-runs.ts';

const leg = (lenderId: string, account: Leg['account'], side: Leg['side'], amountMinor: bigint, counterparty: string | null = null): Leg => ({
  lenderId,
  account,
  side,
  amountMinor,
  counterparty,
});

function entry(legs: readonly Leg[], entryId = `DISBURSEMENT#${LOAN_ID}`): JournalEntry {
  return { entryId, eventType: 'DISBURSEMENT', eventId: LOAN_ID, loanId: LOAN_ID, currency: 'CNY', businessDate: '2025-03-01', legs, createdAt: NOW };
}

/** Lead 400,000 and partner 600,000 fen of principal paid out through escrow. */
const disbursement = entry([
  leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 400_000n),
  leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', 400_000n, ESCROW),
  leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 600_000n),
  leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'CREDIT', 600_000n, ESCROW),
]);

/** A principal repayment of 100,000 fen split 40,000 / 60,000 (a later event, built by hand). */
const repayment = entry(
  [
    leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'DEBIT', 40_000n, ESCROW),
    leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'CREDIT', 40_000n),
    leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'DEBIT', 60_000n, ESCROW),
    leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'CREDIT', 60_000n),
  ],
  'REPAYMENT#LN-2025-000001-P1',
);

describe('entryIdOf', () => {
  it('derives the entry id from the event', () => {
    expect(entryIdOf('DISBURSEMENT', 'LN-1')).toBe('DISBURSEMENT#LN-1');
  });
});

describe('assertBalanced', () => {
  it('returns a balanced entry unchanged', () => {
    expect(assertBalanced(disbursement)).toBe(disbursement);
  });

  it('refuses an entry whose books do not balance, naming the book and its figures', () => {
    const off = entry([leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 400_001n), leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', 400_000n, ESCROW)]);
    const error = thrownBy(InvariantViolation, () => assertBalanced(off));
    expect(error.code).toBe('INVARIANT_VIOLATED');
    expect(error.message).toBe('a journal entry balances in every book');
    expect(error.details).toEqual({ entryId: `DISBURSEMENT#${LOAN_ID}`, books: [{ lenderId: LEAD_ID, debitMinor: '400001', creditMinor: '400000' }] });
  });

  it('refuses an entry that balances in total but not in each book', () => {
    const across = entry([leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 100n), leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'CREDIT', 100n, ESCROW)]);
    const error = thrownBy(InvariantViolation, () => assertBalanced(across));
    expect(error.details.books).toEqual([
      { lenderId: LEAD_ID, debitMinor: '100', creditMinor: '0' },
      { lenderId: PARTNER_A, debitMinor: '0', creditMinor: '100' },
    ]);
  });

  it('refuses an empty entry, naming it', () => {
    const error = thrownBy(InvariantViolation, () => assertBalanced(entry([])));
    expect(error.message).toBe('a journal entry has at least one leg');
    expect(error.details).toEqual({ entryId: `DISBURSEMENT#${LOAN_ID}` });
  });

  it('refuses a zero or negative leg, even when the books balance', () => {
    const zero = entry([leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 0n), leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', 0n)]);
    const zeroError = thrownBy(InvariantViolation, () => assertBalanced(zero));
    expect(zeroError.message).toBe('every leg amount is positive');
    expect(zeroError.details).toEqual({ entryId: `DISBURSEMENT#${LOAN_ID}`, leg: 'PRINCIPAL_RECEIVABLE', lenderId: LEAD_ID });
    const negative = entry([leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', -5n), leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'DEBIT', 5n)]);
    expect(thrownBy(InvariantViolation, () => assertBalanced(negative)).message).toBe('every leg amount is positive');
  });
});

/**
 * assertBalanced adds up each run of one book's legs as numbers while that is exact and otherwise
 * settles the entry in bigint, book by book: each case below would be decided wrongly by a number
 * sum that went on past the limit, or by a quick answer taken from the last run alone.
 */
describe('assertBalanced: the number path and its fallback to bigint', () => {
  const LIMIT = 2n ** 52n;

  it('returns a balanced entry whose books interleave, each run not netting to zero', () => {
    const interleaved = entry([
      leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 400_000n),
      leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 600_000n),
      leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', 400_000n, ESCROW),
      leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'CREDIT', 600_000n, ESCROW),
    ]);
    expect(assertBalanced(interleaved)).toBe(interleaved);
  });

  it('refuses an entry whose first book is off even though its last book balances', () => {
    const firstOff = entry([
      leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 400_001n),
      leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', 400_000n, ESCROW),
      leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 600_000n),
      leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'CREDIT', 600_000n, ESCROW),
    ]);
    expect(thrownBy(InvariantViolation, () => assertBalanced(firstOff)).details).toEqual({
      entryId: `DISBURSEMENT#${LOAN_ID}`,
      books: [{ lenderId: LEAD_ID, debitMinor: '400001', creditMinor: '400000' }],
    });
  });

  it('refuses amounts at or over 2^52 that differ by one fen, and returns them when they balance', () => {
    const off = entry([leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', LIMIT), leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', LIMIT + 1n, ESCROW)]);
    expect(thrownBy(InvariantViolation, () => assertBalanced(off)).details).toEqual({
      entryId: `DISBURSEMENT#${LOAN_ID}`,
      books: [{ lenderId: LEAD_ID, debitMinor: '4503599627370496', creditMinor: '4503599627370497' }],
    });
    const even = entry([leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', LIMIT + 1n), leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', LIMIT + 1n, ESCROW)]);
    expect(assertBalanced(even)).toBe(even);
  });

  it('refuses legs under 2^52 whose running sum passes it and rounds to zero as a number', () => {
    // As doubles, three debits of 2^52 - 1 add up to 3 * 2^52 - 4 (the sum is odd past 2^53): the
    // credits below bring that to exactly 0, though the debits exceed the credits by one fen.
    const debits = [LIMIT - 1n, LIMIT - 1n, LIMIT - 1n];
    const credits = [LIMIT - 1n, LIMIT - 1n, LIMIT - 2n];
    const rounded = entry([
      ...debits.map((amount) => leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', amount)),
      ...credits.map((amount) => leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', amount, ESCROW)),
    ]);
    expect([...debits, ...credits.map((c) => -c)].reduce((sum, amount) => sum + Number(amount), 0)).toBe(0);
    expect(thrownBy(InvariantViolation, () => assertBalanced(rounded)).details).toEqual({
      entryId: `DISBURSEMENT#${LOAN_ID}`,
      books: [{ lenderId: LEAD_ID, debitMinor: '13510798882111485', creditMinor: '13510798882111484' }],
    });
  });

  it('refuses the same rounding below -2^52, credits first', () => {
    const credits = [LIMIT - 1n, LIMIT - 1n, LIMIT - 1n];
    const debits = [LIMIT - 1n, LIMIT - 1n, LIMIT - 2n];
    const rounded = entry([
      ...credits.map((amount) => leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', amount, ESCROW)),
      ...debits.map((amount) => leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', amount)),
    ]);
    expect([...credits.map((c) => -c), ...debits].reduce((sum, amount) => sum + Number(amount), 0)).toBe(0);
    expect(thrownBy(InvariantViolation, () => assertBalanced(rounded)).details).toEqual({
      entryId: `DISBURSEMENT#${LOAN_ID}`,
      books: [{ lenderId: LEAD_ID, debitMinor: '13510798882111484', creditMinor: '13510798882111485' }],
    });
  });
});

/**
 * assertBalanced adds up each run of one book's legs in bigint. An amount that is not a bigint
 * (never so when typed, but an entry may be built from decoded data) is judged by its number, as
 * it always was; and every entry gets the answer of the plain rule: the first leg that is not
 * positive is refused, then any book that does not balance, otherwise the entry is returned.
 */
describe('assertBalanced: bigint runs and amounts that are not bigints', () => {
  const LIMIT = 2n ** 52n;

  it('judges an amount that is a number by its number: balanced, it returns the entry', () => {
    const asNumber = entry([
      leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 40_000n),
      leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', 40_000 as unknown as bigint, ESCROW),
    ]);
    expect(assertBalanced(asNumber)).toBe(asNumber);
  });

  it('refuses an amount that is a number and not positive, after bigint legs that are', () => {
    const zero = entry([
      leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 40_000n),
      leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'CREDIT', 0 as unknown as bigint, ESCROW),
    ]);
    const error = thrownBy(InvariantViolation, () => assertBalanced(zero));
    expect(error.message).toBe('every leg amount is positive');
    expect(error.details).toEqual({ entryId: `DISBURSEMENT#${LOAN_ID}`, leg: 'SETTLEMENT_CLEARING', lenderId: PARTNER_A });
  });

  it('refuses a missing amount as not positive', () => {
    const missing = entry([leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', undefined as unknown as bigint)]);
    expect(thrownBy(InvariantViolation, () => assertBalanced(missing)).message).toBe('every leg amount is positive');
  });

  it('returns a book whose run adds up far past 2^64 and nets to zero', () => {
    const huge = LIMIT ** 2n;
    const wide = entry([
      leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', huge),
      leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', huge),
      leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'CREDIT', 2n * huge, ESCROW),
    ]);
    expect(assertBalanced(wide)).toBe(wide);
  });

  const BOOKS = [LEAD_ID, PARTNER_A, 'BANK-B'];
  const amount = fc.oneof(
    { weight: 8, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 9n }) },
    { weight: 2, arbitrary: fc.bigInt({ min: LIMIT - 1_000n, max: LIMIT + 1_000n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 30n }) },
    { weight: 1, arbitrary: fc.constantFrom(0n, -1n) },
  );
  const anyLeg = fc.record({ book: fc.constantFrom(...BOOKS), side: fc.constantFrom('DEBIT', 'CREDIT'), amount });
  /** Legs that balance in every book: each debit has its credit, and the legs are then shuffled or not. */
  const balancedLegs = fc
    .array(fc.record({ book: fc.constantFrom(...BOOKS), amount }), { minLength: 1, maxLength: 6 })
    .chain((pairs) => {
      const legs = pairs.flatMap(({ book, amount: a }) => [
        { book, side: 'DEBIT' as const, amount: a },
        { book, side: 'CREDIT' as const, amount: a },
      ]);
      return fc.oneof(fc.constant(legs), fc.shuffledSubarray(legs, { minLength: legs.length, maxLength: legs.length }));
    });

  function plainRule(legs: readonly Leg[]): unknown {
    const bad = legs.find((l) => !(l.amountMinor > 0n));
    if (bad !== undefined) return { error: 'every leg amount is positive', lenderId: bad.lenderId, leg: bad.account };
    const books = new Map<string, bigint>();
    for (const l of legs) books.set(l.lenderId, (books.get(l.lenderId) ?? 0n) + (l.side === 'DEBIT' ? l.amountMinor : -l.amountMinor));
    const off = [...books].filter(([, net]) => net !== 0n).map(([lenderId]) => lenderId);
    return off.length > 0 ? { error: 'a journal entry balances in every book', off } : { returned: true };
  }

  function answer(legs: readonly Leg[]): unknown {
    const built = entry(legs);
    try {
      return assertBalanced(built) === built ? { returned: true } : { returned: false };
    } catch (error) {
      if (!(error instanceof InvariantViolation)) throw error;
      const details = error.details as { lenderId?: string; leg?: string; books?: { lenderId: string }[] };
      return error.message === 'every leg amount is positive'
        ? { error: error.message, lenderId: details.lenderId, leg: details.leg }
        : { error: error.message, off: details.books!.map((b) => b.lenderId) };
    }
  }

  it('answers as the plain rule does, for any legs and for legs that balance', () => {
    const toLegs = (raw: readonly { book: string; side: 'DEBIT' | 'CREDIT'; amount: bigint }[]): Leg[] =>
      raw.map((r) => leg(r.book, r.side === 'DEBIT' ? 'PRINCIPAL_RECEIVABLE' : 'SETTLEMENT_CLEARING', r.side, r.amount));
    fc.assert(
      fc.property(fc.oneof(fc.array(anyLeg, { minLength: 1, maxLength: 10 }), balancedLegs), (raw) => {
        const legs = toLegs(raw);
        expect(answer(legs)).toEqual(plainRule(legs));
      }),
      { numRuns: propertyRuns(2000) },
    );
  });
});

describe('imbalances', () => {
  it('is empty for a balanced entry', () => {
    expect(imbalances(disbursement)).toEqual([]);
  });

  it('lists each book that does not balance', () => {
    expect(imbalances({ legs: [leg(LEAD_ID, 'FEE_INCOME', 'CREDIT', 7n)] })).toEqual([{ lenderId: LEAD_ID, debitMinor: 0n, creditMinor: 7n }]);
  });
});

describe('applyLegs and applyEntry', () => {
  it('adds debits and subtracts credits per account', () => {
    expect(applyLegs({ PRINCIPAL_RECEIVABLE: 10n }, [leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 5n), leg(LEAD_ID, 'SUSPENSE', 'CREDIT', 5n)])).toEqual({
      PRINCIPAL_RECEIVABLE: 15n,
      SUSPENSE: -5n,
    });
  });

  it("applies only the lender's own legs and counts the entry in the version", () => {
    const position = applyEntry(openPosition(PARTNER_A, LOAN_ID, 'CNY'), disbursement);
    expect(position).toEqual({
      lenderId: PARTNER_A,
      loanId: LOAN_ID,
      currency: 'CNY',
      balancesMinor: { PRINCIPAL_RECEIVABLE: 600_000n, SETTLEMENT_CLEARING: -600_000n },
      version: 1,
    });
    const after = applyEntry(position, repayment);
    expect(after.balancesMinor).toEqual({ PRINCIPAL_RECEIVABLE: 540_000n, SETTLEMENT_CLEARING: -540_000n });
    expect(after.version).toBe(2);
  });

  it('does not change the position it is given', () => {
    const open = openPosition(LEAD_ID, LOAN_ID, 'CNY');
    applyEntry(open, disbursement);
    expect(open).toEqual({ lenderId: LEAD_ID, loanId: LOAN_ID, currency: 'CNY', balancesMinor: {}, version: 0 });
  });

  it('refuses an entry without legs for the lender', () => {
    const error = thrownBy(InvariantViolation, () => applyEntry(openPosition('PARTNER-B', LOAN_ID, 'CNY'), disbursement));
    expect(error.message).toBe('an entry only changes the positions of lenders it has legs for');
    expect(error.details).toEqual({ entryId: `DISBURSEMENT#${LOAN_ID}`, lenderId: 'PARTNER-B' });
  });

  it('refuses an entry that would make a principal negative', () => {
    const error = thrownBy(InvariantViolation, () => applyEntry(openPosition(LEAD_ID, LOAN_ID, 'CNY'), repayment));
    expect(error.message).toBe('no lender principal is ever negative');
    expect(error.details).toEqual({ entryId: 'REPAYMENT#LN-2025-000001-P1', lenderId: LEAD_ID });
  });

  it('applies no entries as no change: the same balances and version', () => {
    const position = applyEntry(openPosition(LEAD_ID, LOAN_ID, 'CNY'), disbursement);
    expect(applyEntries(position, [])).toEqual(position);
  });

  it('reads the outstanding principal, zero for an empty position', () => {
    expect(outstandingPrincipalMinor(openPosition(LEAD_ID, LOAN_ID, 'CNY'))).toBe(0n);
    expect(outstandingPrincipalMinor(applyEntry(openPosition(LEAD_ID, LOAN_ID, 'CNY'), disbursement))).toBe(400_000n);
  });
});

describe('foldEntries', () => {
  it('recomputes every lender position from the entries', () => {
    const positions = foldEntries(LOAN_ID, [disbursement, repayment]);
    expect([...positions.keys()]).toEqual([LEAD_ID, PARTNER_A]);
    expect(positions.get(LEAD_ID)).toEqual({
      lenderId: LEAD_ID,
      loanId: LOAN_ID,
      currency: 'CNY',
      balancesMinor: { PRINCIPAL_RECEIVABLE: 360_000n, SETTLEMENT_CLEARING: -360_000n },
      version: 2,
    });
    expect(positions.get(PARTNER_A)?.balancesMinor).toEqual({ PRINCIPAL_RECEIVABLE: 540_000n, SETTLEMENT_CLEARING: -540_000n });
  });

  it('is empty without entries', () => {
    expect(foldEntries(LOAN_ID, []).size).toBe(0);
  });
});

describe('balanceDifferences', () => {
  it('is empty when the balances agree, a missing account counting as zero', () => {
    expect(balanceDifferences({ PRINCIPAL_RECEIVABLE: 5n, SUSPENSE: 0n }, { PRINCIPAL_RECEIVABLE: 5n })).toEqual([]);
  });

  it('lists each account that differs, in chart-of-accounts order', () => {
    expect(balanceDifferences({ PRINCIPAL_RECEIVABLE: 400_000n, SETTLEMENT_CLEARING: -400_000n }, { PRINCIPAL_RECEIVABLE: 399_999n, LOSSES: 1n, SETTLEMENT_CLEARING: -400_000n })).toEqual([
      { account: 'PRINCIPAL_RECEIVABLE', expectedMinor: 400_000n, actualMinor: 399_999n },
      { account: 'LOSSES', expectedMinor: 0n, actualMinor: 1n },
    ]);
  });

  it('covers every account of the chart', () => {
    expect(ACCOUNTS).toHaveLength(10);
    const everyAccount = Object.fromEntries(ACCOUNTS.map((a) => [a, 1n]));
    expect(balanceDifferences(everyAccount, {}).map((d) => d.account)).toEqual([...ACCOUNTS]);
  });
});

describe('balances before some legs', () => {
  it('undoes exactly what applying the legs did, account by account', () => {
    const legs = [aLeg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'C', 22_500n), aLeg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 25_200n, 'ESCROW'), aLeg(PARTNER_A, 'INTEREST_INCOME', 'C', 2_700n)];
    const before = { PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -300_000n };
    const after = applyLegs(before, legs);
    expect(after).toEqual({ PRINCIPAL_RECEIVABLE: 277_500n, SETTLEMENT_CLEARING: -274_800n, INTEREST_INCOME: -2_700n });
    expect(balancesBefore(after, legs)).toEqual({ ...before, INTEREST_INCOME: 0n });
  });
});
