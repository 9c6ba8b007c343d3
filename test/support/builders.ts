/**
 * Builders of domain records and API request bodies with sensible CN-2021 defaults: a lead that
 * funds 40% and two partner banks that fund 30% each, in CNY, ACT/360, HALF_UP. Every builder
 * takes overrides, so a test states only what it is about.
 */
import type { Principal } from '../../shared/domain/access.ts';
import type { Application } from '../../shared/domain/application.ts';
import type { QuotaShard, Reservation } from '../../shared/domain/exposure.ts';
import type { Lender, LenderLimits, LenderRole } from '../../shared/domain/lender.ts';
import type { Leg } from '../../shared/domain/ledger.ts';
import { bookLoan, type BookLoanRequest, type Borrower, type FundingPart, type Loan } from '../../shared/domain/loan.ts';
import { DEFAULT_WATERFALL, type Participant, type ParticipantRole, type Program, type ProgramTerms } from '../../shared/domain/program.ts';
import type { ApplicationState, Ask, PartnerDecision } from '../../shared/domain/review.ts';

export const LEAD_ID = 'LEAD-BANK';
export const PARTNER_A = 'PARTNER-A';
export const PARTNER_B = 'PARTNER-B';
export const GUARANTOR_ID = 'GUARANTOR-1';
export const PROGRAM_ID = 'CONSUMER-2025';
export const LOAN_ID = 'LN-2025-000001';
export const NOW = '2025-03-01T02:00:00.000Z';
export const APPLICATION_ID = 'APP-2025-000001';
/** NOW plus the default review timeout (24 hours). */
export const REVIEW_DEADLINE = '2025-03-02T02:00:00.000Z';

/** RMB 10,000: the default principal, funded 4,000 / 3,000 / 3,000 yuan. */
export const PRINCIPAL_MINOR = 1_000_000n;

export function aLimits(overrides: Partial<LenderLimits> = {}): LenderLimits {
  return {
    exposureQuotaMinor: 100_000_000_000n,
    perBorrowerCapMinor: 50_000_000n,
    minShareBps: 0,
    maxShareBps: 10_000,
    ...overrides,
  };
}

export function aLender(overrides: Partial<Lender> = {}): Lender {
  const lenderId = overrides.lenderId ?? PARTNER_A;
  return {
    lenderId,
    name: `${lenderId} Bank`,
    roles: ['PARTNER'],
    institutionType: 'NATIONAL_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: { bankName: `${lenderId} Bank`, accountName: `${lenderId} co-lending clearing`, accountNumber: '6222000011112222' },
    limits: aLimits(),
    netTier1CapitalMinor: 50_000_000_000_000n,
    totalLoansMinor: 400_000_000_000_000n,
    webhook: null,
    createdAt: NOW,
    ...overrides,
  };
}

export function aLeadLender(overrides: Partial<Lender> = {}): Lender {
  return aLender({ lenderId: LEAD_ID, roles: ['LEAD'], institutionType: 'INTERNET_BANK', ...overrides });
}

export function aPartnerLender(lenderId: string = PARTNER_A, overrides: Partial<Lender> = {}): Lender {
  return aLender({ lenderId, roles: ['PARTNER'], ...overrides });
}

/** The lead and the two partners of the default program. */
export function defaultLenders(): Lender[] {
  return [aLeadLender(), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B)];
}

export function lenderMap(lenders: readonly Lender[] = defaultLenders()): Map<string, Lender> {
  return new Map(lenders.map((l) => [l.lenderId, l]));
}

export function aParticipant(lenderId: string, role: ParticipantRole, targetShareBps: number | null, overrides: Partial<Participant> = {}): Participant {
  return { lenderId, role, targetShareBps, fixedAmountMinor: null, minAmountMinor: null, priority: 100, yieldRate: null, ...overrides };
}

export function defaultParticipants(): Participant[] {
  return [
    aParticipant(LEAD_ID, 'LEAD', 4000, { priority: 0 }),
    aParticipant(PARTNER_A, 'PARTNER', 3000, { priority: 1 }),
    aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2 }),
  ];
}

