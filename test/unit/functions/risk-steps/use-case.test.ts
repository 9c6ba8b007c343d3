import { describe, expect, it } from 'vitest';
import { bookWith } from '../../../../shared/use-cases/loan-booking.ts';
import { assessShard, recordReport, runRiskStep } from '../../../../functions/risk-steps/use-case.ts';
import { riskStepInput } from '../../../../functions/risk-steps/schema.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';
import { getRiskUpdate } from '../../../../functions/risk-updates/use-case.ts';
import { splitAndBook } from '../../../../shared/use-cases/loan-changes.ts';
import { loanShard } from '../../../../shared/adapters/dynamodb/state-keys.ts';
import type { Program } from '../../../../shared/domain/program.ts';
import {
  GUARANTOR_ID,
  LEAD_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  PROGRAM_ID,
  aBookLoanRequest,
  aBorrower,
  aLender,
  aParticipant,
  aProgram,
  anIndiaLenders,
  anIndiaProgramTerms,
  defaultLenders,
  plan,
} from '../../../support/builders.ts';
import { createInMemoryStores, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';

/** IN-2025: lead 20%, partner 80%, a guarantor compensating at 30 days past due, its guarantee capped at 5%. */
function inProgram(): Program {
  const terms = anIndiaProgramTerms({
    participants: [aParticipant(LEAD_ID, 'LEAD', 2000, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 8000, { priority: 1 }), aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 9 })],
    fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID },
    lossSharing: { method: 'PRO_RATA', leadFirstLossCapBps: null, guaranteeTriggerDpd: 30, guaranteeCoversInterest: false, writeOffDpd: null },
  });
  return aProgram({ ...terms, programId: 'MSME-2025' });
}

const AFTER_THE_RUNS = '2026-01-01T02:00:00.000Z';

async function world(loans: readonly string[]): Promise<{ stores: InMemoryStores; program: Program }> {
  const stores = createInMemoryStores();
  const program = inProgram();
  seed(stores, { lenders: [...anIndiaLenders(), aLender({ lenderId: GUARANTOR_ID, roles: ['GUARANTOR'], currency: 'INR' })], programs: [program] });
  for (const loanId of loans) {
    const request = aBookLoanRequest({
      loanId,
      programId: program.programId,
      currency: 'INR',
      borrower: aBorrower({ region: 'IN-MH' }),
      principalMinor: 1_000_000n,
      disbursementDate: '2025-01-10',
      fundingPlan: plan([LEAD_ID, 200_000n], [PARTNER_A, 800_000n]),
    });
    await bookWith(stores, request, program, NOW, { seal: null, reservations: [], applicationChange: null });
  }
  // The runs below assess dates up to the end of 2025: the clock reads a day after them.
  stores.clock.set(AFTER_THE_RUNS);
  return { stores, program };
}

const deps = (stores: InMemoryStores) => ({ loans: stores.loans, repayments: stores.repayments, riskRuns: stores.riskRuns, programPools: stores.programPools, runDetails: stores.runDetails, clock: stores.clock });
/** The loans a date's run compensated, wrote off or held, as its shards stored them. */
const outcomes = (stores: InMemoryStores, businessDate: string) => [...(stores.runDetails.parts.get(`RISKRUN#${businessDate}`)?.values() ?? [])].flat();

