import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderFileStore } from '../../../../shared/adapters/files/file-store.ts';
import { foldEntries, type JournalEntry, type Leg } from '../../../../shared/domain/ledger.ts';
import { emptyLedger } from '../../../../shared/domain/repayment-booking.ts';
import { loanSchedules } from '../../../../shared/domain/schedule.ts';
import { businessCalendar } from '../../../../shared/use-cases/calendars.ts';
import { closeRun, gatherShard, instruct, openRun, recordExecution, statementFile, statements, writeFiles, type SettlementDeps } from '../../../../shared/use-cases/settlement.ts';
import { aLoan, aProgram, LEAD_ID, PARTNER_A, PARTNER_B, PROGRAM_ID } from '../../../support/builders.ts';
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

const leg = (lenderId: string, account: Leg['account'], side: 'D' | 'C', amount: bigint, counterparty: string | null = null): Leg => ({
  lenderId,
  account,
  side: side === 'D' ? 'DEBIT' : 'CREDIT',
  amountMinor: amount,
  counterparty,
});

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
    expect(await statements(deps, PARTNER_A, '2025-03-03')).toEqual([
      '20250303.ok',
      'compensation_20250303.txt',
      'control_20250303.txt',
      'disbursement_detail_20250303.txt',
      'human/loan_master_20250303.csv',
      'human/loan_master_20250303.xlsx',
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

  it('records a bank reference once, and refuses another for the same instruction', async () => {
    await settle('2025-03-03');
    const id = 'SI-20250303-CONSUMER-2025-LEAD-BANK-ESCROW';
    const done = await recordExecution(deps, '2025-03-03', id, { bankReference: 'R-77', executedAt: '2025-03-04T02:00:00Z' }, 'finance');
    expect(done.executed).toEqual({ bankReference: 'R-77', executedAt: '2025-03-04T02:00:00Z', recordedBy: 'finance', recordedAt: '2025-03-03T15:00:00.000Z' });
    expect(await recordExecution(deps, '2025-03-03', id, { bankReference: 'R-77', executedAt: '2025-03-04T02:00:00Z' }, 'finance')).toEqual(done);
    await expectDomainError(recordExecution(deps, '2025-03-03', id, { bankReference: 'R-78', executedAt: '2025-03-04T02:00:00Z' }, 'finance'), 'INSTRUCTION_ALREADY_EXECUTED');
  });
});
