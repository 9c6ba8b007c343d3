import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cutoffDayAt } from '../../../../shared/domain/business-date.ts';
import { FolderFileStore } from '../../../../shared/adapters/files/file-store.ts';
import { COLUMN_NAMES_ZH } from '../../../../shared/adapters/files/settlement-files.ts';
import { foldEntries, type JournalEntry } from '../../../../shared/domain/ledger.ts';
import { emptyLedger } from '../../../../shared/domain/repayment-booking.ts';
import { loanSchedules } from '../../../../shared/domain/schedule.ts';
import { businessCalendar } from '../../../../shared/use-cases/calendars.ts';
import { closeRun, failRun, gatherShard, instruct, openRun, recordExecution, statementFile, statements, trialBalance, writeFiles, type SettlementDeps } from '../../../../shared/use-cases/settlement.ts';
import { aLeg as leg, aLender, aLoan, aProgram, defaultLenders, GUARANTOR_ID, LEAD_ID, PARTNER_A, PARTNER_B, PROGRAM_ID } from '../../../support/builders.ts';
import { createInMemoryStores, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { DomainError } from '../../../../shared/domain/errors.ts';
import { addMonthProfit, lenderProfit, monthRange } from '../../../../shared/domain/profit.ts';
import { getLenderProfit } from '../../../../functions/positions/use-case.ts';

async function expectDomainError(action: Promise<unknown>, code: string): Promise<void> {
  expect((await rejectedBy(DomainError, () => action)).code).toBe(code);
}

const SHARDS = 16;
let stores: InMemoryStores;
let deps: SettlementDeps;
let dir: string;


/** Books an entry as the ledger holds it: the entry, and the loan's positions on its head folded from every entry of the loan. */
function book(entry: Omit<JournalEntry, 'currency' | 'createdAt' | 'programId' | 'programVersion'>): void {
  const full: JournalEntry = { ...entry, currency: 'CNY', createdAt: '2025-03-01T02:00:00.000Z', programId: PROGRAM_ID, programVersion: 1 };
  stores.db.entries.set(`${full.loanId}#${full.entryId}`, full);
  const entries = [...stores.db.entries.values()].filter((e) => e.loanId === full.loanId);
  for (const [lenderId, position] of foldEntries(full.loanId, entries)) stores.db.positions.set(`${full.loanId}#${lenderId}`, position);
}

/**
 * LN-1: 10,000.00 at 12% a year, equal principal over 3 months, 4,000 / 3,000 / 3,000, disbursed
 * Saturday 2025-03-01 with reference DISB-1; its head's latest risk update is of 2025-03-02.
 */
const LOAN = aLoan({ loanId: 'LN-1', principalMinor: 1_000_000n, annualRate: '0.12', termMonths: 3, repaymentMethod: 'EQUAL_PRINCIPAL', disbursementReference: 'DISB-1' });

/** Disbursed Saturday 2025-03-01 (10,000.00: 4,000 / 3,000 / 3,000); repaid Monday 2025-03-03 (336.00 / 252.00 / 252.00). */
function seedBook(): void {
  stores.db.loans.set(LOAN.loanId, structuredClone(LOAN));
  const schedules = loanSchedules(LOAN);
  stores.db.borrowerSchedules.set(LOAN.loanId, schedules.borrower);
  for (const s of schedules.lenders) stores.db.lenderSchedules.set(`${LOAN.loanId}#${s.lenderId}`, s);
  stores.db.repaymentLedgers.set(LOAN.loanId, { ...emptyLedger(LOAN.loanId), version: 3, risk: { asOf: '2025-03-02', dpd: 0, classification: 'NORMAL', since: '2025-03-01' } });
  book({
    entryId: 'DISBURSEMENT#LN-1',
    eventType: 'DISBURSEMENT',
    eventId: 'LN-1',
    loanId: 'LN-1',
    businessDate: '2025-03-01',
    bookedOn: '2025-03-01',
    legs: [LEAD_ID, PARTNER_A, PARTNER_B].flatMap((id, i) => [leg(id, 'PRINCIPAL_RECEIVABLE', 'D', i === 0 ? 400_000n : 300_000n), leg(id, 'SETTLEMENT_CLEARING', 'C', i === 0 ? 400_000n : 300_000n, 'ESCROW')]),
  });
  book({
    entryId: 'REPAYMENT#R-1',
    eventType: 'REPAYMENT',
    eventId: 'R-1',
    loanId: 'LN-1',
    businessDate: '2025-03-03',
    bookedOn: '2025-03-03',
    legs: [
      leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'D', 33_600n, 'ESCROW'),
      leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'C', 30_000n),
      leg(LEAD_ID, 'INTEREST_INCOME', 'C', 3_600n),
      ...[PARTNER_A, PARTNER_B].flatMap((id) => [leg(id, 'SETTLEMENT_CLEARING', 'D', 25_200n, 'ESCROW'), leg(id, 'PRINCIPAL_RECEIVABLE', 'C', 22_500n), leg(id, 'INTEREST_INCOME', 'C', 2_700n)]),
    ],
  });
}

/**
 * Tuesday 2025-03-04: a repayment (each lender 100.00 principal, 10.00 interest), then the
 * guarantor's compensation: each lender's principal left (lead 3,600.00, partners 2,675.00 each)
 * and 5.00 interest. Booked after Monday's cut-off, so Monday's run leaves them to Tuesday's.
 */
function seedTuesday(): void {
  book({
    entryId: 'REPAYMENT#R-2',
    eventType: 'REPAYMENT',
    eventId: 'R-2',
    loanId: 'LN-1',
    businessDate: '2025-03-04',
    bookedOn: '2025-03-04',
    legs: [LEAD_ID, PARTNER_A, PARTNER_B].flatMap((id) => [leg(id, 'SETTLEMENT_CLEARING', 'D', 11_000n, 'ESCROW'), leg(id, 'PRINCIPAL_RECEIVABLE', 'C', 10_000n), leg(id, 'INTEREST_INCOME', 'C', 1_000n)]),
  });
  const paid: [string, bigint][] = [
    [LEAD_ID, 360_000n],
    [PARTNER_A, 267_500n],
    [PARTNER_B, 267_500n],
  ];
  book({
    entryId: 'COMPENSATION#C-1',
    eventType: 'COMPENSATION',
    eventId: 'C-1',
    loanId: 'LN-1',
    businessDate: '2025-03-04',
    bookedOn: '2025-03-04',
    legs: [
      ...paid.flatMap(([id, principal]) => [leg(id, 'SETTLEMENT_CLEARING', 'D', principal + 500n, GUARANTOR_ID), leg(id, 'PRINCIPAL_RECEIVABLE', 'C', principal), leg(id, 'INTEREST_INCOME', 'C', 500n)]),
      leg(GUARANTOR_ID, 'GUARANTEE_RECEIVABLE', 'D', 896_500n),
      ...paid.map(([id, principal]) => leg(GUARANTOR_ID, 'SETTLEMENT_CLEARING', 'C', principal + 500n, id)),
    ],
  });
}

