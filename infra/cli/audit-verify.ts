import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoAuditStore, createDocumentClient } from '../../shared/adapters/dynamodb/index.ts';
import { verifyAuditDay, type AuditVerification } from '../../shared/use-cases/audit.ts';
import { tablesNamed } from './ledger-verify.ts';

export interface AuditVerifyOptions {
  readonly date: string;
  /** A DynamoDB endpoint (DynamoDB Local under `npm start`); AWS when absent. */
  readonly endpoint?: string;
  /** The audit table's name; found by its construct id's prefix when absent. */
  readonly table?: string;
}

/** The audit table of the endpoint, found by its construct id's prefix. */
export async function findAuditTable(client: DynamoDBClient): Promise<string> {
  return (await tablesNamed(client, ['AuditTable'], '--audit-table')).AuditTable;
}

/** `colend audit verify --date`: every chain of the day recomputed, the first record that does not match named. */
export async function verifyAudit(options: AuditVerifyOptions): Promise<AuditVerification> {
  const client = new DynamoDBClient(options.endpoint ? { endpoint: options.endpoint } : {});
  try {
    const table = options.table ?? (await findAuditTable(client));
    return await verifyAuditDay(new DynamoAuditStore(createDocumentClient(client), table), options.date);
  } finally {
    client.destroy();
  }
}

/** What the command prints: each chain's count, then VERIFIED or the first bad record. */
export function formatAuditVerification(result: AuditVerification): string[] {
  return [
    `audit of ${result.date}: ${result.records} records in ${result.chains.length} chains (${result.chains.map((c) => `${c.chain}: ${c.records}`).join(', ')})`,
    result.problem === null ? 'VERIFIED: every chain recomputes, every record links to the one before it' : `FIRST BAD RECORD ${result.problem}`,
  ];
}
