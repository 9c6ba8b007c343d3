import { describe, expect, it } from 'vitest';
import type { PlanLine } from '../../../../shared/domain/allocation.ts';
import type { QuotaShard } from '../../../../shared/domain/exposure.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import { OPTIMISTIC_ATTEMPTS, WriteConflict, type ExposureStore } from '../../../../shared/ports/stores.ts';
import { QuotaUnavailable, awaitDisbursement, release, reserve } from '../../../../functions/disbursement-steps/use-case.ts';
import {
  APPLICATION_ID,
  LEAD_ID,
  NOW,
  PARTNER_A,
  SHARD_ALLOTMENT_MINOR,
  aLeadLender,
  aLimits,
  aPartnerLender,
  aProgram,
  aQuotaShard,
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

/**
 * Partner A already has 1,000,000 committed and 50,000 reserved for other loans on shard 0, where
 * the application's id starts; the lead has no quota item yet.
 */
const partnerAShard = aQuotaShard({ shard: 0, reservedMinor: 50_000n, committedMinor: 1_000_000n, committedByLeadMinor: { [LEAD_ID]: 1_000_000n }, version: 6 });

/**
 * Partner A with a quota of 1,300,000 (162,500 a shard): 1,000,000 committed and 50,000 reserved
 * spread evenly, 31,250 left on each shard and 250,000 in all.
 */
const shortPartnerA = (): Lender => aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: 1_300_000n }) });
const shortShards: QuotaShard[] = Array.from({ length: 8 }, (_, shard) =>
  aQuotaShard({ shard, allotmentMinor: 162_500n, reservedMinor: 6_250n, committedMinor: 125_000n, committedByLeadMinor: { [LEAD_ID]: 125_000n }, version: 3 }),
);

function planned(lenders: Lender[] = defaultLenders(), quotas: readonly QuotaShard[] = [partnerAShard]): InMemoryStores {
  const stores = createInMemoryStores();
  seed(stores, { lenders, programs: [aProgram()], quotas });
  seedApplication(stores, anApplicationRecord({ status: 'PLANNED', plan: PLAN }), [], ['Submitted', 'ChooseCandidates#1', 'Allocate#1']);
  return stores;
}

