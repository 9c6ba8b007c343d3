import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, token } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, loanBody, post, uniqueKey, type World } from './support/world.ts';

afterEach(expectLedgerBalanced);

let w: World;
beforeAll(async () => {
  w = await createWorld();
});

const send = (path: string, tokenValue: string, body: unknown, key?: string) =>
  api(path, { method: 'POST', token: tokenValue, body, headers: key === undefined ? {} : { 'idempotency-key': key } });

/** One rule for every write (docs/architecture.md, Requests), through the local stack: the writes keyed by a business id included. */
describe('Idempotency-Key on the writes of a loan', () => {
  it('a transfer repeated with its key answers its first answer, 201 and the same bytes, marked as replayed; another body is 422; no key is 400', async () => {
    const loanId = `IK-${w.suffix}-TR`;
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId))).status).toBe(201);
    const body = { transferId: `IKT-${w.suffix}`, fromLenderId: w.lead, toLenderId: w.bankA, principalMinor: '100', valueDate: '2026-11-10' };
    const key = uniqueKey('transfer');
    const first = await send(`/v1/loans/${loanId}/transfers`, w.tokens.lead, body, key);
    expect([first.status, first.headers.get('idempotent-replayed')]).toEqual([201, null]);
    expect((first.json as { status: string }).status).toBe('BOOKED');
    const again = await send(`/v1/loans/${loanId}/transfers`, w.tokens.lead, body, key);
    expect([again.status, again.headers.get('idempotent-replayed'), again.text]).toEqual([201, 'true', first.text]);
    const other = await send(`/v1/loans/${loanId}/transfers`, w.tokens.lead, { ...body, principalMinor: '101' }, key);
    expect([other.status, (other.json as { code: string }).code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const none = await send(`/v1/loans/${loanId}/transfers`, w.tokens.lead, body);
    expect([none.status, (none.json as { code: string }).code]).toEqual([400, 'IDEMPOTENCY_KEY_REQUIRED']);
    // The business id still books once: the same transfer under a new key is answered REPLAYED, booking nothing more.
    const newKey = await send(`/v1/loans/${loanId}/transfers`, w.tokens.lead, body, uniqueKey('transfer'));
    expect([newKey.status, (newKey.json as { status: string }).status]).toEqual([200, 'REPLAYED']);
  });

  it('a repayment repeated with its key answers the first booking, and a reversal likewise', async () => {
    const loanId = `IK-${w.suffix}-RP`;
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId))).status).toBe(201);
    const repayment = { repaymentId: `IKR-${w.suffix}`, loanId, amountMinor: '100', currency: 'CNY', valueDate: '2026-11-10', channel: 'BANK_TRANSFER' };
    const key = uniqueKey('repay');
    const first = await send('/v1/repayments', w.tokens.lead, { repayments: [repayment] }, key);
    expect((first.json as { results: { status: string }[] }).results[0]?.status).toBe('BOOKED');
    const again = await send('/v1/repayments', w.tokens.lead, { repayments: [repayment] }, key);
    expect([again.status, again.headers.get('idempotent-replayed'), again.text]).toEqual([200, 'true', first.text]);
    const reversal = { reversalId: `IKV-${w.suffix}`, reason: 'MISTAKEN' };
    const reverseKey = uniqueKey('reverse');
    const reversed = await send(`/v1/repayments/${repayment.repaymentId}/reversal`, w.tokens.lead, reversal, reverseKey);
    expect((reversed.json as { status: string }).status).toBe('REVERSED');
    const reversedAgain = await send(`/v1/repayments/${repayment.repaymentId}/reversal`, w.tokens.lead, reversal, reverseKey);
    expect([reversedAgain.status, reversedAgain.headers.get('idempotent-replayed'), reversedAgain.text]).toEqual([200, 'true', reversed.text]);
  });

  it('two users of one console client never share a key: each gets its own answer', async () => {
    const wang = await token({ scopes: ['lead'], username: 'ops.wang' });
    const li = await token({ scopes: ['lead'], username: 'ops.li' });
    const key = uniqueKey('shared');
    const byWang = await post('/v1/loans', wang, loanBody(w, `IK-${w.suffix}-WANG`), key);
    const byLi = await post('/v1/loans', li, loanBody(w, `IK-${w.suffix}-LI`), key);
    expect([byWang.status, byLi.status, byLi.headers.get('idempotent-replayed')]).toEqual([201, 201, null]);
    expect([(byWang.json as { loanId: string }).loanId, (byLi.json as { loanId: string }).loanId]).toEqual([`IK-${w.suffix}-WANG`, `IK-${w.suffix}-LI`]);
  });

  describe('two requests under one key at the same instant', () => {
    type Answer = { results?: { repaymentId: string; status: string }[]; code?: string };
    const repaymentOf = (loanId: string, repaymentId: string) => ({ repaymentId, loanId, amountMinor: '100', currency: 'CNY', valueDate: '2026-11-10', channel: 'BANK_TRANSFER' });
    const bookedOn = async (loanId: string) =>
      (await api<{ repayments: { repaymentId: string }[] }>(`/v1/loans/${loanId}/repayments`, { token: w.tokens.lead })).json.repayments.map((r) => r.repaymentId);

    it('with different bodies: one books and answers 200, the other is refused with 422 and books nothing', async () => {
      for (let pair = 0; pair < 4; pair++) {
        const loanId = `IK-${w.suffix}-C${pair}`;
        expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId))).status).toBe(201);
        const key = uniqueKey('concurrent');
        const ids = [`IKC-${w.suffix}-${pair}-A`, `IKC-${w.suffix}-${pair}-B`];
        const answers = await Promise.all(ids.map((id) => send('/v1/repayments', w.tokens.lead, { repayments: [repaymentOf(loanId, id)] }, key)));
        const won = answers.findIndex((a) => a.status === 200);
        const lost = 1 - won;
        expect(answers.map((a) => a.status).sort()).toEqual([200, 422]);
        expect((answers[won]?.json as Answer).results).toEqual([expect.objectContaining({ repaymentId: ids[won], status: 'BOOKED' })]);
        expect((answers[lost]?.json as Answer).code).toBe('IDEMPOTENCY_KEY_REUSED');
        expect(await bookedOn(loanId)).toEqual([ids[won]]);
        expect((await api(`/v1/repayments/${ids[lost]}`, { token: w.tokens.lead })).status).toBe(404);
        // The key answers the winner's request, byte for byte, and still refuses the other.
        const again = await send('/v1/repayments', w.tokens.lead, { repayments: [repaymentOf(loanId, ids[won] as string)] }, key);
        expect([again.status, again.headers.get('idempotent-replayed'), again.text]).toEqual([200, 'true', answers[won]?.text]);
        expect((await send('/v1/repayments', w.tokens.lead, { repayments: [repaymentOf(loanId, ids[lost] as string)] }, key)).status).toBe(422);
      }
    });

    it('with the same body: it books once; the other is its replay, or 409 REQUEST_IN_PROGRESS with Retry-After and then its replay', async () => {
      for (let pair = 0; pair < 4; pair++) {
        const loanId = `IK-${w.suffix}-S${pair}`;
        expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId))).status).toBe(201);
        const key = uniqueKey('concurrent');
        const body = { repayments: [repaymentOf(loanId, `IKS-${w.suffix}-${pair}`)] };
        const answers = await Promise.all([0, 1].map(() => send('/v1/repayments', w.tokens.lead, body, key)));
        const first = answers.find((a) => a.status === 200 && a.headers.get('idempotent-replayed') === null);
        expect(first, answers.map((a) => `${a.status} ${a.text}`).join('\n')).toBeDefined();
        expect((first?.json as Answer).results?.[0]?.status).toBe('BOOKED');
        const other = answers.find((a) => a !== first);
        if (other?.status === 409) {
          expect([(other.json as Answer).code, other.headers.get('retry-after')]).toEqual(['REQUEST_IN_PROGRESS', '1']);
        } else {
          expect([other?.status, other?.headers.get('idempotent-replayed'), other?.text]).toEqual([200, 'true', first?.text]);
        }
        const retried = await send('/v1/repayments', w.tokens.lead, body, key);
        expect([retried.status, retried.headers.get('idempotent-replayed'), retried.text]).toEqual([200, 'true', first?.text]);
        expect(await bookedOn(loanId)).toEqual([`IKS-${w.suffix}-${pair}`]);
      }
    });

  });
});
