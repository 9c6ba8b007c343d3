import { describe, expect, it } from 'vitest';
import { ValidationError, NotFound } from '../../../../shared/domain/errors.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { createLenderRequest } from '../../../../shared/contracts/schemas.ts';
import { toJson } from '../../../../shared/json.ts';
import { WriteConflict } from '../../../../shared/ports/stores.ts';
import { createLender, getLender, listLenders } from '../../../../functions/lenders/use-case.ts';
import { LEAD_ID, NOW, PARTNER_A, PARTNER_B, aLeadLender, aPartnerLender, createLenderBody, defaultLenders, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, sealFor, seed } from '../../../support/in-memory-stores.ts';

const SCOPE = 'createLender#lead-ops-client#key-0001';
const SECRET = 'whsec-partner-a-0123456789abcdef0123456789';

const PAGE = { limit: 50 };

describe('createLender', () => {
  it('stores the lender stamped with the time, and its response with it', async () => {
    const stores = createInMemoryStores();
    await createLender(stores, validate(createLenderRequest, createLenderBody()), sealFor(SCOPE), NOW);
    const lender = stores.db.lenders.get(PARTNER_A);
    expect(lender).toEqual({
      lenderId: PARTNER_A,
      name: 'Partner A Bank',
      roles: ['PARTNER'],
      institutionType: 'NATIONAL_BANK',
      region: 'NATIONAL',
      currency: 'CNY',
      settlementAccount: { bankName: 'Partner A Bank', accountName: 'Partner A co-lending clearing', accountNumber: '6222000011112222' },
      limits: { exposureQuotaMinor: 100_000_000_000n, perBorrowerCapMinor: 50_000_000n, minShareBps: 0, maxShareBps: 10_000 },
      netTier1CapitalMinor: 50_000_000_000_000n,
      totalLoansMinor: 400_000_000_000_000n,
      webhook: null,
      createdAt: NOW,
    });
    const record = stores.db.idempotency.get(SCOPE);
    expect(record?.statusCode).toBe(201);
    expect(JSON.parse(record?.responseBody ?? '')).toMatchObject({ lenderId: PARTNER_A, limits: { exposureQuotaMinor: '100000000000' }, createdAt: NOW });
  });

  it("keeps the webhook's signing secret but never answers it", async () => {
    const stores = createInMemoryStores();
    const webhook = { url: 'https://partner-a.example/colend/reviews', secret: SECRET };
    await createLender(stores, validate(createLenderRequest, createLenderBody({ webhook })), sealFor(SCOPE), NOW);
    expect(stores.db.lenders.get(PARTNER_A)?.webhook).toEqual(webhook);
    const response = stores.db.idempotency.get(SCOPE)?.responseBody ?? '';
    expect(JSON.parse(response)).toMatchObject({ webhook: { url: webhook.url, secretConfigured: true } });
    expect(response).not.toContain(SECRET);
  });

  it('refuses an invalid lender and writes nothing', async () => {
    const stores = createInMemoryStores();
    const input = validate(createLenderRequest, createLenderBody({ limits: { exposureQuotaMinor: '100', perBorrowerCapMinor: '101' } }));
    const error = await rejectedBy(ValidationError, () => createLender(stores, input, sealFor(SCOPE), NOW));
    expect(error.details.path).toBe('limits.perBorrowerCapMinor');
    expect(stores.db.lenders.size).toBe(0);
    expect(stores.db.idempotency.size).toBe(0);
  });

  it('refuses a lender id that exists, with another key, and changes nothing', async () => {
    const stores = createInMemoryStores();
    await createLender(stores, validate(createLenderRequest, createLenderBody()), sealFor(SCOPE), NOW);
    const conflict = await rejectedBy(WriteConflict, () => createLender(stores, validate(createLenderRequest, createLenderBody({ name: 'Other' })), sealFor('other-scope'), NOW));
    expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', 'lender']);
    expect(stores.db.lenders.get(PARTNER_A)?.name).toBe('Partner A Bank');
    expect([...stores.db.idempotency.keys()]).toEqual([SCOPE]);
  });
});

