import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import {
  applicationsQuery,
  bookLoanRequest,
  createApplicationRequest,
  createLenderRequest,
  createProgramRequest,
  decisionRequest,
  id,
  disbursementRequest,
  isoDate,
  nonNegativeMinor,
  positiveMinor,
  MAX_AMOUNT_MINOR,
  rate,
  startLedgerCheckRequest,
  versionQuery,
} from '../../../../shared/contracts/schemas.ts';
import { DEFAULT_WATERFALL } from '../../../../shared/domain/program.ts';
import { LEAD_ID, NOW, PARTNER_A, approveBody, bookLoanBody, createApplicationBody, createLenderBody, createProgramBody, declineBody, startLedgerCheckBody } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

function refusedPath(action: () => unknown): string {
  return String(thrownBy(ValidationError, action).details.path);
}

describe('amounts (minor units)', () => {
  it.each([
    ['100', 100n],
    [100, 100n],
    ['000123', 123n],
    ['1000000000000000', MAX_AMOUNT_MINOR],
    [1e15, MAX_AMOUNT_MINOR],
  ])('accepts %j as a positive amount', (input, expected) => {
    expect(validate(positiveMinor, input)).toBe(expected);
  });

  it.each(['1.5', 1.5, '-1', -1, '1e3', 1e-3, 2 ** 60, '0', 0, '', ' 100', '0x10', '1_000', null, true, '1'.repeat(31)])('refuses %j as a positive amount', (input) => {
    expect(() => validate(positiveMinor, input)).toThrow(ValidationError);
  });

  it.each([
    ['1000000000000001', '1000000000000001'],
    ['123456789012345678901234567890', '123456789012345678901234567890'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ])('refuses %j, above the maximum amount, with AMOUNT_TOO_LARGE and the figures', (input, amount) => {
    for (const schema of [positiveMinor, nonNegativeMinor]) {
      const error = thrownBy(ValidationError, () => validate(schema, input));
      expect(error.code).toBe('AMOUNT_TOO_LARGE');
      expect(error.message).toBe(`body: must be at most 1000000000000000 minor units, got ${amount}`);
      expect(error.details).toMatchObject({ path: 'body', field: 'body', rule: 'max-amount', amount, maximum: '1000000000000000' });
    }
  });

  it('accepts zero but not a negative as a non-negative amount', () => {
    expect(validate(nonNegativeMinor, '0')).toBe(0n);
    expect(validate(nonNegativeMinor, 0)).toBe(0n);
    expect(thrownBy(ValidationError, () => validate(nonNegativeMinor, '-1')).message).toBe('body: must not be negative');
  });

  it.each([
    ['100', 100n],
    [100, 100n],
  ])('reads principalMinor %j in a loan request as %s fen', (principalMinor, expected) => {
    const body = bookLoanBody({ principalMinor, fundingPlan: [{ lenderId: LEAD_ID, amountMinor: principalMinor }] });
    expect(validate(bookLoanRequest, body).principalMinor).toBe(expected);
  });

  it.each(['1.5', 1.5, '-1', '1e3', 2 ** 60])('refuses principalMinor %j with the field path', (principalMinor) => {
    const error = thrownBy(ValidationError, () => validate(bookLoanRequest, bookLoanBody({ principalMinor })));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.path).toBe('principalMinor');
    expect(error.message.startsWith('principalMinor: ')).toBe(true);
  });

  it('names the funding part whose amount is wrong', () => {
    const fundingPlan = [
      { lenderId: LEAD_ID, amountMinor: '400000' },
      { lenderId: PARTNER_A, amountMinor: '300000.5' },
    ];
    expect(refusedPath(() => validate(bookLoanRequest, bookLoanBody({ fundingPlan })))).toBe('fundingPlan.1.amountMinor');
  });

  it('says what an amount must be', () => {
    expect(thrownBy(ValidationError, () => validate(bookLoanRequest, bookLoanBody({ principalMinor: '1e3' }))).message).toBe(
      'principalMinor: must be a whole number of minor units (fen), as a string of digits',
    );
    expect(thrownBy(ValidationError, () => validate(bookLoanRequest, bookLoanBody({ principalMinor: '-1' }))).message).toBe('principalMinor: must be positive');
  });
});