export function aProgramTerms(overrides: Partial<ProgramTerms> = {}): ProgramTerms {
  return {
    name: 'Consumer co-lending 2025',
    startDate: '2020-01-01',
    currency: 'CNY',
    regulatoryProfile: 'CN-2021',
    leadLenderId: LEAD_ID,
    amountRange: { minMinor: 100_000n, maxMinor: 50_000_000n },
    termMonthsRange: { min: 1, max: 36 },
    repaymentMethods: ['EQUAL_INSTALLMENT', 'EQUAL_PRINCIPAL', 'INTEREST_ONLY', 'BULLET'],
    borrowerRateRange: { min: '0.036', max: '0.24' },
    participants: defaultParticipants(),
    allocationPolicy: 'TARGET_SHARES',
    split: { interestBasis: 'PRO_RATA', penalty: 'PRO_RATA', fees: 'LEAD', remainderRule: 'ROUNDING_PARTY', roundingParty: null },
    fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: null },
    lossSharing: { method: 'PRO_RATA', leadFirstLossCapBps: null, guaranteeTriggerDpd: null, guaranteeCoversInterest: true, writeOffDpd: null },
    transfers: { interest: 'RECORD' },
    dayCount: 'ACT/360',
    roundingMode: 'HALF_UP',
    penaltyRateMultiplier: '1.5',
    prepayment: { excess: 'SUSPENSE', reschedule: 'LOWER_INSTALMENT' },
    buyback: { buyers: ['LEAD', 'GUARANTOR'], price: { accruedInterest: true, overdueInterest: true, penalty: false, premiumRate: '0' } },
    waterfall: DEFAULT_WATERFALL,
    settlement: { cutoffTime: '22:00', settlementLagDays: 1, netting: true, calendar: 'CN' },
    reviewTimeoutSeconds: 86_400,
    disbursementTimeoutSeconds: 604_800,
    ...overrides,
  };
}

export function aProgram(overrides: Partial<Program> = {}): Program {
  return { programId: PROGRAM_ID, version: 1, createdAt: NOW, ...aProgramTerms(), ...overrides };
}

/** IN-2025 in INR: a lead keeping 20% and one partner funding 80%. */
export function anIndiaLenders(): Lender[] {
  return [aLeadLender({ currency: 'INR' }), aPartnerLender(PARTNER_A, { currency: 'INR' })];
}

export function anIndiaProgramTerms(overrides: Partial<ProgramTerms> = {}): ProgramTerms {
  return aProgramTerms({
    name: 'MSME co-lending 2025',
    currency: 'INR',
    regulatoryProfile: 'IN-2025',
    participants: [aParticipant(LEAD_ID, 'LEAD', 2000, { priority: 0 }), aParticipant(PARTNER_A, 'PARTNER', 8000, { priority: 1 })],
    settlement: { cutoffTime: '20:00', settlementLagDays: 1, netting: true, calendar: 'IN' },
    ...overrides,
  });
}

