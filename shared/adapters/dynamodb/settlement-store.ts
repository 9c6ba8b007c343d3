import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { executedOn, type PayoutInstruction, type SettlementItem } from '../../domain/settlement.ts';
import {
  WriteConflict,
  type LenderBalances,
  type LenderProfitDay,
  type ListedSettlementRun,
  type LoanHeadView,
  type Page,
  type PageRequest,
  type SettlementBooks,
  type SettlementRun,
  type SettlementRunIndex,
  type SettlementShard,
  type SettlementStore,
  type StoredInstruction,
} from '../../ports/stores.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { batchGetAll, batchWriteAll, queryAll, queryPage, type Tables } from './client.ts';
import { GSI1_KEY } from './cursor.ts';
import { ledgerFamilies, ledgerKeys } from './ledger-keys.ts';
import { headPositions } from './loan-head.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import type { StoreKeys } from './key-families.ts';

/** What a run's list reads of each run: everything but its files (a run writes tens of them per lender). */
const LISTED_RUN_ATTRIBUTES = ['businessDate', 'status', 'attempt', 'daysByCalendar', 'shardCount', 'startedAt', 'settledAt', 'firstSettledAt', 'entries', 'instructions', 'failure'] as const satisfies readonly (keyof ListedSettlementRun)[];

/**
 * Settlement runs, their shards, instructions and the lenders' closing balances in the StateTable
 * (docs/access-patterns.md S24-S28); the loans' heads it reads from the LedgerTable (L6).
 */