describe('bookLoanRequest', () => {
  it('parses the body a client sends, with defaults', () => {
    expect(validate(bookLoanRequest, bookLoanBody())).toEqual({
      loanId: 'LN-2025-000001',
      programId: 'CONSUMER-2025',
      programVersion: null,
      borrower: { borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', secured: false },
      currency: 'CNY',
      principalMinor: 1_000_000n,
      annualRate: '0.0725',
      termMonths: 12,
      repaymentMethod: 'EQUAL_INSTALLMENT',
      disbursementDate: '2025-03-01',
      disbursementReference: 'DISB-20250301-0001',
      fundingPlan: [
        { lenderId: LEAD_ID, amountMinor: 400_000n },
        { lenderId: PARTNER_A, amountMinor: 300_000n },
        { lenderId: 'PARTNER-B', amountMinor: 300_000n },
      ],
    });
  });

  it('refuses unknown fields, naming the object that holds them', () => {
    const root = thrownBy(ValidationError, () => validate(bookLoanRequest, bookLoanBody({ extra: 1 })));
    expect(root.details).toMatchObject({ path: 'body', rule: 'unrecognized_keys' });
    expect(root.message).toContain('extra');
    expect(refusedPath(() => validate(bookLoanRequest, bookLoanBody({ borrower: { borrowerId: 'B1', type: 'INDIVIDUAL', region: 'CN-44', vip: true } })))).toBe('borrower');
  });

  it.each([
    ['loanId', 'LN#1'],
    ['programVersion', 0],
    ['currency', 'USD'],
    ['annualRate', '7.25%'],
    ['annualRate', 0.0725],
    ['termMonths', 361],
    ['termMonths', 12.5],
    ['repaymentMethod', 'BALLOON'],
    ['disbursementDate', '2025-02-29'],
    ['disbursementReference', ''],
    ['fundingPlan', []],
  ])('refuses %s = %j', (field, value) => {
    expect(refusedPath(() => validate(bookLoanRequest, bookLoanBody({ [field]: value })))).toBe(field);
  });

  it('refuses a borrower region that is not a region code', () => {
    expect(refusedPath(() => validate(bookLoanRequest, bookLoanBody({ borrower: { borrowerId: 'B1', type: 'INDIVIDUAL', region: 'guangdong' } })))).toBe('borrower.region');
  });

  it('accepts at most 20 funding parts', () => {
    const parts = Array.from({ length: 21 }, (_, i) => ({ lenderId: `L${i}`, amountMinor: '1' }));
    expect(refusedPath(() => validate(bookLoanRequest, bookLoanBody({ fundingPlan: parts })))).toBe('fundingPlan');
  });
});

describe('createLenderRequest', () => {
  it('parses amounts to bigint and fills defaults', () => {
    const body = createLenderBody({ limits: { exposureQuotaMinor: '100000000000', perBorrowerCapMinor: 50000000 }, netTier1CapitalMinor: undefined, totalLoansMinor: undefined });
    const parsed = validate(createLenderRequest, body);
    expect(parsed.limits).toEqual({ exposureQuotaMinor: 100_000_000_000n, perBorrowerCapMinor: 50_000_000n, minShareBps: 0, maxShareBps: 10_000 });
    expect(parsed.netTier1CapitalMinor).toBeNull();
    expect(parsed.totalLoansMinor).toBeNull();
  });

  it('names the nested field that breaks its rule', () => {
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ limits: { exposureQuotaMinor: '-1', perBorrowerCapMinor: '0' } })))).toBe('limits.exposureQuotaMinor');
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ limits: { exposureQuotaMinor: '1', perBorrowerCapMinor: '0', maxShareBps: 10_001 } })))).toBe('limits.maxShareBps');
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ roles: [] })))).toBe('roles');
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ roles: ['BROKER'] })))).toBe('roles.0');
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ settlementAccount: { bankName: 'B', accountName: 'A', accountNumber: '12' } })))).toBe('settlementAccount.accountNumber');
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ name: '   ' })))).toBe('name');
  });

  it("refuses a lender id with ':' (it names the lender's folder of files); other ids keep it", () => {
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ lenderId: 'BANK:A' })))).toBe('lenderId');
    expect(validate(createLenderRequest, createLenderBody({ lenderId: 'BANK_A.1-x' })).lenderId).toBe('BANK_A.1-x');
    expect(validate(createLoanIdProbe, { loanId: 'LN:2026:1' }).loanId).toBe('LN:2026:1');
  });
});

const createLoanIdProbe = z.object({ loanId: id });

