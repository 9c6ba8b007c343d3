import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { encode, type Item } from '../../../../shared/adapters/dynamodb/codec.ts';
import { ledgerKeys } from '../../../../shared/adapters/dynamodb/ledger-keys.ts';
import { proposeAdjustment } from '../../../../shared/domain/adjustment.ts';
import { foldEntries } from '../../../../shared/domain/ledger.ts';
import { disbursementEntry } from '../../../../shared/domain/loan.ts';
import { LOAN_ID, NOW, PARTNER_A, PARTNER_B, aLoan, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { aBreak, aProposal, BREAK_ID } from '../../../support/adjustments.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { headWithPositions, loanItem } from '../../../support/dynamo-items.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/adjustments/handler.ts');

const checker = { ...platformFinance, clientId: 'platform-finance-checker', userId: 'platform-finance-checker' };
const loan = aLoan();
const proposal = { ...aProposal(), amountMinor: '150' };
const proposedItem: Item = {
  pk: 'ADJUSTMENT#ADJ-1',
  sk: 'ADJUSTMENT',
  entityType: 'Adjustment',
  ...(encode(proposeAdjustment(aProposal(), platformFinance.clientId, NOW)) as Item),
};
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());
const propose = (body: unknown, principal = platformFinance, idempotencyKey = 'proposal-0001') => call('POST /v1/adjustments', { claims: claimsOf(principal), body, idempotencyKey });
const decide = (decision: 'approval' | 'rejection', principal = checker, body: unknown = { reason: 'Matches the bank statement' }) =>
  call(`POST /v1/adjustments/{adjustmentId}/${decision}`, { claims: claimsOf(principal), body, idempotencyKey: `${decision}-0001`, pathParameters: { adjustmentId: 'ADJ-1' } });

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(NOW), toFake: ['Date'] });
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: `LOAN#${LOAN_ID}`, sk: 'LOAN' } }).resolves({ Item: loanItem(loan) });
  ddb.on(GetCommand, { Key: ledgerKeys.head(LOAN_ID) }).resolves({ Item: headWithPositions(LOAN_ID, [...foldEntries(LOAN_ID, [disbursementEntry(loan, NOW)]).values()]) });
  ddb.on(GetCommand, { Key: { pk: `BREAK#${BREAK_ID}`, sk: 'BREAK' } }).resolves({ Item: { pk: `BREAK#${BREAK_ID}`, sk: 'BREAK', ...(encode(aBreak()) as Item) } });
  ddb.on(PutCommand).resolves({});
  ddb.on(TransactWriteCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
});

