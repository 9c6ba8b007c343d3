import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, type LocalStack } from '../../infra/local/stack.ts';
import { LOCAL_REGION } from '../../infra/local/template.ts';
import { cpuMeter, cpuText } from './stats.ts';

/**
 * The local write floor: what DynamoDB Local itself takes, with the same SDK and 8 clients, before
 * any of Colend's work. Single PutItems of one item the size of a repayment's, and
 * TransactWriteItems of as many items, of the same kinds, as the bench's repayments write: the
 * head, event, entry and record (conditional Puts under 1 KB) and, as each repays principal to
 * the loan's 3 lenders, the outstanding principal of each lender and of the borrower (Updates
 * with ADD). A repayment end to end is measured against the second. Prints; asserts nothing.
 */

const CLIENTS = 8;
/** The head, the event, the entry and the record. */
const BOOK_ITEMS = 4;
/** The outstanding principal of the bench loans' 3 lenders and of the borrower (docs/access-patterns.md, S35 and S36). */
const OUTSTANDING_ITEMS = 4;
const ITEMS_PER_REPAYMENT = BOOK_ITEMS + OUTSTANDING_ITEMS;

function item(pk: string, sk: string): Record<string, AttributeValue> {
  return { pk: { S: pk }, sk: { S: sk }, entityType: { S: 'Floor' }, payload: { S: 'x'.repeat(800) } };
}

async function rate(clients: number, perClient: number, op: (client: number, i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; i < perClient; i++) await op(c, i);
  }));
  return (clients * perClient * 1000) / (performance.now() - started);
}

export async function benchWriteFloor(stack: LocalStack, perClient = 250) {
  const client = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const table = [...stack.tables.created, ...stack.tables.existing].find((t) => t.logicalId.startsWith('LedgerTable'))?.tableName;
  if (table === undefined) throw new Error('no ledger table');
  const run = randomUUID().slice(0, 8);
  try {
    await rate(CLIENTS, 20, (c, i) => client.send(new PutItemCommand({ TableName: table, Item: item(`FLOOR#${run}#warm`, `${c}#${i}`) })));
    const putsPerSecond = await rate(CLIENTS, perClient, (c, i) => client.send(new PutItemCommand({ TableName: table, Item: item(`FLOOR#${run}#${c}`, `P#${i}`) })));
    const cpu = cpuMeter(stack.dynamodbProcessGroup);
    const transactionsPerSecond = await rate(CLIENTS, perClient, (c, i) =>
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            ...Array.from({ length: BOOK_ITEMS }, (_, k) => ({
              Put: { TableName: table, Item: item(`FLOOR#${run}#${c}#${i}`, `T#${k}`), ConditionExpression: 'attribute_not_exists(pk)' },
            })),
            ...Array.from({ length: OUTSTANDING_ITEMS }, (_, k) => ({
              Update: {
                TableName: table,
                Key: { pk: { S: `FLOOR#${run}#${c}#${i}` }, sk: { S: `O#${k}` } },
                UpdateExpression: 'SET entityType = :t ADD movedMinor :m',
                ExpressionAttributeValues: { ':t': { S: 'Floor' }, ':m': { N: '-12345' } },
              },
            })),
          ],
        }),
      ),
    );
    const used = cpu();
    const transactions = CLIENTS * perClient;
    return { putsPerSecond, transactionsPerSecond, cpuPerTransaction: { nodeMs: used.nodeMs / transactions, dynamoDbMs: used.dynamoDbMs === null ? null : used.dynamoDbMs / transactions } };
  } finally {
    client.destroy();
  }
}

export type WriteFloor = Awaited<ReturnType<typeof benchWriteFloor>>;

export function printWriteFloor(floor: WriteFloor): void {
  console.log(
    `local write floor, ${CLIENTS} clients on DynamoDB Local: ${floor.putsPerSecond.toFixed(1)} PutItem/s, ` +
      `${floor.transactionsPerSecond.toFixed(1)} TransactWriteItems/s of ${ITEMS_PER_REPAYMENT} items (a repayment's: ${BOOK_ITEMS} Puts, ${OUTSTANDING_ITEMS} ADDs)`,
  );
  console.log(`  CPU per transaction: ${cpuText(floor.cpuPerTransaction)}`);
}
