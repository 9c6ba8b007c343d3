import { randomInt, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityCheckCharacter } from '../../shared/domain/personal-data.ts';
import { applicationBody } from './support/review.ts';
import { api } from './support/stack.ts';
import { createWorld, loanBody, post, type World } from './support/world.ts';

/**
 * One person the lead knows under two borrower ids (two channels), matched on the keyed hash of
 * its identity number (docs/personal-data.md, matching one person): the caps count both, and the
 * lookup finds both, through the local stack's API.
 */

const digits = (n: number): string => Array.from({ length: n }, () => String(randomInt(10))).join('');
const identityNumber = (): string => {
  const first17 = `440305${1960 + randomInt(40)}0${1 + randomInt(9)}1${randomInt(10)}${digits(3)}`;
  return `${first17}${identityCheckCharacter(first17)}`;
};

let w: World;
const run = randomUUID().slice(0, 8);
const NUMBER = identityNumber();
const APP_ID = `BRW-APP-${run}`;
const WEB_ID = `BRW-WEB-${run}`;
const borrower = (borrowerId: string) => ({ borrowerId, type: 'INDIVIDUAL', region: 'CN-31', personalData: { identityNumber: NUMBER } });
/** A loan of `principal` fen: each partner 30% rounded up (its floor), the lead the rest (at most its 40%). */
const loanOf = (loanId: string, borrowerId: string, principal: bigint) => {
  const partner = (principal * 3n + 9n) / 10n;
  return loanBody(w, loanId, {
    borrower: borrower(borrowerId),
    principalMinor: String(principal),
    fundingPlan: [
      { lenderId: w.lead, amountMinor: String(principal - 2n * partner) },
      { lenderId: w.bankA, amountMinor: String(partner) },
      { lenderId: w.bankB, amountMinor: String(partner) },
    ],
  });
};
const lookup = (token: string, body: unknown) => api('/v1/borrower-lookups', { method: 'POST', token, body });

interface Lookup {
  borrowerIds: string[];
  loans: { loanId: string; borrowerId: string; programId: string; state: string; principalMinor: string; principalOutstandingMinor: string }[];
  applications: { applicationId: string; borrowerId: string; state: string; amountMinor: string }[];
  cursor: string | null;
}

beforeAll(async () => {
  w = await createWorld();
}, 60_000);

