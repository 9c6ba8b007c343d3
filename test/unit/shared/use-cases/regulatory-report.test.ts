import { beforeEach, describe, expect, it } from 'vitest';
import { LOAN_SHARDS } from '../../../../shared/adapters/dynamodb/state-keys.ts';
import { StateConflict, RuleViolation } from '../../../../shared/domain/errors.ts';
import { disbursementEntry, type Loan } from '../../../../shared/domain/loan.ts';
import { foldEntries, type JournalEntry } from '../../../../shared/domain/ledger.ts';
import { emptyLedger } from '../../../../shared/domain/repayment-booking.ts';
import type { ReportRow } from '../../../../shared/domain/regulatory-report.ts';
import { setRegulatoryFigures } from '../../../../shared/use-cases/regulatory-figures.ts';
import { failReportRun, measureShard, openReportRun, recordReport, startReportRun, type RegulatoryReportDeps } from '../../../../shared/use-cases/regulatory-report.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B, aLeadLender, aLeg as leg, aLoan, aPartnerLender, aProgram } from '../../../support/builders.ts';
import { createInMemoryStores, seed, sealFor, type InMemoryStores } from '../../../support/in-memory-stores.ts';
import { rejectedBy } from '../../../support/expect-error.ts';

let stores: InMemoryStores;
let deps: RegulatoryReportDeps;

/** Books an entry as the ledger holds it: the entry, and the loan's positions on its head folded from every entry of the loan. */
function book(entry: JournalEntry): void {
  stores.db.entries.set(`${entry.loanId}#${entry.entryId}`, entry);
  const entries = [...stores.db.entries.values()].filter((e) => e.loanId === entry.loanId);
  for (const [lenderId, position] of foldEntries(entry.loanId, entries)) stores.db.positions.set(`${entry.loanId}#${lenderId}`, position);
}

/** A loan disbursed (and booked) at 10:00 Beijing time on its date: 40% to the lead, 30% to each partner. */
function disburse(loanId: string, principalMinor: bigint, date: string): Loan {
  const loan = aLoan({ loanId, principalMinor, disbursementDate: date }, { amountRange: { minMinor: 100_000n, maxMinor: 200_000_000n } });
  stores.db.loans.set(loanId, structuredClone(loan));
  stores.db.repaymentLedgers.set(loanId, { ...emptyLedger(loanId), version: 1 });
  book(disbursementEntry(loan, `${date}T02:00:00.000Z`));
  return loan;
}

/** Principal repaid, booked on `bookedOn`: lead 40%, each partner 30%. */
function repayPrincipal(loanId: string, id: string, bookedOn: string, lead: bigint, partner: bigint): void {
  const parts: [string, bigint][] = [
    [LEAD_ID, lead],
    [PARTNER_A, partner],
    [PARTNER_B, partner],
  ];
  book({
    entryId: `REPAYMENT#${id}`,
    eventType: 'REPAYMENT',
    eventId: id,
    loanId,
    currency: 'CNY',
    businessDate: bookedOn,
    bookedOn,
    createdAt: `${bookedOn}T02:00:00.000Z`,
    legs: parts.flatMap(([lenderId, amount]) => [leg(lenderId, 'SETTLEMENT_CLEARING', 'D', amount, 'ESCROW'), leg(lenderId, 'PRINCIPAL_RECEIVABLE', 'C', amount)]),
  });
}

/** Runs the workflow's steps for a date at `now`: OpenRun, MeasureShard for every loan shard, RecordReport. */
async function runReport(businessDate: string, now: string) {
  stores.clock.set(now);
  const opened = await openReportRun(deps, { businessDate, attempt: ((await stores.regulatoryReports.getRun(businessDate))?.attempt ?? 0) + 1 });
  for (const { shard } of opened.shards) await measureShard(deps, businessDate, opened.attempt, shard);
  await recordReport(deps, businessDate, opened.attempt);
  const run = await stores.regulatoryReports.getRun(businessDate);
  if (run?.report === null || run === null) throw new Error('no report');
  return run;
}

