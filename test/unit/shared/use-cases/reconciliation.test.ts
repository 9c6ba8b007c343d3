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

  const perturbation = fc.constantFrom('DROP', 'AMOUNT', 'DATE', 'DUPLICATE');
  const kinds = { DROP: 'MISSING_THEIRS', AMOUNT: 'AMOUNT_MISMATCH', DATE: 'DATE_MISMATCH', DUPLICATE: 'DUPLICATE' } as const;

  it('finds every random perturbation of a clean file (UTF-8 or GBK) as a break of the right kind, and no other', async () => {
    const ours: Row[] = Array.from({ length: 40 }, (_, i) => ({ loan: `LN-${100 + i}`, event: `R-${i}`, principal: 10_000 + i * 137, interest: 50 + i, valueDate: DATE }));
    await deps.files.put(`statements/${PARTNER_A}/20250303/repayment_detail_20250303.txt`, Buffer.from(repaymentFile(PARTNER_A, ours)));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.nat({ max: 39 }), { minLength: 1, maxLength: 6 }), fc.array(perturbation, { minLength: 6, maxLength: 6 }), fc.boolean(), async (targets, changes, gbk) => {
        run++;
        // The same file twice is the same reconciliation, already reported: each run starts from empty stores.
        (deps.breaks as InMemoryBreakStore).breaks.clear();
        (deps.reconciliations as InMemoryReconciliationStore).reconciliations.clear();
        const touched = new Map(targets.map((t, i) => [t, changes[i]!]));
        const lines: string[] = [gbk ? REPAYMENT_HEADER.replace('loan_id', '借据号').replace('event_id', '事件编号') : REPAYMENT_HEADER];
        ours.forEach((row, i) => {
          const change = touched.get(i);
          if (change === 'DROP') return;
          const theirs = change === 'AMOUNT' ? { ...row, principal: row.principal + 1 } : change === 'DATE' ? { ...row, valueDate: '2025-03-02' } : row;
          lines.push(line(PARTNER_A, theirs));
          if (change === 'DUPLICATE') lines.push(line(PARTNER_A, theirs));
        });
        const text = `${lines.join('\n')}\n`;
        await upload(`UP-p${run}`, gbk ? iconv.encode(text, 'gbk') : text);
        const id = await start(FINANCE, { uploadId: `UP-p${run}`, type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A });
        await reconcileOne(deps, id);
        const found = [...(deps.breaks as InMemoryBreakStore).breaks.values()].map((b) => `${b.recordKey}:${b.kind}`).sort();
        const wanted = [...touched].map(([i, change]) => `${ours[i]!.loan}|${ours[i]!.event}:${kinds[change]}`).sort();
        expect(found).toEqual(wanted);
        expect((await deps.reconciliations.get(id))!.counts!.matched).toBe(40 - [...touched.values()].filter((c) => c !== 'DUPLICATE').length);
      }),
      { numRuns: 25 },
    );
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
