import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, fireSchedule } from './support/stack.ts';
import { allJournalEntries, createWorld, expectLedgerBalanced, loanBody, post, programBody, uniqueKey, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await createWorld();
});

afterEach(expectLedgerBalanced);

interface Account {
  status: string;
  risk: { asOf: string; dpd: number; classification: string; since: string } | null;
  lenders: { lenderId: string; outstandingPrincipalMinor: string }[];
  events: { type: string; eventId: string; entryId: string; legs: { lenderId: string; account: string; side: string; amountMinor: string; counterparty: string | null }[] }[];
}

/** A program of the world's lenders with extra settings, under its own id. */
async function programWith(suffix: string, extra: Record<string, unknown>): Promise<string> {
  const programId = `${w.programId}-${suffix}`;
  const res = await post('/v1/programs', w.tokens.lead, programBody({ ...w, programId }, extra));
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return programId;
}

/** 1,000,003 fen at 10.8% over 12 months, funded 400,001 / 300,001 / 300,001. */
async function bookLoan(loanId: string, programId: string, disbursementDate: string): Promise<void> {
  const res = await post('/v1/loans', w.tokens.lead, loanBody({ ...w, programId }, loanId, { disbursementDate }));
  expect(res.status, JSON.stringify(res.json)).toBe(201);
}

async function accountOf(loanId: string): Promise<Account> {
  const res = await api<Account>(`/v1/loans/${loanId}/repayments`, { token: w.tokens.lead });
  expect(res.status).toBe(200);
  return res.json;
}

async function entryIdsOf(loanId: string): Promise<string[]> {
  return (await allJournalEntries())
    .filter((e) => (e as unknown as { loanId: string }).loanId === loanId)
    .map((e) => e.entryId)
    .sort();
}

