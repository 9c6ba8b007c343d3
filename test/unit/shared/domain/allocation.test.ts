import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  allocate,
  chooseCandidates,
  type AllocationResult,
  type Candidate,
  type CandidateSelection,
  type LenderExposure,
  type PartnerDecision,
} from '../../../../shared/domain/allocation.ts';
import type { Application } from '../../../../shared/domain/application.ts';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import type { InstitutionType, Lender } from '../../../../shared/domain/lender.ts';
import { bookLoan } from '../../../../shared/domain/loan.ts';
import type { Participant, Program } from '../../../../shared/domain/program.ts';
import { REGULATORY_PROFILES, type RegulatoryProfileId } from '../../../../shared/domain/regulatory-profile.ts';
import {
  LEAD_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  PROGRAM_ID,
  aBookLoanRequest,
  aBorrower,
  aLeadLender,
  aLimits,
  aParticipant,
  aPartnerLender,
  aProgram,
  anIndiaProgramTerms,
  defaultLenders,
  lenderMap,
} from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const PARTNER_C = 'PARTNER-C';

function anApplication(overrides: Partial<Application> = {}): Application {
  return {
    applicationId: 'APP-2025-000001',
    borrower: aBorrower(),
    programId: PROGRAM_ID,
    programVersion: 1,
    amountMinor: 1_000_000n,
    termMonths: 12,
    repaymentMethod: 'EQUAL_INSTALLMENT',
    annualRate: '0.0725',
    purpose: 'home appliances',
    leadApproval: { approved: true, reference: 'LEAD-CR-0001', approvedAt: NOW },
    createdAt: NOW,
    ...overrides,
  };
}

const NOTHING_HELD: LenderExposure = { outstandingMinor: 0n, reservedMinor: 0n, borrowerOutstandingMinor: 0n, jointWithLeadMinor: 0n, jointTotalMinor: 0n };

function exposureOf(lenders: readonly Lender[], held: Readonly<Record<string, Partial<LenderExposure>>> = {}): Map<string, LenderExposure> {
  return new Map(lenders.map((l) => [l.lenderId, { ...NOTHING_HELD, ...held[l.lenderId] }]));
}

/** The default lenders with some of them replaced. */
function lendersWith(...replacements: Lender[]): Lender[] {
  const ids = new Set(replacements.map((l) => l.lenderId));
  return [...defaultLenders().filter((l) => !ids.has(l.lenderId)), ...replacements];
}

function choose(program: Program, application: Application, lenders: readonly Lender[], held: Readonly<Record<string, Partial<LenderExposure>>> = {}, excluded: readonly string[] = []): CandidateSelection {
  return chooseCandidates(program, application, lenderMap([...lenders]), exposureOf(lenders, held), new Set(excluded));
}

const approve = (lenderId: string, approvedAmountMinor?: bigint): PartnerDecision =>
  approvedAmountMinor === undefined ? { lenderId, decision: 'APPROVE' } : { lenderId, decision: 'APPROVE', approvedAmountMinor };
const decline = (lenderId: string): PartnerDecision => ({ lenderId, decision: 'DECLINE' });
const timeout = (lenderId: string): PartnerDecision => ({ lenderId, decision: 'TIMEOUT' });

function planOf(result: AllocationResult): [string, bigint][] {
  if (result.outcome !== 'PLAN') throw new Error(`expected a plan, got ${result.outcome}`);
  return result.plan.map((line) => [line.lenderId, line.amountMinor]);
}

function candidate(selection: CandidateSelection, lenderId: string): Candidate {
  const found = selection.candidates.find((c) => c.lenderId === lenderId);
  if (!found) throw new Error(`${lenderId} is not a candidate`);
  return found;
}

// CN-2021 ----------------------------------------------------------------------------------------------

