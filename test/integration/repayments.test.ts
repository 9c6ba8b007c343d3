import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../../shared/adapters/dynamodb/codec.ts';
import { foldRepayments } from '../../shared/domain/loan-account.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import { api } from './support/stack.ts';
import { allJournalEntries, createWorld, expectLedgerBalanced, loanBody, post, uniqueKey, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await createWorld();
});

afterEach(expectLedgerBalanced);

interface View {
  repaymentId: string;
  loanId: string;
  valueDate: string;
  amountMinor: string;
  entryId: string;
  generation: number;
  split: { lenders: { lenderId: string; principalMinor: string; interestMinor: string; penaltyMinor: string; feeMinor: string; spreadMinor: string }[]; suspenseMinor: string };
  rebooked: string[];
  reversal: { reversalId: string; entryId: string } | null;
}
type Answer = { repaymentId: string; status: string; repayment?: View; error?: { code: string; message: string; details: Record<string, unknown> } };

/** A loan of 1,000,003 fen at 10.8% over 12 months, disbursed on 2026-01-05 (first due 2026-02-05). */
async function bookLoan(loanId: string): Promise<Loan> {
  const res = await post('/v1/loans', w.tokens.lead, loanBody(w, loanId, { disbursementDate: '2026-01-05' }));
  expect(res.status).toBe(201);
  return decode<Loan>(res.json);
}