async function settle(businessDate: string, attempt?: number) {
  const opened = await openRun(deps, { businessDate, ...(attempt === undefined ? {} : { attempt }) });
  for (const { shard } of opened.shards) await gatherShard(deps, businessDate, opened.attempt, shard);
  const instructed = await instruct(deps, businessDate, opened.attempt);
  const { files } = await writeFiles(deps, businessDate, opened.attempt);
  return closeRun(deps, businessDate, opened.attempt, { ...instructed, files });
}

beforeEach(async () => {
  stores = createInMemoryStores('2025-03-03T15:00:00.000Z'); // 23:00 in Beijing, after the 22:00 cut-off
  seed(stores, { programs: [aProgram()] });
  dir = await mkdtemp(join(tmpdir(), 'settlement-test-'));
  deps = { ...stores, files: new FolderFileStore(dir), calendar: (id) => businessCalendar(stores, id), shardCount: SHARDS };
  seedBook();
  seedTuesday();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the settlement of a business date', () => {
  it("settles Monday with the weekend's bookings, netted per lender, paid the next business day", async () => {
    const run = await settle('2025-03-03');
    expect(run).toMatchObject({ status: 'SETTLED', attempt: 1, entries: 2, instructions: 3, daysByCalendar: { CN: ['2025-03-01', '2025-03-02', '2025-03-03'] } });
    const instructions = await stores.settlements.instructions('2025-03-03');
    // Each lender funded its share of the loan and was repaid part of it the same run: it pays the difference.
    expect(instructions.map((i) => [i.instructionId, i.payer, i.payee, i.amountMinor, i.valueDate])).toEqual([
      ['SI-20250303-CONSUMER-2025-LEAD-BANK-ESCROW', LEAD_ID, 'ESCROW', 366_400n, '2025-03-04'],
      ['SI-20250303-CONSUMER-2025-PARTNER-A-ESCROW', PARTNER_A, 'ESCROW', 274_800n, '2025-03-04'],
      ['SI-20250303-CONSUMER-2025-PARTNER-B-ESCROW', PARTNER_B, 'ESCROW', 274_800n, '2025-03-04'],
    ]);
    // Signed from the payee's side: the collection account is owed the principal, less the interest it owes the partner.
    expect(instructions[1]!.componentsMinor).toEqual({ PRINCIPAL: 277_500n, INTEREST: -2_700n });
  });

  it("writes each lender's file set: the summary, the repayment detail, the control file with its totals and hashes, and the .ok marker", async () => {
    await settle('2025-03-03');
    expect(await statements(deps, PARTNER_A, '2025-03-03')).toEqual([
      '20250303.ok',
      'compensation_20250303.txt',
      'control_20250303.txt',
      'disbursement_detail_20250303.txt',
      'human/compensation_20250303.csv',
      'human/compensation_20250303.xlsx',
      'human/disbursement_detail_20250303.csv',
      'human/disbursement_detail_20250303.xlsx',
      'human/loan_master_20250303.csv',
      'human/loan_master_20250303.xlsx',
      'human/repayment_detail_20250303.csv',
      'human/repayment_detail_20250303.xlsx',
      'human/repayment_schedule_20250303.csv',
      'human/repayment_schedule_20250303.xlsx',
      'human/settlement_summary_20250303.csv',
      'human/settlement_summary_20250303.xlsx',
      'human/trial_balance_20250303.csv',
      'human/trial_balance_20250303.xlsx',
      'loan_master_20250303.txt',
      'repayment_detail_20250303.txt',
      'repayment_schedule_20250303.txt',
      'settlement_summary_20250303.txt',
      'trial_balance_20250303.txt',
    ]);
    const detail = Buffer.from(await statementFile(deps, PARTNER_A, '2025-03-03', 'repayment_detail_20250303.txt')).toString('utf8');
    expect(detail).toBe(
      'business_date|lender_id|loan_id|event_type|event_id|value_date|booked_on|currency|principal_amount|interest_amount|penalty_amount|fee_amount|suspense_amount|guarantee_amount|loss_amount|total_amount|corrects_entry\n' +
        '2025-03-03|PARTNER-A|LN-1|REPAYMENT|R-1|2025-03-03|2025-03-03|CNY|225.00|27.00|0.00|0.00|0.00|0.00|0.00|252.00|\n',
    );
    const summary = Buffer.from(await statementFile(deps, PARTNER_A, '2025-03-03', 'settlement_summary_20250303.txt')).toString('utf8');
    expect(summary.split('\n').slice(1)).toEqual([
      '2025-03-03|PARTNER-A|CONSUMER-2025|ESCROW|CNY|INTEREST|27.00|0.00|27.00|SI-20250303-CONSUMER-2025-PARTNER-A-ESCROW|2025-03-04|',
      '2025-03-03|PARTNER-A|CONSUMER-2025|ESCROW|CNY|PRINCIPAL|225.00|3000.00|-2775.00|SI-20250303-CONSUMER-2025-PARTNER-A-ESCROW|2025-03-04|',
      '',
    ]);
    const control = Buffer.from(await statementFile(deps, PARTNER_A, '2025-03-03', 'control_20250303.txt')).toString('utf8').split('\n');
    expect(control[1]).toMatch(/^2025-03-03\|PARTNER-A\|settlement_summary_20250303.txt\|2\|receivable_amount=25200;payable_amount=300000;net_amount=-274800\|[0-9a-f]{64}$/);
    expect(control[2]).toMatch(/^2025-03-03\|PARTNER-A\|repayment_detail_20250303.txt\|1\|principal_amount=22500;interest_amount=2700;penalty_amount=0;fee_amount=0;suspense_amount=0;guarantee_amount=0;loss_amount=0;total_amount=25200\|[0-9a-f]{64}$/);
  });

  it('re-runs a settled date with byte-identical files and the same instructions, paying nothing again', async () => {
    const first = await settle('2025-03-03');
    stores.clock.set('2025-03-04T03:00:00.000Z');
    await recordExecution(deps, '2025-03-03', 'SI-20250303-CONSUMER-2025-PARTNER-A-ESCROW', { bankReference: 'BANK-REF-1', executedAt: '2025-03-04T02:00:00Z' }, 'finance-client');
    const again = await settle('2025-03-03', 2);
    expect(again.attempt).toBe(2);
    expect(again.files).toEqual(first.files);
    expect((await stores.settlements.instructions('2025-03-03')).length).toBe(3);
  });

  it('refuses a date whose cut-off has not passed, a day off, and a date after an unsettled one', async () => {
    stores.clock.set('2025-03-03T13:59:00.000Z'); // 21:59 in Beijing
    await expectDomainError(openRun(deps, { businessDate: '2025-03-03' }), 'BUSINESS_DATE_OPEN');
    stores.clock.set('2025-03-10T15:00:00.000Z');
    await expectDomainError(openRun(deps, { businessDate: '2025-03-02' }), 'NOT_A_BUSINESS_DAY');
    await settle('2025-03-03');
    await expectDomainError(openRun(deps, { businessDate: '2025-03-05' }), 'PREVIOUS_DATE_NOT_SETTLED');
    expect((await openRun(deps, { businessDate: '2025-03-04' })).skipped).toBe(false);
  });

  it('refuses to settle a date in a year its calendar does not cover, naming the year and how to load it, and opens no run', async () => {
    stores.clock.set('2027-01-05T15:00:00.000Z');
    const refusal = await rejectedBy(DomainError, () => openRun(deps, { businessDate: '2027-01-05' }));
    expect(refusal.code).toBe('CALENDAR_YEAR_NOT_COVERED');
    expect(refusal.message).toContain('2027');
    expect(refusal.message).toContain('/v1/calendars/CN/years/2027');
    expect(await stores.settlements.getRun('2027-01-05')).toBeNull();
  });

  it('gives the same files and instructions when a run stopped midway is run again', async () => {
    const uninterrupted = await settle('2025-03-03');
    const files = await Promise.all(uninterrupted.files.map(async (f) => [f.name, Buffer.from(await statementFile(deps, f.lenderId, '2025-03-03', f.name)).toString('hex')]));
    // Another book, the same entries: its first run stops after half the shards and the instructions.
    stores = createInMemoryStores('2025-03-03T15:00:00.000Z');
    seed(stores, { programs: [aProgram()] });
    await rm(dir, { recursive: true, force: true });
    deps = { ...stores, files: new FolderFileStore(dir), calendar: (id) => businessCalendar(stores, id), shardCount: SHARDS };
    seedBook();
    const opened = await openRun(deps, { businessDate: '2025-03-03' });
    for (const { shard } of opened.shards.slice(0, 8)) await gatherShard(deps, '2025-03-03', opened.attempt, shard);
    await expect(instruct(deps, '2025-03-03', opened.attempt)).rejects.toThrow('every shard of the run is gathered before its instructions');
    const resumed = await settle('2025-03-03', 2);
    expect(resumed.files).toEqual(uninterrupted.files);
    expect(await Promise.all(resumed.files.map(async (f) => [f.name, Buffer.from(await statementFile(deps, f.lenderId, '2025-03-03', f.name)).toString('hex')]))).toEqual(files);
  });

  it('answers an OpenRun run again after its write (its answer lost) as the first time, and the attempt settles', async () => {
    const first = await openRun(deps, { businessDate: '2025-03-03', attempt: 1 });
    const run = await stores.settlements.getRun('2025-03-03');
    // The step is run again with the same input: the run of its attempt is kept, not replaced, and the execution goes on.
    const again = await openRun(deps, { businessDate: '2025-03-03', attempt: 1 });
    expect(again).toEqual(first);
    expect(await stores.settlements.getRun('2025-03-03')).toEqual(run);
    for (const { shard } of again.shards) await gatherShard(deps, '2025-03-03', again.attempt, shard);
    const instructed = await instruct(deps, '2025-03-03', again.attempt);
    const { files } = await writeFiles(deps, '2025-03-03', again.attempt);
    expect(await closeRun(deps, '2025-03-03', again.attempt, { ...instructed, files })).toMatchObject({ status: 'SETTLED', attempt: 1 });
    // An OpenRun of a finished attempt is still refused: the date's next run is another attempt.
    await expect(openRun(deps, { businessDate: '2025-03-03', attempt: 1 })).rejects.toMatchObject({ code: 'SETTLEMENT_RUN_CHANGED' });
  });

  it('opens an attempt once when its OpenRun is delivered twice at once: both answer it open, a start without an attempt is refused', async () => {
    const [a, b] = await Promise.all([openRun(deps, { businessDate: '2025-03-03', attempt: 1 }), openRun(deps, { businessDate: '2025-03-03', attempt: 1 })]);
    expect(a).toEqual(b);
    expect(await stores.settlements.getRun('2025-03-03')).toMatchObject({ status: 'RUNNING', attempt: 1 });
    stores = createInMemoryStores('2025-03-03T15:00:00.000Z');
    seed(stores, { programs: [aProgram()] });
    deps = { ...stores, files: new FolderFileStore(dir), calendar: (id) => businessCalendar(stores, id), shardCount: SHARDS };
    const scheduled = await Promise.allSettled([openRun(deps, { businessDate: '2025-03-03' }), openRun(deps, { businessDate: '2025-03-03' })]);
    expect(scheduled.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(scheduled.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'SETTLEMENT_RUNNING' } });
  });

  it('lets no step of a replaced attempt touch the run: a restart while the first execution still goes on', async () => {
    const first = await openRun(deps, { businessDate: '2025-03-03' });
    // The operator restarts the date while the first execution is still going (restart: true).
    const second = await openRun(deps, { businessDate: '2025-03-03', attempt: 2 });
    expect(second.attempt).toBe(2);
    await expect(gatherShard(deps, '2025-03-03', first.attempt, 0)).rejects.toMatchObject({ code: 'SETTLEMENT_RUN_CHANGED', details: { businessDate: '2025-03-03', attempt: 1, current: 2 } });
    await expect(instruct(deps, '2025-03-03', first.attempt)).rejects.toMatchObject({ code: 'SETTLEMENT_RUN_CHANGED' });
    await expect(closeRun(deps, '2025-03-03', first.attempt, { instructions: 0, entries: 0 })).rejects.toMatchObject({ code: 'SETTLEMENT_RUN_CHANGED' });
    // The first execution's FailRun, caught from those refusals, leaves the second attempt running.
    await failRun(deps, '2025-03-03', first.attempt, { code: 'SETTLEMENT_RUN_CHANGED', message: 'replaced' });
    expect(await stores.settlements.getRun('2025-03-03')).toMatchObject({ status: 'RUNNING', attempt: 2, failure: null });
    for (const { shard } of second.shards) await gatherShard(deps, '2025-03-03', second.attempt, shard);
    const instructed = await instruct(deps, '2025-03-03', second.attempt);
    const { files } = await writeFiles(deps, '2025-03-03', second.attempt);
    expect(await closeRun(deps, '2025-03-03', second.attempt, { ...instructed, files })).toMatchObject({ status: 'SETTLED', attempt: 2 });
  });

  it('settles a correction of a settled date in the run of the day it is booked, naming what it corrects', async () => {
    await settle('2025-03-03');
    // The repayment bounced: its reversal is booked on Wednesday, after Tuesday is settled.
    book({
      entryId: 'REVERSAL#V-1',
      eventType: 'REVERSAL',
      eventId: 'V-1',
      loanId: 'LN-1',
      businessDate: '2025-03-03',
      bookedOn: '2025-03-05',
      reverses: 'REPAYMENT#R-1',
      legs: [
        leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'C', 33_600n, 'ESCROW'),
        leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'D', 30_000n),
        leg(LEAD_ID, 'INTEREST_INCOME', 'D', 3_600n),
        ...[PARTNER_A, PARTNER_B].flatMap((id) => [leg(id, 'SETTLEMENT_CLEARING', 'C', 25_200n, 'ESCROW'), leg(id, 'PRINCIPAL_RECEIVABLE', 'D', 22_500n), leg(id, 'INTEREST_INCOME', 'D', 2_700n)]),
      ],
    });
    const before = (await stores.settlements.instructions('2025-03-03')).map((i) => [i.instructionId, i.amountMinor]);
    stores.clock.set('2025-03-05T15:00:00.000Z');
    await settle('2025-03-04');
    await settle('2025-03-05');
    expect((await stores.settlements.instructions('2025-03-03')).map((i) => [i.instructionId, i.amountMinor])).toEqual(before);
    expect((await stores.settlements.instructions('2025-03-05')).map((i) => [i.instructionId, i.payer, i.payee, i.amountMinor])).toEqual([
      ['SI-20250305-CONSUMER-2025-LEAD-BANK-ESCROW', LEAD_ID, 'ESCROW', 33_600n],
      ['SI-20250305-CONSUMER-2025-PARTNER-A-ESCROW', PARTNER_A, 'ESCROW', 25_200n],
      ['SI-20250305-CONSUMER-2025-PARTNER-B-ESCROW', PARTNER_B, 'ESCROW', 25_200n],
    ]);
    const detail = Buffer.from(await statementFile(deps, PARTNER_A, '2025-03-05', 'repayment_detail_20250305.txt')).toString('utf8');
    expect(detail.split('\n')[1]).toBe('2025-03-05|PARTNER-A|LN-1|REVERSAL|V-1|2025-03-03|2025-03-05|CNY|-225.00|-27.00|0.00|0.00|0.00|0.00|0.00|-252.00|REPAYMENT#R-1');
  });

  it('records a bank reference once, and refuses another for the same instruction', async () => {
    await settle('2025-03-03');
    const id = 'SI-20250303-CONSUMER-2025-LEAD-BANK-ESCROW';
    const done = await recordExecution(deps, '2025-03-03', id, { bankReference: 'R-77', executedAt: '2025-03-04T02:00:00Z' }, 'finance');
    expect(done.executed).toEqual({ bankReference: 'R-77', executedAt: '2025-03-04T02:00:00Z', recordedBy: 'finance', recordedAt: '2025-03-03T15:00:00.000Z' });
    expect(await recordExecution(deps, '2025-03-03', id, { bankReference: 'R-77', executedAt: '2025-03-04T02:00:00Z' }, 'finance')).toEqual(done);
    await expectDomainError(recordExecution(deps, '2025-03-03', id, { bankReference: 'R-78', executedAt: '2025-03-04T02:00:00Z' }, 'finance'), 'INSTRUCTION_ALREADY_EXECUTED');
  });
});

