import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { PlanLine } from '../../../../shared/domain/allocation.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { APPLICATION_ID, LEAD_ID, NOW, PARTNER_A, PROGRAM_ID, aProgram, aQuotaShard, aReservation, anApplicationRecord, defaultLenders } from '../../../support/builders.ts';
import { lambdaContext } from '../../../support/api-events.ts';
import { applicationItem, exposureItem, lenderItem, programItem, quotaShardItem, reservationItem } from '../../../support/dynamo-items.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/disbursement-book/handler.ts');

const PLAN: PlanLine[] = [
  { lenderId: LEAD_ID, role: 'LEAD', amountMinor: 700_000n },
  { lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 300_000n },
];
const APP_KEY = { pk: `APP#${APPLICATION_ID}`, sk: 'APP' };
const input = { applicationId: APPLICATION_ID, disbursementReference: 'DISB-20250303-0042', disbursementDate: '2025-03-03' };
/** Each part reserved on shard 0, where the application's id starts. */
const reserved = (lenderId: string, amountMinor: bigint) => reservationItem(aReservation({ lenderId, amountMinor }));
const quotaShard0 = (lenderId: string, reservedMinor: bigint) => quotaShardItem(aQuotaShard({ lenderId, shard: 0, reservedMinor }));
const RESERVATIONS = { KeyConditionExpression: 'pk = :p AND begins_with(sk, :r)' };
const quotaShards = (lenderId: string) => ({ KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': `QUOTA#${lenderId}`, ':s': 'SHARD#' } });

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(NOW), toFake: ['Date'] });
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: APP_KEY }).resolves({ Item: applicationItem(anApplicationRecord({ status: 'AWAITING_DISBURSEMENT', plan: PLAN })) });
  ddb.on(GetCommand, { Key: { pk: `PROGRAM#${PROGRAM_ID}`, sk: 'V#000001' } }).resolves({ Item: programItem(aProgram()) });
  ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_TABLES.state]: defaultLenders().map(lenderItem) } });
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(QueryCommand, RESERVATIONS).resolves({ Items: [reserved(LEAD_ID, 700_000n), reserved(PARTNER_A, 300_000n)] });
  ddb.on(QueryCommand, quotaShards(LEAD_ID)).resolves({ Items: [quotaShard0(LEAD_ID, 700_000n)] });
  ddb.on(QueryCommand, quotaShards(PARTNER_A)).resolves({ Items: [quotaShard0(PARTNER_A, 300_000n)] });
  ddb.on(TransactWriteCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
});

describe('BookLoan task', () => {
  it('books the loan under the application id in one transaction and answers BOOKED', async () => {
    expect(await handler(input, lambdaContext())).toEqual({ applicationId: APPLICATION_ID, loanId: APPLICATION_ID, status: 'BOOKED' });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => `${String(i.Put?.Item?.pk ?? i.Update?.Key?.pk)} ${String(i.Put?.Item?.sk ?? i.Update?.Key?.sk)}`)).toEqual([
      `LOAN#${APPLICATION_ID} LOAN`,
      `LOAN#${APPLICATION_ID} FACTS`,
      `LOAN#${APPLICATION_ID} ENTRY#DISBURSEMENT#${APPLICATION_ID}`,
      `LOAN#${APPLICATION_ID} HEAD`,
      `LOAN#${APPLICATION_ID} HOLDER#${LEAD_ID}`,
      `LOAN#${APPLICATION_ID} HOLDER#${PARTNER_A}`,
      `LOAN#${APPLICATION_ID} SCHEDULE#BORROWER`,
      `LOAN#${APPLICATION_ID} SCHEDULE#LENDER#${LEAD_ID}`,
      `LOAN#${APPLICATION_ID} SCHEDULE#LENDER#${PARTNER_A}`,
      `QUOTA#${LEAD_ID} SHARD#00`,
      `QUOTA#${PARTNER_A} SHARD#00`,
      'BORROWER#BRW-0001 EXPOSURE',
      `APP#${APPLICATION_ID} RESV#${LEAD_ID}`,
      `APP#${APPLICATION_ID} RESV#${PARTNER_A}`,
      `APP#${APPLICATION_ID} APP`,
    ]);
    expect(items[0]?.Put?.Item).toMatchObject({ disbursementReference: 'DISB-20250303-0042', disbursementDate: '2025-03-03', createdAt: NOW });
    expect(items[10]?.Put).toEqual({
      TableName: TEST_TABLES.state,
      Item: {
        pk: `QUOTA#${PARTNER_A}`,
        sk: 'SHARD#00',
        entityType: 'QuotaShard',
        lenderId: PARTNER_A,
        shard: 0,
        allotmentMinor: '12500000000',
        reservedMinor: '0',
        committedMinor: '300000',
        committedByLeadMinor: { [LEAD_ID]: '300000' },
        version: 2,
      },
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':v': 1 },
    });
    expect(ddb.commandCalls(QueryCommand, { KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)' }).map((c) => c.args[0].input)).toEqual(
      // Each lender's quota shards and its principal shards (what was repaid or moved since booking).
      [LEAD_ID, PARTNER_A].flatMap((lenderId) =>
        ['SHARD#', 'PRINCIPAL#'].map((prefix) => ({ TableName: TEST_TABLES.state, KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': `QUOTA#${lenderId}`, ':s': prefix }, ConsistentRead: true, ExclusiveStartKey: undefined })),
      ),
    );
    expect(items[14]?.Update?.ExpressionAttributeValues).toMatchObject({ ':step': 'BookLoan', ':g1': 'APPSTATUS#BOOKED' });
  });

  it('answers BOOKED without writing for an application already booked', async () => {
    ddb.on(GetCommand, { Key: APP_KEY }).resolves({ Item: applicationItem(anApplicationRecord({ status: 'BOOKED', plan: PLAN, loanId: APPLICATION_ID })) });
    expect(await handler(input, lambdaContext())).toEqual({ applicationId: APPLICATION_ID, loanId: APPLICATION_ID, status: 'BOOKED' });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('fails with BookingRefused by name when the booking breaks a rule, writing nothing', async () => {
    ddb.on(GetCommand, { Key: { pk: 'BORROWER#BRW-0001', sk: 'EXPOSURE' } }).resolves({
      Item: exposureItem({ borrowerId: 'BRW-0001', unsecuredPersonalOutstandingMinor: 19_500_000n, totalOutstandingMinor: 19_500_000n, perLenderMinor: {}, version: 2 }),
    });
    const error = await handler(input, lambdaContext()).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('BookingRefused');
    expect(error?.message).toMatch(/^UNSECURED_PERSONAL_CAP: /);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('refuses an input without a valid disbursement date', async () => {
    await expect(handler({ ...input, disbursementDate: '03/03/2025' }, lambdaContext())).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('fails the task with the DynamoDB error, so the workflow retries it', async () => {
    const error = new ProvisionedThroughputExceededException({ message: 'throughput exceeded', $metadata: {} });
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(handler(input, lambdaContext())).rejects.toBe(error);
  });
});