export function aBorrower(overrides: Partial<Borrower> = {}): Borrower {
  return { borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', secured: false, ...overrides };
}

export function plan(...parts: readonly (readonly [string, bigint])[]): FundingPart[] {
  return parts.map(([lenderId, amountMinor]) => ({ lenderId, amountMinor }));
}

/** 40% / 30% / 30% of the principal; each partner's 30% rounds up (never below the CN-2021 floor), the lead takes the rest. */
export function defaultPlan(principalMinor: bigint = PRINCIPAL_MINOR): FundingPart[] {
  const partner = (principalMinor * 3_000n + 9_999n) / 10_000n;
  return plan([LEAD_ID, principalMinor - 2n * partner], [PARTNER_A, partner], [PARTNER_B, partner]);
}

export function aBookLoanRequest(overrides: Partial<BookLoanRequest> = {}): BookLoanRequest {
  const principalMinor = overrides.principalMinor ?? PRINCIPAL_MINOR;
  return {
    loanId: LOAN_ID,
    programId: PROGRAM_ID,
    programVersion: null,
    borrower: aBorrower(),
    currency: 'CNY',
    principalMinor,
    annualRate: '0.0725',
    termMonths: 12,
    repaymentMethod: 'EQUAL_INSTALLMENT',
    disbursementDate: '2025-03-01',
    disbursementReference: 'DISB-20250301-0001',
    fundingPlan: defaultPlan(principalMinor),
    ...overrides,
  };
}

// Quota ----------------------------------------------------------------------------------------

/** One eighth of the default exposure quota (RMB 1,000,000,000.00): what each of its shards is allotted. */
export const SHARD_ALLOTMENT_MINOR = 12_500_000_000n;

/** A stored shard of partner A's default quota: shard 0, written once, nothing held yet. */
export function aQuotaShard(overrides: Partial<QuotaShard> = {}): QuotaShard {
  return {
    lenderId: PARTNER_A,
    shard: 0,
    allotmentMinor: SHARD_ALLOTMENT_MINOR,
    reservedMinor: 0n,
    committedMinor: 0n,
    committedByLeadMinor: {},
    version: 1,
    ...overrides,
  };
}

/**
 * Partner A's 30% of the default application reserved: the application's id starts at shard 0,
 * which has room for all of it.
 */
export function aReservation(overrides: Partial<Reservation> = {}): Reservation {
  const amountMinor = overrides.amountMinor ?? 300_000n;
  return { applicationId: APPLICATION_ID, lenderId: PARTNER_A, amountMinor, takes: [{ shard: 0, amountMinor }], state: 'RESERVED', at: NOW, ...overrides };
}

// Joint review ---------------------------------------------------------------------------------

/** An application of the default program: RMB 10,000 over 12 months, approved by the lead. */
export function anApplication(overrides: Partial<Application> = {}): Application {
  return {
    applicationId: APPLICATION_ID,
    borrower: aBorrower(),
    programId: PROGRAM_ID,
    programVersion: 1,
    amountMinor: PRINCIPAL_MINOR,
    termMonths: 12,
    repaymentMethod: 'EQUAL_INSTALLMENT',
    annualRate: '0.0725',
    purpose: 'Household appliances',
    leadApproval: { approved: true, reference: 'LEAD-APPROVAL-0001', approvedAt: NOW },
    createdAt: NOW,
    ...overrides,
  };
}

export function anApplicationRecord(overrides: Partial<ApplicationState<Application>> = {}): ApplicationState<Application> {
  return { application: anApplication(), status: 'IN_REVIEW', round: 1, plan: null, reasons: [], dropped: [], timeline: [], loanId: null, ...overrides };
}

/** Partner A asked for its 30% in round 1, still open. */
export function anAsk(overrides: Partial<Ask> = {}): Ask {
  return {
    applicationId: APPLICATION_ID,
    lenderId: PARTNER_A,
    round: 1,
    askedAmountMinor: 300_000n,
    minimumAmountMinor: 300_000n,
    priority: 1,
    askedAt: NOW,
    deadline: REVIEW_DEADLINE,
    state: 'PENDING',
    decision: null,
    ...overrides,
  };
}

export function aPartnerDecision(overrides: Partial<PartnerDecision> = {}): PartnerDecision {
  return {
    decision: 'APPROVE',
    approvedAmountMinor: 300_000n,
    conditions: [],
    reasonCodes: [],
    comment: null,
    decidedBy: 'partner-a-client',
    decidedAt: NOW,
    ...overrides,
  };
}

// Principals -----------------------------------------------------------------------------------

export const leadOps: Principal = { roles: ['LEAD'], clientId: 'lead-ops-client', userId: 'lead-ops-client', lenderId: LEAD_ID };
export const platformFinance: Principal = { roles: ['FINANCE'], clientId: 'platform-finance-client', userId: 'platform-finance-client', lenderId: null };

export function partnerOf(lenderId: string = PARTNER_A): Principal {
  return { roles: ['PARTNER'], clientId: `${lenderId.toLowerCase()}-client`, userId: `${lenderId.toLowerCase()}-client`, lenderId };
}

export function financeOf(lenderId: string): Principal {
  return { roles: ['FINANCE'], clientId: `${lenderId.toLowerCase()}-finance-client`, userId: `${lenderId.toLowerCase()}-finance-client`, lenderId };
}

// Request bodies (JSON as a client sends it: amounts are strings of digits) --------------------

export type JsonBody = Record<string, unknown>;

export function createLenderBody(overrides: JsonBody = {}): JsonBody {
  return {
    lenderId: PARTNER_A,
    name: 'Partner A Bank',
    roles: ['PARTNER'] satisfies LenderRole[],
    institutionType: 'NATIONAL_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: { bankName: 'Partner A Bank', accountName: 'Partner A co-lending clearing', accountNumber: '6222000011112222' },
    limits: { exposureQuotaMinor: '100000000000', perBorrowerCapMinor: '50000000', minShareBps: 0, maxShareBps: 10000 },
    netTier1CapitalMinor: '50000000000000',
    totalLoansMinor: '400000000000000',
    ...overrides,
  };
}

/** The body that creates the lender `lender` describes (amounts as strings). */
export function createLenderBodyOf(lender: Lender): JsonBody {
  const { createdAt: _createdAt, limits, netTier1CapitalMinor, totalLoansMinor, roles, ...rest } = lender;
  return {
    ...rest,
    roles: [...roles],
    limits: { ...limits, exposureQuotaMinor: limits.exposureQuotaMinor.toString(), perBorrowerCapMinor: limits.perBorrowerCapMinor.toString() },
    netTier1CapitalMinor: netTier1CapitalMinor === null ? null : netTier1CapitalMinor.toString(),
    totalLoansMinor: totalLoansMinor === null ? null : totalLoansMinor.toString(),
  };
}

export function createProgramBody(overrides: JsonBody = {}): JsonBody {
  return {
    programId: PROGRAM_ID,
    name: 'Consumer co-lending 2025',
    currency: 'CNY',
    leadLenderId: LEAD_ID,
    amountRange: { minMinor: '100000', maxMinor: '50000000' },
    termMonthsRange: { min: 1, max: 36 },
    repaymentMethods: ['EQUAL_INSTALLMENT', 'EQUAL_PRINCIPAL', 'INTEREST_ONLY', 'BULLET'],
    borrowerRateRange: { min: '0.036', max: '0.24' },
    participants: [
      { lenderId: LEAD_ID, role: 'LEAD', targetShareBps: 4000, priority: 0 },
      { lenderId: PARTNER_A, role: 'PARTNER', targetShareBps: 3000, priority: 1 },
      { lenderId: PARTNER_B, role: 'PARTNER', targetShareBps: 3000, priority: 2 },
    ],
    ...overrides,
  };
}

export function bookLoanBody(overrides: JsonBody = {}): JsonBody {
  return {
    loanId: LOAN_ID,
    programId: PROGRAM_ID,
    borrower: { borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44' },
    currency: 'CNY',
    principalMinor: '1000000',
    annualRate: '0.0725',
    termMonths: 12,
    repaymentMethod: 'EQUAL_INSTALLMENT',
    disbursementDate: '2025-03-01',
    disbursementReference: 'DISB-20250301-0001',
    fundingPlan: [
      { lenderId: LEAD_ID, amountMinor: '400000' },
      { lenderId: PARTNER_A, amountMinor: '300000' },
      { lenderId: PARTNER_B, amountMinor: '300000' },
    ],
    ...overrides,
  };
}

export function createApplicationBody(overrides: JsonBody = {}): JsonBody {
  return {
    applicationId: APPLICATION_ID,
    programId: PROGRAM_ID,
    borrower: { borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44' },
    currency: 'CNY',
    amountMinor: '1000000',
    termMonths: 12,
    repaymentMethod: 'EQUAL_INSTALLMENT',
    annualRate: '0.0725',
    purpose: 'Household appliances',
    leadApproval: { approved: true, reference: 'LEAD-APPROVAL-0001', approvedAt: NOW },
    ...overrides,
  };
}

export function approveBody(amountMinor = '300000', overrides: JsonBody = {}): JsonBody {
  return { decision: 'APPROVE', approvedAmountMinor: amountMinor, ...overrides };
}

export function declineBody(overrides: JsonBody = {}): JsonBody {
  return { decision: 'DECLINE', reasonCodes: ['INCOME_INSUFFICIENT'], ...overrides };
}

export function startLedgerCheckBody(overrides: JsonBody = {}): JsonBody {
  return { businessDate: '2025-02-28', ...overrides };
}

// Loans ----------------------------------------------------------------------------------------

/** A booked loan of the default request under the default program, both overridable. */
export function aLoan(request: Partial<BookLoanRequest> = {}, terms: Partial<ProgramTerms> = {}): Loan {
  return bookLoan(aBookLoanRequest(request), aProgram(terms), lenderMap(), NOW).loan;
}

/** A journal entry's leg: `D` or `C`, with the counterparty and component of a clearing leg when it has them. */
export function aLeg(lenderId: string, account: Leg['account'], side: 'D' | 'C', amountMinor: bigint, counterparty: string | null = null, component?: Leg['component']): Leg {
  return { lenderId, account, side: side === 'D' ? 'DEBIT' : 'CREDIT', amountMinor, counterparty, ...(component === undefined ? {} : { component }) };
}