describe('chooseCandidates and allocate: CN-2021 examples to the fen', () => {
  it('plans three lenders with the lead taking the 1-fen rounding remainder', () => {
    const program = aProgram({
      participants: [aParticipant(LEAD_ID, 'LEAD', 3400, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 3300, { priority: 1 }), aParticipant(PARTNER_B, 'PARTNER', 3300, { priority: 2 })],
    });
    const application = anApplication({ amountMinor: 1_000_001n });
    const selection = choose(program, application, defaultLenders());
    expect(selection.dropped).toEqual([]);
    expect(selection.candidates.map((c) => [c.lenderId, c.role, c.askedAmountMinor, c.minimumAmountMinor])).toEqual([
      [LEAD_ID, 'LEAD', 340_001n, 1n],
      // 33% of 1,000,001 is 330,000.33: HALF_UP gives 330,000; 30% is 300,000.3, so the floor is 300,001.
      [PARTNER_A, 'PARTNER', 330_000n, 300_001n],
      [PARTNER_B, 'PARTNER', 330_000n, 300_001n],
    ]);
    const first = allocate(program, application, selection.candidates, []);
    expect(first).toMatchObject({ outcome: 'NEED_MORE', askLenderIds: [PARTNER_A, PARTNER_B], shortfallMinor: 300_001n });
    const result = allocate(program, application, selection.candidates, [approve(PARTNER_B), approve(PARTNER_A)]);
    expect(planOf(result)).toEqual([
      [LEAD_ID, 340_001n],
      [PARTNER_A, 330_000n],
      [PARTNER_B, 330_000n],
    ]);
    expect(result.reasons.map((r) => [r.lenderId, r.amountMinor])).toEqual([
      [LEAD_ID, 340_001n],
      [PARTNER_A, 330_000n],
      [PARTNER_B, 330_000n],
      [null, 1_000_001n],
    ]);
    expect(result.reasons[0]?.because).toBe('the lead funds the rest: 1000001 - 660000 from partners = 340001, its target; its limits allow 1 to 1000001');
    expect(result.reasons[1]?.because).toBe('PARTNER-A approved the 330000 asked and funds it; its minimum is 300001');
  });

  it('raises a partner share that rounds below 30% to its minimum: 300,001 of 1,000,001 fen', () => {
    const application = anApplication({ amountMinor: 1_000_001n });
    const selection = choose(aProgram(), application, defaultLenders());
    expect(candidate(selection, PARTNER_A).askedAmountMinor).toBe(300_001n);
    expect(candidate(selection, PARTNER_A).because).toContain('its target 30% of 1000001 is 300000');
    expect(candidate(selection, PARTNER_A).because).toContain('raised to its minimum 300001');
    const result = allocate(aProgram(), application, selection.candidates, [approve(PARTNER_A), approve(PARTNER_B)]);
    expect(planOf(result)).toEqual([
      [LEAD_ID, 399_999n],
      [PARTNER_A, 300_001n],
      [PARTNER_B, 300_001n],
    ]);
  });

  it('drops a partner whose remaining exposure quota is below its minimum, with the figures', () => {
    const quotaShort = aPartnerLender(PARTNER_B, { limits: aLimits({ exposureQuotaMinor: 1_000_000n }) });
    const selection = choose(aProgram(), anApplication(), lendersWith(quotaShort), { [PARTNER_B]: { outstandingMinor: 600_000n, reservedMinor: 150_000n } });
    expect(selection.candidates.map((c) => c.lenderId)).toEqual([LEAD_ID, PARTNER_A]);
    expect(selection.dropped).toEqual([
      {
        lenderId: PARTNER_B,
        rule: 'EXPOSURE_QUOTA',
        reason: 'PARTNER-B has 250000 of its exposure quota left (quota 1000000 - outstanding 600000 - reserved 150000); it must fund at least 300000 (the CN-2021 partner floor of 30%)',
        figures: { quotaMinor: '1000000', outstandingMinor: '600000', reservedMinor: '150000', remainingMinor: '250000', minimumMinor: '300000' },
      },
    ]);
    const result = allocate(aProgram(), anApplication(), selection.candidates, [approve(PARTNER_A)]);
    expect(planOf(result)).toEqual([
      [LEAD_ID, 700_000n],
      [PARTNER_A, 300_000n],
    ]);
    expect(result.reasons[0]?.because).toContain('300000 above its target 400000');
  });

  it('keeps a partner whose quota still covers its minimum, asking only what is left', () => {
    const program = aProgram({
      participants: [aParticipant(LEAD_ID, 'LEAD', 3000, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 4000, { priority: 1 }), aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2 })],
    });
    const tight = aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: 2_000_000n }) });
    const selection = choose(program, anApplication(), lendersWith(tight), { [PARTNER_A]: { outstandingMinor: 1_650_000n } });
    const a = candidate(selection, PARTNER_A);
    expect([a.askedAmountMinor, a.minimumAmountMinor, a.maximumAmountMinor]).toEqual([350_000n, 300_000n, 350_000n]);
    expect(a.because).toContain('capped at 350000 by PARTNER-A has 350000 of its exposure quota left');
    expect(a.figures).toMatchObject({ targetMinor: '400000', askedMinor: '350000', maximumRule: 'EXPOSURE_QUOTA' });
  });

  it('drops a partner over its per-borrower cap', () => {
    const capped = aPartnerLender(PARTNER_A, { limits: aLimits({ perBorrowerCapMinor: 500_000n }) });
    const selection = choose(aProgram(), anApplication(), lendersWith(capped), { [PARTNER_A]: { borrowerOutstandingMinor: 200_001n } });
    expect(selection.dropped).toEqual([
      {
        lenderId: PARTNER_A,
        rule: 'PER_BORROWER_CAP',
        reason: 'PARTNER-A may lend 299999 more to borrower BRW-0001 (cap 500000 - outstanding 200001); it must fund at least 300000 (the CN-2021 partner floor of 30%)',
        figures: { borrowerId: 'BRW-0001', capMinor: '500000', borrowerOutstandingMinor: '200001', remainingMinor: '299999', minimumMinor: '300000' },
      },
    ]);
  });

  it('drops a partner whose joint loans with the lead would pass 25% of its net tier-1 capital', () => {
    // 25% of 4,000,000 is 1,000,000; 800,001 outstanding leaves 199,999, short of the 300,000 minimum.
    const small = aPartnerLender(PARTNER_A, { netTier1CapitalMinor: 4_000_000n });
    const selection = choose(aProgram(), anApplication(), lendersWith(small), { [PARTNER_A]: { jointWithLeadMinor: 800_001n } });
    expect(selection.dropped).toEqual([
      {
        lenderId: PARTNER_A,
        rule: 'SINGLE_PARTNER_TIER1_CAP',
        reason:
          'under CN-2021 joint loans of PARTNER-A with LEAD-BANK stay within 25% of its net tier-1 capital 4000000, that is 1000000; 800001 are outstanding, 199999 left; ' +
          'it must fund at least 300000 (the CN-2021 partner floor of 30%)',
        figures: {
          profile: 'CN-2021',
          capBps: '2500',
          netTier1CapitalMinor: '4000000',
          capMinor: '1000000',
          jointWithLeadMinor: '800001',
          remainingMinor: '199999',
          minimumMinor: '300000',
        },
      },
    ]);
  });

  it('keeps the partner when exactly its minimum fits under the tier-1 cap, and skips the cap without the figure', () => {
    const small = aPartnerLender(PARTNER_A, { netTier1CapitalMinor: 4_000_000n });
    const exact = choose(aProgram(), anApplication(), lendersWith(small), { [PARTNER_A]: { jointWithLeadMinor: 700_000n } });
    expect(candidate(exact, PARTNER_A).askedAmountMinor).toBe(300_000n);
    const noFigure = aPartnerLender(PARTNER_A, { netTier1CapitalMinor: null });
    expect(choose(aProgram(), anApplication(), lendersWith(noFigure), { [PARTNER_A]: { jointWithLeadMinor: 10n ** 15n } }).dropped).toEqual([]);
  });

  it('drops a partner whose joint loans would pass 50% of its total loans', () => {
    const bank = aPartnerLender(PARTNER_B, { totalLoansMinor: 2_000_000n });
    const selection = choose(aProgram(), anApplication(), lendersWith(bank), { [PARTNER_B]: { jointTotalMinor: 750_001n } });
    expect(selection.dropped).toMatchObject([{ lenderId: PARTNER_B, rule: 'JOINT_TO_TOTAL_LOANS_CAP', figures: { capMinor: '1000000', jointTotalMinor: '750001', remainingMinor: '249999' } }]);
  });

  it('drops a local bank outside the borrower region, and keeps one inside it', () => {
    const local = aPartnerLender(PARTNER_A, { institutionType: 'LOCAL_BANK', region: 'CN-11' });
    const selection = choose(aProgram(), anApplication(), lendersWith(local));
    expect(selection.dropped).toEqual([
      {
        lenderId: PARTNER_A,
        rule: 'LOCAL_BANK_REGION',
        reason: 'under CN-2021 local bank PARTNER-A (CN-11) lends online only inside its region; the borrower is in CN-44',
        figures: { profile: 'CN-2021', lenderRegion: 'CN-11', borrowerRegion: 'CN-44' },
      },
    ]);
    expect(choose(aProgram(), anApplication({ borrower: aBorrower({ region: 'CN-11' }) }), lendersWith(local)).dropped).toEqual([]);
  });

  it('drops an excluded partner: it already declined or timed out', () => {
    const selection = choose(aProgram(), anApplication(), defaultLenders(), {}, [PARTNER_B]);
    expect(selection.dropped).toEqual([
      { lenderId: PARTNER_B, rule: 'EXCLUDED', reason: 'PARTNER-B already declined application APP-2025-000001 or did not answer in time', figures: { applicationId: 'APP-2025-000001' } },
    ]);
  });

  it("drops a partner whose own maximum share is below the profile's floor", () => {
    const shy = aPartnerLender(PARTNER_A, { limits: aLimits({ maxShareBps: 2500 }) });
    expect(choose(aProgram(), anApplication(), lendersWith(shy)).dropped).toMatchObject([{ lenderId: PARTNER_A, rule: 'LENDER_SHARE_LIMIT', figures: { maximumMinor: '250000', minimumMinor: '300000' } }]);
  });

  it("raises the minimum to the partner's own minimum share or amount, rounded up", () => {
    const program = aProgram({
      participants: [aParticipant(LEAD_ID, 'LEAD', 4000, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 3000, { priority: 1 }), aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2, minAmountMinor: 320_000n })],
    });
    const picky = aPartnerLender(PARTNER_A, { limits: aLimits({ minShareBps: 3333 }) });
    const selection = choose(program, anApplication({ amountMinor: 1_000_001n }), lendersWith(picky));
    // 33.33% of 1,000,001 is 333,300.3333, rounded up to 333,301.
    expect(candidate(selection, PARTNER_A)).toMatchObject({ minimumAmountMinor: 333_301n, askedAmountMinor: 333_301n });
    expect(candidate(selection, PARTNER_A).because).toContain('at least 333301 (its own minimum share 33.33%)');
    expect(candidate(selection, PARTNER_B)).toMatchObject({ minimumAmountMinor: 320_000n, askedAmountMinor: 320_000n });
  });

  it('orders candidates by priority then lender id, whatever the order of the participants', () => {
    const program = aProgram({
      participants: [aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 1 }), aParticipant(LEAD_ID, 'LEAD', 4000, { priority: 5 }), aParticipant(PARTNER_A, 'PARTNER', 3000, { priority: 1 })],
    });
    expect(choose(program, anApplication(), defaultLenders()).candidates.map((c) => c.lenderId)).toEqual([LEAD_ID, PARTNER_A, PARTNER_B]);
  });

  it('refuses a missing exposure rather than reading it as zero', () => {
    const error = thrownBy(ValidationError, () => chooseCandidates(aProgram(), anApplication(), lenderMap(), new Map([[LEAD_ID, NOTHING_HELD]]), new Set()));
    expect(error.details).toEqual({ path: `exposure.${PARTNER_A}`, rule: 'required' });
  });
});

