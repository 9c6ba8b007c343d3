/**
 * The demo a new user finds after `npm start`: a lead, two partner banks, a guarantor, one
 * program and one booked loan, written through the API like any client would. Fixed
 * idempotency keys make it safe to run again on persisted data.
 */
export interface SeedContext {
  readonly baseUrl: string;
  readonly mintToken: (options: { scopes: ('lead' | 'partner' | 'finance')[]; lenderId?: string }) => Promise<string>;
}

/**
 * The demo's business date: the stack's clock under `npm start` starts here (10:00 in Beijing on
 * Tuesday 2026-12-01, the morning after the demo story's last settled day) and runs on, so the
 * demo loan (first instalment due 2026-12-02) is current, the README's dates (2026-11-20 to
 * 2026-11-30) are in its past and 2026-11-30 is closed and can be settled, whatever today is.
 */
export const DEMO_BUSINESS_DATE = '2026-12-01';
export const DEMO_CLOCK_START = `${DEMO_BUSINESS_DATE}T02:00:00.000Z`;

const account = (bankName: string, accountNumber: string, accountName: string) => ({ bankName, accountName, accountNumber });

export const DEMO_LENDERS = [
  {
    lenderId: 'LEAD_CO',
    name: 'Xinghe Digital Credit Co., Ltd.',
    roles: ['LEAD'],
    institutionType: 'NON_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: account('Industrial Bank Shanghai Branch', '621700000000000001', 'Xinghe Digital Credit'),
    limits: { exposureQuotaMinor: '50000000000', perBorrowerCapMinor: '20000000' },
  },
  {
    lenderId: 'BANK_A',
    name: 'Jiangnan Rural Commercial Bank',
    roles: ['PARTNER'],
    institutionType: 'NATIONAL_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: account('Jiangnan Rural Commercial Bank', '622800000000000002', 'Jiangnan RCB Co-lending'),
    limits: { exposureQuotaMinor: '30000000000', perBorrowerCapMinor: '10000000', minShareBps: 3000, maxShareBps: 7000 },
    netTier1CapitalMinor: '8000000000000',
    totalLoansMinor: '60000000000000',
  },
  {
    lenderId: 'BANK_B',
    name: 'Lakeside Internet Bank',
    roles: ['PARTNER'],
    institutionType: 'INTERNET_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: account('Lakeside Internet Bank', '623100000000000003', 'Lakeside Co-lending'),
    limits: { exposureQuotaMinor: '20000000000', perBorrowerCapMinor: '10000000', minShareBps: 3000, maxShareBps: 7000 },
    netTier1CapitalMinor: '5000000000000',
    totalLoansMinor: '40000000000000',
  },
  {
    lenderId: 'GUARANTOR_CO',
    name: 'Anxin Financing Guarantee Co., Ltd.',
    roles: ['GUARANTOR'],
    institutionType: 'NON_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: account('China Merchants Bank Shenzhen Branch', '755900000000000004', 'Anxin Guarantee'),
    limits: { exposureQuotaMinor: '0', perBorrowerCapMinor: '0' },
  },
];

export const DEMO_PROGRAM = {
  programId: 'CONSUMER_2026',
  name: 'Consumer instalment loans 2026',
  startDate: '2026-01-01',
  currency: 'CNY',
  regulatoryProfile: 'CN-2021',
  leadLenderId: 'LEAD_CO',
  amountRange: { minMinor: '100000', maxMinor: '20000000' },
  termMonthsRange: { min: 3, max: 36 },
  repaymentMethods: ['EQUAL_INSTALLMENT', 'EQUAL_PRINCIPAL'],
  borrowerRateRange: { min: '0.06', max: '0.24' },
  participants: [
    { lenderId: 'LEAD_CO', role: 'LEAD', targetShareBps: 4000, priority: 0 },
    { lenderId: 'BANK_A', role: 'PARTNER', targetShareBps: 3000, priority: 1, yieldRate: '0.065' },
    { lenderId: 'BANK_B', role: 'PARTNER', targetShareBps: 3000, priority: 2, yieldRate: '0.07' },
    { lenderId: 'GUARANTOR_CO', role: 'GUARANTOR', priority: 9 },
  ],
  split: { interestBasis: 'LENDER_RATE', remainderRule: 'ROUNDING_PARTY' },
  fees: { guaranteeFeeRate: '0.01', guarantorLenderId: 'GUARANTOR_CO' },
  lossSharing: { method: 'PRO_RATA', guaranteeTriggerDpd: 90 },
  // Bank A sees the borrowers' personal data in clear; Bank B sees it masked (docs/personal-data.md).
  personalData: { entitledLenderIds: ['BANK_A'] },
};

export const DEMO_LOAN = {
  loanId: 'DEMO-LOAN-0001',
  programId: 'CONSUMER_2026',
  borrower: {
    borrowerId: 'B-310101-0001',
    type: 'INDIVIDUAL',
    region: 'CN-31',
    // Made up, valid by every rule (the identity number's GB 11643 check digit included); stored sealed.
    personalData: { name: '王小明', identityNumber: '310101198506154324', mobile: '13900001234', repaymentAccountNumber: '6217000012345678' },
  },
  currency: 'CNY',
  principalMinor: '5000000',
  annualRate: '0.1080',
  termMonths: 12,
  repaymentMethod: 'EQUAL_INSTALLMENT',
  disbursementDate: '2026-11-02',
  disbursementReference: 'DISB-20261102-0001',
  fundingPlan: [
    { lenderId: 'LEAD_CO', amountMinor: '2000000' },
    { lenderId: 'BANK_A', amountMinor: '1500000' },
    { lenderId: 'BANK_B', amountMinor: '1500000' },
  ],
};

async function post(ctx: SeedContext, token: string, path: string, key: string, body: unknown): Promise<void> {
  const response = await fetch(`${ctx.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`demo seed: POST ${path} answered ${response.status}: ${await response.text()}`);
}

export async function seedDemo(ctx: SeedContext): Promise<void> {
  const token = await ctx.mintToken({ scopes: ['lead'] });
  for (const lender of DEMO_LENDERS) await post(ctx, token, '/v1/lenders', `demo-lender-${lender.lenderId}`, lender);
  await post(ctx, token, '/v1/programs', `demo-program-${DEMO_PROGRAM.programId}`, DEMO_PROGRAM);
  await post(ctx, token, '/v1/loans', `demo-loan-${DEMO_LOAN.loanId}`, DEMO_LOAN);
}