async function riskReport(businessDate: string) {
  for (let i = 0; i < 200; i++) {
    const res = await api<{ compensated: number; writtenOff: number; byClass: Record<string, number>; loans: { loanId: string; outcome: string }[] }>(`/v1/risk-updates/${businessDate}?limit=100`, { token: w.tokens.finance });
    if (res.status === 200) return res.json;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no risk update report for ${businessDate}`);
}

describe('daily risk update', () => {
  it('classifies an overdue loan and has the guarantor compensate every lender at the trigger, once', async () => {
    const programId = await programWith('G', { fees: { guarantorLenderId: w.guarantor }, lossSharing: { guaranteeTriggerDpd: 100 } });
    const loanId = `RK-${w.suffix}-1`;
    await bookLoan(loanId, programId, '2026-07-02');
    // 01:00 in Shanghai on 2026-11-29 closes 2026-11-28; the first instalment fell due on 2026-08-02,
    // 118 days before. (Another run of an earlier date, 92 days past due, compensates nothing.)
    await fireSchedule('DailyRiskUpdate', '2026-11-28T17:00:00Z');
    const report = await riskReport('2026-11-28');
    expect(report.loans).toContainEqual(expect.objectContaining({ loanId, outcome: 'COMPENSATED' }));
    expect(report.compensated).toBeGreaterThanOrEqual(1);
    const account = await accountOf(loanId);
    expect(account.status).toBe('COMPENSATED');
    expect(account.risk).toMatchObject({ asOf: '2026-11-28', dpd: 118, classification: 'SUBSTANDARD' });
    expect(['2026-11-02', '2026-11-28']).toContain(account.risk?.since);
    expect(account.lenders.map((l) => l.outstandingPrincipalMinor)).toEqual(['0', '0', '0']);
    const [compensation] = account.events;
    expect(compensation?.entryId).toBe('COMPENSATION#RISK-2026-11-28');
    // The guarantor's claim: all the principal and the interest of the four rows due by then.
    const claim = compensation!.legs.find((l) => l.account === 'GUARANTEE_RECEIVABLE');
    expect(claim).toMatchObject({ lenderId: w.guarantor, side: 'DEBIT' });
    const paidToLenders = compensation!.legs.filter((l) => l.lenderId !== w.guarantor && l.account === 'SETTLEMENT_CLEARING');
    expect(paidToLenders.map((l) => l.counterparty)).toEqual([w.guarantor, w.guarantor, w.guarantor]);
    expect(paidToLenders.reduce((s, l) => s + BigInt(l.amountMinor), 0n)).toBe(BigInt(claim!.amountMinor));

    // A date that has not come is refused before any run starts: the book stays as it is.
    const untouched = await entryIdsOf(loanId);
    for (const [businessDate, code] of [['9999-12-31', 'DATE_OUT_OF_WINDOW'], ['0000-01-01', 'VALIDATION_FAILED']] as const) {
      const refused = await post('/v1/risk-updates', w.tokens.lead, { businessDate });
      expect([refused.status, (refused.json as { code: string }).code, (refused.json as { details: { path: string } }).details.path]).toEqual([400, code, 'businessDate']);
    }
    // Outside the platform window even to read: no report of it can exist.
    expect((await api('/v1/risk-updates/9999-12-31', { token: w.tokens.finance })).status).toBe(400);
    expect(await entryIdsOf(loanId)).toEqual(untouched);

    // Run again for the same date: nothing changes.
    const before = await entryIdsOf(loanId);
    expect((await post('/v1/risk-updates', w.tokens.finance, { businessDate: '2026-11-28' })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    await riskReport('2026-11-28');
    expect(await entryIdsOf(loanId)).toEqual(before);
    // The compensation is in the audit trail once, in the execution that made it, naming the guarantor with the lenders.
    const today = new Date().toISOString().slice(0, 10);
    const listing = await api<{ items: { action: string; target: Record<string, string>; after: Record<string, unknown>; lenderIds: string[]; executionId: string | null }[] }>(`/v1/audit?date=${today}&limit=100`, { token: w.tokens.bankA });
    const records = listing.json.items.filter((r) => r.action === 'RiskUpdate.AssessShard' && r.target.loanId === loanId);
    expect(records.map((r) => [r.target, r.after, r.lenderIds])).toEqual([
      [{ loanId, businessDate: '2026-11-28' }, { classification: 'SUBSTANDARD', dpd: 118, reclassified: false, compensated: true, writtenOff: false }, [w.bankA, w.bankB, w.guarantor, w.lead].sort()],
    ]);
    expect(records[0]?.executionId).toMatch(/^arn:aws:states:[a-z0-9-]+:\d+:execution:RiskUpdateStateMachine[A-Za-z0-9]*:/);

    // A later payment recovers the guarantor's claim.
    const paid = await api<{ results: { status: string; repayment: { split: { recovery: unknown } } }[] }>('/v1/repayments', {
      method: 'POST',
      headers: { 'idempotency-key': uniqueKey('w') },
      token: w.tokens.lead,
      body: { repayments: [{ repaymentId: `RK-${w.suffix}-1-R`, loanId, amountMinor: '50000', currency: 'CNY', valueDate: '2026-11-29', channel: 'BANK_TRANSFER' }] },
    });
    expect(paid.json.results[0]?.status).toBe('BOOKED');
    expect(paid.json.results[0]?.repayment.split.recovery).toEqual({ account: 'GUARANTEE_RECEIVABLE', parties: [{ partyId: w.guarantor, amountMinor: '50000' }] });
  });
});

describe('POST /v1/loans/{loanId}/loss-events/{eventId}/reversal', () => {
  it('undoes a write-off: the mirror of its entry, each lender holding its principal again, once', async () => {
    const loanId = `LR-${w.suffix}-1`;
    await bookLoan(loanId, w.programId, '2026-03-02');
    const before = (await accountOf(loanId)).lenders.map((l) => [l.lenderId, l.outstandingPrincipalMinor]);
    const writeOffId = `LRW-${w.suffix}-1`;
    expect((await post(`/v1/loans/${loanId}/write-off`, w.tokens.lead, { writeOffId, valueDate: '2026-11-20', reason: 'Wrong loan' })).status).toBe(201);
    expect((await accountOf(loanId)).status).toBe('WRITTEN_OFF');

    const body = { reversalId: `LRV-${w.suffix}-1`, type: 'WRITE_OFF', reason: 'MISTAKEN', comment: 'written off the wrong loan' };
    const key = uniqueKey('lr');
    const res = await post(`/v1/loans/${loanId}/loss-events/${writeOffId}/reversal`, w.tokens.finance, body, key);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ status: 'REVERSED', event: { type: 'WRITE_OFF', eventId: writeOffId, reversal: { reversalId: body.reversalId, entryId: `REVERSAL#${body.reversalId}` } } });
    const account = await accountOf(loanId);
    expect(account.status).toBe('ACTIVE');
    expect(account.lenders.map((l) => [l.lenderId, l.outstandingPrincipalMinor])).toEqual(before);
    expect(await entryIdsOf(loanId)).toEqual([`DISBURSEMENT#${loanId}`, `REVERSAL#${body.reversalId}`, `WRITE_OFF#${writeOffId}`]);

    const replayed = await post(`/v1/loans/${loanId}/loss-events/${writeOffId}/reversal`, w.tokens.finance, body, key);
    expect([replayed.status, replayed.json]).toEqual([200, res.json]);
    const second = await post(`/v1/loans/${loanId}/loss-events/${writeOffId}/reversal`, w.tokens.lead, { ...body, reversalId: `LRV-${w.suffix}-2` });
    expect([second.status, (second.json as { code: string }).code]).toEqual([409, 'ALREADY_REVERSED']);
    const unknown = await post(`/v1/loans/${loanId}/loss-events/${writeOffId}/reversal`, w.tokens.lead, { ...body, type: 'COMPENSATION' });
    expect(unknown.status).toBe(404);
  });
});

