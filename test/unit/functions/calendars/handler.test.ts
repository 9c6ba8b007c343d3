import { expiresAtEpochSeconds } from '../../../../shared/http/idempotency.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { canonicalJson, sha256 } from '../../../../shared/json.ts';
import { NOW, PARTNER_A, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { idempotencyItem } from '../../../support/dynamo-items.ts';
import { TEST_AUDIT_TABLE, TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';
import { CN_2027_TABLE, loadedYear } from '../../../support/calendar-years.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/calendars/handler.ts');

const PUT = 'PUT /v1/calendars/{calendar}/years/{year}';
const GET = 'GET /v1/calendars/{calendar}';
const KEY = 'calendar-cn-2027-0001';
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());
const put = (options: Partial<EventOptions> & { year?: string } = {}) =>
  call(PUT, { claims: claimsOf(platformFinance), body: CN_2027_TABLE, idempotencyKey: KEY, pathParameters: { calendar: 'CN', year: options.year ?? '2027' }, ...options });

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

describe('PUT /v1/calendars/{calendar}/years/{year}', () => {
  it('answers 201 with the stored version and who loaded it, written once with its idempotency record', async () => {
    const result = await put();
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result)).toEqual({ calendar: 'CN', year: 2027, version: 1, ...CN_2027_TABLE, loadedBy: platformFinance.clientId, loadedAt: NOW });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.TableName, i.Put?.Item?.pk, i.Put?.Item?.sk, i.Put?.ConditionExpression])).toEqual([
      [TEST_TABLES.state, `IDEM#loadCalendarYear#${platformFinance.clientId}#${KEY}`, 'IDEM', 'attribute_not_exists(pk)'],
      [TEST_TABLES.state, 'CALENDAR#CN', 'YEAR#2027#V#000001', 'attribute_not_exists(pk)'],
    ]);
    expect(items[0]?.Put?.Item?.responseBody).toBe(result.body);
  });

  it('stores the next version after the latest one of the year', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'CALENDAR#CN', sk: 'YEAR#2027#V#000001', entityType: 'CalendarYear', ...loadedYear() }] });
    const result = await call(PUT, { claims: claimsOf(leadOps), body: CN_2027_TABLE, idempotencyKey: KEY, pathParameters: { calendar: 'CN', year: '2027' } });
    expect([result.statusCode, bodyOf(result).version, bodyOf(result).loadedBy]).toEqual([201, 2, leadOps.clientId]);
  });

  it("names the signed-in user of a console's token as who loaded it", async () => {
    const user = { ...platformFinance, clientId: 'console-client', userId: 'fin.wang' };
    const result = await call(PUT, { claims: claimsOf(user), body: CN_2027_TABLE, idempotencyKey: KEY, pathParameters: { calendar: 'CN', year: '2027' } });
    expect([result.statusCode, bodyOf(result).loadedBy]).toEqual([201, 'fin.wang']);
  });

  it('replays the first answer for the same key, body and year; refuses the key for another year', async () => {
    const first = '{"calendar":"CN","year":2027,"version":1}';
    const scopeKey = `loadCalendarYear#${platformFinance.clientId}#${KEY}`;
    const requestHash = sha256(canonicalJson({ calendar: 'CN', year: '2027', body: CN_2027_TABLE }));
    ddb.on(GetCommand, { Key: { pk: `IDEM#${scopeKey}`, sk: 'IDEM' } }).resolves({ Item: idempotencyItem({ scopeKey, requestHash, statusCode: 201, responseBody: first, createdAt: NOW, expiresAtEpochSeconds: expiresAtEpochSeconds(NOW) }) });

    const again = await put();
    expect(again).toEqual({ statusCode: 201, headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' }, body: first });
    const otherYear = await put({ year: '2028' });
    expect([otherYear.statusCode, bodyOf(otherYear).code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    // The replay's audit record is written once, to the audit table; nothing else is written.
    const tables = ddb.commandCalls(TransactWriteCommand).flatMap((c) => (c.args[0].input.TransactItems ?? []).map((item) => item.Put?.TableName ?? item.Update?.TableName));
    expect(new Set(tables)).toEqual(new Set([TEST_AUDIT_TABLE]));
  });

  it('answers 400 naming the field and the rule, and writes nothing', async () => {
    const notWeekend = await put({ body: { ...CN_2027_TABLE, workingDays: ['2027-02-22'] } });
    expect([notWeekend.statusCode, bodyOf(notWeekend).code, bodyOf(notWeekend).details]).toMatchObject([400, 'VALIDATION_FAILED', { path: 'workingDays.0', rule: 'weekend-only' }]);
    const otherYear = await put({ body: { ...CN_2027_TABLE, holidays: ['2027-01-01', '2026-10-01'] } });
    expect(bodyOf(otherYear).details).toMatchObject({ path: 'holidays.1', rule: 'same-year' });
    const badYear = await put({ year: '27' });
    expect([badYear.statusCode, bodyOf(badYear).details]).toMatchObject([400, { path: 'year' }]);
    const unknown = await call(PUT, { claims: claimsOf(leadOps), body: CN_2027_TABLE, idempotencyKey: KEY, pathParameters: { calendar: 'XX', year: '2027' } });
    expect([unknown.statusCode, bodyOf(unknown).details]).toMatchObject([400, { path: 'calendar', rule: 'known-calendar' }]);
    const weekdays = await call(PUT, { claims: claimsOf(leadOps), body: CN_2027_TABLE, idempotencyKey: KEY, pathParameters: { calendar: 'IN', year: '2027' } });
    expect([weekdays.statusCode, bodyOf(weekdays).details]).toMatchObject([400, { path: 'calendar', rule: 'table-calendar' }]);
    const extra = await put({ body: { ...CN_2027_TABLE, year: 2027 } });
    expect(extra.statusCode).toBe(400);
    const noKey = await put({ idempotencyKey: undefined });
    expect([noKey.statusCode, bodyOf(noKey).code]).toEqual([400, 'IDEMPOTENCY_KEY_REQUIRED']);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it("answers 403 to a partner and to a partner's finance team", async () => {
    const partner = await put({ claims: claimsOf(partnerOf(PARTNER_A)) });
    expect([partner.statusCode, bodyOf(partner).code]).toEqual([403, 'FORBIDDEN']);
    const partnerFinance = await put({ claims: claimsOf(financeOf(PARTNER_A)) });
    expect([partnerFinance.statusCode, bodyOf(partnerFinance).code]).toEqual([403, 'FORBIDDEN']);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('GET /v1/calendars/{calendar}', () => {
  it('lists the covered years with their source, and the business days of a year on request', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'CALENDAR#CN', sk: 'YEAR#2027#V#000001', entityType: 'CalendarYear', ...loadedYear() }] });
    const result = await call(GET, { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { calendar: 'CN' }, query: { year: '2026' } });
    expect(result.statusCode).toBe(200);
    const body = bodyOf(result) as { coveredYears: number[]; years: { year: number; source: { kind: string } }[]; year: { businessDays: string[]; workingDays: string[] } };
    expect(body.coveredYears.at(-1)).toBe(2027);
    expect(body.years.at(-1)).toEqual({ year: 2027, source: { kind: 'LOADED', version: 1, loadedBy: 'finance-client', loadedAt: '2026-11-20T08:00:00.000Z', source: CN_2027_TABLE.source } });
    expect(body.year.workingDays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    expect(body.year.businessDays).toHaveLength(248);
    const query = ddb.commandCalls(QueryCommand)[0]?.args[0].input;
    expect([query?.KeyConditionExpression, query?.ExpressionAttributeValues, query?.ConsistentRead]).toEqual(['pk = :p AND begins_with(sk, :y)', { ':p': 'CALENDAR#CN', ':y': 'YEAR#' }, true]);
  });

  it('answers 422 CALENDAR_YEAR_NOT_COVERED for a year not loaded, 400 for an unknown calendar', async () => {
    const missing = await call(GET, { claims: claimsOf(leadOps), pathParameters: { calendar: 'CN' }, query: { year: '2027' } });
    expect([missing.statusCode, bodyOf(missing).code, (bodyOf(missing).details as { load: unknown }).load]).toEqual([
      422,
      'CALENDAR_YEAR_NOT_COVERED',
      { route: 'PUT /v1/calendars/CN/years/2027', command: 'colend calendar load <file.json> --calendar CN --year 2027' },
    ]);
    const unknown = await call(GET, { claims: claimsOf(leadOps), pathParameters: { calendar: 'cn' } });
    expect([unknown.statusCode, bodyOf(unknown).details]).toMatchObject([400, { path: 'calendar', rule: 'known-calendar' }]);
  });
});
