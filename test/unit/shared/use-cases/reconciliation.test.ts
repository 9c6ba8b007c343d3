import { expiresAtEpochSeconds } from '../../../../shared/http/idempotency.ts';
import { toJson } from '../../../../shared/json.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENERIC_BANK_ID, GENERIC_BANK_MAPPING } from '../../../../shared/domain/counterpart-records.ts';
import { readCounterpartBatches } from '../../../../shared/adapters/files/counterpart-reader.ts';
import { FolderFileStore } from '../../../../shared/adapters/files/file-store.ts';
import { COLUMN_NAMES_ZH, loanMasterFile, type LoanMasterRow } from '../../../../shared/adapters/files/settlement-files.ts';
import { DiskMatchSpool } from '../../../../shared/adapters/files/match-spool.ts';
import type { Principal } from '../../../../shared/domain/access.ts';
import type { JournalEntry } from '../../../../shared/domain/ledger.ts';
import type { PayoutInstruction } from '../../../../shared/domain/settlement.ts';
import type { IdempotencyRecord, SettlementRun } from '../../../../shared/ports/stores.ts';
import {
  executionName,
  listBreaks,
  planReconciliations,
  putSettings,
  reconcileOne,
  reconciliationView,
  settingsView,
  startReconciliation,
  type ReconciliationDeps,
} from '../../../../shared/use-cases/reconciliation.ts';
import { aLeg as leg, LEAD_ID, PARTNER_A, PARTNER_B } from '../../../support/builders.ts';
import { propertyRuns } from '../../../support/property-runs.ts';
import { addDays } from '../../../../shared/domain/money/index.ts';
import { runReconciliationStep } from '../../../../functions/reconciliation-steps/use-case.ts';
import { reconciliationStepInput } from '../../../../functions/reconciliation-steps/schema.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';
import { createInMemoryStores, InMemoryBreakStore, InMemoryReconciliationStore, RecordingWorkflowStarter, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const DATE = '2025-03-03';
const FINANCE: Principal = { roles: ['FINANCE'], clientId: 'fin-platform', userId: 'fin.wang', lenderId: null };
const PARTNER: Principal = { roles: ['PARTNER'], clientId: 'partner-a', userId: 'partner-a', lenderId: PARTNER_A };

let dir: string;
let stores: InMemoryStores;
let deps: ReconciliationDeps;
let extra: { idempotency: InMemoryStores['idempotency']; workflow: RecordingWorkflowStarter; lenderExists: (id: string) => Promise<boolean> };
let now = '2025-03-04T02:00:00.000Z';

const REPAYMENT_HEADER =
  'business_date|lender_id|loan_id|event_type|event_id|value_date|booked_on|currency|principal_amount|interest_amount|penalty_amount|fee_amount|suspense_amount|guarantee_amount|loss_amount|total_amount|corrects_entry';

interface Row {
  loan: string;
  event: string;
  principal: number;
  interest: number;
  valueDate: string;
}

const money = (fen: number): string => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
const line = (lender: string, r: Row): string =>
  [DATE, lender, r.loan, 'REPAYMENT', r.event, r.valueDate, DATE, 'CNY', money(r.principal), money(r.interest), '0.00', '0.00', '0.00', '0.00', '0.00', money(r.principal + r.interest), ''].join('|');
const repaymentFile = (lender: string, rows: readonly Row[]): string => `${[REPAYMENT_HEADER, ...rows.map((r) => line(lender, r))].join('\n')}\n`;

const ROWS: Row[] = [
  { loan: 'LN-1', event: 'R-1', principal: 33_600, interest: 3_000, valueDate: DATE },
  { loan: 'LN-2', event: 'R-2', principal: 120_000, interest: 1_201, valueDate: DATE },
  { loan: 'LN-3', event: 'R-3', principal: 5_000, interest: 0, valueDate: '2025-03-01' },
];

function settled(attempt = 1): SettlementRun {
  return {
    businessDate: DATE,
    status: 'SETTLED',
    attempt,
    daysByCalendar: { CN: ['2025-03-01', '2025-03-02', DATE] },
    shardCount: 16,
    startedAt: now,
    settledAt: now,
    firstSettledAt: now,
    entries: 3,
    instructions: 1,
    files: [],
    failure: null,
  };
}

async function upload(uploadId: string, body: Uint8Array | string, lenderId: string | null = null): Promise<void> {
  await deps.files.put(`reconciliation-uploads/${uploadId}`, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  await deps.reconciliations.putUpload({ uploadId, fileName: `${uploadId}.txt`, path: `reconciliation-uploads/${uploadId}`, createdBy: 'fin-platform', lenderId, createdAt: now });
}

let key = 0;
const seal = (statusCode: number, body: unknown): IdempotencyRecord => ({ scopeKey: `k${++key}`, requestHash: 'h', statusCode, responseBody: JSON.stringify(body), createdAt: now, expiresAtEpochSeconds: expiresAtEpochSeconds(now) });

async function start(principal: Principal, request: Parameters<typeof startReconciliation>[2]): Promise<string> {
  await startReconciliation({ ...deps, ...extra }, principal, request, seal);
  const stored = [...stores.db.idempotency.values()].at(-1)!;
  return (JSON.parse(stored.responseBody) as { reconciliationId: string }).reconciliationId;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'colend-reconcile-'));
  stores = createInMemoryStores();
  now = '2025-03-04T02:00:00.000Z';
  deps = {
    reconciliations: new InMemoryReconciliationStore(stores.db),
    breaks: new InMemoryBreakStore(),
    settlements: stores.settlements,
    ledger: stores.ledger,
    files: new FolderFileStore(dir),
    clock: { now: () => now },
    spool: () => DiskMatchSpool.open(4),
    readCounterpart: readCounterpartBatches,
    bankFormat: async (id) => (id === GENERIC_BANK_ID ? GENERIC_BANK_MAPPING : null),
    shardCount: 16,
  };
  extra = { idempotency: stores.idempotency, workflow: new RecordingWorkflowStarter(), lenderExists: async (id) => [LEAD_ID, PARTNER_A, PARTNER_B].includes(id) };
  await stores.settlements.putRun(settled(), 0);
  await deps.files.put(`statements/${PARTNER_A}/20250303/repayment_detail_20250303.txt`, Buffer.from(repaymentFile(PARTNER_A, ROWS)));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the Reconcile step in the audit trail (functions/reconciliation-steps)', () => {
  const EXECUTION = 'arn:aws:states:cn-north-1:123456789012:execution:ReconciliationStateMachine:reconcile-1';

  it("records the file's reconciliation once per execution, its breaks counted, naming the lender whose file it is", async () => {
    const theirs: Row[] = [{ ...ROWS[0]!, interest: 2_999 }, ROWS[1]!, ROWS[2]!];
    await upload('UP-audit', repaymentFile(PARTNER_A, theirs), PARTNER_A);
    const id = await start(PARTNER, { uploadId: 'UP-audit', type: 'PARTNER_REPAYMENTS', businessDate: DATE });
    const audited = { ...deps, audit: new InMemoryAuditStore(), auditLog: { error: (message: string) => expect.fail(message) } };
    const step = () => runReconciliationStep(audited, validate(reconciliationStepInput, { step: 'Reconcile', reconciliationId: id, executionId: EXECUTION }));
    expect(await step()).toEqual({ reconciliationId: id, status: 'REPORTED' });
    await step();
    expect(audited.audit.all(now.slice(0, 10)).map((r) => [r.action, r.target, r.after, r.lenderIds, r.executionId])).toEqual([
      ['Reconciliation.Reconcile', { reconciliationId: id }, { businessDate: DATE, status: 'REPORTED', settlementAttempt: 1, matched: 2, breaks: 1 }, [PARTNER_A], EXECUTION],
    ]);
  });
});

