import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
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
const call = (options: EventOptions) => handler(apiEvent(ROUTE, options), lambdaContext());
const position = (loanId: string, lenderId: string, amount: bigint) => ({ lenderId, loanId, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: amount, SETTLEMENT_CLEARING: -amount }, version: 1 });
/** A loan's head: the partner's position and another lender's, which the partner never sees. */
const head = (loanId: string, amount: bigint) => headWithPositions(loanId, [position(loanId, PARTNER_A, amount), position(loanId, PARTNER_B, 7n)]);

beforeEach(() => {
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: `LENDER#${PARTNER_A}`, sk: 'LENDER' } }).resolves({ Item: lenderItem(aLender()) });
});
afterEach(() => ddb.reset());

describe(ROUTE, () => {
  it("answers a partner's positions with exact totals", async () => {
    ddb.on(QueryCommand).resolves({ Items: [holderItem('LN-2', PARTNER_A), holderItem('LN-1', PARTNER_A)] });
    ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_TABLES.ledger]: [head('LN-2', 300_000n), head('LN-1', 9_007_199_254_740_993n)] } });
    const result = await call({ claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { lenderId: PARTNER_A } });
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({
      lenderId: PARTNER_A,
      positions: [
        { loanId: 'LN-1', currency: 'CNY', outstandingPrincipalMinor: '9007199254740993', balancesMinor: { PRINCIPAL_RECEIVABLE: '9007199254740993', SETTLEMENT_CLEARING: '-9007199254740993' } },
        { loanId: 'LN-2', currency: 'CNY', outstandingPrincipalMinor: '300000', balancesMinor: { PRINCIPAL_RECEIVABLE: '300000', SETTLEMENT_CLEARING: '-300000' } },
      ],
      totals: [{ currency: 'CNY', loans: 2, outstandingPrincipalMinor: '9007199255040993' }],
    });
  });

  it("answers 404 for another lender's positions without reading them", async () => {
    const result = await call({ claims: claimsOf(partnerOf(PARTNER_B)), pathParameters: { lenderId: PARTNER_A } });
    expect(result.statusCode).toBe(404);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('answers 500 INTERNAL_ERROR when DynamoDB fails', async () => {
    ddb.on(QueryCommand).rejects(new ProvisionedThroughputExceededException({ message: 'throughput exceeded', $metadata: {} }));
    const result = await call({ claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A } });
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result).code).toBe('INTERNAL_ERROR');
  });
});
