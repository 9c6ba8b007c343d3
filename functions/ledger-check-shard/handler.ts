import middy from '@middy/core';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { verifyShardInput } from './schema.ts';
import type { ShardResult } from '../../shared/contracts/ledger-check.ts';
import { verifyShard } from './use-case.ts';
import { STORES } from './stores.ts';

const deps = createStores(createDocumentClient(), tablesFromEnv(), STORES);

export const handler = middy<unknown, ShardResult>().handler((event) => verifyShard(deps, validate(verifyShardInput, event)));
