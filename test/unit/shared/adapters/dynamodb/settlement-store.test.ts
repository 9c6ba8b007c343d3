import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../../../shared/adapters/dynamodb/index.ts';
import { headItem } from '../../../../../shared/adapters/dynamodb/loan-head.ts';
import { DynamoSettlementStore } from '../../../../../shared/adapters/dynamodb/settlement-store.ts';
import { emptyLedger } from '../../../../../shared/domain/repayment-booking.ts';
import { PARTNER_A } from '../../../../support/builders.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const store = new DynamoSettlementStore(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES);
afterEach(() => ddb.reset());

describe("settlement's books in DynamoDB", () => {
  it("reads loans' heads in batches of 100 from the ledger table, with every position and the risk", async () => {
    const risk = { asOf: '2025-03-02', dpd: 3, classification: 'SPECIAL_MENTION' as const, since: '2025-03-02' };
    const head = headItem({ ...emptyLedger('LN-7'), version: 4, risk }, [{ lenderId: PARTNER_A, loanId: 'LN-7', currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 277_500n, INTEREST_INCOME: -2_700n }, version: 2 }]);
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLES.ledger]: [head] } });
    const loanIds = Array.from({ length: 150 }, (_, i) => `LN-${i}`);
    const heads = await store.loanHeads(loanIds);
    const calls = ddb.commandCalls(BatchGetCommand);
    expect(calls.map((c) => c.args[0].input.RequestItems?.[TABLES.ledger]?.Keys?.length)).toEqual([100, 50]);
    expect(calls[0]!.args[0].input.RequestItems?.[TABLES.ledger]?.Keys?.[0]).toEqual({ pk: 'LOAN#LN-0', sk: 'HEAD' });
    expect(heads[0]).toEqual({ loanId: 'LN-7', risk, positions: [{ lenderId: PARTNER_A, loanId: 'LN-7', currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 277_500n, INTEREST_INCOME: -2_700n }, version: 2 }] });
  });

  it("keeps a lender's closing balances of a date whole, amounts as decimal strings, and reads every lender's of a date", async () => {
    ddb.on(PutCommand).resolves({});
    const balances = { businessDate: '2025-03-03', lenderId: PARTNER_A, balances: [{ currency: 'CNY', account: 'INTEREST_INCOME' as const, balanceMinor: -2_700n }] };
    await store.putLenderBalances(balances);
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toEqual({
      TableName: TABLES.state,
      Item: { pk: 'SETTLEMENT#2025-03-03', sk: 'BALANCES#PARTNER-A', entityType: 'LenderBalances', businessDate: '2025-03-03', lenderId: PARTNER_A, balances: [{ currency: 'CNY', account: 'INTEREST_INCOME', balanceMinor: '-2700' }] },
    });
    ddb.on(QueryCommand).resolves({ Items: [ddb.commandCalls(PutCommand)[0]!.args[0].input.Item!] });
    expect(await store.lenderBalances('2025-03-03')).toEqual([balances]);
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({ KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': 'SETTLEMENT#2025-03-03', ':s': 'BALANCES#' } });
  });

  it("keeps a closed day's profit lines, every lender's before the day's mark, and reads a lender's of a month in one query", async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    const line = { currency: 'CNY', interestIncomeMinor: 2_700n, penaltyIncomeMinor: 0n, feeIncomeMinor: 0n, feesPaidMinor: 363n, lossesMinor: 0n, feeClearingMinor: { 'LEAD-BANK': 363n }, entries: 2 };
    const day = { day: '2025-03-03', lenderId: PARTNER_A, lines: [line] };
    await store.putProfitDay('2025-03-03', [day]);
    const stored = {
      pk: 'LENDER#PARTNER-A',
      sk: 'PROFITDAY#2025-03-03',
      entityType: 'LenderProfitDay',
      day: '2025-03-03',
      lenderId: PARTNER_A,
      lines: [{ currency: 'CNY', interestIncomeMinor: '2700', penaltyIncomeMinor: '0', feeIncomeMinor: '0', feesPaidMinor: '363', lossesMinor: '0', feeClearingMinor: { 'LEAD-BANK': '363' }, entries: 2 }],
    };
    expect(ddb.commandCalls(BatchWriteCommand)[0]!.args[0].input).toEqual({ RequestItems: { [TABLES.state]: [{ PutRequest: { Item: stored } }] } });
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toEqual({ TableName: TABLES.state, Item: { pk: 'PROFITDAYS#2025-03', sk: '2025-03-03', entityType: 'ProfitDayKept', day: '2025-03-03' } });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': 'PROFITDAYS#2025-03' } }).resolves({ Items: [{ pk: 'PROFITDAYS#2025-03', sk: '2025-03-03', day: '2025-03-03' }] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': 'LENDER#PARTNER-A', ':from': 'PROFITDAY#2025-03-01', ':to': 'PROFITDAY#2025-03-03' } }).resolves({ Items: [stored] });
    expect(await store.profitDaysKept('2025-03')).toEqual(['2025-03-03']);
    expect(await store.lenderProfitDays(PARTNER_A, '2025-03-01', '2025-03-03')).toEqual([day]);
    expect(ddb.commandCalls(QueryCommand).map((c) => [c.args[0].input.KeyConditionExpression, c.args[0].input.ConsistentRead])).toEqual([
      ['pk = :p', true],
      ['pk = :p AND sk BETWEEN :from AND :to', true],
    ]);
  });

  it('reads a page of the runs of a range from the runs index, newest first, in one query, and its cursor goes on from the last key', async () => {
    // What the projection reads of a run: its files are left out.
    const runItem = (businessDate: string) => ({ businessDate, status: 'SETTLED', attempt: 1 });
    const lastKey = { pk: 'SETTLEMENT#2025-03-03', sk: 'RUN', gsi1pk: 'SETTLEMENTRUNS', gsi1sk: '2025-03-03' };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [runItem('2025-03-05'), runItem('2025-03-04'), runItem('2025-03-03')], LastEvaluatedKey: lastKey })
      .resolvesOnce({ Items: [runItem('2025-03-02')] });
    const page = await store.latestRuns({ from: '2025-03-01', to: '2025-03-05' }, { limit: 3 });
    expect(page.items).toEqual([
      { businessDate: '2025-03-05', status: 'SETTLED', attempt: 1 },
      { businessDate: '2025-03-04', status: 'SETTLED', attempt: 1 },
      { businessDate: '2025-03-03', status: 'SETTLED', attempt: 1 },
    ]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    const next = await store.latestRuns({ from: '2025-03-01', to: '2025-03-05' }, { limit: 3, cursor: page.cursor ?? '' });
    expect(next).toEqual({ items: [{ businessDate: '2025-03-02', status: 'SETTLED', attempt: 1 }], cursor: null });
    const calls = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({
      TableName: TABLES.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p AND gsi1sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':p': 'SETTLEMENTRUNS', ':from': '2025-03-01', ':to': '2025-03-05' },
      ProjectionExpression: '#a0, #a1, #a2, #a3, #a4, #a5, #a6, #a7, #a8, #a9, #a10',
      ExpressionAttributeNames: {
        '#a0': 'businessDate',
        '#a1': 'status',
        '#a2': 'attempt',
        '#a3': 'daysByCalendar',
        '#a4': 'shardCount',
        '#a5': 'startedAt',
        '#a6': 'settledAt',
        '#a7': 'firstSettledAt',
        '#a8': 'entries',
        '#a9': 'instructions',
        '#a10': 'failure',
      },
      ScanIndexForward: false,
      Limit: 3,
    });
    expect(calls[1]).toMatchObject({ Limit: 3, ExclusiveStartKey: lastKey });
  });

  it('takes either bound of a range alone, or none', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await store.latestRuns({ from: '2025-03-01' }, { limit: 62 });
    await store.latestRuns({ to: '2025-03-05' }, { limit: 62 });
    await store.latestRuns({}, { limit: 62 });
    expect(ddb.commandCalls(QueryCommand).map((c) => [c.args[0].input.KeyConditionExpression, c.args[0].input.ExpressionAttributeValues])).toEqual([
      ['gsi1pk = :p AND gsi1sk >= :from', { ':p': 'SETTLEMENTRUNS', ':from': '2025-03-01' }],
      ['gsi1pk = :p AND gsi1sk <= :to', { ':p': 'SETTLEMENTRUNS', ':to': '2025-03-05' }],
      ['gsi1pk = :p', { ':p': 'SETTLEMENTRUNS' }],
    ]);
  });

  it("reads a settled run's items from its shards, only their items, eventually consistent", async () => {
    const item = { currency: 'CNY', programId: 'P', lenderId: PARTNER_A, counterparty: 'ESCROW', component: 'PRINCIPAL', receivableMinor: '23787', payableMinor: '0' };
    ddb.on(QueryCommand).resolves({ Items: [{ items: [item] }, { items: [{ ...item, component: 'INTEREST', receivableMinor: '2700' }] }] });
    expect(await store.settledItems('2025-03-03')).toEqual([
      { ...item, receivableMinor: 23_787n, payableMinor: 0n },
      { ...item, component: 'INTEREST', receivableMinor: 2_700n, payableMinor: 0n },
    ]);
    const input = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': 'SETTLEMENT#2025-03-03', ':s': 'SHARD#' }, ProjectionExpression: '#items' });
    expect(input.ConsistentRead).toBeUndefined();
  });
});
