import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PlanLine } from '../../../../shared/domain/allocation.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { APPLICATION_ID, LEAD_ID, PARTNER_A, PROGRAM_ID, aLeadLender, aLimits, aPartnerLender, aProgram, aQuotaShard, aReservation, anApplicationRecord } from '../../../support/builders.ts';
import { lambdaContext } from '../../../support/api-events.ts';
import { applicationItem, lenderItem, programItem, quotaShardItem, reservationItem } from '../../../support/dynamo-items.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/disbursement-steps/handler.ts');

const PLAN: PlanLine[] = [
  { lenderId: LEAD_ID, role: 'LEAD', amountMinor: 700_000n },
  { lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 300_000n },
];
const APP_KEY = { pk: `APP#${APPLICATION_ID}`, sk: 'APP' };
const RESERVATIONS = { KeyConditionExpression: 'pk = :p AND begins_with(sk, :r)' };
const quotaShards = (lenderId: string) => ({ KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': `QUOTA#${lenderId}`, ':s': 'SHARD#' } });
const lenders = (partnerQuotaMinor = 100_000_000_000n) => [aLeadLender(), aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: partnerQuotaMinor }) })].map(lenderItem);

beforeEach(() => {
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: APP_KEY }).resolves({ Item: applicationItem(anApplicationRecord({ status: 'PLANNED', plan: PLAN })) });
  ddb.on(GetCommand, { Key: { pk: `PROGRAM#${PROGRAM_ID}`, sk: 'V#000001' } }).resolves({ Item: programItem(aProgram()) });
  ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_TABLES.state]: lenders() } });
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(QueryCommand, RESERVATIONS).resolves({ Items: [] });
  ddb.on(TransactWriteCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
});
afterEach(() => ddb.reset());

