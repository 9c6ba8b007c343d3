import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { verifyShardInput } from './schema.ts';
import type { ShardResult } from '../../shared/contracts/ledger-check.ts';
import { verifyShard } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler } from '../../shared/adapters/telemetry/index.ts';

const deps = createStores(createDocumentClient(), tablesFromEnv(), STORES);

export const handler = eventHandler<unknown, ShardResult>((event) => verifyShard(deps, validate(verifyShardInput, event)));
