import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, loanBody, post, uniqueKey, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await createWorld();
});

afterEach(expectLedgerBalanced);

async function positionsOf(lenderId: string, tokenValue: string) {
  const res = await api(`/v1/lenders/${lenderId}/positions`, { token: tokenValue });
  expect(res.status).toBe(200);
  return res.json as { positions: { loanId: string; outstandingPrincipalMinor: string }[]; cursor: string | null };
}

describe('POST /v1/loans', () => {
  it('books the loan, one balanced disbursement entry and each lender position', async () => {
    const loanId = `L-${w.suffix}-1`;
    const res = await post('/v1/loans', w.tokens.lead, loanBody(w, loanId));
    expect(res.status).toBe(201);
    const loan = res.json as { loanId: string; principalMinor: string; programVersion: number; status: string; fundingPlan: { lenderId: string; amountMinor: string; role: string }[] };
    expect(loan.loanId).toBe(loanId);
    expect(loan.principalMinor).toBe('1000003');
    expect(loan.programVersion).toBe(1);
    expect(loan.status).toBe('ACTIVE');
    expect(loan.fundingPlan).toEqual([
      { lenderId: w.lead, amountMinor: '400001', role: 'LEAD' },
      { lenderId: w.bankA, amountMinor: '300001', role: 'PARTNER' },
      { lenderId: w.bankB, amountMinor: '300001', role: 'PARTNER' },
    ]);
    const a = await positionsOf(w.bankA, w.tokens.bankA);
    expect(a.positions.find((p) => p.loanId === loanId)?.outstandingPrincipalMinor).toBe('300001');
    const lead = await positionsOf(w.lead, w.tokens.lead);
    expect(lead.positions.find((p) => p.loanId === loanId)?.outstandingPrincipalMinor).toBe('400001');
  });

  it('a partner reads only its own part of a loan, and nothing of a loan it has no part in', async () => {
    const loanId = `L-${w.suffix}-2`;
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId))).status).toBe(201);
    const asA = await api(`/v1/loans/${loanId}`, { token: w.tokens.bankA });
    expect(asA.status).toBe(200);
    const view = asA.json as { fundingPlan: { lenderId: string }[]; terms: { participants: { lenderId: string }[] } };
    expect(view.fundingPlan.map((p) => p.lenderId)).toEqual([w.bankA]);
    expect(view.terms.participants.map((p) => p.lenderId)).toEqual([w.bankA]);
    const asOutsider = await api(`/v1/loans/${loanId}`, { token: w.tokens.outsider });
    expect(asOutsider.status).toBe(404);
    expect((asOutsider.json as { code: string }).code).toBe('NOT_FOUND');
    expect((await api(`/v1/lenders/${w.bankA}/positions`, { token: w.tokens.bankB })).status).toBe(404);
    expect((await api(`/v1/lenders/${w.bankA}`, { token: w.tokens.outsider })).status).toBe(404);
  });

  it('20 identical requests with one key, one after another, book one loan', async () => {
    const loanId = `L-${w.suffix}-SEQ`;
    const key = uniqueKey('seq');
    const bodies = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await post('/v1/loans', w.tokens.lead, loanBody(w, loanId), key);
      expect(res.status).toBe(201);
      bodies.add(res.text);
    }
    expect(bodies.size).toBe(1);
    const a = await positionsOf(w.bankA, w.tokens.bankA);
    expect(a.positions.filter((p) => p.loanId === loanId)).toHaveLength(1);
  });

  it('20 identical requests with one key at once book one loan', async () => {
    const loanId = `L-${w.suffix}-PAR`;
    const key = uniqueKey('par');
    const results = await Promise.all(Array.from({ length: 20 }, () => post('/v1/loans', w.tokens.lead, loanBody(w, loanId), key)));
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 201));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    const b = await positionsOf(w.bankB, w.tokens.bankB);
    expect(b.positions.filter((p) => p.loanId === loanId).map((p) => p.outstandingPrincipalMinor)).toEqual(['300001']);
  });

  it('the same key with another body is refused and changes nothing', async () => {
    const loanId = `L-${w.suffix}-KEY`;
    const key = uniqueKey('reuse');
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId), key)).status).toBe(201);
    const other = await post('/v1/loans', w.tokens.lead, loanBody(w, `${loanId}-OTHER`), key);
    expect(other.status).toBe(422);
    expect((other.json as { code: string }).code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await api(`/v1/loans/${loanId}-OTHER`, { token: w.tokens.lead })).status).toBe(404);
  });

  it('the same loan id under another key is refused as already booked', async () => {
    const loanId = `L-${w.suffix}-DUP`;
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId))).status).toBe(201);
    const again = await post('/v1/loans', w.tokens.lead, loanBody(w, loanId));
    expect(again.status).toBe(409);
    expect((again.json as { code: string }).code).toBe('LOAN_EXISTS');
  });

  describe('refuses bad input with a clear error and books nothing', () => {
    const cases: [string, (w: World, loanId: string) => { body?: unknown; raw?: string }, number, string, string?][] = [
      ['bad JSON', () => ({ raw: '{"loanId": ' }), 400, 'MALFORMED_JSON', 'body'],
      ['a wrong type', (w, id) => ({ body: loanBody(w, id, { termMonths: '12' }) }), 400, 'VALIDATION_FAILED', 'termMonths'],
      ['an unknown field', (w, id) => ({ body: loanBody(w, id, { colour: 'red' }) }), 400, 'VALIDATION_FAILED', ''],
      ['negative fen', (w, id) => ({ body: loanBody(w, id, { principalMinor: '-1000003' }) }), 400, 'VALIDATION_FAILED', 'principalMinor'],
      ['fractional fen', (w, id) => ({ body: loanBody(w, id, { principalMinor: '1000003.5' }) }), 400, 'VALIDATION_FAILED', 'principalMinor'],
      ['a fractional JSON number', (w, id) => ({ body: loanBody(w, id, { principalMinor: 1000003.5 }) }), 400, 'VALIDATION_FAILED', 'principalMinor'],
      [
        'an unknown lender',
        (w, id) => ({ body: loanBody(w, id, { fundingPlan: [{ lenderId: w.lead, amountMinor: '400001' }, { lenderId: 'NOBODY_HERE', amountMinor: '600002' }] }) }),
        422,
        'UNKNOWN_LENDER',
        'fundingPlan.1.lenderId',
      ],
      [
        'a plan that does not sum to the principal',
        (w, id) => ({ body: loanBody(w, id, { principalMinor: '1000004' }) }),
        422,
        'PLAN_SUM_MISMATCH',
        'fundingPlan',
      ],
      [
        'a partner below 30% under CN-2021',
        (w, id) => ({
          body: loanBody(w, id, {
            fundingPlan: [
              { lenderId: w.lead, amountMinor: '400001' },
              { lenderId: w.bankA, amountMinor: '299999' },
              { lenderId: w.bankB, amountMinor: '300003' },
            ],
          }),
        }),
        422,
        'PARTNER_MIN_SHARE',
        'fundingPlan.1.amountMinor',
      ],
      ['an oversized body', (w, id) => ({ body: loanBody(w, id, { disbursementReference: 'x'.repeat(300 * 1024) }) }), 413, 'PAYLOAD_TOO_LARGE'],
    ];
    it.each(cases)('%s', async (_label, build, status, code, path) => {
      const loanId = `L-${w.suffix}-BAD-${code}-${path ?? ''}`.slice(0, 60).replace(/[^A-Za-z0-9_.:-]/g, '-');
      const { body, raw } = build(w, loanId);
      const res = await api('/v1/loans', { method: 'POST', token: w.tokens.lead, body: raw ?? body, raw: raw !== undefined, headers: { 'idempotency-key': uniqueKey('bad') } });
      expect(res.status).toBe(status);
      const error = res.json as { code: string; message: string; details: { path?: string } };
      expect(error.code).toBe(code);
      expect(error.message.length).toBeGreaterThan(0);
      if (path !== undefined && path !== '') expect(error.details.path).toBe(path);
      expect((await api(`/v1/loans/${loanId}`, { token: w.tokens.lead })).status).toBe(404);
    });
  });

  it('a write without an Idempotency-Key is refused', async () => {
    const res = await api('/v1/loans', { method: 'POST', token: w.tokens.lead, body: loanBody(w, `L-${w.suffix}-NOKEY`) });
    expect(res.status).toBe(400);
    expect((res.json as { code: string }).code).toBe('IDEMPOTENCY_KEY_REQUIRED');
  });
});
