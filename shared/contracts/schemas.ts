import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, cursorParam, pageParams } from './paging.ts';
import { ID_PATTERN, LENDER_ID_PATTERN } from '../domain/ids.ts';
import { REGULATORY_PROFILE_IDS } from '../domain/regulatory-profile.ts';
import { calendarDate, pastDate, pastInstant } from './dates.ts';
import { accountNumberProblem, identityNumberProblem, mobileProblem, type Problem } from '../domain/personal-data.ts';

/**
 * The API contract. The same schemas validate requests and generate the OpenAPI document.
 * Amounts are whole minor units (fen) as a string of digits (a safe JSON integer is accepted too);
 * rates are decimal strings.
 */
const MINOR_MESSAGE = 'must be a whole number of minor units (fen), as a string of digits';

/**
 * The largest amount any field takes: 10^15 minor units (10 trillion yuan), above any loan, quota
 * or bank's capital the platform books. A larger amount is refused with AMOUNT_TOO_LARGE, the
 * field, the amount and this maximum (docs/architecture.md, Requests).
 */
export const MAX_AMOUNT_MINOR = 10n ** 15n;

function minorInput(sign: 'non-negative' | 'positive') {
  return z
    .union([z.string().regex(/^-?\d{1,30}$/, MINOR_MESSAGE), z.number().int(MINOR_MESSAGE).safe(MINOR_MESSAGE)], { error: MINOR_MESSAGE })
    .transform((v) => BigInt(v))
    .meta({ [MINOR_AMOUNT]: sign });
}

/** An amount no larger than MAX_AMOUNT_MINOR, with the figures when it is. */
function atMostMaximum(amount: bigint, ctx: z.RefinementCtx): void {
  if (amount <= MAX_AMOUNT_MINOR) return;
  ctx.addIssue({
    code: 'custom',
    message: `must be at most ${MAX_AMOUNT_MINOR} minor units, got ${amount}`,
    params: { code: 'AMOUNT_TOO_LARGE', rule: 'max-amount', amount: amount.toString(), maximum: MAX_AMOUNT_MINOR.toString() },
  });
}

/** Marks amount schemas so the OpenAPI document publishes exactly what is accepted (see openapi.ts). */
export const MINOR_AMOUNT = 'x-minor-amount';
/** The one amount schema of the API: every amount field is one of these two. */
export const nonNegativeMinor = minorInput('non-negative').pipe(z.bigint().nonnegative('must not be negative').superRefine(atMostMaximum));
export const positiveMinor = minorInput('positive').pipe(z.bigint().positive('must be positive').superRefine(atMostMaximum));
export const minorOut = z.string().regex(/^-?\d+$/).describe('minor units (fen), as a string of digits');

const webhookSecret = z.string().min(32, 'a signing secret has at least 32 characters').max(256);

export const id = z.string().regex(ID_PATTERN, "1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit");
/** A lender's own id, where a lender is created or named in a path: no `:`, as it names the lender's folder of files. */
export const lenderId = z.string().regex(LENDER_ID_PATTERN, "a lender id: 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit (no ':')");
export const rate = z
  .string()
  .regex(/^(0|[1-9]\d{0,2})(\.\d{1,12})?$/, 'must be a decimal string such as "0.0725"')
  .describe('annual rate as a decimal string, 0.0725 = 7.25%');
export const bps = z.number().int().min(0).max(10_000).describe('basis points, 10000 = 100%');
/** Every date a client names is checked by the one validator of shared/contracts/dates.ts. */
export const isoDate = calendarDate;
const currency = z.enum(['CNY', 'INR']);
const text = (max: number) => z.string().trim().min(1).max(max);
const region = z.string().regex(/^[A-Z]{2}(-[A-Z0-9]{1,6})?$|^NATIONAL$/, 'a region code such as CN-44, or NATIONAL');

export const lenderRole = z.enum(['LEAD', 'PARTNER', 'GUARANTOR', 'SERVICE_PARTNER']);

