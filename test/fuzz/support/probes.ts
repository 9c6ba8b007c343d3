import fc from 'fast-check';
import type { PathParameterName } from '../../../shared/contracts/parameters.ts';
import type { RouteKey } from '../../../shared/http/routes.ts';
import { BREAK_ACTIONS, BREAK_KINDS, BREAK_STATES, RECONCILIATION_TYPES } from '../../../shared/domain/reconciliation-break.ts';
import { ADJUSTMENT_DIRECTIONS, ADJUSTMENT_STATES } from '../../../shared/domain/adjustment.ts';
import { SETTLEMENT_COMPONENTS } from '../../../shared/domain/ledger.ts';
import { lenderBody, loanBody, programBody } from '../../integration/support/world.ts';
import { applicationBody } from '../../integration/support/review.ts';

/**
 * The fuzzer's world (fixed ids: a case of a seed is the same request on every run) and, for every
 * route, what a well-formed request looks like in it: path values, queries and bodies, most of
 * them naming things that exist, some naming things that do not or belong to another lender.
 */

export const FUZZ_WORLD = {
  lead: 'FZ_LEAD',
  bankA: 'FZ_BANKA',
  bankB: 'FZ_BANKB',
  bankC: 'FZ_BANKC',
  guarantor: 'FZ_GUAR',
  programId: 'FZ_PROG',
  loanId: 'FZ-LOAN',
  writtenOffLoanId: 'FZ-LOAN-WO',
  writeOffId: 'FZ-WO-1',
  repaymentId: 'FZ-REP-1',
  adjustmentId: 'FZ-ADJ-1',
  applicationId: 'FZ-APP-1',
} as const;

export type FuzzWorld = typeof FUZZ_WORLD;
const w = FUZZ_WORLD;

/** The world's instant: noon in Beijing on Friday 2026-11-20. */
export const FUZZ_CLOCK = '2026-11-20T04:00:00.000Z';

