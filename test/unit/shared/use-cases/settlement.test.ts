import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cutoffDayAt } from '../../../../shared/domain/business-date.ts';
import { FolderFileStore } from '../../../../shared/adapters/files/file-store.ts';
import type { JournalEntry, Leg } from '../../../../shared/domain/ledger.ts';
import { businessCalendar } from '../../../../shared/use-cases/calendars.ts';
import { closeRun, gatherShard, instruct, openRun, recordExecution, statementFile, statements, writeFiles, type SettlementDeps } from '../../../../shared/use-cases/settlement.ts';
import { aProgram, LEAD_ID, PARTNER_A, PARTNER_B, PROGRAM_ID } from '../../../support/builders.ts';
import { createInMemoryStores, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { DomainError } from '../../../../shared/domain/errors.ts';

async function expectDomainError(action: Promise<unknown>, code: string): Promise<void> {
  expect((await rejectedBy(DomainError, () => action)).code).toBe(code);
}

const SHARDS = 16;
let stores: InMemoryStores;
let deps: SettlementDeps;
let dir: string;

const leg = (lenderId: string, account: Leg['account'], side: 'D' | 'C', amount: bigint, counterparty: string | null = null, component?: Leg['component']): Leg => ({
  lenderId,
  account,
  side: side === 'D' ? 'DEBIT' : 'CREDIT',
  amountMinor: amount,
  counterparty,
  ...(component === undefined ? {} : { component }),
});

function book(entry: Omit<JournalEntry, 'currency' | 'createdAt' | 'programId' | 'programVersion'>): void {
  const full: JournalEntry = { ...entry, currency: 'CNY', createdAt: '2025-03-01T02:00:00.000Z', programId: PROGRAM_ID, programVersion: 1 };
  stores.db.entries.set(`${full.loanId}#${full.entryId}`, full);
}

/** Disbursed Saturday 2025-03-01 (10,000.00: 4,000 / 3,000 / 3,000); repaid Monday 2025-03-03 (336.00 / 252.00 / 252.00). */
function seedBook(): void {
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

async function settle(businessDate: string, attempt?: number) {
  const opened = await openRun(deps, { businessDate, ...(attempt === undefined ? {} : { attempt }) });
  for (const { shard } of opened.shards) await gatherShard(deps, businessDate, shard);
  const instructed = await instruct(deps, businessDate);
  const { files } = await writeFiles(deps, businessDate);
  return closeRun(deps, businessDate, { ...instructed, files });
}

beforeEach(async () => {
  stores = createInMemoryStores('2025-03-03T15:00:00.000Z'); // 23:00 in Beijing, after the 22:00 cut-off
  seed(stores, { programs: [aProgram()] });
  dir = await mkdtemp(join(tmpdir(), 'settlement-test-'));
  deps = { ...stores, files: new FolderFileStore(dir), calendar: (id) => businessCalendar(stores, id), shardCount: SHARDS };
  seedBook();
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
    expect(await statements(deps, PARTNER_A, '2025-03-03')).toEqual(['20250303.ok', 'control_20250303.txt', 'repayment_detail_20250303.txt', 'settlement_summary_20250303.txt']);
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
    for (const { shard } of opened.shards.slice(0, 8)) await gatherShard(deps, '2025-03-03', shard);
    await expect(instruct(deps, '2025-03-03')).rejects.toThrow('every shard of the run is gathered before its instructions');
    const resumed = await settle('2025-03-03', 2);
    expect(resumed.files).toEqual(uninterrupted.files);
    expect(await Promise.all(resumed.files.map(async (f) => [f.name, Buffer.from(await statementFile(deps, f.lenderId, '2025-03-03', f.name)).toString('hex')]))).toEqual(files);
  });

  it('settles a correction of a settled date in the run of the day it is booked, naming what it corrects', async () => {
    await settle('2025-03-03');
    // The repayment bounced: its reversal is booked on Tuesday.
    book({
      entryId: 'REVERSAL#V-1',
      eventType: 'REVERSAL',
      eventId: 'V-1',
      loanId: 'LN-1',
      businessDate: '2025-03-03',
      bookedOn: '2025-03-04',
      reverses: 'REPAYMENT#R-1',
      legs: [
        leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'C', 33_600n, 'ESCROW'),
        leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'D', 30_000n),
        leg(LEAD_ID, 'INTEREST_INCOME', 'D', 3_600n),
        ...[PARTNER_A, PARTNER_B].flatMap((id) => [leg(id, 'SETTLEMENT_CLEARING', 'C', 25_200n, 'ESCROW'), leg(id, 'PRINCIPAL_RECEIVABLE', 'D', 22_500n), leg(id, 'INTEREST_INCOME', 'D', 2_700n)]),
      ],
    });
    const before = (await stores.settlements.instructions('2025-03-03')).map((i) => [i.instructionId, i.amountMinor]);
    stores.clock.set('2025-03-04T15:00:00.000Z');
    await settle('2025-03-04');
    expect((await stores.settlements.instructions('2025-03-03')).map((i) => [i.instructionId, i.amountMinor])).toEqual(before);
    expect((await stores.settlements.instructions('2025-03-04')).map((i) => [i.instructionId, i.payer, i.payee, i.amountMinor])).toEqual([
      ['SI-20250304-CONSUMER-2025-LEAD-BANK-ESCROW', LEAD_ID, 'ESCROW', 33_600n],
      ['SI-20250304-CONSUMER-2025-PARTNER-A-ESCROW', PARTNER_A, 'ESCROW', 25_200n],
      ['SI-20250304-CONSUMER-2025-PARTNER-B-ESCROW', PARTNER_B, 'ESCROW', 25_200n],
    ]);
    const detail = Buffer.from(await statementFile(deps, PARTNER_A, '2025-03-04', 'repayment_detail_20250304.txt')).toString('utf8');
    expect(detail.split('\n')[1]).toBe('2025-03-04|PARTNER-A|LN-1|REVERSAL|V-1|2025-03-03|2025-03-04|CNY|-225.00|-27.00|0.00|0.00|0.00|0.00|0.00|-252.00|REPAYMENT#R-1');
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
  /** The collection account owes the lead `amount` of principal (a repayment to the lead alone), booked on `bookedOn`. */
  const collected = (bookedOn: string, amount: bigint): void =>
    book({
      entryId: `REPAYMENT#C-${++n}`,
      eventType: 'REPAYMENT',
      eventId: `C-${n}`,
      loanId: `LN-${n}`,
      businessDate: bookedOn,
      bookedOn,
      legs: [leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'D', amount, 'ESCROW'), leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'C', amount)],
    });
  const at = async (date: string) => (await stores.settlements.instructions(date)).map((i) => [i.payer, i.payee, i.amountMinor, i.valueDate]);

  beforeEach(() => {
    stores.db.entries.clear();
  });

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
    stores.clock.set('2025-03-04T15:00:00.000Z');
    book({
      entryId: 'COMPENSATION#G-1',
      eventType: 'COMPENSATION',
      eventId: 'G-1',
      loanId: 'LN-G',
      businessDate: '2025-03-04',
      bookedOn: '2025-03-04',
      legs: [
        leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 302_500n, GUARANTOR),
        leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'C', 300_000n),
        leg(PARTNER_A, 'INTEREST_INCOME', 'C', 2_500n),
        leg(GUARANTOR, 'GUARANTEE_RECEIVABLE', 'D', 302_500n),
        leg(GUARANTOR, 'SETTLEMENT_CLEARING', 'C', 302_500n, PARTNER_A),
      ],
    });
    book({
      entryId: 'TRANSFER#T-1',
      eventType: 'TRANSFER',
      eventId: 'T-1',
      loanId: 'LN-T',
      businessDate: '2025-03-04',
      bookedOn: '2025-03-04',
      legs: [
        leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 100_000n, PARTNER_B),
        leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'C', 100_000n),
        leg(PARTNER_B, 'PRINCIPAL_RECEIVABLE', 'D', 100_000n),
        leg(PARTNER_B, 'SETTLEMENT_CLEARING', 'C', 100_000n, PARTNER_A),
      ],
    });
    await settle('2025-03-04');
    expect(await at('2025-03-04')).toEqual([
      [GUARANTOR, PARTNER_A, 302_500n, '2025-03-05'],
      [PARTNER_B, PARTNER_A, 100_000n, '2025-03-05'],
    ]);
    const summary = Buffer.from(await statementFile(deps, GUARANTOR, '2025-03-04', 'settlement_summary_20250304.txt')).toString('utf8');
    expect(summary.split('\n')[1]).toBe('2025-03-04|GUARANTOR-1|CONSUMER-2025|PARTNER-A|CNY|GUARANTEE|0.00|3025.00|-3025.00|SI-20250304-CONSUMER-2025-GUARANTOR-1-PARTNER-A|2025-03-05|');
  });

  it("pays a fee taken from a partner's interest from the partner to the lead, beside the interest the collection account owes it", async () => {
    stores.clock.set('2025-03-04T15:00:00.000Z');
    // P-A's interest is 100.00, of which 20% is the lead's fee.
    book({
      entryId: 'REPAYMENT#F-1',
      eventType: 'REPAYMENT',
      eventId: 'F-1',
      loanId: 'LN-F',
      businessDate: '2025-03-04',
      bookedOn: '2025-03-04',
      legs: [
        leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 10_000n, 'ESCROW', 'INTEREST'),
        leg(PARTNER_A, 'INTEREST_INCOME', 'C', 10_000n),
        leg(PARTNER_A, 'FEE_EXPENSE', 'D', 2_000n),
        leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'C', 2_000n, LEAD_ID, 'FEE'),
        leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'D', 2_000n, PARTNER_A, 'FEE'),
        leg(LEAD_ID, 'FEE_INCOME', 'C', 2_000n),
      ],
    });
    await settle('2025-03-04');
    expect(await at('2025-03-04')).toEqual([
      ['ESCROW', PARTNER_A, 10_000n, '2025-03-05'],
      [PARTNER_A, LEAD_ID, 2_000n, '2025-03-05'],
    ]);
  });

  it('pays each direction of a pair on its own when the program does not net', async () => {
    seed(stores, { programs: [aProgram({ settlement: { cutoffTime: '22:00', settlementLagDays: 2, netting: false, calendar: 'CN' } })] });
    stores.clock.set('2025-03-04T15:00:00.000Z');
    collected('2025-03-04', 700n);
    book({
      entryId: 'DISBURSEMENT#LN-D',
      eventType: 'DISBURSEMENT',
      eventId: 'LN-D',
      loanId: 'LN-D',
      businessDate: '2025-03-04',
      bookedOn: '2025-03-04',
      legs: [leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'D', 5_000n), leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'C', 5_000n, 'ESCROW')],
    });
    await settle('2025-03-04');
    expect((await stores.settlements.instructions('2025-03-04')).map((i) => [i.instructionId, i.amountMinor, i.valueDate, i.netted])).toEqual([
      ['SI-20250304-CONSUMER-2025-ESCROW-LEAD-BANK', 700n, '2025-03-06', false],
      ['SI-20250304-CONSUMER-2025-LEAD-BANK-ESCROW', 5_000n, '2025-03-06', false],
    ]);
  });
});