describe('POST /v1/loans/{loanId}/write-off', () => {
  it('writes each lender off pro rata by what it holds, once', async () => {
    const loanId = `WO-${w.suffix}-1`;
    await bookLoan(loanId, w.programId, '2026-03-02');
    const body = { writeOffId: `WO-${w.suffix}-1`, valueDate: '2026-11-20', reason: 'Borrower deceased, no estate' };
    const res = await api<{ status: string; event: Account['events'][number] }>(`/v1/loans/${loanId}/write-off`, { method: 'POST', headers: { 'idempotency-key': uniqueKey('w') }, token: w.tokens.lead, body });
    expect(res.status).toBe(201);
    expect(res.json.event.legs.filter((l) => l.account === 'LOSSES').map((l) => [l.lenderId, l.amountMinor])).toEqual([
      [w.lead, '400001'],
      [w.bankA, '300001'],
      [w.bankB, '300001'],
    ]);
    const again = await api<{ status: string }>(`/v1/loans/${loanId}/write-off`, { method: 'POST', headers: { 'idempotency-key': uniqueKey('w') }, token: w.tokens.lead, body });
    expect(again.status).toBe(200);
    expect(again.json.status).toBe('REPLAYED');
    expect((await accountOf(loanId)).status).toBe('WRITTEN_OFF');
  });

  it("lets the lead absorb the first loss up to its cap, then shares the rest pro rata, the lead paying each partner's difference", async () => {
    const programId = await programWith('FL', { lossSharing: { method: 'LEAD_FIRST_LOSS', leadFirstLossCapBps: 1000 } });
    const loanId = `WO-${w.suffix}-2`;
    await bookLoan(loanId, programId, '2026-03-02');
    const refused = await api<{ code: string }>(`/v1/loans/${loanId}/write-off`, {
      method: 'POST',
      headers: { 'idempotency-key': uniqueKey('w') },
      token: w.tokens.lead,
      body: { writeOffId: `WO-${w.suffix}-2`, valueDate: '2026-11-20', reason: 'Fraud confirmed' },
    });
    expect(refused.status).toBe(422);
    expect(refused.json.code).toBe('FIRST_LOSS_BASE_UNKNOWN');
    // A risk update measures the program's disbursed principal: this loan's 1,000,003.
    expect((await post('/v1/risk-updates', w.tokens.finance, { businessDate: '2026-11-21' })).status).toBe(202);
    await riskReport('2026-11-21');
    const res = await api<{ event: Account['events'][number] }>(`/v1/loans/${loanId}/write-off`, {
      method: 'POST',
      headers: { 'idempotency-key': uniqueKey('w') },
      token: w.tokens.lead,
      body: { writeOffId: `WO-${w.suffix}-2`, valueDate: '2026-11-20', reason: 'Fraud confirmed' },
    });
    expect(res.status).toBe(201);
    // Cap 10% of the program's 1,000,003 disbursed = 100,000; the rest 900,003 by 400,001 : 300,001 : 300,001 gives
    // 270,001 to each partner (HALF_UP) and 360,001 to the lead, so the lead loses 460,001.
    expect(res.json.event.legs.map((l) => [l.lenderId, l.account, l.side, l.amountMinor, l.counterparty])).toEqual([
      [w.lead, 'LOSSES', 'DEBIT', '460001', null],
      [w.lead, 'PRINCIPAL_RECEIVABLE', 'CREDIT', '400001', null],
      [w.lead, 'SETTLEMENT_CLEARING', 'CREDIT', '30000', w.bankA],
      [w.lead, 'SETTLEMENT_CLEARING', 'CREDIT', '30000', w.bankB],
      [w.bankA, 'LOSSES', 'DEBIT', '270001', null],
      [w.bankA, 'SETTLEMENT_CLEARING', 'DEBIT', '30000', w.lead],
      [w.bankA, 'PRINCIPAL_RECEIVABLE', 'CREDIT', '300001', null],
      [w.bankB, 'LOSSES', 'DEBIT', '270001', null],
      [w.bankB, 'SETTLEMENT_CLEARING', 'DEBIT', '30000', w.lead],
      [w.bankB, 'PRINCIPAL_RECEIVABLE', 'CREDIT', '300001', null],
    ]);
  });
});

