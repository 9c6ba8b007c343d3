import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import type { SettlementItem } from '../../../../shared/domain/settlement.ts';
import type { SettlementRun } from '../../../../shared/ports/stores.ts';
import { MAX_LISTED_RUNS, settlementRuns } from '../../../../shared/use-cases/settlement-runs.ts';
import { addDays } from '../../../../shared/domain/money/index.ts';
import { financeOf, leadOps, PARTNER_A, PARTNER_B, partnerOf, platformFinance } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { InMemorySettlementStore } from '../../../support/in-memory-stores.ts';

const run = (businessDate: string, overrides: Partial<SettlementRun> = {}): SettlementRun => ({
  businessDate,
  status: 'SETTLED',
  attempt: 1,
  daysByCalendar: { CN: [businessDate] },
  shardCount: 2,
  startedAt: `${businessDate}T15:00:00.000Z`,
  settledAt: `${businessDate}T15:00:09.000Z`,
  firstSettledAt: `${businessDate}T15:00:09.000Z`,
  entries: 7,
  instructions: 3,
  files: [
    { lenderId: PARTNER_A, name: 'control.txt', records: 1, sha256: 'a' },
    { lenderId: PARTNER_B, name: 'control.txt', records: 1, sha256: 'b' },
  ],
  failure: null,
  ...overrides,
});

const item = (lenderId: string, counterparty: string, component: SettlementItem['component'], receivableMinor: bigint, payableMinor = 0n): SettlementItem => ({
  currency: 'CNY',
  programId: 'PROG',
  lenderId,
  counterparty,
  component,
  receivableMinor,
  payableMinor,
});

async function store(): Promise<InMemorySettlementStore> {
  const settlements = new InMemorySettlementStore();
  // Monday 2026-11-30 settles the weekend: collections on two shards add up per lender.
  await settlements.putRun(run('2026-11-27'), 0);
  await settlements.putRun(run('2026-11-30', { daysByCalendar: { CN: ['2026-11-28', '2026-11-29', '2026-11-30'] } }), 0);
  await settlements.putRun(run('2026-12-01', { status: 'RUNNING', settledAt: null }), 0);
  await settlements.putShard({ businessDate: '2026-11-27', shard: 0, entries: 2, items: [item(PARTNER_A, 'ESCROW', 'PRINCIPAL', 23_787n), item(PARTNER_B, 'ESCROW', 'INTEREST', 2_700n)] });
  await settlements.putShard({ businessDate: '2026-11-30', shard: 0, entries: 3, items: [item(PARTNER_A, 'ESCROW', 'PRINCIPAL', 100_000n), item(PARTNER_A, 'ESCROW', 'INTEREST', 901n)] });
  await settlements.putShard({
    businessDate: '2026-11-30',
    shard: 1,
    entries: 4,
    items: [item(PARTNER_A, 'ESCROW', 'PRINCIPAL', 50_001n, 300_001n), item(PARTNER_A, PARTNER_B, 'PRINCIPAL', 10_000n), item(PARTNER_B, 'ESCROW', 'PENALTY', 45n)],
  });
  // A run still going has shards gathered so far; they are not figures yet.
  await settlements.putShard({ businessDate: '2026-12-01', shard: 0, entries: 1, items: [item(PARTNER_A, 'ESCROW', 'PRINCIPAL', 999n)] });
  return settlements;
}