async function setFigures(lenderId: string, effectiveDate: string, netTier1CapitalMinor: bigint, totalLoansMinor: bigint, source: string): Promise<void> {
  stores.clock.set(`${effectiveDate}T02:00:00.000Z`);
  await setRegulatoryFigures(stores, { lenderId, effectiveDate, figures: { netTier1CapitalMinor, totalLoansMinor, source } }, 'lead-ops', sealFor(`setRegulatoryFigures#lead-ops#${lenderId}-${effectiveDate}-${source}`), stores.clock.now());
}

const row = (rows: readonly ReportRow[], lenderId: string, rule: ReportRow['rule'], counterpartyId: string | null): ReportRow => {
  const found = rows.find((r) => r.lenderId === lenderId && r.rule === rule && r.counterpartyId === counterpartyId);
  if (!found) throw new Error(`no row ${lenderId} ${rule} ${counterpartyId}`);
  return found;
};

const brief = (r: ReportRow) => [r.outstandingMinor, r.limitMinor, r.ratio, r.usage, r.headroomMinor, r.status, r.figures?.effectiveDate ?? null];

/**
 * The lead (internet bank, registered with net tier-1 capital 3,000,000.00 and total loans
 * 2,000,000.00), bank A (figures set by the lead, corrected from 16 March), bank B (no figures).
 * LN-1: 1,000,000.00 disbursed 3 March (400,000.00 / 300,000.00 / 300,000.00), 100,000.00 of it
 * repaid 20 March; LN-2: 500,000.00 disbursed 10 March (200,000.00 / 150,000.00 / 150,000.00),
 * 50,000.00 repaid on 1 April, after the end of March.
 */
beforeEach(async () => {
  stores = createInMemoryStores('2025-03-01T02:00:00.000Z');
  deps = { ...stores, loan: (loanId) => stores.loans.get(loanId), shardCount: LOAN_SHARDS };
  seed(stores, {
    lenders: [
      aLeadLender({ netTier1CapitalMinor: 300_000_000n, totalLoansMinor: 200_000_000n }),
      aPartnerLender(PARTNER_A, { netTier1CapitalMinor: null, totalLoansMinor: null }),
      aPartnerLender(PARTNER_B, { netTier1CapitalMinor: null, totalLoansMinor: null }),
    ],
    programs: [aProgram()],
  });
  // A: 25% of 1,800,000.00 is 450,000.00; from the 16th, 25% of 1,679,999.96 is 419,999.99.
  await setFigures(PARTNER_A, '2025-03-01', 180_000_000n, 90_000_000n, '2024 Q4 report');
  await setFigures(PARTNER_A, '2025-03-16', 167_999_996n, 90_000_000n, '2025 Q1 capital notice');
  disburse('LN-1', 100_000_000n, '2025-03-03');
  disburse('LN-2', 50_000_000n, '2025-03-10');
  repayPrincipal('LN-1', 'R-1', '2025-03-20', 4_000_000n, 3_000_000n);
  repayPrincipal('LN-2', 'R-2', '2025-04-01', 2_000_000n, 1_500_000n);
});

