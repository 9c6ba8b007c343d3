import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../shared/domain/audit.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { applicationBody } from './support/review.ts';
import { localTemplate } from './support/stack.ts';
import { createParties, loanBody, programBody, uniqueKey } from './support/world.ts';

/**
 * What the workflows write to the audit trail, on a stack of its own whose clock the test moves:
 * on Wednesday 2026-12-02 a joint review approves an application and the Disbursement saga books
 * it, a loan is repaid, and the date is settled after its 22:00 cut-off (Beijing time). Every
 * record of the day is then read back through the API and verified with `colend audit verify`.
 */
let stack: LocalStack;
const DATE = '2026-12-02';
const ids = { lead: 'WA_LEAD', bankA: 'WA_BANKA', bankB: 'WA_BANKB', guarantor: 'WA_GUAR', programId: 'WA_PROG' };
const REVIEW_PROGRAM = 'WA_REVIEW';
const APPLICATION = 'WA-APP-1';
const tokens: Record<'lead' | 'finance' | 'bankA' | 'bankB', string> = { lead: '', finance: '', bankA: '', bankB: '' };

async function call<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: T; text: string }> {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': uniqueKey('wa') }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json: json as T, text };
}

/** Polls a read until it satisfies `done` (the workflows run in the background). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 600; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never reached: ${what}; last seen ${JSON.stringify(last)}`);
}

/** Every record of the day a caller may read, page after page. */
async function auditOf(token: string): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; json: { items: AuditRecord[]; cursor: string | null } } = await call('GET', `/v1/audit?date=${DATE}&limit=100${cursor === null ? '' : `&cursor=${cursor}`}`, token);
    expect(page.status).toBe(200);
    records.push(...page.json.items);
    cursor = page.json.cursor;
  } while (cursor !== null);
  return records;
}

/** The workflows' records, by action and target, in a stable order. */
const fromWorkflows = (records: readonly AuditRecord[]): AuditRecord[] =>
  records.filter((r) => r.actor.kind === 'WORKFLOW').sort((a, b) => (`${a.action}|${JSON.stringify(a.target)}` < `${b.action}|${JSON.stringify(b.target)}` ? -1 : 1));

const executionOf = (stateMachine: string, name: string): RegExp => new RegExp(`^arn:aws:states:[a-z0-9-]+:\\d+:execution:${stateMachine}[A-Za-z0-9]*:${name}$`);

interface RunView {
  run: { status: string; attempt: number; entries: number; instructions: number; files: { lenderId: string }[] };
  instructions: { instructionId: string; payer: string; payee: string; amountMinor: string; valueDate: string }[];
}