describe('POST /v1/adjustments', () => {
  it('answers 201 PROPOSED, the caller its maker, stored once by its id; the same proposal again answers 200', async () => {
    const result = await propose(proposal);
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result)).toMatchObject({ adjustmentId: 'ADJ-1', state: 'PROPOSED', proposedBy: platformFinance.clientId, amountMinor: '150', breakId: BREAK_ID });
    const key = `IDEM#proposeAdjustment#${platformFinance.clientId}#proposal-0001`;
    const puts = () => ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    // The key reserved right before the proposal is written, then the answer over the reservation.
    expect(puts()[0]).toMatchObject({ Item: { pk: key, state: 'IN_PROGRESS' }, ConditionExpression: 'attribute_not_exists(pk) OR (#state = :inProgress AND reservedUntilEpochSeconds < :now)' });
    expect(puts()[1]).toMatchObject({ TableName: TEST_TABLES.state, Item: { pk: 'ADJUSTMENT#ADJ-1' }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(puts()[2]?.Item).toMatchObject({ pk: key, statusCode: 201 });
    expect(puts()[2]?.Item?.state).toBeUndefined();
    ddb.on(GetCommand, { Key: { pk: 'ADJUSTMENT#ADJ-1', sk: 'ADJUSTMENT' } }).resolves({ Item: proposedItem });
    const again = await propose(proposal);
    expect([again.statusCode, bodyOf(again).proposedAt]).toEqual([200, NOW]);
    // Found stored, the proposal is not written again (nor the key reserved): only the answer is recorded.
    expect(puts().slice(3).map((p) => [p.Item?.pk, p.Item?.state])).toEqual([[key, undefined]]);
  });

  it.each([
    ['a negative amount', { amountMinor: '-1' }, 'amountMinor'],
    ['an amount in major units', { amountMinor: '1.50' }, 'amountMinor'],
    ['an amount above the bound', { amountMinor: '1000000000001' }, 'amountMinor'],
    ['an unknown component', { component: 'TAX' }, 'component'],
    ['an unknown direction', { direction: 'BOTH' }, 'direction'],
    ['no reason', { reason: ' ' }, 'reason'],
    ['a break id that is not one', { breakId: 'BREAK-1' }, 'breakId'],
    ['the lender as its own counterparty', { counterparty: PARTNER_A }, 'counterparty'],
  ])('answers 400 naming the field for %s, and writes nothing', async (_what, change, path) => {
    const result = await propose({ ...proposal, ...change });
    expect([result.statusCode, bodyOf(result).code, (bodyOf(result).details as { path: string }).path]).toEqual([400, 'VALIDATION_FAILED', path]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('answers 422 for a loan that does not exist and for a lender that never held a part of it', async () => {
    const unknown = await propose({ ...proposal, loanId: 'LN-NONE' });
    expect([unknown.statusCode, bodyOf(unknown).code]).toEqual([422, 'LOAN_NOT_FOUND']);
    const outsider = await propose({ ...proposal, breakId: undefined, lenderId: 'BANK-Z' });
    expect([outsider.statusCode, bodyOf(outsider).code, bodyOf(outsider).details]).toEqual([422, 'NOT_A_HOLDER', { path: 'lenderId', lenderId: 'BANK-Z' }]);
  });

  it("answers 403 to lead operations, partners and a lender's finance team: only the platform's finance team proposes", async () => {
    for (const principal of [leadOps, partnerOf(PARTNER_A), financeOf(PARTNER_A)]) expect((await propose(proposal, principal)).statusCode).toBe(403);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('POST /v1/adjustments/{adjustmentId}/approval', () => {
  beforeEach(() => {
    ddb.on(GetCommand, { Key: { pk: 'ADJUSTMENT#ADJ-1', sk: 'ADJUSTMENT' } }).resolves({ Item: proposedItem });
  });

  it('answers 409 MAKER_CANNOT_APPROVE to the maker, and writes nothing', async () => {
    const result = await decide('approval', platformFinance);
    expect([result.statusCode, bodyOf(result).code]).toEqual([409, 'MAKER_CANNOT_APPROVE']);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it("records the checker's approval, books ADJUSTMENT#ADJ-1 once on the loan's head, marks it APPROVED, resolves its break", async () => {
    const result = await decide('approval');
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ state: 'APPROVED', approval: { by: checker.clientId, entryId: 'ADJUSTMENT#ADJ-1', bookedOn: '2025-03-01' } });
    const puts = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts.slice(0, 3).map((p) => [p.Item?.pk, p.Item?.state, p.ConditionExpression, p.ExpressionAttributeValues])).toEqual([
      ['ADJUSTMENT#ADJ-1', 'PROPOSED', 'version = :v', { ':v': 1 }],
      ['ADJUSTMENT#ADJ-1', 'APPROVED', 'version = :v', { ':v': 2 }],
      [`BREAK#${BREAK_ID}`, 'RESOLVED', 'version = :v', { ':v': 1 }],
    ]);
    const [ledgerWrite, ...others] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
    expect(others).toEqual([]);
    const idempotency = puts[3];
    const entry = ledgerWrite?.find((i) => i.Put?.Item?.sk === 'ENTRY#ADJUSTMENT#ADJ-1');
    expect(entry?.Put).toMatchObject({ TableName: TEST_TABLES.ledger, ConditionExpression: 'attribute_not_exists(pk)', Item: { eventType: 'ADJUSTMENT', bookedOn: '2025-03-01' } });
    expect(entry?.Put?.Item?.legs).toEqual([`${PARTNER_A} SETTLEMENT_CLEARING D 150 ESCROW INTEREST`, `${PARTNER_A} INTEREST_INCOME C 150 `]);
    expect(puts).toHaveLength(4);
    expect(idempotency?.Item).toMatchObject({ pk: `IDEM#approveAdjustment#${checker.clientId}#approval-0001`, responseBody: result.body });
  });

  it('answers 404 for an adjustment that does not exist, 403 to a lender of its own', async () => {
    const missing = await call('POST /v1/adjustments/{adjustmentId}/approval', { claims: claimsOf(checker), body: { reason: 'Yes' }, idempotencyKey: 'approval-0002', pathParameters: { adjustmentId: 'ADJ-9' } });
    expect(missing.statusCode).toBe(404);
    expect((await decide('approval', financeOf(PARTNER_B))).statusCode).toBe(403);
  });
});

describe('POST /v1/adjustments/{adjustmentId}/rejection and reading', () => {
  beforeEach(() => {
    ddb.on(GetCommand, { Key: { pk: 'ADJUSTMENT#ADJ-1', sk: 'ADJUSTMENT' } }).resolves({ Item: proposedItem });
  });

  it('lets the maker withdraw: 200 REJECTED, nothing booked', async () => {
    const result = await decide('rejection', platformFinance, { reason: 'Wrong loan' });
    expect([result.statusCode, bodyOf(result).state, bodyOf(result).rejection]).toEqual([200, 'REJECTED', { by: platformFinance.clientId, at: NOW, reason: 'Wrong loan', withdrawn: true }]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.pk).filter((pk) => (pk as string).startsWith('IDEM#'))).toEqual([`IDEM#rejectAdjustment#${platformFinance.clientId}#rejection-0001`]);
    const noReason = await decide('rejection', checker, {});
    expect([noReason.statusCode, (bodyOf(noReason).details as { path: string }).path]).toEqual([400, 'reason']);
  });

  it("shows an adjustment to its parties' callers only, and lists a state a page at a time", async () => {
    const get = (principal: typeof leadOps) => call('GET /v1/adjustments/{adjustmentId}', { claims: claimsOf(principal), pathParameters: { adjustmentId: 'ADJ-1' } });
    expect([(await get(partnerOf(PARTNER_A))).statusCode, (await get(financeOf(PARTNER_B))).statusCode, (await get(leadOps)).statusCode]).toEqual([200, 404, 200]);
    ddb.on(QueryCommand).resolves({ Items: [{ ...proposedItem, gsi1pk: 'ADJUSTMENTS#PROPOSED' }] });
    const listed = await call('GET /v1/adjustments', { claims: claimsOf(financeOf(PARTNER_A)), query: { limit: '10' } });
    expect(bodyOf(listed)).toMatchObject({ state: 'PROPOSED', cursor: null, adjustments: [{ adjustmentId: 'ADJ-1' }] });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ FilterExpression: 'lenderId = :l OR counterparty = :l', Limit: 10 });
    const bad = await call('GET /v1/adjustments', { claims: claimsOf(leadOps), query: { state: 'DONE' } });
    expect([bad.statusCode, (bodyOf(bad).details as { path: string }).path]).toEqual([400, 'state']);
  });
});
