import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseCandidates, type LenderExposure } from '../../../../shared/domain/allocation.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import { withFiguresInForce, type RegulatoryFigures } from '../../../../shared/domain/regulatory-figures.ts';
import {
  NO_MEASURES,
  addMeasures,
  measureJointLoans,
  regulatoryReport,
  type JointLoanMeasures,
  type LoanPrincipals,
  type ReportRow,
} from '../../../../shared/domain/regulatory-report.ts';
import type { RegulatoryProfileId } from '../../../../shared/domain/regulatory-profile.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B, aLeadLender, aParticipant, aPartnerLender, aProgram, anApplication, anIndiaLenders, anIndiaProgramTerms, lenderMap } from '../../../support/builders.ts';

const DATE = '2025-03-31';
const OTHER_LEAD = 'OTHER-LEAD';
const CN: RegulatoryProfileId = 'CN-2021';

function figures(lenderId: string, netTier1CapitalMinor: bigint | null, totalLoansMinor: bigint | null, effectiveDate = '2025-03-16', version = 1): RegulatoryFigures {
  return { lenderId, effectiveDate, version, netTier1CapitalMinor, totalLoansMinor, source: `2024 Q4 report of ${lenderId}`, setBy: 'lead-ops', setAt: '2025-03-16T02:00:00.000Z' };
}

const loan = (leadLenderId: string, principals: Record<string, bigint>, profile: RegulatoryProfileId = CN, currency = 'CNY'): LoanPrincipals => ({
  leadLenderId,
  profile,
  currency,
  principals: new Map(Object.entries(principals)),
});

function measures(partial: Partial<JointLoanMeasures>): JointLoanMeasures {
  return { ...NO_MEASURES, ...partial };
}

/**
 * A (national bank): net tier-1 capital 4,000,000.00 (25%: 1,000,000.00), total loans 20,000,000.00 (50%: 10,000,000.00).
 * B (national bank): no figures in force. The lead (internet bank): net tier-1 capital 20,000,000.03
 * (25%: 5,000,000.0075, rounded down to 5,000,000.00), total loans 30,000,000.00 (50%: 15,000,000.00).
 */
const FIGURES = new Map<string, RegulatoryFigures | null>([
  [PARTNER_A, figures(PARTNER_A, 400_000_000n, 2_000_000_000n)],
  [PARTNER_B, null],
  [LEAD_ID, figures(LEAD_ID, 2_000_000_003n, 3_000_000_000n)],
]);

function reportOf(measured: JointLoanMeasures, overrides: { lenders?: readonly Lender[]; figures?: ReadonlyMap<string, RegulatoryFigures | null> } = {}) {
  return regulatoryReport({
    businessDate: DATE,
    programs: [aProgram()],
    lenders: lenderMap(overrides.lenders ?? [aLeadLender(), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B)]),
    figures: overrides.figures ?? FIGURES,
    measures: measured,
  });
}

const rowsOf = (measured: JointLoanMeasures, overrides = {}): readonly ReportRow[] => reportOf(measured, overrides).sections[0]?.rows ?? [];

function rowFor(rows: readonly ReportRow[], lenderId: string, rule: ReportRow['rule'], counterpartyId: string | null): ReportRow {
  const row = rows.find((r) => r.lenderId === lenderId && r.rule === rule && r.counterpartyId === counterpartyId);
  if (!row) throw new Error(`no row ${lenderId} ${rule} ${counterpartyId}`);
  return row;
}

