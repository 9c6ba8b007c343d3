import { describe, expect, it } from 'vitest';
import type { PlanLine } from '../../../../shared/domain/allocation.ts';
import type { QuotaUsage } from '../../../../shared/domain/exposure.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import type { ExposureStore } from '../../../../shared/ports/stores.ts';
import { QuotaUnavailable, awaitDisbursement, release, reserve } from '../../../../functions/disbursement-steps/use-case.ts';
import {
  APPLICATION_ID,
  LEAD_ID,
  NOW,
  PARTNER_A,
  aLeadLender,
  aLimits,
  aPartnerLender,
  aProgram,
  anApplicationRecord,
  anIndiaLenders,
  anIndiaProgramTerms,
  defaultLenders,
} from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, seed, seedApplication, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const PLAN: PlanLine[] = [
  { lenderId: LEAD_ID, role: 'LEAD', amountMinor: 700_000n },
  { lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 300_000n },
];
const LATER = '2025-03-02T02:00:00.000Z';

/** Partner A already has 1,000,000 committed and 50,000 reserved for other loans. */
const partnerAQuota: QuotaUsage = { lenderId: PARTNER_A, reservedMinor: 50_000n, committedMinor: 1_000_000n, committedByLeadMinor: { [LEAD_ID]: 1_000_000n }, version: 6 };

function planned(lenders: Lender[] = defaultLenders()): InMemoryStores {
  const stores = createInMemoryStores();
  seed(stores, { lenders, programs: [aProgram()], quotas: [partnerAQuota] });
  seedApplication(stores, anApplicationRecord({ status: 'PLANNED', plan: PLAN }), [], ['Submitted', 'ChooseCandidates#1', 'Allocate#1']);
  return stores;
}

describe('reserve', () => {
  it("reserves exactly each lender's part of the plan, and answers how long to wait for the disbursement", async () => {
    const stores = planned();
    expect(await reserve(stores, APPLICATION_ID)).toEqual({ applicationId: APPLICATION_ID, timeoutSeconds: 604_800 });
    expect(await stores.exposure.reservations(APPLICATION_ID)).toEqual([
      { applicationId: APPLICATION_ID, lenderId: LEAD_ID, amountMinor: 700_000n, state: 'RESERVED', at: NOW },
      { applicationId: APPLICATION_ID, lenderId: PARTNER_A, amountMinor: 300_000n, state: 'RESERVED', at: NOW },
    ]);
    expect(await stores.exposure.quota(LEAD_ID)).toEqual({ lenderId: LEAD_ID, reservedMinor: 700_000n, committedMinor: 0n, committedByLeadMinor: {}, version: 1 });
    expect(await stores.exposure.quota(PARTNER_A)).toEqual({ ...partnerAQuota, reservedMinor: 350_000n, version: 7 });
    expect(stores.db.transactions).toBe(2);
  });

  it('run again, reserves nothing more', async () => {
    const stores = planned();
    await reserve(stores, APPLICATION_ID);
    const quotas = [await stores.exposure.quota(LEAD_ID), await stores.exposure.quota(PARTNER_A)];
    stores.clock.set(LATER);
    expect(await reserve(stores, APPLICATION_ID)).toEqual({ applicationId: APPLICATION_ID, timeoutSeconds: 604_800 });
    expect([await stores.exposure.quota(LEAD_ID), await stores.exposure.quota(PARTNER_A)]).toEqual(quotas);
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => r.at)).toEqual([NOW, NOW]);
    expect(stores.db.transactions).toBe(2);
  });

  it('raises QuotaUnavailable by name when a lender is short, leaving its quota untouched', async () => {
    // Quota 1,300,000: 1,000,000 committed, 50,000 reserved, 250,000 left for a part of 300,000.
    const stores = planned([aLeadLender(), aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: 1_300_000n }) })]);
    const error = await rejectedBy(QuotaUnavailable, () => reserve(stores, APPLICATION_ID));
    expect(error.name).toBe('QuotaUnavailable');
    expect(error.message).toBe(`lender ${PARTNER_A} has 250000 of its exposure quota left, not 300000`);
    expect(await stores.exposure.quota(PARTNER_A)).toEqual(partnerAQuota);
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => r.lenderId)).toEqual([LEAD_ID]);
  });

  it('reserves on fresh figures when another plan reserved from the same quota in between', async () => {
    const stores = planned();
    let raced = false;
    const exposure: ExposureStore = {
      quota: async (lenderId) => {
        const read = await stores.exposure.quota(lenderId);
        if (!raced && lenderId === PARTNER_A) {
          raced = true;
          stores.db.quotas.set(PARTNER_A, { ...read, reservedMinor: read.reservedMinor + 10_000n, version: read.version + 1 });
        }
        return read;
      },
      reservations: (id) => stores.exposure.reservations(id),
      reserve: (r, b, a) => stores.exposure.reserve(r, b, a),
      release: (r, b, a) => stores.exposure.release(r, b, a),
      borrowerExposure: (id) => stores.exposure.borrowerExposure(id),
    };
    await reserve({ ...stores, exposure }, APPLICATION_ID);
    expect(await stores.exposure.quota(PARTNER_A)).toEqual({ ...partnerAQuota, reservedMinor: 360_000n, version: 8 });
  });

  it('waits no longer than IN-2025 lets a partner take its share (15 days)', async () => {
    const stores = createInMemoryStores();
    seed(stores, { lenders: anIndiaLenders(), programs: [aProgram({ ...anIndiaProgramTerms(), disbursementTimeoutSeconds: 30 * 86_400 })] });
    seedApplication(stores, anApplicationRecord({ status: 'PLANNED', plan: [{ lenderId: LEAD_ID, role: 'LEAD', amountMinor: 200_000n }, { lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 800_000n }] }));
    expect(await reserve(stores, APPLICATION_ID)).toEqual({ applicationId: APPLICATION_ID, timeoutSeconds: 15 * 86_400 });
  });
});

