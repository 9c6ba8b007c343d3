import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/http/routes.ts';
import { synthesizeTemplate } from '../../infra/synth.ts';
import { findTables } from '../../infra/cli/ledger-verify.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb/index.ts';
import { DynamoBreakStore } from '../../shared/adapters/dynamodb/break-store.ts';
import { aBreak } from '../support/adjustments.ts';
import { api, dynamoDbClient, token } from './support/stack.ts';
import { applicationBody, asked, submit, until } from './support/review.ts';
import { createWorld, expectLedgerBalanced, lenderBody, loanBody, post, programBody, uniqueKey, type World } from './support/world.ts';

afterEach(expectLedgerBalanced);

/**
 * Who calls: no token; lead operations; bank A (a partner); bank C, a partner in nothing asked
 * about; the program's guarantor and a service partner (助贷), each through its own partner
 * client; the platform's finance team; bank A's finance team.
 */
type Caller = 'none' | 'lead' | 'partner' | 'otherPartner' | 'guarantor' | 'servicePartner' | 'finance' | 'lenderFinance';
const CALLERS: readonly Caller[] = ['none', 'lead', 'partner', 'otherPartner', 'guarantor', 'servicePartner', 'finance', 'lenderFinance'];

interface Probe {
  readonly path: (w: World, loanId: string, n: number, applicationId: string) => string;
  readonly body?: (w: World, n: number) => unknown;
  /** The answer for each caller; every route of the API must have a row. */
  readonly expect: Readonly<Record<Caller, number>>;
}

const open = { none: 200, lead: 200, partner: 200, otherPartner: 200, guarantor: 200, servicePartner: 200, finance: 200, lenderFinance: 200 };
const ownData = { none: 401, lead: 200, partner: 200, otherPartner: 404, guarantor: 404, servicePartner: 404, finance: 200, lenderFinance: 200 };
const leadWrite = { none: 401, lead: 201, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 403, lenderFinance: 403 };
const anyReader = { none: 401, lead: 200, partner: 200, otherPartner: 200, guarantor: 200, servicePartner: 200, finance: 200, lenderFinance: 200 };

