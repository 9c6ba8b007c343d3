import { hasRole, type Principal } from './access.ts';

/**
 * Personal data (docs/personal-data.md): a borrower's name, PRC resident identity number, mobile
 * phone and repayment account, and a lender's settlement account number. Kept encrypted in the
 * tables, shown in clear only to whom the rule below entitles, masked to everyone else.
 */
export interface PersonalData {
  readonly name?: string;
  readonly identityNumber?: string;
  readonly mobile?: string;
  readonly repaymentAccountNumber?: string;
}

export const PERSONAL_DATA_FIELDS = ['name', 'identityNumber', 'mobile', 'repaymentAccountNumber'] as const;

/**
 * A value encrypted under a data key (AES-256-GCM), with that data key encrypted under the key
 * named here (`keyId`, `keyVersion`): what a table holds instead of the clear value. Binary parts
 * are base64.
 */
export interface SealedValue {
  readonly alg: 'AES-256-GCM';
  readonly keyId: string;
  readonly keyVersion: string;
  readonly encryptedDataKey: string;
  readonly iv: string;
  readonly ciphertext: string;
}

/** A borrower's personal data as records keep it: sealed whole, and the identity number's keyed hash to match on. */
export interface SealedPersonalData {
  readonly sealed: SealedValue;
  /** HMAC-SHA256 of the identity number under the hash key, `hmac-sha256:<keyVersion>:<hex>`; null without one. */
  readonly identityHash: string | null;
}

export type Visibility = 'CLEAR' | 'MASKED';

/** What personal data a caller sees: every field present, in clear or masked, and which. */
export type PersonalDataView = PersonalData & { readonly visibility: Visibility };

/** Whose data it is: a borrower of a program (its lead and the lenders it entitles), or a lender's own account. */
export type PersonalDataSubject =
  | { readonly kind: 'BORROWER'; readonly leadLenderId: string; readonly entitledLenderIds: readonly string[] }
  | { readonly kind: 'LENDER'; readonly lenderId: string };

/**
 * The one rule of who sees personal data in clear. Lead operations always do. A caller bound to a
 * lender does when that lender is the program's lead or a lender the program entitles (for a
 * borrower), or the lender itself (for its own settlement account). Everyone else, the platform's
 * finance team included, sees it masked: settling and reconciling need amounts and ids, not people.
 */
export function personalDataVisibility(principal: Principal, subject: PersonalDataSubject): Visibility {
  if (hasRole(principal, 'LEAD')) return 'CLEAR';
  const own = principal.lenderId;
  if (own === null) return 'MASKED';
  if (subject.kind === 'LENDER') return own === subject.lenderId ? 'CLEAR' : 'MASKED';
  return own === subject.leadLenderId || subject.entitledLenderIds.includes(own) ? 'CLEAR' : 'MASKED';
}

/** The borrower subject of a program's terms (copied onto a loan). */
export function borrowerSubject(terms: { readonly leadLenderId: string; readonly personalData?: { readonly entitledLenderIds: readonly string[] } }): PersonalDataSubject {
  return { kind: 'BORROWER', leadLenderId: terms.leadLenderId, entitledLenderIds: terms.personalData?.entitledLenderIds ?? [] };
}

const stars = (n: number): string => '*'.repeat(Math.max(n, 0));

/** 张三 → 张*: the first character, a star for each other. */
export function maskName(name: string): string {
  const chars = Array.from(name);
  return chars.length <= 1 ? '*' : `${chars[0]}${stars(chars.length - 1)}`;
}

/** 110105199001011234 → 110105********1234: the region code and the last four. */
export function maskIdentityNumber(value: string): string {
  return value.length < 10 ? stars(value.length) : `${value.slice(0, 6)}${stars(value.length - 10)}${value.slice(-4)}`;
}

/** 13812345678 → 138****5678. */
export function maskMobile(value: string): string {
  return value.length < 7 ? stars(value.length) : `${value.slice(0, 3)}${stars(value.length - 7)}${value.slice(-4)}`;
}

/** 6222000011112222 → ****2222: the last four only. */
export function maskAccountNumber(value: string): string {
  return value.length <= 4 ? stars(4) : `****${value.slice(-4)}`;
}

/** Personal data as a caller of that visibility sees it; absent fields stay absent. */
export function personalDataView(data: PersonalData, visibility: Visibility): PersonalDataView {
  if (visibility === 'CLEAR') return { ...orderedFields(data), visibility };
  const masked: Record<string, string> = {};
  if (data.name !== undefined) masked['name'] = maskName(data.name);
  if (data.identityNumber !== undefined) masked['identityNumber'] = maskIdentityNumber(data.identityNumber);
  if (data.mobile !== undefined) masked['mobile'] = maskMobile(data.mobile);
  if (data.repaymentAccountNumber !== undefined) masked['repaymentAccountNumber'] = maskAccountNumber(data.repaymentAccountNumber);
  return { ...(masked as PersonalData), visibility };
}

/** The fields in one order, so what is sealed and shown is canonical. */
export function orderedFields(data: PersonalData): PersonalData {
  const out: Record<string, string> = {};
  for (const field of PERSONAL_DATA_FIELDS) {
    const value = data[field];
    if (value !== undefined) out[field] = value;
  }
  return out as PersonalData;
}

/** A rule a personal-data value breaks: the rule's name and what it requires. */
export interface Problem {
  readonly rule: string;
  readonly message: string;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CHECK_CHARS = '10X98765432';

/** The GB 11643 check character of the first 17 digits of a resident identity number. */
export function identityCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (ID_WEIGHTS[i] ?? 0);
  return ID_CHECK_CHARS[sum % 11] ?? '';
}

/**
 * Why a PRC resident identity number (居民身份证号码, GB 11643-1999) is not one: 18 characters,
 * 17 digits and a check character (a digit or X), a real date of birth in characters 7-14, and
 * the check character the first 17 give. Null when it is one.
 */
export function identityNumberProblem(value: string): Problem | null {
  if (!/^\d{17}[\dX]$/.test(value)) return { rule: 'identity-number-format', message: 'must be 18 characters: 17 digits and a check digit or X (GB 11643)' };
  const birth = value.slice(6, 14);
  const date = new Date(`${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}T00:00:00Z`);
  const year = Number(birth.slice(0, 4));
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10).replaceAll('-', '') !== birth || year < 1900) {
    return { rule: 'identity-number-birth-date', message: 'must hold a real date of birth (YYYYMMDD) in characters 7-14' };
  }
  const expected = identityCheckCharacter(value.slice(0, 17));
  if (value[17] !== expected) return { rule: 'identity-number-check-digit', message: 'the check digit does not match the first 17 digits (GB 11643)' };
  return null;
}

/** Why a value is not a mainland China mobile number: 11 digits, 1, then 3-9. */
export function mobileProblem(value: string): Problem | null {
  return /^1[3-9]\d{9}$/.test(value) ? null : { rule: 'cn-mobile', message: 'must be a mainland China mobile number: 11 digits starting 13-19' };
}

/** Why a value is not a bank account or card number: 8-32 digits. */
export function accountNumberProblem(value: string): Problem | null {
  return /^\d{8,32}$/.test(value) ? null : { rule: 'account-number', message: 'must be a bank account or card number of 8-32 digits' };
}