describe('allocate: decisions', () => {
  /** PRIORITY_FILL: the lead keeps 40% at most; three partners of 30% in priority order. */
  const program = aProgram({
    allocationPolicy: 'PRIORITY_FILL',
    participants: [
      aParticipant(LEAD_ID, 'LEAD', 4000, { priority: 0 }),
      aParticipant(PARTNER_A, 'PARTNER', 3000, { priority: 1 }),
      aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2 }),
      aParticipant(PARTNER_C, 'PARTNER', 3000, { priority: 3 }),
    ],
  });
  const lenders = [aLeadLender({ limits: aLimits({ maxShareBps: 4000 }) }), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B), aPartnerLender(PARTNER_C)];
  const application = anApplication();

  it('asks the partners the plan needs first, keeping the next one in reserve', () => {
    const { candidates } = choose(program, application, lenders);
    const first = allocate(program, application, candidates, []);
    expect(first).toMatchObject({ outcome: 'NEED_MORE', shortfallMinor: 600_000n, askLenderIds: [PARTNER_A, PARTNER_B] });
    if (first.outcome !== 'NEED_MORE') throw new Error('expected NEED_MORE');
    expect(first.reasons.at(-1)).toMatchObject({ lenderId: null, rule: 'LEAD_MAX_SHARE', amountMinor: 600_000n });
    expect(first.reasons.find((r) => r.lenderId === PARTNER_C)?.because).toBe('PARTNER-C is not asked yet');
  });

  it('replaces a decline by the next partner through NEED_MORE, then plans', () => {
    const { candidates } = choose(program, application, lenders);
    const afterDecline = allocate(program, application, candidates, [decline(PARTNER_A), approve(PARTNER_B)]);
    expect(afterDecline).toMatchObject({ outcome: 'NEED_MORE', shortfallMinor: 300_000n, askLenderIds: [PARTNER_C] });
    expect(afterDecline.reasons.map((r) => [r.lenderId, r.rule])).toEqual([
      [PARTNER_A, 'DECLINED'],
      [PARTNER_B, undefined],
      [PARTNER_C, undefined],
      [null, 'LEAD_MAX_SHARE'],
    ]);
    expect(afterDecline.reasons.at(-1)?.because).toBe(
      'the lead funds at most 400000 of 1000000 and approved partners fund 300000, so partners must fund 300000 more; asking PARTNER-C',
    );
    const result = allocate(program, application, candidates, [decline(PARTNER_A), approve(PARTNER_B), approve(PARTNER_C)]);
    expect(planOf(result)).toEqual([
      [LEAD_ID, 400_000n],
      [PARTNER_B, 300_000n],
      [PARTNER_C, 300_000n],
    ]);
  });

  it('reaches the same plan when the workflow chooses again with the decliner excluded', () => {
    const again = choose(program, application, lenders, {}, [PARTNER_A]);
    expect(again.dropped.map((d) => [d.lenderId, d.rule])).toEqual([[PARTNER_A, 'EXCLUDED']]);
    const decisions = [decline(PARTNER_A), approve(PARTNER_B)];
    const next = allocate(program, application, again.candidates, decisions);
    expect(next).toMatchObject({ outcome: 'NEED_MORE', askLenderIds: [PARTNER_C] });
    expect(next.reasons[0]).toMatchObject({ lenderId: PARTNER_B });
    expect(next.reasons.find((r) => r.lenderId === PARTNER_A)).toMatchObject({ rule: 'NOT_A_CANDIDATE', amountMinor: 0n });
    expect(planOf(allocate(program, application, again.candidates, [...decisions, approve(PARTNER_C)]))).toEqual([
      [LEAD_ID, 400_000n],
      [PARTNER_B, 300_000n],
      [PARTNER_C, 300_000n],
    ]);
  });

  it('rejects when every partner declined or timed out, with a reason for each', () => {
    const { candidates } = choose(program, application, lenders);
    const result = allocate(program, application, candidates, [decline(PARTNER_A), timeout(PARTNER_B), decline(PARTNER_C)]);
    expect(result.outcome).toBe('REJECT');
    expect(result.reasons).toEqual([
      { lenderId: PARTNER_A, amountMinor: 0n, because: 'PARTNER-A declined the 300000 asked', rule: 'DECLINED', figures: { askedMinor: '300000', minimumMinor: '300000', maximumMinor: '999999' } },
      { lenderId: PARTNER_B, amountMinor: 0n, because: 'PARTNER-B did not answer in time for the 300000 asked', rule: 'TIMEOUT', figures: { askedMinor: '300000', minimumMinor: '300000', maximumMinor: '999999' } },
      { lenderId: PARTNER_C, amountMinor: 0n, because: 'PARTNER-C declined the 300000 asked', rule: 'DECLINED', figures: { askedMinor: '300000', minimumMinor: '300000', maximumMinor: '999999' } },
      {
        lenderId: null,
        amountMinor: 600_000n,
        because: 'the lead funds at most 400000 of 1000000 and approved partners fund 0, so partners must fund 600000 more; the partners left could fund only 0, so the application is rejected',
        rule: 'NO_PARTNER_LEFT',
        figures: { amountMinor: '1000000', leadMaximumMinor: '400000', approvedMinor: '0', shortfallMinor: '600000', askableMinor: '0' },
      },
    ]);
  });

  it('rejects a TARGET_SHARES loan whose partners all declined, even when the lead could fund it alone', () => {
    const { candidates } = choose(aProgram(), application, defaultLenders());
    const result = allocate(aProgram(), application, candidates, [decline(PARTNER_A), decline(PARTNER_B)]);
    expect(result.outcome).toBe('REJECT');
    expect(result.reasons.at(-1)).toMatchObject({ rule: 'NO_PARTNER_LEFT', amountMinor: 300_000n });
    expect(result.reasons.at(-1)?.because).toContain('a joint loan needs a partner funding at least 300000 (the CN-2021 partner floor of 30%)');
  });

  it('takes a partner approving less than asked but at least its minimum; the lead takes the rest within its maximum', () => {
    const shares = aProgram({
      participants: [aParticipant(LEAD_ID, 'LEAD', 3000, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 4000, { priority: 1 }), aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2 })],
    });
    const leadMax40 = lendersWith(aLeadLender({ limits: aLimits({ maxShareBps: 4000 }) }));
    const { candidates } = choose(shares, application, leadMax40);
    const result = allocate(shares, application, candidates, [approve(PARTNER_A, 350_000n), approve(PARTNER_B)]);
    expect(planOf(result)).toEqual([
      [LEAD_ID, 350_000n],
      [PARTNER_A, 350_000n],
      [PARTNER_B, 300_000n],
    ]);
    expect(result.reasons[0]?.because).toBe(
      'the lead funds the rest: 1000000 - 650000 from partners = 350000, 50000 above its target 300000 because partners fund less than the target leaves to them; its limits allow 1 to 400000',
    );
    expect(result.reasons[1]?.because).toBe('PARTNER-A approved 350000 of the 400000 asked and funds it; its minimum is 300000');
    // At 34% the lead cannot take the 50,000 more and no partner is left.
    const leadMax34 = lendersWith(aLeadLender({ limits: aLimits({ maxShareBps: 3400 }) }));
    const tight = choose(shares, application, leadMax34).candidates;
    const rejected = allocate(shares, application, tight, [approve(PARTNER_A, 350_000n), approve(PARTNER_B)]);
    expect(rejected.outcome).toBe('REJECT');
    expect(rejected.reasons.at(-1)).toMatchObject({ rule: 'NO_PARTNER_LEFT', amountMinor: 10_000n });
  });

  it('refuses an approval below the minimum, naming the figures', () => {
    const { candidates } = choose(aProgram(), application, defaultLenders());
    const below = thrownBy(RuleViolation, () => allocate(aProgram(), application, candidates, [approve(PARTNER_A, 299_999n), approve(PARTNER_B)]));
    expect(below.code).toBe('APPROVAL_BELOW_MINIMUM');
    expect(below.message).toBe('PARTNER-A approved 299999, below its minimum 300000 for this loan');
    expect(below.details).toEqual({
      path: 'decisions.0.approvedAmountMinor',
      rule: 'APPROVAL_BELOW_MINIMUM',
      lenderId: PARTNER_A,
      approvedMinor: '299999',
      askedMinor: '300000',
      minimumMinor: '300000',
    });
  });

  it('counts an approval above the amount asked only up to it: the quota may have shrunk since the partner answered', () => {
    const shares = aProgram({
      participants: [aParticipant(LEAD_ID, 'LEAD', 3000, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 4000, { priority: 1 }), aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2 })],
    });
    const tight = lendersWith(aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: 2_000_000n }) }));
    const { candidates } = choose(shares, application, tight, { [PARTNER_A]: { reservedMinor: 1_660_000n } });
    expect(candidate({ candidates, dropped: [] }, PARTNER_A).askedAmountMinor).toBe(340_000n);
    const result = allocate(shares, application, candidates, [approve(PARTNER_A, 400_000n), approve(PARTNER_B)]);
    expect(planOf(result)).toEqual([
      [LEAD_ID, 360_000n],
      [PARTNER_A, 340_000n],
      [PARTNER_B, 300_000n],
    ]);
    expect(result.reasons[1]).toMatchObject({ rule: 'APPROVAL_ABOVE_ASKED', amountMinor: 340_000n, figures: { approvedMinor: '400000', askedMinor: '340000' } });
    expect(result.reasons[1]?.because).toBe('PARTNER-A approved 400000, of which the 340000 its limits allow now counts, and funds it; its minimum is 300000');
  });

  it('refuses two decisions of one lender and a decision for the lead', () => {
    const { candidates } = choose(aProgram(), application, defaultLenders());
    expect(thrownBy(ValidationError, () => allocate(aProgram(), application, candidates, [approve(PARTNER_A), decline(PARTNER_A)])).details).toEqual({ path: 'decisions.1.lenderId', rule: 'unique' });
    expect(thrownBy(ValidationError, () => allocate(aProgram(), application, candidates, [approve(LEAD_ID)])).details).toEqual({ path: 'decisions.0.lenderId', rule: 'partner-only' });
  });

  it('gives back what partners approved beyond need, last partner first, so the lead keeps its target', () => {
    const fill = aProgram({
      allocationPolicy: 'PRIORITY_FILL',
      participants: [aParticipant(LEAD_ID, 'LEAD', 3000, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 4500, { priority: 1 }), aParticipant(PARTNER_B, 'PARTNER', 4500, { priority: 2 })],
    });
    const { candidates } = choose(fill, application, defaultLenders());
    const result = allocate(fill, application, candidates, [approve(PARTNER_A), approve(PARTNER_B)]);
    // Partners approved 900,000 where the lead's 30% target leaves them 700,000: B gives back down to its
    // minimum (150,000), then A the remaining 50,000.
    expect(planOf(result)).toEqual([
      [LEAD_ID, 300_000n],
      [PARTNER_A, 400_000n],
      [PARTNER_B, 300_000n],
    ]);
    expect(result.reasons[2]?.because).toBe(
      'PARTNER-B approved the 450000 asked and funds 300000: partners fund 700000 in all so that the lead keeps 300000, and no partner goes below its minimum; its minimum is 300000',
    );
  });

  it('leaves out an approval the plan does not need', () => {
    const { candidates } = choose(program, application, lenders);
    const result = allocate(program, application, candidates, [approve(PARTNER_A), approve(PARTNER_B), approve(PARTNER_C)]);
    expect(planOf(result)).toEqual([
      [LEAD_ID, 400_000n],
      [PARTNER_A, 300_000n],
      [PARTNER_B, 300_000n],
    ]);
    expect(result.reasons.find((r) => r.lenderId === PARTNER_C)).toMatchObject({ rule: 'NOT_NEEDED', amountMinor: 0n });
  });

  it('rejects when the lead itself cannot fund the loan', () => {
    const lead = aLeadLender({ limits: aLimits({ exposureQuotaMinor: 0n, perBorrowerCapMinor: 0n }) });
    const selection = choose(aProgram(), application, lendersWith(lead));
    expect(selection.dropped[0]).toMatchObject({ lenderId: LEAD_ID, rule: 'EXPOSURE_QUOTA' });
    const result = allocate(aProgram(), application, selection.candidates, [approve(PARTNER_A), approve(PARTNER_B)]);
    expect(result.outcome).toBe('REJECT');
    expect(result.reasons.at(-1)).toMatchObject({ lenderId: null, rule: 'LEAD_UNAVAILABLE' });
  });
});

