import { describe, expect, it } from 'vitest';
import { ValidationError, NotFound, RuleViolation, StateConflict } from '../../../../shared/domain/errors.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { createLenderRequest } from '../../../../shared/contracts/schemas.ts';
import { toJson } from '../../../../shared/json.ts';
import { WriteConflict } from '../../../../shared/ports/stores.ts';
import { createLender, getLender, listLenders, rotateWebhookSecret } from '../../../../functions/lenders/use-case.ts';
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
    const sealed = lender?.settlementAccount.accountNumber;
    expect(sealed).toMatchObject({ alg: 'AES-256-GCM', keyId: 'local', keyVersion: 'v1' });
    expect(JSON.stringify(sealed)).not.toContain('6222000011112222');
    expect(lender).toEqual({
      lenderId: PARTNER_A,
      name: 'Partner A Bank',
      roles: ['PARTNER'],
      institutionType: 'NATIONAL_BANK',
      region: 'NATIONAL',
      currency: 'CNY',
      settlementAccount: { bankName: 'Partner A Bank', accountName: 'Partner A co-lending clearing', accountNumber: sealed },
      limits: { exposureQuotaMinor: 100_000_000_000n, perBorrowerCapMinor: 50_000_000n, minShareBps: 0, maxShareBps: 10_000 },
      netTier1CapitalMinor: 50_000_000_000_000n,
      totalLoansMinor: 400_000_000_000_000n,
      webhook: null,
      createdAt: NOW,
    });
    const record = stores.db.idempotency.get(SCOPE);
    expect(record?.statusCode).toBe(201);
    expect(JSON.parse(record?.responseBody ?? '')).toMatchObject({ lenderId: PARTNER_A, limits: { exposureQuotaMinor: '100000000000' }, createdAt: NOW });
    // The answer is kept in a table: the account number in it is masked.
    expect(JSON.parse(record?.responseBody ?? '')).toMatchObject({ settlementAccount: { accountNumber: '****2222' } });
    expect(record?.responseBody).not.toContain('6222000011112222');
  });

  it("keeps the webhook's signing secret in the secret store, the record naming its version only, and never answers it", async () => {
    const stores = createInMemoryStores();
    const webhook = { url: 'https://partner-a.example/colend/reviews', secret: SECRET };
    await createLender(stores, validate(createLenderRequest, createLenderBody({ webhook })), sealFor(SCOPE), NOW);
    expect(stores.db.lenders.get(PARTNER_A)?.webhook).toEqual({ url: webhook.url, secretVersion: 1 });
    expect(stores.webhookSecrets.sets.get(PARTNER_A)).toEqual({ current: { version: 1, secret: SECRET, since: NOW }, previous: null });
    const response = stores.db.idempotency.get(SCOPE)?.responseBody ?? '';
    expect(JSON.parse(response)).toMatchObject({ webhook: { url: webhook.url, secretConfigured: true, secretVersion: 1 } });
    expect(response).not.toContain(SECRET);
    expect(toJson([...stores.db.lenders.values(), ...stores.db.idempotency.values()])).not.toContain(SECRET);
  });

  it("refuses a second registration of a lender before its secret is touched", async () => {
    const stores = createInMemoryStores();
    const webhook = { url: 'https://partner-a.example/colend/reviews', secret: SECRET };
    await createLender(stores, validate(createLenderRequest, createLenderBody({ webhook })), sealFor(SCOPE), NOW);
    const other = { ...webhook, secret: 'whsec-someone-else-0123456789abcdef0123' };
    const conflict = await rejectedBy(WriteConflict, () => createLender(stores, validate(createLenderRequest, createLenderBody({ webhook: other })), sealFor('other-scope'), NOW));
    expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', 'lender']);
    expect(stores.webhookSecrets.sets.get(PARTNER_A)?.current).toEqual({ version: 1, secret: SECRET, since: NOW });
    expect(stores.webhookSecrets.writes).toBe(1);
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
    const webhook = { url: 'https://partner-a.example/colend/reviews', secretVersion: 3 };
    seed(stores, { lenders: [aLeadLender(), aPartnerLender(PARTNER_A, { webhook }), aPartnerLender(PARTNER_B)] });
    await stores.webhookSecrets.put(PARTNER_A, SECRET, NOW);
    const shown = { url: webhook.url, secretConfigured: true, secretVersion: 3 };
    const listed = await listLenders(stores, leadOps, PAGE);
    expect(listed.lenders.map((l) => l.webhook)).toEqual([null, shown, null]);
    const own = await getLender(stores, partnerOf(PARTNER_A), PARTNER_A);
    expect(own.webhook).toEqual(shown);
    expect(toJson([listed, own])).not.toContain(SECRET);
    expect((await listLenders(stores, partnerOf(PARTNER_A), PAGE)).lenders[0]?.webhook).toEqual(shown);
  });

  it("answers 404 for another lender's record exactly as for a lender that does not exist", async () => {
    const stores = seeded();
    const hidden = await rejectedBy(NotFound, () => getLender(stores, partnerOf(PARTNER_A), PARTNER_B));
    const missing = await rejectedBy(NotFound, () => getLender(stores, leadOps, 'NOBODY'));
    expect([hidden.code, hidden.message, hidden.details]).toEqual(['NOT_FOUND', `lender ${PARTNER_B} was not found`, { lenderId: PARTNER_B }]);
    expect([missing.code, missing.message]).toEqual(['NOT_FOUND', 'lender NOBODY was not found']);
  });
});