export const createLenderRequest = z.strictObject({
  lenderId,
  name: text(200),
  roles: z.array(lenderRole).min(1).max(4),
  institutionType: z.enum(['NATIONAL_BANK', 'LOCAL_BANK', 'INTERNET_BANK', 'NON_BANK']),
  region,
  currency,
  settlementAccount: z.strictObject({ bankName: text(200), accountName: text(200), accountNumber: z.string().regex(/^[0-9A-Za-z-]{4,40}$/) }),
  limits: z.strictObject({
    exposureQuotaMinor: nonNegativeMinor,
    perBorrowerCapMinor: nonNegativeMinor,
    minShareBps: bps.default(0),
    maxShareBps: bps.default(10_000),
  }),
  netTier1CapitalMinor: nonNegativeMinor.nullable().default(null),
  totalLoansMinor: nonNegativeMinor.nullable().default(null),
  webhook: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }).refine((u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(u), 'must be https (http only for localhost)'),
      secret: webhookSecret,
    })
    .nullable()
    .default(null),
});
export type CreateLenderRequest = z.output<typeof createLenderRequest>;

/** `POST /v1/lenders/{lenderId}/webhook-secret`: the new signing secret (docs/webhooks.md, Rotation). */
export const rotateWebhookSecretRequest = z.strictObject({ secret: webhookSecret });
export type RotateWebhookSecretRequest = z.output<typeof rotateWebhookSecretRequest>;

const repaymentMethod = z.enum(['EQUAL_INSTALLMENT', 'EQUAL_PRINCIPAL', 'INTEREST_ONLY', 'BULLET']);
const waterfallComponent = z.enum(['PENALTY', 'OVERDUE_INTEREST', 'OVERDUE_PRINCIPAL', 'CURRENT_INTEREST', 'CURRENT_PRINCIPAL', 'FEES']);

const participant = z.strictObject({
  lenderId: id,
  role: lenderRole,
  targetShareBps: bps.nullable().default(null),
  fixedAmountMinor: positiveMinor.nullable().default(null),
  minAmountMinor: positiveMinor.nullable().default(null),
  priority: z.number().int().min(0).max(1000).default(100),
  yieldRate: rate.nullable().default(null),
});

/** A program's fee rule (docs/fees.md). */
const feeRule = z.strictObject({
  id,
  kind: z.enum(['SERVICE', 'GUARANTEE', 'SERVICE_PARTNER_SHARE', 'OTHER']),
  payee: id,
  base: z.enum(['OUTSTANDING_PRINCIPAL', 'REPAYMENT_INTEREST', 'FLAT']),
  rate: rate.nullable().default(null),
  amountMinor: positiveMinor.nullable().default(null),
  period: z.enum(['MONTHLY', 'QUARTERLY', 'PER_REPAYMENT']),
  payer: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('BORROWER') }),
    z.strictObject({ kind: z.literal('DEDUCTED_FROM_INTEREST'), lenders: z.union([z.literal('ALL_PARTNERS'), z.array(id).min(1).max(20)]) }),
  ]),
});