describe('createProgramRequest', () => {
  it('fills every default of a program', () => {
    const parsed = validate(createProgramRequest, createProgramBody());
    expect(parsed).toMatchObject({
      amountRange: { minMinor: 100_000n, maxMinor: 50_000_000n },
      allocationPolicy: 'TARGET_SHARES',
      split: { interestBasis: 'PRO_RATA', penalty: 'PRO_RATA', fees: 'LEAD', remainderRule: 'ROUNDING_PARTY', roundingParty: null },
      fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: null },
      lossSharing: { method: 'PRO_RATA', leadFirstLossCapBps: null, guaranteeTriggerDpd: null },
      dayCount: 'ACT/360',
      roundingMode: 'HALF_UP',
      penaltyRateMultiplier: '1.5',
      settlement: { cutoffTime: '22:00', settlementLagDays: 1, netting: true, calendar: 'CN' },
      reviewTimeoutSeconds: 86_400,
    disbursementTimeoutSeconds: 604_800,
    });
    expect(parsed.regulatoryProfile).toBeUndefined();
    expect(parsed.waterfall).toBeUndefined();
    expect(parsed.participants[1]).toEqual({ lenderId: PARTNER_A, role: 'PARTNER', targetShareBps: 3000, fixedAmountMinor: null, minAmountMinor: null, priority: 1, yieldRate: null });
  });

  it('accepts a waterfall that lists each component once', () => {
    expect(validate(createProgramRequest, createProgramBody({ waterfall: [...DEFAULT_WATERFALL].reverse() })).waterfall).toEqual([...DEFAULT_WATERFALL].reverse());
    expect(refusedPath(() => validate(createProgramRequest, createProgramBody({ waterfall: ['PENALTY', 'PENALTY', 'FEES', 'OVERDUE_INTEREST', 'OVERDUE_PRINCIPAL', 'CURRENT_INTEREST'] })))).toBe('waterfall');
  });

  it.each([
    ['regulatoryProfile', 'EU-2030', 'regulatoryProfile'],
    ['participants', [{ lenderId: LEAD_ID, role: 'LEAD', targetShareBps: 10_000 }], 'participants'],
    ['amountRange', { minMinor: '0', maxMinor: '10' }, 'amountRange.minMinor'],
    ['borrowerRateRange', { min: '0.036', max: '24%' }, 'borrowerRateRange.max'],
    ['settlement', { cutoffTime: '24:00' }, 'settlement.cutoffTime'],
    ['split', { fees: { party: 'A#B' } }, 'split.fees.party'],
    ['penaltyRateMultiplier', '1.5x', 'penaltyRateMultiplier'],
  ])('refuses %s = %j at %s', (field, value, path) => {
    expect(refusedPath(() => validate(createProgramRequest, createProgramBody({ [field]: value })))).toBe(path);
  });

  it('refuses a participant share above 10000 bps', () => {
    const participants = [
      { lenderId: LEAD_ID, role: 'LEAD', targetShareBps: 10_001 },
      { lenderId: PARTNER_A, role: 'PARTNER', targetShareBps: 0 },
    ];
    expect(refusedPath(() => validate(createProgramRequest, createProgramBody({ participants })))).toBe('participants.0.targetShareBps');
  });
});

describe('createLenderRequest webhook', () => {
  const secret = 'whsec-0123456789abcdef0123456789abcdef';

  it('takes an https url and a secret of 32 characters or more; none by default', () => {
    expect(validate(createLenderRequest, createLenderBody()).webhook).toBeNull();
    expect(validate(createLenderRequest, createLenderBody({ webhook: { url: 'https://partner.example/hook', secret } })).webhook).toEqual({ url: 'https://partner.example/hook', secret });
    expect(validate(createLenderRequest, createLenderBody({ webhook: { url: 'http://127.0.0.1:8080/hook', secret } })).webhook?.url).toBe('http://127.0.0.1:8080/hook');
  });

  it('refuses plain http away from localhost, another scheme, and a short secret', () => {
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ webhook: { url: 'http://partner.example/hook', secret } })))).toBe('webhook.url');
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ webhook: { url: 'ftp://partner.example/hook', secret } })))).toBe('webhook.url');
    expect(refusedPath(() => validate(createLenderRequest, createLenderBody({ webhook: { url: 'https://partner.example/hook', secret: 'x'.repeat(31) } })))).toBe('webhook.secret');
  });
});

describe('createProgramRequest timeouts', () => {
  it('gives a partner 24 hours to decide and the lead 7 days to disburse unless set', () => {
    const program = validate(createProgramRequest, createProgramBody());
    expect([program.reviewTimeoutSeconds, program.disbursementTimeoutSeconds]).toEqual([86_400, 604_800]);
    expect(refusedPath(() => validate(createProgramRequest, createProgramBody({ reviewTimeoutSeconds: 0 })))).toBe('reviewTimeoutSeconds');
    expect(refusedPath(() => validate(createProgramRequest, createProgramBody({ disbursementTimeoutSeconds: 30 * 86_400 + 1 })))).toBe('disbursementTimeoutSeconds');
  });
});

