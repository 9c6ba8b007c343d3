import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../../shared/domain/access.ts';
import {
  accountNumberProblem,
  borrowerSubject,
  identityCheckCharacter,
  identityNumberProblem,
  maskAccountNumber,
  maskIdentityNumber,
  maskMobile,
  maskName,
  mobileProblem,
  personalDataView,
  personalDataVisibility,
  type PersonalDataSubject,
} from '../../../../shared/domain/personal-data.ts';

const principal = (roles: Principal['roles'], lenderId: string | null): Principal => ({ roles, clientId: 'client', userId: 'user', lenderId });

const BORROWER: PersonalDataSubject = { kind: 'BORROWER', leadLenderId: 'LEAD', entitledLenderIds: ['PARTNER-A', 'GUARANTOR'] };

describe('personalDataVisibility: the one rule, for every kind of principal', () => {
  const cases: [string, Principal, 'CLEAR' | 'MASKED'][] = [
    ['lead operations', principal(['LEAD'], null), 'CLEAR'],
    ['lead operations whose token also names a lender', principal(['LEAD', 'FINANCE'], 'PARTNER-B'), 'CLEAR'],
    ["the lead's own finance team", principal(['FINANCE'], 'LEAD'), 'CLEAR'],
    ['an entitled partner', principal(['PARTNER'], 'PARTNER-A'), 'CLEAR'],
    ["an entitled partner's finance team", principal(['FINANCE'], 'PARTNER-A'), 'CLEAR'],
    ['a partner the program does not entitle', principal(['PARTNER'], 'PARTNER-B'), 'MASKED'],
    ["that partner's finance team", principal(['FINANCE'], 'PARTNER-B'), 'MASKED'],
    ['an entitled guarantor', principal(['PARTNER'], 'GUARANTOR'), 'CLEAR'],
    ['a service partner not entitled', principal(['PARTNER'], 'SERVICE'), 'MASKED'],
    ["the platform's finance team", principal(['FINANCE'], null), 'MASKED'],
  ];
  it.each(cases)("a borrower's data: %s sees it %s", (_who, p, expected) => {
    expect(personalDataVisibility(p, BORROWER)).toBe(expected);
  });

  it("a program that entitles nobody leaves partners masked and the lead clear", () => {
    const subject = borrowerSubject({ leadLenderId: 'LEAD' });
    expect(subject).toEqual({ kind: 'BORROWER', leadLenderId: 'LEAD', entitledLenderIds: [] });
    expect(personalDataVisibility(principal(['PARTNER'], 'PARTNER-A'), subject)).toBe('MASKED');
    expect(personalDataVisibility(principal(['FINANCE'], 'LEAD'), subject)).toBe('CLEAR');
  });

  const account: PersonalDataSubject = { kind: 'LENDER', lenderId: 'PARTNER-A' };
  const lenderCases: [string, Principal, 'CLEAR' | 'MASKED'][] = [
    ['lead operations', principal(['LEAD'], null), 'CLEAR'],
    ['the lender itself', principal(['PARTNER'], 'PARTNER-A'), 'CLEAR'],
    ["the lender's finance team", principal(['FINANCE'], 'PARTNER-A'), 'CLEAR'],
    ['another lender', principal(['PARTNER'], 'PARTNER-B'), 'MASKED'],
    ["the lead's finance team, for a partner's account", principal(['FINANCE'], 'LEAD'), 'MASKED'],
    ["the platform's finance team", principal(['FINANCE'], null), 'MASKED'],
  ];
  it.each(lenderCases)("a lender's settlement account: %s sees it %s", (_who, p, expected) => {
    expect(personalDataVisibility(p, account)).toBe(expected);
  });
});

describe('masking', () => {
  it('keeps what a person can check and nothing more', () => {
    expect(maskIdentityNumber('11010519491231002X')).toBe('110105********002X');
    expect(maskMobile('13812345678')).toBe('138****5678');
    expect(maskAccountNumber('6222000011115678')).toBe('****5678');
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧***');
    expect(maskName('王')).toBe('*');
  });

  it('shows every present field masked, or all in clear, and says which', () => {
    const data = { repaymentAccountNumber: '6222000011115678', name: '张三', mobile: '13812345678', identityNumber: '11010519491231002X' };
    expect(personalDataView(data, 'MASKED')).toEqual({ name: '张*', identityNumber: '110105********002X', mobile: '138****5678', repaymentAccountNumber: '****5678', visibility: 'MASKED' });
    expect(personalDataView(data, 'CLEAR')).toEqual({ ...data, visibility: 'CLEAR' });
    expect(Object.keys(personalDataView(data, 'CLEAR'))).toEqual(['name', 'identityNumber', 'mobile', 'repaymentAccountNumber', 'visibility']);
    expect(personalDataView({ name: '李四' }, 'MASKED')).toEqual({ name: '李*', visibility: 'MASKED' });
  });
});

describe('identityNumberProblem (GB 11643)', () => {
  it('accepts a number whose check character matches, X included', () => {
    expect(identityCheckCharacter('11010519491231002')).toBe('X');
    expect(identityNumberProblem('11010519491231002X')).toBeNull();
    expect(identityNumberProblem('440524198001010013')).toBeNull();
    expect(identityNumberProblem('110105199001011232')).toBeNull();
  });

  it('names the rule a number breaks', () => {
    expect(identityNumberProblem('110105194912310021')?.rule).toBe('identity-number-check-digit');
    expect(identityNumberProblem('11010519491231002x')?.rule).toBe('identity-number-format');
    expect(identityNumberProblem('1101051949123100')?.rule).toBe('identity-number-format');
    expect(identityNumberProblem('110105194913310021')?.rule).toBe('identity-number-birth-date');
    expect(identityNumberProblem('110105194902300021')?.rule).toBe('identity-number-birth-date');
  });

  it('never echoes the number in its message', () => {
    for (const bad of ['110105194912310021', '110105194913310021']) expect(identityNumberProblem(bad)?.message).not.toContain(bad.slice(6, 14));
  });
});

describe('mobile and account numbers', () => {
  it('a mainland mobile number is 11 digits starting 13-19', () => {
    expect(mobileProblem('13812345678')).toBeNull();
    expect(mobileProblem('19912345678')).toBeNull();
    expect(mobileProblem('12812345678')?.rule).toBe('cn-mobile');
    expect(mobileProblem('1381234567')?.rule).toBe('cn-mobile');
    expect(mobileProblem('+8613812345678')?.rule).toBe('cn-mobile');
  });

  it('an account number is 8-32 digits', () => {
    expect(accountNumberProblem('6222000011115678')).toBeNull();
    expect(accountNumberProblem('1234567')?.rule).toBe('account-number');
    expect(accountNumberProblem('6222-0000')?.rule).toBe('account-number');
  });
});
