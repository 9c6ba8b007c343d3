import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTables, verifyLedger } from '../../infra/cli/ledger-verify.ts';
import { startLocalStack, LOCAL_CREDENTIALS, type LocalStack } from '../../infra/local/stack.ts';
import { LOCAL_REGION } from '../../infra/local/template.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb/index.ts';
import { DynamoBreakStore } from '../../shared/adapters/dynamodb/break-store.ts';
import type { ReconciliationBreak } from '../../shared/domain/reconciliation-break.ts';
import { aBreak } from '../support/adjustments.ts';
import { localTemplate } from './support/stack.ts';
import { createParties, loanBody, uniqueKey } from './support/world.ts';

/**
 * Maker-checker on a stack of its own, whose clock the test moves: a loan booked on Wednesday
 * 2026-12-02 and settled that night; on Thursday one finance user proposes an adjustment for a
 * break of bank A, another approves it, and Thursday's run pays bank A exactly its amount from
 * the collection account. Two finance users are two clients of the token issuer.
 */
let stack: LocalStack;
let breaks: DynamoBreakStore;
let client: DynamoDBClient;
const ids = { lead: 'J_LEAD', bankA: 'J_BANKA', bankB: 'J_BANKB', guarantor: 'J_GUAR', programId: 'J_PROG' };
const tokens: Record<'lead' | 'maker' | 'checker' | 'bankA' | 'bankB' | 'financeA', string> = { lead: '', maker: '', checker: '', bankA: '', bankB: '', financeA: '' };
const BREAK = 'BK-20261202-PR-00000000000000000001';
const OTHER_BREAK = 'BK-20261202-PR-00000000000000000002';
const OLD_BREAK = 'BK-20261125-PR-00000000000000000003';

async function call<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': uniqueKey('j') }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as T };
}

interface RunView {
  run: { status: string; attempt: number; entries: number; instructions: number };
  instructions: { instructionId: string; payer: string; payee: string; amountMinor: string; componentsMinor: Record<string, string> }[];
}

