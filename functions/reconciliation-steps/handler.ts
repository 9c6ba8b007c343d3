import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { LOAN_SHARDS } from '../../shared/adapters/dynamodb/state-keys.ts';
import { readCounterpartBatches } from '../../shared/adapters/files/counterpart-reader.ts';
import { fileStoreFromEnv } from '../../shared/adapters/files/index.ts';
import { DiskMatchSpool } from '../../shared/adapters/files/match-spool.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { latestMapping, type ReconciliationDeps } from '../../shared/use-cases/reconciliation.ts';
import type { StepAuditDeps } from '../../shared/use-cases/audit.ts';
import { reconciliationStepInput } from './schema.ts';
import { runReconciliationStep } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler, logger } from '../../shared/adapters/telemetry/index.ts';

/** Partitions of a reconciliation's spool: a million rows are matched about 60,000 at a time. */
const SPOOL_PARTITIONS = 16;

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps: ReconciliationDeps & StepAuditDeps = {
  ...stores,
  files: fileStoreFromEnv(),
  clock: systemClock,
  spool: () => DiskMatchSpool.open(SPOOL_PARTITIONS),
  readCounterpart: readCounterpartBatches,
  bankFormat: (bankId) => latestMapping(stores, bankId),
  shardCount: LOAN_SHARDS,
  audit: auditStoreFromEnv(),
  auditLog: logger,
};

export const handler = eventHandler<unknown, unknown>((event) => runReconciliationStep(deps, validate(reconciliationStepInput, event)));
