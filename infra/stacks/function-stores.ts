import { STORES as adjustments } from '../../functions/adjustments/stores.ts';
import { STORES as applications } from '../../functions/applications/stores.ts';
import { STORES as bankFormats } from '../../functions/bank-formats/stores.ts';
import { STORES as breakEscalation } from '../../functions/break-escalation/stores.ts';
import { STORES as breaks } from '../../functions/breaks/stores.ts';
import { STORES as calendars } from '../../functions/calendars/stores.ts';
import { STORES as disbursementBook } from '../../functions/disbursement-book/stores.ts';
import { STORES as disbursementSteps } from '../../functions/disbursement-steps/stores.ts';
import { STORES as ledgerCheckReport } from '../../functions/ledger-check-report/stores.ts';
import { STORES as ledgerCheckShard } from '../../functions/ledger-check-shard/stores.ts';
import { STORES as ledgerChecks } from '../../functions/ledger-checks/stores.ts';
import { STORES as lenders } from '../../functions/lenders/stores.ts';
import { STORES as loans } from '../../functions/loans/stores.ts';
import { STORES as positions } from '../../functions/positions/stores.ts';
import { STORES as profitRuns } from '../../functions/profit-runs/stores.ts';
import { STORES as profitSteps } from '../../functions/profit-steps/stores.ts';
import { STORES as programs } from '../../functions/programs/stores.ts';
import { STORES as reconciliationSteps } from '../../functions/reconciliation-steps/stores.ts';
import { STORES as reconciliations } from '../../functions/reconciliations/stores.ts';
import { STORES as regulatoryReportSteps } from '../../functions/regulatory-report-steps/stores.ts';
import { STORES as regulatoryReports } from '../../functions/regulatory-reports/stores.ts';
import { STORES as repaymentBook } from '../../functions/repayment-book/stores.ts';
import { STORES as repaymentPublish } from '../../functions/repayment-publish/stores.ts';
import { STORES as repayments } from '../../functions/repayments/stores.ts';
import { STORES as reviewAsk } from '../../functions/review-ask/stores.ts';
import { STORES as reviewSteps } from '../../functions/review-steps/stores.ts';
import { STORES as riskSteps } from '../../functions/risk-steps/stores.ts';
import { STORES as riskUpdates } from '../../functions/risk-updates/stores.ts';
import { STORES as settlementSteps } from '../../functions/settlement-steps/stores.ts';
import { STORES as settlements } from '../../functions/settlements/stores.ts';
import { STORES as webhookDelivery } from '../../functions/webhook-delivery/stores.ts';

/**
 * The stores each function's wiring builds (`functions/<name>/stores.ts`, what its handler passes
 * to `createStores`); a function that builds none is absent. Their key families are its role's
 * `dynamodb:LeadingKeys` (docs/architecture.md#permissions).
 */
export const FUNCTION_STORES = {
  adjustments: adjustments,
  applications: applications,
  'bank-formats': bankFormats,
  'break-escalation': breakEscalation,
  breaks: breaks,
  calendars: calendars,
  'disbursement-book': disbursementBook,
  'disbursement-steps': disbursementSteps,
  'ledger-check-report': ledgerCheckReport,
  'ledger-check-shard': ledgerCheckShard,
  'ledger-checks': ledgerChecks,
  lenders: lenders,
  loans: loans,
  positions: positions,
  'profit-runs': profitRuns,
  'profit-steps': profitSteps,
  programs: programs,
  'reconciliation-steps': reconciliationSteps,
  reconciliations: reconciliations,
  'regulatory-report-steps': regulatoryReportSteps,
  'regulatory-reports': regulatoryReports,
  'repayment-book': repaymentBook,
  'repayment-publish': repaymentPublish,
  repayments: repayments,
  'review-ask': reviewAsk,
  'review-steps': reviewSteps,
  'risk-steps': riskSteps,
  'risk-updates': riskUpdates,
  'settlement-steps': settlementSteps,
  settlements: settlements,
  'webhook-delivery': webhookDelivery,
} as const;
