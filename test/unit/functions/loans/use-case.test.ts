import { describe, expect, it } from 'vitest';
import { RuleViolation, NotFound } from '../../../../shared/domain/errors.ts';
import { quotaTotals, type QuotaShard } from '../../../../shared/domain/exposure.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { bookLoanRequest } from '../../../../shared/contracts/schemas.ts';
import { OPTIMISTIC_ATTEMPTS, WriteConflict, type ExposureStore } from '../../../../shared/ports/stores.ts';
import { bookLoan, getLoan, getLoanSchedule, lookUpBorrower, lookupAuditEvent } from '../../../../functions/loans/use-case.ts';
import { Forbidden } from '../../../../shared/domain/errors.ts';
import { borrowerLookupRequest, createApplicationRequest } from '../../../../shared/contracts/schemas.ts';
import { createApplication } from '../../../../functions/applications/use-case.ts';
import { loanView } from '../../../../shared/use-cases/loan-booking.ts';
import { bookLoanEvent } from '../../../../shared/use-cases/loan-changes.ts';
import {
  LEAD_ID,
  LOAN_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  PROGRAM_ID,
  SHARD_ALLOTMENT_MINOR,
  aLeadLender,
  aLimits,
  createApplicationBody,
  aPartnerLender,
  aProgram,
  aQuotaShard,
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

  it("writes the schedules, each lender's quota and the borrower's exposure with it", async () => {
    const stores = seeded();
    await book(stores);
    const schedules = await stores.loans.schedules(LOAN_ID);
    expect(schedules?.borrower.totalPrincipalMinor).toBe(1_000_000n);
    expect(schedules?.lenders.map((s) => [s.lenderId, s.totalPrincipalMinor])).toEqual([
      [LEAD_ID, 400_000n],
      [PARTNER_A, 300_000n],
      [PARTNER_B, 300_000n],
    ]);
    // The loan id starts at shard 3 of every lender's quota.
    for (const [lenderId, amountMinor] of [
      [LEAD_ID, 400_000n],
      [PARTNER_A, 300_000n],
      [PARTNER_B, 300_000n],
    ] as const) {
      expect(await stores.exposure.quotaShards(lenderId)).toEqual([
        { lenderId, shard: 3, allotmentMinor: SHARD_ALLOTMENT_MINOR, reservedMinor: 0n, committedMinor: amountMinor, committedByLeadMinor: { [LEAD_ID]: amountMinor }, version: 1 },
      ]);
    }
    expect(await stores.exposure.borrowerExposure('BRW-0001')).toEqual({
      borrowerId: 'BRW-0001',
      unsecuredPersonalOutstandingMinor: 1_000_000n,
      totalOutstandingMinor: 1_000_000n,
      perLenderMinor: { [LEAD_ID]: 400_000n, [PARTNER_A]: 300_000n, [PARTNER_B]: 300_000n },
      version: 1,
    });
  });

  it("refuses a loan beyond a lender's exposure quota left across its loans, and writes nothing", async () => {
    const stores = seeded();
    seed(stores, { lenders: [aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: 500_000n, perBorrowerCapMinor: 500_000n }) })] });
    await book(stores);
    // 62,500 a shard: the first loan's 300,000 fills shards 3 to 6 and takes 50,000 of shard 7.
    expect((await stores.exposure.quotaShards(PARTNER_A)).map((s) => [s.shard, s.allotmentMinor, s.committedMinor, s.version])).toEqual([
      [3, 62_500n, 62_500n, 1],
      [4, 62_500n, 62_500n, 1],
      [5, 62_500n, 62_500n, 1],
      [6, 62_500n, 62_500n, 1],
      [7, 62_500n, 50_000n, 1],
    ]);
    const shards = await stores.exposure.quotaShards(PARTNER_A);
    const error = await rejectedBy(RuleViolation, () => book(stores, bookLoanBody({ loanId: 'LN-2025-000002', borrower: { borrowerId: 'BRW-0002', type: 'INDIVIDUAL', region: 'CN-44' } }), 'scope-2'));
    expect([error.code, error.details]).toEqual([
      'EXPOSURE_QUOTA',
      { lenderId: PARTNER_A, rule: 'EXPOSURE_QUOTA', quotaMinor: '500000', outstandingMinor: '300000', reservedMinor: '0', requestedMinor: '300000' },
    ]);
    expect([stores.db.transactions, stores.db.loans.size, stores.db.exposures.has('BRW-0002')]).toEqual([1, 1, false]);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual(shards);
    expect(quotaTotals(await stores.exposure.quotaShards(LEAD_ID)).committedMinor).toBe(400_000n);
  });

  it("refuses a lender's part beyond its per-borrower cap across the borrower's loans", async () => {
    const stores = seeded();
    seed(stores, { lenders: [aPartnerLender(PARTNER_A, { limits: aLimits({ perBorrowerCapMinor: 500_000n }) })] });
    await book(stores);
    const error = await rejectedBy(RuleViolation, () => book(stores, bookLoanBody({ loanId: 'LN-2025-000002' }), 'scope-2'));
    expect([error.code, error.details]).toEqual([
      'PER_BORROWER_CAP',
      { path: 'fundingPlan.1.amountMinor', rule: 'PER_BORROWER_CAP', capMinor: '500000', existingMinor: '300000', requestedMinor: '300000' },
    ]);
    expect(stores.db.loans.has('LN-2025-000002')).toBe(false);
  });

  it('refuses unsecured personal credit beyond the CN-2021 cap across the borrower\'s loans; secured credit does not count', async () => {
    const stores = seeded();
    const big = (loanId: string, secured: boolean) =>
      bookLoanBody({
        loanId,
        principalMinor: '10000000',
        borrower: { borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', secured },
        fundingPlan: [
          { lenderId: LEAD_ID, amountMinor: '4000000' },
          { lenderId: PARTNER_A, amountMinor: '3000000' },
          { lenderId: PARTNER_B, amountMinor: '3000000' },
        ],
      });
    await book(stores, big('LN-1', false), 'scope-1');
    await book(stores, big('LN-2', false), 'scope-2');
    const error = await rejectedBy(RuleViolation, () => book(stores, bookLoanBody({ loanId: 'LN-3' }), 'scope-3'));
    expect([error.code, error.details.existingMinor, error.details.requestedMinor, error.details.capMinor]).toEqual(['UNSECURED_PERSONAL_CAP', '20000000', '1000000', '20000000']);
    await book(stores, big('LN-4', true), 'scope-4');
    expect(await stores.exposure.borrowerExposure('BRW-0001')).toMatchObject({ unsecuredPersonalOutstandingMinor: 20_000_000n, totalOutstandingMinor: 30_000_000n, version: 3 });
  });

  /** Partner A's quota reads, with `race` run right after each (another booking writing in between). */
  function racing(stores: InMemoryStores, race: (reads: number) => void): { exposure: ExposureStore; reads: () => number } {
    let reads = 0;
    const exposure: ExposureStore = {
      quotaShards: async (lenderId) => {
        const read = await stores.exposure.quotaShards(lenderId);
        if (lenderId === PARTNER_A) race(++reads);
        return read;
      },
      borrowerExposure: (id) => stores.exposure.borrowerExposure(id),
      reservations: (id) => stores.exposure.reservations(id),
      reserve: (r, changes) => stores.exposure.reserve(r, changes),
      release: (r, changes) => stores.exposure.release(r, changes),
      principalShards: (id) => stores.exposure.principalShards(id),
      borrowerPrincipal: (id) => stores.exposure.borrowerPrincipal(id),
      person: (identityHash) => stores.exposure.person(identityHash),
    };
    return { exposure, reads: () => reads };
  }

  it('decides again on fresh figures when another booking changed the same quota shard in between', async () => {
    const stores = seeded();
    const competitor: QuotaShard = aQuotaShard({ shard: 3, committedMinor: 1_000n, committedByLeadMinor: { [LEAD_ID]: 1_000n }, version: 1 });
    const { exposure, reads } = racing(stores, (n) => {
      if (n === 1) seed(stores, { quotas: [competitor] });
    });
    await bookLoan({ ...stores, exposure }, validate(bookLoanRequest, bookLoanBody()), sealFor(SCOPE), NOW);
    expect(reads()).toBe(2);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([{ ...competitor, committedMinor: 301_000n, committedByLeadMinor: { [LEAD_ID]: 301_000n }, version: 2 }]);
    expect(stores.db.transactions).toBe(1);
  });

  it('is not held up by another booking on another shard of the same quota', async () => {
    const stores = seeded();
    const other: QuotaShard = aQuotaShard({ shard: 6, committedMinor: 1_000n, committedByLeadMinor: { [LEAD_ID]: 1_000n }, version: 1 });
    const { exposure, reads } = racing(stores, (n) => {
      if (n === 1) seed(stores, { quotas: [other] });
    });
    await bookLoan({ ...stores, exposure }, validate(bookLoanRequest, bookLoanBody()), sealFor(SCOPE), NOW);
    expect(reads()).toBe(1);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([
      aQuotaShard({ shard: 3, committedMinor: 300_000n, committedByLeadMinor: { [LEAD_ID]: 300_000n }, version: 1 }),
      other,
    ]);
  });

  it(`gives up after ${OPTIMISTIC_ATTEMPTS} bookings lost the race for a shard, writing nothing`, async () => {
    const stores = seeded();
    const { exposure, reads } = racing(stores, (n) => seed(stores, { quotas: [aQuotaShard({ shard: 3, committedMinor: BigInt(n), version: n })] }));
    const conflict = await rejectedBy(WriteConflict, () => bookLoan({ ...stores, exposure }, validate(bookLoanRequest, bookLoanBody()), sealFor(SCOPE), NOW));
    expect([conflict.reason, conflict.entity, reads()]).toEqual(['ALREADY_EXISTS', 'quota', 25]);
    expect([stores.db.transactions, stores.db.loans.size, stores.db.idempotency.size]).toEqual([0, 0, 0]);
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
    expect([stores.db.borrowerSchedules.size, stores.db.lenderSchedules.size, stores.db.quotas.size, stores.db.exposures.size]).toEqual([0, 0, 0, 0]);
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
    expect([stores.db.borrowerSchedules.size, stores.db.quotas.size, stores.db.exposures.size]).toEqual([0, 0, 0]);
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
    const hidden = await rejectedBy(NotFound, () => getLoan(stores, partnerOf(PARTNER_B), 'LN-2025-000002'));
    const missing = await rejectedBy(NotFound, () => getLoan(stores, leadOps, 'LN-NONE'));
    expect([hidden.code, hidden.message]).toEqual(['NOT_FOUND', 'loan LN-2025-000002 was not found']);
    expect([missing.code, missing.message]).toEqual(['NOT_FOUND', 'loan LN-NONE was not found']);
    expect((await getLoan(stores, partnerOf(PARTNER_A), 'LN-2025-000002')).fundingPlan).toEqual([{ lenderId: PARTNER_A, amountMinor: 400_000n, role: 'PARTNER' }]);
  });
});