describe('joint review requests', () => {
  it('parses an application, amounts to bigint, unsecured unless said', () => {
    const parsed = validate(createApplicationRequest, createApplicationBody());
    expect([parsed.amountMinor, parsed.programVersion, parsed.borrower.secured, parsed.leadApproval.approvedAt]).toEqual([1_000_000n, null, false, NOW]);
  });

  it("refuses an application without the lead's approval", () => {
    expect(refusedPath(() => validate(createApplicationRequest, createApplicationBody({ leadApproval: { approved: false, reference: 'R-1', approvedAt: NOW } })))).toBe('leadApproval.approved');
    expect(refusedPath(() => validate(createApplicationRequest, createApplicationBody({ leadApproval: undefined })))).toBe('leadApproval');
  });

  it('parses a decision with defaults, and refuses reason codes that are not codes', () => {
    expect(validate(decisionRequest, approveBody())).toEqual({ decision: 'APPROVE', approvedAmountMinor: 300_000n, conditions: [], reasonCodes: [], comment: null });
    expect(validate(decisionRequest, declineBody()).reasonCodes).toEqual(['INCOME_INSUFFICIENT']);
    expect(refusedPath(() => validate(decisionRequest, declineBody({ reasonCodes: ['income too low'] })))).toBe('reasonCodes.0');
    expect(refusedPath(() => validate(decisionRequest, { decision: 'MAYBE' }))).toBe('decision');
  });

  it('takes a disbursement report in one of its three outcomes, each with its own fields only', () => {
    expect(validate(disbursementRequest, { outcome: 'DISBURSED', disbursementReference: 'D-1', disbursementDate: '2025-03-03' })).toEqual({ outcome: 'DISBURSED', disbursementReference: 'D-1', disbursementDate: '2025-03-03' });
    expect(validate(disbursementRequest, { outcome: 'CANCELLED', reason: 'withdrawn' })).toEqual({ outcome: 'CANCELLED', reason: 'withdrawn' });
    expect(refusedPath(() => validate(disbursementRequest, { outcome: 'FAILED' }))).toBe('reason');
    expect(() => validate(disbursementRequest, { outcome: 'FAILED', reason: 'x', disbursementDate: '2025-03-03' })).toThrow(ValidationError);
  });

  it('lists applications by a known status only', () => {
    expect(validate(applicationsQuery, {})).toEqual({ limit: 50 });
    expect(validate(applicationsQuery, { status: 'PLANNED', limit: '100' })).toEqual({ status: 'PLANNED', limit: 100 });
    expect(refusedPath(() => validate(applicationsQuery, { status: 'LOST' }))).toBe('status');
    expect(refusedPath(() => validate(applicationsQuery, { limit: '101' }))).toBe('limit');
    expect(refusedPath(() => validate(applicationsQuery, { limit: '0' }))).toBe('limit');
    expect(refusedPath(() => validate(applicationsQuery, { cursor: 'a+b' }))).toBe('cursor');
  });
});

describe('small schemas', () => {
  it('rates are decimal strings', () => {
    expect(validate(rate, '0.0725')).toBe('0.0725');
    expect(validate(rate, '0')).toBe('0');
    for (const bad of ['.5', '00.5', '0.', '-0.1', '1e-2', '0.1234567890123']) expect(() => validate(rate, bad)).toThrow(ValidationError);
  });

  it('dates are real calendar dates', () => {
    expect(validate(isoDate, '2024-02-29')).toBe('2024-02-29');
    for (const bad of ['2025-02-29', '2025-13-01', '2025-1-01', '20250301']) expect(() => validate(isoDate, bad)).toThrow(ValidationError);
  });

  it('a ledger check takes one business date and nothing else', () => {
    expect(validate(startLedgerCheckRequest, startLedgerCheckBody())).toEqual({ businessDate: '2025-02-28' });
    expect(refusedPath(() => validate(startLedgerCheckRequest, {}))).toBe('businessDate');
    expect(refusedPath(() => validate(startLedgerCheckRequest, startLedgerCheckBody({ shard: 1 })))).toBe('body');
  });

  it('the version query is a positive whole number given as text', () => {
    expect(validate(versionQuery, { version: '2' })).toEqual({ version: 2 });
    expect(validate(versionQuery, {})).toEqual({});
    expect(refusedPath(() => validate(versionQuery, { version: '0' }))).toBe('version');
    expect(refusedPath(() => validate(versionQuery, { version: 'latest' }))).toBe('version');
    expect(refusedPath(() => validate(versionQuery, { v: '1' }))).toBe('body');
  });
});