describe('measuring joint loans', () => {
  it("sums each lender's principal in total, with each lead, and the lead's with each partner", () => {
    const measured = measureJointLoans([
      loan(LEAD_ID, { [LEAD_ID]: 400n, [PARTNER_A]: 300n, [PARTNER_B]: 300n }),
      loan(LEAD_ID, { [LEAD_ID]: 100n, [PARTNER_A]: 200n, [PARTNER_B]: 0n }),
      loan(OTHER_LEAD, { [OTHER_LEAD]: 50n, [PARTNER_A]: 50n }),
      loan(LEAD_ID, { [LEAD_ID]: 0n, [PARTNER_A]: 0n }),
    ]);
    expect(measured).toEqual({
      loans: 3,
      totalMinor: { [`${LEAD_ID}|CNY`]: 500n, [`${PARTNER_A}|CNY`]: 550n, [`${PARTNER_B}|CNY`]: 300n, [`${OTHER_LEAD}|CNY`]: 50n },
      withLeadMinor: { [`${LEAD_ID}|CN-2021|${PARTNER_A}`]: 500n, [`${LEAD_ID}|CN-2021|${PARTNER_B}`]: 300n, [`${OTHER_LEAD}|CN-2021|${PARTNER_A}`]: 50n },
      // B holds nothing of the second loan: the lead's 100 counts with A only.
      leadWithPartnerMinor: { [`${LEAD_ID}|CN-2021|${PARTNER_A}`]: 500n, [`${LEAD_ID}|CN-2021|${PARTNER_B}`]: 400n, [`${OTHER_LEAD}|CN-2021|${PARTNER_A}`]: 50n },
    });
  });

  it('adds up shard by shard to the measures of all the loans at once', () => {
    const lenderIds = [LEAD_ID, OTHER_LEAD, PARTNER_A, PARTNER_B];
    const loanArb = fc.record({
      lead: fc.constantFrom(LEAD_ID, OTHER_LEAD),
      profile: fc.constantFrom<RegulatoryProfileId>('CN-2021', 'IN-2025'),
      amounts: fc.array(fc.bigInt({ min: 0n, max: 10n ** 15n }), { minLength: 4, maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(loanArb, { maxLength: 30 }), fc.nat(30), (drawn, cut) => {
        const loans = drawn.map((d) => loan(d.lead, Object.fromEntries(lenderIds.map((id, i) => [id, d.amounts[i] ?? 0n])), d.profile, d.profile === 'CN-2021' ? 'CNY' : 'INR'));
        const whole = measureJointLoans(loans);
        expect(addMeasures(measureJointLoans(loans.slice(0, cut)), measureJointLoans(loans.slice(cut)))).toEqual(whole);
      }),
    );
  });
});

describe('the report of a date, worked by hand', () => {
  it.each([
    // 24.99% of A's net tier-1 capital: 99.96% of its limit, 400.00 left.
    [99_960_000n, { ratio: '24.99%', usage: '99.96%', headroomMinor: 40_000n, status: 'NEAR' }],
    // Exactly 25%: the rule holds, with no fen of room left.
    [100_000_000n, { ratio: '25%', usage: '100%', headroomMinor: 0n, status: 'NEAR' }],
    // One fen over: 25.0000025% shows as 25.01% (rounded up), and the rule is broken by 0.01.
    [100_000_001n, { ratio: '25.01%', usage: '100.01%', headroomMinor: -1n, status: 'BREACHED' }],
    // 89.99% of the limit: below the NEAR threshold of 90%.
    [89_990_000n, { ratio: '22.50%', usage: '89.99%', headroomMinor: 10_010_000n, status: 'OK' }],
  ] as const)("rates a partner's joint loans with the lead of %s fen against 25% of its net tier-1 capital", (outstanding, expected) => {
    const row = rowFor(rowsOf(measures({ withLeadMinor: { [`${LEAD_ID}|CN-2021|${PARTNER_A}`]: outstanding } })), PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID);
    expect(row).toEqual({
      lenderId: PARTNER_A,
      role: 'PARTNER',
      rule: 'SINGLE_PARTNER_TIER1_CAP',
      counterpartyId: LEAD_ID,
      currency: 'CNY',
      outstandingMinor: outstanding,
      capBps: 2500,
      figureMinor: 400_000_000n,
      figures: { effectiveDate: '2025-03-16', version: 1, source: `2024 Q4 report of ${PARTNER_A}` },
      limitMinor: 100_000_000n,
      ...expected,
    });
  });

  it('counts all of a partner\'s joint loans, with every lead, under the 50% rule, and only the lead\'s under the 25% rule', () => {
    const measured = measureJointLoans([
      loan(LEAD_ID, { [LEAD_ID]: 200_000_000n, [PARTNER_A]: 600_000_000n, [PARTNER_B]: 150_000_000n }),
      loan(OTHER_LEAD, { [OTHER_LEAD]: 100_000_000n, [PARTNER_A]: 300_000_000n }),
    ]);
    // The other lead is a platform: its section rates A's loans with it, and A's total is the same there.
    const report = reportOf(measured, { lenders: [aLeadLender(), aLeadLender({ lenderId: OTHER_LEAD, institutionType: 'NON_BANK' }), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B)] });
    expect(report.sections.map((s) => s.leadLenderId)).toEqual([LEAD_ID, OTHER_LEAD]);
    const rows = report.sections[0]!.rows;
    expect(rowFor(report.sections[1]!.rows, PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', OTHER_LEAD)).toMatchObject({ outstandingMinor: 300_000_000n, status: 'BREACHED' });
    expect(rowFor(report.sections[1]!.rows, PARTNER_A, 'JOINT_TO_TOTAL_LOANS_CAP', null)).toEqual(rowFor(rows, PARTNER_A, 'JOINT_TO_TOTAL_LOANS_CAP', null));
    // 600,000,000 with the lead: 150% of its 25% limit. 900,000,000 with both leads: 90% of its 50% limit, NEAR at the threshold.
    expect(rowFor(rows, PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID)).toMatchObject({ outstandingMinor: 600_000_000n, headroomMinor: -500_000_000n, ratio: '150%', status: 'BREACHED' });
    expect(rowFor(rows, PARTNER_A, 'JOINT_TO_TOTAL_LOANS_CAP', null)).toMatchObject({
      outstandingMinor: 900_000_000n,
      figureMinor: 2_000_000_000n,
      limitMinor: 1_000_000_000n,
      ratio: '45%',
      usage: '90%',
      headroomMinor: 100_000_000n,
      status: 'NEAR',
    });
  });

  it('gives every bank of the section its rows: the partners, then the lead with each partner and in total', () => {
    const measured = measures({
      totalMinor: { [`${PARTNER_A}|CNY`]: 899_999_999n, [`${PARTNER_B}|CNY`]: 150_000_000n, [`${LEAD_ID}|CNY`]: 800_000_000n },
      withLeadMinor: { [`${LEAD_ID}|CN-2021|${PARTNER_A}`]: 100_000_000n, [`${LEAD_ID}|CN-2021|${PARTNER_B}`]: 150_000_000n },
      leadWithPartnerMinor: { [`${LEAD_ID}|CN-2021|${PARTNER_A}`]: 300_000_000n, [`${LEAD_ID}|CN-2021|${PARTNER_B}`]: 500_000_001n },
    });
    const report = reportOf(measured);
    expect(report.sections.map((s) => [s.leadLenderId, s.profile, s.currency, s.partnerIds, s.notBound])).toEqual([[LEAD_ID, 'CN-2021', 'CNY', [PARTNER_A, PARTNER_B], []]]);
    const rows = report.sections[0]!.rows;
    expect(rows.map((r) => [r.lenderId, r.rule, r.counterpartyId, r.outstandingMinor, r.limitMinor, r.ratio, r.usage, r.headroomMinor, r.status])).toEqual([
      [PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID, 100_000_000n, 100_000_000n, '25%', '100%', 0n, 'NEAR'],
      // 89.9999999% of the limit: shown rounded up as 90%, but below the threshold, so OK.
      [PARTNER_A, 'JOINT_TO_TOTAL_LOANS_CAP', null, 899_999_999n, 1_000_000_000n, '45%', '90%', 100_000_001n, 'OK'],
      // No figures in force: never taken as zero.
      [PARTNER_B, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID, 150_000_000n, null, null, null, null, 'FIGURES_MISSING'],
      [PARTNER_B, 'JOINT_TO_TOTAL_LOANS_CAP', null, 150_000_000n, null, null, null, null, 'FIGURES_MISSING'],
      // The lead's limit: 25% of 2,000,000,003 is 500,000,000.75, rounded down.
      [LEAD_ID, 'SINGLE_PARTNER_TIER1_CAP', PARTNER_A, 300_000_000n, 500_000_000n, '15%', '60%', 200_000_000n, 'OK'],
      [LEAD_ID, 'SINGLE_PARTNER_TIER1_CAP', PARTNER_B, 500_000_001n, 500_000_000n, '25.01%', '100.01%', -1n, 'BREACHED'],
      [LEAD_ID, 'JOINT_TO_TOTAL_LOANS_CAP', null, 800_000_000n, 1_500_000_000n, '26.67%', '53.34%', 700_000_000n, 'OK'],
    ]);
    expect(rows.every((r) => r.currency === 'CNY')).toBe(true);
    expect(rowFor(rows, LEAD_ID, 'SINGLE_PARTNER_TIER1_CAP', PARTNER_A).figureMinor).toBe(2_000_000_003n);
    expect(report.counts).toEqual({ OK: 3, NEAR: 1, BREACHED: 1, FIGURES_MISSING: 2 });
    expect(report.nearLimitBps).toBe(9000);
  });

  it('shows a partner with nothing outstanding at its full headroom', () => {
    expect(rowFor(rowsOf(NO_MEASURES), PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID)).toMatchObject({ outstandingMinor: 0n, ratio: '0%', usage: '0%', headroomMinor: 100_000_000n, status: 'OK' });
  });

  it('reports a figure missing on its own: registration figures with total loans only', () => {
    const rows = rowsOf(NO_MEASURES, { figures: new Map([[PARTNER_A, { ...figures(PARTNER_A, null, 2_000_000_000n), version: 0 }]]) });
    expect(rowFor(rows, PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID).status).toBe('FIGURES_MISSING');
    expect(rowFor(rows, PARTNER_A, 'JOINT_TO_TOTAL_LOANS_CAP', null)).toMatchObject({ status: 'OK', limitMinor: 1_000_000_000n, figures: { version: 0 } });
  });

  it('names the lenders the rules do not bind instead of rating them: a lead or a partner that is not a bank', () => {
    const platform = aLeadLender({ institutionType: 'NON_BANK' });
    const servicer = aPartnerLender(PARTNER_B, { institutionType: 'NON_BANK' });
    const report = reportOf(measures({ leadWithPartnerMinor: { [`${LEAD_ID}|CN-2021|${PARTNER_A}`]: 5n } }), { lenders: [platform, aPartnerLender(PARTNER_A), servicer] });
    const section = report.sections[0]!;
    expect(section.rows.map((r) => r.lenderId)).toEqual([PARTNER_A, PARTNER_A]);
    expect(section.notBound).toEqual([
      { lenderId: PARTNER_B, reason: 'a NON_BANK: the ratio rules bind banks' },
      { lenderId: LEAD_ID, reason: 'a NON_BANK: the ratio rules bind banks' },
    ]);
  });

  it('has no section for a profile without the ratio rules (IN-2025)', () => {
    const india = anIndiaProgramTerms();
    const report = regulatoryReport({
      businessDate: DATE,
      programs: [aProgram({ ...india, programId: 'IN-PROG' })],
      lenders: lenderMap(anIndiaLenders()),
      figures: new Map(),
      measures: measureJointLoans([loan(india.leadLenderId, { [india.leadLenderId]: 10n }, 'IN-2025', 'INR')]),
    });
    expect(report.sections).toEqual([]);
    expect(report.counts).toEqual({ OK: 0, NEAR: 0, BREACHED: 0, FIGURES_MISSING: 0 });
  });
});

describe('the report and the allocator agree', () => {
  // A 3-fen application: the partner's CN-2021 minimum (30%, rounded up) is 1 fen, so being asked is being allowed one more fen.
  const program = aProgram({ participants: [aParticipant(LEAD_ID, 'LEAD', 7000, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 3000, { priority: 1 })] });
  const application = anApplication({ amountMinor: 3n });
  const HELD_NOTHING: LenderExposure = { outstandingMinor: 0n, reservedMinor: 0n, borrowerOutstandingMinor: 0n, jointWithLeadMinor: 0n, jointTotalMinor: 0n };

  type Rule = 'SINGLE_PARTNER_TIER1_CAP' | 'JOINT_TO_TOTAL_LOANS_CAP';
  const figuresFor = (rule: Rule, figure: bigint) => (rule === 'SINGLE_PARTNER_TIER1_CAP' ? figures(PARTNER_A, figure, null) : figures(PARTNER_A, null, figure));

  /** Whether allocation refuses the partner one more fen under the rule: it is dropped for it. */
  function refusesOneMoreFen(rule: Rule, figure: bigint, outstanding: bigint): { refused: boolean; remainingMinor?: string } {
    // The allocator judges the lender by its figures in force, as the review reads them.
    const partner = withFiguresInForce(aPartnerLender(PARTNER_A), figuresFor(rule, figure));
    const held = { ...HELD_NOTHING, ...(rule === 'SINGLE_PARTNER_TIER1_CAP' ? { jointWithLeadMinor: outstanding } : { jointTotalMinor: outstanding }) };
    const selection = chooseCandidates(program, application, lenderMap([aLeadLender(), partner]), new Map([[LEAD_ID, HELD_NOTHING], [PARTNER_A, held]]), new Set());
    const dropped = selection.dropped.find((d) => d.lenderId === PARTNER_A);
    if (dropped === undefined) {
      expect(selection.candidates.map((c) => c.lenderId)).toContain(PARTNER_A);
      return { refused: false };
    }
    expect(dropped.rule).toBe(rule);
    return { refused: true, remainingMinor: dropped.figures.remainingMinor };
  }

  function reportRow(rule: Rule, figure: bigint, outstanding: bigint): ReportRow {
    const measured =
      rule === 'SINGLE_PARTNER_TIER1_CAP' ? measures({ withLeadMinor: { [`${LEAD_ID}|CN-2021|${PARTNER_A}`]: outstanding } }) : measures({ totalMinor: { [`${PARTNER_A}|CNY`]: outstanding } });
    const report = regulatoryReport({ businessDate: DATE, programs: [program], lenders: lenderMap([aLeadLender(), aPartnerLender(PARTNER_A)]), figures: new Map([[PARTNER_A, figuresFor(rule, figure)]]), measures: measured });
    return rowFor(report.sections[0]!.rows, PARTNER_A, rule, rule === 'SINGLE_PARTNER_TIER1_CAP' ? LEAD_ID : null);
  }

  /** Figures and an outstanding amount often right at the limit, where the two could part. */
  const caseArb = fc.record({ rule: fc.constantFrom<Rule>('SINGLE_PARTNER_TIER1_CAP', 'JOINT_TO_TOTAL_LOANS_CAP'), figure: fc.bigInt({ min: 0n, max: 10n ** 16n }), offset: fc.bigInt({ min: -3n, max: 3n }), far: fc.bigInt({ min: 0n, max: 10n ** 16n }), nearLimit: fc.boolean() });
  const limitOf = (rule: Rule, figure: bigint) => (figure * (rule === 'SINGLE_PARTNER_TIER1_CAP' ? 2500n : 5000n)) / 10_000n;

  it('refuses one more fen exactly when the report leaves no headroom, and the headroom is the allocator\'s remaining allowance', () => {
    fc.assert(
      fc.property(caseArb, ({ rule, figure, offset, far, nearLimit }) => {
        const outstanding = nearLimit ? (limitOf(rule, figure) + offset < 0n ? 0n : limitOf(rule, figure) + offset) : far;
        const row = reportRow(rule, figure, outstanding);
        const allocation = refusesOneMoreFen(rule, figure, outstanding);
        expect(allocation.refused).toBe(row.headroomMinor! < 1n);
        expect(allocation.refused).toBe(row.status === 'BREACHED' || row.headroomMinor === 0n);
        if (allocation.refused) expect(allocation.remainingMinor).toBe(row.headroomMinor!.toString());
      }),
      { numRuns: 300 },
    );
  });

  it('says BREACHED exactly when, one fen less outstanding, the allocator would still refuse the next fen', () => {
    fc.assert(
      fc.property(caseArb, ({ rule, figure, offset, far, nearLimit }) => {
        const outstanding = nearLimit ? (limitOf(rule, figure) + offset < 0n ? 0n : limitOf(rule, figure) + offset) : far;
        const breached = reportRow(rule, figure, outstanding).status === 'BREACHED';
        expect(breached).toBe(outstanding > 0n && refusesOneMoreFen(rule, figure, outstanding - 1n).refused);
      }),
      { numRuns: 300 },
    );
  });

  it('shows a ratio above the cap exactly when the rule is broken (ratios round up)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 16n }), fc.bigInt({ min: 0n, max: 10n ** 16n }), (figure, outstanding) => {
        const row = reportRow('SINGLE_PARTNER_TIER1_CAP', figure, outstanding);
        const ratioBps = Math.round(Number.parseFloat(row.ratio!) * 100);
        expect(ratioBps > 2500).toBe(row.status === 'BREACHED');
        expect(row.headroomMinor).toBe(row.limitMinor! - outstanding);
      }),
      { numRuns: 300 },
    );
  });
});
