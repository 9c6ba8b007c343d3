import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RepaymentStepInput } from '../../../../shared/contracts/repayments.ts';
import { chooseCandidates } from '../../../../shared/domain/candidates.ts';
import { RuleViolation } from '../../../../shared/domain/errors.ts';
import { borrowerOutstanding, lenderOutstanding, quotaTotals } from '../../../../shared/domain/exposure.ts';
import { outstandingPrincipalMinor } from '../../../../shared/domain/ledger.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import type { BookLoanRequest, Borrower } from '../../../../shared/domain/loan.ts';
import { measureJointLoans } from '../../../../shared/domain/regulatory-report.ts';
import { bookWith } from '../../../../shared/use-cases/loan-booking.ts';
import { splitAndBook, type RepaymentBookDeps } from '../../../../shared/use-cases/loan-changes.ts';
import { borrowerNow, lenderOutstandingNow } from '../../../../shared/use-cases/outstanding.ts';
import { getLenderPositions } from '../../../../functions/positions/use-case.ts';
import {
  LEAD_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  aBookLoanRequest,
  aBorrower,
  aLeadLender,
  aLimits,
  anApplication,
  aPartnerLender,
  aProgram,
  aParticipant,
  partnerOf,
  plan,
} from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';

/*
 * The limits are measured on outstanding principal (docs/allocation.md): what a lender's bookings
 * committed plus what every change of a loan's book moved since, kept current in the change's own
 * write. A partner repaid is lent to again; a direct booking is judged as a review judges it.
 */

const PROGRAM = aProgram();
/** Mid-April 2025 in Shanghai: instalment 1 (due 1 April) is overdue, the rest not yet due. */
const LATER = '2025-04-15T02:00:00.000Z';

function storesWith(lenders: readonly Lender[], at = NOW): InMemoryStores {
  const stores = createInMemoryStores(at);
  seed(stores, { lenders, programs: [PROGRAM] });
  return stores;
}

const direct = { seal: null, reservations: [], applicationChange: null } as const;

async function book(stores: InMemoryStores, request: BookLoanRequest): Promise<void> {
  await bookWith(stores, request, PROGRAM, stores.clock.now(), direct);
}

function changeDeps(stores: InMemoryStores): RepaymentBookDeps {
  return { loan: (id) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock };
}

/** Repays all of a loan's principal early on the 15th of April: instalment 1 overdue, then the rest; what is left over is suspense. */
async function repayInFull(stores: InMemoryStores, loanId: string, principalMinor: bigint): Promise<void> {
  const input: RepaymentStepInput = {
    action: 'BOOK',
    repayment: { repaymentId: `PAYOFF-${loanId}`, loanId, amountMinor: principalMinor + principalMinor / 10n, currency: 'CNY', valueDate: '2025-04-15', channel: 'BANK_TRANSFER', kind: 'PREPAYMENT' },
  };
  expect(await splitAndBook(changeDeps(stores), input)).toMatchObject({ status: 'BOOKED' });
}

