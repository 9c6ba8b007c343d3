import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { NOW, PARTNER_A, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';
import { GENERIC_BANK_MAPPING } from '../../../../shared/domain/counterpart-records.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/bank-formats/handler.ts');

const PUT = 'PUT /v1/bank-formats/{bankId}';
const KEY = 'bank-format-icbc-0001';
const MAPPING = {
  name: '工商银行 对公流水 XLSX',
  format: { kind: 'XLSX', sheet: '明细' },
  headerRow: 2,
  columns: { bankReference: '交易流水号', valueDate: ['交易日期', '记账日期'], memo: '摘要' },
  amount: { kind: 'DEBIT_CREDIT', debit: '借方发生额', credit: '贷方发生额' },
  currency: { fixed: 'CNY' },
  memoPatterns: { instructionId: 'SI-\\d{8}-[A-Za-z0-9_.:-]+' },
};
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());
const put = (options: Partial<EventOptions> = {}) => call(PUT, { claims: claimsOf(platformFinance), body: MAPPING, idempotencyKey: KEY, pathParameters: { bankId: 'ICBC' }, ...options });

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(NOW), toFake: ['Date'] });
  ddb.on(GetCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(TransactWriteCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
});

describe('PUT /v1/bank-formats/{bankId}', () => {
  it('answers 201 with the stored version, the mapping completed, and who loaded it; written once with its idempotency record', async () => {
    const result = await put();
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result)).toEqual({
      bankId: 'ICBC',
      version: 1,
      mapping: {
        bankId: 'ICBC',
        name: MAPPING.name,
        format: { kind: 'XLSX', sheet: '明细' },
        headerRow: 2,
        columns: { bankReference: ['交易流水号'], valueDate: ['交易日期', '记账日期'], memo: ['摘要'] },
        amount: { kind: 'DEBIT_CREDIT', debit: ['借方发生额'], credit: ['贷方发生额'] },
        currency: { fixed: 'CNY' },
        dateFormats: ['YYYY-MM-DD', 'YYYYMMDD', 'YYYY/MM/DD', 'YYYY/M/D'],
        thousandsSeparator: false,
        memoPatterns: { instructionId: 'SI-\\d{8}-[A-Za-z0-9_.:-]+' },
        endMarkers: [],
      },
      loadedBy: platformFinance.clientId,
      loadedAt: NOW,
    });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.TableName, i.Put?.Item?.pk, i.Put?.Item?.sk, i.Put?.ConditionExpression])).toEqual([
      [TEST_TABLES.state, `IDEM#loadBankFormat#${platformFinance.clientId}#${KEY}`, 'IDEM', 'attribute_not_exists(pk)'],
      [TEST_TABLES.state, 'BANKFORMAT#ICBC', 'V#000001', 'attribute_not_exists(pk)'],
    ]);
    expect(items[0]?.Put?.Item?.responseBody).toBe(result.body);
  });

  it('answers 400 naming the field and the rule, and writes nothing', async () => {
    const badPattern = await put({ body: { ...MAPPING, memoPatterns: { instructionId: '(SI-' } } });
    expect([badPattern.statusCode, bodyOf(badPattern).code, bodyOf(badPattern).details]).toMatchObject([400, 'VALIDATION_FAILED', { path: 'memoPatterns.instructionId', rule: 'pattern' }]);
    const shape = await put({ body: { ...MAPPING, amount: { kind: 'NET', column: '金额' } } });
    expect([shape.statusCode, bodyOf(shape).details]).toMatchObject([400, { path: 'amount.kind' }]);
    const badId = await put({ pathParameters: { bankId: 'IC#BC' } });
    expect([badId.statusCode, bodyOf(badId).details]).toMatchObject([400, { path: 'bankId' }]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it("answers 403 to a partner and to a partner's finance team", async () => {
    expect((await put({ claims: claimsOf(partnerOf(PARTNER_A)) })).statusCode).toBe(403);
    expect((await put({ claims: claimsOf(financeOf(PARTNER_A)) })).statusCode).toBe(403);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('GET /v1/bank-formats[/{bankId}]', () => {
  it('serves the built-in mapping and the latest of every bank', async () => {
    const one = await call('GET /v1/bank-formats/{bankId}', { claims: claimsOf(leadOps), pathParameters: { bankId: 'GENERIC-CN' } });
    expect([one.statusCode, bodyOf(one).version, bodyOf(one).mapping]).toEqual([200, 0, JSON.parse(JSON.stringify(GENERIC_BANK_MAPPING))]);
    const list = await call('GET /v1/bank-formats', { claims: claimsOf(financeOf(PARTNER_A)) });
    expect((bodyOf(list).bankFormats as { bankId: string }[]).map((f) => f.bankId)).toEqual(['GENERIC-CN']);
  });

  it('answers 404 NOT_FOUND for a bank never loaded, 400 for a version that is no number', async () => {
    const missing = await call('GET /v1/bank-formats/{bankId}', { claims: claimsOf(leadOps), pathParameters: { bankId: 'ICBC' }, query: { version: '2' } });
    expect([missing.statusCode, bodyOf(missing).code]).toEqual([404, 'NOT_FOUND']);
    const bad = await call('GET /v1/bank-formats/{bankId}', { claims: claimsOf(leadOps), pathParameters: { bankId: 'ICBC' }, query: { version: 'x' } });
    expect(bad.statusCode).toBe(400);
  });

  it('answers 403 to a partner', async () => {
    expect((await call('GET /v1/bank-formats', { claims: claimsOf(partnerOf(PARTNER_A)) })).statusCode).toBe(403);
  });
});