export const createProgramRequest = z.strictObject({
  programId: id,
  name: text(200),
  /** The first date of the program's business; the creation date on the program's calendar when absent. */
  startDate: calendarDate.optional(),
  currency,
  regulatoryProfile: z.enum(REGULATORY_PROFILE_IDS as [string, ...string[]]).optional(),
  leadLenderId: id,
  amountRange: z.strictObject({ minMinor: positiveMinor, maxMinor: positiveMinor }),
  termMonthsRange: z.strictObject({ min: z.number().int().min(1).max(360), max: z.number().int().min(1).max(360) }),
  repaymentMethods: z.array(repaymentMethod).min(1).max(4),
  borrowerRateRange: z.strictObject({ min: rate, max: rate }),
  participants: z.array(participant).min(2).max(20),
  allocationPolicy: z.enum(['TARGET_SHARES', 'PRIORITY_FILL']).default('TARGET_SHARES'),
  split: z
    .strictObject({
      interestBasis: z.enum(['PRO_RATA', 'LENDER_RATE']).default('PRO_RATA'),
      penalty: z.enum(['PRO_RATA', 'LEAD']).default('PRO_RATA'),
      fees: z.union([z.literal('LEAD'), z.strictObject({ party: id })]).default('LEAD'),
      remainderRule: z.enum(['ROUNDING_PARTY', 'LARGEST_REMAINDER']).default('ROUNDING_PARTY'),
      roundingParty: id.nullable().default(null),
    })
    .prefault({}),
  fees: z
    .strictObject({
      serviceFeeRate: rate.nullable().default(null),
      guaranteeFeeRate: rate.nullable().default(null),
      guarantorLenderId: id.nullable().default(null),
      rules: z.array(feeRule).max(20).optional(),
    })
    .prefault({}),
  lossSharing: z
    .strictObject({
      method: z.enum(['PRO_RATA', 'LEAD_FIRST_LOSS']).default('PRO_RATA'),
      leadFirstLossCapBps: bps.nullable().default(null),
      guaranteeTriggerDpd: z.number().int().min(1).max(3650).nullable().default(null),
      guaranteeCoversInterest: z.boolean().default(true),
      writeOffDpd: z.number().int().min(1).max(3650).nullable().default(null),
    })
    .prefault({}),
  transfers: z.strictObject({ interest: z.enum(['ACTUALS', 'RECORD']).default('RECORD') }).prefault({}),
  prepayment: z
    .strictObject({
      /** What a payment above every due does: held in suspense, or repays principal early. */
      excess: z.enum(['SUSPENSE', 'PREPAY']).default('SUSPENSE'),
      /** After a partial early repayment: fewer instalments of the same size, or as many, smaller. */
      reschedule: z.enum(['SHORTER_TERM', 'LOWER_INSTALMENT']).default('LOWER_INSTALMENT'),
      /** How far a payment may exceed what the loan can owe, in basis points of its principal (10% when not set). */
      overpaymentToleranceBps: bps.optional(),
    })
    .prefault({}),
  /** Who may buy a partner's remaining share back (回购), and the price rule (docs/repayment-booking.md). */
  buyback: z
    .strictObject({
      buyers: z
        .array(z.enum(['LEAD', 'GUARANTOR']))
        .min(1)
        .max(2)
        .refine((b) => new Set(b).size === b.length, 'must list each buyer once')
        .default(['LEAD', 'GUARANTOR']),
      price: z
        .strictObject({
          /** The seller's part of the interest accrued on principal not yet due, to the value date. */
          accruedInterest: z.boolean().default(true),
          /** The seller's part of the unpaid interest of rows due on or before the value date. */
          overdueInterest: z.boolean().default(true),
          /** The seller's part of the penalty and compound interest accrued to the value date. */
          penalty: z.boolean().default(false),
          premiumRate: z
            .string()
            .regex(/^-?(0|[1-9]\d{0,2})(\.\d{1,12})?$/, 'must be a decimal string such as "0" (par) or "-0.02" (a 2% discount)')
            .default('0')
            .describe('premium (positive) or discount (negative) on the price, above -1 and at most 1'),
        })
        .prefault({}),
    })
    .prefault({}),
  dayCount: z.enum(['ACT/360', 'ACT/365', '30/360']).default('ACT/360'),
  roundingMode: z.enum(['HALF_UP', 'HALF_EVEN', 'DOWN']).default('HALF_UP'),
  penaltyRateMultiplier: z.string().regex(/^\d{1,2}(\.\d{1,6})?$/).default('1.5'),
  waterfall: z.array(waterfallComponent).length(6).refine((w) => new Set(w).size === 6, 'must list each component once').optional(),
  settlement: z
    .strictObject({
      cutoffTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM').default('22:00'),
      settlementLagDays: z.number().int().min(0).max(10).default(1),
      netting: z.boolean().default(true),
      calendar: z.string().regex(/^[A-Z]{2}$/).default('CN'),
    })
    .prefault({}),
  /** How long each partner has to decide; 24 hours unless set. */
  reviewTimeoutSeconds: z.number().int().min(1).max(30 * 86_400).default(86_400),
  /** How long the plan waits for the lead's disbursement; capped by the profile (IN-2025: 15 days). */
  disbursementTimeoutSeconds: z.number().int().min(1).max(30 * 86_400).default(7 * 86_400),
  /** The participants besides the lead that see borrowers' personal data in clear (docs/personal-data.md). */
  personalData: z.strictObject({ entitledLenderIds: z.array(id).max(20) }).optional(),
});
export type CreateProgramRequest = z.output<typeof createProgramRequest>;

/** The program version a request is made under; the latest when null. */
const programVersion = z.number().int().min(1).nullable().default(null);

/** A value checked by a rule of the domain: a refused one names the rule, and never echoes the value (docs/personal-data.md). */
const checkedBy = (problem: (value: string) => Problem | null) =>
  z.string().superRefine((value, ctx) => {
    const found = problem(value);
    if (found !== null) ctx.addIssue({ code: 'custom', message: found.message, params: { rule: found.rule } });
  });