/** The partner is bank A; the other partner takes part in nothing it is asked about. */
const MATRIX: Readonly<Record<string, Probe>> = {
  'GET /v1/openapi.json': { path: () => '/v1/openapi.json', expect: open },
  'POST /v1/lenders': { path: () => '/v1/lenders', body: (w, n) => lenderBody(`NEW_${w.suffix}_${n}`, ['PARTNER']), expect: leadWrite },
  'GET /v1/lenders': { path: () => '/v1/lenders', expect: anyReader },
  'GET /v1/lenders/{lenderId}': { path: (w) => `/v1/lenders/${w.bankA}`, expect: ownData },
  // Bank A registered no webhook: the lead and bank A itself reach the rule, another lender's callers learn nothing.
  'POST /v1/lenders/{lenderId}/webhook-secret': {
    path: (w) => `/v1/lenders/${w.bankA}/webhook-secret`,
    body: () => ({ secret: 'whsec-matrix-0123456789abcdef0123456789ab' }),
    expect: { none: 401, lead: 422, partner: 422, otherPartner: 404, guarantor: 404, servicePartner: 404, finance: 403, lenderFinance: 403 },
  },
  'GET /v1/lenders/{lenderId}/positions': { path: (w) => `/v1/lenders/${w.bankA}/positions`, expect: ownData },
  'GET /v1/lenders/{lenderId}/profit': { path: (w) => `/v1/lenders/${w.bankA}/profit?month=2026-11`, expect: ownData },
  'POST /v1/programs': { path: () => '/v1/programs', body: (w) => programBody(w), expect: leadWrite },
  'GET /v1/programs': { path: () => '/v1/programs', expect: anyReader },
  // The guarantor takes part in the program (its own participation only, docs/architecture.md); bank C and the service partner do not.
  'GET /v1/programs/{programId}': { path: (w) => `/v1/programs/${w.programId}`, expect: { ...ownData, guarantor: 200 } },
  'POST /v1/loans': { path: () => '/v1/loans', body: (w, n) => loanBody(w, `MX-${w.suffix}-${n}`), expect: leadWrite },
  'GET /v1/loans/{loanId}': { path: (_w, loanId) => `/v1/loans/${loanId}`, expect: ownData },
  // A read sent as POST: lead operations and the platform's finance team; a partner, or a partner's finance team, is refused.
  'POST /v1/borrower-lookups': {
    path: () => '/v1/borrower-lookups',
    body: () => ({ identityNumber: '11010519491231002X' }),
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 403 },
  },
  'GET /v1/loans/{loanId}/schedule': { path: (_w, loanId) => `/v1/loans/${loanId}/schedule`, expect: ownData },
  'GET /v1/loans/{loanId}/repayments': { path: (_w, loanId) => `/v1/loans/${loanId}/repayments`, expect: ownData },
  'POST /v1/loans/{loanId}/transfers': {
    path: (w) => `/v1/loans/MX-${w.suffix}-TR/transfers`,
    body: (w, n) => ({ transferId: `MXT-${w.suffix}-${n}`, fromLenderId: w.lead, toLenderId: w.bankA, principalMinor: '100', valueDate: '2026-11-10' }),
    expect: { none: 401, lead: 201, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 403, lenderFinance: 403 },
  },
  // Only the lead's call reaches the book: it buys bank A's whole share, once.
  'POST /v1/loans/{loanId}/buybacks': {
    path: (w) => `/v1/loans/MX-${w.suffix}-BB/buybacks`,
    body: (w, n) => ({ buybackId: `MXB-${w.suffix}-${n}`, sellerLenderId: w.bankA, buyerId: w.lead, valueDate: '2026-11-10' }),
    expect: { none: 401, lead: 201, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 403, lenderFinance: 403 },
  },
  'POST /v1/loans/{loanId}/write-off': {
    path: (w) => `/v1/loans/MX-${w.suffix}-WO/write-off`,
    body: (w, n) => ({ writeOffId: `MXW-${w.suffix}-${n}`, valueDate: '2026-11-10', reason: 'Fraud confirmed' }),
    expect: { none: 401, lead: 201, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 403, lenderFinance: 403 },
  },
  // Only the lead's call reaches the book and reverses the write-off; the platform's finance team then finds it reversed.
  'POST /v1/loans/{loanId}/loss-events/{eventId}/reversal': {
    path: (w) => `/v1/loans/MX-${w.suffix}-LR/loss-events/MXLW-${w.suffix}/reversal`,
    body: (w, n) => ({ reversalId: `MXLR-${w.suffix}-${n}`, type: 'WRITE_OFF', reason: 'WRONG_DATE' }),
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 409, lenderFinance: 403 },
  },
  'POST /v1/repayments': {
    path: () => '/v1/repayments',
    body: (w, n) => ({ repayments: [matrixRepayment(w, `MXR-${w.suffix}-${n}`)] }),
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 403, lenderFinance: 403 },
  },
  'GET /v1/repayments/{repaymentId}': { path: (w) => `/v1/repayments/MXR-${w.suffix}-READ`, expect: ownData },
  'POST /v1/repayments/{repaymentId}/reversal': {
    path: (w) => `/v1/repayments/MXR-${w.suffix}-REVERSE/reversal`,
    body: (w, n) => ({ reversalId: `MXV-${w.suffix}-${n}`, reason: 'MISTAKEN' }),
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 403, lenderFinance: 403 },
  },
  'POST /v1/risk-updates': {
    path: () => '/v1/risk-updates',
    body: () => ({ businessDate: '2026-11-02' }),
    expect: { none: 401, lead: 202, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 202, lenderFinance: 403 },
  },
  'GET /v1/risk-updates/{businessDate}': {
    path: () => '/v1/risk-updates/2026-11-02',
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 403 },
  },
  'POST /v1/applications': {
    path: () => '/v1/applications',
    body: (w, n) => applicationBody(w.programId, `MXA-${w.suffix}-${n}`),
    expect: { none: 401, lead: 202, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 403, lenderFinance: 403 },
  },
  'GET /v1/applications': { path: () => '/v1/applications', expect: anyReader },
  // A year no other test reads: each accepted call stores its next version.
  'PUT /v1/calendars/{calendar}/years/{year}': {
    path: () => '/v1/calendars/CN/years/2150',
    body: (w, n) => ({ holidays: ['2150-01-01'], workingDays: [], source: `access matrix ${w.suffix} ${n}` }),
    expect: { none: 401, lead: 201, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 201, lenderFinance: 403 },
  },
  'GET /v1/calendars/{calendar}': { path: () => '/v1/calendars/CN', expect: anyReader },
  // A bank no other test reads: each accepted call stores its next version.
  'PUT /v1/bank-formats/{bankId}': {
    path: () => '/v1/bank-formats/MATRIX-BANK',
    body: (w, n) => ({ name: `access matrix ${w.suffix} ${n}`, format: { kind: 'CSV' }, columns: { bankReference: '流水号', valueDate: '日期' }, amount: { kind: 'SIGNED', column: '金额' }, currency: { fixed: 'CNY' } }),
    expect: { none: 401, lead: 201, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 201, lenderFinance: 403 },
  },
  'GET /v1/bank-formats': { path: () => '/v1/bank-formats', expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 200 } },
  'GET /v1/bank-formats/{bankId}': { path: () => '/v1/bank-formats/GENERIC-CN', expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 200 } },
  'POST /v1/reconciliation-uploads': {
    path: () => '/v1/reconciliation-uploads',
    body: (w, n) => ({ fileName: `matrix-${w.suffix}-${n}.txt`, sha256: createHash('sha256').update(`matrix-${w.suffix}-${n}`).digest('hex') }),
    expect: { none: 401, lead: 201, partner: 201, otherPartner: 201, guarantor: 201, servicePartner: 201, finance: 201, lenderFinance: 201 },
  },
  // An upload never made: every caller let in is told it is not found.
  'POST /v1/reconciliations': {
    path: () => '/v1/reconciliations',
    body: () => ({ uploadId: 'UP-matrix-none', type: 'PARTNER_REPAYMENTS', businessDate: '2026-11-02', lenderId: 'NOBODY' }),
    expect: { none: 401, lead: 404, partner: 404, otherPartner: 404, guarantor: 404, servicePartner: 404, finance: 404, lenderFinance: 404 },
  },
  'GET /v1/reconciliations': { path: () => '/v1/reconciliations?businessDate=2026-11-02', expect: anyReader },
  'GET /v1/reconciliations/{reconciliationId}': {
    path: () => '/v1/reconciliations/RC-20261102-PARTNER_REPAYMENTS-NOBODY-000000000000',
    expect: { none: 401, lead: 404, partner: 404, otherPartner: 404, guarantor: 404, servicePartner: 404, finance: 404, lenderFinance: 404 },
  },
  'GET /v1/reconciliations/{reconciliationId}/export': {
    path: () => '/v1/reconciliations/RC-20261102-PARTNER_REPAYMENTS-NOBODY-000000000000/export?format=xlsx',
    expect: { none: 401, lead: 404, partner: 404, otherPartner: 404, guarantor: 404, servicePartner: 404, finance: 404, lenderFinance: 404 },
  },
  'GET /v1/breaks': { path: (w) => `/v1/breaks?lender=${w.bankA}&state=OPEN`, expect: anyReader },
  'GET /v1/breaks/export': { path: () => '/v1/breaks/export?format=csv', expect: anyReader },
  'PUT /v1/reconciliation-settings/{counterparty}': {
    path: (w) => `/v1/reconciliation-settings/${w.bankA}`,
    body: () => ({ amountToleranceMinor: '0', dateToleranceDays: 0, escalateAfterDays: 3 }),
    expect: { none: 401, lead: 201, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 201, lenderFinance: 403 },
  },
  'GET /v1/reconciliation-settings/{counterparty}': {
    path: (w) => `/v1/reconciliation-settings/${w.bankA}`,
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 403 },
  },
  // A Sunday: the platform's teams are let in and told it settles nothing; nothing runs on the shared stack.
  'POST /v1/settlement-runs': {
    path: () => '/v1/settlement-runs',
    body: () => ({ businessDate: '2026-11-01' }),
    expect: { none: 401, lead: 422, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 422, lenderFinance: 403 },
  },
  // Every caller lists runs; a lender's callers get their own lender's figures only.
  'GET /v1/settlement-runs': { path: () => '/v1/settlement-runs?to=2026-11-01', expect: anyReader },
  'GET /v1/settlement-runs/{businessDate}': {
    path: () => '/v1/settlement-runs/2026-11-01',
    expect: { none: 401, lead: 404, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 404, lenderFinance: 403 },
  },
  'POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed': {
    path: () => '/v1/settlement-runs/2026-11-01/instructions/SI-20261101-NONE-ESCROW-NONE/executed',
    body: () => ({ bankReference: 'REF-1', executedAt: '2026-11-02T02:00:00Z' }),
    expect: { none: 401, lead: 404, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 404, lenderFinance: 403 },
  },
  // Nothing is settled on that date: the lender's own callers are told so; another lender's are told nothing more.
  'GET /v1/lenders/{lenderId}/statements/{businessDate}': {
    path: (w) => `/v1/lenders/${w.bankA}/statements/2026-11-01`,
    expect: { none: 401, lead: 404, partner: 404, otherPartner: 404, guarantor: 404, servicePartner: 404, finance: 404, lenderFinance: 404 },
  },
  'GET /v1/lenders/{lenderId}/statements/{businessDate}/{fileName}': {
    path: (w) => `/v1/lenders/${w.bankA}/statements/2026-11-01/control_20261101.txt`,
    expect: { none: 401, lead: 404, partner: 404, otherPartner: 404, guarantor: 404, servicePartner: 404, finance: 404, lenderFinance: 404 },
  },
  'GET /v1/lenders/{lenderId}/statements/{businessDate}/human/{fileName}': {
    path: (w) => `/v1/lenders/${w.bankA}/statements/2026-11-01/human/trial_balance_20261101.xlsx`,
    expect: { none: 401, lead: 404, partner: 404, otherPartner: 404, guarantor: 404, servicePartner: 404, finance: 404, lenderFinance: 404 },
  },
  // October is shared before the matrix runs (the world's program bills no fees: nothing is booked): a second start is refused.
  'POST /v1/profit-runs': {
    path: () => '/v1/profit-runs',
    body: (w) => ({ programId: w.programId, period: '2026-10' }),
    expect: { none: 401, lead: 409, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 409, lenderFinance: 403 },
  },
  'GET /v1/profit-runs/{programId}/{period}': {
    path: (w) => `/v1/profit-runs/${w.programId}/2026-10`,
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 403 },
  },
  'GET /v1/lenders/{lenderId}/profit-statements/{period}': { path: (w) => `/v1/lenders/${w.bankA}/profit-statements/2026-10`, expect: ownData },
  'GET /v1/applications/{applicationId}': { path: (_w, _l, _n, a) => `/v1/applications/${a}`, expect: ownData },
  'POST /v1/applications/{applicationId}/decisions': {
    path: (_w, _l, _n, a) => `/v1/applications/${a}/decisions`,
    body: () => ({ decision: 'DECLINE', reasonCodes: ['POLICY'] }),
    expect: { none: 401, lead: 403, partner: 201, otherPartner: 404, guarantor: 404, servicePartner: 404, finance: 403, lenderFinance: 403 },
  },
  'POST /v1/applications/{applicationId}/disbursement': {
    // The lead is let in and told the application does not await its disbursement yet.
    path: (_w, _l, _n, a) => `/v1/applications/${a}/disbursement`,
    body: () => ({ outcome: 'CANCELLED', reason: 'Withdrawn' }),
    expect: { none: 401, lead: 409, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 403, lenderFinance: 403 },
  },
  'POST /v1/ledger-checks': {
    path: () => '/v1/ledger-checks',
    body: () => ({ businessDate: '2026-11-02' }),
    expect: { none: 401, lead: 202, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 202, lenderFinance: 403 },
  },
  'GET /v1/ledger-checks/{businessDate}': {
    path: () => '/v1/ledger-checks/2026-11-02',
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 403 },
  },
  // Each accepted call stores the date's next version; figures large enough to limit nothing the matrix asks.
  'PUT /v1/lenders/{lenderId}/regulatory-figures/{effectiveDate}': {
    path: (w) => `/v1/lenders/${w.bankA}/regulatory-figures/2026-11-01`,
    body: (w, n) => ({ netTier1CapitalMinor: '10000000000000', totalLoansMinor: '80000000000000', source: `access matrix ${w.suffix} ${n}` }),
    expect: leadWrite,
  },
  'GET /v1/lenders/{lenderId}/regulatory-figures': { path: (w) => `/v1/lenders/${w.bankA}/regulatory-figures`, expect: ownData },
  // A date that has not come: every FINANCE or LEAD caller is refused it at the edge (DATE_OUT_OF_WINDOW), before the
  // route's platform-only check (a lender's finance team is refused that with 403 in the handler's tests); nothing runs.
  'POST /v1/regulatory-reports': {
    path: () => '/v1/regulatory-reports',
    body: () => ({ businessDate: '2099-01-01' }),
    expect: { none: 401, lead: 400, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 400, lenderFinance: 400 },
  },
  // Reported before the matrix runs; it covers every bank, so a partner's callers are refused.
  'GET /v1/regulatory-reports/{businessDate}': {
    path: () => '/v1/regulatory-reports/2026-11-02',
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 403 },
  },
  // Bank A's break. Breaks are worked, and money adjusted, by the platform's teams only: a lender's
  // finance team reads its own lender's breaks and adjustments but acts on none (an adjustment moves
  // money between books; accepting a break closes a difference the lender is a party to).
  'GET /v1/breaks/{breakId}': { path: (w) => `/v1/breaks/${matrixBreakId(w)}`, expect: ownData },
  'POST /v1/breaks/{breakId}/actions': {
    path: (w) => `/v1/breaks/${matrixBreakId(w)}/actions`,
    body: () => ({ action: 'ASSIGN', owner: 'reconciliation-desk' }),
    expect: { none: 401, lead: 200, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 403 },
  },
  'POST /v1/adjustments': {
    path: () => '/v1/adjustments',
    body: (w, n) => matrixAdjustment(w, `MXJ-${w.suffix}-${n}`),
    expect: { none: 401, lead: 403, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 201, lenderFinance: 403 },
  },
  'GET /v1/adjustments': { path: () => '/v1/adjustments', expect: anyReader },
  // Every caller reads a day's trail; a lender's callers only the records naming their lender (audit.test.ts).
  'GET /v1/audit': { path: () => `/v1/audit?date=${new Date().toISOString().slice(0, 10)}`, expect: anyReader },
  'GET /v1/adjustments/{adjustmentId}': { path: (w) => `/v1/adjustments/MXJ-${w.suffix}-READ`, expect: ownData },
  // Proposed by another finance user of the platform, so the matrix's finance user is a checker.
  'POST /v1/adjustments/{adjustmentId}/approval': {
    path: (w) => `/v1/adjustments/MXJ-${w.suffix}-APPROVE/approval`,
    body: () => ({ reason: 'Checked' }),
    expect: { none: 401, lead: 403, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 403 },
  },
  'POST /v1/adjustments/{adjustmentId}/rejection': {
    path: (w) => `/v1/adjustments/MXJ-${w.suffix}-REJECT/rejection`,
    body: () => ({ reason: 'Not needed' }),
    expect: { none: 401, lead: 403, partner: 403, otherPartner: 403, guarantor: 403, servicePartner: 403, finance: 200, lenderFinance: 403 },
  },
};

