import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderFileStore } from '../../../../shared/adapters/files/file-store.ts';
import { loanSchedules } from '../../../../shared/domain/schedule.ts';
import { verifyLoanLedger } from '../../../../shared/domain/ledger-check.ts';
import { approveAdjustmentOf, proposeAdjustmentOf, type AdjustmentDeps } from '../../../../shared/use-cases/adjustments.ts';
import { businessCalendar } from '../../../../shared/use-cases/calendars.ts';
import { closeRun, gatherShard, instruct, openRun, writeFiles, type SettlementDeps } from '../../../../shared/use-cases/settlement.ts';
import { aProposal } from '../../../support/adjustments.ts';
import { aLoan, aProgram, aProgramTerms, LOAN_ID, PARTNER_A, PARTNER_B } from '../../../support/builders.ts';
import { createInMemoryStores, seed, seedBookedLoan, type InMemoryStores } from '../../../support/in-memory-stores.ts';

/**
 * Adjustments in the daily settlement: an unapproved adjustment moves no money; an approved one is
 * settled in the run of the day it was booked in, exactly its amount, between its two parties.
 * The loan was disbursed on Saturday 2025-03-01; runs start on Tuesday 2025-03-04.
 */
let stores: InMemoryStores;
let settlement: SettlementDeps;
let adjustments: AdjustmentDeps;
let dir: string;

async function setUp(netting: boolean): Promise<void> {
  stores = createInMemoryStores('2025-03-04T02:00:00.000Z');
  seed(stores, { programs: [aProgram({ settlement: { ...aProgramTerms().settlement, netting } })] });
  const loan = seedBookedLoan(stores, aLoan());
  const schedules = loanSchedules(loan);
  stores.db.borrowerSchedules.set(loan.loanId, schedules.borrower);
  for (const s of schedules.lenders) stores.db.lenderSchedules.set(`${loan.loanId}#${s.lenderId}`, s);
  dir = await mkdtemp(join(tmpdir(), 'adjustment-settlement-'));
  settlement = { ...stores, files: new FolderFileStore(dir), calendar: (id) => businessCalendar(stores, id), shardCount: 16 };
  adjustments = { adjustments: stores.adjustments, breaks: stores.breaks, loan: (id) => stores.loans.get(id), repayments: stores.repayments, ledger: stores.ledger, clock: stores.clock };
}

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Settles a date after its 22:00 cut-off (Beijing), and answers its instructions. */
async function settle(businessDate: string) {
  stores.clock.set(`${businessDate}T15:00:00.000Z`);
  const opened = await openRun(settlement, { businessDate });
  for (const { shard } of opened.shards) await gatherShard(settlement, businessDate, opened.attempt, shard);
  const instructed = await instruct(settlement, businessDate, opened.attempt);
  const run = await closeRun(settlement, businessDate, opened.attempt, { ...instructed, ...(await writeFiles(settlement, businessDate, opened.attempt)) });
  const instructions = await stores.settlements.instructions(businessDate);
  return { run, instructions: instructions.map((i) => [i.payer, i.payee, i.amountMinor, i.netted, i.componentsMinor]) };
}

/** Proposed on Tuesday 10:00 by the maker; PARTNER-A owes PARTNER-B 100.00 of penalty, PARTNER-B owes PARTNER-A 30.00 of interest. */
async function proposeBoth(): Promise<void> {
  stores.clock.set('2025-03-04T02:00:00.000Z');
  const between = { breakId: null, counterparty: PARTNER_B } as const;
  await proposeAdjustmentOf(adjustments, aProposal({ ...between, adjustmentId: 'ADJ-P', component: 'PENALTY', direction: 'LENDER_OWES_COUNTERPARTY', amountMinor: 10_000n }), 'maker');
  await proposeAdjustmentOf(adjustments, aProposal({ ...between, adjustmentId: 'ADJ-I', component: 'INTEREST', direction: 'COUNTERPARTY_OWES_LENDER', amountMinor: 3_000n }), 'maker');
}

/** Approved on Wednesday 10:00 by the checker: booked in Wednesday's settlement day. */
async function approveBoth(): Promise<void> {
  stores.clock.set('2025-03-05T02:00:00.000Z');
  for (const id of ['ADJ-P', 'ADJ-I']) expect((await approveAdjustmentOf(adjustments, id, 'checker', 'Agreed with both banks')).approval?.bookedOn).toBe('2025-03-05');
}

describe.each([true, false])('adjustments in settlement (netting %s)', (netting) => {
  beforeEach(() => setUp(netting));

  it('an unapproved adjustment moves no money; once approved, the next run instructs exactly its amount', async () => {
    await proposeBoth();
    expect(await settle('2025-03-04')).toMatchObject({ run: { status: 'SETTLED', entries: 0, instructions: 0 }, instructions: [] });
    await approveBoth();
    const wednesday = await settle('2025-03-05');
    expect(wednesday.run).toMatchObject({ status: 'SETTLED', entries: 2, daysByCalendar: { CN: ['2025-03-05'] } });
    expect(wednesday.instructions).toEqual(
      netting
        ? // PARTNER-A owes 100.00 and is owed 30.00: it pays 70.00, in one instruction.
          [[PARTNER_A, PARTNER_B, 7_000n, true, { PENALTY: 10_000n, INTEREST: -3_000n }]]
        : [
            [PARTNER_A, PARTNER_B, 10_000n, false, { PENALTY: 10_000n }],
            [PARTNER_B, PARTNER_A, 3_000n, false, { INTEREST: 3_000n }],
          ],
    );
    // Settled once: the run of the next business day finds nothing more to move.
    expect(await settle('2025-03-06')).toMatchObject({ run: { entries: 0 }, instructions: [] });
  });

  it('with the collection account: the escrow pays the lender what it is owed, and the ledger still verifies', async () => {
    stores.clock.set('2025-03-04T02:00:00.000Z');
    await proposeAdjustmentOf(adjustments, aProposal({ breakId: null, amountMinor: 150n }), 'maker');
    await settle('2025-03-04');
    stores.clock.set('2025-03-05T02:00:00.000Z');
    await approveAdjustmentOf(adjustments, 'ADJ-1', 'checker', 'Interest short in the partner file');
    expect((await settle('2025-03-05')).instructions).toEqual([['ESCROW', PARTNER_A, 150n, netting, { INTEREST: 150n }]]);
    const { entries, positions } = await stores.ledger.loanLedger(LOAN_ID);
    expect(verifyLoanLedger(LOAN_ID, entries, positions)).toEqual([]);
  });
});