describe('getLoanSchedule', () => {
  async function booked(): Promise<InMemoryStores> {
    const stores = seeded();
    await book(stores);
    await book(stores, twoLenderBody('LN-2025-000002'), 'scope-2');
    return stores;
  }

  it("shows lead operations and platform finance the borrower's schedule and every lender's", async () => {
    const stores = await booked();
    const stored = await stores.loans.schedules(LOAN_ID);
    for (const principal of [leadOps, platformFinance]) {
      const view = await getLoanSchedule(stores, principal, LOAN_ID);
      expect(view).toEqual({ loanId: LOAN_ID, borrower: stored?.borrower, lenders: stored?.lenders });
      expect(view.lenders.map((s) => s.lenderId)).toEqual([LEAD_ID, PARTNER_A, PARTNER_B]);
      expect(view.borrower?.instalments).toHaveLength(12);
    }
  });

  it('shows a partner only its own sub-schedule and never the borrower schedule', async () => {
    const stores = await booked();
    const view = await getLoanSchedule(stores, partnerOf(PARTNER_A), LOAN_ID);
    expect(view.borrower).toBeNull();
    expect(view.lenders.map((s) => [s.lenderId, s.totalPrincipalMinor])).toEqual([[PARTNER_A, 300_000n]]);
    expect((await getLoanSchedule(stores, financeOf(PARTNER_B), LOAN_ID)).lenders.map((s) => s.lenderId)).toEqual([PARTNER_B]);
  });

  it("after a buyback shows the seller's rows not yet due in the buyer's sub-schedule, and the seller only its rows before", async () => {
    const stores = await booked();
    stores.clock.set('2025-04-15T02:00:00.000Z');
    const deps = { loan: (id: string) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock };
    await bookLoanEvent(deps, LOAN_ID, { type: 'BUYBACK', eventId: 'B-1', valueDate: '2025-04-11', reason: 'Partner exit', sellerLenderId: PARTNER_A, buyerId: LEAD_ID, expectedPriceMinor: null });
    const view = await getLoanSchedule(stores, leadOps, LOAN_ID);
    // Instalment 1 (due 2025-04-01) stays PARTNER-A's: 24,180; instalments 2-12 (275,820) are the lead's now.
    expect(view.lenders.map((s) => [s.lenderId, s.instalments.length, s.totalPrincipalMinor])).toEqual([
      [LEAD_ID, 12, 675_820n],
      [PARTNER_A, 1, 24_180n],
      [PARTNER_B, 12, 300_000n],
    ]);
    expect((await getLoanSchedule(stores, partnerOf(PARTNER_A), LOAN_ID)).lenders.map((s) => s.instalments.map((i) => i.number))).toEqual([[1]]);
  });

  it('answers 404 for a loan the partner has no part in, exactly as for a loan that does not exist', async () => {
    const stores = await booked();
    const hidden = await rejectedBy(NotFound, () => getLoanSchedule(stores, partnerOf(PARTNER_B), 'LN-2025-000002'));
    const missing = await rejectedBy(NotFound, () => getLoanSchedule(stores, leadOps, 'LN-NONE'));
    expect([hidden.message]).toEqual(['loan LN-2025-000002 was not found']);
    expect([missing.message]).toEqual(['loan LN-NONE was not found']);
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

describe('bookLoan, one person under several borrower ids', () => {
  const ID_NUMBER = '11010519491231002X';
  const asPerson = (loanId: string, borrowerId: string, identityNumber: string | null, principal = '1000000') =>
    bookLoanBody({
      loanId,
      principalMinor: principal,
      borrower: { borrowerId, type: 'INDIVIDUAL', region: 'CN-44', ...(identityNumber === null ? {} : { personalData: { identityNumber } }) },
      fundingPlan: [
        { lenderId: LEAD_ID, amountMinor: String((BigInt(principal) * 4n) / 10n) },
        { lenderId: PARTNER_A, amountMinor: String((BigInt(principal) * 3n) / 10n) },
        { lenderId: PARTNER_B, amountMinor: String(BigInt(principal) - (BigInt(principal) * 4n) / 10n - (BigInt(principal) * 3n) / 10n) },
      ],
    });

  it("holds a second borrower id of the same identity number to the person's per-borrower cap, and names both ids", async () => {
    const stores = seeded();
    seed(stores, { lenders: [aPartnerLender(PARTNER_A, { limits: aLimits({ perBorrowerCapMinor: 500_000n }) })] });
    await book(stores, asPerson('LN-P1', 'BRW-APP', ID_NUMBER), 'scope-1');
    const error = await rejectedBy(RuleViolation, () => book(stores, asPerson('LN-P2', 'BRW-WEB', ID_NUMBER), 'scope-2'));
    expect([error.code, error.details]).toEqual([
      'PER_BORROWER_CAP',
      { path: 'fundingPlan.1.amountMinor', rule: 'PER_BORROWER_CAP', capMinor: '500000', existingMinor: '300000', requestedMinor: '300000', borrowerIds: ['BRW-WEB', 'BRW-APP'] },
    ]);
    expect(error.message).toContain('BRW-WEB (one person with BRW-APP)');
    expect(stores.db.loans.has('LN-P2')).toBe(false);
    // Another person (no identity number) under its own id is measured alone and books.
    await book(stores, asPerson('LN-P3', 'BRW-WEB', null), 'scope-3');
    expect(stores.db.loans.has('LN-P3')).toBe(true);
  });

  it('counts the unsecured personal cap over every id of the person', async () => {
    const stores = seeded();
    await book(stores, asPerson('LN-U1', 'BRW-APP', ID_NUMBER, '10000000'), 'scope-1');
    await book(stores, asPerson('LN-U2', 'BRW-WEB', ID_NUMBER, '10000000'), 'scope-2');
    const error = await rejectedBy(RuleViolation, () => book(stores, asPerson('LN-U3', 'BRW-H5', ID_NUMBER, '1000000'), 'scope-3'));
    expect([error.code, error.details.existingMinor, error.details.requestedMinor, error.details.capMinor, error.details.borrowerIds]).toEqual([
      'UNSECURED_PERSONAL_CAP',
      '20000000',
      '1000000',
      '20000000',
      ['BRW-H5', 'BRW-APP', 'BRW-WEB'],
    ]);
  });

  it('links each id to the person and lists each loan under it, in the booking, and keeps the hash on the exposure', async () => {
    const stores = seeded();
    await book(stores, asPerson('LN-L1', 'BRW-APP', ID_NUMBER), 'scope-1');
    await book(stores, asPerson('LN-L2', 'BRW-WEB', ID_NUMBER), 'scope-2');
    expect(stores.db.transactions).toBe(2);
    const [hash] = [...stores.db.persons.keys()];
    expect(hash).toMatch(/^hmac-sha256:[a-z0-9]+:[0-9a-f]{64}$/);
    expect(stores.db.persons.get(hash ?? '')).toEqual({ identityHash: hash, borrowerIds: ['BRW-APP', 'BRW-WEB'], version: 2 });
    expect([...stores.db.personRefs.values()].map((r) => [r.kind, r.id, r.borrowerId, r.programId])).toEqual([
      ['LOAN', 'LN-L1', 'BRW-APP', PROGRAM_ID],
      ['LOAN', 'LN-L2', 'BRW-WEB', PROGRAM_ID],
    ]);
    expect((await stores.exposure.borrowerExposure('BRW-WEB')).identityHash).toBe(hash);
  });

  it('measures a later booking of a linked id without an identity number as the person still', async () => {
    const stores = seeded();
    seed(stores, { lenders: [aPartnerLender(PARTNER_A, { limits: aLimits({ perBorrowerCapMinor: 800_000n }) })] });
    await book(stores, asPerson('LN-S1', 'BRW-APP', ID_NUMBER), 'scope-1');
    await book(stores, asPerson('LN-S2', 'BRW-WEB', ID_NUMBER), 'scope-2');
    const error = await rejectedBy(RuleViolation, () => book(stores, asPerson('LN-S3', 'BRW-WEB', null), 'scope-3'));
    expect([error.code, error.details.existingMinor, error.details.borrowerIds]).toEqual(['PER_BORROWER_CAP', '600000', ['BRW-WEB', 'BRW-APP']]);
  });

  it('decides again when another booking of the person wrote it since it was read', async () => {
    const stores = seeded();
    seed(stores, { lenders: [aPartnerLender(PARTNER_A, { limits: aLimits({ perBorrowerCapMinor: 500_000n }) })] });
    let raced = false;
    const exposure: ExposureStore = {
      ...stores.exposure,
      quotaShards: (id) => stores.exposure.quotaShards(id),
      reservations: (id) => stores.exposure.reservations(id),
      reserve: (r, c) => stores.exposure.reserve(r, c),
      release: (r, c) => stores.exposure.release(r, c),
      borrowerExposure: (id) => stores.exposure.borrowerExposure(id),
      principalShards: (id) => stores.exposure.principalShards(id),
      borrowerPrincipal: (id) => stores.exposure.borrowerPrincipal(id),
      person: async (identityHash) => {
        const read = await stores.exposure.person(identityHash);
        if (!raced) {
          raced = true;
          // Another channel books the same person under its own id right after this read.
          await bookLoan(stores, validate(bookLoanRequest, asPerson('LN-R1', 'BRW-APP', ID_NUMBER)), sealFor('scope-race'), NOW);
        }
        return read;
      },
    };
    const error = await rejectedBy(RuleViolation, () => bookLoan({ ...stores, exposure }, validate(bookLoanRequest, asPerson('LN-R2', 'BRW-WEB', ID_NUMBER)), sealFor('scope-2'), NOW));
    expect([error.code, error.details.existingMinor]).toEqual(['PER_BORROWER_CAP', '300000']);
    expect([stores.db.loans.has('LN-R1'), stores.db.loans.has('LN-R2')]).toEqual([true, false]);
  });
});

describe('lookUpBorrower', () => {
  const NUMBER = '11010519491231002X';
  const withNumber = (borrowerId: string) => ({ borrowerId, type: 'INDIVIDUAL', region: 'CN-44', personalData: { identityNumber: NUMBER } });

  /** The person booked under two ids and applying under a third; another person under its own id. */
  async function world(): Promise<InMemoryStores> {
    const stores = seeded();
    seed(stores, { lenders: [aLeadLender({ lenderId: 'LEAD-2' })] });
    await book(stores, bookLoanBody({ loanId: 'LN-A', borrower: withNumber('BRW-APP') }), 'scope-a');
    await book(stores, bookLoanBody({ loanId: 'LN-B', borrower: withNumber('BRW-WEB') }), 'scope-b');
    await book(stores, bookLoanBody({ loanId: 'LN-C', borrower: { borrowerId: 'BRW-OTHER', type: 'INDIVIDUAL', region: 'CN-44', personalData: { identityNumber: '44030519900101123X' } } }), 'scope-c');
    await createApplication(stores, validate(createApplicationRequest, createApplicationBody({ applicationId: 'APP-H5', borrower: withNumber('BRW-H5') })), sealFor('scope-h5'), NOW);
    return stores;
  }
  const ask = (body: JsonBody) => validate(borrowerLookupRequest, body);

  it("answers lead operations every id, application and loan of the person, with each loan's principal outstanding, and nothing of another person", async () => {
    const stores = await world();
    const { answer, identityHash } = await lookUpBorrower(stores, leadOps, ask({ identityNumber: NUMBER }));
    expect(identityHash).toMatch(/^hmac-sha256:/);
    expect(answer).toEqual({
      borrowerIds: ['BRW-APP', 'BRW-H5', 'BRW-WEB'],
      applications: [{ applicationId: 'APP-H5', borrowerId: 'BRW-H5', programId: PROGRAM_ID, programVersion: 2, state: 'IN_REVIEW', amountMinor: 1_000_000n, loanId: null }],
      loans: [
        { loanId: 'LN-A', borrowerId: 'BRW-APP', programId: PROGRAM_ID, programVersion: 2, state: 'ACTIVE', principalMinor: 1_000_000n, principalOutstandingMinor: 1_000_000n },
        { loanId: 'LN-B', borrowerId: 'BRW-WEB', programId: PROGRAM_ID, programVersion: 2, state: 'ACTIVE', principalMinor: 1_000_000n, principalOutstandingMinor: 1_000_000n },
      ],
      cursor: null,
    });
    expect(JSON.stringify(lookupAuditEvent(leadOps, identityHash, answer, NOW))).not.toContain(NUMBER);
    expect(lookupAuditEvent(leadOps, identityHash, answer, NOW)).toMatchObject({ action: 'lookUpBorrower', target: { identityHash }, before: null, after: { borrowerIds: 3, loans: 2, applications: 1 } });
  });

  it('pages the applications and the loans, each once, in key order', async () => {
    const stores = await world();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const { answer }: { answer: { applications: readonly { applicationId: string }[]; loans: readonly { loanId: string }[]; cursor: string | null } } = await lookUpBorrower(stores, leadOps, ask({ identityNumber: NUMBER, limit: 1, ...(cursor === null ? {} : { cursor }) }));
      seen.push(...answer.applications.map((a) => a.applicationId), ...answer.loans.map((l) => l.loanId));
      cursor = answer.cursor;
    } while (cursor !== null);
    expect(seen).toEqual(['APP-H5', 'LN-A', 'LN-B']);
  });

  it("shows the platform's finance team all, a lead's finance team its programs only, and refuses another lender's finance team", async () => {
    const stores = await world();
    expect((await lookUpBorrower(stores, platformFinance, ask({ identityNumber: NUMBER }))).answer.loans).toHaveLength(2);
    expect((await lookUpBorrower(stores, financeOf(LEAD_ID), ask({ identityNumber: NUMBER }))).answer.loans).toHaveLength(2);
    const other = (await lookUpBorrower(stores, financeOf('LEAD-2'), ask({ identityNumber: NUMBER }))).answer;
    expect([other.loans, other.applications]).toEqual([[], []]);
    const refused = await rejectedBy(Forbidden, () => lookUpBorrower(stores, financeOf(PARTNER_A), ask({ identityNumber: NUMBER })));
    expect([refused.code, refused.details]).toEqual(['FORBIDDEN', { lenderId: PARTNER_A }]);
  });
});