describe('a partner repaid is lent to again', () => {
  const quotaOf500k = [aLeadLender(), aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: 500_000n }) }), aPartnerLender(PARTNER_B)];

  it('its quota counts outstanding principal: a loan refused while the first is owed is booked once it is repaid', async () => {
    const stores = storesWith(quotaOf500k);
    await book(stores, aBookLoanRequest({ loanId: 'LN-1' }));
    const second = aBookLoanRequest({ loanId: 'LN-2', borrower: aBorrower({ borrowerId: 'BRW-0002' }) });
    const refused = await rejectedBy(RuleViolation, () => book(stores, second));
    expect([refused.code, refused.details.outstandingMinor, refused.details.requestedMinor]).toEqual(['EXPOSURE_QUOTA', '300000', '300000']);

    stores.clock.set(LATER);
    await repayInFull(stores, 'LN-1', 1_000_000n);
    // Committed never falls; what was repaid is on the loan's principal shard of each lender.
    expect(quotaTotals(await stores.exposure.quotaShards(PARTNER_A)).committedMinor).toBe(300_000n);
    expect((await stores.exposure.principalShards(PARTNER_A)).map((s) => [s.leadLenderId, s.movedMinor])).toEqual([[LEAD_ID, -300_000n]]);
    expect(await lenderOutstandingNow(stores, PARTNER_A)).toEqual({ outstandingMinor: 0n, reservedMinor: 0n, byLeadMinor: { [LEAD_ID]: 0n } });

    await book(stores, second);
    expect(await lenderOutstandingNow(stores, PARTNER_A)).toEqual({ outstandingMinor: 300_000n, reservedMinor: 0n, byLeadMinor: { [LEAD_ID]: 300_000n } });
  });

  it('a review asks it again: its quota left is the quota less what is outstanding, not what was ever committed', async () => {
    const stores = storesWith(quotaOf500k);
    await book(stores, aBookLoanRequest({ loanId: 'LN-1' }));
    stores.clock.set(LATER);
    await repayInFull(stores, 'LN-1', 1_000_000n);
    const held = await lenderOutstandingNow(stores, PARTNER_A);
    const exposure = new Map(
      [LEAD_ID, PARTNER_A, PARTNER_B].map((id) => [id, { outstandingMinor: id === PARTNER_A ? held.outstandingMinor : 0n, reservedMinor: 0n, borrowerOutstandingMinor: 0n, jointWithLeadMinor: 0n, jointTotalMinor: 0n }]),
    );
    const selection = chooseCandidates(PROGRAM, anApplication({ applicationId: 'APP-2' }), new Map(quotaOf500k.map((l) => [l.lenderId, l])), exposure, new Set());
    expect(selection.dropped).toEqual([]);
    expect(selection.candidates.find((c) => c.lenderId === PARTNER_A)?.figures).toMatchObject({ askedMinor: '300000', maximumMinor: '500000', maximumRule: 'EXPOSURE_QUOTA' });
  });
});

describe("a lender's positions, a page at a time", () => {
  it('carry on every page its principal outstanding over all its loans, equal to the sum of the pages', async () => {
    const stores = storesWith([aLeadLender(), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B)]);
    for (const n of [1, 2, 3]) await book(stores, aBookLoanRequest({ loanId: `LN-${n}`, borrower: aBorrower({ borrowerId: `BRW-000${n}` }) }));
    stores.clock.set(LATER);
    await repayInFull(stores, 'LN-2', 1_000_000n);
    let cursor: string | null = null;
    let summed = 0n;
    const totals: bigint[] = [];
    do {
      const page: Awaited<ReturnType<typeof getLenderPositions>> = await getLenderPositions(stores, partnerOf(PARTNER_A), PARTNER_A, { limit: 2, ...(cursor === null ? {} : { cursor }) });
      summed += page.positions.reduce((n, p) => n + p.outstandingPrincipalMinor, 0n);
      totals.push(page.outstanding.principalMinor);
      expect(page.outstanding).toEqual({ currency: 'CNY', principalMinor: 600_000n, reservedMinor: 0n });
      cursor = page.cursor;
    } while (cursor !== null);
    expect([summed, totals.length]).toEqual([600_000n, 2]);
  });
});