let settlement: RunView;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, runSchedules: false, template: localTemplate(), log: () => undefined });
  stack.setTime(`${DATE}T02:00:00.000Z`); // Wednesday, 10:00 in Beijing
  tokens.lead = await stack.mintToken({ scopes: ['lead'] });
  tokens.finance = await stack.mintToken({ scopes: ['finance'] });
  tokens.bankA = await stack.mintToken({ scopes: ['partner'], lenderId: ids.bankA });
  tokens.bankB = await stack.mintToken({ scopes: ['partner'], lenderId: ids.bankB });
  await createParties((path, body) => call('POST', path, tokens.lead, body), ids);

  // A joint review: A and B approve their 30%, the lead disburses, the saga books the loan.
  const review = programBody(
    { ...ids, programId: REVIEW_PROGRAM },
    {
      allocationPolicy: 'PRIORITY_FILL',
      participants: [
        { lenderId: ids.lead, role: 'LEAD', targetShareBps: 4000, priority: 0 },
        { lenderId: ids.bankA, role: 'PARTNER', targetShareBps: 3000, priority: 1 },
        { lenderId: ids.bankB, role: 'PARTNER', targetShareBps: 3000, priority: 2 },
      ],
      reviewTimeoutSeconds: 600,
      disbursementTimeoutSeconds: 600,
    },
  );
  expect((await call('POST', '/v1/programs', tokens.lead, review)).status).toBe(201);
  const submitted = await call('POST', '/v1/applications', tokens.lead, applicationBody(REVIEW_PROGRAM, APPLICATION));
  expect(submitted.status, submitted.text).toBe(202);
  type Application = { status: string; asks: { lenderId: string }[] };
  const application = () => call<Application>('GET', `/v1/applications/${APPLICATION}`, tokens.lead).then((r) => r.json);
  await until(application, (v) => v.asks.length === 2, 'A and B asked');
  for (const token of [tokens.bankA, tokens.bankB]) {
    const decided = await call('POST', `/v1/applications/${APPLICATION}/decisions`, token, { decision: 'APPROVE', approvedAmountMinor: '300000', conditions: ['Borrower income verified'] });
    expect(decided.status, decided.text).toBe(201);
  }
  await until(application, (v) => v.status === 'AWAITING_DISBURSEMENT', 'awaiting disbursement');
  const disbursed = await call('POST', `/v1/applications/${APPLICATION}/disbursement`, tokens.lead, { outcome: 'DISBURSED', disbursementReference: `D-${APPLICATION}`, disbursementDate: '2026-11-30' });
  expect(disbursed.status, disbursed.text).toBe(202);
  await until(application, (v) => v.status === 'BOOKED', 'booked');

  // A loan repaid the same day, then the date settled after its cut-off.
  expect((await call('POST', '/v1/loans', tokens.lead, loanBody(ids, 'WA-LOAN-1'))).status).toBe(201);
  const paid = await call<{ results: { status: string }[] }>('POST', '/v1/repayments', tokens.lead, {
    repayments: [{ repaymentId: 'WA-R-1', loanId: 'WA-LOAN-1', amountMinor: '88289', currency: 'CNY', valueDate: DATE, channel: 'AUTO_DEBIT' }],
  });
  expect(paid.json.results[0]?.status).toBe('BOOKED');
  stack.setTime(`${DATE}T15:00:00.000Z`); // 23:00 in Beijing
  expect((await call('POST', '/v1/settlement-runs', tokens.finance, { businessDate: DATE })).status).toBe(202);
  settlement = await until(
    () => call<RunView>('GET', `/v1/settlement-runs/${DATE}`, tokens.finance).then((r) => r.json),
    (v) => v.run?.status === 'SETTLED',
    'settled',
  );
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the audit trail of the workflows', () => {
  it("records the settlement run: an instruction per counterparty pair, each lender's files, the run closed; once, in its execution", async () => {
    const records = fromWorkflows(await until(() => auditOf(tokens.finance), (all) => all.some((r) => r.action === 'Settlement.CloseRun'), 'the run closed recorded')).filter((r) =>
      r.action.startsWith('Settlement.'),
    );
    const lenders = [...new Set(settlement.run.files.map((f) => f.lenderId))].sort();
    // Every participant of a program gets its files, the guarantor too.
    expect(lenders).toEqual([ids.bankA, ids.bankB, ids.guarantor, ids.lead].sort());
    expect(settlement.instructions).toHaveLength(settlement.run.instructions);
    expect(settlement.instructions.length).toBeGreaterThan(0);
    expect(records.map((r) => [r.action, r.target, r.after, r.lenderIds])).toEqual([
      ['Settlement.CloseRun', { businessDate: DATE }, { attempt: 1, status: 'SETTLED', entries: settlement.run.entries, instructions: settlement.run.instructions, files: settlement.run.files.length }, lenders],
      ...settlement.instructions.map((i) => [
        'Settlement.Instruct',
        { instructionId: i.instructionId },
        { businessDate: DATE, attempt: 1, valueDate: i.valueDate, currency: 'CNY', payer: i.payer, payee: i.payee, amountMinor: i.amountMinor },
        [i.payer, i.payee].filter((p) => p !== 'ESCROW'),
      ]),
      ...lenders.map((lenderId) => ['Settlement.WriteFiles', { businessDate: DATE, lenderId }, { attempt: 1, files: 9, records: expect.any(Number) }, [lenderId]]),
    ]);
    const execution = records[0]!.executionId;
    expect(execution).toMatch(executionOf('SettlementStateMachine', `[^:]*${DATE}[^:]*`));
    for (const record of records) {
      expect([record.executionId, record.actor, record.route, record.status, record.requestId]).toEqual([execution, { kind: 'WORKFLOW', principalId: 'Settlement', clientId: 'Settlement', roles: [] }, null, null, null]);
      expect(record.auditKey.startsWith(`STEP#${execution}#`)).toBe(true);
    }
  });

  it('records the joint review approved and the loan booked by the Disbursement saga, naming every lender of the plan', async () => {
    const records = fromWorkflows(await until(() => auditOf(tokens.lead), (all) => all.some((r) => r.action === 'Disbursement.BookLoan'), 'the booking recorded')).filter(
      (r) => r.action.startsWith('JointReview.') || r.action.startsWith('Disbursement.'),
    );
    const plan = [ids.bankA, ids.bankB, ids.lead].sort();
    expect(records.map((r) => [r.action, r.target, r.after, r.lenderIds])).toEqual([
      ['Disbursement.BookLoan', { loanId: APPLICATION }, { applicationId: APPLICATION, status: 'BOOKED', disbursementReference: `D-${APPLICATION}`, disbursementDate: '2026-11-30' }, plan],
      ['JointReview.Allocate', { applicationId: APPLICATION }, { status: 'PLANNED', round: 1 }, plan],
    ]);
    expect(records[0]!.executionId).toMatch(executionOf('DisbursementStateMachine', APPLICATION));
    expect(records[1]!.executionId).toMatch(executionOf('JointReviewStateMachine', `[^:]+`));
  });

  it("shows a partner the workflows' records that name it, and not another's", async () => {
    const mine = fromWorkflows(await auditOf(tokens.bankA));
    for (const record of mine) expect(record.lenderIds).toContain(ids.bankA);
    expect(mine.map((r) => [r.action, r.target])).toEqual([
      ['Disbursement.BookLoan', { loanId: APPLICATION }],
      ['JointReview.Allocate', { applicationId: APPLICATION }],
      ['Settlement.CloseRun', { businessDate: DATE }],
      ...settlement.instructions.filter((i) => i.payer === ids.bankA || i.payee === ids.bankA).map((i) => ['Settlement.Instruct', { instructionId: i.instructionId }]),
      ['Settlement.WriteFiles', { businessDate: DATE, lenderId: ids.bankA }],
    ]);
  });

  it('verifies the day with the workflows\' records in its chains', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/cli/colend.ts', 'audit', 'verify', '--date', DATE, '--endpoint', stack.dynamodbEndpoint], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^audit of ${DATE}: \\d+ records in 8 chains`, 'm'));
    expect(run.stdout).toContain('VERIFIED: every chain recomputes, every record links to the one before it');
    expect(run.status).toBe(0);
  });
});