describe('the regulatory report of a date', () => {
  it('15 March, reported on 1 April: bank A exactly at 25% and 50% under the figures in force on the 15th, B without figures, the lead within its own', async () => {
    // Run after everything above was booked: what was booked after the 15th is undone, and A's figures are those of the 15th.
    const run = await runReport('2025-03-15', '2025-04-01T02:00:00.000Z');
    expect([run.status, run.attempt, run.loans, run.doneAt]).toEqual(['DONE', 1, 2, '2025-04-01T02:00:00.000Z']);
    const rows = run.report!.sections[0]!.rows;
    expect(brief(row(rows, PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID))).toEqual([45_000_000n, 45_000_000n, '25%', '100%', 0n, 'NEAR', '2025-03-01']);
    expect(brief(row(rows, PARTNER_A, 'JOINT_TO_TOTAL_LOANS_CAP', null))).toEqual([45_000_000n, 45_000_000n, '50%', '100%', 0n, 'NEAR', '2025-03-01']);
    expect(brief(row(rows, PARTNER_B, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID))).toEqual([45_000_000n, null, null, null, null, 'FIGURES_MISSING', null]);
    // The lead's 600,000.00 in the loans A (and B) share: 20% of 3,000,000.00, 80% of its limit 750,000.00.
    expect(brief(row(rows, LEAD_ID, 'SINGLE_PARTNER_TIER1_CAP', PARTNER_A))).toEqual([60_000_000n, 75_000_000n, '20%', '80%', 15_000_000n, 'OK', '2025-03-01']);
    expect(brief(row(rows, LEAD_ID, 'JOINT_TO_TOTAL_LOANS_CAP', null))).toEqual([60_000_000n, 100_000_000n, '30%', '60%', 40_000_000n, 'OK', '2025-03-01']);
    expect(row(rows, LEAD_ID, 'JOINT_TO_TOTAL_LOANS_CAP', null).figures).toEqual({ effectiveDate: '2025-03-01', version: 0, source: 'lender registration' });
    expect(run.report!.counts).toEqual({ OK: 3, NEAR: 2, BREACHED: 0, FIGURES_MISSING: 2 });
  });

  it('31 March: the figures corrected mid-month put A one fen over its limit; what was booked on 1 April is not counted', async () => {
    const run = await runReport('2025-03-31', '2025-04-01T02:00:00.000Z');
    const rows = run.report!.sections[0]!.rows;
    // 270,000.00 + 150,000.00 with the lead: the 1 April repayment is undone, the 20 March one is not.
    expect(brief(row(rows, PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID))).toEqual([42_000_000n, 41_999_999n, '25.01%', '100.01%', -1n, 'BREACHED', '2025-03-16']);
    expect(row(rows, PARTNER_A, 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID).figures).toEqual({ effectiveDate: '2025-03-16', version: 1, source: '2025 Q1 capital notice' });
    expect(brief(row(rows, PARTNER_A, 'JOINT_TO_TOTAL_LOANS_CAP', null))).toEqual([42_000_000n, 45_000_000n, '46.67%', '93.34%', 3_000_000n, 'NEAR', '2025-03-16']);
    expect(brief(row(rows, PARTNER_B, 'JOINT_TO_TOTAL_LOANS_CAP', null))).toEqual([42_000_000n, null, null, null, null, 'FIGURES_MISSING', null]);
    expect(brief(row(rows, LEAD_ID, 'SINGLE_PARTNER_TIER1_CAP', PARTNER_B))).toEqual([56_000_000n, 75_000_000n, '18.67%', '74.67%', 19_000_000n, 'OK', '2025-03-01']);
    expect(brief(row(rows, LEAD_ID, 'JOINT_TO_TOTAL_LOANS_CAP', null))).toEqual([56_000_000n, 100_000_000n, '28%', '56%', 44_000_000n, 'OK', '2025-03-01']);
    expect(run.report!.counts).toEqual({ OK: 3, NEAR: 1, BREACHED: 1, FIGURES_MISSING: 2 });
  });

  it('gives the same report of a date when it is run again later, whatever was booked since, as attempt 2', async () => {
    const first = await runReport('2025-03-31', '2025-04-01T02:00:00.000Z');
    repayPrincipal('LN-1', 'R-3', '2025-04-02', 400_000n, 300_000n);
    const again = await runReport('2025-03-31', '2025-04-02T03:00:00.000Z');
    expect(again.attempt).toBe(2);
    expect(again.report).toEqual(first.report);
  });

  it('keeps the measures of each shard, written whole for the attempt', async () => {
    await runReport('2025-03-15', '2025-04-01T02:00:00.000Z');
    const shards = await stores.regulatoryReports.shards('2025-03-15');
    expect(shards).toHaveLength(LOAN_SHARDS);
    expect(shards.reduce((n, s) => n + s.measures.loans, 0)).toBe(2);
    expect(shards.every((s) => s.attempt === 1)).toBe(true);
  });
});