describe('a partner repayment file', () => {
  it('reconciles clean with zero breaks, matched count and amount', async () => {
    await upload('UP-clean', repaymentFile(PARTNER_A, ROWS), PARTNER_A);
    const id = await start(PARTNER, { uploadId: 'UP-clean', type: 'PARTNER_REPAYMENTS', businessDate: DATE });
    expect(id).toMatch(/^RC-20250303-PARTNER_REPAYMENTS-PARTNER-A-[0-9a-f]{12}$/);
    expect(extra.workflow.starts).toEqual([{ name: expect.stringMatching(/^reconcile-[0-9a-f]{24}-1$/), input: { reconciliationIds: [id] } }]);
    expect(await reconcileOne(deps, id)).toEqual({ reconciliationId: id, status: 'REPORTED' });
    const r = await reconciliationView(deps, PARTNER, id);
    expect(r.counts).toEqual({ ours: 3, theirs: 3, matched: 3, matchedOnAmount: 0, breaks: 0 });
    expect(r.matchedMinor).toEqual({ CNY: 162_801n });
    expect(r.breaksByKind).toEqual({ MISSING_OURS: 0, MISSING_THEIRS: 0, AMOUNT_MISMATCH: 0, DATE_MISMATCH: 0, DUPLICATE: 0, CLASSIFICATION_MISMATCH: 0 });
    expect(r.settlementAttempt).toBe(1);
    // Once reported against the settlement's attempt, it is not matched again.
    expect(await reconcileOne(deps, id)).toEqual({ reconciliationId: id, status: 'REPORTED' });
    expect((await deps.reconciliations.get(id))!.version).toBe(r.version);
  });

  it('finds each difference as a break of its kind, to the fen', async () => {
    const theirs: Row[] = [{ ...ROWS[0]!, interest: 2_999 }, { ...ROWS[1]!, valueDate: '2025-03-02' }, { loan: 'LN-9', event: 'R-9', principal: 100, interest: 0, valueDate: DATE }];
    await upload('UP-diff', `${repaymentFile(PARTNER_A, theirs)}${line(PARTNER_A, theirs[2]!)}\n`);
    const id = await start(FINANCE, { uploadId: 'UP-diff', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A });
    await reconcileOne(deps, id);
    const { items } = await listBreaks(deps, FINANCE, { limit: 100 });
    expect(items.map((b) => [b.kind, b.component, b.recordKey, b.oursMinor, b.theirsMinor, b.differenceMinor, b.ours, b.theirs, b.lines, b.lenderId]).sort()).toEqual(
      [
        ['AMOUNT_MISMATCH', 'INTEREST', 'LN-1|R-1', 3_000n, 2_999n, -1n, null, null, [2], PARTNER_A],
        ['DATE_MISMATCH', 'VALUE_DATE', 'LN-2|R-2', 121_201n, 121_201n, 0n, DATE, '2025-03-02', [3], PARTNER_A],
        ['DUPLICATE', '', 'LN-9|R-9', null, 100n, 0n, null, '2 rows', [4, 5], PARTNER_A],
        ['MISSING_OURS', '', 'LN-9|R-9', null, 100n, 100n, null, DATE, [4], PARTNER_A],
        ['MISSING_THEIRS', '', 'LN-3|R-3', 5_000n, null, -5_000n, '2025-03-01', null, [], PARTNER_A],
      ].sort(),
    );
    const r = await deps.reconciliations.get(id);
    expect(r!.netDifferenceMinor).toEqual({ CNY: -4_901n });
    expect(r!.counts).toEqual({ ours: 3, theirs: 4, matched: 0, matchedOnAmount: 0, breaks: 5 });
  });

  it('resolves the breaks a corrected file no longer has, and keeps those it still has', async () => {
    await upload('UP-first', repaymentFile(PARTNER_A, [{ ...ROWS[0]!, interest: 2_999 }, ROWS[1]!]));
    const first = await start(FINANCE, { uploadId: 'UP-first', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A });
    await reconcileOne(deps, first);
    expect((await listBreaks(deps, FINANCE, { state: 'OPEN', limit: 10 })).items.map((b) => b.kind).sort()).toEqual(['AMOUNT_MISMATCH', 'MISSING_THEIRS']);
    now = '2025-03-05T02:00:00.000Z';
    await upload('UP-second', repaymentFile(PARTNER_A, ROWS.slice(0, 2)));
    const second = await start(FINANCE, { uploadId: 'UP-second', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A });
    expect(second).not.toBe(first);
    await reconcileOne(deps, second);
    const resolved = (await listBreaks(deps, FINANCE, { state: 'RESOLVED', limit: 10 })).items;
    expect(resolved.map((b) => [b.kind, b.history.at(-1)!.reason])).toEqual([['AMOUNT_MISMATCH', `no longer found by ${second}`]]);
    const open = (await listBreaks(deps, FINANCE, { state: 'OPEN', limit: 10 })).items;
    expect(open.map((b) => [b.kind, b.openedOn, b.reconciliationId, b.version])).toEqual([['MISSING_THEIRS', '2025-03-04', second, 2]]);
  });

  it('refuses a malformed file whole, with the line and the field, and writes no break', async () => {
    await upload('UP-bad', `${repaymentFile(PARTNER_A, ROWS)}${line(PARTNER_A, ROWS[0]!).replace('336.00', '33.6.00')}\n`);
    const id = await start(FINANCE, { uploadId: 'UP-bad', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A });
    expect(await reconcileOne(deps, id)).toEqual({ reconciliationId: id, status: 'REJECTED' });
    const r = await deps.reconciliations.get(id);
    expect(r!.errors).toEqual([expect.objectContaining({ line: 5, field: 'principalMinor' })]);
    expect((deps.breaks as InMemoryBreakStore).breaks.size).toBe(0);
  });

  it('waits for the settlement of its date, and is planned by it', async () => {
    stores = createInMemoryStores();
    deps = { ...deps, settlements: stores.settlements, ledger: stores.ledger };
    extra = { ...extra, idempotency: stores.idempotency };
    await upload('UP-early', repaymentFile(PARTNER_A, ROWS));
    const id = await start(FINANCE, { uploadId: 'UP-early', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A });
    expect(await reconcileOne(deps, id)).toEqual({ reconciliationId: id, status: 'WAITING' });
    await stores.settlements.putRun(settled(), 0);
    expect(await planReconciliations(deps, { businessDate: DATE })).toEqual([id]);
    expect(await reconcileOne(deps, id)).toEqual({ reconciliationId: id, status: 'REPORTED' });
    expect(await planReconciliations(deps, { businessDate: DATE })).toEqual([]);
    // The date settled again: matched again against the new run.
    await stores.settlements.putRun(settled(2), 1);
    expect(await planReconciliations(deps, { businessDate: DATE })).toEqual([id]);
  });

  it('is the same reconciliation when the same file is sent again; a partner sees only its own', async () => {
    await upload('UP-a', repaymentFile(PARTNER_A, ROWS), PARTNER_A);
    await upload('UP-b', repaymentFile(PARTNER_A, ROWS), PARTNER_A);
    const a = await start(PARTNER, { uploadId: 'UP-a', type: 'PARTNER_REPAYMENTS', businessDate: DATE });
    const b = await start(PARTNER, { uploadId: 'UP-b', type: 'PARTNER_REPAYMENTS', businessDate: DATE });
    expect(b).toBe(a);
    const other: Principal = { roles: ['PARTNER'], clientId: 'partner-b', userId: 'partner-b', lenderId: PARTNER_B };
    await expect(reconciliationView(deps, other, a)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(start(other, { uploadId: 'UP-a', type: 'PARTNER_REPAYMENTS', businessDate: DATE })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(start(PARTNER, { uploadId: 'UP-a', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_B })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(start(PARTNER, { uploadId: 'UP-a', type: 'ESCROW_STATEMENT', businessDate: DATE })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it("reserves the request's key after every refusal, right before the first write", async () => {
    const taken: string[] = [];
    const reservation = { take: async () => void taken.push('taken'), inTransaction: () => { throw new Error('not in a transaction'); } };
    const startWith = (request: Parameters<typeof startReconciliation>[2]) => startReconciliation({ ...deps, ...extra }, FINANCE, request, seal, reservation);
    await expect(startWith({ uploadId: 'UP-none', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await deps.reconciliations.putUpload({ uploadId: 'UP-empty', fileName: 'empty.txt', path: 'reconciliation-uploads/UP-empty', createdBy: 'fin-platform', lenderId: null, createdAt: now });
    await expect(startWith({ uploadId: 'UP-empty', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A })).rejects.toMatchObject({ code: 'UPLOAD_EMPTY' });
    expect(taken).toEqual([]);
    await upload('UP-k', repaymentFile(PARTNER_A, ROWS));
    await startWith({ uploadId: 'UP-k', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A });
    expect(taken).toEqual(['taken']);
  });

  it('two starts of one file at once: the one whose record lost the write takes the record that won, and starts the same execution', async () => {
    await upload('UP-1', repaymentFile(PARTNER_A, ROWS));
    await upload('UP-2', repaymentFile(PARTNER_A, ROWS));
    const first = await start(FINANCE, { uploadId: 'UP-1', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A });
    // The second read the record before the first wrote it.
    const store = deps.reconciliations;
    let stale = true;
    const racing = Object.assign(Object.create(store) as typeof store, {
      get: async (id: string) => {
        if (stale) {
          stale = false;
          return null;
        }
        return store.get(id);
      },
    });
    deps = { ...deps, reconciliations: racing };
    const second = await start(FINANCE, { uploadId: 'UP-2', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A });
    expect(second).toBe(first);
    expect(stale).toBe(false);
    expect(extra.workflow.starts.map((s) => s.name)).toEqual([executionName(first, 1), executionName(first, 1)]);
    expect((await store.get(first))?.version).toBe(1);
  });

  it("a counterparty's settings refused under a key that holds another answer write nothing", async () => {
    const request = { amountToleranceMinor: 100n, dateToleranceDays: 1, escalateAfterDays: 5 };
    const sealed = (statusCode: number, body: unknown): IdempotencyRecord => ({ ...seal(statusCode, null), responseBody: toJson(body) });
    await putSettings(deps, FINANCE, PARTNER_A, request, sealed);
    const taken = [...stores.db.idempotency.values()].at(-1)!;
    expect(JSON.parse(taken.responseBody)).toMatchObject({ counterparty: PARTNER_A, version: 1, amountToleranceMinor: '100' });
    const reused = (statusCode: number, body: unknown): IdempotencyRecord => ({ ...sealed(statusCode, body), scopeKey: taken.scopeKey });
    await expect(putSettings(deps, FINANCE, PARTNER_A, { ...request, escalateAfterDays: 9 }, reused)).rejects.toMatchObject({ reason: 'IDEMPOTENCY_KEY', entity: 'idempotency' });
    expect(await settingsView(deps, PARTNER_A)).toMatchObject({ version: 1, escalateAfterDays: 5, amountToleranceMinor: 100n });
  });
});

describe('a partner loan master file', () => {
  const LOAN_MASTER_PATH = `statements/${PARTNER_A}/20250303/loan_master_20250303.txt`;
  const loan = (loanId: string, fields: Partial<LoanMasterRow>): LoanMasterRow => ({
    loanId,
    programId: 'P-1',
    currency: 'CNY',
    disbursementDate: '2025-01-10',
    loanPrincipalMinor: 10_000_000n,
    fundedMinor: 3_000_000n,
    balancesMinor: {},
    dpd: 0,
    classification: 'NORMAL',
    riskAsOf: '2025-03-02',
    ...fields,
  });
  const LOANS: LoanMasterRow[] = [
    loan('LN-1', { balancesMinor: { PRINCIPAL_RECEIVABLE: 2_500_000n, INTEREST_RECEIVABLE: 1_200n, INTEREST_INCOME: -90_000n, FEE_EXPENSE: 4_000n } }),
    loan('LN-2', { loanPrincipalMinor: 1_000_000n, fundedMinor: 333_333n, balancesMinor: { PRINCIPAL_RECEIVABLE: 200_000n, SUSPENSE: -500n, PENALTY_INCOME: -300n }, dpd: 45, classification: 'SPECIAL_MENTION' }),
    loan('LN-3', { fundedMinor: 0n, balancesMinor: { GUARANTEE_RECEIVABLE: 50_000n, LOSSES: 10_000n, FEE_INCOME: -77n }, dpd: 95, classification: 'SUBSTANDARD' }),
    loan('LN-4', { balancesMinor: { PRINCIPAL_RECEIVABLE: 1_000n } }),
  ];
  const ours = loanMasterFile(DATE, PARTNER_A, LOANS);
  const header = ours.table.header;
  /** Our rows as text, with the cells named changed: the partner's file. */
  const theirsOf = (rows: readonly (readonly string[])[], head: readonly string[] = header): string => `${[head, ...rows].map((fields) => fields.join('|')).join('\n')}\n`;
  const row = (loanId: string, changes: Record<string, string> = {}): string[] => {
    const fields = [...ours.table.rows.find((r) => r[2] === loanId)!];
    for (const [column, value] of Object.entries(changes)) fields[header.indexOf(column)] = value;
    return fields;
  };

  beforeEach(async () => {
    await deps.files.put(LOAN_MASTER_PATH, ours.body);
  });

  it('reconciles a clean file with zero breaks; a share written with other decimals and a header in Chinese are no difference', async () => {
    expect(ours.table.rows.map((r) => r[header.indexOf('funding_share')])).toEqual(['0.300000', '0.333333', '0.000000', '0.300000']);
    const chinese = header.map((column) => COLUMN_NAMES_ZH[column]!);
    const text = theirsOf([row('LN-1', { funding_share: '0.3' }), row('LN-2', { funding_share: '0.3333333' }), row('LN-3', { funding_share: '0' }), row('LN-4')], chinese);
    await upload('UP-loans', iconv.encode(text, 'gbk'), PARTNER_A);
    const id = await start(PARTNER, { uploadId: 'UP-loans', type: 'PARTNER_LOANS', businessDate: DATE });
    expect(id).toMatch(/^RC-20250303-PARTNER_LOANS-PARTNER-A-[0-9a-f]{12}$/);
    expect(await reconcileOne(deps, id)).toEqual({ reconciliationId: id, status: 'REPORTED' });
    const r = await reconciliationView(deps, PARTNER, id);
    expect(r.counts).toEqual({ ours: 4, theirs: 4, matched: 4, matchedOnAmount: 0, breaks: 0 });
    // What the matched loans add up to is their principal balance.
    expect(r.matchedMinor).toEqual({ CNY: 2_701_000n });
    expect(r.breaksByKind).toEqual({ MISSING_OURS: 0, MISSING_THEIRS: 0, AMOUNT_MISMATCH: 0, DATE_MISMATCH: 0, DUPLICATE: 0, CLASSIFICATION_MISMATCH: 0 });
    expect((deps.breaks as InMemoryBreakStore).breaks.size).toBe(0);
  });

  it('finds each difference of share, funded amount, balance, date, DPD and class as a break of its kind and component, to the fen', async () => {
    const text = theirsOf([
      row('LN-1', { funded_amount: '30000.01', funding_share: '0.300001', interest_receivable: '12.01', interest_income: '899.99' }),
      row('LN-2', { loan_principal: '10000.01', dpd: '46', classification: 'SUBSTANDARD', suspense_balance: '4.99' }),
      row('LN-3', { disbursement_date: '2025-01-11', loss_amount: '100.01', guarantee_receivable: '499.00' }),
      row('LN-3'),
      row('LN-4', { loan_id: 'LN-5', principal_balance: '77.00' }),
    ]);
    await upload('UP-loans-diff', text);
    const id = await start(FINANCE, { uploadId: 'UP-loans-diff', type: 'PARTNER_LOANS', businessDate: DATE, lenderId: PARTNER_A });
    expect(await reconcileOne(deps, id)).toEqual({ reconciliationId: id, status: 'REPORTED' });
    const { items } = await listBreaks(deps, FINANCE, { limit: 100 });
    expect(items.map((b) => [b.type, b.kind, b.component, b.recordKey, b.oursMinor, b.theirsMinor, b.differenceMinor, b.ours, b.theirs, b.lines, b.lenderId]).sort()).toEqual(
      [
        ['PARTNER_LOANS', 'AMOUNT_MISMATCH', 'FUNDED', 'LN-1', 3_000_000n, 3_000_001n, 1n, null, null, [2], PARTNER_A],
        ['PARTNER_LOANS', 'AMOUNT_MISMATCH', 'SHARE', 'LN-1', null, null, 0n, '0.300000', '0.300001', [2], PARTNER_A],
        ['PARTNER_LOANS', 'AMOUNT_MISMATCH', 'INTEREST_RECEIVABLE', 'LN-1', 1_200n, 1_201n, 1n, null, null, [2], PARTNER_A],
        ['PARTNER_LOANS', 'AMOUNT_MISMATCH', 'INTEREST_INCOME', 'LN-1', 90_000n, 89_999n, -1n, null, null, [2], PARTNER_A],
        ['PARTNER_LOANS', 'AMOUNT_MISMATCH', 'LOAN_PRINCIPAL', 'LN-2', 1_000_000n, 1_000_001n, 1n, null, null, [3], PARTNER_A],
        ['PARTNER_LOANS', 'AMOUNT_MISMATCH', 'SUSPENSE_BALANCE', 'LN-2', 500n, 499n, -1n, null, null, [3], PARTNER_A],
        ['PARTNER_LOANS', 'CLASSIFICATION_MISMATCH', 'DPD', 'LN-2', null, null, 0n, '45', '46', [3], PARTNER_A],
        ['PARTNER_LOANS', 'CLASSIFICATION_MISMATCH', 'CLASS', 'LN-2', null, null, 0n, 'SPECIAL_MENTION', 'SUBSTANDARD', [3], PARTNER_A],
        ['PARTNER_LOANS', 'DATE_MISMATCH', 'DISBURSEMENT_DATE', 'LN-3', 0n, 0n, 0n, '2025-01-10', '2025-01-11', [4], PARTNER_A],
        ['PARTNER_LOANS', 'AMOUNT_MISMATCH', 'LOSS', 'LN-3', 10_000n, 10_001n, 1n, null, null, [4], PARTNER_A],
        ['PARTNER_LOANS', 'AMOUNT_MISMATCH', 'GUARANTEE_RECEIVABLE', 'LN-3', 50_000n, 49_900n, -100n, null, null, [4], PARTNER_A],
        ['PARTNER_LOANS', 'DUPLICATE', '', 'LN-3', null, 0n, 0n, null, '2 rows', [4, 5], PARTNER_A],
        ['PARTNER_LOANS', 'MISSING_THEIRS', '', 'LN-4', 1_000n, null, -1_000n, '2025-01-10', null, [], PARTNER_A],
        ['PARTNER_LOANS', 'MISSING_OURS', '', 'LN-5', null, 7_700n, 7_700n, null, '2025-01-10', [6], PARTNER_A],
      ].sort(),
    );
    const r = (await deps.reconciliations.get(id))!;
    expect(r.counts).toEqual({ ours: 4, theirs: 5, matched: 0, matchedOnAmount: 0, breaks: 14 });
    expect(r.breaksByKind).toEqual({ MISSING_OURS: 1, MISSING_THEIRS: 1, AMOUNT_MISMATCH: 8, DATE_MISMATCH: 1, DUPLICATE: 1, CLASSIFICATION_MISMATCH: 2 });
    // 1 + 1 − 1 + 1 − 1 + 1 − 100 − 1,000 + 7,700: the share, the dates and the classes move no money.
    expect(r.netDifferenceMinor).toEqual({ CNY: 6_602n });
  });
});

describe('random perturbations of clean partner files', () => {
  type Fields = readonly string[];
  /** A partner file type as the property sees it: our rows and what each perturbation changes and finds. */
  interface Fixture {
    readonly type: 'PARTNER_REPAYMENTS' | 'PARTNER_LOANS';
    readonly path: string;
    readonly header: readonly string[];
    readonly rows: readonly Fields[];
    readonly keyOf: (fields: Fields) => string;
    /** What a missing row counts for: a repayment's total, a loan's principal balance. */
    readonly totalColumn: string;
    /** The amount columns and their components; a repayment's total is kept the sum of its components. */
    readonly amounts: readonly (readonly [column: string, component: string])[];
    readonly sumColumn: string | null;
    readonly date: readonly [column: string, component: string];
    /** Figures and classes, each changed to another value that is still valid. */
    readonly labels: readonly (readonly [column: string, kind: 'AMOUNT_MISMATCH' | 'CLASSIFICATION_MISMATCH', component: string, change: (text: string) => string])[];
    /** The same value written another way (no difference), for untouched rows. */
    readonly restate: (fields: Fields) => Fields;
  }

  const major = (fen: bigint): string => `${fen < 0n ? '-' : ''}${(fen < 0n ? -fen : fen) / 100n}.${String((fen < 0n ? -fen : fen) % 100n).padStart(2, '0')}`;
  const fenOf = (text: string): bigint => BigInt(text.replace('.', ''));
  const column = (f: Fixture, name: string): number => f.header.indexOf(name);

  const repaymentHeader = REPAYMENT_HEADER.split('|');
  const REPAYMENT_COMPONENTS = ['principal_amount', 'interest_amount', 'penalty_amount', 'fee_amount', 'suspense_amount', 'guarantee_amount', 'loss_amount'] as const;
  const repayments: Fixture = {
    type: 'PARTNER_REPAYMENTS',
    path: `statements/${PARTNER_A}/20250303/repayment_detail_20250303.txt`,
    header: repaymentHeader,
    // Twelve loans of two repayments each, every component different from row to row.
    rows: Array.from({ length: 24 }, (_, i) => {
      const parts = [100_000n + BigInt(i) * 1_379n, 500n + BigInt(i) * 71n, BigInt(i) * 3n, 7n + BigInt(i), BigInt(i % 3), BigInt((i * 11) % 50), BigInt((i % 2) * 5)];
      const loanId = `LN-${100 + Math.floor(i / 2)}`;
      const valueDate = ['2025-03-01', '2025-03-02', DATE][i % 3]!;
      return [DATE, PARTNER_A, loanId, 'REPAYMENT', `R-${i}`, valueDate, DATE, 'CNY', ...parts.map(major), major(parts.reduce((a, b) => a + b, 0n)), ''];
    }),
    keyOf: (fields) => `${fields[2]}|${fields[4]}`,
    totalColumn: 'total_amount',
    amounts: REPAYMENT_COMPONENTS.map((c) => [c, c.replace('_amount', '').toUpperCase()] as const),
    sumColumn: 'total_amount',
    date: ['value_date', 'VALUE_DATE'],
    labels: [['event_type', 'AMOUNT_MISMATCH', 'EVENT_TYPE', () => 'REBOOK']],
    restate: (fields) => fields,
  };

  const CLASSES = ['NORMAL', 'SPECIAL_MENTION', 'SUBSTANDARD', 'DOUBTFUL', 'LOSS'];
  const ourLoans = loanMasterFile(
    DATE,
    PARTNER_A,
    Array.from({ length: 16 }, (_, i): LoanMasterRow => {
      const principal = 1_000_000n + BigInt(i) * 10_007n;
      const funded = (principal * BigInt(20 + i)) / 100n;
      return {
        loanId: `LN-${200 + i}`,
        programId: 'P-1',
        currency: 'CNY',
        disbursementDate: `2025-01-${String(1 + i).padStart(2, '0')}`,
        loanPrincipalMinor: principal,
        fundedMinor: funded,
        balancesMinor: {
          PRINCIPAL_RECEIVABLE: funded - BigInt(i) * 100n,
          INTEREST_RECEIVABLE: BigInt(i) * 13n,
          GUARANTEE_RECEIVABLE: i % 4 === 0 ? 5_000n : 0n,
          SUSPENSE: -BigInt(i) * 2n,
          INTEREST_INCOME: -BigInt(i) * 900n,
          PENALTY_INCOME: -BigInt(i),
          FEE_INCOME: -BigInt(i) * 4n,
          FEE_EXPENSE: BigInt(i) * 40n,
          LOSSES: i % 5 === 0 ? 300n : 0n,
        },
        dpd: (i * 7) % 100,
        classification: CLASSES[i % CLASSES.length]!,
        riskAsOf: '2025-03-02',
      };
    }),
  );
  const nextShare = (share: string): string => {
    const micro = BigInt(share.replace('.', '')) + 1n;
    return `${micro / 1_000_000n}.${String(micro % 1_000_000n).padStart(6, '0')}`;
  };
  const loans: Fixture = {
    type: 'PARTNER_LOANS',
    path: `statements/${PARTNER_A}/20250303/loan_master_20250303.txt`,
    header: ourLoans.table.header,
    rows: ourLoans.table.rows,
    keyOf: (fields) => fields[2]!,
    totalColumn: 'principal_balance',
    amounts: [
      ['loan_principal', 'LOAN_PRINCIPAL'],
      ['funded_amount', 'FUNDED'],
      ['principal_balance', 'PRINCIPAL_BALANCE'],
      ['interest_receivable', 'INTEREST_RECEIVABLE'],
      ['guarantee_receivable', 'GUARANTEE_RECEIVABLE'],
      ['suspense_balance', 'SUSPENSE_BALANCE'],
      ['interest_income', 'INTEREST_INCOME'],
      ['penalty_income', 'PENALTY_INCOME'],
      ['fee_income', 'FEE_INCOME'],
      ['fee_expense', 'FEE_EXPENSE'],
      ['loss_amount', 'LOSS'],
    ],
    sumColumn: null,
    date: ['disbursement_date', 'DISBURSEMENT_DATE'],
    labels: [
      ['classification', 'CLASSIFICATION_MISMATCH', 'CLASS', (c) => (c === 'LOSS' ? 'DOUBTFUL' : 'LOSS')],
      ['dpd', 'CLASSIFICATION_MISMATCH', 'DPD', (d) => String(Number(d) + 1)],
      ['funding_share', 'AMOUNT_MISMATCH', 'SHARE', nextShare],
    ],
    // 0.250000 written 0.25: the same share.
    restate: (fields) => fields.map((v, i) => (ourLoans.table.header[i] === 'funding_share' ? v.replace(/0+$/, '').replace(/\.$/, '') : v)),
  };

  const change = fc.record({
    kind: fc.constantFrom('DROP', 'DUPLICATE', 'EXTRA', 'AMOUNT', 'DATE', 'LABEL'),
    pick: fc.nat(),
    deltaMinor: fc.bigInt({ min: 1n, max: 5_000_000n }),
    days: fc.constantFrom(-3, -2, -1, 1, 2, 3),
  });
  type Change = typeof change extends fc.Arbitrary<infer C> ? C : never;
  /** A row of their file, and where it came from. */
  interface Entry {
    readonly fields: Fields;
    readonly from: number;
    readonly role: 'ROW' | 'DUPLICATE' | 'EXTRA';
  }

  /** Their rows for the changes: our rows, each changed at most once, extra rows after their loan. */
  function theirRows(f: Fixture, touched: ReadonlyMap<number, Change>, restate: boolean): Entry[] {
    const entries: Entry[] = [];
    f.rows.forEach((ours, from) => {
      const c = touched.get(from);
      if (c?.kind === 'DROP') return;
      const fields = [...(c === undefined && restate ? f.restate(ours) : ours)];
      if (c?.kind === 'AMOUNT') {
        const [name] = f.amounts[c.pick % f.amounts.length]!;
        fields[column(f, name)] = major(fenOf(fields[column(f, name)]!) + c.deltaMinor);
        if (f.sumColumn !== null) fields[column(f, f.sumColumn)] = major(fenOf(fields[column(f, f.sumColumn)]!) + c.deltaMinor);
      } else if (c?.kind === 'DATE') {
        fields[column(f, f.date[0])] = addDays(fields[column(f, f.date[0])]!, c.days);
      } else if (c?.kind === 'LABEL') {
        const [name, , , to] = f.labels[c.pick % f.labels.length]!;
        fields[column(f, name)] = to(fields[column(f, name)]!);
      }
      entries.push({ fields, from, role: 'ROW' });
      if (c?.kind === 'DUPLICATE') entries.push({ fields, from, role: 'DUPLICATE' });
      if (c?.kind === 'EXTRA') entries.push({ fields: fields.map((v, i) => (i === column(f, 'loan_id') ? `${v}X` : v)), from, role: 'EXTRA' });
    });
    return entries;
  }

  /** The breaks the changes must give: record, kind, component, difference, their lines. */
  function breaksOf(f: Fixture, touched: ReadonlyMap<number, Change>, lineOf: (from: number, role: Entry['role']) => number): string[] {
    return [...touched].map(([from, c]) => {
      const ours = f.rows[from]!;
      const key = f.keyOf(ours);
      const total = fenOf(ours[column(f, f.totalColumn)]!);
      const at = (role: Entry['role']): number => lineOf(from, role);
      const found = (kind: string, component: string, recordKey: string, difference: bigint, lines: number[]): string => JSON.stringify([recordKey, kind, component, String(difference), lines]);
      switch (c.kind) {
        case 'DROP':
          return found('MISSING_THEIRS', '', key, -total, []);
        case 'DUPLICATE':
          return found('DUPLICATE', '', key, 0n, [at('ROW'), at('DUPLICATE')].sort((a, b) => a - b));
        case 'EXTRA':
          return found('MISSING_OURS', '', f.keyOf(ours.map((v, i) => (i === column(f, 'loan_id') ? `${v}X` : v))), total, [at('EXTRA')]);
        case 'AMOUNT':
          return found('AMOUNT_MISMATCH', f.amounts[c.pick % f.amounts.length]![1], key, c.deltaMinor, [at('ROW')]);
        case 'DATE':
          return found('DATE_MISMATCH', f.date[1], key, 0n, [at('ROW')]);
        case 'LABEL': {
          const [, kind, component] = f.labels[c.pick % f.labels.length]!;
          return found(kind, component, key, 0n, [at('ROW')]);
        }
      }
    });
  }

  /** Whether a file's loans come in our order: each loan's rows together, loans ascending. */
  const inOurOrder = (groups: readonly string[]): boolean => groups.every((g, i) => i === 0 || g === groups[i - 1] || g > groups[i - 1]! && !groups.slice(0, i).includes(g));

  const FIXTURES = { PARTNER_REPAYMENTS: repayments, PARTNER_LOANS: loans };
  const scenario = fc.constantFrom('PARTNER_REPAYMENTS' as const, 'PARTNER_LOANS' as const).chain((type) =>
    fc.record({
      type: fc.constant(type),
      targets: fc.uniqueArray(fc.nat({ max: FIXTURES[type].rows.length - 1 }), { minLength: 0, maxLength: 6 }),
      changes: fc.array(change, { minLength: 6, maxLength: 6 }),
      gbk: fc.boolean(),
      shuffle: fc.boolean(),
      sortKeys: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
      restate: fc.boolean(),
    }),
  );

  it('finds every perturbation of a clean file (repayment detail or loan master, UTF-8 or GBK, in our order or shuffled) as exactly its break, and matches every untouched row', async () => {
    await deps.files.put(repayments.path, Buffer.from(`${[repayments.header, ...repayments.rows].map((r) => r.join('|')).join('\n')}\n`));
    await deps.files.put(loans.path, ourLoans.body);
    let opens = 0;
    deps = { ...deps, spool: () => (opens++, DiskMatchSpool.open(4)) };
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ type, targets, changes, gbk, shuffle, sortKeys, restate }) => {
        const f = FIXTURES[type];
        run++;
        opens = 0;
        // The same file twice is the same reconciliation, already reported: each run starts from empty stores.
        (deps.breaks as InMemoryBreakStore).breaks.clear();
        (deps.reconciliations as InMemoryReconciliationStore).reconciliations.clear();
        const touched = new Map(targets.map((t, i) => [t, changes[i]!]));
        const entries = theirRows(f, touched, restate);
        const loanColumn = column(f, 'loan_id');
        // In our order: by loan (a stable sort keeps a loan's rows in file order); or shuffled.
        const ordered = shuffle
          ? entries.map((e, i) => [sortKeys[i]!, e] as const).sort((a, b) => a[0] - b[0]).map(([, e]) => e)
          : [...entries].sort((a, b) => (a.fields[loanColumn]! < b.fields[loanColumn]! ? -1 : a.fields[loanColumn]! > b.fields[loanColumn]! ? 1 : 0));
        const header = gbk ? f.header.map((c) => COLUMN_NAMES_ZH[c]!) : f.header;
        const text = `${[header, ...ordered.map((e) => e.fields)].map((r) => r.join('|')).join('\n')}\n`;
        await upload(`UP-p${run}`, gbk ? iconv.encode(text, 'gbk') : text);
        const id = await start(FINANCE, { uploadId: `UP-p${run}`, type: f.type, businessDate: DATE, lenderId: PARTNER_A });
        expect(await reconcileOne(deps, id)).toEqual({ reconciliationId: id, status: 'REPORTED' });

        const lineOf = (from: number, role: Entry['role']): number => 2 + ordered.findIndex((e) => e.from === from && e.role === role);
        const found = [...(deps.breaks as InMemoryBreakStore).breaks.values()].map((b) => JSON.stringify([b.recordKey, b.kind, b.component, String(b.differenceMinor), b.lines])).sort();
        expect(found).toEqual(breaksOf(f, touched, lineOf).sort());
        const moved = [...touched.values()].filter((c) => c.kind !== 'DUPLICATE' && c.kind !== 'EXTRA').length;
        expect((await deps.reconciliations.get(id))!.counts).toEqual({ ours: f.rows.length, theirs: entries.length, matched: f.rows.length - moved, matchedOnAmount: 0, breaks: touched.size });
        // A file out of our order is read again through the spool: a second spool.
        expect(opens).toBe(inOurOrder(ordered.map((e) => e.fields[loanColumn]!)) ? 1 : 2);
      }),
      { numRuns: propertyRuns(60) },
    );
  });
});

describe('the escrow statement', () => {
  const STATEMENT_HEADER = '交易日期,交易流水号,借方发生额,贷方发生额,余额,币种,摘要';

  function seedEscrow(): void {
    const repayment = (id: string, loanId: string, fen: bigint): JournalEntry => ({
      entryId: `REPAYMENT#${id}`,
      eventType: 'REPAYMENT',
      eventId: id,
      loanId,
      currency: 'CNY',
      businessDate: DATE,
      bookedOn: DATE,
      createdAt: now,
      legs: [leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', fen, 'ESCROW'), leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'C', fen)],
    });
    stores.db.entries.set('LN-1#REPAYMENT#R-1', repayment('R-1', 'LN-1', 50_000n));
    stores.db.entries.set('LN-2#REPAYMENT#R-2', repayment('R-2', 'LN-2', 12_345n));
    const instruction = (id: string, payee: string, fen: bigint, businessDate: string, valueDate: string): PayoutInstruction => ({
      instructionId: id,
      businessDate,
      valueDate,
      currency: 'CNY',
      programId: 'P',
      payer: 'ESCROW',
      payee,
      amountMinor: fen,
      netted: true,
      componentsMinor: { PRINCIPAL: fen },
    });
    void stores.settlements.putInstructions([
      instruction('SI-20250228-P-ESCROW-PARTNER-A', PARTNER_A, 70_000n, '2025-02-28', DATE),
      instruction('SI-20250303-P-ESCROW-PARTNER-A', PARTNER_A, 62_345n, DATE, '2025-03-04'),
    ]);
  }

  async function statementReconciled(closing: string): Promise<string> {
    seedEscrow();
    await stores.settlements.recordExecution('2025-02-28', 'SI-20250228-P-ESCROW-PARTNER-A', { bankReference: 'B-003', executedAt: '2025-03-03T10:00:00+08:00', recordedBy: 'fin', recordedAt: now });
    // Opening 700.00 (owed to PARTNER-A for 2025-02-28), + 500.00 + 123.45 collected, − 700.00 paid out.
    const statement = [
      STATEMENT_HEADER,
      `2025-03-03,B-001,,500.00,1200.00,人民币,还款`,
      `2025-03-03,B-002,,123.45,1323.45,人民币,还款`,
      `2025-03-03,B-003,700.00,,${closing},人民币,付款`,
    ].join('\n');
    await upload('UP-stmt', statement);
    const id = await start(FINANCE, { uploadId: 'UP-stmt', type: 'ESCROW_STATEMENT', businessDate: DATE });
    expect(await reconcileOne(deps, id)).toEqual({ reconciliationId: id, status: 'REPORTED' });
    return id;
  }

  it('matches payments on amount and date, a payout on its bank reference, and the balance on what is still owed', async () => {
    const r = (await deps.reconciliations.get(await statementReconciled('623.45')))!;
    expect(r.counts).toEqual({ ours: 3, theirs: 3, matched: 3, matchedOnAmount: 2, breaks: 0 });
    expect(r.matchedMinor).toEqual({ CNY: 132_345n });
    expect(r.balance).toEqual([{ currency: 'CNY', statementMinor: 62_345n, expectedMinor: 62_345n, differenceMinor: 0n, owedMinor: { [PARTNER_A]: 62_345n }, inTransitMinor: 0n }]);
  });

  it('reports a closing balance a fen off as a balance break of the collection account', async () => {
    await statementReconciled('623.44');
    const { items } = await listBreaks(deps, FINANCE, { limit: 10 });
    expect(items.map((b) => [b.kind, b.component, b.recordKey, b.lenderId, b.oursMinor, b.theirsMinor, b.differenceMinor])).toEqual([['AMOUNT_MISMATCH', 'BALANCE', 'CLOSING|CNY', 'ESCROW', 62_345n, 62_344n, -1n]]);
  });
});
