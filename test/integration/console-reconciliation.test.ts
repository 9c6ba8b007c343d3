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
 * The console's reconciliation panels in headless Chromium, on a stack of its own whose clock the
 * test moves (the browser's clock moved with it): a loan of the demo story's lenders booked and
 * repaid on Wednesday 2026-12-02 and settled that night; bank B's file, sent through the API, is a
 * fen of interest above ours. On Thursday a platform finance user uploads bank A's file through the
 * console (a fen of interest below ours), proposes the adjustment its break suggests, cannot
 * approve it, and another finance user does; the break is resolved and Thursday's run pays the
 * fen. A partner bank's finance user sees only its own lender's reconciliations, breaks and files.
 */
let stack: LocalStack;
let browser: Browser;
let page: Page;
const DATE = '2026-12-02';
const NEXT = '2026-12-03';
const ids = { lead: 'XH_LEAD', bankA: 'JN_RCB', bankB: 'LS_IB', guarantor: 'AX_GUAR', programId: 'RECON_PROG' };
const SCREENSHOTS = join(REPOSITORY_ROOT, 'test', 'output', 'console');
const HEADER =
  'business_date|lender_id|loan_id|event_type|event_id|value_date|booked_on|currency|principal_amount|interest_amount|penalty_amount|fee_amount|suspense_amount|guarantee_amount|loss_amount|total_amount|corrects_entry';
// Each bank's part of instalment 1 as the settlement's own file says: 237.87 principal, 27.00 interest.
const row = (lenderId: string, interest: string, total: string) => `${DATE}|${lenderId}|CR-LOAN-1|REPAYMENT|CR-R-1|${DATE}|${DATE}|CNY|237.87|${interest}|0.00|0.00|0.00|0.00|0.00|${total}|`;
let finance = '';

const call = <T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown) => apiCall<T>(stack.baseUrl, method, path, token, body);

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} never came`);
}

/** Settles a date after its 22:00 cut-off (Beijing time) and waits for the run. */
async function settle(businessDate: string): Promise<void> {
  stack.setTime(`${businessDate}T15:00:00.000Z`);
  expect((await call('POST', '/v1/settlement-runs', finance, { businessDate })).status).toBe(202);
  await until(() => call<{ run?: { status: string } }>('GET', `/v1/settlement-runs/${businessDate}`, finance), (r) => r.json?.run?.status === 'SETTLED', `the run of ${businessDate}`);
}

let bankBReconciliation = '';

beforeAll(async () => {
  let lead: string;
  ({ browser, stack, lead, finance } = await startConsoleStack());
  await bookAndRepay(call, lead, ids, { loanId: 'CR-LOAN-1', repaymentId: 'CR-R-1', valueDate: DATE });
  await settle(DATE);
  // Bank B's records, through the API: a fen of interest more than ours.
  const bankBFile = `${HEADER}\n${row(ids.bankB, '27.01', '264.88')}\n`;
  const sha256 = createHash('sha256').update(bankBFile).digest('hex');
  const upload = await call<{ uploadId: string; url: string; headers: Record<string, string> }>('POST', '/v1/reconciliation-uploads', finance, { fileName: 'repayment_detail_20261202.txt', sha256 });
  expect((await fetch(upload.json.url, { method: 'PUT', headers: upload.json.headers, body: bankBFile })).status).toBe(200);
  const started = await call<{ reconciliationId: string }>('POST', '/v1/reconciliations', finance, { uploadId: upload.json.uploadId, type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: ids.bankB });
  expect(started.status).toBe(202);
  bankBReconciliation = started.json.reconciliationId;
  await until(() => call<{ status: string }>('GET', `/v1/reconciliations/${bankBReconciliation}`, finance), (r) => r.json.status === 'REPORTED', 'bank B reconciled');
  stack.setTime('2026-12-03T02:00:00.000Z'); // Thursday, 10:00 in Beijing
  mkdirSync(SCREENSHOTS, { recursive: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 1400 }, acceptDownloads: true });
  await page.goto(consoleUrl(stack.baseUrl, stack.localToken)); // the link npm start prints: the local sign-in's cookie
  await page.clock.setFixedTime(new Date('2026-12-03T02:00:00.000Z'));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(username: string, date = DATE): Promise<void> {
  await page.goto(`${stack.baseUrl}/console/#${date}`);
  if ((await page.locator('#sign-out').count()) > 0) {
    await page.click('#sign-out');
  }
  await page.click(`button[data-user="${username}"]`);
  await viewOf(page, date);
}

