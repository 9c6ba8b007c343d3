import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, lenderBody, loanBody, post, programBody, uniqueKey, type World } from './support/world.ts';

afterEach(expectLedgerBalanced);

let w: World;

beforeAll(async () => {
  w = await createWorld();
});

describe('programs', () => {
  it('a new version never changes an old one, nor a loan booked under it', async () => {
    const loanId = `PV-${w.suffix}-1`;
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId))).status).toBe(201);
    const v2 = await post('/v1/programs', w.tokens.lead, programBody(w, { name: 'Version two', borrowerRateRange: { min: '0.07', max: '0.18' } }));
    expect(v2.status).toBe(201);
    expect((v2.json as { version: number }).version).toBe(2);

    const v1 = (await api(`/v1/programs/${w.programId}?version=1`, { token: w.tokens.lead })).json as { version: number; name: string; borrowerRateRange: { min: string } };
    expect([v1.version, v1.name, v1.borrowerRateRange.min]).toEqual([1, 'Integration program', '0.05']);
    const latest = (await api(`/v1/programs/${w.programId}`, { token: w.tokens.lead })).json as { version: number; name: string };
    expect([latest.version, latest.name]).toEqual([2, 'Version two']);

    const loan = (await api(`/v1/loans/${loanId}`, { token: w.tokens.lead })).json as { programVersion: number; terms: { borrowerRateRange: { min: string } } };
    expect(loan.programVersion).toBe(1);
    expect(loan.terms.borrowerRateRange.min).toBe('0.05');

    // The rate 0.06 was allowed by version 1 but is not by version 2.
    const refused = await post('/v1/loans', w.tokens.lead, loanBody(w, `PV-${w.suffix}-2`, { annualRate: '0.06' }));
    expect(refused.status).toBe(422);
    expect((refused.json as { code: string; details: { path: string } }).code).toBe('RATE_OUT_OF_RANGE');
    const pinned = await post('/v1/loans', w.tokens.lead, loanBody(w, `PV-${w.suffix}-3`, { annualRate: '0.06', programVersion: 1 }));
    expect(pinned.status).toBe(201);
  });

  it('under CN-2021 a partner target share below 30% is refused, naming the rule', async () => {
    const res = await post(
      '/v1/programs',
      w.tokens.lead,
      programBody(
        { ...w, programId: `LOW_${w.suffix}` },
        {
          participants: [
            { lenderId: w.lead, role: 'LEAD', targetShareBps: 5500 },
            { lenderId: w.bankA, role: 'PARTNER', targetShareBps: 2500 },
            { lenderId: w.bankB, role: 'PARTNER', targetShareBps: 2000 },
          ],
        },
      ),
    );
    expect(res.status).toBe(422);
    const error = res.json as { code: string; message: string; details: Record<string, unknown> };
    expect(error.code).toBe('PARTNER_MIN_SHARE');
    expect(error.details).toMatchObject({ path: 'participants.1.targetShareBps', rule: 'PARTNER_MIN_SHARE', profile: 'CN-2021', minimumBps: 3000, actualBps: 2500 });
    expect(error.message).toContain('30%');
    expect((await api(`/v1/programs/LOW_${w.suffix}`, { token: w.tokens.lead })).status).toBe(404);
  });

  it('a lender registered twice under another key is refused; the first record stays', async () => {
    const id = `DUP_${w.suffix}`;
    expect((await post('/v1/lenders', w.tokens.lead, lenderBody(id, ['PARTNER']))).status).toBe(201);
    const again = await post('/v1/lenders', w.tokens.lead, lenderBody(id, ['PARTNER'], { name: 'Someone else' }), uniqueKey('dup'));
    expect(again.status).toBe(409);
    expect((again.json as { code: string }).code).toBe('LENDER_EXISTS');
    expect(((await api(`/v1/lenders/${id}`, { token: w.tokens.lead })).json as { name: string }).name).toBe(`Lender ${id}`);
  });

  it('serves an OpenAPI 3.1 document generated from the request schemas', async () => {
    const res = await api('/v1/openapi.json', {});
    expect(res.status).toBe(200);
    const doc = res.json as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> };
    expect(doc.openapi).toBe('3.1.0');
    const loanSchema = doc.paths['/v1/loans']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(loanSchema?.properties ?? {})).toContain('fundingPlan');
  });

  it("refuses over HTTP a disbursement and a value date before the program's start, and shows the start", async () => {
    const programId = `START_${w.suffix}`;
    expect((await post('/v1/programs', w.tokens.lead, programBody({ ...w, programId }, { startDate: '2026-06-01' }))).status).toBe(201);
    const program = (await api(`/v1/programs/${programId}`, { token: w.tokens.lead })).json as { startDate: string };
    expect(program.startDate).toBe('2026-06-01');

    const early = await post('/v1/loans', w.tokens.lead, loanBody({ ...w, programId }, `ST-${w.suffix}-0`, { disbursementDate: '2026-05-31' }));
    expect(early.status).toBe(400);
    expect(early.json).toMatchObject({
      code: 'DATE_OUT_OF_WINDOW',
      details: { path: 'disbursementDate', field: 'disbursementDate', rule: 'program-start', from: '2026-06-01' },
    });
    const loanId = `ST-${w.suffix}-1`;
    expect((await post('/v1/loans', w.tokens.lead, loanBody({ ...w, programId }, loanId, { disbursementDate: '2026-06-01' }))).status).toBe(201);
    const repayment = { repaymentId: `STR-${w.suffix}-1`, loanId, amountMinor: '1000', currency: 'CNY', valueDate: '2026-05-31', channel: 'BANK_TRANSFER' };
    const answer = await post('/v1/repayments', w.tokens.lead, { repayments: [repayment] });
    expect(answer.status).toBe(200);
    expect((answer.json as { results: unknown[] }).results).toMatchObject([
      { status: 'REFUSED', error: { code: 'DATE_OUT_OF_WINDOW', details: { path: 'valueDate', field: 'valueDate', rule: 'program-start', from: '2026-06-01' } } },
    ]);
    const write = await post(`/v1/loans/${loanId}/write-off`, w.tokens.lead, { writeOffId: `STW-${w.suffix}-1`, valueDate: '2026-05-31', reason: 'Fraud confirmed' });
    expect([write.status, (write.json as { code: string }).code]).toEqual([400, 'DATE_OUT_OF_WINDOW']);
  });
});