describe('POST /v1/loans/{loanId}/transfers', () => {
  it('moves principal from the seller to the buyer and splits later payments by the new holdings', async () => {
    const loanId = `TR-${w.suffix}-1`;
    await bookLoan(loanId, w.programId, '2026-10-02');
    const res = await api<{ status: string; event: Account['events'][number] }>(`/v1/loans/${loanId}/transfers`, {
      method: 'POST',
      headers: { 'idempotency-key': uniqueKey('w') },
      token: w.tokens.lead,
      body: { transferId: `TR-${w.suffix}-1`, fromLenderId: w.lead, toLenderId: w.bankA, principalMinor: '100000', valueDate: '2026-10-20' },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.event.legs.map((l) => [l.lenderId, l.account, l.side, l.amountMinor, l.counterparty])).toEqual([
      [w.lead, 'SETTLEMENT_CLEARING', 'DEBIT', '100000', w.bankA],
      [w.lead, 'PRINCIPAL_RECEIVABLE', 'CREDIT', '100000', null],
      [w.bankA, 'PRINCIPAL_RECEIVABLE', 'DEBIT', '100000', null],
      [w.bankA, 'SETTLEMENT_CLEARING', 'CREDIT', '100000', w.lead],
    ]);
    const account = await accountOf(loanId);
    expect(account.lenders.map((l) => [l.lenderId, l.outstandingPrincipalMinor])).toEqual([
      [w.lead, '300001'],
      [w.bankA, '400001'],
      [w.bankB, '300001'],
    ]);
    const positions = await api<{ positions: { loanId: string; outstandingPrincipalMinor: string }[] }>(`/v1/lenders/${w.bankA}/positions`, { token: w.tokens.bankA });
    expect(positions.json.positions.find((p) => p.loanId === loanId)?.outstandingPrincipalMinor).toBe('400001');
  });

  it('refuses a transfer that leaves a partner under the 30% of CN-2021, and changes nothing', async () => {
    const loanId = `TR-${w.suffix}-2`;
    await bookLoan(loanId, w.programId, '2026-10-02');
    const res = await api<{ code: string; details: { rule: string; lenderId: string; minimumBps: number } }>(`/v1/loans/${loanId}/transfers`, {
      method: 'POST',
      headers: { 'idempotency-key': uniqueKey('w') },
      token: w.tokens.lead,
      body: { transferId: uniqueKey('TR'), fromLenderId: w.bankA, toLenderId: w.lead, principalMinor: '1', valueDate: '2026-10-20' },
    });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('PARTNER_MIN_SHARE');
    expect(res.json.details).toMatchObject({ rule: 'PARTNER_MIN_SHARE', lenderId: w.bankA, minimumBps: 3000 });
    expect(await entryIdsOf(loanId)).toEqual([`DISBURSEMENT#${loanId}`]);
  });
});

describe('POST /v1/loans/{loanId}/buybacks', () => {
  interface Answer {
    status: string;
    code: string;
    details: Record<string, unknown>;
    event: { entryId: string; buyback: { price: Record<string, string> } };
  }
  const buyback = (loanId: string, body: Record<string, unknown>) => api<Answer>(`/v1/loans/${loanId}/buybacks`, { method: 'POST', headers: { 'idempotency-key': uniqueKey('w') }, token: w.tokens.lead, body });

  it("has the guarantor buy a partner's share at the program's discounted price, once, refusing what the program does not allow and a price that is not its own", async () => {
    const programId = await programWith('BB', { fees: { guarantorLenderId: w.guarantor }, buyback: { buyers: ['GUARANTOR'], price: { premiumRate: '-0.01' } } });
    const loanId = `BB-${w.suffix}-1`;
    await bookLoan(loanId, programId, '2026-10-02');
    const body = { buybackId: `BB-${w.suffix}-1`, sellerLenderId: w.bankB, buyerId: w.guarantor, valueDate: '2026-10-20' };

    const lead = await buyback(loanId, { ...body, buyerId: w.lead });
    expect([lead.status, lead.json.code, lead.json.details.path]).toEqual([422, 'BUYBACK_BUYER_NOT_ALLOWED', 'buyerId']);
    const negative = await buyback(loanId, { ...body, expectedPriceMinor: '-5' });
    expect([negative.status, negative.json.details.path]).toEqual([400, 'expectedPriceMinor']);
    // 18 days accrued on 1,000,003 at 10.8%: 5,400.02 → 5,400; bank B's 300,001 / 1,000,003 of it:
    // 1,619.996 → 1,620. Base 301,621; a 1% discount 3,016.21 → 3,016. Price 298,605.
    const mismatch = await buyback(loanId, { ...body, expectedPriceMinor: '301621' });
    expect([mismatch.status, mismatch.json.code]).toEqual([409, 'BUYBACK_PRICE_MISMATCH']);
    expect(mismatch.json.details).toMatchObject({ path: 'expectedPriceMinor', expectedPriceMinor: '301621', priceMinor: '298605', premiumMinor: '-3016' });
    expect(await entryIdsOf(loanId)).toEqual([`DISBURSEMENT#${loanId}`]);

    const booked = await buyback(loanId, { ...body, expectedPriceMinor: '298605' });
    expect(booked.status, JSON.stringify(booked.json)).toBe(201);
    expect(booked.json.event.buyback.price).toEqual({ principalMinor: '300001', interestMinor: '1620', penaltyMinor: '0', premiumMinor: '-3016', priceMinor: '298605' });
    expect((await buyback(loanId, { ...body, expectedPriceMinor: '298605' })).status).toBe(200);
    const reused = await buyback(loanId, body);
    expect([reused.status, reused.json.code]).toEqual([409, 'EVENT_ID_REUSED']);
    expect(await entryIdsOf(loanId)).toEqual([`BUYBACK#BB-${w.suffix}-1`, `DISBURSEMENT#${loanId}`]);
    const account = await accountOf(loanId);
    expect(account.lenders.map((l) => [l.lenderId, l.outstandingPrincipalMinor])).toEqual([
      [w.lead, '400001'],
      [w.bankA, '300001'],
      [w.bankB, '0'],
      [w.guarantor, '300001'],
    ]);
  });
});