/** A break of bank A's repayment file, written as the reconciliation writes it. */
const matrixBreakId = (w: World): string => `BK-20261102-PR-${w.suffix.toLowerCase().padStart(20, '0')}`;

/** One fen of interest the collection account owes bank A on the matrix loan. */
function matrixAdjustment(w: World, adjustmentId: string) {
  return { adjustmentId, loanId: `MX-${w.suffix}-LOAN`, lenderId: w.bankA, counterparty: 'ESCROW', currency: 'CNY', component: 'INTEREST', direction: 'COUNTERPARTY_OWES_LENDER', amountMinor: '1', reason: 'Access matrix' };
}

async function seedBreakAndAdjustments(w: World): Promise<void> {
  const client = dynamoDbClient();
  const store = new DynamoBreakStore(createDocumentClient(client), await findTables(client));
  await store.upsertFound([
    aBreak({
      breakId: matrixBreakId(w),
      businessDate: '2026-11-02',
      counterparty: w.bankA,
      kind: 'MISSING_THEIRS',
      component: '',
      recordKey: `MX-${w.suffix}-LOAN|MXR-${w.suffix}-READ`,
      lenderId: w.bankA,
      oursMinor: 100n,
      theirsMinor: null,
      differenceMinor: -100n,
      openedOn: '2026-11-02',
      openedAt: '2026-11-02T02:00:00.000Z',
      reconciliationId: `RC-20261102-PARTNER_REPAYMENTS-${w.bankA}-0123456789ab`,
    }),
  ]);
  client.destroy();
  const maker = await token({ scopes: ['finance'], clientId: `matrix-maker-${w.suffix}` });
  for (const id of ['READ', 'APPROVE', 'REJECT']) expect((await post('/v1/adjustments', maker, matrixAdjustment(w, `MXJ-${w.suffix}-${id}`))).status).toBe(201);
}