describe('one person under two borrower ids', () => {
  it("holds the second id's booking and application to the person's unsecured cap, RMB 200,000.00 over both ids", async () => {
    const first = await post('/v1/loans', w.tokens.lead, loanOf(`LN-P1-${run}`, APP_ID, 15_000_000n));
    expect(first.status, first.text).toBe(201);
    const over = await post('/v1/loans', w.tokens.lead, loanOf(`LN-P2-${run}`, WEB_ID, 5_000_001n));
    expect(over.status, over.text).toBe(422);
    expect(over.json).toMatchObject({ code: 'UNSECURED_PERSONAL_CAP', details: { existingMinor: '15000000', requestedMinor: '5000001', totalMinor: '20000001', capMinor: '20000000', borrowerIds: [WEB_ID, APP_ID] } });
    expect(over.text).not.toContain(NUMBER);
    const app = await post('/v1/applications', w.tokens.lead, applicationBody(w.programId, `APP-P1-${run}`, { borrower: borrower(WEB_ID), amountMinor: '5000001' }));
    expect(app.status, app.text).toBe(422);
    expect(app.json).toMatchObject({ code: 'UNSECURED_PERSONAL_CAP', details: { existingMinor: '15000000', requestedMinor: '5000001', borrowerIds: [WEB_ID, APP_ID] } });
    // To the fen: what is left is booked, and taken as an application.
    const fits = await post('/v1/loans', w.tokens.lead, loanOf(`LN-P2-${run}`, WEB_ID, 4_000_000n));
    expect(fits.status, fits.text).toBe(201);
    const taken = await post('/v1/applications', w.tokens.lead, applicationBody(w.programId, `APP-P2-${run}`, { borrower: borrower(WEB_ID), amountMinor: '1000000' }));
    expect(taken.status, taken.text).toBe(202);
    // The cap reached to the fen; then the id alone, without the number, is still the person: it was booked as one.
    const full = await post('/v1/loans', w.tokens.lead, loanOf(`LN-P3-${run}`, WEB_ID, 1_000_000n));
    expect(full.status, full.text).toBe(201);
    const past = await post('/v1/loans', w.tokens.lead, { ...loanOf(`LN-P4-${run}`, WEB_ID, 100_000n), borrower: { borrowerId: WEB_ID, type: 'INDIVIDUAL', region: 'CN-31' } });
    expect(past.status, past.text).toBe(422);
    expect(past.json).toMatchObject({ code: 'UNSECURED_PERSONAL_CAP', details: { existingMinor: '20000000', requestedMinor: '100000', borrowerIds: [WEB_ID, APP_ID] } });
  }, 60_000);

  it('finds both ids, their loans and their application for lead operations, a page at a time', async () => {
    const res = await lookup(w.tokens.lead, { identityNumber: NUMBER });
    expect(res.status, res.text).toBe(200);
    const found = res.json as Lookup;
    expect(found.borrowerIds).toEqual([APP_ID, WEB_ID].sort());
    expect(found.applications).toEqual([{ applicationId: `APP-P2-${run}`, borrowerId: WEB_ID, programId: w.programId, programVersion: 1, state: expect.any(String), amountMinor: '1000000', loanId: null }]);
    expect(found.loans.map((l) => [l.loanId, l.borrowerId, l.state, l.principalMinor, l.principalOutstandingMinor])).toEqual([
      [`LN-P1-${run}`, APP_ID, 'ACTIVE', '15000000', '15000000'],
      [`LN-P2-${run}`, WEB_ID, 'ACTIVE', '4000000', '4000000'],
      [`LN-P3-${run}`, WEB_ID, 'ACTIVE', '1000000', '1000000'],
    ]);
    expect(found.cursor).toBeNull();
    expect(res.text).not.toContain(NUMBER);
    const pages: Lookup[] = [];
    let cursor: string | undefined;
    do {
      const page = await lookup(w.tokens.lead, { identityNumber: NUMBER, limit: 1, ...(cursor === undefined ? {} : { cursor }) });
      expect(page.status, page.text).toBe(200);
      pages.push(page.json as Lookup);
      cursor = (page.json as Lookup).cursor ?? undefined;
    } while (cursor !== undefined && pages.length < 10);
    expect(pages.flatMap((p) => [...p.applications.map((a) => a.applicationId), ...p.loans.map((l) => l.loanId)])).toEqual([`APP-P2-${run}`, `LN-P1-${run}`, `LN-P2-${run}`, `LN-P3-${run}`]);
  });

  it('finds nobody for another number, and answers the platform finance team', async () => {
    const nobody = await lookup(w.tokens.lead, { identityNumber: identityNumber() });
    expect([nobody.status, nobody.json]).toEqual([200, { borrowerIds: [], applications: [], loans: [], cursor: null }]);
    expect((await lookup(w.tokens.finance, { identityNumber: NUMBER })).status).toBe(200);
  });

  it("refuses a partner and a partner's finance team with 403", async () => {
    // The partner's token lacks the route's scopes: refused before any function runs.
    const partner = await lookup(w.tokens.bankA, { identityNumber: NUMBER });
    expect(partner.status).toBe(403);
    const finance = await lookup(w.tokens.financeA, { identityNumber: NUMBER });
    expect([finance.status, (finance.json as { code: string }).code]).toEqual([403, 'FORBIDDEN']);
    for (const res of [partner, finance]) expect(res.text).not.toContain(NUMBER);
  });

  it('refuses a bad number with 400 naming the field and the rule, without echoing it, and writes nothing', async () => {
    const bad = `${NUMBER.slice(0, 17)}${NUMBER.endsWith('0') ? '1' : '0'}`;
    const before = await lookup(w.tokens.lead, { identityNumber: NUMBER });
    const res = await lookup(w.tokens.lead, { identityNumber: bad });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'VALIDATION_FAILED', details: { path: 'identityNumber', rule: 'identity-number-check-digit' } });
    expect(res.text).not.toContain(bad);
    const after = await lookup(w.tokens.lead, { identityNumber: NUMBER });
    expect(after.json).toEqual(before.json);
    const audit = await api(`/v1/audit?date=${new Date().toISOString().slice(0, 10)}&limit=100`, { token: w.tokens.lead });
    expect(audit.text).not.toContain(bad);
    expect(audit.text).not.toContain(NUMBER);
  });
});
