import type { z } from 'zod';
import type { PrincipalRole } from '../domain/access.ts';
import { bankFormatRequest } from '../contracts/bank-formats.ts';
import { pageQuery } from '../contracts/paging.ts';
import {
  applicationsQuery,
  bookLoanRequest,
  borrowerLookupRequest,
  calendarQuery,
  createApplicationRequest,
  createLenderRequest,
  rotateWebhookSecretRequest,
  createProgramRequest,
  decisionRequest,
  disbursementRequest,
  loadCalendarYearRequest,
  postRepaymentsRequest,
  profitQuery,
  reversalRequest,
  transferRequest,
  buybackRequest,
  writeOffRequest,
  lossEventReversalRequest,
  startLedgerCheckRequest,
  startSettlementRequest,
  settlementRunsQuery,
  startProfitRunRequest,
  executedRequest,
  startRiskUpdateRequest,
  versionQuery,
  regulatoryFiguresRequest,
  startRegulatoryReportRequest,
  regulatoryReportQuery,
} from '../contracts/schemas.ts';
import { breaksExportQuery, breaksQuery, createUploadRequest, exportQuery, reconciliationSettingsRequest, reconciliationsQuery, startReconciliationRequest } from '../contracts/reconciliation-schemas.ts';
import { auditQuery } from '../contracts/audit.ts';
import { adjustmentDecisionRequest, adjustmentRequest, adjustmentsQuery, breakActionRequest } from '../contracts/adjustments.ts';

/**
 * Every route of the API, the function behind it, who may call it and what it takes. The CDK
 * stack (routes, integrations and the scopes API Gateway checks), the local HTTP server (through
 * the template), the handlers' role checks, the OpenAPI document and the access-matrix test all
 * read this one list.
 */
/** The function folders behind the HTTP API (docs/architecture.md, Functions and routes). */
export type ApiFunctionName =
  | 'lenders'
  | 'programs'
  | 'loans'
  | 'positions'
  | 'applications'
  | 'ledger-checks'
  | 'openapi'
  | 'repayments'
  | 'risk-updates'
  | 'calendars'
  | 'settlements'
  | 'profit-runs'
  | 'regulatory-reports'
  | 'reconciliations'
  | 'bank-formats'
  | 'breaks'
  | 'adjustments'
  | 'audit';

export interface RouteSpec {
  readonly routeKey: string;
  /** The function that serves it. */
  readonly function: ApiFunctionName;
  readonly operationId: string;
  readonly summary: string;
  /** Empty for public routes. */
  readonly roles: readonly PrincipalRole[];
  readonly requestSchema?: z.ZodType;
  readonly querySchema?: z.ZodType;
  /** Every write (POST, PUT, PATCH, DELETE) takes an Idempotency-Key header; reads do not. */
  readonly idempotent: boolean;
  /**
   * Writes whose business item carries its own id in the body (a repayment's id) name that field:
   * the same id books once whatever the header, and the same id with other content is refused.
   */
  readonly keyInBody?: string;
  /**
   * A read sent as POST, because its body holds what must never be in a URL or an access log (an
   * identity number): it takes no Idempotency-Key, keeps no answer and is not audited as a write.
   */
  readonly readOnly?: boolean;
  readonly successStatus: number;
  /** The largest body the route accepts, in bytes; MAX_BODY_BYTES when absent (docs/limits.md). */
  readonly maxBodyBytes?: number;
}

const ALL: readonly PrincipalRole[] = ['LEAD', 'PARTNER', 'FINANCE'];

