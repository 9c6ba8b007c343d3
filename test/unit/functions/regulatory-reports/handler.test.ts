import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import ExcelJS from 'exceljs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { encode, type Item } from '../../../../shared/adapters/dynamodb/codec.ts';
import { stateKeys } from '../../../../shared/adapters/dynamodb/state-keys.ts';
import { NO_MEASURES, regulatoryReport } from '../../../../shared/domain/regulatory-report.ts';
import type { RegulatoryReportRun } from '../../../../shared/ports/stores.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B, aLeadLender, aPartnerLender, aProgram, financeOf, lenderMap, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { setHandlerEnv } from '../../../support/handler-env.ts';
import { programItem } from '../../../support/dynamo-items.ts';

setHandlerEnv();
const STATE_MACHINE = 'arn:aws-cn:states:cn-north-1:123456789012:stateMachine:RegulatoryReport';
process.env.REGULATORY_REPORT_STATE_MACHINE_ARN = STATE_MACHINE;
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const { handler } = await import('../../../../functions/regulatory-reports/handler.ts');

const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());
const read = (options: Partial<EventOptions> = {}) => call('GET /v1/regulatory-reports/{businessDate}', { claims: claimsOf(leadOps), pathParameters: { businessDate: '2025-03-31' }, ...options });

/**
 * 31 March: A holds 999,600.00 with the lead (24.99% of its net tier-1 capital 4,000,000.00) and
 * 1,500,000.00 in all (7.5% of its total loans 20,000,000.00); B and the lead have no figures in force.
 */
const REPORT = regulatoryReport({
  businessDate: '2025-03-31',
  programs: [aProgram()],
  lenders: lenderMap([aLeadLender(), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B)]),
  figures: new Map([
    [PARTNER_A, { lenderId: PARTNER_A, effectiveDate: '2025-03-16', version: 1, netTier1CapitalMinor: 400_000_000n, totalLoansMinor: 2_000_000_000n, source: '2024 Q4 report, 2nd notice', setBy: 'lead-ops', setAt: '2025-03-16T02:00:00.000Z' }],
  ]),
  measures: { ...NO_MEASURES, loans: 3, withLeadMinor: { [`${LEAD_ID}|CN-2021|${PARTNER_A}`]: 99_960_000n }, totalMinor: { [`${PARTNER_A}|CNY`]: 150_000_000n } },
});

const runItem = (run: RegulatoryReportRun): Item => ({ ...stateKeys.regulatoryReportRun(run.businessDate), entityType: 'RegulatoryReportRun', ...(encode(run) as Item) });
const DONE: RegulatoryReportRun = { businessDate: '2025-03-31', status: 'DONE', attempt: 1, shardCount: 16, startedAt: '2025-03-31T16:45:00.000Z', doneAt: '2025-03-31T16:46:00.000Z', loans: 3, report: REPORT, failure: null };