describe('the per-borrower caps count what the borrower owes now', () => {
  it('CN-2021 unsecured personal credit: RMB 100,000 more is refused while RMB 150,000 is owed and booked once it is repaid', async () => {
    const stores = storesWith([aLeadLender(), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B)]);
    await book(stores, aBookLoanRequest({ loanId: 'LN-1', principalMinor: 15_000_000n }));
    const second = aBookLoanRequest({ loanId: 'LN-2', principalMinor: 10_000_000n });
    const refused = await rejectedBy(RuleViolation, () => book(stores, second));
    expect([refused.code, refused.details.existingMinor, refused.details.requestedMinor, refused.details.totalMinor]).toEqual(['UNSECURED_PERSONAL_CAP', '15000000', '10000000', '25000000']);

    stores.clock.set(LATER);
    await repayInFull(stores, 'LN-1', 15_000_000n);
    const borrower = await borrowerNow(stores, 'BRW-0001');
    expect(borrower.moved).toEqual({
      borrowerId: 'BRW-0001',
      unsecuredPersonalMovedMinor: -15_000_000n,
      totalMovedMinor: -15_000_000n,
      perLenderMovedMinor: { [LEAD_ID]: -6_000_000n, [PARTNER_A]: -4_500_000n, [PARTNER_B]: -4_500_000n },
    });
    expect(borrower.owed).toEqual({ borrowerId: 'BRW-0001', unsecuredPersonalOutstandingMinor: 0n, totalOutstandingMinor: 0n, perLenderMinor: { [LEAD_ID]: 0n, [PARTNER_A]: 0n, [PARTNER_B]: 0n } });

    await book(stores, second);
    expect((await borrowerNow(stores, 'BRW-0001')).owed).toMatchObject({ unsecuredPersonalOutstandingMinor: 10_000_000n, totalOutstandingMinor: 10_000_000n });
  });

  it("a lender's per-borrower cap counts its principal outstanding with the borrower", async () => {
    const capped = aPartnerLender(PARTNER_B, { limits: aLimits({ perBorrowerCapMinor: 500_000n }) });
    const stores = storesWith([aLeadLender(), aPartnerLender(PARTNER_A), capped]);
    const secured = aBorrower({ secured: true });
    await book(stores, aBookLoanRequest({ loanId: 'LN-1', borrower: secured }));
    const second = aBookLoanRequest({ loanId: 'LN-2', borrower: secured });
    const refused = await rejectedBy(RuleViolation, () => book(stores, second));
    expect([refused.code, refused.details.path, refused.details.existingMinor, refused.details.capMinor]).toEqual(['PER_BORROWER_CAP', 'fundingPlan.2.amountMinor', '300000', '500000']);
    stores.clock.set(LATER);
    await repayInFull(stores, 'LN-1', 1_000_000n);
    await book(stores, second);
    expect((await borrowerNow(stores, 'BRW-0001')).owed.perLenderMinor[PARTNER_B]).toBe(300_000n);
  });
});

