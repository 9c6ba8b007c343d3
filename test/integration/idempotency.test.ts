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
});
