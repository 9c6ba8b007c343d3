import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ProfitRun, ProfitRunStore, StoredProfitStatement } from '../../ports/stores.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { putAttempt, queryAll, type Tables } from './client.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import type { StoreKeys } from './key-families.ts';

/** Profit-sharing runs and the parties' statements in the StateTable (docs/access-patterns.md S28-S29). */
export class DynamoProfitRunStore implements ProfitRunStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.profitRun, stateFamilies.lender], queries: [], writes: [stateFamilies.profitRun, stateFamilies.lender] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async getRun(programId: string, period: string): Promise<ProfitRun | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.profitRun(programId, period), ConsistentRead: true }));
    return out.Item ? decode<ProfitRun>(stripKeys(out.Item)) : null;
  }

  async putRun(run: ProfitRun, expectedAttempt: number): Promise<void> {
    const item = { ...stateKeys.profitRun(run.programId, run.period), entityType: 'ProfitRun', ...(encode(run) as Item) };
    await putAttempt(this.doc, this.tables.state, item, expectedAttempt, 'profit-run');
  }

  async putStatement(statement: StoredProfitStatement): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tables.state,
        Item: { ...stateKeys.profitStatement(statement.lenderId, statement.period, statement.programId), entityType: 'ProfitStatement', ...(encode(statement) as Item) },
      }),
    );
  }

  async statements(lenderId: string, period: string): Promise<StoredProfitStatement[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': stateKeys.lenderPartition(lenderId), ':s': stateKeys.profitStatementPrefix(period) },
      ConsistentRead: true,
    });
    return items.map((item) => decode<StoredProfitStatement>(stripKeys(item)));
  }
}