// IN-2025 ----------------------------------------------------------------------------------------------

describe('chooseCandidates and allocate: IN-2025', () => {
  const indiaLenders = [aLeadLender({ currency: 'INR' }), aPartnerLender(PARTNER_A, { currency: 'INR', institutionType: 'LOCAL_BANK', region: 'IN-MH' })];

  it('keeps every lender at 10% at least, rounded up to the paisa: the lead 100,001 of 1,000,001', () => {
    const program = aProgram(anIndiaProgramTerms({ participants: [aParticipant(LEAD_ID, 'LEAD', 1000, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 9000, { priority: 1 })] }));
    const application = anApplication({ amountMinor: 1_000_001n });
    const selection = choose(program, application, indiaLenders);
    expect(selection.dropped).toEqual([]);
    const [lead, partner] = selection.candidates;
    // 90% of 1,000,001 is 900,000.9 (HALF_UP 900,001), which would leave the lead 100,000, below 10%.
    expect([lead?.askedAmountMinor, lead?.minimumAmountMinor]).toEqual([100_001n, 100_001n]);
    expect([partner?.askedAmountMinor, partner?.minimumAmountMinor, partner?.maximumAmountMinor]).toEqual([900_000n, 100_001n, 900_000n]);
    const result = allocate(program, application, selection.candidates, [approve(PARTNER_A)]);
    expect(planOf(result)).toEqual([
      [LEAD_ID, 100_001n],
      [PARTNER_A, 900_000n],
    ]);
  });

  it('lets a partner approve down to 10% and the lead take the rest; 1 paisa less is refused', () => {
    const program = aProgram(anIndiaProgramTerms());
    const application = anApplication();
    const { candidates } = choose(program, application, indiaLenders);
    expect(planOf(allocate(program, application, candidates, [approve(PARTNER_A, 100_000n)]))).toEqual([
      [LEAD_ID, 900_000n],
      [PARTNER_A, 100_000n],
    ]);
    expect(thrownBy(RuleViolation, () => allocate(program, application, candidates, [approve(PARTNER_A, 99_999n)])).code).toBe('APPROVAL_BELOW_MINIMUM');
  });

  it('has no region rule, no tier-1 cap and no cap on total loans', () => {
    const program = aProgram(anIndiaProgramTerms());
    const held = { [PARTNER_A]: { jointWithLeadMinor: 10n ** 16n, jointTotalMinor: 10n ** 16n } };
    expect(choose(program, anApplication(), indiaLenders, held).dropped).toEqual([]);
  });
});