describe('assessShard under a capped guarantee (IN-2025: 5% of loans outstanding)', () => {
  it('holds a compensation while no run has measured the cap, then pays within it and records what was paid', async () => {
    const { stores } = await world(['IN-1']);
    const shard = loanShard('IN-1');
    // Nothing paid since 2025-01-10: 90 days past due on 2025-05-11 (first due 2025-02-10).
    const first = await assessShard(deps(stores), shard, '2025-05-11');
    expect([first.compensated, first.held]).toEqual([0, 1]);
    expect(outcomes(stores, '2025-05-11')).toEqual([{ loanId: 'IN-1', outcome: 'HELD', code: 'GUARANTEE_CAP_UNKNOWN', message: expect.stringContaining('none has measured it yet') }]);
    expect(first.outstandingByProgram).toEqual({ 'MSME-2025': '1000000' });
    // The base is set by the report: 5% of 1,000,000 is 50,000, short of the 1,000,000 claim.
    await recordReport(deps(stores), '2025-05-11', [first]);
    expect(await stores.programPools.get('MSME-2025', 'GUARANTEE')).toMatchObject({ baseMinor: 1_000_000n, usedMinor: 0n, version: 1 });
    const second = await assessShard(deps(stores), shard, '2025-05-12');
    expect(outcomes(stores, '2025-05-12').map((h) => h.code)).toEqual(['GUARANTEE_CAP_REACHED']);
    expect([second.compensated, second.held]).toEqual([0, 1]);
  });

  it('compensates while the claim fits under the cap, in the same write as the pool', async () => {
    const loans = Array.from({ length: 20 }, (_, i) => `IN-${String(i).padStart(2, '0')}`);
    const { stores } = await world(loans);
    // A base of 20 loans outstanding (20,000,000): the cap is 1,000,000, one loan's principal.
    const shards = await Promise.all(Array.from(new Set(loans.map(loanShard))).map((s) => assessShard(deps(stores), s, '2025-02-09')));
    await recordReport(deps(stores), '2025-02-09', shards);
    expect((await stores.programPools.get('MSME-2025', 'GUARANTEE'))?.baseMinor).toBe(20_000_000n);
    const results = [];
    for (const s of Array.from(new Set(loans.map(loanShard))).sort((a, b) => a - b)) results.push(await assessShard(deps(stores), s, '2025-05-11'));
    expect(results.reduce((n, r) => n + r.compensated, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.held, 0)).toBe(19);
    const stored = outcomes(stores, '2025-05-11');
    expect(stored.filter((o) => o.outcome === 'COMPENSATED')).toHaveLength(1);
    expect(new Set(stored.filter((o) => o.outcome === 'HELD').map((h) => h.code))).toEqual(new Set(['GUARANTEE_CAP_REACHED']));
    expect(await stores.programPools.get('MSME-2025', 'GUARANTEE')).toMatchObject({ usedMinor: 1_000_000n, version: 2 });
  });
});

describe('what AssessShard passes on when every loan of a shard is held', () => {
  it('is counts, the same few hundred bytes for 60 held loans as for one; the loans are stored with the run and page through the report', async () => {
    const loans = Array.from({ length: 60 }, (_, i) => `IN-H-${String(i).padStart(3, '0')}`);
    const { stores } = await world(loans);
    const shards = [...new Set(loans.map(loanShard))].sort((a, b) => a - b);
    // 90 days past due and no run has measured the guarantee's cap yet: every loan is held.
    const results = [];
    for (const s of shards) results.push(await assessShard(deps(stores), s, '2025-05-11'));
    expect(results.reduce((n, r) => n + r.held, 0)).toBe(60);
    for (const result of results) expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(400);
    const report = await recordReport(deps(stores), '2025-05-11', results);
    expect([report.held, report.compensated, report.writtenOff]).toEqual([60, 0, 0]);
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(400);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await getRiskUpdate(stores, '2025-05-11', { limit: 25, ...(cursor === undefined ? {} : { cursor }) });
      expect(page.loans.length).toBeLessThanOrEqual(25);
      seen.push(...page.loans.map((l) => `${l.loanId}:${l.outcome}:${l.code ?? ''}`));
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen.sort()).toEqual(loans.map((l) => `${l}:HELD:GUARANTEE_CAP_UNKNOWN`).sort());
  });
});

