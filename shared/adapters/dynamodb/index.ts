import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Tables } from './client.ts';
import { DynamoAuditStore, auditTableFromEnv } from './audit-store.ts';
import { createDocumentClient } from './client.ts';
import { guardKeys } from './key-guard.ts';
import type { StoreKeys } from './key-families.ts';
import { DynamoAdjustmentStore } from './adjustment-store.ts';
import { DynamoApplicationIntakeStore, DynamoApplicationStore, DynamoExposureStore } from './application-store.ts';
import { DynamoBreakStore } from './break-store.ts';
import { DynamoPersonStore } from './person-store.ts';
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
export type { KeyFamily, StoreKeys } from './key-families.ts';

/** Every store a function may build, by the name it has in a function's wiring. */
const STORE_CLASSES = {
  idempotency: DynamoIdempotencyStore,
  lenders: DynamoLenderStore,
  programs: DynamoProgramStore,
  loans: DynamoLoanStore,
  ledger: DynamoLedgerStore,
  ledgerChecks: DynamoLedgerCheckStore,
  runDetails: DynamoRunDetailStore,
  applications: DynamoApplicationStore,
  applicationIntake: DynamoApplicationIntakeStore,
  people: DynamoPersonStore,
  exposure: DynamoExposureStore,
  repayments: DynamoRepaymentStore,
  riskRuns: DynamoRiskRunStore,
  programPools: DynamoProgramPoolStore,
  settlements: DynamoSettlementStore,
  calendars: DynamoCalendarStore,
  profitRuns: DynamoProfitRunStore,
  regulatoryFigures: DynamoRegulatoryFiguresStore,
  regulatoryReports: DynamoRegulatoryReportStore,
  reconciliations: DynamoReconciliationStore,
  breaks: DynamoBreakStore,
  bankFormats: DynamoBankFormatStore,
  adjustments: DynamoAdjustmentStore,
} as const;

export type StoreName = keyof typeof STORE_CLASSES;
export type Stores = { readonly [N in StoreName]: InstanceType<(typeof STORE_CLASSES)[N]> };

/** Every store's name: for tools and tests that work on the whole data set. */
export const ALL_STORES = Object.keys(STORE_CLASSES) as readonly StoreName[];

/** A store as a function's wiring names it: `loans` to read and write, `loans:read` to read only. */
export type StoreUse = StoreName | `${StoreName}:read`;
type NameOf<U extends StoreUse> = U extends `${infer N extends StoreName}:read` ? N : U;

const READ_ONLY = ':read';
// Not `replace`: the static reading of each function's calls follows methods by name, and a store has one.
const nameOf = <U extends StoreUse>(use: U): NameOf<U> => (use.endsWith(READ_ONLY) ? use.slice(0, -READ_ONLY.length) : use) as NameOf<U>;

/**
 * The stores a function builds, and only those, over one document client; handlers build them
 * once at module scope. Each store sends through its own key guard: only the key families it
 * declares, and none written when the function uses it to read only (`keysOfStore`), which is all
 * its functions' roles allow in AWS.
 */
export function createStores<const U extends StoreUse>(doc: DynamoDBDocumentClient, tables: Tables, uses: readonly U[]): Pick<Stores, NameOf<U>> {
  const built = uses.map((use) => {
    const name = nameOf(use);
    return [name, new STORE_CLASSES[name](guardKeys(doc, tables, keysOfStore(use), use), tables)] as const;
  });
  return Object.fromEntries(built) as unknown as Pick<Stores, NameOf<U>>;
}

/** The key families a store reads, queries and writes, as a function uses it (`:read`: nothing written). */
export function keysOfStore(use: StoreUse): StoreKeys {
  const { keys } = STORE_CLASSES[nameOf(use)];
  return use.endsWith(READ_ONLY) ? { ...keys, writes: [], replaces: [] } : keys;
}
export { DynamoAuditStore, auditTableFromEnv } from './audit-store.ts';

/** The audit trail of the function's environment (AUDIT_TABLE); every function that writes builds one at module scope. */
export function auditStoreFromEnv(doc: DynamoDBDocumentClient = createDocumentClient(), env: NodeJS.ProcessEnv = process.env): DynamoAuditStore {
  return new DynamoAuditStore(doc, auditTableFromEnv(env));
}
