import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReconcile, reconcile } from '../../infra/cli/reconcile.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { localTemplate } from './support/stack.ts';
import { createParties, loanBody, uniqueKey } from './support/world.ts';

/**
 * Reconciliation on a stack of its own, whose clock the test moves: a loan booked and repaid on
 * Wednesday 2026-12-02; a partner's file sent before the date is settled waits for it, and the
 * settlement of the date reconciles it.
 */
let stack: LocalStack;
let dir: string;
const ids = { lead: 'RC_LEAD', bankA: 'RC_BANKA', bankB: 'RC_BANKB', guarantor: 'RC_GUAR', programId: 'RC_PROG' };
const tokens: Record<'lead' | 'finance' | 'bankA' | 'bankB', string> = { lead: '', finance: '', bankA: '', bankB: '' };
const HEADER =
  'business_date|lender_id|loan_id|event_type|event_id|value_date|booked_on|currency|principal_amount|interest_amount|penalty_amount|fee_amount|suspense_amount|guarantee_amount|loss_amount|total_amount|corrects_entry';
// Bank A's part of instalment 1: 237.87 principal and 27.00 interest (the settlement's own file says so).
const ROW = '2026-12-02|RC_BANKA|RC-LOAN-1|REPAYMENT|RC-R-1|2026-12-02|2026-12-02|CNY|237.87|27.00|0.00|0.00|0.00|0.00|0.00|264.87|';

async function call<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: T; text: string; bytes: Buffer }> {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': uniqueKey('rc') }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json: json as T, text, bytes };
}

interface View {
  reconciliationId: string;
  status: string;
  counts: { ours: number; theirs: number; matched: number; matchedOnAmount: number; breaks: number } | null;
  matchedMinor: Record<string, string>;
  errors: { line: number; field: string; rule: string }[];
}

/** Uploads a file's text and starts its reconciliation; the id. */
async function send(token: string, text: string, request: Record<string, unknown>): Promise<string> {
  const sha256 = createHash('sha256').update(text).digest('hex');
  const upload = await call<{ uploadId: string; url: string; method: string; headers: Record<string, string> }>('POST', '/v1/reconciliation-uploads', token, { fileName: 'repayment_detail_20261202.txt', sha256 });
  expect(upload.status).toBe(201);
  expect(upload.json.headers).toEqual({ 'x-amz-checksum-sha256': createHash('sha256').update(text).digest('base64') });
  // The URL takes only these bytes, with the checksum header it signs, as the files bucket's presigned URL does.
  expect((await fetch(upload.json.url, { method: 'PUT', body: text })).status).toBe(403);
  expect((await fetch(upload.json.url, { method: 'PUT', headers: upload.json.headers, body: `${text}\n` })).status).toBe(400);
  expect((await fetch(upload.json.url, { method: 'PUT', headers: upload.json.headers, body: text })).status).toBe(200);
  const started = await call<{ reconciliationId: string }>('POST', '/v1/reconciliations', token, { uploadId: upload.json.uploadId, ...request });
  expect(started.status, started.text).toBe(202);
  return started.json.reconciliationId;
}