/**
 * A borrower's personal data (docs/personal-data.md): optional, each field too, at least one when
 * given. Stored encrypted, shown masked unless the program entitles the caller.
 */
export const borrowerPersonalData = z
  .strictObject({
    name: text(100).optional(),
    identityNumber: checkedBy(identityNumberProblem).optional().describe('PRC resident identity number, 18 characters with the GB 11643 check digit'),
    mobile: checkedBy(mobileProblem).optional().describe('mainland China mobile number, 11 digits'),
    repaymentAccountNumber: checkedBy(accountNumberProblem).optional().describe('the bank account or card the borrower repays from, 8-32 digits'),
  })
  .refine((data) => Object.keys(data).length > 0, { message: 'must give at least one field', params: { rule: 'not-empty' } });

/**
 * `POST /v1/borrower-lookups`: a person looked up by its identity number, sent in the body so it
 * never appears in a URL or an access log; refused by the same rules as when it is given with a
 * borrower, never echoed. The page's `limit` and `cursor` travel in the body too: the cursor names
 * the person's key.
 */
export const borrowerLookupRequest = z.strictObject({
  identityNumber: checkedBy(identityNumberProblem).describe('PRC resident identity number, 18 characters with the GB 11643 check digit'),
  limit: z.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT).describe(`loans and applications a page, 1-${MAX_PAGE_LIMIT}, ${DEFAULT_PAGE_LIMIT} by default`),
  cursor: cursorParam.optional(),
});
export type BorrowerLookupRequest = z.output<typeof borrowerLookupRequest>;

const borrower = z.strictObject({
  borrowerId: id,
  type: z.enum(['INDIVIDUAL', 'BUSINESS']),
  region,
  secured: z.boolean().default(false),
  personalData: borrowerPersonalData.optional(),
});

const termMonths = z.number().int().min(1).max(360);

export const bookLoanRequest = z.strictObject({
  loanId: id,
  programId: id,
  programVersion,
  borrower,
  currency,
  principalMinor: positiveMinor,
  annualRate: rate,
  termMonths,
  repaymentMethod,
  disbursementDate: pastDate,
  disbursementReference: text(64),
  fundingPlan: z.array(z.strictObject({ lenderId: id, amountMinor: positiveMinor })).min(1).max(20),
});
export type BookLoanRequestBody = z.output<typeof bookLoanRequest>;

export const createApplicationRequest = z.strictObject({
  applicationId: id,
  programId: id,
  programVersion,
  borrower,
  currency,
  amountMinor: positiveMinor,
  termMonths,
  repaymentMethod,
  annualRate: rate,
  purpose: text(200),
  leadApproval: z.strictObject({
    approved: z.literal(true, 'the lead approves its own part before asking partners'),
    reference: text(64),
    approvedAt: pastInstant,
  }),
});
export type CreateApplicationRequest = z.output<typeof createApplicationRequest>;

const code = z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'an upper-case code such as INCOME_INSUFFICIENT');

export const decisionRequest = z.strictObject({
  decision: z.enum(['APPROVE', 'DECLINE']),
  approvedAmountMinor: positiveMinor.nullable().default(null),
  conditions: z.array(text(200)).max(20).default([]),
  reasonCodes: z.array(code).max(20).default([]),
  comment: text(500).nullable().default(null),
});
export type DecisionRequest = z.output<typeof decisionRequest>;

export const disbursementRequest = z.discriminatedUnion('outcome', [
  z.strictObject({ outcome: z.literal('DISBURSED'), disbursementReference: text(64), disbursementDate: pastDate }),
  z.strictObject({ outcome: z.literal('FAILED'), reason: text(200) }),
  z.strictObject({ outcome: z.literal('CANCELLED'), reason: text(200) }),
]);
export type DisbursementRequest = z.output<typeof disbursementRequest>;

export const applicationsQuery = z.strictObject({
  status: z.enum(['IN_REVIEW', 'PLANNED', 'AWAITING_DISBURSEMENT', 'BOOKED', 'REJECTED', 'DISBURSEMENT_FAILED', 'REVIEW_FAILED', 'CANCELLED', 'EXPIRED']).optional(),
  ...pageParams(),
});