/** Settles a date after its 22:00 cut-off (Beijing time) and waits for the run. */
async function settle(businessDate: string): Promise<RunView> {
  stack.setTime(`${businessDate}T15:00:00.000Z`);
  expect((await call('POST', '/v1/settlement-runs', tokens.checker, { businessDate })).status).toBe(202);
  for (let i = 0; i < 600; i++) {
    const read = await call<RunView>('GET', `/v1/settlement-runs/${businessDate}`, tokens.checker);
    if (read.status === 200 && read.json.run.status !== 'RUNNING') return read.json;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the run of ${businessDate} did not end`);
}

/** A break of bank A's repayment file, as the reconciliation finds it: its interest 12.34 short. */
function aBreakOf(breakId: string, openedOn: string): ReconciliationBreak {
  return aBreak({
    breakId,
    businessDate: openedOn,
    counterparty: ids.bankA,
    lenderId: ids.bankA,
    recordKey: `J-LOAN-1|${breakId}`,
    theirsMinor: 1_466n,
    differenceMinor: -1_234n,
    openedOn,
    openedAt: `${openedOn}T02:00:00.000Z`,
    reconciliationId: `RC-${openedOn.replaceAll('-', '')}-PARTNER_REPAYMENTS-${ids.bankA}-0123456789ab`,
  });
}

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, runSchedules: false, template: localTemplate(), log: () => undefined });
  stack.setTime('2026-12-02T02:00:00.000Z'); // Wednesday, 10:00 in Beijing
  tokens.lead = await stack.mintToken({ scopes: ['lead'] });
  tokens.maker = await stack.mintToken({ scopes: ['finance'], clientId: 'finance-maker' });
  tokens.checker = await stack.mintToken({ scopes: ['finance'], clientId: 'finance-checker' });
  tokens.bankA = await stack.mintToken({ scopes: ['partner'], lenderId: ids.bankA });
  tokens.bankB = await stack.mintToken({ scopes: ['partner'], lenderId: ids.bankB });
  tokens.financeA = await stack.mintToken({ scopes: ['finance'], lenderId: ids.bankA });
  await createParties((path, body) => call('POST', path, tokens.lead, body), ids);
  // 1,000,003 fen funded 400,001 / 300,001 / 300,001, disbursed 2026-11-02 and booked now.
  expect((await call('POST', '/v1/loans', tokens.lead, loanBody(ids, 'J-LOAN-1'))).status).toBe(201);
  client = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  breaks = new DynamoBreakStore(createDocumentClient(client), await findTables(client));
  await breaks.upsertFound([aBreakOf(BREAK, '2026-12-02'), aBreakOf(OTHER_BREAK, '2026-12-02'), aBreakOf(OLD_BREAK, '2026-11-25')]);
  expect((await settle('2026-12-02')).run).toMatchObject({ status: 'SETTLED', entries: 1 });
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await stack?.stop();
});

describe('adjustments with maker-checker on the local stack', () => {
  const adjustment = {
    adjustmentId: 'J-ADJ-1',
    breakId: BREAK,
    loanId: 'J-LOAN-1',
    lenderId: ids.bankA,
    counterparty: 'ESCROW',
    currency: 'CNY',
    component: 'INTEREST',
    direction: 'COUNTERPARTY_OWES_LENDER',
    amountMinor: '1234',
    reason: 'Interest of the first instalment short in our file',
  };

  it('the maker proposes, cannot approve; another finance user approves: booked once, the break resolved', async () => {
    stack.setTime('2026-12-03T02:00:00.000Z'); // Thursday, 10:00 in Beijing
    const proposed = await call('POST', '/v1/adjustments', tokens.maker, adjustment);
    expect([proposed.status, proposed.json.state, proposed.json.proposedBy]).toEqual([201, 'PROPOSED', 'finance-maker']);
    expect((await call('POST', '/v1/adjustments', tokens.financeA, { ...adjustment, adjustmentId: 'J-ADJ-2' })).status).toBe(403);

    const byMaker = await call('POST', '/v1/adjustments/J-ADJ-1/approval', tokens.maker, { reason: 'Checked it myself' });
    expect([byMaker.status, byMaker.json.code]).toEqual([409, 'MAKER_CANNOT_APPROVE']);

    const approved = await call('POST', '/v1/adjustments/J-ADJ-1/approval', tokens.checker, { reason: "Bank A's file and the bank statement agree" });
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({
      state: 'APPROVED',
      proposedBy: 'finance-maker',
      approval: { by: 'finance-checker', at: expect.stringMatching(/^2026-12-03T02:00/), entryId: 'ADJUSTMENT#J-ADJ-1', bookedOn: '2026-12-03' },
    });
    const again = await call('POST', '/v1/adjustments/J-ADJ-1/approval', tokens.checker, { reason: 'Again' });
    expect(again.json).toEqual(approved.json);

    const resolved = await call<{ state: string; history: { adjustmentId?: string; by: string }[] }>('GET', `/v1/breaks/${BREAK}`, tokens.bankA);
    expect([resolved.json.state, resolved.json.history.at(-1)]).toEqual(['RESOLVED', expect.objectContaining({ adjustmentId: 'J-ADJ-1', by: 'finance-checker' })]);
    expect((await call('GET', `/v1/breaks/${BREAK}`, tokens.bankB)).status).toBe(404);
    const listed = await call<{ adjustments: { adjustmentId: string }[] }>('GET', '/v1/adjustments?state=APPROVED', tokens.financeA);
    expect(listed.json.adjustments.map((a) => a.adjustmentId)).toEqual(['J-ADJ-1']);
  });

  it("settles the next business date with the adjustment's instruction to the fen, and the ledger verifies", async () => {
    const thursday = await settle('2026-12-03');
    expect(thursday.run).toMatchObject({ status: 'SETTLED', entries: 1, instructions: 1 });
    expect(thursday.instructions.map((i) => [i.instructionId, i.payer, i.payee, i.amountMinor, i.componentsMinor])).toEqual([
      ['SI-20261203-J_PROG-ESCROW-J_BANKA', 'ESCROW', ids.bankA, '1234', { INTEREST: '1234' }],
    ]);
    const report = await verifyLedger({ endpoint: stack.dynamodbEndpoint });
    expect([report.differenceCount, report.loansChecked, report.entriesChecked]).toEqual([0, 1, 2]);
  });

  it('works a break: investigate, an acceptance needs a reason, a closed break takes no more; a lender of its own may not act', async () => {
    const investigated = await call('POST', `/v1/breaks/${OTHER_BREAK}/actions`, tokens.lead, { action: 'INVESTIGATE', reason: 'Asking bank A' });
    expect([investigated.status, investigated.json.state, investigated.json.owner]).toEqual([200, 'INVESTIGATING', 'local-lead-platform']);
    const noReason = await call<{ code: string; details: { path: string } }>('POST', `/v1/breaks/${OTHER_BREAK}/actions`, tokens.checker, { action: 'ACCEPT' });
    expect([noReason.status, noReason.json.code, noReason.json.details.path]).toEqual([400, 'VALIDATION_FAILED', 'reason']);
    expect((await call('POST', `/v1/breaks/${OTHER_BREAK}/actions`, tokens.financeA, { action: 'ACCEPT', reason: 'Ours' })).status).toBe(403);
    const accepted = await call('POST', `/v1/breaks/${OTHER_BREAK}/actions`, tokens.checker, { action: 'ACCEPT', reason: 'Rounding at the bank' });
    expect([accepted.status, accepted.json.state]).toEqual([200, 'ACCEPTED']);
    const closed = await call('POST', `/v1/breaks/${OTHER_BREAK}/actions`, tokens.checker, { action: 'INVESTIGATE' });
    expect([closed.status, closed.json.code]).toEqual([409, 'BREAK_CLOSED']);
  });

  it('escalates, from its daily schedule, the break open longer than 3 days, once', async () => {
    const escalated = () => stack.events.list({ detailType: 'colend.break.escalated' });
    await stack.scheduler.fire('DailyBreakEscalation', '2026-12-03T00:30:00Z');
    for (let i = 0; i < 200 && escalated().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(escalated().map((e) => e.detail)).toEqual([expect.objectContaining({ breakId: OLD_BREAK, ageDays: 8, escalateAfterDays: 3, lenderId: ids.bankA })]);
    for (let i = 0; i < 200 && (await breaks.get(OLD_BREAK))?.escalatedAt === null; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await breaks.get(OLD_BREAK))?.escalatedAt).not.toBeNull();
    // The escalation is in the audit trail, read by the partner the break concerns.
    const day = (await breaks.get(OLD_BREAK))!.escalatedAt!.slice(0, 10);
    type Listing = { items: { action: string; target: Record<string, string>; lenderIds: string[]; executionId: string | null }[] };
    const recorded = async () => (await call<Listing>('GET', `/v1/audit?date=${day}&limit=100`, tokens.bankA)).json.items.filter((r) => r.action === 'BreakEscalation.Escalate' && r.target.breakId === OLD_BREAK);
    for (let i = 0; i < 200 && (await recorded()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await recorded()).map((r) => [r.target, r.lenderIds, typeof r.executionId])).toEqual([[{ breakId: OLD_BREAK }, [ids.bankA], 'string']]);
    await stack.scheduler.fire('DailyBreakEscalation', '2026-12-04T00:30:00Z');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(escalated()).toHaveLength(1);
    expect(await recorded()).toHaveLength(1);
  });
});
