import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { InternalServerError } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { bookLoan } from '../../../../shared/domain/loan.ts';
import { loanSchedules } from '../../../../shared/domain/schedule.ts';
import { LEAD_ID, LOAN_ID, NOW, PARTNER_A, PARTNER_B, aBookLoanRequest, aProgram, aQuotaShard, bookLoanBody, defaultLenders, financeOf, leadOps, lenderMap, partnerOf } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { borrowerScheduleItem, lenderItem, lenderScheduleItem, loanItem, programItem, quotaShardItem, exposureItem } from '../../../support/dynamo-items.ts';
import { TEST_AUDIT_TABLE, TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/loans/handler.ts');

const KEY = 'book-LN-2025-000001';
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(NOW), toFake: ['Date'] });
  ddb.on(GetCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(QueryCommand, { KeyConditionExpression: 'pk = :p AND begins_with(sk, :v)' }).resolves({ Items: [programItem(aProgram())] });
  ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_TABLES.state]: defaultLenders().map(lenderItem) } });
});
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
});

describe('POST /v1/loans', () => {
  it('books the loan: 201 with the loan, in one transaction of 6 + 3 per lender items', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const result = await call('POST /v1/loans', { claims: claimsOf(leadOps), body: bookLoanBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result)).toMatchObject({
      loanId: LOAN_ID,
      programVersion: 1,
      principalMinor: '1000000',
      status: 'ACTIVE',
      createdAt: NOW,
      fundingPlan: [
        { lenderId: LEAD_ID, amountMinor: '400000', role: 'LEAD' },
        { lenderId: PARTNER_A, amountMinor: '300000', role: 'PARTNER' },
        { lenderId: PARTNER_B, amountMinor: '300000', role: 'PARTNER' },
      ],
    });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => `${i.Put?.TableName} ${String(i.Put?.Item?.pk)} ${String(i.Put?.Item?.sk)}`)).toEqual([
      `${TEST_TABLES.state} IDEM#bookLoan#${leadOps.clientId}#${KEY} IDEM`,
      `${TEST_TABLES.state} LOAN#${LOAN_ID} LOAN`,
      `${TEST_TABLES.state} LOAN#${LOAN_ID} FACTS`,
      `${TEST_TABLES.ledger} LOAN#${LOAN_ID} ENTRY#DISBURSEMENT#${LOAN_ID}`,
      `${TEST_TABLES.ledger} LOAN#${LOAN_ID} HEAD`,
      `${TEST_TABLES.ledger} LOAN#${LOAN_ID} HOLDER#${LEAD_ID}`,
      `${TEST_TABLES.ledger} LOAN#${LOAN_ID} HOLDER#${PARTNER_A}`,
      `${TEST_TABLES.ledger} LOAN#${LOAN_ID} HOLDER#${PARTNER_B}`,
      `${TEST_TABLES.state} LOAN#${LOAN_ID} SCHEDULE#BORROWER`,
      `${TEST_TABLES.state} LOAN#${LOAN_ID} SCHEDULE#LENDER#${LEAD_ID}`,
      `${TEST_TABLES.state} LOAN#${LOAN_ID} SCHEDULE#LENDER#${PARTNER_A}`,
      `${TEST_TABLES.state} LOAN#${LOAN_ID} SCHEDULE#LENDER#${PARTNER_B}`,
      `${TEST_TABLES.state} QUOTA#${LEAD_ID} SHARD#03`,
      `${TEST_TABLES.state} QUOTA#${PARTNER_A} SHARD#03`,
      `${TEST_TABLES.state} QUOTA#${PARTNER_B} SHARD#03`,
      `${TEST_TABLES.state} BORROWER#BRW-0001 EXPOSURE`,
    ]);
    for (const item of items) expect(item.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    // The loan id starts at shard 3 of each lender's quota, which has room for the whole part.
    expect(items[13]?.Put?.Item).toEqual({
      pk: `QUOTA#${PARTNER_A}`,
      sk: 'SHARD#03',
      entityType: 'QuotaShard',
      lenderId: PARTNER_A,
      shard: 3,
      allotmentMinor: '12500000000',
      reservedMinor: '0',
      committedMinor: '300000',
      committedByLeadMinor: { [LEAD_ID]: '300000' },
      version: 1,
    });
  });

  it("answers 422 EXPOSURE_QUOTA when a lender's quota left across its loans is short, and writes nothing", async () => {
    // 25,000 left on each of the 8 shards: 200,000 in all for a part of 300,000.
    const used = Array.from({ length: 8 }, (_, shard) => aQuotaShard({ shard, committedMinor: 12_499_975_000n, committedByLeadMinor: { [LEAD_ID]: 12_499_975_000n }, version: 7 }));
    ddb.on(QueryCommand, { KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': `QUOTA#${PARTNER_A}`, ':s': 'SHARD#' } }).resolves({ Items: used.map(quotaShardItem) });
    const result = await call('POST /v1/loans', { claims: claimsOf(leadOps), body: bookLoanBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toEqual({
      code: 'EXPOSURE_QUOTA',
      message: `lender ${PARTNER_A} has 200000 of its exposure quota left, not 300000`,
      details: { lenderId: PARTNER_A, rule: 'EXPOSURE_QUOTA', quotaMinor: '100000000000', outstandingMinor: '99999800000', reservedMinor: '0', requestedMinor: '300000' },
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it("answers 422 UNSECURED_PERSONAL_CAP when the borrower's other loans leave too little room", async () => {
    const exposure = { borrowerId: 'BRW-0001', unsecuredPersonalOutstandingMinor: 19_500_000n, totalOutstandingMinor: 19_500_000n, perLenderMinor: {}, version: 2 };
    ddb.on(GetCommand, { Key: { pk: 'BORROWER#BRW-0001', sk: 'EXPOSURE' } }).resolves({ Item: exposureItem(exposure) });
    const result = await call('POST /v1/loans', { claims: claimsOf(leadOps), body: bookLoanBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toMatchObject({ code: 'UNSECURED_PERSONAL_CAP', details: { existingMinor: '19500000', requestedMinor: '1000000', capMinor: '20000000' } });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 422 PLAN_SUM_MISMATCH with both figures, and writes nothing', async () => {
    const body = bookLoanBody({ fundingPlan: [{ lenderId: LEAD_ID, amountMinor: '400000' }, { lenderId: PARTNER_A, amountMinor: '300000' }, { lenderId: PARTNER_B, amountMinor: '299999' }] });
    const result = await call('POST /v1/loans', { claims: claimsOf(leadOps), body, idempotencyKey: KEY });
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toEqual({
      code: 'PLAN_SUM_MISMATCH',
      message: 'the funding plan sums to 999999, the principal is 1000000',
      details: { path: 'fundingPlan', rule: 'plan-sums-to-principal', planSumMinor: '999999', principalMinor: '1000000' },
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 400 MALFORMED_JSON and 413 before touching DynamoDB', async () => {
    const malformed = await call('POST /v1/loans', { claims: claimsOf(leadOps), body: '{"loanId":', idempotencyKey: KEY });
    expect([malformed.statusCode, bodyOf(malformed).code]).toEqual([400, 'MALFORMED_JSON']);
    const large = await call('POST /v1/loans', { claims: claimsOf(leadOps), body: `{"pad":"${'x'.repeat(262_144)}"}`, idempotencyKey: KEY });
    expect([large.statusCode, bodyOf(large).code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 500 INTERNAL_ERROR when the write fails', async () => {
    ddb.on(TransactWriteCommand).rejects(new InternalServerError({ message: 'throughput exceeded', $metadata: {} }));
    const result = await call('POST /v1/loans', { claims: claimsOf(leadOps), body: bookLoanBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({ code: 'INTERNAL_ERROR', message: 'an unexpected error occurred; retrying with the same Idempotency-Key is safe', details: {} });
  });
});

describe('GET /v1/loans/{loanId}', () => {
  const { loan } = bookLoan(aBookLoanRequest(), aProgram(), lenderMap(), NOW);

  it("shows a partner only its own part", async () => {
    ddb.on(GetCommand, { Key: { pk: `LOAN#${LOAN_ID}`, sk: 'LOAN' } }).resolves({ Item: loanItem(loan) });
    const result = await call('GET /v1/loans/{loanId}', { claims: claimsOf(partnerOf(PARTNER_B)), pathParameters: { loanId: LOAN_ID } });
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result).fundingPlan).toEqual([{ lenderId: PARTNER_B, amountMinor: '300000', role: 'PARTNER' }]);
  });

  it('answers 404 for a loan that does not exist', async () => {
    const result = await call('GET /v1/loans/{loanId}', { claims: claimsOf(leadOps), pathParameters: { loanId: 'LN-NONE' } });
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)).toEqual({ code: 'NOT_FOUND', message: 'loan LN-NONE was not found', details: { loanId: 'LN-NONE' } });
  });

  it('answers 500 INTERNAL_ERROR when the read fails', async () => {
    ddb.on(GetCommand).rejects(new InternalServerError({ message: 'throughput exceeded', $metadata: {} }));
    expect((await call('GET /v1/loans/{loanId}', { claims: claimsOf(leadOps), pathParameters: { loanId: LOAN_ID } })).statusCode).toBe(500);
  });
});

describe('GET /v1/loans/{loanId}/schedule', () => {
  const { loan } = bookLoan(aBookLoanRequest(), aProgram(), lenderMap(), NOW);
  const schedules = loanSchedules(loan);
  const scheduleItems = [borrowerScheduleItem(LOAN_ID, schedules.borrower), ...schedules.lenders.map((s) => lenderScheduleItem(LOAN_ID, s))];

  beforeEach(() => {
    ddb.on(GetCommand, { Key: { pk: `LOAN#${LOAN_ID}`, sk: 'LOAN' } }).resolves({ Item: loanItem(loan) });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': `LOAN#${LOAN_ID}`, ':s': 'SCHEDULE#' } }).resolves({ Items: scheduleItems });
  });

  it("shows a partner only its own sub-schedule, amounts as strings", async () => {
    const result = await call('GET /v1/loans/{loanId}/schedule', { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { loanId: LOAN_ID } });
    expect(result.statusCode).toBe(200);
    const body = bodyOf(result) as { loanId: string; borrower: unknown; lenders: { lenderId: string; totalPrincipalMinor: string }[] };
    expect([body.loanId, body.borrower]).toEqual([LOAN_ID, null]);
    expect(body.lenders.map((s) => [s.lenderId, s.totalPrincipalMinor])).toEqual([[PARTNER_A, '300000']]);
  });

  it("shows lead operations the borrower's schedule and every lender's", async () => {
    const result = await call('GET /v1/loans/{loanId}/schedule', { claims: claimsOf(leadOps), pathParameters: { loanId: LOAN_ID } });
    const body = bodyOf(result) as { borrower: { totalPrincipalMinor: string; instalments: unknown[] }; lenders: { lenderId: string }[] };
    expect(body.borrower.totalPrincipalMinor).toBe('1000000');
    expect(body.borrower.instalments).toHaveLength(12);
    expect(body.lenders.map((s) => s.lenderId)).toEqual([LEAD_ID, PARTNER_A, PARTNER_B]);
  });

  it('answers 404 for a loan that does not exist', async () => {
    const result = await call('GET /v1/loans/{loanId}/schedule', { claims: claimsOf(leadOps), pathParameters: { loanId: 'LN-NONE' } });
    expect([result.statusCode, bodyOf(result).message]).toEqual([404, 'loan LN-NONE was not found']);
  });

  it('answers 500 INTERNAL_ERROR when the query fails', async () => {
    ddb.on(QueryCommand).rejects(new InternalServerError({ message: 'throughput exceeded', $metadata: {} }));
    expect((await call('GET /v1/loans/{loanId}/schedule', { claims: claimsOf(leadOps), pathParameters: { loanId: LOAN_ID } })).statusCode).toBe(500);
  });
});

describe('POST /v1/borrower-lookups', () => {
  const NUMBER = '11010519491231002X';

  it('refuses a partner with 403 before reading anything', async () => {
    const result = await call('POST /v1/borrower-lookups', { claims: claimsOf(partnerOf(PARTNER_A)), body: { identityNumber: NUMBER } });
    expect([result.statusCode, bodyOf(result).code]).toEqual([403, 'FORBIDDEN']);
    expect(ddb.commandCalls(QueryCommand).length + ddb.commandCalls(BatchGetCommand).length).toBe(0);
  });

  it("refuses a partner's finance team with 403: it is not a lead", async () => {
    ddb.on(GetCommand, { Key: { pk: `LENDER#${PARTNER_A}`, sk: 'LENDER' } }).resolves({ Item: lenderItem(defaultLenders()[1]!) });
    const result = await call('POST /v1/borrower-lookups', { claims: claimsOf(financeOf(PARTNER_A)), body: { identityNumber: NUMBER } });
    expect([result.statusCode, bodyOf(result).code]).toEqual([403, 'FORBIDDEN']);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('refuses a bad number with 400 naming the field and the rule, never echoing it, and writes nothing', async () => {
    const bad = '110105194912310021';
    const result = await call('POST /v1/borrower-lookups', { claims: claimsOf(leadOps), body: { identityNumber: bad } });
    expect([result.statusCode, bodyOf(result).code, bodyOf(result).details]).toMatchObject([400, 'VALIDATION_FAILED', { path: 'identityNumber', rule: 'identity-number-check-digit' }]);
    expect(result.body).not.toContain(bad);
    expect(ddb.commandCalls(TransactWriteCommand).length + ddb.commandCalls(QueryCommand).length).toBe(0);
  });

  it('answers lead operations with the page of the person found by its hash, keeps no idempotency record, and audits the hash only', async () => {
    const result = await call('POST /v1/borrower-lookups', { claims: claimsOf(leadOps), body: { identityNumber: NUMBER, limit: 10 } });
    expect([result.statusCode, bodyOf(result)]).toEqual([200, { borrowerIds: [], applications: [], loans: [], cursor: null }]);
    const query = ddb.commandCalls(QueryCommand)[0]?.args[0].input;
    expect([query?.Limit, String(query?.ExpressionAttributeValues?.[':p'])]).toEqual([10, expect.stringMatching(/^BORROWER#PERSON#hmac-sha256:/)]);
    const written = JSON.stringify(ddb.calls().map((c) => c.args[0].input));
    expect(written).not.toContain(NUMBER);
    expect(written).not.toContain('IDEM#');
  });
});

describe('POST /v1/loans with an identity number', () => {
  /** The requests and transaction items of one booking, by command. */
  async function booking(borrower: Record<string, unknown>, key: string): Promise<{ gets: number; queries: number; batches: number; items: string[] }> {
    ddb.resetHistory();
    ddb.on(TransactWriteCommand).resolves({});
    const result = await call('POST /v1/loans', { claims: claimsOf(leadOps), body: bookLoanBody({ borrower }), idempotencyKey: key });
    expect(result.statusCode, String(result.body)).toBe(201);
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    return {
      gets: ddb.commandCalls(GetCommand).length,
      // The audit record's chain head is read only by a function that did not write the chain's last record: not the booking's.
      queries: ddb.commandCalls(QueryCommand).filter((c) => c.args[0].input.TableName !== TEST_AUDIT_TABLE).length,
      batches: ddb.commandCalls(BatchGetCommand).length,
      items: items.map((i) => String(i.Put?.Item?.sk ?? i.Update?.Key?.sk)),
    };
  }

  it("costs one more read (the person) and two more items of the one transaction (the person at its version, the loan's listing)", async () => {
    const plain = await booking({ borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44' }, 'book-plain-0001');
    const person = await booking({ borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', personalData: { identityNumber: '11010519491231002X' } }, 'book-person-0001');
    expect([person.gets - plain.gets, person.queries - plain.queries, person.batches - plain.batches]).toEqual([1, 0, 0]);
    expect(person.items.length - plain.items.length).toBe(2);
    expect(person.items.slice(-2)).toEqual(['PERSON', `REF#LOAN#${LOAN_ID}`]);
  });
});