describe('settlement scenarios', () => {
  const GUARANTOR = 'GUARANTOR-1';
  let n = 0;
  /** The collection account owes the lead `amount` of interest (a repayment to the lead alone), booked on `bookedOn`. */
  const collected = (bookedOn: string, amount: bigint): void =>
    book({
      entryId: `REPAYMENT#C-${++n}`,
      eventType: 'REPAYMENT',
      eventId: `C-${n}`,
      loanId: `LN-${n}`,
      businessDate: bookedOn,
      bookedOn,
      legs: [leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'D', amount, 'ESCROW'), leg(LEAD_ID, 'INTEREST_INCOME', 'C', amount)],
    });
  const at = async (date: string) => (await stores.settlements.instructions(date)).map((i) => [i.payer, i.payee, i.amountMinor, i.valueDate]);

  it('settles around the National Day holiday and its worked weekend days (2025: 10-01..08 off, Sunday 09-28 and Saturday 10-11 worked)', async () => {
    stores.clock.set('2025-10-20T00:00:00.000Z');
    collected('2025-09-27', 100n); // a Saturday: settled on the worked Sunday
    collected('2025-09-28', 200n);
    collected('2025-09-30', 300n);
    collected('2025-10-03', 400n); // in the holiday: settled on 10-09
    collected('2025-10-09', 500n);
    collected('2025-10-11', 600n); // a worked Saturday
    expect((await settle('2025-09-28')).daysByCalendar).toEqual({ CN: ['2025-09-27', '2025-09-28'] });
    expect(await at('2025-09-28')).toEqual([['ESCROW', LEAD_ID, 300n, '2025-09-29']]);
    await settle('2025-09-29');
    expect(await at('2025-09-29')).toEqual([]);
    await settle('2025-09-30');
    // T+1 skips the holiday.
    expect(await at('2025-09-30')).toEqual([['ESCROW', LEAD_ID, 300n, '2025-10-09']]);
    await expectDomainError(openRun(deps, { businessDate: '2025-10-08' }), 'NOT_A_BUSINESS_DAY');
    expect((await settle('2025-10-09')).daysByCalendar.CN).toEqual(['2025-10-01', '2025-10-02', '2025-10-03', '2025-10-04', '2025-10-05', '2025-10-06', '2025-10-07', '2025-10-08', '2025-10-09']);
    expect(await at('2025-10-09')).toEqual([['ESCROW', LEAD_ID, 900n, '2025-10-10']]);
    await settle('2025-10-10');
    await settle('2025-10-11');
    expect(await at('2025-10-11')).toEqual([['ESCROW', LEAD_ID, 600n, '2025-10-13']]);
  });

  it('settles a payment booked after the cut-off on the next business date', async () => {
    stores.clock.set('2025-10-20T00:00:00.000Z');
    const settlement = { cutoffTime: '22:00', calendar: 'CN' };
    collected(cutoffDayAt('2025-09-30T13:59:00.000Z', settlement), 100n); // 21:59 in Beijing
    collected(cutoffDayAt('2025-09-30T14:00:00.000Z', settlement), 200n); // 22:00: the next day, a holiday
    await settle('2025-09-30');
    expect(await at('2025-09-30')).toEqual([['ESCROW', LEAD_ID, 100n, '2025-10-09']]);
    await settle('2025-10-09');
    expect(await at('2025-10-09')).toEqual([['ESCROW', LEAD_ID, 200n, '2025-10-10']]);
  });

  it("pays a guarantor's compensation from the guarantor to the lender, and a share transfer from the buyer to the seller", async () => {
    stores.clock.set('2025-04-08T15:00:00.000Z');
    // LN-G was disbursed the week before (settled then): 3,000.00 from each partner.
    book({
      entryId: 'DISBURSEMENT#LN-G',
      eventType: 'DISBURSEMENT',
      eventId: 'LN-G',
      loanId: 'LN-G',
      businessDate: '2025-04-01',
      bookedOn: '2025-04-01',
      legs: [PARTNER_A, PARTNER_B].flatMap((id) => [leg(id, 'PRINCIPAL_RECEIVABLE', 'D', 300_000n), leg(id, 'SETTLEMENT_CLEARING', 'C', 300_000n, 'ESCROW')]),
    });
    book({
      entryId: 'COMPENSATION#G-1',
      eventType: 'COMPENSATION',
      eventId: 'G-1',
      loanId: 'LN-G',
      businessDate: '2025-04-08',
      bookedOn: '2025-04-08',
      legs: [
        leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 202_500n, GUARANTOR),
        leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'C', 200_000n),
        leg(PARTNER_A, 'INTEREST_INCOME', 'C', 2_500n),
        leg(GUARANTOR, 'GUARANTEE_RECEIVABLE', 'D', 202_500n),
        leg(GUARANTOR, 'SETTLEMENT_CLEARING', 'C', 202_500n, PARTNER_A),
      ],
    });
    book({
      entryId: 'TRANSFER#T-1',
      eventType: 'TRANSFER',
      eventId: 'T-1',
      loanId: 'LN-G',
      businessDate: '2025-04-08',
      bookedOn: '2025-04-08',
      legs: [
        leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 50_000n, PARTNER_B),
        leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'C', 50_000n),
        leg(PARTNER_B, 'PRINCIPAL_RECEIVABLE', 'D', 50_000n),
        leg(PARTNER_B, 'SETTLEMENT_CLEARING', 'C', 50_000n, PARTNER_A),
      ],
    });
    await settle('2025-04-08');
    expect(await at('2025-04-08')).toEqual([
      [GUARANTOR, PARTNER_A, 202_500n, '2025-04-09'],
      [PARTNER_B, PARTNER_A, 50_000n, '2025-04-09'],
    ]);
    const summary = Buffer.from(await statementFile(deps, GUARANTOR, '2025-04-08', 'settlement_summary_20250408.txt')).toString('utf8');
    expect(summary.split('\n')[1]).toBe('2025-04-08|GUARANTOR-1|CONSUMER-2025|PARTNER-A|CNY|GUARANTEE|0.00|2025.00|-2025.00|SI-20250408-CONSUMER-2025-GUARANTOR-1-PARTNER-A|2025-04-09|');
  });

  it("pays a fee taken from a partner's interest from the partner to the lead, beside the interest the collection account owes it", async () => {
    stores.clock.set('2025-04-08T15:00:00.000Z');
    // P-A's interest is 100.00, of which 20% is the lead's fee.
    book({
      entryId: 'REPAYMENT#F-1',
      eventType: 'REPAYMENT',
      eventId: 'F-1',
      loanId: 'LN-F',
      businessDate: '2025-04-08',
      bookedOn: '2025-04-08',
      legs: [
        leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 10_000n, 'ESCROW', 'INTEREST'),
        leg(PARTNER_A, 'INTEREST_INCOME', 'C', 10_000n),
        leg(PARTNER_A, 'FEE_EXPENSE', 'D', 2_000n),
        leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'C', 2_000n, LEAD_ID, 'FEE'),
        leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'D', 2_000n, PARTNER_A, 'FEE'),
        leg(LEAD_ID, 'FEE_INCOME', 'C', 2_000n),
      ],
    });
    await settle('2025-04-08');
    expect(await at('2025-04-08')).toEqual([
      ['ESCROW', PARTNER_A, 10_000n, '2025-04-09'],
      [PARTNER_A, LEAD_ID, 2_000n, '2025-04-09'],
    ]);
  });

  it('pays each direction of a pair on its own when the program does not net', async () => {
    seed(stores, { programs: [aProgram({ settlement: { cutoffTime: '22:00', settlementLagDays: 2, netting: false, calendar: 'CN' } })] });
    stores.clock.set('2025-04-08T15:00:00.000Z');
    collected('2025-04-08', 700n);
    // The same day an earlier payment of 50.00 of interest to the lead bounced: the lead owes it back.
    book({
      entryId: 'REVERSAL#V-D',
      eventType: 'REVERSAL',
      eventId: 'V-D',
      loanId: 'LN-D',
      businessDate: '2025-04-08',
      bookedOn: '2025-04-08',
      legs: [leg(LEAD_ID, 'INTEREST_INCOME', 'D', 5_000n), leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'C', 5_000n, 'ESCROW')],
    });
    await settle('2025-04-08');
    expect((await stores.settlements.instructions('2025-04-08')).map((i) => [i.instructionId, i.amountMinor, i.valueDate, i.netted])).toEqual([
      ['SI-20250408-CONSUMER-2025-ESCROW-LEAD-BANK', 700n, '2025-04-10', false],
      ['SI-20250408-CONSUMER-2025-LEAD-BANK-ESCROW', 5_000n, '2025-04-10', false],
    ]);
  });
});

