import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { invariant } from '../../domain/errors.ts';
import type { Tables } from './client.ts';
import { inFamily, type FamilyKey, type FamilyTable, type KeyFamily, type StoreKeys } from './key-families.ts';

type Access = 'reads' | 'queries' | 'writes';

/** One partition key a request touches, as IAM sees it: the table (or its index), the key's value, read or written. */
interface Touched {
  readonly table: string;
  readonly key: FamilyKey;
  readonly value: unknown;
  readonly access: Access;
}

/**
 * A document client for one store that sends only requests on the key families the store
 * declares, each for what it declares it for (read, queried on gsi1, written): what its functions'
 * roles allow in AWS, checked everywhere it runs, the local stack and the tests included. A request
 * outside them is a named defect, and nothing is sent.
 */
export function guardKeys(doc: DynamoDBDocumentClient, tables: Tables, keys: StoreKeys, store: string): DynamoDBDocumentClient {
  const tableOf = (name: string): FamilyTable | undefined => (name === tables.state ? 'state' : name === tables.ledger ? 'ledger' : undefined);
  const check = (touched: Touched): void => {
    const table = tableOf(touched.table);
    const families: readonly KeyFamily[] = keys[touched.access];
    const allowed = table !== undefined && typeof touched.value === 'string' && families.some((f) => f.table === table && f.key === touched.key && inFamily(f, touched.value as string));
    invariant(allowed, `the ${store} store ${touched.access === 'writes' ? 'writes' : touched.access === 'queries' ? 'queries gsi1 on' : 'reads'} a key outside its declared families`, {
      store,
      table: table ?? touched.table,
      [touched.key]: String(touched.value),
    });
  };
  const send = ((command: unknown, ...rest: unknown[]) => {
    try {
      for (const touched of touchedBy(command)) check(touched);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return (doc.send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as DynamoDBDocumentClient['send'];
  return new Proxy(doc, { get: (target, property) => (property === 'send' ? send : (target as unknown as Record<PropertyKey, unknown>)[property]) });
}

/** The partition keys a request touches; a command this guard does not know is refused. */
function touchedBy(command: unknown): Touched[] {
  if (command instanceof GetCommand) return [{ table: command.input.TableName ?? '', key: 'pk', value: command.input.Key?.pk, access: 'reads' }];
  if (command instanceof BatchGetCommand) {
    return Object.entries(command.input.RequestItems ?? {}).flatMap(([table, request]) => (request.Keys ?? []).map((key) => ({ table, key: 'pk' as const, value: key.pk, access: 'reads' as const })));
  }
  if (command instanceof QueryCommand) {
    const { TableName, IndexName, KeyConditionExpression, ExpressionAttributeValues } = command.input;
    const key: FamilyKey = IndexName === undefined ? 'pk' : 'gsi1pk';
    invariant(IndexName === undefined || IndexName === 'gsi1', 'a query reads the table or its gsi1 index', { index: IndexName ?? '' });
    const placeholder = new RegExp(`^\\s*${key}\\s*=\\s*(:\\w+)`).exec(KeyConditionExpression ?? '')?.[1];
    return [{ table: TableName ?? '', key, value: placeholder === undefined ? undefined : ExpressionAttributeValues?.[placeholder], access: IndexName === undefined ? 'reads' : 'queries' }];
  }
  if (command instanceof PutCommand) return [{ table: command.input.TableName ?? '', key: 'pk', value: command.input.Item?.pk, access: 'writes' }];
  if (command instanceof UpdateCommand) return [{ table: command.input.TableName ?? '', key: 'pk', value: command.input.Key?.pk, access: 'writes' }];
  if (command instanceof TransactWriteCommand) {
    return (command.input.TransactItems ?? []).map((item) => {
      const target = item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck;
      const key = item.Put !== undefined ? item.Put.Item : (item.Update ?? item.Delete ?? item.ConditionCheck)?.Key;
      return { table: target?.TableName ?? '', key: 'pk' as const, value: key?.pk, access: 'writes' as const };
    });
  }
  if (command instanceof BatchWriteCommand) {
    return Object.entries(command.input.RequestItems ?? {}).flatMap(([table, requests]) =>
      requests.map((request) => ({ table, key: 'pk' as const, value: (request.PutRequest?.Item ?? request.DeleteRequest?.Key)?.pk, access: 'writes' as const })),
    );
  }
  invariant(false, 'a store sends only the DynamoDB commands its key guard knows', { command: (command as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof command });
}