describe('the state of a run', () => {
  it('refuses a date whose cut-off has not passed, and a date in the future', async () => {
    stores.clock.set('2025-03-15T13:59:00.000Z'); // 21:59 in Beijing: the 15th is still open
    expect((await rejectedBy(RuleViolation, () => openReportRun(deps, { businessDate: '2025-03-15', attempt: 1 }))).code).toBe('BUSINESS_DATE_OPEN');
    const error = await rejectedBy(RuleViolation, () => startReportRun({ ...stores }, { businessDate: '2025-03-20' }, sealFor('k')));
    expect([error.code, error.details.path]).toEqual(['BUSINESS_DATE_OPEN', 'businessDate']);
    expect(stores.workflow.starts).toEqual([]);
  });

  it('skips a date done or running when the schedule asks, and runs a failed one again', async () => {
    stores.clock.set('2025-03-16T16:45:00.000Z'); // 00:45 on the 17th in Beijing: the schedule closes the 16th
    const first = await openReportRun(deps, { scheduledTime: '2025-03-16T16:45:00.000Z' });
    expect([first.businessDate, first.attempt, first.skipped, first.shards.length]).toEqual(['2025-03-16', 1, false, LOAN_SHARDS]);
    expect(await openReportRun(deps, { scheduledTime: '2025-03-16T16:45:00.000Z' })).toEqual({ businessDate: '2025-03-16', attempt: 1, skipped: true, shards: [] });
    await failReportRun(deps, '2025-03-16', 1, { code: 'BOOM', message: 'a shard stopped' });
    expect(await stores.regulatoryReports.getRun('2025-03-16')).toMatchObject({ status: 'FAILED', failure: { code: 'BOOM', message: 'a shard stopped' } });
    expect(await openReportRun(deps, { scheduledTime: '2025-03-16T16:45:00.000Z' })).toMatchObject({ attempt: 2, skipped: false });
  });

  it('stops the steps of an attempt a restart replaced, and leaves the new attempt alone', async () => {
    stores.clock.set('2025-03-16T16:45:00.000Z');
    await openReportRun(deps, { businessDate: '2025-03-16', attempt: 1 });
    await startReportRun({ ...stores }, { businessDate: '2025-03-16', restart: true }, sealFor('restart'));
    expect(stores.workflow.starts.at(-1)).toMatchObject({ name: 'regulatory-report-2025-03-16-2', input: { businessDate: '2025-03-16', attempt: 2 } });
    await openReportRun(deps, { businessDate: '2025-03-16', attempt: 2 });
    const stale = await rejectedBy(StateConflict, () => measureShard(deps, '2025-03-16', 1, 0));
    expect(stale.code).toBe('REGULATORY_REPORT_NOT_RUNNING');
    await failReportRun(deps, '2025-03-16', 1, { code: 'STALE', message: 'replaced' });
    expect(await stores.regulatoryReports.getRun('2025-03-16')).toMatchObject({ status: 'RUNNING', attempt: 2, failure: null });
  });

  it('refuses to start a date whose run has not finished, unless asked to restart', async () => {
    stores.clock.set('2025-03-16T16:45:00.000Z');
    await openReportRun(deps, { businessDate: '2025-03-16', attempt: 1 });
    const error = await rejectedBy(StateConflict, () => startReportRun({ ...stores }, { businessDate: '2025-03-16' }, sealFor('again')));
    expect([error.code, error.details]).toEqual(['REGULATORY_REPORT_RUNNING', { path: 'businessDate', attempt: 1 }]);
    const changed = await rejectedBy(StateConflict, () => openReportRun(deps, { businessDate: '2025-03-16', attempt: 1 }));
    expect(changed.code).toBe('REGULATORY_REPORT_CHANGED');
  });

  it('records the report only once every shard of the attempt is measured', async () => {
    stores.clock.set('2025-03-16T16:45:00.000Z');
    await openReportRun(deps, { businessDate: '2025-03-16', attempt: 1 });
    await measureShard(deps, '2025-03-16', 1, 0);
    await expect(recordReport(deps, '2025-03-16', 1)).rejects.toThrow('every shard of the run is measured before its report');
  });
});