describe('rotateWebhookSecret', () => {
  const URL = 'https://partner-a.example/colend/reviews';
  const NEXT = 'whsec-partner-a-rotated-0123456789abcdef01';
  const LATER = '2025-03-02T09:30:00.000Z';
  const ROTATE = 'rotateWebhookSecret#partner-a-client#key-0002';

  async function registered() {
    const stores = createInMemoryStores();
    await createLender(stores, validate(createLenderRequest, createLenderBody({ webhook: { url: URL, secret: SECRET } })), sealFor(SCOPE), NOW);
    return stores;
  }

  it('signs with the new secret from now and keeps the replaced one for 24 hours; the record names version 2', async () => {
    const stores = await registered();
    await rotateWebhookSecret(stores, partnerOf(PARTNER_A), PARTNER_A, { secret: NEXT }, sealFor(ROTATE), LATER);
    expect(stores.webhookSecrets.sets.get(PARTNER_A)).toEqual({ current: { version: 2, secret: NEXT, since: LATER }, previous: { version: 1, secret: SECRET, replacedAt: LATER } });
    expect(stores.db.lenders.get(PARTNER_A)?.webhook).toEqual({ url: URL, secretVersion: 2 });
    const record = stores.db.idempotency.get(ROTATE);
    expect([record?.statusCode, JSON.parse(record?.responseBody ?? '')]).toEqual([200, { lenderId: PARTNER_A, secretVersion: 2, previousVersion: 1, previousSignsUntil: '2025-03-03T09:30:00.000Z' }]);
    expect(record?.responseBody).not.toContain(NEXT);
  });

  it('completes a rotation that stored the secret but not the record, without a second rotation', async () => {
    const stores = await registered();
    await stores.webhookSecrets.rotate(PARTNER_A, NEXT, LATER);
    await rotateWebhookSecret(stores, leadOps, PARTNER_A, { secret: NEXT }, sealFor(ROTATE), '2025-03-02T09:31:00.000Z');
    expect(stores.webhookSecrets.sets.get(PARTNER_A)?.current).toEqual({ version: 2, secret: NEXT, since: LATER });
    expect(stores.db.lenders.get(PARTNER_A)?.webhook).toEqual({ url: URL, secretVersion: 2 });
  });

  it("answers 404 for another lender's webhook, and refuses a lender without a webhook; nothing changes", async () => {
    const stores = await registered();
    seed(stores, { lenders: [aPartnerLender(PARTNER_B)] });
    await rejectedBy(NotFound, () => rotateWebhookSecret(stores, partnerOf(PARTNER_B), PARTNER_A, { secret: NEXT }, sealFor(ROTATE), LATER));
    const none = await rejectedBy(RuleViolation, () => rotateWebhookSecret(stores, leadOps, PARTNER_B, { secret: NEXT }, sealFor(ROTATE), LATER));
    expect([none.code, none.details]).toEqual(['LENDER_HAS_NO_WEBHOOK', { path: 'lenderId', lenderId: PARTNER_B }]);
    expect(stores.webhookSecrets.sets.get(PARTNER_A)?.current.version).toBe(1);
    expect(stores.db.idempotency.has(ROTATE)).toBe(false);
  });

  it('refuses a short secret naming the field, and changes nothing', async () => {
    const stores = await registered();
    const error = await rejectedBy(ValidationError, () => rotateWebhookSecret(stores, leadOps, PARTNER_A, { secret: 'short' }, sealFor(ROTATE), LATER));
    expect(error.details).toEqual({ path: 'secret', rule: 'webhook-secret-length', length: 5 });
    expect(stores.webhookSecrets.sets.get(PARTNER_A)?.current.version).toBe(1);
    expect(stores.db.lenders.get(PARTNER_A)?.webhook?.secretVersion).toBe(1);
  });

  it('moves a secret still on the record by the first rotation: it becomes version 1, replaced by version 2, and leaves the record', async () => {
    const stores = createInMemoryStores();
    seed(stores, { lenders: [aPartnerLender(PARTNER_A, { webhook: { url: URL, secretVersion: 0 } })] });
    stores.db.plainWebhookSecrets.set(PARTNER_A, { lenderId: PARTNER_A, url: URL, secret: SECRET });
    await rotateWebhookSecret(stores, leadOps, PARTNER_A, { secret: NEXT }, sealFor(ROTATE), LATER);
    expect(stores.webhookSecrets.sets.get(PARTNER_A)).toEqual({ current: { version: 2, secret: NEXT, since: LATER }, previous: { version: 1, secret: SECRET, replacedAt: LATER } });
    expect(stores.db.lenders.get(PARTNER_A)?.webhook).toEqual({ url: URL, secretVersion: 2 });
    expect(stores.db.plainWebhookSecrets.size).toBe(0);
  });

  it('loses to a rotation that changed the record meanwhile', async () => {
    const stores = await registered();
    const lender = stores.db.lenders.get(PARTNER_A);
    stores.db.lenders.set(PARTNER_A, { ...lender!, webhook: { url: URL, secretVersion: 7 } });
    const error = await rejectedBy(StateConflict, () => stores.lenders.setWebhook(PARTNER_A, 1, { url: URL, secretVersion: 2 }, sealFor(ROTATE)(200, {})));
    expect(error.code).toBe('WEBHOOK_CHANGED');
  });
});
