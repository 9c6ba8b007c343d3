import { describe, expect, it } from 'vitest';
import { RuleViolation } from '../../../../shared/domain/errors.ts';
import { validate } from '../../../../shared/http/api.ts';
import { HttpError } from '../../../../shared/http/errors.ts';
import { bookLoanRequest } from '../../../../shared/http/schemas.ts';
import { WriteConflict } from '../../../../shared/ports/stores.ts';
import { bookLoan, getLoan, loanView } from '../../../../functions/loans/use-case.ts';
import {
  LEAD_ID,
  LOAN_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  PROGRAM_ID,
  aProgram,
  bookLoanBody,
  defaultLenders,
  financeOf,
  leadOps,
  partnerOf,
  platformFinance,
  type JsonBody,
} from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, sealFor, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const SCOPE = 'bookLoan#lead-ops-client#key-0001';

function seeded(): InMemoryStores {
  const stores = createInMemoryStores();
  seed(stores, { lenders: defaultLenders(), programs: [aProgram({ version: 1 }), aProgram({ version: 2, name: 'v2', termMonthsRange: { min: 1, max: 12 } })] });
  return stores;
}

async function book(stores: InMemoryStores, body: JsonBody = bookLoanBody(), scope = SCOPE): Promise<void> {
  await bookLoan(stores, validate(bookLoanRequest, body), sealFor(scope), NOW);
}

/** Lead 60%, partner A 40%; partner B has no part. */
const twoLenderBody = (loanId: string) =>
  bookLoanBody({
    loanId,
    fundingPlan: [
      { lenderId: LEAD_ID, amountMinor: '600000' },
      { lenderId: PARTNER_A, amountMinor: '400000' },
    ],
  });

describe('bookLoan', () => {
  it('writes the loan, its disbursement entry, a position per lender and the response, in one write', async () => {
    const stores = seeded();
    await book(stores);
    expect(stores.db.transactions).toBe(1);
    const loan = stores.db.loans.get(LOAN_ID);
    expect(loan?.programVersion).toBe(2);
    expect(loan?.terms.name).toBe('v2');
    expect(loan?.principalMinor).toBe(1_000_000n);
    expect([...stores.db.entries.keys()]).toEqual([`${LOAN_ID}#DISBURSEMENT#${LOAN_ID}`]);
    expect(stores.db.entries.get(`${LOAN_ID}#DISBURSEMENT#${LOAN_ID}`)?.legs).toHaveLength(6);
    expect([...stores.db.positions.values()]).toEqual([
      { lenderId: LEAD_ID, loanId: LOAN_ID, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 400_000n, SETTLEMENT_CLEARING: -400_000n }, version: 1 },
      { lenderId: PARTNER_A, loanId: LOAN_ID, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -300_000n }, version: 1 },
      { lenderId: PARTNER_B, loanId: LOAN_ID, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -300_000n }, version: 1 },
    ]);
    const record = stores.db.idempotency.get(SCOPE);
    expect(record?.statusCode).toBe(201);
    const response = JSON.parse(record?.responseBody ?? '') as { loanId: string; principalMinor: string; fundingPlan: unknown[] };
    expect([response.loanId, response.principalMinor, response.fundingPlan.length]).toEqual([LOAN_ID, '1000000', 3]);
  });

  it('books under the version it names, and a later version leaves the booked loan alone', async () => {
    const stores = seeded();
    await book(stores, bookLoanBody({ programVersion: 1, termMonths: 24 }));
    seed(stores, { programs: [aProgram({ version: 3, name: 'v3', borrowerRateRange: { min: '0.1', max: '0.2' } })] });
    const loan = stores.db.loans.get(LOAN_ID);
    expect([loan?.programVersion, loan?.terms.name, loan?.terms.borrowerRateRange]).toEqual([1, 'Consumer co-lending 2025', { min: '0.036', max: '0.24' }]);
  });

  it('refuses a program that does not exist, naming the field', async () => {
    const stores = seeded();
    const noProgram = await rejectedBy(RuleViolation, () => book(stores, bookLoanBody({ programId: 'NONE' })));
    expect([noProgram.code, noProgram.message, noProgram.details]).toEqual(['UNKNOWN_PROGRAM', 'program NONE does not exist', { path: 'programId' }]);
    const noVersion = await rejectedBy(RuleViolation, () => book(stores, bookLoanBody({ programVersion: 9 })));
    expect([noVersion.code, noVersion.message, noVersion.details]).toEqual(['UNKNOWN_PROGRAM', `program ${PROGRAM_ID} version 9 does not exist`, { path: 'programVersion' }]);
  });

  it('writes nothing when the booking is refused', async () => {
    const stores = seeded();
    const body = bookLoanBody({ fundingPlan: [{ lenderId: LEAD_ID, amountMinor: '400000' }, { lenderId: PARTNER_A, amountMinor: '300000' }, { lenderId: PARTNER_B, amountMinor: '299999' }] });
    const error = await rejectedBy(RuleViolation, () => book(stores, body));
    expect([error.code, error.details.planSumMinor, error.details.principalMinor]).toEqual(['PLAN_SUM_MISMATCH', '999999', '1000000']);
    expect(stores.db.transactions).toBe(0);
    expect([stores.db.loans.size, stores.db.entries.size, stores.db.positions.size, stores.db.idempotency.size]).toEqual([0, 0, 0, 0]);
  });

  it('refuses a loan id booked before, under another key, and writes nothing more', async () => {
    const stores = seeded();
    await book(stores);
    const conflict = await rejectedBy(WriteConflict, () => book(stores, bookLoanBody({ principalMinor: '2000000', fundingPlan: [{ lenderId: LEAD_ID, amountMinor: '800000' }, { lenderId: PARTNER_A, amountMinor: '600000' }, { lenderId: PARTNER_B, amountMinor: '600000' }] }), 'another-scope'));
    expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', 'loan']);
    expect(stores.db.transactions).toBe(1);
    expect(stores.db.loans.get(LOAN_ID)?.principalMinor).toBe(1_000_000n);
    expect(stores.db.idempotency.has('another-scope')).toBe(false);
  });

  it('books all or nothing: a position already there stops the whole booking', async () => {
    const stores = seeded();
    const stale = { lenderId: PARTNER_B, loanId: LOAN_ID, currency: 'CNY', balancesMinor: {}, version: 0 };
    stores.db.positions.set(`${LOAN_ID}#${PARTNER_B}`, stale);
    const conflict = await rejectedBy(WriteConflict, () => book(stores));
    expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', 'position']);
    expect([stores.db.loans.size, stores.db.entries.size, stores.db.idempotency.size, stores.db.transactions]).toEqual([0, 0, 0, 0]);
    expect([...stores.db.positions.values()]).toEqual([stale]);
  });
});

