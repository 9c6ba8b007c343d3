import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { InternalServerError } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { PARTNER_A, PARTNER_B, aLender, leadOps, partnerOf } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { headWithPositions, lenderItem } from '../../../support/dynamo-items.ts';
import { holderItem } from '../../../../shared/adapters/dynamodb/loan-head.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/positions/handler.ts');

const ROUTE = 'GET /v1/lenders/{lenderId}/positions';
const NONE_OUTSTANDING = { currency: 'CNY', principalMinor: '0', reservedMinor: '0' };
const call = (options: EventOptions) => handler(apiEvent(ROUTE, options), lambdaContext());
const position = (loanId: string, lenderId: string, amount: bigint) => ({ lenderId, loanId, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: amount, SETTLEMENT_CLEARING: -amount }, version: 1 });
/** A loan's head: the partner's position and another lender's, which the partner never sees. */
const head = (loanId: string, amount: bigint) => headWithPositions(loanId, [position(loanId, PARTNER_A, amount), position(loanId, PARTNER_B, 7n)]);

beforeEach(() => {
  ddb.on(GetCommand).resolves({});
  // The lender's quota and principal shards (its outstanding principal on every page): none here.
  ddb.on(QueryCommand, { TableName: TEST_TABLES.state }).resolves({ Items: [] });
  ddb.on(GetCommand, { Key: { pk: `LENDER#${PARTNER_A}`, sk: 'LENDER' } }).resolves({ Item: lenderItem(aLender()) });
});
afterEach(() => ddb.reset());

describe(ROUTE, () => {
  it("answers a page of a partner's positions, exact, in loan id order, with the next page's cursor", async () => {
    const lastKey = { pk: 'LOAN#LN-2', sk: `HOLDER#${PARTNER_A}`, gsi1pk: `LENDER#${PARTNER_A}`, gsi1sk: 'LOAN#LN-2' };
    ddb.on(QueryCommand, { TableName: TEST_TABLES.ledger }).resolves({ Items: [holderItem('LN-1', PARTNER_A), holderItem('LN-2', PARTNER_A)], LastEvaluatedKey: lastKey });
    ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_TABLES.ledger]: [head('LN-2', 300_000n), head('LN-1', 9_007_199_254_740_993n)] } });
    const result = await call({ claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { lenderId: PARTNER_A }, query: { limit: '2' } });
    expect(result.statusCode).toBe(200);
    const cursor = Buffer.from(JSON.stringify(lastKey)).toString('base64url');
    expect(bodyOf(result)).toEqual({
      lenderId: PARTNER_A,
      outstanding: NONE_OUTSTANDING,
      positions: [
        { loanId: 'LN-1', currency: 'CNY', outstandingPrincipalMinor: '9007199254740993', balancesMinor: { PRINCIPAL_RECEIVABLE: '9007199254740993', SETTLEMENT_CLEARING: '-9007199254740993' } },
        { loanId: 'LN-2', currency: 'CNY', outstandingPrincipalMinor: '300000', balancesMinor: { PRINCIPAL_RECEIVABLE: '300000', SETTLEMENT_CLEARING: '-300000' } },
      ],
      cursor,
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ IndexName: 'gsi1', ExpressionAttributeValues: { ':p': `LENDER#${PARTNER_A}` }, Limit: 2 });
    ddb.resetHistory();
    ddb.on(QueryCommand, { TableName: TEST_TABLES.ledger }).resolves({ Items: [] });
    const next = await call({ claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { lenderId: PARTNER_A }, query: { limit: '2', cursor } });
    expect(bodyOf(next)).toEqual({ lenderId: PARTNER_A, outstanding: NONE_OUTSTANDING, positions: [], cursor: null });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExclusiveStartKey).toEqual(lastKey);
  });

  it('reads 50 holdings by default; refuses a limit above 100 or below 1 naming limit, and a cursor of another lender naming cursor, before reading', async () => {
    ddb.on(QueryCommand, { TableName: TEST_TABLES.ledger }).resolves({ Items: [] });
    await call({ claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A } });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.Limit).toBe(50);
    ddb.resetHistory();
    for (const limit of ['101', '0', 'ten']) {
      const refused = await call({ claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A }, query: { limit } });
      expect([refused.statusCode, bodyOf(refused).code, (bodyOf(refused).details as { path: string }).path]).toEqual([400, 'VALIDATION_FAILED', 'limit']);
    }
    const ofB = Buffer.from(JSON.stringify({ pk: 'LOAN#LN-1', sk: `HOLDER#${PARTNER_B}`, gsi1pk: `LENDER#${PARTNER_B}`, gsi1sk: 'LOAN#LN-1' })).toString('base64url');
    const foreign = await call({ claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A }, query: { cursor: ofB } });
    expect([foreign.statusCode, bodyOf(foreign).code, bodyOf(foreign).details]).toEqual([400, 'VALIDATION_FAILED', { path: 'cursor', rule: 'cursor' }]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it("answers 404 for another lender's positions without reading them", async () => {
    const result = await call({ claims: claimsOf(partnerOf(PARTNER_B)), pathParameters: { lenderId: PARTNER_A } });
    expect(result.statusCode).toBe(404);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('answers 500 INTERNAL_ERROR when DynamoDB fails', async () => {
    ddb.on(QueryCommand).rejects(new InternalServerError({ message: 'throughput exceeded', $metadata: {} }));
    const result = await call({ claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A } });
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result).code).toBe('INTERNAL_ERROR');
  });
});

describe('GET /v1/lenders/{lenderId}/profit', () => {
  const profit = (options: EventOptions) => handler(apiEvent('GET /v1/lenders/{lenderId}/profit', options), lambdaContext());

  it('refuses a malformed month naming month, and a cursor that is not one naming cursor, before reading the ledger', async () => {
    ddb.on(QueryCommand, { TableName: TEST_TABLES.ledger }).resolves({ Items: [] });
    const month = await profit({ claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A }, query: { month: '2026-13' } });
    expect([month.statusCode, (bodyOf(month).details as { path: string }).path]).toEqual([400, 'month']);
    const text = await profit({ claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A }, query: { month: '2026-11', cursor: '%%%' } });
    expect([text.statusCode, (bodyOf(text).details as { path: string }).path]).toEqual([400, 'cursor']);
    const foreign = Buffer.from(JSON.stringify({ pk: 'LOAN#LN-1', sk: 'ENTRY#X', gsi1pk: 'ENTRYDATE#2026-10-31#01', gsi1sk: 'LN-1#X' })).toString('base64url');
    const other = await profit({ claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A }, query: { month: '2026-11', cursor: foreign } });
    expect([other.statusCode, bodyOf(other).details]).toEqual([400, { path: 'cursor', rule: 'cursor' }]);
    expect(ddb.commandCalls(QueryCommand).filter((c) => c.args[0].input.TableName === TEST_TABLES.ledger)).toHaveLength(0);
  });
});