/** A repayment on the matrix loan (disbursed 2026-11-02): all of it goes to suspense. */
function matrixRepayment(w: World, repaymentId: string) {
  return { repaymentId, loanId: `MX-${w.suffix}-LOAN`, amountMinor: '100', currency: 'CNY', valueDate: '2026-11-10', channel: 'BANK_TRANSFER' };
}

let w: World;
let loanId: string;
let applicationId: string;
let guarantorToken: string;
let servicePartnerToken: string;
const tokenOf = (caller: Caller): string | undefined =>
  ({
    none: undefined,
    lead: w.tokens.lead,
    partner: w.tokens.bankA,
    otherPartner: w.tokens.outsider,
    guarantor: guarantorToken,
    servicePartner: servicePartnerToken,
    finance: w.tokens.finance,
    lenderFinance: w.tokens.financeA,
  })[caller];

beforeAll(async () => {
  w = await createWorld();
  guarantorToken = await token({ scopes: ['partner'], lenderId: w.guarantor });
  const servicePartner = `SVC_${w.suffix}`;
  expect((await post('/v1/lenders', w.tokens.lead, lenderBody(servicePartner, ['SERVICE_PARTNER']))).status).toBe(201);
  servicePartnerToken = await token({ scopes: ['partner'], lenderId: servicePartner });
  loanId = `MX-${w.suffix}-LOAN`;
  expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId))).status).toBe(201);
  for (const other of ['TR', 'WO', 'BB', 'LR']) expect((await post('/v1/loans', w.tokens.lead, loanBody(w, `MX-${w.suffix}-${other}`))).status).toBe(201);
  const writtenOff = await post(`/v1/loans/MX-${w.suffix}-LR/write-off`, w.tokens.lead, { writeOffId: `MXLW-${w.suffix}`, valueDate: '2026-11-10', reason: 'Fraud confirmed' });
  expect(writtenOff.status).toBe(201);
  for (const id of ['READ', 'REVERSE']) {
    const booked = await post('/v1/repayments', w.tokens.lead, { repayments: [matrixRepayment(w, `MXR-${w.suffix}-${id}`)] });
    expect((booked.json as { results: { status: string }[] }).results[0]?.status).toBe('BOOKED');
  }
  expect((await post('/v1/ledger-checks', w.tokens.lead, { businessDate: '2026-11-02' })).status).toBe(202);
  applicationId = `MXA-${w.suffix}-APP`;
  await submit(w, w.programId, applicationId);
  await until(w, applicationId, asked(w.bankA), 'bank A asked');
  expect((await post('/v1/risk-updates', w.tokens.lead, { businessDate: '2026-11-02' })).status).toBe(202);
  for (let i = 0; i < 100 && (await api('/v1/risk-updates/2026-11-02', { token: w.tokens.lead })).status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let i = 0; i < 100 && (await api('/v1/ledger-checks/2026-11-02', { token: w.tokens.lead })).status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await post('/v1/regulatory-reports', w.tokens.finance, { businessDate: '2026-11-02' })).status).toBe(202);
  await seedBreakAndAdjustments(w);
  expect((await post('/v1/profit-runs', w.tokens.finance, { programId: w.programId, period: '2026-10' })).status).toBe(202);
  for (let i = 0; i < 300 && (await api<{ run: { status: string } }>(`/v1/profit-runs/${w.programId}/2026-10`, { token: w.tokens.lead })).json?.run?.status !== 'DONE'; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let i = 0; i < 300 && (await api<{ run: { status: string } }>('/v1/regulatory-reports/2026-11-02', { token: w.tokens.lead })).json?.run?.status !== 'DONE'; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await api<{ run: { status: string } }>('/v1/regulatory-reports/2026-11-02', { token: w.tokens.lead })).json?.run?.status).toBe('DONE');
});

