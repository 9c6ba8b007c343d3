import { describe, expect, it } from 'vitest';
import type { PlanLine } from '../../../../shared/domain/allocation.ts';
import { BookingRefused, bookFromApplication, bookLoanStep } from '../../../../functions/disbursement-book/use-case.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';
import { reserve } from '../../../../functions/disbursement-steps/use-case.ts';
import type { QuotaShard } from '../../../../shared/domain/exposure.ts';
import { APPLICATION_ID, LEAD_ID, PARTNER_A, SHARD_ALLOTMENT_MINOR, aProgram, aQuotaShard, anApplicationRecord, defaultLenders } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, seed, seedApplication, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const PLAN: PlanLine[] = [
  { lenderId: LEAD_ID, role: 'LEAD', amountMinor: 700_000n },
  { lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 300_000n },
];
const BOOKED_AT = '2025-03-03T06:00:00.000Z';
const input = { applicationId: APPLICATION_ID, disbursementReference: 'DISB-20250303-0042', disbursementDate: '2025-03-03' };

/** Planned, quota reserved, awaiting the disbursement the lead has just reported. */
async function awaiting(quotas: readonly QuotaShard[] = []): Promise<InMemoryStores> {
  const stores = createInMemoryStores();
  seed(stores, { lenders: defaultLenders(), programs: [aProgram()], quotas });
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
    // The application's id starts at shard 0, where each reservation was held.
    expect(await stores.exposure.quotaShards(LEAD_ID)).toEqual([
      { lenderId: LEAD_ID, shard: 0, allotmentMinor: SHARD_ALLOTMENT_MINOR, reservedMinor: 0n, committedMinor: 700_000n, committedByLeadMinor: { [LEAD_ID]: 700_000n }, version: 2 },
    ]);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([
      { lenderId: PARTNER_A, shard: 0, allotmentMinor: SHARD_ALLOTMENT_MINOR, reservedMinor: 0n, committedMinor: 300_000n, committedByLeadMinor: { [LEAD_ID]: 300_000n }, version: 2 },
    ]);
    expect(await stores.exposure.borrowerExposure('BRW-0001')).toMatchObject({ unsecuredPersonalOutstandingMinor: 1_000_000n, perLenderMinor: { [LEAD_ID]: 700_000n, [PARTNER_A]: 300_000n } });
  });

  it("commits a reservation spread over several shards on exactly those shards, though the quota is full beside it", async () => {
    // Partner A's shard 0 has 100,000 left, so its 300,000 is reserved 100,000 on shard 0 and 200,000 on shard 1.
    const nearlyFull = aQuotaShard({ shard: 0, committedMinor: SHARD_ALLOTMENT_MINOR - 100_000n, committedByLeadMinor: { [LEAD_ID]: SHARD_ALLOTMENT_MINOR - 100_000n }, version: 4 });
    const stores = await awaiting([nearlyFull]);
    expect((await stores.exposure.reservations(APPLICATION_ID))[1]?.takes).toEqual([
      { shard: 0, amountMinor: 100_000n },
      { shard: 1, amountMinor: 200_000n },
    ]);
    // Every other shard of partner A is then filled by other loans.
    seed(stores, { quotas: [2, 3, 4, 5, 6, 7].map((shard) => aQuotaShard({ shard, committedMinor: SHARD_ALLOTMENT_MINOR, version: 1 })) });
    await bookFromApplication(stores, input);
    const shards = await stores.exposure.quotaShards(PARTNER_A);
    expect(shards.slice(0, 2)).toEqual([
      { ...nearlyFull, committedMinor: SHARD_ALLOTMENT_MINOR, committedByLeadMinor: { [LEAD_ID]: SHARD_ALLOTMENT_MINOR }, version: 6 },
      { lenderId: PARTNER_A, shard: 1, allotmentMinor: SHARD_ALLOTMENT_MINOR, reservedMinor: 0n, committedMinor: 200_000n, committedByLeadMinor: { [LEAD_ID]: 200_000n }, version: 2 },
    ]);
    expect(shards.slice(2).map((s) => [s.shard, s.committedMinor, s.version])).toEqual([2, 3, 4, 5, 6, 7].map((shard) => [shard, SHARD_ALLOTMENT_MINOR, 1]));
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
    const quota = await stores.exposure.quotaShards(PARTNER_A);
    expect(await bookFromApplication(stores, input)).toEqual({ applicationId: APPLICATION_ID, loanId: APPLICATION_ID, status: 'BOOKED' });
    expect(stores.db.transactions).toBe(writes);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual(quota);
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

describe('bookLoanStep', () => {
  const EXECUTION = `arn:aws:states:cn-north-1:123456789012:execution:DisbursementStateMachine:${APPLICATION_ID}`;

  it('records the loan booked once per execution, naming every lender of the plan; a retry records nothing new', async () => {
    const stores = await awaiting();
    const deps = { ...stores, audit: new InMemoryAuditStore(), auditLog: { error: (message: string) => expect.fail(message) } };
    expect(await bookLoanStep(deps, { ...input, executionId: EXECUTION })).toEqual({ applicationId: APPLICATION_ID, loanId: APPLICATION_ID, status: 'BOOKED' });
    await bookLoanStep(deps, { ...input, executionId: EXECUTION });
    expect(deps.audit.all(BOOKED_AT.slice(0, 10)).map((r) => [r.auditKey, r.action, r.target, r.after, r.lenderIds, r.at])).toEqual([
      [
        `STEP#${EXECUTION}#BookLoan#loanId=${APPLICATION_ID}`,
        'Disbursement.BookLoan',
        { loanId: APPLICATION_ID },
        { applicationId: APPLICATION_ID, status: 'BOOKED', disbursementReference: 'DISB-20250303-0042', disbursementDate: '2025-03-03' },
        [LEAD_ID, PARTNER_A],
        BOOKED_AT,
      ],
    ]);
  });

  it('records nothing when the booking is refused', async () => {
    const stores = await awaiting();
    seed(stores, { exposures: [{ borrowerId: 'BRW-0001', unsecuredPersonalOutstandingMinor: 19_500_000n, totalOutstandingMinor: 19_500_000n, perLenderMinor: {}, version: 4 }] });
    const deps = { ...stores, audit: new InMemoryAuditStore(), auditLog: { error: (message: string) => expect.fail(message) } };
    await rejectedBy(BookingRefused, () => bookLoanStep(deps, { ...input, executionId: EXECUTION }));
    expect(deps.audit.all(BOOKED_AT.slice(0, 10))).toEqual([]);
  });
});
