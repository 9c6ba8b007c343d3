import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { applyEntry, openPosition } from '../../../../shared/domain/ledger.ts';
import { bookLoan } from '../../../../shared/domain/loan.ts';
import { LOAN_ID, NOW, PARTNER_A, aBookLoanRequest, aProgram, lenderMap } from '../../../support/builders.ts';
import { lambdaContext } from '../../../support/api-events.ts';
import { entryItem, headWithPositions } from '../../../support/dynamo-items.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/ledger-check-shard/handler.ts');

afterEach(() => ddb.reset());

const { loan, entry } = bookLoan(aBookLoanRequest(), aProgram(), lenderMap(), NOW);
const positions = loan.fundingPlan.map((p) => applyEntry(openPosition(p.lenderId, LOAN_ID, 'CNY'), entry));

function stubShard(items: Record<string, unknown>[]) {
  ddb.on(GetCommand).resolves({});
  ddb.on(BatchWriteCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(QueryCommand, { IndexName: 'gsi1' }).resolves({ Items: [{ gsi1sk: LOAN_ID }] });
  ddb.on(QueryCommand, { TableName: TEST_TABLES.ledger, ExpressionAttributeValues: { ':p': `LOAN#${LOAN_ID}` } }).resolves({ Items: items });
}

describe('VerifyShard task', () => {
  it('verifies the loans of the shard it is given', async () => {
    stubShard([entryItem(entry), headWithPositions(LOAN_ID, positions)]);
    expect(await handler({ shard: 11, businessDate: '2025-02-28' }, lambdaContext())).toEqual({ shard: 11, loansChecked: 1, entriesChecked: 1, differenceCount: 0 });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({ ':p': 'LOANSHARD#11' });
  });

  it('reports a position that differs', async () => {
    const [lead, a, b] = positions;
    if (!lead || !a || !b) throw new Error('positions missing');
    stubShard([entryItem(entry), headWithPositions(LOAN_ID, [lead, { ...a, balancesMinor: { ...a.balancesMinor, PRINCIPAL_RECEIVABLE: 1n } }, b])]);
    const result = await handler({ shard: 11, scheduledTime: '2025-03-01T16:00:00Z' }, lambdaContext());
    expect(result).toEqual({ shard: 11, loansChecked: 1, entriesChecked: 1, differenceCount: 1 });
    // The difference goes to the table under the date the scheduled run closes, not into the result.
    const puts = ddb.commandCalls(BatchWriteCommand).flatMap((c) => c.args[0].input.RequestItems?.[TEST_TABLES.state] ?? []);
    expect(puts).toEqual([
      {
        PutRequest: {
          Item: {
            pk: 'DETAIL#LEDGERCHECK#2025-03-01',
            sk: '011#0000000',
            entityType: 'RunDetail',
            detail: { loanId: LOAN_ID, kind: 'POSITION_MISMATCH', lenderId: PARTNER_A, entryId: null, detail: 'PRINCIPAL_RECEIVABLE: entries give 300000, position holds 1' },
          },
        },
      },
    ]);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item)).toEqual([{ pk: 'DETAILHEAD#LEDGERCHECK#2025-03-01', sk: '011', entityType: 'RunDetailHead', count: 1 }]);
  });

  it('refuses an input without a valid shard', async () => {
    await expect(handler({ shard: 'eleven', businessDate: '2025-02-28' }, lambdaContext())).rejects.toBeInstanceOf(ValidationError);
    await expect(handler({ shard: 11 }, lambdaContext())).rejects.toBeInstanceOf(ValidationError);
  });

  it('fails the task when DynamoDB fails, so the workflow retries it', async () => {
    const error = new ProvisionedThroughputExceededException({ message: 'throughput exceeded', $metadata: {} });
    ddb.on(QueryCommand).rejects(error);
    await expect(handler({ shard: 1, businessDate: '2025-02-28' }, lambdaContext())).rejects.toBe(error);
  });
});