describe('getLoan', () => {
  async function booked(): Promise<InMemoryStores> {
    const stores = seeded();
    await book(stores);
    await book(stores, twoLenderBody('LN-2025-000002'), 'scope-2');
    return stores;
  }

  it('shows the whole loan to lead operations and platform finance', async () => {
    const stores = await booked();
    for (const principal of [leadOps, platformFinance]) {
      const loan = await getLoan(stores, principal, LOAN_ID);
      expect(loan).toEqual(stores.db.loans.get(LOAN_ID));
      expect(loan.fundingPlan).toHaveLength(3);
    }
  });

  it('shows a partner only its own part of a loan', async () => {
    const stores = await booked();
    const loan = await getLoan(stores, partnerOf(PARTNER_A), LOAN_ID);
    expect(loan.fundingPlan).toEqual([{ lenderId: PARTNER_A, amountMinor: 300_000n, role: 'PARTNER' }]);
    expect(loan.terms.participants.map((p) => p.lenderId)).toEqual([PARTNER_A]);
    expect(loan.principalMinor).toBe(1_000_000n);
    expect((await getLoan(stores, financeOf(PARTNER_B), LOAN_ID)).fundingPlan).toEqual([{ lenderId: PARTNER_B, amountMinor: 300_000n, role: 'PARTNER' }]);
  });

  it('answers 404 to a partner with no part in the loan, exactly as for a loan that does not exist', async () => {
    const stores = await booked();
    const hidden = await rejectedBy(HttpError, () => getLoan(stores, partnerOf(PARTNER_B), 'LN-2025-000002'));
    const missing = await rejectedBy(HttpError, () => getLoan(stores, leadOps, 'LN-NONE'));
    expect([hidden.statusCode, hidden.code, hidden.message]).toEqual([404, 'NOT_FOUND', 'loan LN-2025-000002 was not found']);
    expect([missing.statusCode, missing.code, missing.message]).toEqual([404, 'NOT_FOUND', 'loan LN-NONE was not found']);
    expect((await getLoan(stores, partnerOf(PARTNER_A), 'LN-2025-000002')).fundingPlan).toEqual([{ lenderId: PARTNER_A, amountMinor: 400_000n, role: 'PARTNER' }]);
  });
});

describe('loanView', () => {
  it('returns the loan itself when the caller is unrestricted', async () => {
    const stores = seeded();
    await book(stores);
    const loan = stores.db.loans.get(LOAN_ID);
    if (!loan) throw new Error('not booked');
    expect(loanView(loan, null)).toBe(loan);
    expect(loanView(loan, 'OUTSIDER').fundingPlan).toEqual([]);
    expect(loan.fundingPlan).toHaveLength(3);
  });
});