// Properties -------------------------------------------------------------------------------------------

type Answer = { readonly kind: 'APPROVE'; readonly permille: bigint } | { readonly kind: 'DECLINE' } | { readonly kind: 'TIMEOUT' };

interface World {
  readonly program: Program;
  readonly application: Application;
  readonly lenders: readonly Lender[];
  readonly exposure: readonly (readonly [string, LenderExposure])[];
  readonly answers: ReadonlyMap<string, Answer>;
}

const PARTNER_IDS = ['P-A', 'P-B', 'P-C', 'P-D'];
const INSTITUTIONS: readonly InstitutionType[] = ['NATIONAL_BANK', 'LOCAL_BANK', 'INTERNET_BANK'];

/** Mostly roomy, sometimes tight: so that plans, drops and rejections all occur often. */
function roomyOr<T>(roomy: T, tight: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(roomy) }, { weight: 1, arbitrary: tight });
}

const lenderArb = (lenderId: string, role: 'LEAD' | 'PARTNER', currency: string): fc.Arbitrary<Lender> =>
  fc
    .record({
      institutionType: fc.constantFrom(...INSTITUTIONS),
      region: roomyOr('CN-44', fc.constant('CN-11')),
      minShareBps: roomyOr(0, fc.integer({ min: 0, max: 4000 })),
      maxShareBps: roomyOr(10_000, fc.integer({ min: 0, max: 10_000 })),
      quota: roomyOr(10n ** 12n, fc.bigInt({ min: 0n, max: 60_000_000n })),
      perBorrower: roomyOr(10n ** 11n, fc.bigInt({ min: 0n, max: 60_000_000n })),
      tier1: roomyOr<bigint | null>(null, fc.option(fc.bigInt({ min: 0n, max: 400_000_000n }), { nil: null })),
      totalLoans: roomyOr<bigint | null>(null, fc.option(fc.bigInt({ min: 0n, max: 400_000_000n }), { nil: null })),
    })
    .map((r) => {
      const [minShareBps, maxShareBps] = r.minShareBps <= r.maxShareBps ? [r.minShareBps, r.maxShareBps] : [r.maxShareBps, r.minShareBps];
      const base = role === 'LEAD' ? aLeadLender({ lenderId, currency }) : aPartnerLender(lenderId, { currency });
      return {
        ...base,
        institutionType: r.institutionType,
        region: r.region,
        limits: aLimits({ minShareBps, maxShareBps, exposureQuotaMinor: r.quota, perBorrowerCapMinor: r.perBorrower < r.quota ? r.perBorrower : r.quota }),
        netTier1CapitalMinor: r.tier1,
        totalLoansMinor: r.totalLoans,
      };
    });

