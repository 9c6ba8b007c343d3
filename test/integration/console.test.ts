import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../infra/local/issuer.ts';
import { consoleUrl } from '../../infra/local/console-site.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import { viewOf } from '../support/browser.ts';
import { apiCall, bookAndRepay, startConsoleStack } from './support/console-world.ts';

/**
 * The finance console in headless Chromium on a stack of its own, whose clock the test moves: the
 * demo story's lenders, one loan booked and repaid on Wednesday 2026-12-02 and settled after that
 * day's cut-off; then the platform's finance users and a partner bank's finance user sign in.
 * Screenshots go to test/output/console/ (not kept in git).
 */
let stack: LocalStack;
let browser: Browser;
let page: Page;
const DATE = '2026-12-02';
const ids = { lead: 'XH_LEAD', bankA: 'JN_RCB', bankB: 'LS_IB', guarantor: 'AX_GUAR', programId: 'CONSOLE_PROG' };
const SCREENSHOTS = join(REPOSITORY_ROOT, 'test', 'output', 'console');
let finance = '';

const call = <T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown) => apiCall<T>(stack.baseUrl, method, path, token, body);

interface RunView {
  run: { status: string };
  instructions: { instructionId: string; executed: { bankReference: string; recordedBy: string } | null }[];
}

beforeAll(async () => {
  let lead: string;
  ({ browser, stack, lead, finance } = await startConsoleStack());
  await bookAndRepay(call, lead, ids, { loanId: 'C-LOAN-1', repaymentId: 'C-R-1', valueDate: DATE });
  stack.setTime('2026-12-02T15:00:00.000Z'); // 23:00 in Beijing, after the cut-off
  expect((await call('POST', '/v1/settlement-runs', finance, { businessDate: DATE })).status).toBe(202);
  for (let i = 0; i < 600 && (await call<RunView>('GET', `/v1/settlement-runs/${DATE}`, finance)).json?.run?.status !== 'SETTLED'; i++) await new Promise((r) => setTimeout(r, 100));
  mkdirSync(SCREENSHOTS, { recursive: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, acceptDownloads: true });
  await page.goto(consoleUrl(stack.baseUrl, stack.localToken)); // the link npm start prints: the local sign-in's cookie
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(username: string): Promise<void> {
  await page.goto(`${stack.baseUrl}/console`);
  await page.click(`button[data-user="${username}"]`);
  await viewOf(page, DATE);
}

const texts = (selector: string) => page.locator(selector).allInnerTexts();

describe('the finance console', () => {
  it('lists the local users on its sign-in page, in Chinese', async () => {
    await page.goto(`${stack.baseUrl}/console`);
    expect(page.url()).toBe(`${stack.baseUrl}/console/`);
    await page.waitForSelector('#sign-in button[data-user]');
    expect(await page.locator('#sign-in h2').innerText()).toBe('登录');
    expect(await page.locator('#sign-in button[data-user]').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-user')))).toEqual(['fin.wang', 'fin.li', 'ops.zhao', 'jn.chen', 'ls.zhou', 'hx.sun']);
    expect(await page.locator('button[data-user="jn.chen"]').innerText()).toBe('陈静 jn.chen 财务 · JN_RCB');
  });

  it('signs a platform finance user in at the latest settled date: the run and its instructions to the fen', async () => {
    await signIn('fin.wang');
    expect(await page.locator('#who').innerText()).toBe('fin.wang · 财务 · 平台');
    expect(await page.locator('#latest-settled').innerText()).toBe(`最近已结算：${DATE}`);
    expect(await texts('#run .facts dd')).toEqual(['已结算', '1', DATE, '2', '3', '36', expect.stringMatching(/^2026-12-0[23] \d\d:\d\d:\d\d$/)]);
    const rows = await page.locator('#instructions tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 6).map((td) => (td as unknown as { innerText: string }).innerText)));
    expect(rows).toEqual([
      ['SI-20261202-CONSOLE_PROG-JN_RCB-ESCROW', 'JN_RCB', 'ESCROW', '2,735.14', '本金 2,762.14 · 利息 -27.00', '2026-12-03'],
      ['SI-20261202-CONSOLE_PROG-LS_IB-ESCROW', 'LS_IB', 'ESCROW', '2,735.14', '本金 2,762.14 · 利息 -27.00', '2026-12-03'],
      ['SI-20261202-CONSOLE_PROG-XH_LEAD-ESCROW', 'XH_LEAD', 'ESCROW', '3,646.86', '本金 3,682.86 · 利息 -36.00', '2026-12-03'],
    ]);
  });

  it('shows the business date picked, and says when it has no run', async () => {
    await page.fill('#business-date', '2026-12-01');
    await page.click('.date-picker button[type="submit"]');
    await viewOf(page, '2026-12-01');
    expect(page.url()).toBe(`${stack.baseUrl}/console/#2026-12-01`);
    expect(await page.locator('#run .empty').innerText()).toBe('2026-12-01 没有结算批次。');
    expect(await page.locator('#files .empty').innerText()).toBe('本日无文件。');
    await page.fill('#business-date', DATE);
    await page.click('.date-picker button[type="submit"]');
    await viewOf(page, DATE);
    expect(await page.locator('#instructions tbody tr').count()).toBe(3);
  });

  it("lists every lender's files for download, and downloads one as the API serves it", async () => {
    expect(await page.locator('#files .lender-files').evaluateAll((divs) => divs.map((d) => d.getAttribute('data-lender')))).toEqual([ids.guarantor, ids.bankA, ids.bankB, ids.lead]);
    const own = await page.locator(`#files [data-lender="${ids.bankA}"] a`).allInnerTexts();
    expect(own).toEqual([
      'settlement_summary_20261202.txt',
      'repayment_detail_20261202.txt',
      'loan_master_20261202.txt',
      'disbursement_detail_20261202.txt',
      'repayment_schedule_20261202.txt',
      'compensation_20261202.txt',
      'trial_balance_20261202.txt',
      'control_20261202.txt',
      '20261202.ok',
    ]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#files [data-lender="${ids.bankA}"] a[data-file="repayment_detail_20261202.txt"]`)]);
    expect(download.suggestedFilename()).toBe('repayment_detail_20261202.txt');
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text.split('\n')[1]).toBe('2026-12-02|JN_RCB|C-LOAN-1|REPAYMENT|C-R-1|2026-12-02|2026-12-02|CNY|237.87|27.00|0.00|0.00|0.00|0.00|0.00|264.87|');
  });

  it('draws the collections of each lender, and says the date has no reconciliation, break or adjustment yet', async () => {
    await page.waitForSelector('#collections .chart canvas');
    expect(await page.locator('#collections .chart').getAttribute('data-series')).toBe('3');
    expect(await texts('#collections .u-legend .u-series:not(:first-child) .u-label')).toEqual(['JN_RCB CNY', 'LS_IB CNY', 'XH_LEAD CNY']);
    expect(await texts('#reconciliation h3')).toEqual(['对账结果', '差异（按类型与账龄）', '调整审批']);
    expect(await texts('#reconciliation .empty')).toEqual([`${DATE} 没有对账。`, '没有符合条件的差异。', '没有调整。']);
    expect(await texts('#breaks-by-age h2, #breaks-by-age .empty')).toEqual(['未结差异账龄', '没有未结差异。']);
  });

  it('renders in Chinese by default, with a screenshot, and switches to English and back', async () => {
    const heading = page.locator('#run h2');
    expect(await heading.innerText()).toBe('结算批次');
    expect(await heading.isVisible()).toBe(true);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.screenshot({ path: join(SCREENSHOTS, 'settlement-zh.png'), fullPage: true });
    await page.click('#language');
    expect(await heading.innerText()).toBe('Settlement run');
    expect(await texts('#run .facts dd').then((dd) => dd[0])).toBe('Settled');
    expect(await page.locator('#instructions tbody tr').first().locator('td').nth(4).innerText()).toBe('Principal 2,762.14 · Interest -27.00');
    await page.screenshot({ path: join(SCREENSHOTS, 'settlement-en.png'), fullPage: true });
    await page.click('#language');
    expect(await heading.innerText()).toBe('结算批次');
  });

  it("records an executed transfer's bank reference as the signed-in user", async () => {
    const row = page.locator('#instructions tr[data-instruction="SI-20261202-CONSOLE_PROG-JN_RCB-ESCROW"]');
    await row.locator('input[name="bankReference"]').fill('CMB-20261203-0001');
    // Executed that afternoon: an execution is a thing done, never recorded for a day that has not come.
    await row.locator('input[name="executedAt"]').fill('2026-12-02T13:00:00');
    await row.locator('button[type="submit"]').click();
    await page.waitForSelector('#instructions tr[data-instruction="SI-20261202-CONSOLE_PROG-JN_RCB-ESCROW"] .executed');
    expect(await page.locator('#instructions tr[data-instruction="SI-20261202-CONSOLE_PROG-JN_RCB-ESCROW"] .executed strong').innerText()).toBe('CMB-20261203-0001');
    const view = await call<RunView>('GET', `/v1/settlement-runs/${DATE}`, finance);
    expect(view.json.instructions.find((i) => i.instructionId === 'SI-20261202-CONSOLE_PROG-JN_RCB-ESCROW')?.executed).toMatchObject({ bankReference: 'CMB-20261203-0001', recordedBy: 'fin.wang' });
    // A second finance user sees it recorded, by whom, and nothing left to record on that row.
    await page.click('#sign-out');
    await signIn('fin.li');
    expect(await page.locator('#who').innerText()).toBe('fin.li · 财务 · 平台');
    const recorded = page.locator('#instructions tr[data-instruction="SI-20261202-CONSOLE_PROG-JN_RCB-ESCROW"]');
    expect(await recorded.locator('.executed').innerText()).toMatch(/^CMB-20261203-0001 fin\.wang 于 2026-12-02 \d\d:00:00 登记$/);
    expect(await recorded.locator('form').count()).toBe(0);
    expect(await page.locator('#instructions form.record').count()).toBe(2);
  });

  it("shows a partner bank's finance user only its own lender's files and figures", async () => {
    await page.click('#sign-out');
    await signIn('jn.chen');
    expect(await page.locator('#who').innerText()).toBe('jn.chen · 财务 · JN_RCB');
    expect(await texts('#run .facts dd')).toEqual(['已结算', '1', DATE, expect.stringMatching(/^2026-12-0[23] \d\d:\d\d:\d\d$/), '264.87 CNY (本金 237.87 · 利息 27.00)']);
    expect(await page.locator('#run > p.muted').innerText()).toBe('付款指令与其他机构的数据仅对平台团队开放。');
    expect(await page.locator('#instructions').count()).toBe(0);
    expect(await page.locator('#files .lender-files').evaluateAll((divs) => divs.map((d) => d.getAttribute('data-lender')))).toEqual([ids.bankA]);
    // Its 9 files and the CSV and XLSX copies for people of its 7 data files (the control file and the marker have none).
    expect(await page.locator(`#files [data-lender="${ids.bankA}"] a`).count()).toBe(23);
    const [copy] = await Promise.all([page.waitForEvent('download'), page.click(`#files [data-lender="${ids.bankA}"] a[data-file="human/trial_balance_20261202.xlsx"]`)]);
    expect(copy.suggestedFilename()).toBe('trial_balance_20261202.xlsx');
    expect(readFileSync((await copy.path())!).subarray(0, 2).toString('latin1')).toBe('PK');
    await page.waitForSelector('#collections .chart canvas');
    expect(await texts('#collections .u-legend .u-series:not(:first-child) .u-label')).toEqual(['JN_RCB CNY']);
    await page.screenshot({ path: join(SCREENSHOTS, 'partner-zh.png'), fullPage: true });
    // Its token reaches nothing of another lender's, whatever the page asks.
    const other = await page.evaluate(async (date) => {
      const session = JSON.parse(sessionStorage.getItem('colend.console.session') ?? '{}') as { accessToken: string };
      const headers = { authorization: `Bearer ${session.accessToken}` };
      return [(await fetch(`/v1/lenders/LS_IB/statements/${date}`, { headers })).status, (await fetch(`/v1/settlement-runs/${date}`, { headers })).status];
    }, DATE);
    expect(other).toEqual([404, 403]);
  });

  it("signs in through the hosted login in AWS's configuration: authorization code with PKCE, the code exchanged for a token", async () => {
    const login = 'https://login.colend.example';
    const accessToken = await stack.mintToken({ scopes: ['finance'], username: 'fin.li', clientId: 'console-client' });
    const context = await browser.newContext();
    const hosted = await context.newPage();
    // The page as CloudFront serves it: its config.json names the stage's API and hosted login, its policy lets it call them.
    await hosted.route(/\/console\/(\?.*)?$/, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': `default-src 'self'; connect-src 'self' ${login}; img-src 'self' data: blob:` } });
    });
    const config = { signIn: 'cognito', apiUrl: stack.baseUrl, authorizeUrl: `${login}/oauth2/authorize`, tokenUrl: `${login}/oauth2/token`, logoutUrl: `${login}/logout`, clientId: 'console-client', scopes: ['openid', 'colend/finance'] };
    await hosted.route(`${stack.baseUrl}/console/config.json`, (route) => route.fulfill({ json: config }));
    let authorize = new URLSearchParams();
    // The hosted login: the user signs in there, and it sends the browser back with a code.
    await hosted.route(`${login}/oauth2/authorize?*`, (route) => {
      authorize = new URL(route.request().url()).searchParams;
      const back = `${authorize.get('redirect_uri')}?code=CODE-1&state=${authorize.get('state')}`;
      return route.fulfill({ contentType: 'text/html', body: `<script>location.replace(${JSON.stringify(back)})</script>` });
    });
    let exchange = new URLSearchParams();
    await hosted.route(`${login}/oauth2/token`, (route) => {
      exchange = new URLSearchParams(route.request().postData() ?? '');
      return route.fulfill({ json: { access_token: accessToken, id_token: 'unused', token_type: 'Bearer', expires_in: 3600 }, headers: { 'access-control-allow-origin': stack.baseUrl } });
    });
    await hosted.goto(`${stack.baseUrl}/console/`);
    await viewOf(hosted, DATE);
    expect(Object.fromEntries([...authorize].filter(([k]) => !['state', 'code_challenge'].includes(k)))).toEqual({
      response_type: 'code',
      client_id: 'console-client',
      redirect_uri: `${stack.baseUrl}/console/`,
      scope: 'openid colend/finance',
      code_challenge_method: 'S256',
    });
    expect(Object.fromEntries([...exchange].filter(([k]) => k !== 'code_verifier'))).toEqual({ grant_type: 'authorization_code', client_id: 'console-client', code: 'CODE-1', redirect_uri: `${stack.baseUrl}/console/` });
    expect(createHash('sha256').update(exchange.get('code_verifier') ?? '').digest('base64url')).toBe(authorize.get('code_challenge'));
    expect(await hosted.locator('#who').innerText()).toBe('fin.li · 财务 · 平台');
    expect(hosted.url()).toBe(`${stack.baseUrl}/console/#${DATE}`);
    expect(await hosted.locator('#instructions tbody tr').count()).toBe(3);
    await context.close();
  });
});