export const REPAYMENT_CHANNELS = ['AUTO_DEBIT', 'BANK_TRANSFER', 'COUNTER', 'THIRD_PARTY', 'OTHER'] as const;
export const REPAYMENT_KINDS = ['REGULAR', 'PREPAYMENT'] as const;
export const MAX_REPAYMENTS_PER_CALL = 100;

/** One borrower payment; its repayment id is its idempotency key. */
export const repaymentRequest = z.strictObject({
  repaymentId: id,
  loanId: id,
  amountMinor: positiveMinor,
  currency,
  valueDate: isoDate,
  channel: z.enum(REPAYMENT_CHANNELS),
  /** PREPAYMENT applies what is paid above the dues to principal early, whatever the program's default. */
  kind: z.enum(REPAYMENT_KINDS).default('REGULAR'),
});
export type RepaymentRequestBody = z.output<typeof repaymentRequest>;

export const postRepaymentsRequest = z.strictObject({
  repayments: z.array(repaymentRequest).min(1).max(MAX_REPAYMENTS_PER_CALL),
});
export type PostRepaymentsRequestBody = z.output<typeof postRepaymentsRequest>;

export const reversalRequest = z.strictObject({
  reversalId: id,
  reason: z.enum(['BOUNCED', 'MISTAKEN', 'DUPLICATE', 'OTHER']),
  comment: text(500).nullable().default(null),
});
export type ReversalRequestBody = z.output<typeof reversalRequest>;

/** `POST /v1/loans/{loanId}/transfers`: a lender sells some or all of its part; the transfer id is the idempotency key. */
export const transferRequest = z.strictObject({
  transferId: id,
  fromLenderId: id,
  toLenderId: id,
  principalMinor: positiveMinor,
  valueDate: pastDate,
  reason: text(200).default('Share transfer'),
});
export type TransferRequestBody = z.output<typeof transferRequest>;

/**
 * `POST /v1/loans/{loanId}/buybacks`: the buyer takes the seller's whole remaining share at the
 * program's price; the buyback id is the idempotency key. A stated `expectedPriceMinor` that is not
 * the price refuses the buyback.
 */
export const buybackRequest = z.strictObject({
  buybackId: id,
  sellerLenderId: id,
  buyerId: id,
  valueDate: pastDate,
  expectedPriceMinor: positiveMinor.optional(),
  reason: text(200).default('Buyback'),
});
export type BuybackRequestBody = z.output<typeof buybackRequest>;

/** `POST /v1/loans/{loanId}/write-off`: the write-off id is the idempotency key. */
export const writeOffRequest = z.strictObject({
  writeOffId: id,
  valueDate: pastDate,
  reason: text(200),
});
export type WriteOffRequestBody = z.output<typeof writeOffRequest>;

/**
 * `POST /v1/loans/{loanId}/loss-events/{eventId}/reversal`: which loss event of that id (a risk
 * run books its compensation and write-off of a date under one id), and why; the reversal id books
 * it once.
 */
export const lossEventReversalRequest = z.strictObject({
  reversalId: id,
  type: z.enum(['COMPENSATION', 'WRITE_OFF']),
  reason: z.enum(['WRONG_DATE', 'MISTAKEN', 'OTHER']),
  comment: text(500).nullable().default(null),
});
export type LossEventReversalRequestBody = z.output<typeof lossEventReversalRequest>;

/** The body of a request that starts a run of a business date. */
const businessDateRequest = z.strictObject({ businessDate: pastDate });
export const startLedgerCheckRequest = businessDateRequest;
export const startRiskUpdateRequest = businessDateRequest;

export const businessDatePath = z.object({ businessDate: isoDate });

/** `POST /v1/settlement-runs`: the date to settle; `restart` runs a date whose run stopped midway again. */
export const startSettlementRequest = z.strictObject({ businessDate: pastDate, restart: z.boolean().optional() });
export type StartSettlementRequest = z.output<typeof startSettlementRequest>;

/** `GET /v1/settlement-runs`: the latest `limit` runs (1-62, 62 by default) dated from `from` to `to`, both optional and inclusive. */
export const settlementRunsQuery = z.strictObject({ from: isoDate.optional(), to: isoDate.optional(), limit: z.coerce.number().int().min(1).max(62).optional(), cursor: cursorParam.optional() });