const lenders = [w.lead, w.bankA, w.bankB, w.bankC, w.guarantor];
const someId = (...known: string[]) => fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Z][A-Z0-9_-]{0,20}$/) });
const pastDay = fc.constantFrom('2026-11-02', '2026-11-10', '2026-11-19', '2026-11-20', '2026-10-30', '2025-06-30', '2024-01-01');
const anyDay = fc.oneof(pastDay, fc.constantFrom('2026-11-21', '2027-01-01', '2099-12-31', '1970-01-01'));
const minor = (max: bigint) => fc.oneof(fc.bigInt({ min: 1n, max }).map(String), fc.constantFrom('1', '100', '999999999999999', '1000000000000000'));
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
/** A run started again over one still running is rare: each such start that is accepted runs a whole date in the background. */
const rarelyRestart = fc.oneof({ weight: 19, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
const text = fc.oneof(fc.constantFrom('Checked', 'Fraud confirmed', '核对无误', 'Borrower deceased'), fc.string({ minLength: 1, maxLength: 40 }));

/** Well-formed values of each path parameter. */
export const PATH_VALUES: Record<PathParameterName, fc.Arbitrary<string>> = {
  lenderId: someId(...lenders),
  programId: someId(w.programId),
  loanId: someId(w.loanId, w.writtenOffLoanId),
  repaymentId: someId(w.repaymentId),
  eventId: someId(w.writeOffId),
  applicationId: someId(w.applicationId),
  adjustmentId: someId(w.adjustmentId),
  bankId: someId('GENERIC-CN', 'FZ-BANK'),
  counterparty: someId(w.bankA, w.lead, 'ESCROW'),
  breakId: fc.tuple(fc.constantFrom('ES', 'PR', 'PL'), hex(20)).map(([k, h]) => `BK-20261102-${k}-${h}`),
  businessDate: anyDay,
  effectiveDate: anyDay,
  period: fc.constantFrom('2026-10', '2026-11', '2026-Q3', '2026-Q4', '2099-01'),
  instructionId: fc.constantFrom(`SI-20261102-${w.lead}-ESCROW-${w.bankA}`, 'SI-NONE'),
  fileName: fc.constantFrom('control_20261102.txt', 'loan_master_20261102.txt', 'trial_balance_20261102.xlsx', 'x.csv'),
  reconciliationId: hex(12).map((h) => `RC-20261102-PARTNER_REPAYMENTS-${w.bankA}-${h}`),
  calendar: fc.constantFrom('CN', 'IN', 'XX'),
  year: fc.constantFrom('2027', '2150', '1999', '2026'),
};

const page = { limit: fc.integer({ min: 1, max: 100 }).map(String), cursor: fc.base64String({ minLength: 4, maxLength: 60 }).map((s) => s.replace(/[+/=]/g, '_')) };
type Query = Record<string, fc.Arbitrary<string>>;

/** Well-formed query parameters of each route that takes some; any subset of them is sent. */
export const QUERY_VALUES: Partial<Record<RouteKey, Query>> = {
  'GET /v1/lenders': page,
  'GET /v1/lenders/{lenderId}/positions': page,
  'GET /v1/lenders/{lenderId}/profit': { month: fc.constantFrom('2026-10', '2026-11', '2025-01'), cursor: page.cursor },
  'GET /v1/programs': page,
  'GET /v1/programs/{programId}': { version: fc.integer({ min: 1, max: 3 }).map(String) },
  'GET /v1/applications': { status: fc.constantFrom('IN_REVIEW', 'PLANNED', 'BOOKED', 'REJECTED'), ...page },
  'GET /v1/ledger-checks/{businessDate}': page,
  'GET /v1/settlement-runs': { from: anyDay, to: anyDay, limit: fc.integer({ min: 1, max: 62 }).map(String), cursor: page.cursor },
  'GET /v1/calendars/{calendar}': { year: fc.constantFrom('2026', '2027', '2150', '1') },
  'GET /v1/bank-formats': page,
  'GET /v1/bank-formats/{bankId}': { version: fc.integer({ min: 1, max: 3 }).map(String) },
  'GET /v1/risk-updates/{businessDate}': page,
  'GET /v1/regulatory-reports/{businessDate}': { format: fc.constantFrom('json', 'csv', 'xlsx') },
  'GET /v1/reconciliations': { businessDate: pastDay, lender: someId(...lenders), ...page },
  'GET /v1/reconciliations/{reconciliationId}/export': { format: fc.constantFrom('csv', 'xlsx') },
  'GET /v1/breaks': { lender: someId(...lenders), state: fc.constantFrom(...BREAK_STATES), kind: fc.constantFrom(...BREAK_KINDS), limit: fc.integer({ min: 1, max: 500 }).map(String), cursor: page.cursor },
  'GET /v1/breaks/export': { lender: someId(...lenders), state: fc.constantFrom(...BREAK_STATES), kind: fc.constantFrom(...BREAK_KINDS), format: fc.constantFrom('csv', 'xlsx') },
  'GET /v1/adjustments': { state: fc.constantFrom(...ADJUSTMENT_STATES), ...page },
  'GET /v1/audit': { date: fc.constantFrom('2026-11-20', '2026-11-19', '2020-01-01'), ...page },
};

/** The parameters a route's query must carry to be well formed. */
export const REQUIRED_QUERY: Partial<Record<RouteKey, readonly string[]>> = {
  'GET /v1/lenders/{lenderId}/profit': ['month'],
  'GET /v1/reconciliations': ['businessDate'],
  'GET /v1/audit': ['date'],
};

const n = fc.integer({ min: 0, max: 40 });
const repayment = fc.record({
  repaymentId: n.map((i) => `FZ-R-${i}`),
  loanId: someId(w.loanId, w.writtenOffLoanId),
  amountMinor: minor(2_000_000n),
  currency: fc.constantFrom('CNY', 'CNY', 'INR'),
  valueDate: pastDay,
  channel: fc.constantFrom('AUTO_DEBIT', 'BANK_TRANSFER', 'COUNTER', 'THIRD_PARTY', 'OTHER'),
  kind: fc.constantFrom('REGULAR', 'PREPAYMENT'),
});

/** Well-formed bodies of each write route. */
export const BODIES: Partial<Record<RouteKey, fc.Arbitrary<unknown>>> = {
  'POST /v1/lenders': fc
    .tuple(n, fc.subarray(['LEAD', 'PARTNER', 'GUARANTOR', 'SERVICE_PARTNER'], { minLength: 1 }))
    .map(([i, roles]) => lenderBody(`FZ_NEW_${i}`, roles)),
  'POST /v1/lenders/{lenderId}/webhook-secret': fc.string({ minLength: 32, maxLength: 64 }).map((secret) => ({ secret })),
  'POST /v1/programs': n.map((i) => programBody({ programId: i % 3 === 0 ? w.programId : `FZ_PROG_${i}`, lead: w.lead, bankA: w.bankA, bankB: w.bankB, guarantor: w.guarantor })),
  'POST /v1/loans': fc.tuple(n, minor(20_000_000n)).map(([i, principal]) => {
    const body = loanBody({ programId: w.programId, lead: w.lead, bankA: w.bankA, bankB: w.bankB }, `FZ-L-${i}`);
    return i % 2 === 0 ? body : { ...body, principalMinor: principal };
  }),
  'POST /v1/loans/{loanId}/transfers': fc.record({
    transferId: n.map((i) => `FZ-T-${i}`),
    fromLenderId: someId(...lenders),
    toLenderId: someId(...lenders),
    principalMinor: minor(500_000n),
    valueDate: pastDay,
  }),
  'POST /v1/loans/{loanId}/buybacks': fc.record(
    { buybackId: n.map((i) => `FZ-B-${i}`), sellerLenderId: someId(w.bankA, w.bankB), buyerId: someId(w.lead, w.guarantor), valueDate: pastDay, expectedPriceMinor: minor(1_000_000n) },
    { requiredKeys: ['buybackId', 'sellerLenderId', 'buyerId', 'valueDate'] },
  ),
  'POST /v1/loans/{loanId}/write-off': fc.record({ writeOffId: n.map((i) => `FZ-W-${i}`), valueDate: pastDay, reason: text }),
  'POST /v1/loans/{loanId}/loss-events/{eventId}/reversal': fc.record({
    reversalId: n.map((i) => `FZ-LR-${i}`),
    type: fc.constantFrom('COMPENSATION', 'WRITE_OFF'),
    reason: fc.constantFrom('WRONG_DATE', 'MISTAKEN', 'OTHER'),
  }),
  'POST /v1/repayments': fc.array(repayment, { minLength: 1, maxLength: 3 }).map((repayments) => ({ repayments })),
  'POST /v1/repayments/{repaymentId}/reversal': fc.record({ reversalId: n.map((i) => `FZ-V-${i}`), reason: fc.constantFrom('BOUNCED', 'MISTAKEN', 'DUPLICATE', 'OTHER') }),
  // A read sent as POST: well-formed identity numbers (GB 11643 check characters), a page's size, no cursor or one of nothing.
  'POST /v1/borrower-lookups': fc
    .tuple(fc.constantFrom('11010519491231002X', '44030519900101123X', '310101198001010018'), fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }))
    .map(([identityNumber, limit]) => (limit === undefined ? { identityNumber } : { identityNumber, limit })),
  'POST /v1/applications': n.map((i) => applicationBody(w.programId, `FZ-A-${i}`, { leadApproval: { approved: true, reference: `LA-${i}`, approvedAt: '2026-11-19T08:00:00Z' } })),
  'POST /v1/applications/{applicationId}/decisions': fc.oneof(
    fc.constant({ decision: 'DECLINE', reasonCodes: ['POLICY'] }),
    minor(1_000_000n).map((amount) => ({ decision: 'APPROVE', approvedAmountMinor: amount })),
  ),
  'POST /v1/applications/{applicationId}/disbursement': fc.oneof(
    fc.record({ outcome: fc.constant('DISBURSED'), disbursementReference: fc.constant('DISB-1'), disbursementDate: pastDay }),
    fc.record({ outcome: fc.constantFrom('FAILED', 'CANCELLED'), reason: text }),
  ),
  'POST /v1/ledger-checks': fc.record({ businessDate: pastDay }),
  'POST /v1/risk-updates': fc.record({ businessDate: pastDay }),
  'POST /v1/settlement-runs': fc.record({ businessDate: pastDay, restart: rarelyRestart }, { requiredKeys: ['businessDate'] }),
  'POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed': fc.record({ bankReference: fc.constantFrom('REF-1', 'BANK/2026/1'), executedAt: fc.constantFrom('2026-11-19T02:00:00Z', '2026-11-20T03:59:00.000Z') }),
  'POST /v1/profit-runs': fc.record({ programId: someId(w.programId), period: fc.constantFrom('2026-10', '2026-Q3', '2026-11'), restart: rarelyRestart }, { requiredKeys: ['programId', 'period'] }),
  'PUT /v1/calendars/{calendar}/years/{year}': fc.record({ holidays: fc.constantFrom([], ['2150-01-01'], ['2027-01-01', '2027-02-10']), workingDays: fc.constant([]), source: text }),
  'PUT /v1/bank-formats/{bankId}': text.map((name) => ({ name, format: { kind: 'CSV' }, columns: { bankReference: '流水号', valueDate: '日期' }, amount: { kind: 'SIGNED', column: '金额' }, currency: { fixed: 'CNY' } })),
  'PUT /v1/lenders/{lenderId}/regulatory-figures/{effectiveDate}': fc.record({ netTier1CapitalMinor: minor(10n ** 14n), totalLoansMinor: minor(10n ** 15n), source: text }),
  'POST /v1/regulatory-reports': fc.record({ businessDate: pastDay, restart: rarelyRestart }, { requiredKeys: ['businessDate'] }),
  'POST /v1/reconciliation-uploads': fc
    .tuple(fc.constantFrom('partner.txt', 'escrow-20261102.csv', '对账.xlsx'), hex(64))
    .map(([fileName, sha256]) => ({ fileName, sha256 })),
  'POST /v1/reconciliations': fc.record(
    { uploadId: fc.constantFrom('UP-none', 'UP-0123456789abcdef'), type: fc.constantFrom(...RECONCILIATION_TYPES), businessDate: pastDay, lenderId: someId(...lenders), bankFormat: someId('GENERIC-CN') },
    { requiredKeys: ['uploadId', 'type', 'businessDate'] },
  ),
  'PUT /v1/reconciliation-settings/{counterparty}': fc.record({ amountToleranceMinor: fc.bigInt({ min: 0n, max: 1_000_000n }).map(String), dateToleranceDays: fc.integer({ min: 0, max: 31 }), escalateAfterDays: fc.integer({ min: 1, max: 365 }) }),
  'POST /v1/breaks/{breakId}/actions': fc.oneof(
    fc.record({ action: fc.constant('ASSIGN'), owner: fc.constant('desk') }),
    fc.record({ action: fc.constantFrom(...BREAK_ACTIONS), reason: text }),
  ),
  'POST /v1/adjustments': fc.record({
    adjustmentId: n.map((i) => `FZ-J-${i}`),
    loanId: someId(w.loanId),
    lenderId: someId(w.bankA, w.bankB, w.lead),
    counterparty: someId('ESCROW', w.lead, w.bankB),
    currency: fc.constant('CNY'),
    component: fc.constantFrom(...SETTLEMENT_COMPONENTS),
    direction: fc.constantFrom(...ADJUSTMENT_DIRECTIONS),
    amountMinor: minor(10_000n),
    reason: text,
  }),
  'POST /v1/adjustments/{adjustmentId}/approval': fc.record({ reason: text }),
  'POST /v1/adjustments/{adjustmentId}/rejection': fc.record({ reason: text }),
};