describe('a direct booking is judged as a review judges it', () => {
  /** Partner A's net tier-1 capital is 2,000,000.00: 25% is 500,000.00 of joint loans with the lead. */
  const smallBank = aPartnerLender(PARTNER_A, { netTier1CapitalMinor: 2_000_000n });
  const lenders = [aLeadLender(), smallBank, aPartnerLender(PARTNER_B)];

  it('CN-2021: a partner part over 25% of its net tier-1 capital with the lead is refused with the figures, as the review drops it', async () => {
    const stores = storesWith(lenders);
    await book(stores, aBookLoanRequest({ loanId: 'LN-1' }));
    const second = aBookLoanRequest({ loanId: 'LN-2', borrower: aBorrower({ borrowerId: 'BRW-0002' }) });
    const refused = await rejectedBy(RuleViolation, () => book(stores, second));
    expect([refused.code, refused.message, refused.details]).toEqual([
      'SINGLE_PARTNER_TIER1_CAP',
      `under CN-2021 its joint loans with ${LEAD_ID} stay within 25% of ${PARTNER_A}'s net tier-1 capital 2000000, that is 500000; 300000 are outstanding, 200000 left, not 300000`,
      {
        path: 'fundingPlan.1.amountMinor',
        rule: 'SINGLE_PARTNER_TIER1_CAP',
        profile: 'CN-2021',
        lenderId: PARTNER_A,
        leadLenderId: LEAD_ID,
        capBps: 2500,
        netTier1CapitalMinor: '2000000',
        limitMinor: '500000',
        outstandingMinor: '300000',
        headroomMinor: '200000',
        requestedMinor: '300000',
      },
    ]);
    expect([stores.db.loans.size, stores.db.transactions]).toEqual([1, 1]);
    // The review, on the same figures, drops the partner under the same rule.
    const exposure = new Map(lenders.map((l) => [l.lenderId, { outstandingMinor: 0n, reservedMinor: 0n, borrowerOutstandingMinor: 0n, jointWithLeadMinor: l.lenderId === PARTNER_A ? 300_000n : 0n, jointTotalMinor: 0n }]));
    const selection = chooseCandidates(PROGRAM, anApplication({ applicationId: 'APP-2' }), new Map(lenders.map((l) => [l.lenderId, l])), exposure, new Set());
    expect(selection.dropped.map((d) => [d.lenderId, d.rule, d.figures.remainingMinor])).toEqual([[PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', '200000']]);

    stores.clock.set(LATER);
    await repayInFull(stores, 'LN-1', 1_000_000n);
    await book(stores, second);
    expect(stores.db.loans.has('LN-2')).toBe(true);
  });

  it('CN-2021: the total-loans rule counts the partner\'s joint loans with every lead, exactly at the limit allowed', async () => {
    // 50% of 1,200,000.00 is 600,000.00: two parts of 300,000.00 reach it exactly; a third fen more is refused.
    const stores = storesWith([aLeadLender(), aPartnerLender(PARTNER_A, { totalLoansMinor: 1_200_000n }), aPartnerLender(PARTNER_B)]);
    await book(stores, aBookLoanRequest({ loanId: 'LN-1' }));
    await book(stores, aBookLoanRequest({ loanId: 'LN-2', borrower: aBorrower({ borrowerId: 'BRW-0002' }) }));
    const third = aBookLoanRequest({ loanId: 'LN-3', borrower: aBorrower({ borrowerId: 'BRW-0003' }) });
    const refused = await rejectedBy(RuleViolation, () => book(stores, third));
    expect([refused.code, refused.details.totalLoansMinor, refused.details.limitMinor, refused.details.outstandingMinor, refused.details.headroomMinor]).toEqual([
      'JOINT_TO_TOTAL_LOANS_CAP',
      '1200000',
      '600000',
      '600000',
      '0',
    ]);
  });

  it('a partner with a fixed amount per loan funds at most it, or its minimum when that is higher', async () => {
    const fixedProgram = aProgram({
      participants: [
        aParticipant(LEAD_ID, 'LEAD', 4000, { priority: 0 }),
        aParticipant(PARTNER_A, 'PARTNER', null, { priority: 1, fixedAmountMinor: 350_000n }),
        aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2 }),
      ],
      allocationPolicy: 'PRIORITY_FILL',
    });
    const stores = createInMemoryStores(NOW);
    seed(stores, { lenders: [aLeadLender(), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B)], programs: [fixedProgram] });
    const over = aBookLoanRequest({ loanId: 'LN-1', fundingPlan: plan([LEAD_ID, 300_000n], [PARTNER_A, 400_000n], [PARTNER_B, 300_000n]) });
    const refused = await rejectedBy(RuleViolation, () => bookWith(stores, over, fixedProgram, NOW, direct));
    expect([refused.code, refused.details]).toEqual([
      'ABOVE_FIXED_AMOUNT',
      { path: 'fundingPlan.1.amountMinor', rule: 'ABOVE_FIXED_AMOUNT', lenderId: PARTNER_A, fixedAmountMinor: '350000', minimumMinor: '300000', maximumMinor: '350000', amountMinor: '400000' },
    ]);
    await bookWith(stores, { ...over, fundingPlan: plan([LEAD_ID, 350_000n], [PARTNER_A, 350_000n], [PARTNER_B, 300_000n]) }, fixedProgram, NOW, direct);
    // On a loan of 2,000,000.00 the CN-2021 floor of 30% (600,000.00) is above the fixed amount: the partner funds its floor.
    const big = aBookLoanRequest({ loanId: 'LN-2', principalMinor: 2_000_000n, fundingPlan: plan([LEAD_ID, 800_000n], [PARTNER_A, 600_000n], [PARTNER_B, 600_000n]) });
    await bookWith(stores, big, fixedProgram, NOW, direct);
    expect(stores.db.loans.size).toBe(2);
  });
});

// The shards are the ledger: a property over random bookings and changes -------------------------

const LOANS = ['LN-P1', 'LN-P2', 'LN-P3'] as const;
const BORROWERS: readonly Borrower[] = [aBorrower({ borrowerId: 'BRW-P1' }), aBorrower({ borrowerId: 'BRW-P2', secured: true }), aBorrower({ borrowerId: 'BRW-P3', type: 'BUSINESS' })];

