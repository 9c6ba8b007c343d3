import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRegulatoryReport, regulatoryReport, reportIsClean } from '../../../../infra/cli/regulatory-report.ts';
import { fakeApiInTurn as fakeApi, jsonAnswer as json } from '../../../support/fake-api.ts';

const dir = mkdtempSync(join(tmpdir(), 'colend-regreport-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (over: Record<string, unknown>) => ({
  lenderId: 'JN_RCB',
  role: 'PARTNER',
  rule: 'SINGLE_PARTNER_TIER1_CAP',
  counterpartyId: 'XH_LEAD',
  currency: 'CNY',
  outstandingMinor: '99960000',
  capBps: 2500,
  limitMinor: '100000000',
  ratio: '24.99%',
  usage: '99.96%',
  headroomMinor: '40000',
  status: 'NEAR',
  ...over,
});

const VIEW = {
  run: { businessDate: '2026-11-30', status: 'DONE', attempt: 1, loans: 300, failure: null },
  report: {
    sections: [
      {
        leadLenderId: 'XH_LEAD',
        profile: 'CN-2021',
        currency: 'CNY',
        rows: [row({}), row({ rule: 'JOINT_TO_TOTAL_LOANS_CAP', counterpartyId: null, capBps: 5000, limitMinor: null, ratio: null, usage: null, headroomMinor: null, status: 'FIGURES_MISSING' })],
        notBound: [{ lenderId: 'XH_LEAD', reason: 'a NON_BANK: the ratio rules bind banks' }],
      },
    ],
    counts: { OK: 0, NEAR: 1, BREACHED: 0, FIGURES_MISSING: 1 },
  },
};

const API = { apiUrl: 'https://api.colend.test/', token: 't', pollMs: 0 };

describe('colend regulatory-report', () => {
  it('prints the stored report of a date, row by row, in major units', async () => {
    const api = fakeApi([json(200, VIEW)]);
    const answer = await regulatoryReport({ ...API, fetch: api.fetch, businessDate: '2026-11-30', run: false, restart: false });
    expect(api.calls.map((c) => [c.method, c.url])).toEqual([['GET', 'https://api.colend.test/v1/regulatory-reports/2026-11-30']]);
    expect(formatRegulatoryReport('2026-11-30', answer)).toEqual([
      'regulatory report of 2026-11-30, attempt 1: DONE',
      'loans with principal outstanding at the end of the date: 300',
      'lead XH_LEAD, CN-2021 (CNY):',
      '  NEAR            JN_RCB (PARTNER) SINGLE_PARTNER_TIER1_CAP with XH_LEAD: outstanding 999600.00, limit 1000000.00 (25%), ratio 24.99%, usage 99.96%, headroom 400.00',
      '  FIGURES_MISSING JN_RCB (PARTNER) JOINT_TO_TOTAL_LOANS_CAP with all counterparties: outstanding 999600.00, no figures in force',
      '  not bound       XH_LEAD: a NON_BANK: the ratio rules bind banks',
      'rows: OK 0, NEAR 1, BREACHED 0, FIGURES_MISSING 1',
    ]);
    // A bank without figures is something to fix: the command says so by its exit status.
    expect(reportIsClean(answer)).toBe(false);
    expect(reportIsClean({ ...answer, view: { ...VIEW, report: { ...VIEW.report, counts: { OK: 1, NEAR: 1, BREACHED: 0, FIGURES_MISSING: 0 } } } })).toBe(true);
  });

  it('reports the date first with --run: the next attempt under a key of the attempt read, then waits for its end', async () => {
    const api = fakeApi([json(404, { code: 'NOT_FOUND', message: 'regulatoryReport 2026-11-30 was not found' }), json(202, { attempt: 1 }), json(200, { ...VIEW, run: { ...VIEW.run, status: 'RUNNING' } }), json(200, VIEW), json(200, VIEW)]);
    const answer = await regulatoryReport({ ...API, fetch: api.fetch, businessDate: '2026-11-30', run: true, restart: false });
    expect(api.calls.map((c) => [c.method, c.url, c.key ?? null])).toEqual([
      ['GET', 'https://api.colend.test/v1/regulatory-reports/2026-11-30', null],
      ['POST', 'https://api.colend.test/v1/regulatory-reports', 'regulatory-report:2026-11-30:after-0'],
      ['GET', 'https://api.colend.test/v1/regulatory-reports/2026-11-30', null],
      ['GET', 'https://api.colend.test/v1/regulatory-reports/2026-11-30', null],
      ['GET', 'https://api.colend.test/v1/regulatory-reports/2026-11-30', null],
    ]);
    expect(api.calls[1]?.body).toEqual({ businessDate: '2026-11-30' });
    expect(answer.view?.run.status).toBe('DONE');
  });

  it('says why a run was not started', async () => {
    const api = fakeApi([json(404, {}), json(422, { code: 'BUSINESS_DATE_OPEN', message: '2026-12-01 is still open for program P' })]);
    const answer = await regulatoryReport({ ...API, fetch: api.fetch, businessDate: '2026-12-01', run: true, restart: false });
    expect(formatRegulatoryReport('2026-12-01', answer)).toEqual(['regulatory report of 2026-12-01 not started: 422 BUSINESS_DATE_OPEN 2026-12-01 is still open for program P']);
    expect(reportIsClean(answer)).toBe(false);
  });

  it('saves the export with --format, under the name the API gives it or --out', async () => {
    const csv = Buffer.from('\ufeff业务日期 business_date\r\n2026-11-30\r\n', 'utf8');
    const file = { status: 200, body: csv, headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="regulatory_report_20261130.csv"' } };
    const out = join(dir, 'report.csv');
    const api = fakeApi([json(200, VIEW), file]);
    const answer = await regulatoryReport({ ...API, fetch: api.fetch, businessDate: '2026-11-30', run: false, restart: false, format: 'csv', out });
    expect(api.calls[1]?.url).toBe('https://api.colend.test/v1/regulatory-reports/2026-11-30?format=csv');
    expect(readFileSync(out)).toEqual(csv);
    expect(formatRegulatoryReport('2026-11-30', answer).at(-1)).toBe(`saved ${out} (${csv.length} bytes)`);
  });
});