const exposureArb: fc.Arbitrary<LenderExposure> = fc.record({
  outstandingMinor: roomyOr(0n, fc.bigInt({ min: 0n, max: 50_000_000n })),
  reservedMinor: roomyOr(0n, fc.bigInt({ min: 0n, max: 5_000_000n })),
  borrowerOutstandingMinor: roomyOr(0n, fc.bigInt({ min: 0n, max: 5_000_000n })),
  jointWithLeadMinor: roomyOr(0n, fc.bigInt({ min: 0n, max: 100_000_000n })),
  jointTotalMinor: roomyOr(0n, fc.bigInt({ min: 0n, max: 200_000_000n })),
});

const answerArb: fc.Arbitrary<Answer> = fc.oneof(
  // Above 1000 the partner approves more than it is asked, which counts only up to the amount asked.
  { weight: 5, arbitrary: fc.bigInt({ min: 0n, max: 1200n }).map((permille): Answer => ({ kind: 'APPROVE', permille })) },
  { weight: 1, arbitrary: fc.constant<Answer>({ kind: 'DECLINE' }) },
  { weight: 1, arbitrary: fc.constant<Answer>({ kind: 'TIMEOUT' }) },
);

/** Target shares that sum to 10000 with every partner at the profile floor or above. */
function targetSharesArb(profileId: RegulatoryProfileId, count: number): fc.Arbitrary<number[]> {
  const profile = REGULATORY_PROFILES[profileId];
  const budget = 10_000 - count * profile.minPartnerShareBps - profile.minLenderShareBps;
  return fc.array(fc.integer({ min: 0, max: 100 }), { minLength: count + 1, maxLength: count + 1 }).map((raw) => {
    const weight = raw.reduce((s, r) => s + r, 0) || 1;
    const extras = raw.map((r) => Math.floor((budget * r) / weight));
    const partners = extras.slice(1).map((e) => profile.minPartnerShareBps + e);
    return [10_000 - partners.reduce((s, p) => s + p, 0), ...partners];
  });
}

