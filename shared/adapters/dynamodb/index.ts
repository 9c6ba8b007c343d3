import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Tables } from './client.ts';
import { DynamoAuditStore, auditTableFromEnv } from './audit-store.ts';
import { createDocumentClient } from './client.ts';
import { DynamoAdjustmentStore } from './adjustment-store.ts';
import { DynamoApplicationStore, DynamoExposureStore } from './application-store.ts';
import { DynamoBreakStore } from './break-store.ts';
import { DynamoBankFormatStore } from './bank-format-store.ts';
import { DynamoCalendarStore } from './calendar-store.ts';
import { DynamoReconciliationStore } from './reconciliation-store.ts';
import { DynamoProfitRunStore } from './profit-store.ts';
import { DynamoRegulatoryFiguresStore, DynamoRegulatoryReportStore } from './regulatory-store.ts';
import { DynamoProgramPoolStore, DynamoRepaymentStore } from './repayment-store.ts';
import { DynamoSettlementStore } from './settlement-store.ts';
import { DynamoRunDetailStore } from './run-detail-store.ts';
import { DynamoIdempotencyStore, DynamoRiskRunStore, DynamoLedgerCheckStore, DynamoLedgerStore, DynamoLenderStore, DynamoLoanStore, DynamoProgramStore } from './stores.ts';

export { createDocumentClient, tablesFromEnv } from './client.ts';
export type { Tables } from './client.ts';

/** Every store over one document client; handlers build this once at module scope. */
export function createStores(doc: DynamoDBDocumentClient, tables: Tables) {
  return {
    idempotency: new DynamoIdempotencyStore(doc, tables),
    lenders: new DynamoLenderStore(doc, tables),
    programs: new DynamoProgramStore(doc, tables),
    loans: new DynamoLoanStore(doc, tables),
    ledger: new DynamoLedgerStore(doc, tables),
    ledgerChecks: new DynamoLedgerCheckStore(doc, tables),
    runDetails: new DynamoRunDetailStore(doc, tables),
    applications: new DynamoApplicationStore(doc, tables),
    exposure: new DynamoExposureStore(doc, tables),
    repayments: new DynamoRepaymentStore(doc, tables),
    riskRuns: new DynamoRiskRunStore(doc, tables),
    programPools: new DynamoProgramPoolStore(doc, tables),
    settlements: new DynamoSettlementStore(doc, tables),
    calendars: new DynamoCalendarStore(doc, tables),
    profitRuns: new DynamoProfitRunStore(doc, tables),
    regulatoryFigures: new DynamoRegulatoryFiguresStore(doc, tables),
    regulatoryReports: new DynamoRegulatoryReportStore(doc, tables),
    reconciliations: new DynamoReconciliationStore(doc, tables),
    breaks: new DynamoBreakStore(doc, tables),
    bankFormats: new DynamoBankFormatStore(doc, tables),
    adjustments: new DynamoAdjustmentStore(doc, tables),
  };
}
export type Stores = ReturnType<typeof createStores>;

export { DynamoAuditStore, auditTableFromEnv } from './audit-store.ts';

/** The audit trail of the function's environment (AUDIT_TABLE); every function that writes builds one at module scope. */
export function auditStoreFromEnv(doc: DynamoDBDocumentClient = createDocumentClient(), env: NodeJS.ProcessEnv = process.env): DynamoAuditStore {
  return new DynamoAuditStore(doc, auditTableFromEnv(env));
}