describe("the lead's first-loss cap across a program (LEAD_FIRST_LOSS, a share of the program's disbursed principal)", () => {
  /** Two CN-2021 loans of 1,000,000 (40/30/30) under a 10% first-loss cap. */
  async function cnWorld(): Promise<InMemoryStores> {
    const stores = createInMemoryStores();
    const program = aProgram({ lossSharing: { method: 'LEAD_FIRST_LOSS', leadFirstLossCapBps: 1000, guaranteeTriggerDpd: null, guaranteeCoversInterest: true, writeOffDpd: null } });
    seed(stores, { lenders: defaultLenders(), programs: [program] });
    for (const loanId of ['CN-1', 'CN-2']) {
      await bookWith(stores, aBookLoanRequest({ loanId, borrower: aBorrower({ borrowerId: `B-${loanId}` }) }), program, NOW, { seal: null, reservations: [], applicationChange: null });
    }
    return stores;
  }
  const bookDeps = (stores: InMemoryStores) => ({ loan: (id: string) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock });
  const writeOff = (loanId: string) => ({ type: 'WRITE_OFF' as const, eventId: `WO-${loanId}`, valueDate: '2025-03-01', reason: 'Fraud confirmed' });
  const bookEvent = (stores: InMemoryStores, loanId: string, event: ReturnType<typeof writeOff>) => splitAndBook(bookDeps(stores), { action: 'EVENT', loanId, event });
  const lossesOf = (result: Awaited<ReturnType<typeof splitAndBook>>) =>
    'event' in result ? result.event.legs.filter((l) => l.account === 'LOSSES').map((l) => [l.lenderId, l.amountMinor]) : result;

  it('refuses a write-off while no risk update has measured the program', async () => {
    const stores = await cnWorld();
    const result = await bookEvent(stores, 'CN-1', writeOff('CN-1'));
    expect(result).toMatchObject({ status: 'REFUSED', error: { code: 'FIRST_LOSS_BASE_UNKNOWN' } });
  });

  it("lets the lead's first loss take the program's cap on the first loan written off, and nothing on the next", async () => {
    const stores = await cnWorld();
    const shards = [...new Set([loanShard('CN-1'), loanShard('CN-2')])];
    await recordReport(deps(stores), '2025-03-01', await Promise.all(shards.map((s) => assessShard(deps(stores), s, '2025-03-01'))));
    expect(await stores.programPools.get(PROGRAM_ID, 'FIRST_LOSS')).toMatchObject({ baseMinor: 2_000_000n, usedMinor: 0n });
    // Cap 10% of 2,000,000 = 200,000, all of it on the first loss; the other 800,000 pro rata: 320,000 / 240,000 / 240,000.
    expect(lossesOf(await bookEvent(stores, 'CN-1', writeOff('CN-1')))).toEqual([
      [LEAD_ID, '520000'],
      [PARTNER_A, '240000'],
      [PARTNER_B, '240000'],
    ]);
    expect(await stores.programPools.get(PROGRAM_ID, 'FIRST_LOSS')).toMatchObject({ usedMinor: 200_000n });
    // Nothing left under the cap: the second loan is lost pro rata.
    expect(lossesOf(await bookEvent(stores, 'CN-2', writeOff('CN-2')))).toEqual([
      [LEAD_ID, '400000'],
      [PARTNER_A, '300000'],
      [PARTNER_B, '300000'],
    ]);
    expect(await stores.programPools.get(PROGRAM_ID, 'FIRST_LOSS')).toMatchObject({ usedMinor: 200_000n });
  });
});

describe('the business date of a risk update (docs/risk-update.md, A wrong date)', () => {
  it('refuses to assess a date after today: every loan is held with DATE_OUT_OF_WINDOW and nothing is written', async () => {
    const { stores } = await world(['IN-F']);
    stores.clock.set('2025-05-11T02:00:00.000Z');
    const before = await stores.repayments.load('IN-F', 'ALL');
    const result = await assessShard(deps(stores), loanShard('IN-F'), '9999-12-31');
    expect(result.held).toBe(1);
    expect(outcomes(stores, '9999-12-31')).toEqual([{ outcome: 'HELD', loanId: 'IN-F', code: 'DATE_OUT_OF_WINDOW', message: 'businessDate 9999-12-31 is after today, 2025-05-11: a date is assessed once it has come' }]);
    expect([result.loansAssessed, result.compensated, result.writtenOff]).toEqual([0, 0, 0]);
    const after = await stores.repayments.load('IN-F', 'ALL');
    expect(after.ledger.version).toBe(before.ledger.version);
    expect(after.ledger.risk).toBeUndefined();
  });

  it('derives the class again from the facts of the right date when an earlier run assessed a date that had not come', async () => {
    const { stores } = await world(['IN-L']);
    // A run of 9999-12-31 as the API took it before dates were bounded: the clock read that year.
    stores.clock.set('9999-12-31T12:00:00.000Z');
    // IN-2025 reaches no loss by days: an NPA for over 12 months is doubtful.
    expect((await assessShard(deps(stores), loanShard('IN-L'), '9999-12-31')).byClass).toEqual({ DOUBTFUL: 1 });
    // Back to the real today: nothing paid since 2025-01-10, the first due 2025-02-10, 19 days past due on 2025-03-01.
    stores.clock.set('2025-03-02T02:00:00.000Z');
    const corrected = await assessShard(deps(stores), loanShard('IN-L'), '2025-03-01');
    expect([corrected.loansAssessed, corrected.byClass, corrected.reclassified]).toEqual([1, { SMA_0: 1 }, 1]);
    const { ledger } = await stores.repayments.load('IN-L', 'ALL');
    expect(ledger.risk).toEqual({
      asOf: '2025-03-01',
      dpd: 19,
      classification: 'SMA_0',
      since: '2025-03-01',
      outcome: { runId: null, reclassified: true, compensated: false, writtenOff: false, held: null },
    });
    // A rerun of the date changes nothing, as before.
    const again = await assessShard(deps(stores), loanShard('IN-L'), '2025-03-01');
    expect([again.byClass, again.reclassified]).toEqual([{ SMA_0: 1 }, 0]);
    expect((await stores.repayments.load('IN-L', 'ALL')).ledger.version).toBe(ledger.version);
  });
});