const texts = (selector: string) => page.locator(selector).allInnerTexts();
const cells = (selector: string) => page.locator(selector).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll(':scope > td')].map((td) => (td as unknown as { innerText: string }).innerText)));
const breakA = () => page.locator(`#breaks tr[data-break]`, { has: page.locator('td', { hasText: ids.bankA }) });

describe("the finance console's reconciliation panels", () => {
  it("uploads bank A's file from the console and shows the date's reconciliations with their breaks by kind and age", async () => {
    await signIn('fin.wang');
    expect(await cells('#reconciliations tbody tr')).toEqual([['合作方还款明细', ids.bankB, '已出报告', '0 笔 · —', '金额不符 1', '0-1 1', 'CNY 0.01', '—', 'CSVXLSX']]);
    const form = page.locator('#reconciliations form.upload');
    expect(await form.locator('select[name="type"] option').evaluateAll((os) => os.map((o) => o.getAttribute('value')))).toEqual(['ESCROW_STATEMENT', 'PARTNER_REPAYMENTS', 'PARTNER_LOANS']);
    await form.locator('select[name="type"]').selectOption('PARTNER_REPAYMENTS');
    // Nothing is sent without a file.
    await form.locator('button[type="submit"]').click();
    expect(await form.locator('.error').innerText()).toBe('文件：必填。');
    await form.locator('input[name="lenderId"]').fill(ids.bankA);
    await form.locator('input[type="file"]').setInputFiles({ name: 'repayment_detail_20261202.txt', mimeType: 'text/plain', buffer: Buffer.from(`${HEADER}\n${row(ids.bankA, '26.99', '264.86')}\n`) });
    await form.locator('button[type="submit"]').click();
    await page.waitForSelector(`#reconciliations tr[data-reconciliation^="RC-20261202-PARTNER_REPAYMENTS-${ids.bankA}-"] [data-status="REPORTED"]`);
    await viewOf(page, DATE);
    expect(await cells(`#reconciliations tr[data-reconciliation^="RC-20261202-PARTNER_REPAYMENTS-${ids.bankA}-"]`)).toEqual([['合作方还款明细', ids.bankA, '已出报告', '0 笔 · —', '金额不符 1', '0-1 1', 'CNY -0.01', '—', 'CSVXLSX']]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#reconciliations tr[data-reconciliation^="RC-20261202-PARTNER_REPAYMENTS-${ids.bankA}-"] a[data-export="csv"]`)]);
    expect(download.suggestedFilename()).toMatch(/^reconciliation_RC-20261202-PARTNER_REPAYMENTS-JN_RCB-[0-9a-f]{12}\.csv$/);
    expect(readFileSync((await download.path())!, 'utf8')).toContain('AMOUNT_MISMATCH,INTEREST,CR-LOAN-1|CR-R-1,CNY,27.00,26.99,-0.01');
  });

  it("lists the breaks to the fen with their age, refuses an acceptance without a reason before calling, and charts the open ones by age", async () => {
    expect(await cells('#breaks tbody tr').then((rows) => rows.map((r) => r.slice(0, 9)).sort())).toEqual([
      // Bank A's break was found this morning, bank B's last night: ages 0 and 1.
      ['金额不符 · 利息', ids.bankA, 'CR-LOAN-1|CR-R-1', '27.00', '26.99', '-0.01', '0', '未处理', '—'],
      ['金额不符 · 利息', ids.bankB, 'CR-LOAN-1|CR-R-1', '27.00', '27.01', '0.01', '1', '未处理', '—'],
    ]);
    await breakA().locator('button[data-action="accept"]').click();
    expect(await breakA().locator('.error').innerText()).toBe('原因：必填。');
    const breaks = await call<{ items: { lenderId: string; state: string }[] }>('GET', `/v1/breaks?lender=${ids.bankA}`, finance);
    expect(breaks.json.items.map((b) => b.state)).toEqual(['OPEN']);
    expect(await cells('#breaks-by-age .age-table tbody tr')).toEqual([
      [ids.bankA, '1', '0', '0', '0', '0'],
      [ids.bankB, '1', '0', '0', '0', '0'],
    ]);
    await page.waitForSelector('#breaks-by-age .chart canvas');
    expect(await texts('#breaks-by-age .u-legend .u-series:not(:first-child) .u-label')).toEqual([ids.bankA, ids.bankB]);
    // Filtered by state: no break is being investigated yet.
    await page.selectOption('#breaks select[name="state"]', 'INVESTIGATING');
    await page.click('#breaks form.break-filter button[type="submit"]');
    await page.waitForSelector('#breaks .empty');
    expect(await page.locator('#breaks .empty').innerText()).toBe('没有符合条件的差异。');
    await page.selectOption('#breaks select[name="state"]', '');
    await page.click('#breaks form.break-filter button[type="submit"]');
    await page.waitForSelector('#breaks tr[data-break]');
  });

  it('proposes the adjustment the break suggests, and its maker cannot approve it', async () => {
    await breakA().locator('button[data-action="propose"]').click();
    const form = page.locator('#proposal form.proposal');
    const value = (name: string) => form.locator(`[name="${name}"]`).inputValue();
    expect([await value('loanId'), await value('lenderId'), await value('counterparty'), await value('component'), await value('direction'), await value('amount')]).toEqual([
      'CR-LOAN-1',
      ids.bankA,
      'ESCROW',
      'INTEREST',
      'LENDER_OWES_COUNTERPARTY',
      '0.01',
    ]);
    await form.locator('button[type="submit"]').click();
    expect(await form.locator('.error').innerText()).toBe('原因：必填。');
    await form.locator('[name="amount"]').fill('0.001');
    await form.locator('[name="reason"]').fill('我方利息多计一分 Interest a fen above bank A');
    await form.locator('button[type="submit"]').click();
    expect(await form.locator('.error').innerText()).toBe('金额：须为大于零的金额，最多 2 位小数。');
    await form.locator('[name="amount"]').fill('0.01');
    await form.locator('button[type="submit"]').click();
    await page.waitForSelector('#adjustments tr[data-adjustment]');
    expect(await cells('#adjustments tbody tr').then((rows) => rows.map((r) => r.slice(1, 9)))).toEqual([
      ['CR-LOAN-1', ids.bankA, 'ESCROW', '利息', '机构应付对手方', '0.01', expect.stringMatching(/^fin\.wang\n2026-12-03 02:0\d:\d\d$/), '我方利息多计一分 Interest a fen above bank A'],
    ]);
    const approve = page.locator('#adjustments tr[data-adjustment] button[data-action="approve"]');
    expect(await approve.isDisabled()).toBe(true);
    expect(await page.locator('#adjustments tr[data-adjustment] button[data-action="reject"]').innerText()).toBe('撤回');
    // Forced anyway, the API refuses it and the console shows its answer as it came.
    await approve.evaluate((b) => b.removeAttribute('disabled'));
    await page.fill('#adjustments tr[data-adjustment] input[name="reason"]', 'Checked it myself');
    await approve.click();
    await page.waitForSelector('#adjustments tr[data-adjustment] .error:not(:empty)');
    expect(await page.locator('#adjustments tr[data-adjustment] .error').innerText()).toMatch(/^操作失败：MAKER_CANNOT_APPROVE: /);
    expect((await call<{ state: string }>('GET', `/v1/breaks?lender=${ids.bankA}`, finance)).json).toMatchObject({ items: [{ state: 'OPEN' }] });
  });

  it('another finance user approves it: the break is resolved, with the adjustment in its history', async () => {
    await signIn('fin.li');
    const row = page.locator('#adjustments tr[data-adjustment]');
    expect(await row.locator('button[data-action="approve"]').isDisabled()).toBe(false);
    expect(await row.locator('button[data-action="reject"]').innerText()).toBe('拒绝');
    await row.locator('input[name="reason"]').fill('与合作方文件一致 Agrees with bank A');
    await row.locator('button[data-action="approve"]').click();
    await page.waitForSelector('#adjustments .empty');
    await page.click('#adjustments button[data-tab="APPROVED"]');
    await page.waitForSelector('#adjustments tr[data-adjustment]');
    expect(await page.locator('#adjustments tr[data-adjustment] .decision').innerText()).toMatch(/^fin\.li 于 2026-12-03 02:0\d:\d\d 批准：与合作方文件一致 Agrees with bank A$/);
    expect(await breakA().locator('[data-state]').getAttribute('data-state')).toBe('RESOLVED');
    expect(await breakA().locator('button[data-action]').count()).toBe(0);
    await breakA().locator('button.history-toggle').click();
    await page.waitForSelector('#breaks tr[data-break] .history:not([hidden]) li');
    expect((await breakA().locator('.history li').allInnerTexts()).at(-1)).toMatch(/^2026-12-03 02:0\d:\d\d fin\.li：由未处理转为已解决 与合作方文件一致 Agrees with bank A ADJ-20261202-[0-9A-F]{12}$/);
    expect(await cells('#breaks-by-age .age-table tbody tr')).toEqual([[ids.bankB, '1', '0', '0', '0', '0']]);
  });

  it("settles the next business date with the adjustment's instruction to the fen", async () => {
    await settle(NEXT);
    await page.fill('#business-date', NEXT);
    await page.click('.date-picker button[type="submit"]');
    await viewOf(page, NEXT);
    const rows = await cells('#instructions tbody tr');
    expect(rows.map((r) => r.slice(0, 5))).toEqual([['SI-20261203-RECON_PROG-JN_RCB-ESCROW', ids.bankA, 'ESCROW', '0.01', '利息 0.01']]);
  });

  it("shows a partner bank's finance user only its own lender's reconciliations, breaks and files, with no action", async () => {
    await signIn('jn.chen');
    expect(await page.locator('#who').innerText()).toBe('jn.chen · 财务 · JN_RCB');
    expect(await cells('#reconciliations tbody tr').then((rows) => rows.map((r) => r.slice(0, 3)))).toEqual([['合作方还款明细', ids.bankA, '已出报告']]);
    expect(await page.locator('#breaks tr[data-break]').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td:nth-child(2)')?.textContent))).toEqual([ids.bankA]);
    expect(await page.locator('#breaks button[data-action]').count()).toBe(0);
    expect(await page.locator('#files .lender-files').evaluateAll((divs) => divs.map((d) => d.getAttribute('data-lender')))).toEqual([ids.bankA]);
    const form = page.locator('#reconciliations form.upload');
    expect(await form.locator('select[name="type"] option').evaluateAll((os) => os.map((o) => o.getAttribute('value')))).toEqual(['PARTNER_REPAYMENTS', 'PARTNER_LOANS']);
    expect([await form.locator('input[name="lenderId"]').inputValue(), await form.locator('input[name="lenderId"]').getAttribute('readonly')]).toEqual([ids.bankA, '']);
    await page.click('#adjustments button[data-tab="APPROVED"]');
    await page.waitForSelector('#adjustments tr[data-adjustment]');
    expect(await page.locator('#adjustments button[data-action]').count()).toBe(0);
    expect(await cells('#breaks-by-age .age-table tbody tr')).toEqual([]);
    // Its token reaches no reconciliation of another lender's, whatever the page asks.
    const other = await page.evaluate(async (id) => {
      const session = JSON.parse(sessionStorage.getItem('colend.console.session') ?? '{}') as { accessToken: string };
      return (await fetch(`/v1/reconciliations/${id}`, { headers: { authorization: `Bearer ${session.accessToken}` } })).status;
    }, bankBReconciliation);
    expect(other).toBe(404);
  });

  it('switches to English and back, and shows the Chinese headings of the reconciliation panels', async () => {
    const headings = () => texts('#reconciliation h3, #breaks-by-age h2');
    await page.click('#language');
    expect(await headings()).toEqual(['Open breaks by age', 'Reconciliations', 'Breaks by kind and age', 'Adjustments (maker-checker)']);
    await page.click('#language');
    expect(await headings()).toEqual(['未结差异账龄', '对账结果', '差异（按类型与账龄）', '调整审批']);
    for (const heading of await page.locator('#reconciliation h3, #breaks-by-age h2').all()) expect(await heading.isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'reconciliation-zh.png'), fullPage: true });
  });
});