describe('Disbursement steps', () => {
  it("ReserveQuota reserves each lender's part in its own transaction and answers the wait", async () => {
    expect(await handler({ step: 'ReserveQuota', applicationId: APPLICATION_ID }, lambdaContext())).toEqual({ applicationId: APPLICATION_ID, timeoutSeconds: 604_800 });
    const writes = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems?.map((i) => `${String(i.Put?.Item?.pk)} ${String(i.Put?.Item?.sk)}`));
    expect(writes).toEqual([
      [`APP#${APPLICATION_ID} RESV#${LEAD_ID}`, `QUOTA#${LEAD_ID} SHARD#00`],
      [`APP#${APPLICATION_ID} RESV#${PARTNER_A}`, `QUOTA#${PARTNER_A} SHARD#00`],
    ]);
    const [, partnerA] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
    expect(partnerA?.[0]?.Put?.Item).toMatchObject({ amountMinor: '300000', takes: [{ shard: 0, amountMinor: '300000' }], state: 'RESERVED' });
    expect(partnerA?.[1]?.Put).toMatchObject({ Item: { shard: 0, allotmentMinor: '12500000000', reservedMinor: '300000', version: 1 }, ConditionExpression: 'attribute_not_exists(pk)' });
  });

  it('ReserveQuota spills a part past a full shard into the next ones, all in the reservation\'s transaction', async () => {
    const full = aQuotaShard({ shard: 0, committedMinor: 12_500_000_000n, version: 9 });
    const shard1 = aQuotaShard({ shard: 1, committedMinor: 12_499_900_000n, version: 2 });
    ddb.on(QueryCommand, quotaShards(PARTNER_A)).resolves({ Items: [full, shard1].map(quotaShardItem) });
    await handler({ step: 'ReserveQuota', applicationId: APPLICATION_ID }, lambdaContext());
    const [, partnerA] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
    expect(partnerA?.map((i) => [i.Put?.Item?.sk, i.Put?.Item?.reservedMinor, i.Put?.Item?.version, i.Put?.ConditionExpression, i.Put?.ExpressionAttributeValues])).toEqual([
      [`RESV#${PARTNER_A}`, undefined, undefined, 'attribute_not_exists(pk)', undefined],
      ['SHARD#01', '100000', 3, 'version = :v', { ':v': 2 }],
      ['SHARD#02', '200000', 1, 'attribute_not_exists(pk)', undefined],
    ]);
    expect(partnerA?.[0]?.Put?.Item?.takes).toEqual([
      { shard: 1, amountMinor: '100000' },
      { shard: 2, amountMinor: '200000' },
    ]);
  });

  it('ReserveQuota fails with QuotaUnavailable by name when a lender is short, for the Catch to release', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_TABLES.state]: lenders(200_000n) } });
    const error = await handler({ step: 'ReserveQuota', applicationId: APPLICATION_ID }, lambdaContext()).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect([error?.name, error?.message]).toEqual(['QuotaUnavailable', `lender ${PARTNER_A} has 200000 of its exposure quota left, not 300000`]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('AwaitDisbursement keeps the token and marks the application awaiting', async () => {
    expect(await handler({ step: 'AwaitDisbursement', applicationId: APPLICATION_ID, taskToken: 'token-d' }, lambdaContext())).toBeUndefined();
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({ Key: APP_KEY, ExpressionAttributeValues: { ':t': 'token-d' } });
    const [update] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(update?.Update?.ExpressionAttributeValues).toMatchObject({ ':step': 'AwaitDisbursement', ':g1': 'APPSTATUS#AWAITING_DISBURSEMENT' });
  });

  it('Release gives back what is still reserved and records the final status of the cause', async () => {
    // The lead's 700,000 was held 400,000 on shard 0 and 300,000 on shard 1.
    const takes = [
      { shard: 0, amountMinor: 400_000n },
      { shard: 1, amountMinor: 300_000n },
    ];
    ddb.on(QueryCommand, RESERVATIONS).resolves({
      Items: [reservationItem(aReservation({ lenderId: LEAD_ID, amountMinor: 700_000n, takes })), reservationItem(aReservation({ state: 'RELEASED' }))],
    });
    ddb.on(QueryCommand, quotaShards(LEAD_ID)).resolves({
      Items: [
        aQuotaShard({ lenderId: LEAD_ID, shard: 0, reservedMinor: 400_000n, committedMinor: 12_000_000_000n, version: 5 }),
        aQuotaShard({ lenderId: LEAD_ID, shard: 1, reservedMinor: 300_000n, version: 1 }),
        aQuotaShard({ lenderId: LEAD_ID, shard: 2, committedMinor: 7n, version: 3 }),
      ].map(quotaShardItem),
    });
    expect(await handler({ step: 'Release', applicationId: APPLICATION_ID, cause: 'DisbursementFailed' }, lambdaContext())).toEqual({ applicationId: APPLICATION_ID, status: 'DISBURSEMENT_FAILED' });
    const [release, status] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
    expect(release?.map((i) => `${String(i.Update?.Key?.pk ?? i.Put?.Item?.pk)} ${String(i.Update?.Key?.sk ?? i.Put?.Item?.sk)}`)).toEqual([
      `APP#${APPLICATION_ID} RESV#${LEAD_ID}`,
      `QUOTA#${LEAD_ID} SHARD#00`,
      `QUOTA#${LEAD_ID} SHARD#01`,
    ]);
    expect(release?.slice(1).map((i) => [i.Put?.Item?.reservedMinor, i.Put?.Item?.committedMinor, i.Put?.Item?.version, i.Put?.ExpressionAttributeValues])).toEqual([
      ['0', '12000000000', 6, { ':v': 5 }],
      ['0', '0', 2, { ':v': 1 }],
    ]);
    expect(status?.[0]?.Update?.ExpressionAttributeValues).toMatchObject({ ':step': 'Release', ':v0': 'DISBURSEMENT_FAILED' });
  });

  it('refuses an input of an unknown step, or without its task token', async () => {
    await expect(handler({ step: 'BookLoan', applicationId: APPLICATION_ID }, lambdaContext())).rejects.toBeInstanceOf(ValidationError);
    await expect(handler({ step: 'AwaitDisbursement', applicationId: APPLICATION_ID }, lambdaContext())).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('fails the task with the DynamoDB error, so the workflow retries it', async () => {
    const error = new ProvisionedThroughputExceededException({ message: 'throughput exceeded', $metadata: {} });
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(handler({ step: 'ReserveQuota', applicationId: APPLICATION_ID }, lambdaContext())).rejects.toBe(error);
    await expect(handler({ step: 'Release', applicationId: APPLICATION_ID, cause: 'States.Timeout' }, lambdaContext())).rejects.toBe(error);
  });
});
