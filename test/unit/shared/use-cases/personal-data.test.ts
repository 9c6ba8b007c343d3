import { describe, expect, it } from 'vitest';
import { validate } from '../../../../shared/contracts/validate.ts';
import { bookLoanRequest, createApplicationRequest, createLenderRequest } from '../../../../shared/contracts/schemas.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { bookLoan, getLoan } from '../../../../functions/loans/use-case.ts';
import { createApplication, getApplication } from '../../../../functions/applications/use-case.ts';
import { createLender, getLender, listLenders } from '../../../../functions/lenders/use-case.ts';
import { withoutPersonalData } from '../../../../shared/use-cases/personal-data.ts';
import { LOAN_ID, APPLICATION_ID, PARTNER_A, PARTNER_B, aProgram, bookLoanBody, createApplicationBody, createLenderBody, defaultLenders, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { createInMemoryStores, sealFor, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const CLEAR = { name: '张三', identityNumber: '110105199001011232', mobile: '13812345678', repaymentAccountNumber: '6217000011115678' };
const MASKED = { name: '张*', identityNumber: '110105********1232', mobile: '138****5678', repaymentAccountNumber: '****5678', visibility: 'MASKED' };
const borrower = { borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', personalData: CLEAR };

/** Every value the in-memory tables hold, as text. */
function everything(stores: InMemoryStores): string {
  return JSON.stringify([...Object.values(stores.db)].filter((v) => v instanceof Map).map((m: Map<string, unknown>) => [...m.values()]), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function expectNoClearValue(stores: InMemoryStores): void {
  const text = everything(stores);
  for (const value of Object.values(CLEAR)) expect(text).not.toContain(value);
}

function seeded(entitled: readonly string[] | null = null): InMemoryStores {
  const stores = createInMemoryStores();
  seed(stores, { lenders: defaultLenders(), programs: [aProgram(entitled === null ? {} : { personalData: { entitledLenderIds: entitled } })] });
  return stores;
}

async function booked(entitled: readonly string[] | null = null): Promise<InMemoryStores> {
  const stores = seeded(entitled);
  await bookLoan(stores, validate(bookLoanRequest, bookLoanBody({ borrower })), sealFor('bookLoan#lead-ops-client#key-0001'), '2025-03-01T08:00:00.000Z');
  return stores;
}

describe('a loan with personal data', () => {
  it('stores it sealed with the identity hash, answers the write masked, and keeps no clear value in any table', async () => {
    const stores = await booked();
    const stored = stores.db.loans.get(LOAN_ID)?.borrower;
    expect(stored?.personalData?.sealed).toMatchObject({ alg: 'AES-256-GCM', keyId: 'local', keyVersion: 'v1' });
    expect(stored?.personalData?.identityHash).toBe(await stores.personalData.keyedHash('identity-number:110105199001011232'));
    const answer = JSON.parse(stores.db.idempotency.get('bookLoan#lead-ops-client#key-0001')?.responseBody ?? '') as { borrower: unknown };
    expect(answer.borrower).toEqual({ borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', secured: false, personalData: MASKED });
    expectNoClearValue(stores);
  });

  it('shows it in clear to the lead and masked to partners and finance when the program entitles nobody', async () => {
    const stores = await booked();
    expect((await getLoan(stores, leadOps, LOAN_ID)).borrower.personalData).toEqual({ ...CLEAR, visibility: 'CLEAR' });
    expect((await getLoan(stores, partnerOf(PARTNER_A), LOAN_ID)).borrower.personalData).toEqual(MASKED);
    expect((await getLoan(stores, financeOf(PARTNER_B), LOAN_ID)).borrower.personalData).toEqual(MASKED);
    expect((await getLoan(stores, platformFinance, LOAN_ID)).borrower.personalData).toEqual(MASKED);
  });

  it('shows it in clear to a partner the program entitles, from the terms copied onto the loan', async () => {
    const stores = await booked([PARTNER_A]);
    expect((await getLoan(stores, partnerOf(PARTNER_A), LOAN_ID)).borrower.personalData).toEqual({ ...CLEAR, visibility: 'CLEAR' });
    expect((await getLoan(stores, partnerOf(PARTNER_B), LOAN_ID)).borrower.personalData).toEqual(MASKED);
  });

  it('leaves a borrower without personal data as it was', async () => {
    const stores = seeded();
    await bookLoan(stores, validate(bookLoanRequest, bookLoanBody()), sealFor('k'), '2025-03-01T08:00:00.000Z');
    expect(stores.db.loans.get(LOAN_ID)?.borrower).toEqual({ borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', secured: false });
    expect((await getLoan(stores, leadOps, LOAN_ID)).borrower).toEqual({ borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', secured: false });
  });
});

describe('an application with personal data', () => {
  it('stores it sealed, answers masked, and shows it in clear to the lead only', async () => {
    const stores = seeded();
    await createApplication(stores, validate(createApplicationRequest, createApplicationBody({ borrower })), sealFor('createApplication#lead-ops-client#k'), '2025-03-01T08:00:00.000Z');
    expectNoClearValue(stores);
    const answer = JSON.parse(stores.db.idempotency.get('createApplication#lead-ops-client#k')?.responseBody ?? '') as { application: { borrower: { personalData: unknown } } };
    expect(answer.application.borrower.personalData).toEqual(MASKED);
    expect((await getApplication(stores, leadOps, APPLICATION_ID)).application.borrower.personalData).toEqual({ ...CLEAR, visibility: 'CLEAR' });
    expect((await getApplication(stores, platformFinance, APPLICATION_ID)).application.borrower.personalData).toEqual(MASKED);
    const stored = stores.db.applications.get(APPLICATION_ID);
    expect(stored).toBeDefined();
    // A review request carries no personal data at all.
    const app = (await stores.applications.get(APPLICATION_ID))?.application;
    expect(app?.borrower.personalData).toBeDefined();
    expect(withoutPersonalData(app?.borrower ?? { borrowerId: '', type: 'INDIVIDUAL', region: '', secured: false })).toEqual({ borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', secured: false });
  });
});

describe('the edge refuses bad personal data with the field and the rule', () => {
  const refused = (fn: () => unknown): ValidationError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
    throw new Error('not refused');
  };
  it.each([
    ['identityNumber', '110105199001011231', 'identity-number-check-digit'],
    ['identityNumber', '11010519900101123', 'identity-number-format'],
    ['identityNumber', '110105199013011232', 'identity-number-birth-date'],
    ['mobile', '12812345678', 'cn-mobile'],
    ['repaymentAccountNumber', '62-17', 'account-number'],
  ])('%s %s: %s', (field, value, rule) => {
    const error = refused(() => validate(bookLoanRequest, bookLoanBody({ borrower: { ...borrower, personalData: { ...CLEAR, [field]: value } } })));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ path: `borrower.personalData.${field}`, rule });
    expect(error.message).not.toContain(value);
  });

  it('an empty personal data object', () => {
    expect(refused(() => validate(createApplicationRequest, createApplicationBody({ borrower: { ...borrower, personalData: {} } }))).details).toMatchObject({ path: 'borrower.personalData', rule: 'not-empty' });
  });
});

describe("a lender's settlement account number", () => {
  it('is sealed in the table, in clear to lead operations and the lender itself, masked to the platform finance team', async () => {
    const stores = createInMemoryStores();
    await createLender(stores, validate(createLenderRequest, createLenderBody()), sealFor('createLender#c#k'), '2025-03-01T08:00:00.000Z');
    expect(everything(stores)).not.toContain('6222000011112222');
    expect((await getLender(stores, leadOps, PARTNER_A)).settlementAccount.accountNumber).toBe('6222000011112222');
    expect((await getLender(stores, partnerOf(PARTNER_A), PARTNER_A)).settlementAccount.accountNumber).toBe('6222000011112222');
    expect((await listLenders(stores, platformFinance, { limit: 10 })).lenders.map((l) => l.settlementAccount.accountNumber)).toEqual(['****2222']);
  });

  it('a record stored before sealing is shown by the same rule', async () => {
    const stores = createInMemoryStores();
    seed(stores, { lenders: defaultLenders() });
    expect((await getLender(stores, platformFinance, PARTNER_A)).settlementAccount.accountNumber).toBe('****2222');
    expect((await getLender(stores, financeOf(PARTNER_A), PARTNER_A)).settlementAccount.accountNumber).toBe('6222000011112222');
  });
});