type Step =
  | { readonly kind: 'PAY'; readonly loan: number; readonly day: number; readonly amountMinor: bigint; readonly prepay: boolean }
  | { readonly kind: 'REVERSE'; readonly loan: number; readonly payment: number }
  | { readonly kind: 'TRANSFER'; readonly loan: number; readonly day: number; readonly permille: number }
  | { readonly kind: 'BUYBACK'; readonly loan: number; readonly day: number }
  | { readonly kind: 'WRITE_OFF'; readonly loan: number; readonly day: number };

const loanIndex = fc.integer({ min: 0, max: LOANS.length - 1 });
const day = fc.integer({ min: 1, max: 75 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('PAY' as const), loan: loanIndex, day, amountMinor: fc.bigInt({ min: 1n, max: 1_200_000n }), prepay: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('REVERSE' as const), loan: loanIndex, payment: fc.nat(8) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('TRANSFER' as const), loan: loanIndex, day, permille: fc.integer({ min: 1, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('BUYBACK' as const), loan: loanIndex, day }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('WRITE_OFF' as const), loan: loanIndex, day }) },
);

const valueDate = (n: number): string => new Date(Date.UTC(2025, 2, 1 + n)).toISOString().slice(0, 10);

describe('property: the shards sum to the ledger', () => {
  it('after random bookings and changes, committed plus moved equals the positions\' outstanding principal per lender, per lead and per borrower, and the report\'s measures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.bigInt({ min: 200_000n, max: 2_000_000n }), { minLength: LOANS.length, maxLength: LOANS.length }), fc.array(step, { maxLength: 14 }), async (principals, steps) => {
        const stores = storesWith([aLeadLender(), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B)]);
        for (const [i, loanId] of LOANS.entries()) {
          const principalMinor = principals[i] ?? 200_000n;
          await book(stores, aBookLoanRequest({ loanId, principalMinor, borrower: BORROWERS[i] }));
        }
        stores.clock.set('2025-05-20T02:00:00.000Z');
        const paid: string[][] = LOANS.map(() => []);
        for (const [n, s] of steps.entries()) {
          const loanId = LOANS[s.loan] ?? LOANS[0];
          const input = stepInput(n, loanId, s, paid[s.loan] ?? []);
          if (input === null) continue;
          const result = await splitAndBook(changeDeps(stores), input);
          if (s.kind === 'PAY' && result.status === 'BOOKED') paid[s.loan]?.push(`P-${n}`);
        }
        await expectShardsToBeTheLedger(stores);
      }),
      { numRuns: 25 },
    );
  });
});

function stepInput(n: number, loanId: string, s: Step, paid: readonly string[]): RepaymentStepInput | null {
  switch (s.kind) {
    case 'PAY':
      return { action: 'BOOK', repayment: { repaymentId: `P-${n}`, loanId, amountMinor: s.amountMinor, currency: 'CNY', valueDate: valueDate(s.day), channel: 'AUTO_DEBIT', kind: s.prepay ? 'PREPAYMENT' : 'REGULAR' } };
    case 'REVERSE': {
      const repaymentId = paid[s.payment % Math.max(paid.length, 1)];
      return repaymentId === undefined ? null : { action: 'REVERSE', loanId, repaymentId, reversal: { reversalId: `RV-${n}`, reason: 'BOUNCED', comment: null } };
    }
    case 'TRANSFER':
      return { action: 'EVENT', loanId, event: { type: 'TRANSFER', eventId: `T-${n}`, valueDate: valueDate(s.day), reason: 'Share transfer', fromLenderId: PARTNER_A, toLenderId: PARTNER_B, principalMinor: BigInt(s.permille) * 300n } };
    case 'BUYBACK':
      return { action: 'EVENT', loanId, event: { type: 'BUYBACK', eventId: `B-${n}`, valueDate: valueDate(s.day), reason: 'Buyback', sellerLenderId: PARTNER_B, buyerId: LEAD_ID, expectedPriceMinor: null } };
    case 'WRITE_OFF':
      return { action: 'EVENT', loanId, event: { type: 'WRITE_OFF', eventId: `W-${n}`, valueDate: valueDate(s.day), reason: 'Risk update' } };
  }
}