export const ROUTES = [
  { routeKey: 'GET /v1/openapi.json', function: 'openapi', operationId: 'getOpenApi', summary: 'This API described as OpenAPI 3.1', roles: [], idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/lenders', function: 'lenders', operationId: 'createLender', summary: 'Register a lender', roles: ['LEAD'], requestSchema: createLenderRequest, idempotent: true, successStatus: 201 },
  { routeKey: 'GET /v1/lenders', function: 'lenders', operationId: 'listLenders', summary: 'A page of the lenders the caller may see, in id order (?limit=, 1-100, 50 by default; ?cursor= from the previous page)', roles: ALL, querySchema: pageQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/lenders/{lenderId}', function: 'lenders', operationId: 'getLender', summary: 'One lender', roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/lenders/{lenderId}/webhook-secret', function: 'lenders', operationId: 'rotateWebhookSecret', summary: "Rotates a lender's webhook signing secret; the replaced one still signs beside it for 24 hours", roles: ['LEAD', 'PARTNER'], requestSchema: rotateWebhookSecretRequest, idempotent: true, successStatus: 200 },
  { routeKey: 'GET /v1/lenders/{lenderId}/positions', function: 'positions', operationId: 'getLenderPositions', summary: "A page of a lender's positions, its balances and outstanding principal per loan it holds or held, in loan id order (?limit=, 1-100, 50 by default; ?cursor= from the previous page), with its principal outstanding over all its loans on every page", roles: ALL, querySchema: pageQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/lenders/{lenderId}/profit', function: 'positions', operationId: 'getLenderProfit', summary: "A lender's profit of a month, a page at a time (?cursor= from the previous page): interest, penalty, fees and spread, guarantee fees, losses absorbed, net; the month is the sum of its pages", roles: ALL, querySchema: profitQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/programs', function: 'programs', operationId: 'createProgram', summary: 'Create a program, or its next version', roles: ['LEAD'], requestSchema: createProgramRequest, idempotent: true, successStatus: 201 },
  { routeKey: 'GET /v1/programs', function: 'programs', operationId: 'listPrograms', summary: 'A page of the latest version of each program the caller may see, the highest program id first (?limit=, 1-100, 50 by default; ?cursor= from the previous page)', roles: ALL, querySchema: pageQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/programs/{programId}', function: 'programs', operationId: 'getProgram', summary: 'A program, latest or ?version=N', roles: ALL, querySchema: versionQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/loans', function: 'loans', operationId: 'bookLoan', summary: 'Book a loan with its funding plan and disbursement', roles: ['LEAD'], requestSchema: bookLoanRequest, idempotent: true, successStatus: 201 },
  { routeKey: 'GET /v1/loans/{loanId}', function: 'loans', operationId: 'getLoan', summary: "A loan; a partner sees only its own part", roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/loans/{loanId}/schedule', function: 'loans', operationId: 'getLoanSchedule', summary: "The borrower's schedule and each lender's sub-schedule, the plan (what each lender receives when every instalment is paid in full on its due date; what was paid is in the repayments); a partner sees its own", roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/loans/{loanId}/repayments', function: 'repayments', operationId: 'getLoanRepayments', summary: "The loan's repayment account: dues, days past due, each lender's outstanding, every repayment; a partner sees its own part", roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/loans/{loanId}/transfers', function: 'repayments', operationId: 'transferShare', summary: "A lender sells some or all of its part of a loan to another funding participant from a value date; refused if a regulatory minimum would break", roles: ['LEAD'], requestSchema: transferRequest, idempotent: true, keyInBody: 'transferId', successStatus: 201 },
  { routeKey: 'POST /v1/loans/{loanId}/buybacks', function: 'repayments', operationId: 'buyBackShare', summary: "The lead or the guarantor buys a partner's whole remaining share of a loan from a value date at the program's price (回购); refused, booking nothing, if expectedPriceMinor is not that price", roles: ['LEAD'], requestSchema: buybackRequest, idempotent: true, keyInBody: 'buybackId', successStatus: 201 },
  { routeKey: 'POST /v1/loans/{loanId}/write-off', function: 'repayments', operationId: 'writeOffLoan', summary: "Write a loan off: each lender's outstanding principal (or the guarantor's claim) becomes a loss, shared per the program", roles: ['LEAD'], requestSchema: writeOffRequest, idempotent: true, keyInBody: 'writeOffId', successStatus: 201 },
  { routeKey: 'POST /v1/loans/{loanId}/loss-events/{eventId}/reversal', function: 'repayments', operationId: 'reverseLossEvent', summary: "Reverse a compensation or write-off (one booked by a risk run of a wrong date): the mirror of its entry, the later events restated, the pool's use given back; the reversalId books it once", roles: ['LEAD', 'FINANCE'], requestSchema: lossEventReversalRequest, idempotent: true, keyInBody: 'reversalId', successStatus: 200 },
  { routeKey: 'POST /v1/repayments', function: 'repayments', operationId: 'postRepayments', summary: 'Book repayments (1 to 100); each repaymentId is its idempotency key, answered one by one in order', roles: ['LEAD'], requestSchema: postRepaymentsRequest, idempotent: true, keyInBody: 'repayments[].repaymentId', successStatus: 200 },
  { routeKey: 'GET /v1/repayments/{repaymentId}', function: 'repayments', operationId: 'getRepayment', summary: 'A repayment as booked now, with its split; a partner sees its own part', roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/repayments/{repaymentId}/reversal', function: 'repayments', operationId: 'reverseRepayment', summary: 'Reverse a bounced or mistaken repayment: the exact negative of its booking, as its own entry', roles: ['LEAD'], requestSchema: reversalRequest, idempotent: true, keyInBody: 'reversalId', successStatus: 200 },
  { routeKey: 'POST /v1/borrower-lookups', function: 'loans', operationId: 'lookUpBorrower', summary: "A person's borrower ids, loans and applications, matched on the keyed hash of the identity number in the body (never in the URL), with each loan's state and principal outstanding, a page at a time (limit, 1-100, 50 by default; cursor from the previous page, in the body); lead operations and the lead's finance team only", roles: ['LEAD', 'FINANCE'], requestSchema: borrowerLookupRequest, idempotent: false, readOnly: true, successStatus: 200 },
  { routeKey: 'POST /v1/applications', function: 'applications', operationId: 'createApplication', summary: 'Submit an application for joint review', roles: ['LEAD'], requestSchema: createApplicationRequest, idempotent: true, successStatus: 202 },
  { routeKey: 'GET /v1/applications', function: 'applications', operationId: 'listApplications', summary: "A page of the lead's applications by status (pending reviews by default), oldest first; for a partner, what awaits its decision, the earliest deadline first (?limit=, 1-100, 50 by default; ?cursor= from the previous page)", roles: ALL, querySchema: applicationsQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/applications/{applicationId}', function: 'applications', operationId: 'getApplication', summary: 'State, decisions, plan, reasons and timeline of an application', roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/applications/{applicationId}/decisions', function: 'applications', operationId: 'decideApplication', summary: "A partner's decision on its part, once, before the review closes", roles: ['PARTNER'], requestSchema: decisionRequest, idempotent: true, successStatus: 201 },
  { routeKey: 'POST /v1/applications/{applicationId}/disbursement', function: 'applications', operationId: 'confirmDisbursement', summary: "The lead's disbursement confirmation, failure or cancellation", roles: ['LEAD'], requestSchema: disbursementRequest, idempotent: true, successStatus: 202 },
  { routeKey: 'POST /v1/ledger-checks', function: 'ledger-checks', operationId: 'startLedgerCheck', summary: 'Start the ledger check of a business date', roles: ['LEAD', 'FINANCE'], requestSchema: startLedgerCheckRequest, idempotent: true, successStatus: 202 },
  { routeKey: 'GET /v1/ledger-checks/{businessDate}', function: 'ledger-checks', operationId: 'getLedgerCheck', summary: 'The ledger check report of a business date with a page of its differences (?limit=, 1-100, 50 by default; ?cursor= from the previous page)', roles: ['LEAD', 'FINANCE'], querySchema: pageQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/risk-updates', function: 'risk-updates', operationId: 'startRiskUpdate', summary: 'Run the daily risk update of a business date again (DPD, class, compensation, write-off)', roles: ['LEAD', 'FINANCE'], requestSchema: startRiskUpdateRequest, idempotent: true, successStatus: 202 },
  { routeKey: 'POST /v1/settlement-runs', function: 'settlements', operationId: 'startSettlement', summary: 'Settle a business date (again): instructions, files, statements; the schedule does it after each cut-off', roles: ['LEAD', 'FINANCE'], requestSchema: startSettlementRequest, idempotent: true, successStatus: 202 },
  { routeKey: 'GET /v1/settlement-runs', function: 'settlements', operationId: 'listSettlementRuns', summary: "A page of the latest settlement runs (?limit=, at most 62, 62 by default; ?cursor= from the previous page for earlier ones) of a range of dates (?from=&to=) with each lender's collections of the day; a lender's callers see only their own lender's figures", roles: ALL, querySchema: settlementRunsQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/settlement-runs/{businessDate}', function: 'settlements', operationId: 'getSettlementRun', summary: 'The settlement run of a date: status, shards gathered, instructions, files', roles: ['LEAD', 'FINANCE'], idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed', function: 'settlements', operationId: 'recordInstructionExecuted', summary: "Record the bank's reference of an executed payout instruction (once)", roles: ['LEAD', 'FINANCE'], requestSchema: executedRequest, idempotent: true, keyInBody: 'bankReference', successStatus: 200 },
  { routeKey: 'GET /v1/lenders/{lenderId}/statements/{businessDate}', function: 'settlements', operationId: 'listStatements', summary: "A lender's settlement files of a date; a partner sees only its own", roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/lenders/{lenderId}/statements/{businessDate}/{fileName}', function: 'settlements', operationId: 'getStatementFile', summary: "One of a lender's settlement files; a partner gets only its own", roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/lenders/{lenderId}/statements/{businessDate}/human/{fileName}', function: 'settlements', operationId: 'getStatementCopy', summary: "One of a lender's copies for people (CSV or XLSX) of its settlement files; a partner gets only its own", roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/profit-runs', function: 'profit-runs', operationId: 'startProfitRun', summary: "Share a program's profit of a period that ended (a month or a quarter): book its period fees once, store each party's statement; the schedule does it at each period's end", roles: ['LEAD', 'FINANCE'], requestSchema: startProfitRunRequest, idempotent: true, successStatus: 202 },
  { routeKey: 'GET /v1/profit-runs/{programId}/{period}', function: 'profit-runs', operationId: 'getProfitRun', summary: "The profit-sharing run of a program's period: status, loans, entries booked, each party's statement", roles: ['LEAD', 'FINANCE'], idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/lenders/{lenderId}/profit-statements/{period}', function: 'profit-runs', operationId: 'getProfitStatements', summary: "A party's stored profit statements of a period, one per program; a partner reads only its own", roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'PUT /v1/calendars/{calendar}/years/{year}', function: 'calendars', operationId: 'loadCalendarYear', summary: "Load a newly published year of a calendar (its holidays and worked weekend days) as the year's next version; the platform's lead operations and finance only", roles: ['LEAD', 'FINANCE'], requestSchema: loadCalendarYearRequest, idempotent: true, successStatus: 201 },
  { routeKey: 'GET /v1/calendars/{calendar}', function: 'calendars', operationId: 'getCalendar', summary: 'The years a calendar covers and where each comes from (the package, or a loaded version: by whom, when); ?year=YYYY adds that year\'s business days', roles: ALL, querySchema: calendarQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'PUT /v1/bank-formats/{bankId}', function: 'bank-formats', operationId: 'loadBankFormat', summary: "Load a bank's statement mapping (its columns, encoding, amounts, dates, memo patterns) as the bank's next version; the platform's lead operations and finance only", roles: ['LEAD', 'FINANCE'], requestSchema: bankFormatRequest, idempotent: true, successStatus: 201 },
  { routeKey: 'GET /v1/bank-formats', function: 'bank-formats', operationId: 'listBankFormats', summary: "A page of the latest mapping of every bank, the highest bank id first, the built-in generic one on the first page (?limit=, 1-100, 50 by default; ?cursor= from the previous page)", roles: ['LEAD', 'FINANCE'], querySchema: pageQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/bank-formats/{bankId}', function: 'bank-formats', operationId: 'getBankFormat', summary: "A bank's statement mapping, latest or ?version=N, with who loaded it and when", roles: ['LEAD', 'FINANCE'], querySchema: versionQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/risk-updates/{businessDate}', function: 'risk-updates', operationId: 'getRiskUpdate', summary: 'The risk update report of a business date with a page of the loans it compensated, wrote off or held (?limit=, 1-100, 50 by default; ?cursor= from the previous page)', roles: ['LEAD', 'FINANCE'], querySchema: pageQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'PUT /v1/lenders/{lenderId}/regulatory-figures/{effectiveDate}', function: 'lenders', operationId: 'setRegulatoryFigures', summary: "Set a bank's net tier-1 capital and total loans in force from a date, with their source, as the date's next version (allocation and the regulatory report use the figures in force)", roles: ['LEAD'], requestSchema: regulatoryFiguresRequest, idempotent: true, successStatus: 201 },
  { routeKey: 'GET /v1/lenders/{lenderId}/regulatory-figures', function: 'lenders', operationId: 'listRegulatoryFigures', summary: "A bank's regulatory figures, every version, and those in force today; a partner sees only its own", roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/regulatory-reports', function: 'regulatory-reports', operationId: 'startRegulatoryReport', summary: 'Report a business date (again): each bank\'s joint loans against 25% of net tier-1 capital and 50% of total loans, with the headroom; the schedule does it every day', roles: ['LEAD', 'FINANCE'], requestSchema: startRegulatoryReportRequest, idempotent: true, successStatus: 202 },
  { routeKey: 'GET /v1/regulatory-reports/{businessDate}', function: 'regulatory-reports', operationId: 'getRegulatoryReport', summary: 'The regulatory report of a business date and the state of its run; ?format=csv or xlsx for the file', roles: ['LEAD', 'FINANCE'], querySchema: regulatoryReportQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/reconciliation-uploads', function: 'reconciliations', operationId: 'createReconciliationUpload', summary: 'Where to PUT a counterpart file (an escrow statement, a partner\'s records) before reconciling it: a URL valid for 15 minutes', roles: ALL, requestSchema: createUploadRequest, idempotent: true, successStatus: 201 },
  { routeKey: 'POST /v1/reconciliations', function: 'reconciliations', operationId: 'startReconciliation', summary: 'Reconcile an uploaded file of a date against what Colend settled; the same file again is the same reconciliation; a partner reconciles only its own records', roles: ALL, requestSchema: startReconciliationRequest, idempotent: true, successStatus: 202 },
  { routeKey: 'GET /v1/reconciliations', function: 'reconciliations', operationId: 'listReconciliations', summary: "A page of a date's reconciliations (?limit=, 1-100, 50 by default; ?cursor= from the previous page); a partner sees its own", roles: ALL, querySchema: reconciliationsQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/reconciliations/{reconciliationId}', function: 'reconciliations', operationId: 'getReconciliation', summary: 'A reconciliation: status, matched count and amount, breaks by kind and age, net difference, the escrow balance check, or the errors of a refused file', roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/reconciliations/{reconciliationId}/export', function: 'reconciliations', operationId: 'exportReconciliation', summary: "A reconciliation's report and breaks as CSV or XLSX (?format=csv|xlsx), columns in Chinese and English", roles: ALL, querySchema: exportQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/breaks', function: 'reconciliations', operationId: 'listBreaks', summary: 'Breaks by lender, state and kind, a page at a time (?cursor= from the previous page); a partner sees its own', roles: ALL, querySchema: breaksQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/breaks/export', function: 'reconciliations', operationId: 'exportBreaks', summary: 'The breaks a listing would give, as CSV or XLSX', roles: ALL, querySchema: breaksExportQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'PUT /v1/reconciliation-settings/{counterparty}', function: 'reconciliations', operationId: 'putReconciliationSettings', summary: "A counterparty's reconciliation tolerances (amount, days) and when its breaks escalate, as a new version", roles: ['LEAD', 'FINANCE'], requestSchema: reconciliationSettingsRequest, idempotent: true, successStatus: 201 },
  { routeKey: 'GET /v1/reconciliation-settings/{counterparty}', function: 'reconciliations', operationId: 'getReconciliationSettings', summary: "A counterparty's reconciliation settings in force (the defaults when none were set)", roles: ['LEAD', 'FINANCE'], idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/breaks/{breakId}', function: 'breaks', operationId: 'getBreak', summary: "A reconciliation break: kind, amounts, owner, state, history; a partner sees only its own lender's", roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/breaks/{breakId}/actions', function: 'breaks', operationId: 'actOnBreak', summary: "Investigate a break, accept it without money moving (a reason required) or assign its owner; the platform's lead operations and finance only", roles: ['LEAD', 'FINANCE'], requestSchema: breakActionRequest, idempotent: true, successStatus: 200 },
  { routeKey: 'POST /v1/adjustments', function: 'adjustments', operationId: 'proposeAdjustment', summary: "Propose an adjustment (the maker): money between a lender and a counterparty for one component of a loan, booked only once another finance user approves it", roles: ['FINANCE'], requestSchema: adjustmentRequest, idempotent: true, keyInBody: 'adjustmentId', successStatus: 201 },
  { routeKey: 'GET /v1/adjustments', function: 'adjustments', operationId: 'listAdjustments', summary: "The adjustments in a state (proposed by default), oldest first, a page at a time; a partner sees those its lender is a party to", roles: ALL, querySchema: adjustmentsQuery, idempotent: false, successStatus: 200 },
  { routeKey: 'GET /v1/adjustments/{adjustmentId}', function: 'adjustments', operationId: 'getAdjustment', summary: 'An adjustment: the proposal, its maker, its approval (checker, time, reason, entry) or rejection', roles: ALL, idempotent: false, successStatus: 200 },
  { routeKey: 'POST /v1/adjustments/{adjustmentId}/approval', function: 'adjustments', operationId: 'approveAdjustment', summary: "Approve an adjustment (the checker, never the maker): its entry is booked once and flows into the next settlement run, its break is resolved; approving again answers the approval", roles: ['FINANCE'], requestSchema: adjustmentDecisionRequest, idempotent: true, successStatus: 200 },
  { routeKey: 'POST /v1/adjustments/{adjustmentId}/rejection', function: 'adjustments', operationId: 'rejectAdjustment', summary: 'Reject a proposed adjustment (a checker), or withdraw it (its maker); nothing is booked', roles: ['FINANCE'], requestSchema: adjustmentDecisionRequest, idempotent: true, successStatus: 200 },
  { routeKey: 'GET /v1/audit', function: 'audit', operationId: 'listAuditRecords', summary: "A page of a day's audit records (?date=YYYY-MM-DD, the UTC day; ?limit=, 1-100, 50 by default; ?cursor= from the previous page): who did what to which target, when, with what outcome, hash-chained; a partner sees only records about its own lender's data", roles: ALL, querySchema: auditQuery, idempotent: false, successStatus: 200 },
] as const satisfies readonly RouteSpec[];

export type RouteKey = (typeof ROUTES)[number]['routeKey'];

const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether a route writes: every such route takes an Idempotency-Key and answers a repeat with its first answer. A read sent as POST does not. */
export function isWrite(route: Pick<RouteSpec, 'routeKey'>): boolean {
  return WRITE_METHODS.has(route.routeKey.split(' ')[0] ?? '') && routeSpec(route.routeKey)?.readOnly !== true;
}

export function routeSpec(routeKey: string): RouteSpec | undefined {
  return ROUTES.find((r) => r.routeKey === routeKey);
}

/**
 * Largest request body a route accepts unless it says otherwise; anything larger is refused with
 * 413 before it is decoded or parsed, by the function and by the local server before it reads the
 * body. No route takes a file inline: files go to the bucket by a presigned URL.
 */
export const MAX_BODY_BYTES = 256 * 1024;

/** The largest body a route accepts, in bytes. */
export function bodyLimitOf(spec: Pick<RouteSpec, 'maxBodyBytes'>): number {
  return spec.maxBodyBytes ?? MAX_BODY_BYTES;
}