describe('reserve', () => {
  it("reserves exactly each lender's part of the plan, and answers how long to wait for the disbursement", async () => {
    const stores = planned();
    expect(await reserve(stores, APPLICATION_ID)).toEqual({ applicationId: APPLICATION_ID, timeoutSeconds: 604_800 });
    expect(await stores.exposure.reservations(APPLICATION_ID)).toEqual([
      { applicationId: APPLICATION_ID, lenderId: LEAD_ID, amountMinor: 700_000n, takes: [{ shard: 0, amountMinor: 700_000n }], state: 'RESERVED', at: NOW },
      { applicationId: APPLICATION_ID, lenderId: PARTNER_A, amountMinor: 300_000n, takes: [{ shard: 0, amountMinor: 300_000n }], state: 'RESERVED', at: NOW },
    ]);
    expect(await stores.exposure.quotaShards(LEAD_ID)).toEqual([
      { lenderId: LEAD_ID, shard: 0, allotmentMinor: SHARD_ALLOTMENT_MINOR, reservedMinor: 700_000n, committedMinor: 0n, committedByLeadMinor: {}, version: 1 },
    ]);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([{ ...partnerAShard, reservedMinor: 350_000n, version: 7 }]);
    expect(stores.db.transactions).toBe(2);
  });

  it("spills a part its shard has no room for into the next shards, in the lender's one write", async () => {
    // 100,000 left on shard 0: 12,499,850,000 committed and 50,000 reserved of its 12,500,000,000.
    const nearlyFull = { ...partnerAShard, committedMinor: 12_499_850_000n, committedByLeadMinor: { [LEAD_ID]: 12_499_850_000n } };
    const stores = planned(defaultLenders(), [nearlyFull]);
    await reserve(stores, APPLICATION_ID);
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => [r.lenderId, r.takes])).toEqual([
      [LEAD_ID, [{ shard: 0, amountMinor: 700_000n }]],
      [
        PARTNER_A,
        [
          { shard: 0, amountMinor: 100_000n },
          { shard: 1, amountMinor: 200_000n },
        ],
      ],
    ]);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([
      { ...nearlyFull, reservedMinor: 150_000n, version: 7 },
      { lenderId: PARTNER_A, shard: 1, allotmentMinor: SHARD_ALLOTMENT_MINOR, reservedMinor: 200_000n, committedMinor: 0n, committedByLeadMinor: {}, version: 1 },
    ]);
    expect(stores.db.transactions).toBe(2);
    await release(stores, APPLICATION_ID, 'States.Timeout');
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([
      { ...nearlyFull, version: 8 },
      { lenderId: PARTNER_A, shard: 1, allotmentMinor: SHARD_ALLOTMENT_MINOR, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 2 },
    ]);
  });

  it('run again, reserves nothing more', async () => {
    const stores = planned();
    await reserve(stores, APPLICATION_ID);
    const quotas = [await stores.exposure.quotaShards(LEAD_ID), await stores.exposure.quotaShards(PARTNER_A)];
    stores.clock.set(LATER);
    expect(await reserve(stores, APPLICATION_ID)).toEqual({ applicationId: APPLICATION_ID, timeoutSeconds: 604_800 });
    expect([await stores.exposure.quotaShards(LEAD_ID), await stores.exposure.quotaShards(PARTNER_A)]).toEqual(quotas);
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => r.at)).toEqual([NOW, NOW]);
    expect(stores.db.transactions).toBe(2);
  });

  it("run again after its own reservation took a lender's last quota, keeps that reservation instead of finding the lender short", async () => {
    // 37,500 left on each of 8 shards: exactly the partner's 300,000.
    const exact = shortShards.map((shard) => ({ ...shard, reservedMinor: 0n }));
    const stores = planned([aLeadLender(), shortPartnerA()], exact);
    await reserve(stores, APPLICATION_ID);
    const quotas = await stores.exposure.quotaShards(PARTNER_A);
    stores.clock.set(LATER);
    expect(await reserve(stores, APPLICATION_ID)).toEqual({ applicationId: APPLICATION_ID, timeoutSeconds: 604_800 });
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual(quotas);
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => [r.lenderId, r.state, r.at])).toEqual([
      [LEAD_ID, 'RESERVED', NOW],
      [PARTNER_A, 'RESERVED', NOW],
    ]);
  });

  it('raises QuotaUnavailable by name when a lender is short in all its shards, leaving its quota untouched', async () => {
    // 31,250 left on each of 8 shards: 250,000 in all for a part of 300,000.
    const stores = planned([aLeadLender(), shortPartnerA()], shortShards);
    const error = await rejectedBy(QuotaUnavailable, () => reserve(stores, APPLICATION_ID));
    expect(error.name).toBe('QuotaUnavailable');
    expect(error.message).toBe(`lender ${PARTNER_A} has 250000 of its exposure quota left, not 300000`);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual(shortShards);
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => r.lenderId)).toEqual([LEAD_ID]);
  });

  it('takes what every shard has left when that is just enough', async () => {
    const stores = planned([aLeadLender(), shortPartnerA()], shortShards);
    const plan: PlanLine[] = [
      { lenderId: LEAD_ID, role: 'LEAD', amountMinor: 750_000n },
      { lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 250_000n },
    ];
    seedApplication(stores, anApplicationRecord({ status: 'PLANNED', plan }), [], ['Submitted', 'ChooseCandidates#1', 'Allocate#1']);
    await reserve(stores, APPLICATION_ID);
    expect((await stores.exposure.reservations(APPLICATION_ID))[1]?.takes).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((shard) => ({ shard, amountMinor: 31_250n })));
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual(shortShards.map((s) => ({ ...s, reservedMinor: 37_500n, version: 4 })));
  });

  /** Partner A's quota reads, with `race` run on the stored shards right after each read. */
  function racing(stores: InMemoryStores, race: (read: QuotaShard[], reads: number) => void): { exposure: ExposureStore; reads: () => number } {
    let reads = 0;
    const exposure: ExposureStore = {
      quotaShards: async (lenderId) => {
        const read = await stores.exposure.quotaShards(lenderId);
        if (lenderId === PARTNER_A) race(read, ++reads);
        return read;
      },
      reservations: (id) => stores.exposure.reservations(id),
      reserve: (r, changes) => stores.exposure.reserve(r, changes),
      release: (r, changes) => stores.exposure.release(r, changes),
      borrowerExposure: (id) => stores.exposure.borrowerExposure(id),
      principalShards: (id) => stores.exposure.principalShards(id),
      borrowerPrincipal: (id) => stores.exposure.borrowerPrincipal(id),
      person: (identityHash) => stores.exposure.person(identityHash),
    };
    return { exposure, reads: () => reads };
  }

  it('reserves on fresh figures when another plan reserved from the same shard in between', async () => {
    const stores = planned();
    const { exposure, reads } = racing(stores, (read, n) => {
      const [shard0] = read;
      if (n === 1 && shard0) seed(stores, { quotas: [{ ...shard0, reservedMinor: shard0.reservedMinor + 10_000n, version: shard0.version + 1 }] });
    });
    await reserve({ ...stores, exposure }, APPLICATION_ID);
    expect(reads()).toBe(2);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([{ ...partnerAShard, reservedMinor: 360_000n, version: 8 }]);
  });

  it('is not held up by a write to another shard of the same quota in between', async () => {
    const stores = planned();
    const other = aQuotaShard({ shard: 5, reservedMinor: 10_000n, version: 1 });
    const { exposure, reads } = racing(stores, (_read, n) => {
      if (n === 1) seed(stores, { quotas: [other] });
    });
    await reserve({ ...stores, exposure }, APPLICATION_ID);
    expect(reads()).toBe(1);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([{ ...partnerAShard, reservedMinor: 350_000n, version: 7 }, other]);
  });

  it(`gives up after ${OPTIMISTIC_ATTEMPTS} lost races with the conflict, reserving nothing for that lender`, async () => {
    const stores = planned();
    const { exposure, reads } = racing(stores, (read) => {
      const [shard0] = read;
      if (shard0) seed(stores, { quotas: [{ ...shard0, version: shard0.version + 1 }] });
    });
    const conflict = await rejectedBy(WriteConflict, () => reserve({ ...stores, exposure }, APPLICATION_ID));
    expect([conflict.reason, conflict.entity, reads(), OPTIMISTIC_ATTEMPTS]).toEqual(['ALREADY_EXISTS', 'quota', 25, 25]);
    expect((await stores.exposure.reservations(APPLICATION_ID)).map((r) => r.lenderId)).toEqual([LEAD_ID]);
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([{ ...partnerAShard, version: 6 + 25 }]);
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
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([{ ...partnerAShard, version: 8 }]);
    expect(await stores.exposure.quotaShards(LEAD_ID)).toEqual([
      { lenderId: LEAD_ID, shard: 0, allotmentMinor: SHARD_ALLOTMENT_MINOR, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 2 },
    ]);
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
    const quotas = [await stores.exposure.quotaShards(LEAD_ID), await stores.exposure.quotaShards(PARTNER_A)];
    const record = await stores.applications.get(APPLICATION_ID);
    expect(await release(stores, APPLICATION_ID, 'States.Timeout')).toEqual({ applicationId: APPLICATION_ID, status: 'EXPIRED' });
    expect([await stores.exposure.quotaShards(LEAD_ID), await stores.exposure.quotaShards(PARTNER_A)]).toEqual(quotas);
    expect(await stores.applications.get(APPLICATION_ID)).toEqual(record);
  });

  it('releases only what is still RESERVED: what a lender short of quota never got is not given back', async () => {
    const stores = planned([aLeadLender(), shortPartnerA()], shortShards);
    await rejectedBy(QuotaUnavailable, () => reserve(stores, APPLICATION_ID));
    expect(await release(stores, APPLICATION_ID, 'QuotaUnavailable')).toEqual({ applicationId: APPLICATION_ID, status: 'REJECTED' });
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual(shortShards);
    expect(await stores.exposure.quotaShards(LEAD_ID)).toEqual([
      { lenderId: LEAD_ID, shard: 0, allotmentMinor: SHARD_ALLOTMENT_MINOR, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 2 },
    ]);
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