describe('access matrix', () => {
  it('has a row for every route of the API and of the deployed template', async () => {
    const template = await synthesizeTemplate({ bundling: false });
    const resources = Object.values((template as { Resources: Record<string, { Type: string; Properties: { RouteKey?: string } }> }).Resources);
    const deployed = resources.filter((r) => r.Type === 'AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey).sort();
    expect(Object.keys(MATRIX).sort()).toEqual(ROUTES.map((r) => r.routeKey).sort());
    expect(deployed).toEqual(ROUTES.map((r) => r.routeKey).sort());
  });

  let n = 0;
  for (const [routeKey, probe] of Object.entries(MATRIX)) {
    for (const caller of CALLERS) {
      it(`${routeKey} as ${caller} → ${probe.expect[caller]}`, async () => {
        const [method = 'GET'] = routeKey.split(' ');
        const i = ++n;
        const res = await api(probe.path(w, loanId, i, applicationId), {
          method,
          token: tokenOf(caller),
          body: probe.body?.(w, i),
          headers: method === 'GET' ? {} : { 'idempotency-key': uniqueKey('matrix') },
        });
        expect(res.status, res.text).toBe(probe.expect[caller]);
      });
    }
  }

  it('a partner reading its program, a loan and a repayment sees its own terms only, and is not shown suspense', async () => {
    const program = (await api(`/v1/programs/${w.programId}`, { token: w.tokens.bankA })).json as { participants: { lenderId: string; yieldRate: string | null }[] };
    expect(program.participants.map((p) => p.lenderId)).toEqual([w.bankA]);
    const loan = (await api(`/v1/loans/${loanId}`, { token: w.tokens.bankA })).json as { terms: { participants: { lenderId: string }[] }; fundingPlan: { lenderId: string }[] };
    expect([loan.terms.participants.map((p) => p.lenderId), loan.fundingPlan.map((p) => p.lenderId)]).toEqual([[w.bankA], [w.bankA]]);
    // The 100 fen of the matrix repayment all went to suspense: the lead is shown it, bank A is told nothing.
    const seen = async (tokenValue: string) => ((await api(`/v1/repayments/MXR-${w.suffix}-READ`, { token: tokenValue })).json as { split: { suspenseMinor: string | null } }).split.suspenseMinor;
    expect([await seen(w.tokens.lead), await seen(w.tokens.bankA)]).toEqual(['100', null]);
  });

  it('a partner listing lenders and programs sees only its own lender and its programs', async () => {
    const lenders = (await api('/v1/lenders', { token: w.tokens.bankA })).json as { lenders: { lenderId: string }[] };
    expect(lenders.lenders.map((l) => l.lenderId)).toEqual([w.bankA]);
    const programs = (await api('/v1/programs', { token: w.tokens.outsider })).json as { programs: { programId: string }[] };
    expect(programs.programs.map((p) => p.programId)).not.toContain(w.programId);
  });
});
