import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { encode, type Item } from '../../../../shared/adapters/dynamodb/codec.ts';
import { NOW, PARTNER_A, PARTNER_B, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { aBreak, BREAK_ID } from '../../../support/adjustments.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/breaks/handler.ts');

const GET = 'GET /v1/breaks/{breakId}';
const ACT = 'POST /v1/breaks/{breakId}/actions';
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());
const act = (body: unknown, options: Partial<EventOptions> = {}) =>
  call(ACT, { claims: claimsOf(platformFinance), body, idempotencyKey: 'break-action-0001', pathParameters: { breakId: BREAK_ID }, ...options });
const breakItem: Item = { pk: `BREAK#${BREAK_ID}`, sk: 'BREAK', entityType: 'ReconciliationBreak', ...(encode(aBreak()) as Item) };

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(NOW), toFake: ['Date'] });
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: `BREAK#${BREAK_ID}`, sk: 'BREAK' } }).resolves({ Item: breakItem });
  ddb.on(TransactWriteCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
});

describe('GET /v1/breaks/{breakId}', () => {
  it("answers the break, amounts as strings, to the platform and to its own lender's callers", async () => {
    for (const principal of [leadOps, platformFinance, partnerOf(PARTNER_A), financeOf(PARTNER_A)]) {
      const result = await call(GET, { claims: claimsOf(principal), pathParameters: { breakId: BREAK_ID } });
      expect([result.statusCode, bodyOf(result).breakId, bodyOf(result).differenceMinor]).toEqual([200, BREAK_ID, '-150']);
    }
  });

  it("answers 404 for another lender's break, as for one that does not exist; 400 for an id that is not one", async () => {
    const other = await call(GET, { claims: claimsOf(partnerOf(PARTNER_B)), pathParameters: { breakId: BREAK_ID } });
    const missing = await call(GET, { claims: claimsOf(leadOps), pathParameters: { breakId: 'BK-20250303-PR-ffffffffffffffffffff' } });
    expect([other.statusCode, bodyOf(other).code, missing.statusCode]).toEqual([404, 'NOT_FOUND', 404]);
    const malformed = await call(GET, { claims: claimsOf(leadOps), pathParameters: { breakId: 'BREAK-1' } });
    expect([malformed.statusCode, bodyOf(malformed).details]).toMatchObject([400, { path: 'breakId' }]);
  });
});

describe('POST /v1/breaks/{breakId}/actions', () => {
  it('investigates: 200 with the break after it, written on its version with the idempotency record of the answer', async () => {
    const result = await act({ action: 'INVESTIGATE', reason: 'Asking the bank' });
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ state: 'INVESTIGATING', owner: platformFinance.clientId, version: 2, history: [{ by: platformFinance.clientId, from: 'OPEN', to: 'INVESTIGATING' }] });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.Item?.pk, i.Put?.ConditionExpression])).toEqual([
      [`IDEM#actOnBreak#${platformFinance.clientId}#break-action-0001`, 'attribute_not_exists(pk)'],
      [`BREAK#${BREAK_ID}`, 'version = :v'],
    ]);
    expect(items[0]?.Put?.Item?.responseBody).toBe(result.body);
  });

  it('answers 400 VALIDATION_FAILED on reason for an acceptance without one, and writes nothing', async () => {
    const result = await act({ action: 'ACCEPT' });
    expect([result.statusCode, bodyOf(result).code, bodyOf(result).details]).toEqual([400, 'VALIDATION_FAILED', { path: 'reason', rule: 'required' }]);
    const unknown = await act({ action: 'RESOLVE', reason: 'x' });
    expect([unknown.statusCode, (bodyOf(unknown).details as { path: string }).path]).toEqual([400, 'action']);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('answers 409 BREAK_CLOSED on a closed break', async () => {
    ddb.on(GetCommand, { Key: { pk: `BREAK#${BREAK_ID}`, sk: 'BREAK' } }).resolves({ Item: { ...breakItem, state: 'ACCEPTED' } });
    const result = await act({ action: 'INVESTIGATE' });
    expect([result.statusCode, bodyOf(result).code]).toEqual([409, 'BREAK_CLOSED']);
  });

  it("answers 403 to a partner and to a lender's finance team: breaks are worked by the platform's teams", async () => {
    for (const principal of [partnerOf(PARTNER_A), financeOf(PARTNER_A)]) {
      const result = await act({ action: 'INVESTIGATE' }, { claims: claimsOf(principal) });
      expect([result.statusCode, bodyOf(result).code]).toEqual([403, 'FORBIDDEN']);
    }
    const noKey = await act({ action: 'INVESTIGATE' }, { idempotencyKey: undefined });
    expect([noKey.statusCode, bodyOf(noKey).code]).toEqual([400, 'IDEMPOTENCY_KEY_REQUIRED']);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
