import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { actOnBreak, decideAdjustment, decisionKey, formatAdjustment, formatBreak, proposeAdjustmentFile } from '../../../../infra/cli/adjustments.ts';
import { fakeApi } from '../../../support/fake-api.ts';

const dir = mkdtempSync(join(tmpdir(), 'colend-adjustment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const API = 'https://api.colend.test';
const adjustment = {
  adjustmentId: 'ADJ-1',
  lenderId: 'BANK-A',
  counterparty: 'ESCROW',
  component: 'INTEREST',
  direction: 'COUNTERPARTY_OWES_LENDER',
  amountMinor: '1234',
  currency: 'CNY',
  proposedBy: 'finance-maker',
  state: 'PROPOSED',
  approval: null,
  rejection: null,
};

describe('colend adjustment', () => {
  it('proposes the file as it is, with a key of its adjustment id and what it says', async () => {
    const file = join(dir, 'adj-1.json');
    const body = { adjustmentId: 'ADJ-1', loanId: 'LN-1', lenderId: 'BANK-A', counterparty: 'ESCROW', currency: 'CNY', component: 'INTEREST', direction: 'COUNTERPARTY_OWES_LENDER', amountMinor: '1234', reason: 'Short' };
    writeFileSync(file, JSON.stringify(body));
    const api = fakeApi(201, adjustment);
    const answer = await proposeAdjustmentFile({ apiUrl: API, token: 't', fetch: api.fetch, file });
    expect(api.calls).toEqual([{ url: `${API}/v1/adjustments`, method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json', 'idempotency-key': decisionKey('proposal', 'ADJ-1', body) }, body }]);
    expect(formatAdjustment(answer)).toEqual(['PROPOSED ADJ-1: ESCROW owes BANK-A 1234 CNY minor units of INTEREST, proposed by finance-maker']);
  });

  it('approves with a key of the adjustment and the reason, and prints the entry booked', async () => {
    const api = fakeApi(200, { ...adjustment, state: 'APPROVED', approval: { by: 'finance-checker', entryId: 'ADJUSTMENT#ADJ-1', bookedOn: '2026-12-03' } });
    const answer = await decideAdjustment({ apiUrl: API, token: 't', fetch: api.fetch, adjustmentId: 'ADJ-1', decision: 'approval', reason: 'Agreed' });
    expect(api.calls[0]).toMatchObject({ url: `${API}/v1/adjustments/ADJ-1/approval`, method: 'POST', body: { reason: 'Agreed' }, headers: { 'idempotency-key': decisionKey('approval', 'ADJ-1', { reason: 'Agreed' }) } });
    expect(decisionKey('approval', 'ADJ-1', { reason: 'Agreed' })).toMatch(/^approval:ADJ-1:[0-9a-f]{32}$/);
    expect(decisionKey('approval', 'ADJ-1', { reason: 'Other' })).not.toBe(decisionKey('approval', 'ADJ-1', { reason: 'Agreed' }));
    expect(formatAdjustment(answer)).toEqual([
      'APPROVED ADJ-1: ESCROW owes BANK-A 1234 CNY minor units of INTEREST, proposed by finance-maker; approved by finance-checker, booked as ADJUSTMENT#ADJ-1 on 2026-12-03',
    ]);
  });

  it('prints a withdrawal and a refusal with its code', async () => {
    const withdrawn = { status: 200, replayed: false, body: { ...adjustment, lenderId: 'BANK-A', counterparty: 'BANK-B', direction: 'LENDER_OWES_COUNTERPARTY', state: 'REJECTED', rejection: { by: 'finance-maker', reason: 'Wrong loan', withdrawn: true } } };
    expect(formatAdjustment(withdrawn)).toEqual(['WITHDRAWN ADJ-1: BANK-A owes BANK-B 1234 CNY minor units of INTEREST, proposed by finance-maker; by finance-maker: Wrong loan']);
    const refused = await decideAdjustment({ apiUrl: API, token: 't', fetch: fakeApi(409, { code: 'MAKER_CANNOT_APPROVE', message: 'another finance user must approve it', details: {} }).fetch, adjustmentId: 'ADJ-1', decision: 'approval', reason: 'Mine' });
    expect(formatAdjustment(refused)).toEqual(['REFUSED 409 MAKER_CANNOT_APPROVE: another finance user must approve it']);
  });
});

describe('colend break', () => {
  it('accepts with its reason and prints the break after it', async () => {
    const api = fakeApi(200, { breakId: 'BK-1', state: 'ACCEPTED', owner: null, kind: 'AMOUNT_MISMATCH', component: 'INTEREST', differenceMinor: '-150', currency: 'CNY' });
    const answer = await actOnBreak({ apiUrl: API, token: 't', fetch: api.fetch, breakId: 'BK-1', action: 'ACCEPT', reason: 'Rounding at the bank' });
    expect(api.calls[0]).toMatchObject({ url: `${API}/v1/breaks/BK-1/actions`, body: { action: 'ACCEPT', reason: 'Rounding at the bank' } });
    expect(formatBreak(answer)).toEqual(['ACCEPTED BK-1 (AMOUNT_MISMATCH INTEREST, difference -150 CNY minor units)']);
  });

  it('investigates for an owner and prints each field a refusal names', async () => {
    const api = fakeApi(200, { breakId: 'BK-1', state: 'INVESTIGATING', owner: 'desk', kind: 'DUPLICATE', component: '', differenceMinor: '0', currency: 'CNY' });
    expect(formatBreak(await actOnBreak({ apiUrl: API, token: 't', fetch: api.fetch, breakId: 'BK-1', action: 'INVESTIGATE', owner: 'desk' }))).toEqual(['INVESTIGATING BK-1 (DUPLICATE, difference 0 CNY minor units), owned by desk']);
    expect(api.calls[0]?.body).toEqual({ action: 'INVESTIGATE', owner: 'desk' });
    const refused = { status: 400, replayed: false, body: { code: 'VALIDATION_FAILED', message: 'accepting a break without money moving needs a reason', details: { path: 'reason', issues: [] } } };
    expect(formatBreak(refused)).toEqual(['REFUSED 400 VALIDATION_FAILED: accepting a break without money moving needs a reason']);
  });
});