const worldArb: fc.Arbitrary<World> = fc
  .record({
    profileId: fc.constantFrom<RegulatoryProfileId>('CN-2021', 'IN-2025'),
    policy: fc.constantFrom<Program['allocationPolicy']>('TARGET_SHARES', 'PRIORITY_FILL'),
    remainderRule: fc.constantFrom<'ROUNDING_PARTY' | 'LARGEST_REMAINDER'>('ROUNDING_PARTY', 'LARGEST_REMAINDER'),
    roundingMode: fc.constantFrom<Program['roundingMode']>('HALF_UP', 'HALF_EVEN', 'DOWN'),
    partnerCount: fc.integer({ min: 1, max: 4 }),
    amount: fc.oneof(fc.bigInt({ min: 100_000n, max: 1_000_000n }), fc.bigInt({ min: 100_000n, max: 50_000_000n })),
  })
  .chain((base) => {
    const count = base.profileId === 'CN-2021' && base.policy === 'TARGET_SHARES' ? Math.min(base.partnerCount, 3) : base.partnerCount;
    const currency = REGULATORY_PROFILES[base.profileId].currency;
    const ids = PARTNER_IDS.slice(0, count);
    const floor = REGULATORY_PROFILES[base.profileId].minPartnerShareBps;
    const fillTarget = fc.option(fc.integer({ min: floor, max: 9000 }), { nil: null, freq: 3 });
    return fc.record({
      base: fc.constant(base),
      shares: base.policy === 'TARGET_SHARES' ? targetSharesArb(base.profileId, count) : fc.array(fillTarget, { minLength: count + 1, maxLength: count + 1 }),
      priorities: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: count, maxLength: count }),
      minAmounts: fc.array(fc.option(fc.bigInt({ min: 1n, max: 500_000n }), { nil: null, freq: 4 }), { minLength: count + 1, maxLength: count + 1 }),
      fixed: fc.array(fc.option(fc.bigInt({ min: 1n, max: 30_000_000n }), { nil: null, freq: 6 }), { minLength: count + 1, maxLength: count + 1 }),
      lead: lenderArb(LEAD_ID, 'LEAD', currency),
      partners: fc.tuple(...ids.map((id) => lenderArb(id, 'PARTNER', currency))),
      exposures: fc.array(exposureArb, { minLength: count + 1, maxLength: count + 1 }),
      answers: fc.array(answerArb, { minLength: count, maxLength: count }),
    });
  })
  .map(({ base, shares, priorities, minAmounts, fixed, lead, partners, exposures, answers }) => {
    const lenders = [lead, ...partners];
    const participants: Participant[] = lenders.map((l, i) =>
      aParticipant(l.lenderId, i === 0 ? 'LEAD' : 'PARTNER', shares[i] ?? null, {
        priority: i === 0 ? 0 : (priorities[i - 1] ?? 1),
        minAmountMinor: minAmounts[i] ?? null,
        fixedAmountMinor: fixed[i] ?? null,
      }),
    );
    const terms = base.profileId === 'IN-2025' ? anIndiaProgramTerms() : aProgram();
    const program = aProgram({
      ...terms,
      participants,
      allocationPolicy: base.policy,
      roundingMode: base.roundingMode,
      split: { ...terms.split, remainderRule: base.remainderRule },
    });
    return {
      program,
      // Secured, so the unsecured personal cap (an application rule) does not stop the booking check.
      application: anApplication({ amountMinor: base.amount, borrower: aBorrower({ secured: true }) }),
      lenders,
      exposure: lenders.map((l, i) => [l.lenderId, exposures[i] ?? NOTHING_HELD] as const),
      answers: new Map(partners.map((p, i) => [p.lenderId, answers[i] ?? { kind: 'DECLINE' }])),
    };
  });

