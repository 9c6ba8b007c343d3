import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PlanLine } from '../../../../shared/domain/allocation.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { APPLICATION_ID, LEAD_ID, NOW, PARTNER_A, PROGRAM_ID, aLeadLender, aLimits, aPartnerLender, aProgram, anApplicationRecord } from '../../../support/builders.ts';
import { lambdaContext } from '../../../support/api-events.ts';
import { applicationItem, lenderItem, programItem, quotaItem, reservationItem } from '../../../support/dynamo-items.ts';
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
const lenders = (partnerQuotaMinor = 100_000_000_000n) => [aLeadLender(), aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: partnerQuotaMinor }) })].map(lenderItem);

beforeEach(() => {
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: APP_KEY }).resolves({ Item: applicationItem(anApplicationRecord({ status: 'PLANNED', plan: PLAN })) });
  ddb.on(GetCommand, { Key: { pk: `PROGRAM#${PROGRAM_ID}`, sk: 'V#000001' } }).resolves({ Item: programItem(aProgram()) });
  ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_TABLES.state]: lenders() } });
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
      [`APP#${APPLICATION_ID} RESV#${LEAD_ID}`, `QUOTA#${LEAD_ID} QUOTA`],
      [`APP#${APPLICATION_ID} RESV#${PARTNER_A}`, `QUOTA#${PARTNER_A} QUOTA`],
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
    ddb.on(QueryCommand, RESERVATIONS).resolves({
      Items: [
        reservationItem({ applicationId: APPLICATION_ID, lenderId: LEAD_ID, amountMinor: 700_000n, state: 'RESERVED', at: NOW }),
        reservationItem({ applicationId: APPLICATION_ID, lenderId: PARTNER_A, amountMinor: 300_000n, state: 'RELEASED', at: NOW }),
      ],
    });
    ddb.on(GetCommand, { Key: { pk: `QUOTA#${LEAD_ID}`, sk: 'QUOTA' } }).resolves({
      Item: quotaItem({ lenderId: LEAD_ID, reservedMinor: 700_000n, committedMinor: 0n, committedByLeadMinor: {}, version: 1 }),
    });
    expect(await handler({ step: 'Release', applicationId: APPLICATION_ID, cause: 'DisbursementFailed' }, lambdaContext())).toEqual({ applicationId: APPLICATION_ID, status: 'DISBURSEMENT_FAILED' });
    const [release, status] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
    expect(release?.map((i) => i.Update?.Key?.sk ?? i.Put?.Item?.sk)).toEqual([`RESV#${LEAD_ID}`, 'QUOTA']);
    expect(release?.[1]?.Put?.Item).toMatchObject({ reservedMinor: '0', version: 2 });
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
