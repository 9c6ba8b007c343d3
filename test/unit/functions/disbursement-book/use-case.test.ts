import { describe, expect, it } from 'vitest';
import type { PlanLine } from '../../../../shared/domain/allocation.ts';
import { BookingRefused, bookFromApplication } from '../../../../functions/disbursement-book/use-case.ts';
import { reserve } from '../../../../functions/disbursement-steps/use-case.ts';
import { APPLICATION_ID, LEAD_ID, PARTNER_A, aProgram, anApplicationRecord, defaultLenders } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, seed, seedApplication, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const PLAN: PlanLine[] = [
  { lenderId: LEAD_ID, role: 'LEAD', amountMinor: 700_000n },
  { lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 300_000n },
];
const BOOKED_AT = '2025-03-03T06:00:00.000Z';
const input = { applicationId: APPLICATION_ID, disbursementReference: 'DISB-20250303-0042', disbursementDate: '2025-03-03' };

/** Planned, quota reserved, awaiting the disbursement the lead has just reported. */
async function awaiting(): Promise<InMemoryStores> {
  const stores = createInMemoryStores();
  seed(stores, { lenders: defaultLenders(), programs: [aProgram()] });
  seedApplication(stores, anApplicationRecord({ status: 'AWAITING_DISBURSEMENT', plan: PLAN }), [], ['Submitted', 'ChooseCandidates#1', 'Allocate#1', 'AwaitDisbursement']);
  await reserve(stores, APPLICATION_ID);
  stores.clock.set(BOOKED_AT);
  return stores;
}

describe('bookFromApplication', () => {
  it("books the loan under the application's id with the plan as funding plan, in one write", async () => {
    const stores = await awaiting();
    const before = stores.db.transactions;
    expect(await bookFromApplication(stores, input)).toEqual({ applicationId: APPLICATION_ID, loanId: APPLICATION_ID, status: 'BOOKED' });
    expect(stores.db.transactions).toBe(before + 1);
    const loan = await stores.loans.get(APPLICATION_ID);
    expect(loan).toMatchObject({
      loanId: APPLICATION_ID,
      principalMinor: 1_000_000n,
      disbursementDate: '2025-03-03',
      disbursementReference: 'DISB-20250303-0042',
      fundingPlan: [
        { lenderId: LEAD_ID, amountMinor: 700_000n, role: 'LEAD' },
        { lenderId: PARTNER_A, amountMinor: 300_000n, role: 'PARTNER' },
      ],
      createdAt: BOOKED_AT,
    });
    const ledger = await stores.ledger.loanLedger(APPLICATION_ID);
    expect([ledger.entries.map((e) => e.entryId), ledger.positions.map((p) => p.lenderId)]).toEqual([[`DISBURSEMENT#${APPLICATION_ID}`], [LEAD_ID, PARTNER_A]]);
    expect((await stores.loans.schedules(APPLICATION_ID))?.lenders.map((s) => [s.lenderId, s.totalPrincipalMinor])).toEqual([
      [LEAD_ID, 700_000n],
      [PARTNER_A, 300_000n],
    ]);
  });

  it('uses the reservations and moves the quota from reserved to committed exactly', async () => {
    const stores = await awaiting();
    await bookFromApplication(stores, input);
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => [r.lenderId, r.state, r.at])).toEqual([
      [LEAD_ID, 'USED', BOOKED_AT],
      [PARTNER_A, 'USED', BOOKED_AT],
    ]);
    expect(await stores.exposure.quota(LEAD_ID)).toEqual({ lenderId: LEAD_ID, reservedMinor: 0n, committedMinor: 700_000n, committedByLeadMinor: { [LEAD_ID]: 700_000n }, version: 2 });
    expect(await stores.exposure.quota(PARTNER_A)).toEqual({ lenderId: PARTNER_A, reservedMinor: 0n, committedMinor: 300_000n, committedByLeadMinor: { [LEAD_ID]: 300_000n }, version: 2 });
    expect(await stores.exposure.borrowerExposure('BRW-0001')).toMatchObject({ unsecuredPersonalOutstandingMinor: 1_000_000n, perLenderMinor: { [LEAD_ID]: 700_000n, [PARTNER_A]: 300_000n } });
  });

  it('marks the application BOOKED with the loan id and its event', async () => {
    const stores = await awaiting();
    await bookFromApplication(stores, input);
    const record = await stores.applications.get(APPLICATION_ID);
    expect([record?.status, record?.loanId]).toEqual(['BOOKED', APPLICATION_ID]);
    expect(record?.timeline.at(-1)).toEqual({
      at: BOOKED_AT,
      step: 'BookLoan',
      event: 'BOOKED',
      detail: { loanId: APPLICATION_ID, disbursementReference: 'DISB-20250303-0042' },
    });
  });

  it('a retry after success answers BOOKED and books nothing more', async () => {
    const stores = await awaiting();
    await bookFromApplication(stores, input);
    const writes = stores.db.transactions;
    const quota = await stores.exposure.quota(PARTNER_A);
    expect(await bookFromApplication(stores, input)).toEqual({ applicationId: APPLICATION_ID, loanId: APPLICATION_ID, status: 'BOOKED' });
    expect(stores.db.transactions).toBe(writes);
    expect(await stores.exposure.quota(PARTNER_A)).toEqual(quota);
  });

  it('a retry whose first attempt wrote but did not answer finds the loan booked', async () => {
    const stores = await awaiting();
    await bookFromApplication(stores, input);
    // The application is read as it was before the booking (the read raced the write).
    const stale = anApplicationRecord({ status: 'AWAITING_DISBURSEMENT', plan: PLAN });
    let reads = 0;
    const applications = Object.assign(Object.create(stores.applications) as typeof stores.applications, {
      get: async (id: string) => (reads++ === 0 ? stale : stores.applications.get(id)),
    });
    expect(await bookFromApplication({ ...stores, applications }, input)).toEqual({ applicationId: APPLICATION_ID, loanId: APPLICATION_ID, status: 'BOOKED' });
  });

  it('a refused booking raises BookingRefused by name with the rule, and writes nothing', async () => {
    const stores = await awaiting();
    seed(stores, { exposures: [{ borrowerId: 'BRW-0001', unsecuredPersonalOutstandingMinor: 19_500_000n, totalOutstandingMinor: 19_500_000n, perLenderMinor: {}, version: 4 }] });
    const writes = stores.db.transactions;
    const error = await rejectedBy(BookingRefused, () => bookFromApplication(stores, input));
    expect(error.name).toBe('BookingRefused');
    expect(error.message).toMatch(/^UNSECURED_PERSONAL_CAP: /);
    expect(stores.db.transactions).toBe(writes);
    expect(await stores.loans.get(APPLICATION_ID)).toBeNull();
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => r.state)).toEqual(['RESERVED', 'RESERVED']);
    expect((await stores.applications.get(APPLICATION_ID))?.status).toBe('AWAITING_DISBURSEMENT');
  });
});