describe('the settlement runs of a range of dates', () => {
  it("lists the runs oldest first with every lender's collections of the day for the platform's teams", async () => {
    const list = await settlementRuns({ settlements: await store() }, platformFinance, { from: '2026-11-27', to: '2026-12-01' });
    expect(list.truncated).toBe(false);
    expect(list.runs.map((r) => [r.businessDate, r.status, r.attempt])).toEqual([
      ['2026-11-27', 'SETTLED', 1],
      ['2026-11-30', 'SETTLED', 1],
      ['2026-12-01', 'RUNNING', 1],
    ]);
    expect(list.runs[1]).toEqual({
      businessDate: '2026-11-30',
      status: 'SETTLED',
      attempt: 1,
      settledAt: '2026-11-30T15:00:09.000Z',
      daysByCalendar: { CN: ['2026-11-28', '2026-11-29', '2026-11-30'] },
      counts: { entries: 7, instructions: 3 },
      collections: [
        { lenderId: PARTNER_A, currency: 'CNY', collectedMinor: 150_902n, componentsMinor: { PRINCIPAL: 150_001n, INTEREST: 901n }, owedToEscrowMinor: 300_001n, netMinor: -149_099n },
        { lenderId: PARTNER_B, currency: 'CNY', collectedMinor: 45n, componentsMinor: { PENALTY: 45n }, owedToEscrowMinor: 0n, netMinor: 45n },
      ],
    });
    expect(list.runs[2]?.collections).toEqual([]);
    expect(await settlementRuns({ settlements: await store() }, leadOps, {})).toEqual(list);
  });

  it("gives a lender's callers their own lender's figures only, and none of the run's counts", async () => {
    for (const caller of [partnerOf(PARTNER_B), financeOf(PARTNER_B)]) {
      const list = await settlementRuns({ settlements: await store() }, caller, { to: '2026-11-30' });
      expect(list.runs.map((r) => [r.businessDate, r.collections.map((c) => [c.lenderId, c.collectedMinor])])).toEqual([
        ['2026-11-27', [[PARTNER_B, 2_700n]]],
        ['2026-11-30', [[PARTNER_B, 45n]]],
      ]);
      for (const r of list.runs) expect(r).not.toHaveProperty('counts');
    }
  });

  it('takes each bound alone, inclusive', async () => {
    const dates = async (range: { from?: string; to?: string }) => (await settlementRuns({ settlements: await store() }, platformFinance, range)).runs.map((r) => r.businessDate);
    expect(await dates({ from: '2026-11-30' })).toEqual(['2026-11-30', '2026-12-01']);
    expect(await dates({ to: '2026-11-27' })).toEqual(['2026-11-27']);
    expect(await dates({ from: '2026-11-28', to: '2026-11-29' })).toEqual([]);
  });

  it(`lists the latest ${MAX_LISTED_RUNS} of a longer range, and says the earlier were left out`, async () => {
    const settlements = new InMemorySettlementStore();
    for (let i = 0; i < MAX_LISTED_RUNS + 3; i++) await settlements.putRun(run(addDays('2026-01-01', i)), 0);
    const list = await settlementRuns({ settlements }, platformFinance, {});
    expect(list.truncated).toBe(true);
    expect(list.runs.length).toBe(MAX_LISTED_RUNS);
    expect([list.runs[0]?.businessDate, list.runs.at(-1)?.businessDate]).toEqual(['2026-01-04', addDays('2026-01-01', MAX_LISTED_RUNS + 2)]);
    // The earlier ones are the next page: its cursor goes on from the last run listed.
    const earlier = await settlementRuns({ settlements }, platformFinance, { cursor: list.cursor ?? '' });
    expect([earlier.truncated, earlier.runs.map((r) => r.businessDate)]).toEqual([false, ['2026-01-01', '2026-01-02', '2026-01-03']]);
    // A full page always has a cursor, as DynamoDB gives a last key; the page after it is empty.
    const exact = await settlementRuns({ settlements }, platformFinance, { from: '2026-01-04' });
    expect(exact.runs.length).toBe(MAX_LISTED_RUNS);
    expect(await settlementRuns({ settlements }, platformFinance, { from: '2026-01-04', cursor: exact.cursor ?? '' })).toEqual({ runs: [], truncated: false, cursor: null });
    const tampered = Buffer.from(JSON.stringify({ pk: 'x', sk: 'y' })).toString('base64url');
    expect((await rejectedBy(ValidationError, () => settlementRuns({ settlements }, platformFinance, { cursor: tampered }))).details).toEqual({ path: 'cursor', rule: 'cursor' });
  });

  it('lists as many of the latest runs as asked for, up to 62', async () => {
    const latestTwo = await settlementRuns({ settlements: await store() }, platformFinance, { to: '2026-12-01', limit: 2 });
    expect([latestTwo.truncated, latestTwo.runs.map((r) => r.businessDate)]).toEqual([true, ['2026-11-30', '2026-12-01']]);
    const all = await settlementRuns({ settlements: await store() }, platformFinance, { limit: 4 });
    expect([all.truncated, all.runs.length]).toEqual([false, 3]);
    for (const limit of [0, 63, 1.5]) {
      const error = await rejectedBy(ValidationError, () => settlementRuns({ settlements: new InMemorySettlementStore() }, platformFinance, { limit }));
      expect(error.details, String(limit)).toMatchObject({ path: 'limit', rule: 'runs-per-answer' });
    }
  });

  it('refuses a range that ends before it starts, naming the field', async () => {
    const error = await rejectedBy(ValidationError, () => settlementRuns({ settlements: new InMemorySettlementStore() }, platformFinance, { from: '2026-12-01', to: '2026-11-30' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ path: 'from', rule: 'from-not-after-to' });
  });
});