interface Run {
  readonly selection: CandidateSelection;
  readonly result: AllocationResult;
  readonly decisions: readonly PartnerDecision[];
}

function answerOf(world: World, c: Candidate): PartnerDecision {
  const answer = world.answers.get(c.lenderId) ?? { kind: 'DECLINE' };
  if (answer.kind !== 'APPROVE') return { lenderId: c.lenderId, decision: answer.kind };
  const room = c.askedAmountMinor - c.minimumAmountMinor;
  return { lenderId: c.lenderId, decision: 'APPROVE', approvedAmountMinor: c.minimumAmountMinor + (room * answer.permille) / 1000n };
}

/** The joint review as the workflow runs it: ask, collect, allocate, until a plan or a rejection. */
function review(world: World, order: <T>(items: readonly T[]) => T[] = (items) => [...items]): Run {
  const program = { ...world.program, participants: order(world.program.participants) };
  const selection = chooseCandidates(program, world.application, new Map(order(world.lenders).map((l) => [l.lenderId, l])), new Map(order(world.exposure)), new Set());
  const decisions: PartnerDecision[] = [];
  let result = allocate(program, world.application, order(selection.candidates), []);
  for (let round = 0; result.outcome === 'NEED_MORE'; round++) {
    expect(round).toBeLessThan(PARTNER_IDS.length + 1);
    for (const lenderId of result.askLenderIds) decisions.push(answerOf(world, candidate(selection, lenderId)));
    result = allocate(program, world.application, order(selection.candidates), order(decisions));
  }
  return { selection, result, decisions };
}

function remainingQuota(world: World, lenderId: string): bigint {
  const lender = world.lenders.find((l) => l.lenderId === lenderId);
  const held = world.exposure.find(([id]) => id === lenderId)?.[1];
  if (!lender || !held) throw new Error(`no lender ${lenderId}`);
  const quota = lender.limits.exposureQuotaMinor - held.outstandingMinor - held.reservedMinor;
  const borrower = lender.limits.perBorrowerCapMinor - held.borrowerOutstandingMinor;
  return quota < borrower ? quota : borrower;
}

describe('allocation properties', () => {
  it('every plan sums to the amount, respects approvals, quotas and every floor and share limit, and books', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const { selection, result, decisions } = review(world);
        for (const c of selection.candidates) {
          expect(c.minimumAmountMinor <= c.askedAmountMinor && c.askedAmountMinor <= c.maximumAmountMinor).toBe(true);
          expect(c.maximumAmountMinor <= remainingQuota(world, c.lenderId)).toBe(true);
        }
        if (result.outcome !== 'PLAN') return;
        const amount = world.application.amountMinor;
        const profile = REGULATORY_PROFILES[world.program.regulatoryProfile];
        expect(result.plan.reduce((s, line) => s + line.amountMinor, 0n)).toBe(amount);
        expect(result.plan.filter((line) => line.role === 'PARTNER').length).toBeGreaterThan(0);
        for (const line of result.plan) {
          const lender = world.lenders.find((l) => l.lenderId === line.lenderId)!;
          expect(line.amountMinor > 0n).toBe(true);
          expect(line.amountMinor <= remainingQuota(world, line.lenderId)).toBe(true);
          expect(line.amountMinor * 10_000n >= BigInt(lender.limits.minShareBps) * amount).toBe(true);
          expect(line.amountMinor * 10_000n <= BigInt(lender.limits.maxShareBps) * amount).toBe(true);
          expect(line.amountMinor * 10_000n >= BigInt(profile.minLenderShareBps) * amount).toBe(true);
          if (line.role === 'PARTNER') {
            const decision = decisions.find((d) => d.lenderId === line.lenderId);
            expect(decision?.decision).toBe('APPROVE');
            expect(line.amountMinor <= (decision?.approvedAmountMinor ?? -1n)).toBe(true);
            expect(line.amountMinor * 10_000n >= BigInt(profile.minPartnerShareBps) * amount).toBe(true);
          }
        }
        const request = aBookLoanRequest({
          principalMinor: amount,
          borrower: world.application.borrower,
          currency: world.program.currency,
          fundingPlan: result.plan.map(({ lenderId, amountMinor }) => ({ lenderId, amountMinor })),
        });
        expect(() => bookLoan(request, world.program, new Map(world.lenders.map((l) => [l.lenderId, l])), NOW)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it('reaches the same candidates, drops, plan and reasons whatever the order of the inputs', () => {
    fc.assert(
      fc.property(worldArb, fc.integer({ min: 1, max: 1_000_000 }), (world, seed) => {
        const expected = review(world);
        const shuffle = <T,>(items: readonly T[]): T[] => {
          const copy = [...items];
          let state = seed;
          for (let i = copy.length - 1; i > 0; i--) {
            state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
            const j = state % (i + 1);
            [copy[i], copy[j]] = [copy[j]!, copy[i]!];
          }
          return copy;
        };
        const shuffled = review(world, shuffle);
        expect(shuffled.selection).toEqual(expected.selection);
        expect(shuffled.result).toEqual(expected.result);
      }),
      { numRuns: 300 },
    );
  });
});
