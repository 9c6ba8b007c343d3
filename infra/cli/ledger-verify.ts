import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, ALL_STORES, createStores, type Tables } from '../../shared/adapters/dynamodb/index.ts';
import { LOAN_SHARDS } from '../../shared/adapters/dynamodb/state-keys.ts';
import type { LedgerDifference } from '../../shared/domain/ledger-check.ts';
import { checkShard } from '../../functions/ledger-check-shard/use-case.ts';

export interface VerifyOptions {
  /** A DynamoDB endpoint (DynamoDB Local under `npm start`); AWS when absent. */
  readonly endpoint?: string;
  /** Table names; found by their construct ids' prefixes when absent. */
  readonly tables?: Tables;
}

export interface VerifyReport {
  readonly loansChecked: number;
  readonly entriesChecked: number;
  readonly differences: readonly LedgerDifference[];
  readonly differenceCount: number;
}

/**
 * The endpoint's tables named after each construct id, by prefix (the local stack's) or by the
 * stack's `-{id}` part (AWS's): exactly one each, or an error naming the flag that names it.
 */
export async function tablesNamed<const Id extends string>(client: DynamoDBClient, ids: readonly Id[], flag: string): Promise<Record<Id, string>> {
  const names: string[] = [];
  let ExclusiveStartTableName: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName }));
    names.push(...(page.TableNames ?? []));
    ExclusiveStartTableName = page.LastEvaluatedTableName;
  } while (ExclusiveStartTableName);
  const pick = (id: Id): [Id, string] => {
    const found = names.filter((n) => n.startsWith(id) || n.includes(`-${id}`));
    if (found.length !== 1) throw new Error(`expected one ${id} table, found ${found.length === 0 ? 'none' : found.join(', ')}; name it with ${flag}`);
    return [id, found[0] as string];
  };
  return Object.fromEntries(ids.map(pick)) as Record<Id, string>;
}

/** The ledger and state tables of the endpoint, found by their construct ids. */
export async function findTables(client: DynamoDBClient): Promise<Tables> {
  const found = await tablesNamed(client, ['LedgerTable', 'StateTable'], '--ledger-table/--state-table');
  return { ledger: found.LedgerTable, state: found.StateTable };
}

/**
 * `colend ledger verify`: recomputes every position from the journal entries and checks that
 * every entry balances in every book, shard by shard, exactly as the daily check does.
 */
export async function verifyLedger(options: VerifyOptions): Promise<VerifyReport> {
  const client = new DynamoDBClient(options.endpoint ? { endpoint: options.endpoint } : {});
  try {
    const tables = options.tables ?? (await findTables(client));
    const stores = createStores(createDocumentClient(client), tables, ALL_STORES);
    const results: Awaited<ReturnType<typeof checkShard>>[] = [];
    for (let shard = 0; shard < LOAN_SHARDS; shard++) results.push(await checkShard(stores, shard));
    return {
      loansChecked: results.reduce((n, r) => n + r.loansChecked, 0),
      entriesChecked: results.reduce((n, r) => n + r.entriesChecked, 0),
      differences: results.flatMap((r) => r.differences),
      differenceCount: results.reduce((n, r) => n + r.differenceCount, 0),
    };
  } finally {
    client.destroy();
  }
}