describe('runRiskStep: what a shard changed, in the audit trail', () => {
  const EXECUTION = 'arn:aws:states:cn-north-1:123456789012:execution:RiskUpdateStateMachine:risk-2025-02-11';
  const withAudit = (stores: InMemoryStores) => ({ ...deps(stores), audit: new InMemoryAuditStore(), auditLog: { error: (message: string) => expect.fail(message) } });
  const assess = (d: ReturnType<typeof withAudit>, shard: number, businessDate: string, executionId = EXECUTION) =>
    runRiskStep(d, validate(riskStepInput, { step: 'AssessShard', shard, businessDate, executionId }));
  const recorded = (d: ReturnType<typeof withAudit>) => d.audit.all(AFTER_THE_RUNS.slice(0, 10)).map((r) => [r.action, r.target, r.after, r.lenderIds, r.executionId]);

  it('records a loan reclassified once per execution, naming its lenders; a loan classified as it was records nothing', async () => {
    const { stores } = await world(['IN-1']);
    const d = withAudit(stores);
    const shard = loanShard('IN-1');
    // Before its first due date (2025-02-10) the loan is classified for the first time, as it starts: not a change.
    await assess(d, shard, '2025-02-09', `${EXECUTION}-0`);
    expect(recorded(d)).toEqual([]);
    // One day past due: special mention (SMA-0), the first change of its class.
    expect(await assess(d, shard, '2025-02-11')).toMatchObject({ loansAssessed: 1, reclassified: 1 });
    await assess(d, shard, '2025-02-11');
    expect(recorded(d)).toEqual([
      ['RiskUpdate.AssessShard', { loanId: 'IN-1', businessDate: '2025-02-11' }, { classification: 'SMA_0', dpd: 1, reclassified: true, compensated: false, writtenOff: false }, [LEAD_ID, PARTNER_A], EXECUTION],
    ]);
  });

  it('records a loan whose shard crashed after committing it and before its record, once, when the shard is retried', async () => {
    const { stores } = await world(['IN-1']);
    const d = withAudit(stores);
    const shard = loanShard('IN-1');
    await assess(d, shard, '2025-02-09', `${EXECUTION}-0`);
    // The loan is committed SMA-0, then the process dies before the audit record is written.
    const crash = new Error('the process died');
    await expect(assessShard(deps(stores), shard, '2025-02-11', EXECUTION, () => Promise.reject(crash))).rejects.toBe(crash);
    expect(recorded(d)).toEqual([]);
    // Step Functions retries the step in the same execution: the loan is found assessed, and reported and recorded as it was.
    expect(await assess(d, shard, '2025-02-11')).toMatchObject({ loansAssessed: 1, reclassified: 1, compensated: 0 });
    await assess(d, shard, '2025-02-11');
    expect(recorded(d)).toEqual([
      ['RiskUpdate.AssessShard', { loanId: 'IN-1', businessDate: '2025-02-11' }, { classification: 'SMA_0', dpd: 1, reclassified: true, compensated: false, writtenOff: false }, [LEAD_ID, PARTNER_A], EXECUTION],
    ]);
    // Another execution of the date changed nothing and records nothing.
    expect(await assess(d, shard, '2025-02-11', `${EXECUTION}-rerun`)).toMatchObject({ loansAssessed: 1, reclassified: 0 });
    expect(recorded(d)).toHaveLength(1);
  });

  it('records a compensation naming the guarantor with the lenders', async () => {
    const loans = Array.from({ length: 20 }, (_, i) => `IN-${String(i).padStart(2, '0')}`);
    const { stores } = await world(loans);
    const d = withAudit(stores);
    const shardsOf = Array.from(new Set(loans.map(loanShard))).sort((a, b) => a - b);
    await recordReport(d, '2025-02-09', await Promise.all(shardsOf.map((s) => assessShard(deps(stores), s, '2025-02-09'))));
    for (const s of shardsOf) await assess(d, s, '2025-05-11');
    const compensated = outcomes(stores, '2025-05-11').find((o) => o.outcome === 'COMPENSATED')!.loanId;
    const records = recorded(d).filter(([, , after]) => (after as { compensated: boolean }).compensated);
    expect(records).toEqual([
      ['RiskUpdate.AssessShard', { loanId: compensated, businessDate: '2025-05-11' }, expect.objectContaining({ compensated: true, writtenOff: false, dpd: 90 }), [GUARANTOR_ID, LEAD_ID, PARTNER_A].sort(), EXECUTION],
    ]);
  });
});