describe('awaitDisbursement', () => {
  it('keeps the task token and marks the application AWAITING_DISBURSEMENT, once', async () => {
    const stores = planned();
    await awaitDisbursement(stores, APPLICATION_ID, 'token-d1');
    await awaitDisbursement(stores, APPLICATION_ID, 'token-d2');
    expect(await stores.applications.disbursementToken(APPLICATION_ID)).toBe('token-d2');
    const record = await stores.applications.get(APPLICATION_ID);
    expect(record?.status).toBe('AWAITING_DISBURSEMENT');
    expect(record?.timeline.filter((e) => e.event === 'AWAITING_DISBURSEMENT')).toEqual([{ at: NOW, step: 'AwaitDisbursement', event: 'AWAITING_DISBURSEMENT', detail: {} }]);
  });
});

describe('release', () => {
  it('gives back exactly what was reserved and records the final status with its cause', async () => {
    const stores = planned();
    await reserve(stores, APPLICATION_ID);
    stores.clock.set(LATER);
    expect(await release(stores, APPLICATION_ID, 'DisbursementCancelled')).toEqual({ applicationId: APPLICATION_ID, status: 'CANCELLED' });
    expect(await stores.exposure.quota(PARTNER_A)).toEqual({ ...partnerAQuota, version: 8 });
    expect((await stores.exposure.quota(LEAD_ID)).reservedMinor).toBe(0n);
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => [r.lenderId, r.state, r.at])).toEqual([
      [LEAD_ID, 'RELEASED', LATER],
      [PARTNER_A, 'RELEASED', LATER],
    ]);
    const record = await stores.applications.get(APPLICATION_ID);
    expect([record?.status, record?.timeline.at(-1)]).toEqual(['CANCELLED', { at: LATER, step: 'Release', event: 'CANCELLED', detail: { cause: 'DisbursementCancelled' } }]);
  });

  it('run twice, is the same as once', async () => {
    const stores = planned();
    await reserve(stores, APPLICATION_ID);
    await release(stores, APPLICATION_ID, 'States.Timeout');
    const quotas = [await stores.exposure.quota(LEAD_ID), await stores.exposure.quota(PARTNER_A)];
    const record = await stores.applications.get(APPLICATION_ID);
    expect(await release(stores, APPLICATION_ID, 'States.Timeout')).toEqual({ applicationId: APPLICATION_ID, status: 'EXPIRED' });
    expect([await stores.exposure.quota(LEAD_ID), await stores.exposure.quota(PARTNER_A)]).toEqual(quotas);
    expect(await stores.applications.get(APPLICATION_ID)).toEqual(record);
  });

  it('releases only what is still RESERVED: what a lender short of quota never got is not given back', async () => {
    const stores = planned([aLeadLender(), aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: 1_300_000n }) })]);
    await rejectedBy(QuotaUnavailable, () => reserve(stores, APPLICATION_ID));
    expect(await release(stores, APPLICATION_ID, 'QuotaUnavailable')).toEqual({ applicationId: APPLICATION_ID, status: 'REJECTED' });
    expect(await stores.exposure.quota(PARTNER_A)).toEqual(partnerAQuota);
    expect(await stores.exposure.quota(LEAD_ID)).toMatchObject({ reservedMinor: 0n, version: 2 });
  });

  it.each([
    ['QuotaUnavailable', 'REJECTED'],
    ['DisbursementFailed', 'DISBURSEMENT_FAILED'],
    ['DisbursementCancelled', 'CANCELLED'],
    ['States.Timeout', 'EXPIRED'],
    ['BookingRefused', 'DISBURSEMENT_FAILED'],
    ['States.TaskFailed', 'DISBURSEMENT_FAILED'],
  ])('cause %s ends the application %s', async (cause, status) => {
    const stores = planned();
    expect(await release(stores, APPLICATION_ID, cause)).toEqual({ applicationId: APPLICATION_ID, status });
    expect((await stores.applications.get(APPLICATION_ID))?.status).toBe(status);
  });

  it('leaves a booked application BOOKED', async () => {
    const stores = planned();
    const stored = stores.db.applications.get(APPLICATION_ID);
    if (stored) stored.record = { ...stored.record, status: 'BOOKED', loanId: APPLICATION_ID };
    expect(await release(stores, APPLICATION_ID, 'States.Timeout')).toEqual({ applicationId: APPLICATION_ID, status: 'BOOKED' });
    expect((await stores.applications.get(APPLICATION_ID))?.status).toBe('BOOKED');
  });
});