export const instructionPath = z.object({ businessDate: isoDate, instructionId: z.string().regex(/^SI-[A-Za-z0-9_.:-]{1,200}$/, 'an instruction id SI-...') });

/** The bank's confirmation of an executed transfer. */
export const executedRequest = z.strictObject({ bankReference: z.string().regex(/^[A-Za-z0-9_.:/-]{1,64}$/, "1-64 letters, digits, '_', '.', ':', '/' or '-'"), executedAt: pastInstant });
export type ExecutedRequest = z.output<typeof executedRequest>;

export const statementsPath = z.object({ lenderId, businessDate: isoDate });
export const statementFilePath = z.object({ lenderId, businessDate: isoDate, fileName: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a file name') });

/** A profit-sharing period: a month `YYYY-MM` or a quarter `YYYY-Qn`. */
export const profitPeriod = z.string().regex(/^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/, 'must be a month YYYY-MM or a quarter YYYY-Qn');

/** `POST /v1/profit-runs`: share a program's profit of a period; `restart` runs a period whose run stopped midway again. */
export const startProfitRunRequest = z.strictObject({ programId: id, period: profitPeriod, restart: z.boolean().optional() });
export type StartProfitRunRequest = z.output<typeof startProfitRunRequest>;

export const profitRunPath = z.object({ programId: id, period: profitPeriod });
export const profitStatementPath = z.object({ lenderId, period: profitPeriod });

/** A month's profit, a page at a time: the first without `cursor`, each next with the previous page's. */
export const profitQuery = z.strictObject({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM'), cursor: cursorParam.optional() });

export const versionQuery = z.strictObject({ version: z.coerce.number().int().min(1).optional() });

/**
 * An operator's table of a calendar year (docs/calendar.md). The dates are strings here: whether
 * each is a real date of the year, a weekend when worked, and listed once is the domain's check
 * (`validateCalendarYear`), which names the rule broken.
 */
const calendarDay = z.string().max(10).describe('a date YYYY-MM-DD of the year loaded');
export const loadCalendarYearRequest = z.strictObject({
  holidays: z.array(calendarDay).max(366).describe('days off of the year, weekends inside a holiday period may be listed'),
  workingDays: z.array(calendarDay).max(106).default([]).describe('Saturdays and Sundays worked in lieu (调休上班)'),
  source: text(500).describe("where the table comes from: the notice's title and number"),
});
export type LoadCalendarYearRequest = z.output<typeof loadCalendarYearRequest>;

export const calendarPath = z.object({ calendar: z.string() });
export const calendarYearPath = z.object({ calendar: z.string(), year: z.string().regex(/^\d{4}$/, 'must be a year YYYY').transform(Number) });
export const calendarQuery = z.strictObject({ year: z.coerce.number().int().min(1).max(9999).optional() });

/** `PUT /v1/lenders/{lenderId}/regulatory-figures/{effectiveDate}`: a bank's figures for the ratio rules, with their source (docs/regulatory-report.md). */
export const regulatoryFiguresRequest = z.strictObject({
  netTier1CapitalMinor: positiveMinor.describe('net tier-1 capital (一级资本净额), minor units'),
  totalLoansMinor: positiveMinor.describe('total loans (各项贷款余额), minor units'),
  source: text(500).describe("where the figures come from, e.g. the quarter's regulatory report"),
});
export type RegulatoryFiguresRequest = z.output<typeof regulatoryFiguresRequest>;
export const lenderPath = z.object({ lenderId });
export const regulatoryFiguresPath = z.object({ lenderId, effectiveDate: isoDate });

/** `POST /v1/regulatory-reports`: the date to report; `restart` runs a date whose run stopped midway again. */
export const startRegulatoryReportRequest = z.strictObject({ businessDate: pastDate, restart: z.boolean().optional() });
export type StartRegulatoryReportRequest = z.output<typeof startRegulatoryReportRequest>;
export const regulatoryReportQuery = z.strictObject({ format: z.enum(['json', 'csv', 'xlsx']).optional().describe('json (the default), or the report as a CSV or XLSX file') });

export const errorResponse = z.object({
  code: z.string().describe('machine code, e.g. VALIDATION_FAILED, PLAN_SUM_MISMATCH'),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).describe('field path (details.path), rule and figures'),
});