export class DynamoSettlementStore implements SettlementStore, SettlementBooks, SettlementRunIndex {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = {
    reads: [stateFamilies.settlement, ledgerFamilies.loan, stateFamilies.lender, stateFamilies.profitDaysKept],
    queries: [stateFamilies.settlementRuns, stateFamilies.instructions],
    writes: [stateFamilies.settlement, stateFamilies.lender, stateFamilies.profitDaysKept],
  };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async getRun(businessDate: string): Promise<SettlementRun | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.settlementRun(businessDate), ConsistentRead: true }));
    return out.Item ? decode<SettlementRun>(stripKeys(out.Item)) : null;
  }

  async previousRun(businessDate: string): Promise<SettlementRun | null> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.state,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p AND gsi1sk < :d',
        ExpressionAttributeValues: { ':p': stateKeys.settlementRunsPartition, ':d': businessDate },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const found = out.Items?.[0];
    return found ? this.getRun(String(found.businessDate)) : null;
  }

  /** A page of the runs of a range of dates from the runs' index (S25), newest first, in one read; their files left out. */
  async latestRuns(range: { readonly from?: string; readonly to?: string }, request: PageRequest): Promise<Page<ListedSettlementRun>> {
    const bounds =
      range.from !== undefined && range.to !== undefined
        ? { condition: ' AND gsi1sk BETWEEN :from AND :to', values: { ':from': range.from, ':to': range.to } }
        : range.from !== undefined
          ? { condition: ' AND gsi1sk >= :from', values: { ':from': range.from } }
          : range.to !== undefined
            ? { condition: ' AND gsi1sk <= :to', values: { ':to': range.to } }
            : { condition: '', values: {} };
    const partition = stateKeys.settlementRunsPartition;
    const page = await queryPage(
      this.doc,
      {
        TableName: this.tables.state,
        IndexName: 'gsi1',
        KeyConditionExpression: `gsi1pk = :p${bounds.condition}`,
        ExpressionAttributeValues: { ':p': partition, ...bounds.values },
        ProjectionExpression: LISTED_RUN_ATTRIBUTES.map((_, i) => `#a${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(LISTED_RUN_ATTRIBUTES.map((name, i) => [`#a${i}`, name])),
        ScanIndexForward: false,
      },
      request,
      { attributes: GSI1_KEY, where: { gsi1pk: partition } },
    );
    return { items: page.items.map((item) => decode<ListedSettlementRun>(item)), cursor: page.cursor };
  }

  /** A settled run's items: its shards' `items` only, eventually consistent (half the read units of `shards`). */
  async settledItems(businessDate: string): Promise<SettlementItem[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': stateKeys.settlementPartition(businessDate), ':s': stateKeys.settlementShardPrefix },
      ProjectionExpression: '#items',
      ExpressionAttributeNames: { '#items': 'items' },
    });
    return items.flatMap((item) => decode<Pick<SettlementShard, 'items'>>(item).items);
  }

  async putRun(run: SettlementRun, expectedAttempt: number): Promise<void> {
    const created = expectedAttempt === 0;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tables.state,
          Item: { ...stateKeys.settlementRun(run.businessDate), ...stateKeys.settlementRunIndex(run.businessDate), entityType: 'SettlementRun', ...(encode(run) as Item) },
          ConditionExpression: created ? 'attribute_not_exists(pk)' : 'attempt = :a',
          ...(created ? {} : { ExpressionAttributeValues: { ':a': expectedAttempt } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new WriteConflict(created ? 'ALREADY_EXISTS' : 'VERSION', 'settlement-run');
      throw error;
    }
  }

  async putShard(shard: SettlementShard): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tables.state, Item: { ...stateKeys.settlementShard(shard.businessDate, shard.shard), entityType: 'SettlementShard', ...(encode(shard) as Item) } }),
    );
  }

  async shards(businessDate: string): Promise<SettlementShard[]> {
    return (await this.partition(businessDate, stateKeys.settlementShardPrefix)).map((item) => decode<SettlementShard>(stripKeys(item)));
  }

  async putInstructions(instructions: readonly PayoutInstruction[]): Promise<StoredInstruction[]> {
    const stored: StoredInstruction[] = [];
    for (const instruction of instructions) {
      const key = stateKeys.instruction(instruction.businessDate, instruction.instructionId);
      const fresh: StoredInstruction = { ...instruction, executed: null };
      try {
        await this.doc.send(new PutCommand({ TableName: this.tables.state, Item: { ...key, ...stateKeys.openInstructionIndex(instruction.valueDate, instruction.instructionId), entityType: 'PayoutInstruction', ...(encode(fresh) as Item) }, ConditionExpression: 'attribute_not_exists(pk)' }));
        stored.push(fresh);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: key, ConsistentRead: true }));
        stored.push(decode<StoredInstruction>(stripKeys(out.Item as Item)));
      }
    }
    return stored;
  }

  async instructions(businessDate: string): Promise<StoredInstruction[]> {
    return (await this.partition(businessDate, stateKeys.instructionPrefix)).map((item) => decode<StoredInstruction>(stripKeys(item)));
  }

  async recordExecution(businessDate: string, instructionId: string, executed: NonNullable<StoredInstruction['executed']>): Promise<StoredInstruction> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.state,
          Key: stateKeys.instruction(businessDate, instructionId),
          UpdateExpression: 'SET executed = :e, gsi1pk = :day',
          ConditionExpression: 'attribute_exists(pk) AND executed = :none',
          ExpressionAttributeValues: { ':e': executed, ':none': null, ':day': stateKeys.executedInstructionsPartition(executedOn(executed)) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return decode<StoredInstruction>(stripKeys(out.Attributes as Item));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new WriteConflict('ALREADY_EXISTS', 'instruction-execution');
      throw error;
    }
  }

  async openInstructions(): Promise<StoredInstruction[]> {
    return this.indexed(stateKeys.openInstructionsPartition);
  }

  async instructionsExecutedOn(day: string): Promise<StoredInstruction[]> {
    return this.indexed(stateKeys.executedInstructionsPartition(day));
  }

  /** R6 (the index projects whole items; eventually consistent). */
  private async indexed(partition: string): Promise<StoredInstruction[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': partition },
    });
    const order = (i: StoredInstruction): string => `${i.valueDate}#${i.instructionId}`;
    return items.map((item) => decode<StoredInstruction>(stripKeys(item))).sort((a, b) => (order(a) < order(b) ? -1 : 1));
  }

  /** The heads of the loans (L6), 100 a BatchGet; a loan without a head is left out. */
  async loanHeads(loanIds: readonly string[]): Promise<LoanHeadView[]> {
    const items = await batchGetAll(this.doc, this.tables.ledger, [...new Set(loanIds)].map((loanId) => ledgerKeys.head(loanId)));
    return items.map((item) => {
      const loanId = String(item.loanId);
      return { loanId, ...headPositions(loanId, item) };
    });
  }

  async putLenderBalances(balances: LenderBalances): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tables.state, Item: { ...stateKeys.lenderBalances(balances.businessDate, balances.lenderId), entityType: 'LenderBalances', ...(encode(balances) as Item) } }),
    );
  }

  async lenderBalances(businessDate: string): Promise<LenderBalances[]> {
    return (await this.partition(businessDate, stateKeys.lenderBalancesPrefix)).map((item) => decode<LenderBalances>(stripKeys(item)));
  }

  /** Every lender's line of the day, 25 a BatchWrite, then the day's mark: a mark is only ever read with its lines all written. */
  async putProfitDay(day: string, lenders: readonly LenderProfitDay[]): Promise<void> {
    await batchWriteAll(
      this.doc,
      this.tables.state,
      lenders.map((l) => ({ PutRequest: { Item: { ...stateKeys.lenderProfitDay(l.lenderId, day), entityType: 'LenderProfitDay', ...(encode({ ...l, day }) as Item) } } })),
    );
    await this.doc.send(new PutCommand({ TableName: this.tables.state, Item: { ...stateKeys.profitDayKept(day), entityType: 'ProfitDayKept', day } }));
  }

  /** One Query of at most 31 marks. */
  async profitDaysKept(month: string): Promise<string[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': stateKeys.profitDaysPartition(month) },
      ConsistentRead: true,
    });
    return items.map((item) => String(item.day));
  }

  /** One Query of at most a day's line per day of the range. */
  async lenderProfitDays(lenderId: string, from: string, to: string): Promise<LenderProfitDay[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':p': stateKeys.lenderPartition(lenderId), ':from': stateKeys.lenderProfitDay(lenderId, from).sk, ':to': stateKeys.lenderProfitDay(lenderId, to).sk },
      ConsistentRead: true,
    });
    return items.map((item) => decode<LenderProfitDay>(stripKeys(item)));
  }

  /** The items of a run of one kind (shards, instructions), in key order. */
  private async partition(businessDate: string, prefix: string): Promise<Item[]> {
    return queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': stateKeys.settlementPartition(businessDate), ':s': prefix },
      ConsistentRead: true,
    });
  }
}
