import { RuleViolation, ValidationError } from './errors.ts';
import type { SealedValue } from './personal-data.ts';

export type LenderRole = 'LEAD' | 'PARTNER' | 'GUARANTOR' | 'SERVICE_PARTNER';
/** LOCAL_BANK lends online only inside its region under CN-2021; INTERNET_BANK is exempt. */
export type InstitutionType = 'NATIONAL_BANK' | 'LOCAL_BANK' | 'INTERNET_BANK' | 'NON_BANK';

export interface SettlementAccount {
  readonly bankName: string;
  readonly accountName: string;
  /** Sealed (docs/personal-data.md); a record stored before sealing holds it in clear until it is written again. */
  readonly accountNumber: string | SealedValue;
}

export interface LenderLimits {
  /** Total exposure the lender accepts across all joint loans. */
  readonly exposureQuotaMinor: bigint;
  /** Exposure to one borrower across all its loans. */
  readonly perBorrowerCapMinor: bigint;
  /** Lowest and highest share of one loan the lender takes, in basis points. */
  readonly minShareBps: number;
  readonly maxShareBps: number;
}

export interface Lender {
  readonly lenderId: string;
  readonly name: string;
  readonly roles: readonly LenderRole[];
  readonly institutionType: InstitutionType;
  /** Region code (for example a province code, `CN-44`); `NATIONAL` for nationwide institutions. */
  readonly region: string;
  readonly currency: string;
  readonly settlementAccount: SettlementAccount;
  readonly limits: LenderLimits;
  /** Figures of the regulatory ratios (net tier-1 capital, total loans), for banks. */
  readonly netTier1CapitalMinor: bigint | null;
  readonly totalLoansMinor: bigint | null;
  /** Where review requests are posted, signed with HMAC-SHA256 under the lender's secret; none when null. */
  readonly webhook: LenderWebhook | null;
  readonly createdAt: string;
}

/**
 * A lender's webhook as its record keeps it: the address and the version of the signing secret in
 * force. The secret itself is kept in the webhook secret store, never on the record (docs/webhooks.md).
 */
export interface LenderWebhook {
  readonly url: string;
  readonly secretVersion: number;
}

/** A lender as the API shows it: the address and the secret's version, never a secret; its account number as the caller may see it (clear or masked). */
export function lenderView(
  lender: Lender,
  shownAccountNumber: string,
): Omit<Lender, 'webhook' | 'settlementAccount'> & { settlementAccount: SettlementAccount & { accountNumber: string }; webhook: { url: string; secretConfigured: true; secretVersion: number } | null } {
  return {
    ...lender,
    settlementAccount: { ...lender.settlementAccount, accountNumber: shownAccountNumber },
    webhook: lender.webhook ? { url: lender.webhook.url, secretConfigured: true, secretVersion: lender.webhook.secretVersion } : null,
  };
}

export function validateLender(lender: Lender): Lender {
  const { limits } = lender;
  if (new Set(lender.roles).size !== lender.roles.length) {
    throw new ValidationError('roles must not repeat a role', { path: 'roles', rule: 'unique' });
  }
  if (limits.minShareBps > limits.maxShareBps) {
    throw new ValidationError('limits.minShareBps must not exceed limits.maxShareBps', {
      path: 'limits.minShareBps',
      rule: 'min-not-above-max',
      minShareBps: limits.minShareBps,
      maxShareBps: limits.maxShareBps,
    });
  }
  if (limits.perBorrowerCapMinor > limits.exposureQuotaMinor) {
    throw new ValidationError('limits.perBorrowerCapMinor must not exceed limits.exposureQuotaMinor', {
      path: 'limits.perBorrowerCapMinor',
      rule: 'per-borrower-within-quota',
    });
  }
  return lender;
}

export function assertRole(lender: Lender, role: LenderRole, path: string): void {
  if (!lender.roles.includes(role)) {
    throw new RuleViolation('LENDER_ROLE_MISSING', `lender ${lender.lenderId} does not have the role ${role}`, {
      path,
      lenderId: lender.lenderId,
      role,
      roles: lender.roles,
    });
  }
}