const text = async (lenderId: string, date: string, name: string): Promise<string> => Buffer.from(await statementFile(deps, lenderId, date, name)).toString('utf8');
const rowsOf = async (lenderId: string, date: string, name: string): Promise<string[]> => (await text(lenderId, date, name)).split('\n').slice(1, -1);

describe("a lender's whole file set", () => {
  it('keeps a trial balance per lender: the opening is the previous date closing, and debits equal credits', async () => {
    await settle('2025-03-03');
    // Monday (first run, opening zero): the disbursement Dr principal 3,000.00 / Cr clearing 3,000.00;
    // R-1 Dr clearing 252.00 / Cr principal 225.00, Cr interest 27.00. Debits 3,252.00 = credits 3,252.00;
    // closing Dr principal 2,775.00 = Cr interest 27.00 + Cr clearing 2,748.00.
    expect(await text(PARTNER_A, '2025-03-03', 'trial_balance_20250303.txt')).toBe(
      [
        'business_date|lender_id|currency|account|opening_debit|opening_credit|debit_amount|credit_amount|closing_debit|closing_credit',
        '2025-03-03|PARTNER-A|CNY|PRINCIPAL_RECEIVABLE|0.00|0.00|3000.00|225.00|2775.00|0.00',
        '2025-03-03|PARTNER-A|CNY|INTEREST_RECEIVABLE|0.00|0.00|0.00|0.00|0.00|0.00',
        '2025-03-03|PARTNER-A|CNY|INTEREST_INCOME|0.00|0.00|0.00|27.00|0.00|27.00',
        '2025-03-03|PARTNER-A|CNY|FEE_INCOME|0.00|0.00|0.00|0.00|0.00|0.00',
        '2025-03-03|PARTNER-A|CNY|FEE_EXPENSE|0.00|0.00|0.00|0.00|0.00|0.00',
        '2025-03-03|PARTNER-A|CNY|PENALTY_INCOME|0.00|0.00|0.00|0.00|0.00|0.00',
        '2025-03-03|PARTNER-A|CNY|SETTLEMENT_CLEARING|0.00|0.00|252.00|3000.00|0.00|2748.00',
        '2025-03-03|PARTNER-A|CNY|GUARANTEE_RECEIVABLE|0.00|0.00|0.00|0.00|0.00|0.00',
        '2025-03-03|PARTNER-A|CNY|SUSPENSE|0.00|0.00|0.00|0.00|0.00|0.00',
        '2025-03-03|PARTNER-A|CNY|LOSSES|0.00|0.00|0.00|0.00|0.00|0.00',
        '',
      ].join('\n'),
    );
    stores.clock.set('2025-03-04T15:00:00.000Z');
    await settle('2025-03-04');
    // Tuesday opens at Monday's closing. R-2: Dr clearing 110.00 / Cr principal 100.00, Cr interest 10.00;
    // C-1: Dr clearing 2,680.00 (the guarantor) / Cr principal 2,675.00, Cr interest 5.00.
    // Debits 110.00 + 2,680.00 = 2,790.00 = credits 100.00 + 2,675.00 + 10.00 + 5.00.
    // Principal 2,775.00 - 2,775.00 = 0; interest Cr 27.00 + 15.00 = 42.00; clearing Cr 2,748.00 - 2,790.00 = Dr 42.00.
    const tuesday = await rowsOf(PARTNER_A, '2025-03-04', 'trial_balance_20250304.txt');
    expect(tuesday.filter((r) => !r.endsWith('|0.00|0.00|0.00|0.00|0.00|0.00'))).toEqual([
      '2025-03-04|PARTNER-A|CNY|PRINCIPAL_RECEIVABLE|2775.00|0.00|0.00|2775.00|0.00|0.00',
      '2025-03-04|PARTNER-A|CNY|INTEREST_INCOME|0.00|27.00|0.00|15.00|0.00|42.00',
      '2025-03-04|PARTNER-A|CNY|SETTLEMENT_CLEARING|0.00|2748.00|2790.00|0.00|42.00|0.00',
    ]);
    expect(tuesday).toHaveLength(10);
    // The guarantor's book opens on Tuesday: Dr guarantee receivable 8,965.00 (3,605.00 + 2,680.00 + 2,680.00) / Cr clearing.
    expect((await rowsOf(GUARANTOR_ID, '2025-03-04', 'trial_balance_20250304.txt')).filter((r) => !r.endsWith('|0.00|0.00|0.00|0.00|0.00|0.00'))).toEqual([
      '2025-03-04|GUARANTOR-1|CNY|SETTLEMENT_CLEARING|0.00|0.00|0.00|8965.00|0.00|8965.00',
      '2025-03-04|GUARANTOR-1|CNY|GUARANTEE_RECEIVABLE|0.00|0.00|8965.00|0.00|8965.00|0.00',
    ]);
    expect((await stores.settlements.lenderBalances('2025-03-04')).find((b) => b.lenderId === PARTNER_A)?.balances).toEqual([
      { currency: 'CNY', account: 'INTEREST_INCOME', balanceMinor: -4_200n },
      { currency: 'CNY', account: 'SETTLEMENT_CLEARING', balanceMinor: 4_200n },
    ]);
  });

  it('stops before writing when a trial balance does not balance', () => {
    expect(() => trialBalance(PARTNER_A, ['CNY'], [], [{ currency: 'CNY', account: 'PRINCIPAL_RECEIVABLE', debitMinor: 100n, creditMinor: 0n }])).toThrow("a lender's trial balance: the date's debits equal its credits");
    expect(() => trialBalance(PARTNER_A, ['CNY'], [{ currency: 'CNY', account: 'SUSPENSE', balanceMinor: 5n }], [])).toThrow("a lender's trial balance: its opening and closing balances balance");
  });

  it("writes the loan master row of each lender's part at the end of the date, not with what was booked after it", async () => {
    await settle('2025-03-03');
    // The head holds Tuesday's R-2 and C-1 already (booked after Monday's cut-off); Monday's row is
    // before them: principal 3,000.00 - 225.00 = 2,775.00, interest income 27.00; 30% of 10,000.00.
    expect(await rowsOf(PARTNER_A, '2025-03-03', 'loan_master_20250303.txt')).toEqual([
      '2025-03-03|PARTNER-A|LN-1|CONSUMER-2025|CNY|2025-03-01|10000.00|3000.00|0.300000|2775.00|0.00|0.00|0.00|27.00|0.00|0.00|0.00|0.00|0|NORMAL|2025-03-02',
    ]);
    // The guarantor has no book before Tuesday, nor a program it takes part in: no files on Monday.
    expect(await statements(deps, GUARANTOR_ID, '2025-03-03')).toEqual([]);
    stores.clock.set('2025-03-04T15:00:00.000Z');
    await settle('2025-03-04');
    // Compensated on Tuesday: nothing left to the partner, still listed (it had entries settled);
    // the guarantor holds the claim, 8,965.00, having funded nothing.
    expect(await rowsOf(PARTNER_A, '2025-03-04', 'loan_master_20250304.txt')).toEqual([
      '2025-03-04|PARTNER-A|LN-1|CONSUMER-2025|CNY|2025-03-01|10000.00|3000.00|0.300000|0.00|0.00|0.00|0.00|42.00|0.00|0.00|0.00|0.00|0|NORMAL|2025-03-02',
    ]);
    expect(await rowsOf(GUARANTOR_ID, '2025-03-04', 'loan_master_20250304.txt')).toEqual([
      '2025-03-04|GUARANTOR-1|LN-1|CONSUMER-2025|CNY|2025-03-01|10000.00|0.00|0.000000|0.00|0.00|8965.00|0.00|0.00|0.00|0.00|0.00|0.00|0|NORMAL|2025-03-02',
    ]);
  });

  it('writes the disbursement row and the sub-schedule of a loan disbursed in the run', async () => {
    await settle('2025-03-03');
    expect(await rowsOf(PARTNER_A, '2025-03-03', 'disbursement_detail_20250303.txt')).toEqual(['2025-03-03|PARTNER-A|LN-1|CONSUMER-2025|CNY|2025-03-01|2025-03-01|10000.00|3000.00|0.300000|DISB-1']);
    // Borrower: principal 3,333.33 / 3,333.33 / 3,333.34, interest 1% a month of what is left: 100.00, 66.67, 33.33.
    // The partner's 30%, half up: principal 1,000.00 each (the last what is left of its 3,000.00),
    // interest 30.00, 20.00 (20.001), 10.00 (9.999).
    expect(await rowsOf(PARTNER_A, '2025-03-03', 'repayment_schedule_20250303.txt')).toEqual([
      '2025-03-03|PARTNER-A|LN-1|CONSUMER-2025|CNY|1|2025-04-01|1000.00|30.00|0.00|1030.00|2000.00',
      '2025-03-03|PARTNER-A|LN-1|CONSUMER-2025|CNY|2|2025-05-01|1000.00|20.00|0.00|1020.00|1000.00',
      '2025-03-03|PARTNER-A|LN-1|CONSUMER-2025|CNY|3|2025-06-01|1000.00|10.00|0.00|1010.00|0.00',
    ]);
    stores.clock.set('2025-03-04T15:00:00.000Z');
    await settle('2025-03-04');
    expect(await rowsOf(PARTNER_A, '2025-03-04', 'disbursement_detail_20250304.txt')).toEqual([]);
    expect(await rowsOf(PARTNER_A, '2025-03-04', 'repayment_schedule_20250304.txt')).toEqual([]);
  });

  it("writes a compensation row in the lender's file and the guarantor's", async () => {
    await settle('2025-03-03');
    stores.clock.set('2025-03-04T15:00:00.000Z');
    await settle('2025-03-04');
    expect(await rowsOf(PARTNER_A, '2025-03-04', 'compensation_20250304.txt')).toEqual(['2025-03-04|PARTNER-A|LN-1|COMPENSATION|C-1|2025-03-04|2025-03-04|CNY|GUARANTOR-1|PARTNER-A|2675.00|5.00|0.00|2680.00']);
    expect(await rowsOf(GUARANTOR_ID, '2025-03-04', 'compensation_20250304.txt')).toEqual([
      '2025-03-04|GUARANTOR-1|LN-1|COMPENSATION|C-1|2025-03-04|2025-03-04|CNY|GUARANTOR-1|LEAD-BANK|3600.00|5.00|0.00|3605.00',
      '2025-03-04|GUARANTOR-1|LN-1|COMPENSATION|C-1|2025-03-04|2025-03-04|CNY|GUARANTOR-1|PARTNER-A|2675.00|5.00|0.00|2680.00',
      '2025-03-04|GUARANTOR-1|LN-1|COMPENSATION|C-1|2025-03-04|2025-03-04|CNY|GUARANTOR-1|PARTNER-B|2675.00|5.00|0.00|2680.00',
    ]);
  });

  it("lists every data file in the control file, with totals that are the sums of its rows' amounts", async () => {
    await settle('2025-03-03');
    stores.clock.set('2025-03-04T15:00:00.000Z');
    await settle('2025-03-04');
    for (const lenderId of [LEAD_ID, PARTNER_A, PARTNER_B, GUARANTOR_ID]) {
      const control = await rowsOf(lenderId, '2025-03-04', 'control_20250304.txt');
      expect(control.map((r) => r.split('|')[2])).toEqual([
        'settlement_summary_20250304.txt',
        'repayment_detail_20250304.txt',
        'loan_master_20250304.txt',
        'disbursement_detail_20250304.txt',
        'repayment_schedule_20250304.txt',
        'compensation_20250304.txt',
        'trial_balance_20250304.txt',
      ]);
      for (const line of control) {
        const [, , name, records, totals, hash] = line.split('|') as [string, string, string, string, string, string];
        const body = await statementFile(deps, lenderId, '2025-03-04', name);
        expect(hash).toBe(createHash('sha256').update(body).digest('hex'));
        const [header, ...rows] = Buffer.from(body).toString('utf8').split('\n').slice(0, -1).map((r) => r.split('|'));
        expect(rows.length).toBe(Number(records));
        for (const total of totals === '' ? [] : totals.split(';')) {
          const [column, minor] = total.split('=') as [string, string];
          const at = header!.indexOf(column);
          const sum = rows.reduce((s, r) => s + BigInt(r[at]!.replace('.', '')), 0n);
          expect(`${column}=${sum}`).toBe(`${column}=${minor}`);
        }
      }
    }
    // The trial balance's totals say it balances: debits = credits, opening and closing debit = credit.
    const partner = (await rowsOf(PARTNER_A, '2025-03-04', 'control_20250304.txt')).find((r) => r.includes('trial_balance'))!;
    expect(partner.split('|')[4]).toBe('opening_debit=277500;opening_credit=277500;debit_amount=279000;credit_amount=279000;closing_debit=4200;closing_credit=4200');
  });

  it('re-runs a date with byte-identical pipe-delimited files, whatever was booked since', async () => {
    await settle('2025-03-03');
    const names = (await statements(deps, PARTNER_A, '2025-03-03')).filter((n) => !n.startsWith('human/'));
    const before = await Promise.all(names.map((n) => statementFile(deps, PARTNER_A, '2025-03-03', n)));
    const csvNames = (await statements(deps, PARTNER_A, '2025-03-03')).filter((n) => n.startsWith('human/') && n.endsWith('.csv'));
    expect(csvNames).toHaveLength(7);
    const csvBefore = await Promise.all(csvNames.map((n) => text(PARTNER_A, '2025-03-03', n)));
    stores.clock.set('2025-03-05T15:00:00.000Z');
    book({
      entryId: 'REPAYMENT#R-3',
      eventType: 'REPAYMENT',
      eventId: 'R-3',
      loanId: 'LN-1',
      businessDate: '2025-03-05',
      bookedOn: '2025-03-05',
      legs: [leg(GUARANTOR_ID, 'SETTLEMENT_CLEARING', 'D', 1_000n, 'ESCROW'), leg(GUARANTOR_ID, 'GUARANTEE_RECEIVABLE', 'C', 1_000n)],
    });
    await settle('2025-03-03', 2);
    const after = await Promise.all(names.map((n) => statementFile(deps, PARTNER_A, '2025-03-03', n)));
    expect(after.map((b) => Buffer.from(b).toString('hex'))).toEqual(before.map((b) => Buffer.from(b).toString('hex')));
    // The CSV copies are the same too; the XLSX copies are not promised (their zip entries carry the time written).
    expect(await Promise.all(csvNames.map((n) => text(PARTNER_A, '2025-03-03', n)))).toEqual(csvBefore);
  });

  it('writes CSV and XLSX copies with a Chinese and English header and the same rows', async () => {
    await settle('2025-03-03');
    const rows = (await rowsOf(PARTNER_A, '2025-03-03', 'trial_balance_20250303.txt')).map((r) => r.split('|'));
    const header = ['业务日期 business_date', '资金方编号 lender_id', '币种 currency', '科目 account', '期初借方余额 opening_debit', '期初贷方余额 opening_credit', '本期借方发生额 debit_amount', '本期贷方发生额 credit_amount', '期末借方余额 closing_debit', '期末贷方余额 closing_credit'];
    const csv = await statementFile(deps, PARTNER_A, '2025-03-03', 'human/trial_balance_20250303.csv');
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(Buffer.from(csv.subarray(3)).toString('utf8')).toBe([header, ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Uint8Array.from(await statementFile(deps, PARTNER_A, '2025-03-03', 'human/trial_balance_20250303.xlsx')).buffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe('试算平衡表 trial balance');
    const cells: string[][] = [];
    sheet.eachRow((row) => cells.push((row.values as unknown[]).slice(1).map(String)));
    expect(cells).toEqual([header, ...rows]);
    expect(workbook.created.toISOString()).toBe('2025-03-03T00:00:00.000Z');
    const summary = new ExcelJS.Workbook();
    await summary.xlsx.load(Uint8Array.from(await statementFile(deps, PARTNER_A, '2025-03-03', 'human/settlement_summary_20250303.xlsx')).buffer);
    expect(summary.worksheets[0]!.rowCount).toBe(1 + (await rowsOf(PARTNER_A, '2025-03-03', 'settlement_summary_20250303.txt')).length);
  });

  it('copies every data file with rows per loan for people too: the repayment and disbursement details, the schedule and the compensation file', async () => {
    await settle('2025-03-03');
    const copied = [
      { file: 'repayment_detail_20250303', sheet: '还款明细 repayment detail', first: '业务日期 business_date', last: '冲正原分录 corrects_entry' },
      { file: 'disbursement_detail_20250303', sheet: '放款明细 disbursement detail', first: '业务日期 business_date', last: '放款流水号 disbursement_reference' },
      { file: 'repayment_schedule_20250303', sheet: '还款计划 repayment schedule', first: '业务日期 business_date', last: '期末本金余额 closing_principal' },
      { file: 'compensation_20250303', sheet: '代偿 compensation', first: '业务日期 business_date', last: '合计 total_amount' },
    ];
    for (const { file, sheet, first, last } of copied) {
      const [headerLine, ...lines] = Buffer.from(await statementFile(deps, PARTNER_A, '2025-03-03', `${file}.txt`)).toString('utf8').trimEnd().split('\n');
      const columns = headerLine!.split('|');
      const header = columns.map((column) => `${COLUMN_NAMES_ZH[column]} ${column}`);
      expect([header[0], header.at(-1)], file).toEqual([first, last]);
      const rows = lines.map((line) => line.split('|'));
      const csv = await statementFile(deps, PARTNER_A, '2025-03-03', `human/${file}.csv`);
      expect([...csv.subarray(0, 3)], file).toEqual([0xef, 0xbb, 0xbf]);
      expect(Buffer.from(csv.subarray(3)).toString('utf8'), file).toBe([header, ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(Uint8Array.from(await statementFile(deps, PARTNER_A, '2025-03-03', `human/${file}.xlsx`)).buffer);
      const copy = workbook.worksheets[0]!;
      expect(copy.name).toBe(sheet);
      const cells: string[][] = [];
      copy.eachRow((row) => cells.push((row.values as unknown[]).slice(1).map((v) => (v === undefined || v === null ? '' : String(v)))));
      expect(cells.map((r) => r.concat(Array<string>(header.length - r.length).fill(''))), file).toEqual([header, ...rows]);
      expect(copy.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    }
    // The day's repayment and disbursement are in them: the copies are not empty shells.
    expect((await rowsOf(PARTNER_A, '2025-03-03', 'repayment_detail_20250303.txt')).length).toBeGreaterThan(0);
  });
});

describe("the profit lines a run keeps of each closed day, and a month's profit read from them", () => {
  beforeEach(() => seed(stores, { lenders: [...defaultLenders(), aLender({ lenderId: GUARANTOR_ID, roles: ['GUARANTOR'] })] }));

  /** Every page of a lender's profit of a month, added up; the month's entries read whole give the reference. */
  async function monthProfit(lenderId: string, month: string) {
    const profitDeps = { ...stores, clock: stores.clock };
    const first = await getLenderProfit(profitDeps, null, lenderId, month);
    let byCurrency = first.byCurrency;
    for (let cursor = first.cursor; cursor !== null; ) {
      const page = await getLenderProfit(profitDeps, null, lenderId, month, cursor);
      byCurrency = addMonthProfit(byCurrency, page.byCurrency);
      cursor = page.cursor;
    }
    const { days } = monthRange(month);
    const entries = (await Promise.all(days.map((day) => stores.ledger.entriesOfDate(day)))).flat();
    const lender = (await stores.lenders.get(lenderId))!;
    const guarantorOnly = lender.roles.includes('GUARANTOR') && !lender.roles.includes('LEAD') && !lender.roles.includes('PARTNER');
    const reference = lenderProfit(lenderId, month, entries, () => (guarantorOnly ? lenderId : null), { guarantors: new Set([GUARANTOR_ID]) });
    return { keptThrough: first.keptThrough, byCurrency, reference: reference.byCurrency.map(({ loans: _loans, ...line }) => line) };
  }

  it("keeps every lender's line of Saturday to Monday once Monday is settled, and reads Tuesday's entries live", async () => {
    await settle('2025-03-03');
    expect(await stores.settlements.profitDaysKept('2025-03')).toEqual(['2025-03-01', '2025-03-02', '2025-03-03']);
    const monday = await stores.settlements.lenderProfitDays(PARTNER_A, '2025-03-03', '2025-03-03');
    expect(monday).toEqual([
      { day: '2025-03-03', lenderId: PARTNER_A, lines: [{ currency: 'CNY', interestIncomeMinor: 2_700n, penaltyIncomeMinor: 0n, feeIncomeMinor: 0n, feesPaidMinor: 0n, lossesMinor: 0n, feeClearingMinor: {}, entries: 1 }] },
    ]);
    expect((await stores.settlements.lenderProfitDays(PARTNER_A, '2025-03-01', '2025-03-02')).map((d) => [d.day, d.lines[0]?.entries, d.lines[0]?.interestIncomeMinor])).toEqual([['2025-03-01', 1, 0n]]);
    // Kept Saturday to Monday (the disbursement and 27.00 of interest), Tuesday read live (10.00 and 5.00 of interest): 42.00 in four entries.
    const a = await monthProfit(PARTNER_A, '2025-03');
    expect(a.keptThrough).toBe('2025-03-03');
    expect(a.byCurrency).toEqual([
      { currency: 'CNY', interestIncomeMinor: 4_200n, penaltyIncomeMinor: 0n, feeIncomeMinor: 0n, guaranteeFeesMinor: 0n, servicePartnerShareMinor: 0n, feesPaidMinor: 0n, guaranteeCostMinor: 0n, lossesMinor: 0n, netMinor: 4_200n, entries: 4 },
    ]);
    expect(a.byCurrency).toEqual(a.reference);
    for (const lenderId of [LEAD_ID, PARTNER_B, GUARANTOR_ID]) {
      const found = await monthProfit(lenderId, '2025-03');
      expect(found.byCurrency).toEqual(found.reference);
    }
    expect((await monthProfit(LEAD_ID, '2025-03')).byCurrency[0]?.interestIncomeMinor).toBe(5_100n);
  });

  it('re-runs a date with the same lines kept', async () => {
    await settle('2025-03-03');
    const before = await stores.settlements.lenderProfitDays(LEAD_ID, '2025-03-01', '2025-03-31');
    await settle('2025-03-03', 2);
    expect(await stores.settlements.lenderProfitDays(LEAD_ID, '2025-03-01', '2025-03-31')).toEqual(before);
  });

  it('keeps no line of a day a shard read before it closed: that day is read live, to the same figures', async () => {
    const { attempt } = await openRun(deps, { businessDate: '2025-03-03' });
    // Shard 0 is gathered at 21:00 in Beijing, before Monday's cut-off; the others after it.
    stores.clock.set('2025-03-03T13:00:00.000Z');
    await gatherShard(deps, '2025-03-03', attempt, 0);
    stores.clock.set('2025-03-03T15:00:00.000Z');
    for (let shard = 1; shard < SHARDS; shard++) await gatherShard(deps, '2025-03-03', attempt, shard);
    const instructed = await instruct(deps, '2025-03-03', attempt);
    const { files } = await writeFiles(deps, '2025-03-03', attempt);
    await closeRun(deps, '2025-03-03', attempt, { ...instructed, files });
    expect(await stores.settlements.profitDaysKept('2025-03')).toEqual(['2025-03-01', '2025-03-02']);
    const a = await monthProfit(PARTNER_A, '2025-03');
    expect([a.keptThrough, a.byCurrency[0]?.interestIncomeMinor, a.byCurrency[0]?.entries]).toEqual(['2025-03-02', 4_200n, 4]);
    expect(a.byCurrency).toEqual(a.reference);
  });

  it('reads a month with nothing settled whole from the date index, to the same figures', async () => {
    const a = await monthProfit(PARTNER_B, '2025-03');
    expect([a.keptThrough, a.byCurrency[0]?.interestIncomeMinor]).toEqual([null, 4_200n]);
    expect(a.byCurrency).toEqual(a.reference);
  });
});
