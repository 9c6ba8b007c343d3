import type { StoreUse } from '../../shared/adapters/dynamodb/index.ts';

/**
 * The stores this function builds (`:read`: to read only): its role may touch their key families
 * and no others (docs/architecture.md#permissions).
 */
export const STORES = ['lenders:read', 'programs:read', 'applicationIntake', 'idempotency', 'exposure:read'] as const satisfies readonly StoreUse[];
