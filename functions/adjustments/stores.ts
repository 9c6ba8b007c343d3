import type { StoreUse } from '../../shared/adapters/dynamodb/index.ts';

/**
 * The stores this function builds (`:read`: to read only): its role may touch their key families
 * and no others (docs/architecture.md#permissions).
 */
export const STORES = ['adjustments', 'breaks', 'loans:read', 'repayments', 'ledger', 'idempotency'] as const satisfies readonly StoreUse[];
