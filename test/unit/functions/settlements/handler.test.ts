import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { financeOf, PARTNER_A, PARTNER_B, platformFinance } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
process.env.FILES_BUCKET = 'files-test';
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/settlements/handler.ts');

const LIST = 'GET /v1/settlement-runs';
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());
afterEach(() => ddb.reset());

const runItem = { pk: 'SETTLEMENT#2026-11-30', sk: 'RUN', gsi1pk: 'SETTLEMENTRUNS', gsi1sk: '2026-11-30', entityType: 'SettlementRun', businessDate: '2026-11-30', status: 'SETTLED', attempt: 2, daysByCalendar: { CN: ['2026-11-30'] }, shardCount: 1, startedAt: '2026-11-30T15:00:00.000Z', settledAt: '2026-11-30T15:00:05.000Z', firstSettledAt: '2026-11-30T15:00:05.000Z', entries: 3, instructions: 2, files: [], failure: null };
const shardItem = {
  pk: 'SETTLEMENT#2026-11-30',
  sk: 'SHARD#00',
  entityType: 'SettlementShard',
  businessDate: '2026-11-30',
  shard: 0,
  entries: 3,
  items: [
    { currency: 'CNY', programId: 'P', lenderId: PARTNER_A, counterparty: 'ESCROW', component: 'PRINCIPAL', receivableMinor: '23787', payableMinor: '0' },
    { currency: 'CNY', programId: 'P', lenderId: PARTNER_B, counterparty: 'ESCROW', component: 'INTEREST', receivableMinor: '2700', payableMinor: '0' },
  ],
};

describe('GET /v1/settlement-runs', () => {
  it("answers the runs with each lender's collections as strings of fen; a lender's finance team sees its own", async () => {
    ddb.on(QueryCommand, { IndexName: 'gsi1' }).resolves({ Items: [runItem] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': 'SETTLEMENT#2026-11-30', ':s': 'SHARD#' } }).resolves({ Items: [shardItem] });
    const all = await call(LIST, { claims: claimsOf(platformFinance), query: { from: '2026-11-01', to: '2026-11-30' } });
    expect(all.statusCode).toBe(200);
    expect(bodyOf(all)).toMatchObject({
      truncated: false,
      runs: [
        {
          businessDate: '2026-11-30',
          attempt: 2,
          counts: { entries: 3, instructions: 2 },
          collections: [
            { lenderId: PARTNER_A, collectedMinor: '23787', componentsMinor: { PRINCIPAL: '23787' } },
            { lenderId: PARTNER_B, collectedMinor: '2700', componentsMinor: { INTEREST: '2700' } },
          ],
        },
      ],
    });
    const own = bodyOf(await call(LIST, { claims: claimsOf(financeOf(PARTNER_B)), query: {} })) as { runs: { collections: { lenderId: string }[] }[] };
    expect(own.runs[0]?.collections.map((c) => c.lenderId)).toEqual([PARTNER_B]);
  });

  it('refuses a query that is not a range of dates, naming the parameter, before reading anything', async () => {
    const bad = await call(LIST, { claims: claimsOf(platformFinance), query: { from: '2026-11-31' } });
    expect([bad.statusCode, bodyOf(bad)]).toEqual([400, expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ path: 'from' }) })]);
    const unknown = await call(LIST, { claims: claimsOf(platformFinance), query: { since: '2026-11-01' } });
    expect([unknown.statusCode, (bodyOf(unknown) as { code: string }).code]).toEqual([400, 'VALIDATION_FAILED']);
    for (const limit of ['0', '63', 'ten']) {
      const bad = await call(LIST, { claims: claimsOf(platformFinance), query: { limit } });
      expect([bad.statusCode, bodyOf(bad)], limit).toEqual([400, expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ path: 'limit' }) })]);
    }
    const reversed = await call(LIST, { claims: claimsOf(platformFinance), query: { from: '2026-12-01', to: '2026-11-01' } });
    expect([reversed.statusCode, bodyOf(reversed)]).toEqual([400, expect.objectContaining({ details: expect.objectContaining({ path: 'from', rule: 'from-not-after-to' }) })]);
    expect(ddb.commandCalls(QueryCommand)).toEqual([]);
  });
});

describe('POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed', () => {
  it('records the signed-in user of a console token as who recorded the bank reference', async () => {
    const instructionId = 'SI-20261130-P-ESCROW-BANK_A';
    const stored = { pk: 'SETTLEMENT#2026-11-30', sk: `INSTR#${instructionId}`, entityType: 'PayoutInstruction', instructionId, businessDate: '2026-11-30', valueDate: '2026-12-01', currency: 'CNY', programId: 'P', payer: 'ESCROW', payee: PARTNER_A, amountMinor: '23787', netted: true, componentsMinor: { PRINCIPAL: '23787' }, executed: null };
    ddb.on(QueryCommand).resolves({ Items: [stored] });
    ddb.on(GetCommand).resolves({});
    ddb.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => ({ Attributes: { ...stored, executed: input.ExpressionAttributeValues[':e'] } }));
    const user = { ...platformFinance, clientId: 'console-client', userId: 'fin.wang' };
    const result = await call('POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed', {
      claims: claimsOf(user),
      pathParameters: { businessDate: '2026-11-30', instructionId },
      body: { bankReference: 'CMB-0001', executedAt: '2026-12-01T02:00:00Z' },
      idempotencyKey: 'executed-CMB-0001',
    });
    expect(result.statusCode).toBe(200);
    expect((bodyOf(result) as { executed: { recordedBy: string } }).executed.recordedBy).toBe('fin.wang');
  });
});

describe('GET /v1/lenders/{lenderId}/statements/{businessDate}/human/{fileName} and its plain twin', () => {
  it("refuse a lender id with ':' with 400 naming lenderId and its rule, before any read (a lender's id names its folder of files)", async () => {
    for (const routeKey of ['GET /v1/lenders/{lenderId}/statements/{businessDate}/human/{fileName}', 'GET /v1/lenders/{lenderId}/statements/{businessDate}/{fileName}']) {
      const answer = await call(routeKey, { claims: claimsOf(platformFinance), pathParameters: { lenderId: 'BANK:A', businessDate: '2026-11-30', fileName: 'statement.csv' } });
      expect([answer.statusCode, bodyOf(answer)], routeKey).toEqual([
        400,
        expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ path: 'lenderId', rule: 'invalid_format' }) }),
      ]);
    }
    expect(ddb.calls()).toHaveLength(0);
  });
});