describe('listLenders and getLender', () => {
  function seeded() {
    const stores = createInMemoryStores();
    seed(stores, { lenders: defaultLenders() });
    return stores;
  }

  it('pages the lenders in id order: 2 a page, then the rest with the cursor, then none; a tampered cursor is a 400 naming it', async () => {
    const stores = seeded();
    const first = await listLenders(stores, leadOps, { limit: 2 });
    expect([first.lenders.map((l) => l.lenderId), first.cursor === null]).toEqual([[LEAD_ID, PARTNER_A], false]);
    const second = await listLenders(stores, leadOps, { limit: 2, cursor: first.cursor ?? '' });
    expect([second.lenders.map((l) => l.lenderId), second.cursor]).toEqual([[PARTNER_B], null]);
    const tampered = Buffer.from(JSON.stringify({ pk: 'PROGRAMS', sk: 'A' })).toString('base64url');
    expect((await rejectedBy(ValidationError, () => listLenders(stores, leadOps, { limit: 2, cursor: tampered }))).details).toEqual({ path: 'cursor', rule: 'cursor' });
  });

  it('lists every lender, by id, to lead operations and platform finance', async () => {
    const stores = seeded();
    for (const principal of [leadOps, platformFinance]) {
      expect((await listLenders(stores, principal, PAGE)).lenders.map((l) => l.lenderId)).toEqual([LEAD_ID, PARTNER_A, PARTNER_B]);
    }
  });

  it("lists only a partner's or a lender finance team's own lender", async () => {
    const stores = seeded();
    expect((await listLenders(stores, partnerOf(PARTNER_B), PAGE)).lenders.map((l) => l.lenderId)).toEqual([PARTNER_B]);
    expect((await listLenders(stores, financeOf(PARTNER_A), PAGE)).lenders.map((l) => l.lenderId)).toEqual([PARTNER_A]);
    expect((await listLenders(stores, partnerOf('PARTNER-GONE'), PAGE)).lenders).toEqual([]);
  });

  it('gets a lender the caller may see', async () => {
    const stores = seeded();
    expect((await getLender(stores, partnerOf(PARTNER_A), PARTNER_A)).limits.perBorrowerCapMinor).toBe(50_000_000n);
    expect((await getLender(stores, leadOps, PARTNER_B)).lenderId).toBe(PARTNER_B);
  });

  it('never returns the webhook secret, listed or read one by one', async () => {
    const stores = createInMemoryStores();
    const webhook = { url: 'https://partner-a.example/colend/reviews', secret: SECRET };
    seed(stores, { lenders: [aLeadLender(), aPartnerLender(PARTNER_A, { webhook }), aPartnerLender(PARTNER_B)] });
    const listed = await listLenders(stores, leadOps, PAGE);
    expect(listed.lenders.map((l) => l.webhook)).toEqual([null, { url: webhook.url, secretConfigured: true }, null]);
    const own = await getLender(stores, partnerOf(PARTNER_A), PARTNER_A);
    expect(own.webhook).toEqual({ url: webhook.url, secretConfigured: true });
    expect(toJson([listed, own])).not.toContain(SECRET);
    expect((await listLenders(stores, partnerOf(PARTNER_A), PAGE)).lenders[0]?.webhook).toEqual({ url: webhook.url, secretConfigured: true });
  });

  it("answers 404 for another lender's record exactly as for a lender that does not exist", async () => {
    const stores = seeded();
    const hidden = await rejectedBy(NotFound, () => getLender(stores, partnerOf(PARTNER_A), PARTNER_B));
    const missing = await rejectedBy(NotFound, () => getLender(stores, leadOps, 'NOBODY'));
    expect([hidden.code, hidden.message, hidden.details]).toEqual(['NOT_FOUND', `lender ${PARTNER_B} was not found`, { lenderId: PARTNER_B }]);
    expect([missing.code, missing.message]).toEqual(['NOT_FOUND', 'lender NOBODY was not found']);
  });
});