const HEADER = [
  '业务日期 business_date',
  '牵头方编号 lead_id',
  '监管规则 regulatory_profile',
  '资金方编号 lender_id',
  '角色 role',
  '监管指标 rule',
  '交易对手 counterparty',
  '币种 currency',
  '联合贷款余额 outstanding_amount',
  '比例上限 cap_ratio',
  '计算基数 base_amount',
  '基数生效日期 figures_effective_date',
  '基数版本 figures_version',
  '基数来源 figures_source',
  '限额 limit_amount',
  '占基数比例 ratio',
  '限额使用率 usage',
  '剩余额度 headroom_amount',
  '状态 status',
];
const ROWS = [
  ['2025-03-31', LEAD_ID, 'CN-2021', PARTNER_A, 'PARTNER', 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID, 'CNY', '999600.00', '25%', '4000000.00', '2025-03-16', '1', '2024 Q4 report, 2nd notice', '1000000.00', '24.99%', '99.96%', '400.00', 'NEAR'],
  ['2025-03-31', LEAD_ID, 'CN-2021', PARTNER_A, 'PARTNER', 'JOINT_TO_TOTAL_LOANS_CAP', 'ALL', 'CNY', '1500000.00', '50%', '20000000.00', '2025-03-16', '1', '2024 Q4 report, 2nd notice', '10000000.00', '7.50%', '15%', '8500000.00', 'OK'],
  ['2025-03-31', LEAD_ID, 'CN-2021', PARTNER_B, 'PARTNER', 'SINGLE_PARTNER_TIER1_CAP', LEAD_ID, 'CNY', '0.00', '25%', '', '', '', '', '', '', '', '', 'FIGURES_MISSING'],
  ['2025-03-31', LEAD_ID, 'CN-2021', PARTNER_B, 'PARTNER', 'JOINT_TO_TOTAL_LOANS_CAP', 'ALL', 'CNY', '0.00', '50%', '', '', '', '', '', '', '', '', 'FIGURES_MISSING'],
  ['2025-03-31', LEAD_ID, 'CN-2021', LEAD_ID, 'LEAD', 'SINGLE_PARTNER_TIER1_CAP', PARTNER_A, 'CNY', '0.00', '25%', '', '', '', '', '', '', '', '', 'FIGURES_MISSING'],
  ['2025-03-31', LEAD_ID, 'CN-2021', LEAD_ID, 'LEAD', 'SINGLE_PARTNER_TIER1_CAP', PARTNER_B, 'CNY', '0.00', '25%', '', '', '', '', '', '', '', '', 'FIGURES_MISSING'],
  ['2025-03-31', LEAD_ID, 'CN-2021', LEAD_ID, 'LEAD', 'JOINT_TO_TOTAL_LOANS_CAP', 'ALL', 'CNY', '0.00', '50%', '', '', '', '', '', '', '', '', 'FIGURES_MISSING'],
];

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2025-04-01T02:00:00.000Z'), toFake: ['Date'] });
  ddb.on(GetCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
});
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
  sfn.reset();
});

