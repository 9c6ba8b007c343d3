import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { lambdaContext } from '../../../support/api-events.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/ledger-check-report/handler.ts');

const COMPLETED = '2025-03-01T16:04:05.000Z';

beforeEach(() => vi.useFakeTimers({ now: new Date(COMPLETED), toFake: ['Date'] }));
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
});

describe('RecordReport task', () => {
  it('records the report of the date the scheduled run closes', async () => {
    ddb.on(PutCommand).resolves({});
    const event = {
      scheduledTime: '2025-03-01T16:00:00Z',
      shards: [
        { shard: 0, loansChecked: 2, entriesChecked: 2, differenceCount: 0 },
        { shard: 1, loansChecked: 1, entriesChecked: 1, differenceCount: 1 },
      ],
    };
    const report = await handler(event, lambdaContext());
    expect(report).toEqual({ businessDate: '2025-03-01', status: 'DIFFERENCES', loansChecked: 3, entriesChecked: 3, differenceCount: 1, completedAt: COMPLETED });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TEST_TABLES.state,
      Item: { pk: 'LEDGERCHECK#2025-03-01', sk: 'REPORT', entityType: 'LedgerCheckReport', ...report },
    });
  });

  it('refuses an input without a date', async () => {
    const error = await handler({ shards: [] }, lambdaContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details.path).toBe('businessDate');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('fails the task when DynamoDB fails', async () => {
    const error = new ProvisionedThroughputExceededException({ message: 'throughput exceeded', $metadata: {} });
    ddb.on(PutCommand).rejects(error);
    await expect(handler({ businessDate: '2025-02-28', shards: [] }, lambdaContext())).rejects.toBe(error);
  });
});