async function expectShardsToBeTheLedger(stores: InMemoryStores): Promise<void> {
  const positions = [...stores.db.positions.values()];
  const byLender = new Map<string, bigint>();
  const byBorrower = new Map<string, Map<string, bigint>>();
  for (const p of positions) {
    const amount = outstandingPrincipalMinor(p);
    byLender.set(p.lenderId, (byLender.get(p.lenderId) ?? 0n) + amount);
    const loan = stores.db.loans.get(p.loanId);
    if (!loan) throw new Error(`position of an unknown loan ${p.loanId}`);
    const owed = byBorrower.get(loan.borrower.borrowerId) ?? new Map<string, bigint>();
    owed.set(p.lenderId, (owed.get(p.lenderId) ?? 0n) + amount);
    byBorrower.set(loan.borrower.borrowerId, owed);
  }
  const loans = LOANS.map((loanId) => {
    const loan = stores.db.loans.get(loanId);
    if (!loan) throw new Error(`loan ${loanId} is booked`);
    return { leadLenderId: LEAD_ID, profile: 'CN-2021' as const, currency: 'CNY', principals: new Map(positions.filter((p) => p.loanId === loanId).map((p) => [p.lenderId, outstandingPrincipalMinor(p)])) };
  });
  const measures = measureJointLoans(loans);
  for (const lenderId of [LEAD_ID, PARTNER_A, PARTNER_B]) {
    const held = await lenderOutstandingNow(stores, lenderId);
    const ledger = byLender.get(lenderId) ?? 0n;
    expect(held.outstandingMinor, lenderId).toBe(ledger);
    expect(held.byLeadMinor[LEAD_ID] ?? 0n, lenderId).toBe(ledger);
    expect(held.outstandingMinor, `${lenderId} in the report`).toBe(measures.totalMinor[`${lenderId}|CNY`] ?? 0n);
    if (lenderId !== LEAD_ID) expect(held.byLeadMinor[LEAD_ID] ?? 0n, `${lenderId} with the lead in the report`).toBe(measures.withLeadMinor[`${LEAD_ID}|CN-2021|${lenderId}`] ?? 0n);
  }
  for (const borrower of BORROWERS) {
    const { owed } = await borrowerNow(stores, borrower.borrowerId);
    const ledger = byBorrower.get(borrower.borrowerId) ?? new Map<string, bigint>();
    const total = [...ledger.values()].reduce((a, b) => a + b, 0n);
    expect(owed.totalOutstandingMinor, borrower.borrowerId).toBe(total);
    expect(owed.unsecuredPersonalOutstandingMinor, borrower.borrowerId).toBe(borrower.type === 'INDIVIDUAL' && !borrower.secured ? total : 0n);
    for (const lenderId of [LEAD_ID, PARTNER_A, PARTNER_B]) expect(owed.perLenderMinor[lenderId] ?? 0n, `${borrower.borrowerId} ${lenderId}`).toBe(ledger.get(lenderId) ?? 0n);
  }
  // The outstanding is never measured from what was committed alone once anything moved.
  const moved = (await stores.exposure.principalShards(PARTNER_A)).reduce((n, s) => n + s.movedMinor, 0n);
  expect(lenderOutstanding({ shards: await stores.exposure.quotaShards(PARTNER_A), moves: [] }).outstandingMinor + moved).toBe(byLender.get(PARTNER_A) ?? 0n);
  expect(borrowerOutstanding(stores.db.exposures.get('BRW-P1') ?? (await borrowerNow(stores, 'BRW-P1')).booked, await stores.exposure.borrowerPrincipal('BRW-P1')).totalOutstandingMinor).toBe(
    [...(byBorrower.get('BRW-P1') ?? new Map<string, bigint>()).values()].reduce((a, b) => a + b, 0n),
  );
}