describe('GET /v1/regulatory-reports/{businessDate}', () => {
  it('answers the run and its report, amounts as strings', async () => {
    ddb.on(GetCommand, { Key: { pk: 'REGREPORT#2025-03-31', sk: 'RUN' } }).resolves({ Item: runItem(DONE) });
    const result = await read();
    expect(result.statusCode).toBe(200);
    const body = bodyOf(result) as { run: Record<string, unknown>; report: { sections: { rows: Record<string, unknown>[] }[]; counts: Record<string, number> } };
    expect(body.run).toEqual({ businessDate: '2025-03-31', status: 'DONE', attempt: 1, shardCount: 16, startedAt: '2025-03-31T16:45:00.000Z', doneAt: '2025-03-31T16:46:00.000Z', loans: 3, failure: null });
    expect(body.report.sections[0]?.rows[0]).toMatchObject({ lenderId: PARTNER_A, outstandingMinor: '99960000', limitMinor: '100000000', headroomMinor: '40000', ratio: '24.99%', status: 'NEAR' });
    expect(body.report.counts).toEqual({ OK: 1, NEAR: 1, BREACHED: 0, FIGURES_MISSING: 5 });
  });

  it('exports the report as CSV: a byte order mark, the Chinese and English header, amounts exact to the fen', async () => {
    ddb.on(GetCommand, { Key: { pk: 'REGREPORT#2025-03-31', sk: 'RUN' } }).resolves({ Item: runItem(DONE) });
    const result = await read({ query: { format: 'csv' }, claims: claimsOf(platformFinance) });
    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(true);
    expect(result.headers).toMatchObject({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="regulatory_report_20250331.csv"' });
    const bytes = Buffer.from(String(result.body), 'base64');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const quote = (cell: string) => (cell.includes(',') ? `"${cell}"` : cell);
    expect(bytes.subarray(3).toString('utf8')).toBe([HEADER, ...ROWS].map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n');
  });

  it('exports the report as XLSX: one sheet, the same cells', async () => {
    ddb.on(GetCommand, { Key: { pk: 'REGREPORT#2025-03-31', sk: 'RUN' } }).resolves({ Item: runItem(DONE) });
    const result = await read({ query: { format: 'xlsx' } });
    expect(result.headers).toMatchObject({ 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'content-disposition': 'attachment; filename="regulatory_report_20250331.xlsx"' });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Uint8Array.from(Buffer.from(String(result.body), 'base64')).buffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe('监管报表 regulatory report');
    const cells: string[][] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => cells.push(Array.from({ length: HEADER.length }, (_, i) => String(row.getCell(i + 1).value ?? ''))));
    expect(cells).toEqual([HEADER, ...ROWS]);
  });

  it('refuses an export while the run has no report: 409 REGULATORY_REPORT_NOT_READY; a date never reported is 404', async () => {
    ddb.on(GetCommand, { Key: { pk: 'REGREPORT#2025-03-31', sk: 'RUN' } }).resolves({ Item: runItem({ ...DONE, status: 'RUNNING', attempt: 2, doneAt: null, report: null }) });
    const running = await read({ query: { format: 'csv' } });
    expect(running.statusCode).toBe(409);
    expect(bodyOf(running)).toMatchObject({ code: 'REGULATORY_REPORT_NOT_READY', details: { businessDate: '2025-03-31', attempt: 2, status: 'RUNNING' } });
    expect((bodyOf(await read()) as { report: unknown }).report).toBeNull();
    const never = await read({ pathParameters: { businessDate: '2025-03-30' } });
    expect([never.statusCode, bodyOf(never).code]).toEqual([404, 'NOT_FOUND']);
  });

  it('answers 400 naming the field of a bad date or format', async () => {
    const date = await read({ pathParameters: { businessDate: '2025-02-30' } });
    expect([date.statusCode, bodyOf(date).details]).toMatchObject([400, { path: 'businessDate' }]);
    const format = await read({ query: { format: 'pdf' } });
    expect([format.statusCode, bodyOf(format).details]).toMatchObject([400, { path: 'format' }]);
  });

  it('is refused to a partner (403) and to a partner bank\'s finance team (403): the report covers every bank', async () => {
    ddb.on(GetCommand, { Key: { pk: 'REGREPORT#2025-03-31', sk: 'RUN' } }).resolves({ Item: runItem(DONE) });
    for (const caller of [partnerOf(PARTNER_A), financeOf(PARTNER_A)]) {
      const result = await read({ claims: claimsOf(caller) });
      expect([result.statusCode, bodyOf(result).code]).toEqual([403, 'FORBIDDEN']);
    }
  });
});

describe('POST /v1/regulatory-reports', () => {
  it('starts the next attempt of a closed date, named by the date and the attempt: 202', async () => {
    ddb.on(GetCommand, { Key: { pk: 'REGREPORT#2025-03-31', sk: 'RUN' } }).resolves({ Item: runItem(DONE) });
    ddb.on(TransactWriteCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:regulatory-report-2025-03-31-2`, startDate: new Date() });
    const result = await call('POST /v1/regulatory-reports', { claims: claimsOf(leadOps), body: { businessDate: '2025-03-31' }, idempotencyKey: 'report-0331' });
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({ businessDate: '2025-03-31', attempt: 2, status: 'STARTED' });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE, name: 'regulatory-report-2025-03-31-2', input: JSON.stringify({ businessDate: '2025-03-31', attempt: 2 }) },
    ]);
  });

  it('refuses a date still open (422) and a partner bank\'s finance team (403), starting nothing', async () => {
    ddb.on(QueryCommand, { IndexName: 'gsi1', ExpressionAttributeValues: { ':p': 'PROGRAMS' } }).resolves({ Items: [programItem(aProgram())] });
    const open = await call('POST /v1/regulatory-reports', { claims: claimsOf(leadOps), body: { businessDate: '2025-04-01' }, idempotencyKey: 'report-0401' });
    expect(open.statusCode).toBe(422);
    expect(bodyOf(open)).toMatchObject({ code: 'BUSINESS_DATE_OPEN', details: { path: 'businessDate' } });
    const lenderFinance = await call('POST /v1/regulatory-reports', { claims: claimsOf(financeOf(PARTNER_A)), body: { businessDate: '2025-03-31' }, idempotencyKey: 'report-0331' });
    expect(lenderFinance.statusCode).toBe(403);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