async function until(token: string, id: string, status: string): Promise<View> {
  for (let i = 0; i < 600; i++) {
    const read = await call<View>('GET', `/v1/reconciliations/${id}`, token);
    if (read.status === 200 && read.json.status === status) return read.json;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${id} never became ${status}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'colend-reconcile-it-'));
  stack = await startLocalStack({ port: 0, runSchedules: false, template: localTemplate(), log: () => undefined });
  stack.setTime('2026-12-02T02:00:00.000Z'); // Wednesday, 10:00 in Beijing
  tokens.lead = await stack.mintToken({ scopes: ['lead'] });
  tokens.finance = await stack.mintToken({ scopes: ['finance'] });
  tokens.bankA = await stack.mintToken({ scopes: ['partner'], lenderId: ids.bankA });
  tokens.bankB = await stack.mintToken({ scopes: ['partner'], lenderId: ids.bankB });
  await createParties((path, body) => call('POST', path, tokens.lead, body), ids);
  expect((await call('POST', '/v1/loans', tokens.lead, loanBody(ids, 'RC-LOAN-1'))).status).toBe(201);
  const paid = await call<{ results: { status: string }[] }>('POST', '/v1/repayments', tokens.lead, {
    repayments: [{ repaymentId: 'RC-R-1', loanId: 'RC-LOAN-1', amountMinor: '88289', currency: 'CNY', valueDate: '2026-12-02', channel: 'AUTO_DEBIT' }],
  });
  expect(paid.json.results[0]?.status).toBe('BOOKED');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('reconciliation', () => {
  let early = '';

  it("waits with a partner's file until its date is settled, and the settlement reconciles it: no break", async () => {
    early = await send(tokens.bankA, `${HEADER}\n${ROW}\n`, { type: 'PARTNER_REPAYMENTS', businessDate: '2026-12-02' });
    await until(tokens.bankA, early, 'WAITING');
    stack.setTime('2026-12-02T15:00:00.000Z'); // 23:00 in Beijing
    expect((await call('POST', '/v1/settlement-runs', tokens.finance, { businessDate: '2026-12-02' })).status).toBe(202);
    const view = await until(tokens.bankA, early, 'REPORTED');
    expect(view.counts).toEqual({ ours: 1, theirs: 1, matched: 1, matchedOnAmount: 0, breaks: 0 });
    expect(view.matchedMinor).toEqual({ CNY: '26487' });
    expect((await call('GET', `/v1/reconciliations/${early}`, tokens.bankB)).status).toBe(404);
  });

  it('finds a fen of interest as a break of bank A that bank B never sees, and exports it', async () => {
    const id = await send(tokens.finance, `${HEADER}\n${ROW.replace('|27.00|', '|26.99|').replace('|264.87|', '|264.86|')}\n`, { type: 'PARTNER_REPAYMENTS', businessDate: '2026-12-02', lenderId: ids.bankA });
    const view = await until(tokens.finance, id, 'REPORTED');
    expect(view.counts).toEqual({ ours: 1, theirs: 1, matched: 0, matchedOnAmount: 0, breaks: 1 });
    const breaks = await call<{ items: { kind: string; component: string; oursMinor: string; theirsMinor: string; differenceMinor: string; lenderId: string; state: string }[] }>(
      'GET',
      `/v1/breaks?lender=${ids.bankA}&state=OPEN`,
      tokens.bankA,
    );
    expect(breaks.json.items.map((b) => [b.kind, b.component, b.oursMinor, b.theirsMinor, b.differenceMinor, b.lenderId, b.state])).toEqual([['AMOUNT_MISMATCH', 'INTEREST', '2700', '2699', '-1', ids.bankA, 'OPEN']]);
    expect((await call<{ items: unknown[] }>('GET', `/v1/breaks?lender=${ids.bankA}`, tokens.bankB)).json.items).toEqual([]);
    const xlsx = await call('GET', `/v1/reconciliations/${id}/export?format=xlsx`, tokens.finance);
    expect(xlsx.status).toBe(200);
    expect(xlsx.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    const csv = await call('GET', `/v1/breaks/export?lender=${ids.bankA}&format=csv`, tokens.bankA);
    expect(csv.text).toContain('差异编号 break_id');
    expect(csv.text).toContain('AMOUNT_MISMATCH,INTEREST,RC-LOAN-1|RC-R-1,CNY,27.00,26.99,-0.01');
  });

  it("reconciles bank A's loan master as the settlement wrote it with no break, and finds the class and the share it states otherwise", async () => {
    const ours = await call('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02/loan_master_20261202.txt`, tokens.bankA);
    expect(ours.status).toBe(200);
    const [header, row, ...more] = ours.text.trimEnd().split('\n');
    expect(more).toEqual([]);
    const cells = row!.split('|');
    const at = (column: string): number => header!.split('|').indexOf(column);
    expect(cells[at('loan_id')]).toBe('RC-LOAN-1');
    const clean = await send(tokens.bankA, ours.text, { type: 'PARTNER_LOANS', businessDate: '2026-12-02' });
    const view = await until(tokens.bankA, clean, 'REPORTED');
    expect(view.counts).toEqual({ ours: 1, theirs: 1, matched: 1, matchedOnAmount: 0, breaks: 0 });
    expect(view.matchedMinor).toEqual({ CNY: cells[at('principal_balance')]!.replace('.', '') });

    const share = cells[at('funding_share')]!;
    const otherShare = `0.${String(Number(share.slice(2)) + 1).padStart(6, '0')}`;
    cells[at('funding_share')] = otherShare;
    cells[at('classification')] = 'SUBSTANDARD';
    const changed = await send(tokens.bankA, `${header}\n${cells.join('|')}\n`, { type: 'PARTNER_LOANS', businessDate: '2026-12-02' });
    expect((await until(tokens.bankA, changed, 'REPORTED')).counts).toEqual({ ours: 1, theirs: 1, matched: 0, matchedOnAmount: 0, breaks: 2 });
    const breaks = await call<{ items: { type: string; kind: string; component: string; recordKey: string; ours: string; theirs: string; differenceMinor: string }[] }>('GET', `/v1/breaks?lender=${ids.bankA}&state=OPEN`, tokens.bankA);
    expect(
      breaks.json.items
        .filter((b) => b.type === 'PARTNER_LOANS')
        .map((b) => [b.kind, b.component, b.recordKey, b.ours, b.theirs, b.differenceMinor])
        .sort(),
    ).toEqual([
      ['AMOUNT_MISMATCH', 'SHARE', 'RC-LOAN-1', share, otherShare, '0'],
      ['CLASSIFICATION_MISMATCH', 'CLASS', 'RC-LOAN-1', 'NORMAL', 'SUBSTANDARD', '0'],
    ]);
  });

  it('refuses a malformed file whole, naming the line and the field', async () => {
    const id = await send(tokens.finance, `${HEADER}\n${ROW.replace('|27.00|', '|27.0.0|')}\n`, { type: 'PARTNER_REPAYMENTS', businessDate: '2026-12-02', lenderId: ids.bankA });
    const view = await until(tokens.finance, id, 'REJECTED');
    expect(view.errors).toEqual([expect.objectContaining({ line: 2, field: 'interestMinor' })]);
  });

  it('colend reconcile uploads, reconciles and prints the report', async () => {
    const file = join(dir, 'bank-a.txt');
    await writeFile(file, `${HEADER}\n${ROW}\n${ROW}\n`);
    const answer = await reconcile({ apiUrl: stack.baseUrl, token: tokens.finance, file, type: 'PARTNER_REPAYMENTS', businessDate: '2026-12-02', lenderId: ids.bankA, pollMs: 100 });
    const lines = formatReconcile(answer);
    expect(lines[0]).toMatch(/^RC-20261202-PARTNER_REPAYMENTS-RC_BANKA-[0-9a-f]{12}: REPORTED$/);
    expect(lines.slice(1)).toEqual(['  ours 1, theirs 2, matched 1 (0 on amount and date), breaks 1', '  matched CNY 26487 (minor units)', '  breaks by kind: DUPLICATE 1', '  breaks by age (days): 0-1: 1']);
  });
});