function repayment(loanId: string, repaymentId: string, valueDate: string, amountMinor: string, extra: Record<string, unknown> = {}) {
  return { repaymentId, loanId, amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT', ...extra };
}

async function postRepayments(items: unknown[]) {
  const res = await api<{ results: Answer[] }>('/v1/repayments', { method: 'POST', headers: { 'idempotency-key': uniqueKey('w') }, token: w.tokens.lead, body: { repayments: items } });
  return res;
}

async function bookOne(item: ReturnType<typeof repayment>): Promise<Answer> {
  const res = await postRepayments([item]);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.results[0]!;
}

function entriesOfLoan(entries: Awaited<ReturnType<typeof allJournalEntries>>, loanId: string) {
  return entries.filter((e) => (e as unknown as { loanId: string }).loanId === loanId);
}

describe('POST /v1/repayments', () => {
  it('splits an on-time instalment among the lenders to the fen and books one entry', async () => {
    const loanId = `RP-${w.suffix}-1`;
    await bookLoan(loanId);
    const answer = await bookOne(repayment(loanId, `R-${w.suffix}-1`, '2026-02-05', '88289'));
    expect(answer.status).toBe('BOOKED');
    // Instalment 1: 79,289 principal + 9,000 interest (1,000,003 x 0.108 / 12), split 40/30/30.
    expect(answer.repayment!.split).toEqual({
      lenders: [
        { lenderId: w.bankA, principalMinor: '23787', interestMinor: '2700', penaltyMinor: '0', feeMinor: '0', spreadMinor: '0' },
        { lenderId: w.bankB, principalMinor: '23787', interestMinor: '2700', penaltyMinor: '0', feeMinor: '0', spreadMinor: '0' },
        { lenderId: w.lead, principalMinor: '31715', interestMinor: '3600', penaltyMinor: '0', feeMinor: '0', spreadMinor: '0' },
      ],
      suspenseMinor: '0',
      recovery: null,
    });
    expect(answer.repayment!.entryId).toBe(`REPAYMENT#R-${w.suffix}-1`);
    const account = await api<{ daysPastDue: number; lenders: { lenderId: string; outstandingPrincipalMinor: string }[] }>(`/v1/loans/${loanId}/repayments`, { token: w.tokens.lead });
    expect(account.status).toBe(200);
    expect(account.json.lenders.map(({ lenderId, outstandingPrincipalMinor }) => ({ lenderId, outstandingPrincipalMinor }))).toEqual([
      { lenderId: w.lead, outstandingPrincipalMinor: '368286' },
      { lenderId: w.bankA, outstandingPrincipalMinor: '276214' },
      { lenderId: w.bankB, outstandingPrincipalMinor: '276214' },
    ]);
  });

  it('answers a repayment delivered again with its first answer and books it once', async () => {
    const loanId = `RP-${w.suffix}-2`;
    await bookLoan(loanId);
    const item = repayment(loanId, `R-${w.suffix}-2`, '2026-02-05', '100000');
    const first = await bookOne(item);
    const again = await bookOne(item);
    expect(first.status).toBe('BOOKED');
    expect(again.status).toBe('REPLAYED');
    expect(again.repayment).toEqual(first.repayment);
    expect(first.repayment!.split.suspenseMinor).toBe('11711');
    const other = await bookOne({ ...item, amountMinor: '100001' });
    expect(other.status).toBe('REFUSED');
    expect(other.error!.code).toBe('REPAYMENT_ID_REUSED');
    expect(entriesOfLoan(await allJournalEntries(), loanId).map((e) => e.entryId).sort()).toEqual([`DISBURSEMENT#${loanId}`, `REPAYMENT#R-${w.suffix}-2`]);
  });

  it('books 50 copies of one repayment delivered at once exactly once', async () => {
    const loanId = `RP-${w.suffix}-3`;
    await bookLoan(loanId);
    const item = repayment(loanId, `R-${w.suffix}-3`, '2026-03-05', '120000');
    const answers = await Promise.all(Array.from({ length: 50 }, () => bookOne(item)));
    expect(answers.filter((a) => a.status === 'BOOKED')).toHaveLength(1);
    expect(answers.filter((a) => a.status === 'REPLAYED')).toHaveLength(49);
    for (const a of answers) expect(a.repayment).toEqual(answers[0]!.repayment);
    const entries = entriesOfLoan(await allJournalEntries(), loanId);
    expect(entries.map((e) => e.entryId).sort()).toEqual([`DISBURSEMENT#${loanId}`, `REPAYMENT#R-${w.suffix}-3`]);
  });

  // Fifty on ten value dates, five on each, sent in an order that is not theirs. Payments of one
  // date take effect in the order they land and never restate each other, so whatever the order,
  // a payment restates at most the 45 of later dates: within one transaction (docs/repayment-booking.md).
  it('books 50 different repayments on one loan delivered at once, each once, in value-date order of effect', async () => {
    const loanId = `RP-${w.suffix}-4`;
    const loan = await bookLoan(loanId);
    const dates = ['2026-02-03', '2026-02-17', '2026-03-04', '2026-03-19', '2026-04-02', '2026-04-21', '2026-05-06', '2026-05-25', '2026-06-08', '2026-06-26'];
    const items = Array.from({ length: 50 }, (_, i) => repayment(loanId, `R-${w.suffix}-4-${String(i).padStart(2, '0')}`, dates[(i * 7) % 10]!, String(3_000 + i * 7)));
    const answers = await Promise.all(items.map((item) => bookOne(item)));
    expect(answers.map((a) => a.status)).toEqual(items.map(() => 'BOOKED'));
    const state = await api<{ repayments: View[] }>(`/v1/loans/${loanId}/repayments`, { token: w.tokens.lead });
    expect(state.json.repayments).toHaveLength(50);
    // What is in effect equals the pure fold of the same payments in value-date order.
    const seqs = new Map(state.json.repayments.map((r, i) => [r.repaymentId, i + 1]));
    const { outcomes } = foldRepayments(
      loan,
      items.map((item) => ({ repaymentId: item.repaymentId, valueDate: item.valueDate, amountMinor: BigInt(item.amountMinor), kind: 'REGULAR' as const, seq: seqs.get(item.repaymentId)! })),
    );
    for (const view of state.json.repayments) {
      const expected = outcomes.get(view.repaymentId)!.split;
      expect(view.split.suspenseMinor).toBe(expected.suspenseMinor.toString());
      expect(view.split.lenders.map((l) => [l.lenderId, l.principalMinor, l.interestMinor, l.penaltyMinor])).toEqual(
        [...expected.perLender].map(([id, p]) => [id, p.principalMinor.toString(), p.interestMinor.toString(), p.penaltyMinor.toString()]),
      );
    }
    const entries = entriesOfLoan(await allJournalEntries(), loanId);
    const repaymentEntries = entries.filter((e) => e.entryId.startsWith('REPAYMENT#'));
    expect(repaymentEntries).toHaveLength(50);
  }, 120_000);

  it('books an earlier value date before the later ones and rebooks them', async () => {
    const loanId = `RP-${w.suffix}-5`;
    await bookLoan(loanId);
    const later = await bookOne(repayment(loanId, `R-${w.suffix}-5b`, '2026-03-05', '88289'));
    expect(later.status).toBe('BOOKED');
    const earlier = await bookOne(repayment(loanId, `R-${w.suffix}-5a`, '2026-02-05', '88289'));
    expect(earlier.status).toBe('BOOKED');
    expect(earlier.repayment!.rebooked).toEqual([`R-${w.suffix}-5b`]);
    const now = await api<View>(`/v1/repayments/R-${w.suffix}-5b`, { token: w.tokens.lead });
    expect(now.json.generation).toBe(1);
    expect(now.json.entryId).toBe(`REBOOK#R-${w.suffix}-5b#1`);
  });

  it('reverses a repayment with the exact negative of its booking and rebooks what follows', async () => {
    const loanId = `RP-${w.suffix}-6`;
    await bookLoan(loanId);
    await bookOne(repayment(loanId, `R-${w.suffix}-6a`, '2026-02-05', '88289'));
    await bookOne(repayment(loanId, `R-${w.suffix}-6b`, '2026-03-05', '88289'));
    const res = await api<{ status: string; repayment: View }>(`/v1/repayments/R-${w.suffix}-6a/reversal`, {
      method: 'POST',
      headers: { 'idempotency-key': uniqueKey('w') },
      token: w.tokens.lead,
      body: { reversalId: `REV-${w.suffix}-6`, reason: 'BOUNCED' },
    });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('REVERSED');
    expect(res.json.repayment.reversal!.entryId).toBe(`REVERSAL#REV-${w.suffix}-6`);
    expect(res.json.repayment.rebooked).toEqual([`R-${w.suffix}-6b`]);
    const again = await api<{ status: string }>(`/v1/repayments/R-${w.suffix}-6a/reversal`, {
      method: 'POST',
      headers: { 'idempotency-key': uniqueKey('w') },
      token: w.tokens.lead,
      body: { reversalId: `REV-${w.suffix}-6`, reason: 'BOUNCED' },
    });
    expect(again.json.status).toBe('REPLAYED');
    const entries = entriesOfLoan(await allJournalEntries(), loanId);
    const original = entries.find((e) => e.entryId === `REPAYMENT#R-${w.suffix}-6a`)!;
    const reversal = entries.find((e) => e.entryId === `REVERSAL#REV-${w.suffix}-6`)!;
    expect(reversal.legs.map((l) => [l.lenderId, l.side === 'DEBIT' ? 'CREDIT' : 'DEBIT', l.amountMinor])).toEqual(
      original.legs.map((l) => [l.lenderId, l.side, l.amountMinor]),
    );
  });

  it('refuses bad repayments with the field and the rule, and books nothing', async () => {
    const loanId = `RP-${w.suffix}-7`;
    await bookLoan(loanId);
    const before = entriesOfLoan(await allJournalEntries(), loanId).length;
    for (const [amountMinor, message] of [
      ['-100', 'must be positive'],
      ['12.5', 'must be a whole number of minor units (fen), as a string of digits'],
      ['0', 'must be positive'],
    ] as const) {
      const res = await api<{ code: string; details: { path: string } ; message: string }>('/v1/repayments', {
        method: 'POST',
        headers: { 'idempotency-key': uniqueKey('w') },
        token: w.tokens.lead,
        body: { repayments: [repayment(loanId, `R-${w.suffix}-7x`, '2026-02-05', amountMinor)] },
      });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('VALIDATION_FAILED');
      expect(res.json.details.path).toBe('repayments.0.amountMinor');
      expect(res.json.message).toBe(`repayments.0.amountMinor: ${message}`);
    }
    const refused = await postRepayments([
      repayment(`NO-SUCH-${w.suffix}`, `R-${w.suffix}-7a`, '2026-02-05', '100'),
      repayment(loanId, `R-${w.suffix}-7b`, '2026-01-04', '100'),
      repayment(loanId, `R-${w.suffix}-7c`, '2026-02-05', '100', { currency: 'INR' }),
      repayment(loanId, `R-${w.suffix}-7d`, '2099-02-05', '100'),
    ]);
    expect(refused.status).toBe(200);
    expect(refused.json.results.map((r) => [r.status, r.error?.code, r.error?.details.path])).toEqual([
      ['REFUSED', 'LOAN_NOT_FOUND', 'loanId'],
      ['REFUSED', 'VALUE_DATE_BEFORE_DISBURSEMENT', 'valueDate'],
      ['REFUSED', 'CURRENCY_MISMATCH', 'currency'],
      ['REFUSED', 'VALUE_DATE_IN_FUTURE', 'valueDate'],
    ]);
    expect(entriesOfLoan(await allJournalEntries(), loanId)).toHaveLength(before);
    expect((await api(`/v1/repayments/R-${w.suffix}-7b`, { token: w.tokens.lead })).status).toBe(404);
  });

  it('shows a partner only its own part of a repayment, and an outsider nothing', async () => {
    const loanId = `RP-${w.suffix}-8`;
    await bookLoan(loanId);
    await bookOne(repayment(loanId, `R-${w.suffix}-8`, '2026-02-05', '88289'));
    const asA = await api<View>(`/v1/repayments/R-${w.suffix}-8`, { token: w.tokens.bankA });
    expect(asA.status).toBe(200);
    expect(asA.json.split.lenders.map((l) => l.lenderId)).toEqual([w.bankA]);
    expect((await api(`/v1/repayments/R-${w.suffix}-8`, { token: w.tokens.outsider })).status).toBe(404);
    expect((await api(`/v1/loans/${loanId}/repayments`, { token: w.tokens.outsider })).status).toBe(404);
  });
});
