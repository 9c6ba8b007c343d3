import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderFileStore } from '../../../../shared/adapters/files/file-store.ts';
import { DEFAULT_BUYBACK } from '../../../../shared/domain/buyback.ts';
import { verifyLoanLedger } from '../../../../shared/domain/ledger-check.ts';
import type { ProgramTerms } from '../../../../shared/domain/program.ts';
import { businessCalendar } from '../../../../shared/use-cases/calendars.ts';
import { bookLoanEvent, splitAndBook, type RepaymentBookDeps } from '../../../../shared/use-cases/loan-changes.ts';
import { closeRun, gatherShard, instruct, openRun, statementFile, writeFiles, type SettlementDeps } from '../../../../shared/use-cases/settlement.ts';
import { LEAD_ID, PARTNER_A, aLoan, aProgram } from '../../../support/builders.ts';
import { createInMemoryStores, seed, seedBookedLoan, type InMemoryStores } from '../../../support/in-memory-stores.ts';

/*
 * A buyback settled like any other movement (docs/settlement.md). LN-1 and LN-2 are the test loan
 * (1,000,000 fen at 7.25%, 12 months from Saturday 2025-03-01, 400,000 / 300,000 / 300,000) under a
 * program whose buyback price carries a 0.5% premium. On Monday 2025-03-17 the lead buys
 * PARTNER-A's share of LN-1: 300,000 of principal; 16 days accrued on 1,000,000 (1,000,000 ×
 * 7.25% × 16 / 360 = 3,222.22 → 3,222), PARTNER-A's 30%: 966.6 → 967; premium 300,967 × 0.5% =
 * 1,504.835 → 1,505. Price 302,472. The same day PARTNER-A buys 50,000 of the lead's part of LN-2
 * at par (a share transfer): it owes the lead 50,000.
 */

const TERMS: Partial<ProgramTerms> = { buyback: { ...DEFAULT_BUYBACK, price: { ...DEFAULT_BUYBACK.price, premiumRate: '0.005' } } };
const SHARDS = 16;

let stores: InMemoryStores;
let deps: SettlementDeps;
let book: RepaymentBookDeps;
let dir: string;

function setup(netting: boolean): void {
  stores = createInMemoryStores('2025-03-17T03:00:00.000Z'); // 11:00 in Beijing
  const terms = { ...TERMS, settlement: { cutoffTime: '22:00', settlementLagDays: 1, netting, calendar: 'CN' } };
  seed(stores, { programs: [aProgram(terms)] });
  for (const loanId of ['LN-1', 'LN-2']) seedBookedLoan(stores, aLoan({ loanId }, terms));
  deps = { ...stores, files: new FolderFileStore(dir), calendar: (id) => businessCalendar(stores, id), shardCount: SHARDS };
  book = { loan: (id) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock };
}

async function bookMonday(): Promise<void> {
  await bookLoanEvent(book, 'LN-1', { type: 'BUYBACK', eventId: 'B-1', valueDate: '2025-03-17', reason: 'Partner exit', sellerLenderId: PARTNER_A, buyerId: LEAD_ID, expectedPriceMinor: 302_472n });
  await bookLoanEvent(book, 'LN-2', { type: 'TRANSFER', eventId: 'T-1', valueDate: '2025-03-17', reason: 'Share sale', fromLenderId: LEAD_ID, toLenderId: PARTNER_A, principalMinor: 50_000n });
}

async function settle(businessDate: string): Promise<void> {
  const opened = await openRun(deps, { businessDate });
  for (const { shard } of opened.shards) await gatherShard(deps, businessDate, opened.attempt, shard);
  const instructed = await instruct(deps, businessDate, opened.attempt);
  const { files } = await writeFiles(deps, businessDate, opened.attempt);
  await closeRun(deps, businessDate, opened.attempt, { ...instructed, files });
}

