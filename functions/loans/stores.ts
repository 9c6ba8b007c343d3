import type { StoreUse } from '../../shared/adapters/dynamodb/index.ts';

/**
 * The stores this function builds (`:read`: to read only): its role may touch their key families
 * and no others (docs/architecture.md#permissions).
 */
export const STORES = ['loans', 'idempotency', 'programs:read', 'lenders:read', 'exposure:read', 'regulatoryFigures:read', 'repayments:read', 'people:read'] as const satisfies readonly StoreUse[];