const instructionsOf = async (date: string) => (await stores.settlements.instructions(date)).map((i) => [i.instructionId, i.payer, i.payee, i.amountMinor, i.componentsMinor]);
const fileOf = async (lenderId: string, date: string, name: string) => Buffer.from(await statementFile(deps, lenderId, date, name)).toString('utf8').split('\n').slice(1, -1);
const loanEntries = (loanId: string) => [...stores.db.entries.values()].filter((e) => e.loanId === loanId);
const loanPositions = (loanId: string) => [...stores.db.positions.values()].filter((p) => p.loanId === loanId);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'settlement-buyback-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the settlement of a buyback', () => {
  it('nets the price the buyer owes the seller with the pair\'s other movements into one instruction from the buyer', async () => {
    setup(true);
    await bookMonday();
    stores.clock.set('2025-03-17T15:00:00.000Z');
    await settle('2025-03-17');
    // 302,472 (300,000 + 967 + 1,505) owed to PARTNER-A less 50,000 it owes the lead.
    expect(await instructionsOf('2025-03-17')).toEqual([['SI-20250317-CONSUMER-2025-LEAD-BANK-PARTNER-A', LEAD_ID, PARTNER_A, 252_472n, { PRINCIPAL: 250_000n, INTEREST: 967n, FEE: 1_505n }]]);
    expect(await fileOf(PARTNER_A, '2025-03-17', 'settlement_summary_20250317.txt')).toEqual([
      '2025-03-17|PARTNER-A|CONSUMER-2025|LEAD-BANK|CNY|FEE|15.05|0.00|15.05|SI-20250317-CONSUMER-2025-LEAD-BANK-PARTNER-A|2025-03-18|',
      '2025-03-17|PARTNER-A|CONSUMER-2025|LEAD-BANK|CNY|INTEREST|9.67|0.00|9.67|SI-20250317-CONSUMER-2025-LEAD-BANK-PARTNER-A|2025-03-18|',
      '2025-03-17|PARTNER-A|CONSUMER-2025|LEAD-BANK|CNY|PRINCIPAL|3000.00|500.00|2500.00|SI-20250317-CONSUMER-2025-LEAD-BANK-PARTNER-A|2025-03-18|',
    ]);
    // The repayment detail shows the buyback in both books, the seller's part positive, the buyer's negative.
    expect(await fileOf(PARTNER_A, '2025-03-17', 'repayment_detail_20250317.txt')).toEqual(['2025-03-17|PARTNER-A|LN-1|BUYBACK|B-1|2025-03-17|2025-03-17|CNY|3000.00|9.67|0.00|15.05|0.00|0.00|0.00|3024.72|']);
    expect(await fileOf(LEAD_ID, '2025-03-17', 'repayment_detail_20250317.txt')).toEqual(['2025-03-17|LEAD-BANK|LN-1|BUYBACK|B-1|2025-03-17|2025-03-17|CNY|-3000.00|-9.67|0.00|-15.05|0.00|0.00|0.00|-3024.72|']);
    // The trial balance of each book balances (the run checks it); the seller's shows the premium as fee income.
    expect((await fileOf(PARTNER_A, '2025-03-17', 'trial_balance_20250317.txt')).filter((l) => l.includes('|FEE_INCOME|'))).toEqual(['2025-03-17|PARTNER-A|CNY|FEE_INCOME|0.00|0.00|0.00|15.05|0.00|15.05']);
    for (const loanId of ['LN-1', 'LN-2']) expect(verifyLoanLedger(loanId, loanEntries(loanId), loanPositions(loanId))).toEqual([]);
  });

  it('without netting, pays the whole price from the buyer to the seller, and the pair\'s other direction apart', async () => {
    setup(false);
    await bookMonday();
    stores.clock.set('2025-03-17T15:00:00.000Z');
    await settle('2025-03-17');
    expect(await instructionsOf('2025-03-17')).toEqual([
      ['SI-20250317-CONSUMER-2025-LEAD-BANK-PARTNER-A', LEAD_ID, PARTNER_A, 302_472n, { PRINCIPAL: 300_000n, INTEREST: 967n, FEE: 1_505n }],
      ['SI-20250317-CONSUMER-2025-PARTNER-A-LEAD-BANK', PARTNER_A, LEAD_ID, 50_000n, { PRINCIPAL: 50_000n }],
    ]);
  });

  it('settles the restatement of a buyback that a repayment valued before it brought, on the day it is booked', async () => {
    setup(true);
    await bookMonday();
    stores.clock.set('2025-03-17T15:00:00.000Z');
    await settle('2025-03-17');
    // Tuesday: a prepayment of 100,000 valued 2025-03-10 arrives. It pays 9 days of interest on
    // 1,000,000 (1,812.5 → 1,813; PARTNER-A 543.9 → 544) and 98,187 of principal (PARTNER-A
    // 29,456.1 → 29,456), so PARTNER-A held 270,544 of 901,813 on 03-17. Interest accrued from
    // 03-10: 901,813 × 7.25% × 7 / 360 = 1,271.30 → 1,271, PARTNER-A's part 1,271 × 270,544 /
    // 901,813 = 381.30 → 381; premium 270,925 × 0.5% = 1,354.625 → 1,355. Price 272,280: the
    // seller gives back 30,192 (29,456 principal, 586 interest, 150 premium).
    stores.clock.set('2025-03-18T03:00:00.000Z');
    const late = await splitAndBook(book, { action: 'BOOK', repayment: { repaymentId: 'R-P', loanId: 'LN-1', amountMinor: 100_000n, currency: 'CNY', valueDate: '2025-03-10', channel: 'BANK_TRANSFER', kind: 'PREPAYMENT' } });
    expect(late).toMatchObject({ status: 'BOOKED', entryIds: ['REPAYMENT#R-P', 'REBOOK#BUYBACK-B-1#1'] });
    stores.clock.set('2025-03-18T15:00:00.000Z');
    await settle('2025-03-18');
    expect((await instructionsOf('2025-03-18')).filter(([, payer, payee]) => payer !== 'ESCROW' && payee !== 'ESCROW')).toEqual([
      ['SI-20250318-CONSUMER-2025-PARTNER-A-LEAD-BANK', PARTNER_A, LEAD_ID, 30_192n, { PRINCIPAL: 29_456n, INTEREST: 586n, FEE: 150n }],
    ]);
    expect(await fileOf(PARTNER_A, '2025-03-18', 'repayment_detail_20250318.txt')).toEqual([
      '2025-03-18|PARTNER-A|LN-1|REBOOK|BUYBACK-B-1#1|2025-03-17|2025-03-18|CNY|-294.56|-5.86|0.00|-1.50|0.00|0.00|0.00|-301.92|',
      '2025-03-18|PARTNER-A|LN-1|REPAYMENT|R-P|2025-03-10|2025-03-18|CNY|294.56|5.44|0.00|0.00|0.00|0.00|0.00|300.00|',
    ]);
    expect(verifyLoanLedger('LN-1', loanEntries('LN-1'), loanPositions('LN-1'))).toEqual([]);
    expect(loanPositions('LN-1').find((p) => p.lenderId === PARTNER_A)!.balancesMinor.PRINCIPAL_RECEIVABLE).toBe(0n);
  });

  it('without netting, settles the restatement of a buyback as its difference, not the old price back and the new price again', async () => {
    setup(false);
    await bookMonday();
    stores.clock.set('2025-03-17T15:00:00.000Z');
    await settle('2025-03-17');
    // The prepayment of the test above, valued 2025-03-10: the price falls from 302,472 to 272,280.
    stores.clock.set('2025-03-18T03:00:00.000Z');
    await splitAndBook(book, { action: 'BOOK', repayment: { repaymentId: 'R-P', loanId: 'LN-1', amountMinor: 100_000n, currency: 'CNY', valueDate: '2025-03-10', channel: 'BANK_TRANSFER', kind: 'PREPAYMENT' } });
    stores.clock.set('2025-03-18T15:00:00.000Z');
    await settle('2025-03-18');
    expect((await instructionsOf('2025-03-18')).filter(([, payer, payee]) => payer !== 'ESCROW' && payee !== 'ESCROW')).toEqual([
      ['SI-20250318-CONSUMER-2025-PARTNER-A-LEAD-BANK', PARTNER_A, LEAD_ID, 30_192n, { PRINCIPAL: 29_456n, INTEREST: 586n, FEE: 150n }],
    ]);
  });
});
