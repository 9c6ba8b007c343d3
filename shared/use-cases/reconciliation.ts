import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { actorOf, canSeeLender, restrictedTo, type Principal } from '../domain/access.ts';
import { CounterpartFileError, GENERIC_BANK_ID, type BankStatementMapping, type CounterpartFileType, type CounterpartRecord, type EscrowStatementLine } from '../domain/counterpart-records.ts';
import { NotFound, RuleViolation, ValidationError } from '../domain/errors.ts';
import { ESCROW } from '../domain/ledger.ts';
import { executedOn } from '../domain/settlement.ts';
import { addDays, compareIsoDates } from '../domain/money/index.ts';
import { countBreaks, sumCounts, differenceOf, matchRecords, reconciliationIdOf, type BreakCounts, type BreakFinding, type MatchRecord, type MatchResult, type Tolerances } from '../domain/reconciliation.ts';
import { breakIdFrom, breakIdentityText, type ReconciliationBreak, type ReconciliationType } from '../domain/reconciliation-break.ts';
import { entryMovement, escrowEffectMinor, expectedRecord, instructionMovement, loanRowRecord, repaymentRowRecord, statementRecord } from '../domain/reconciliation-records.ts';
import { sha256 } from '../json.ts';
import { WriteConflict } from '../ports/stores.ts';
import type {
  BreakStore,
  Clock,
  EscrowBalanceCheck,
  FileStore,
  IdempotencyStore,
  KeyReservation,
  LedgerStore,
  MatchSpool,
  Reconciliation,
  ReconciliationSettings,
  ReconciliationSettingsReader,
  ReconciliationStore,
  Seal,
  SettlementStore,
  StoredInstruction,
  UploadUrls,
  WorkflowStarter,
  Page,
  PageRequest,
} from '../ports/stores.ts';
import { statementPath } from '../adapters/files/settlement-files.ts';
import { bankFormat, type BankFormatDeps } from './bank-formats.ts';
import { DEFAULT_ESCALATE_AFTER_DAYS } from './break-escalation.ts';

/** Reads a counterpart file as it streams, a chunk's records at a time (the adapter of docs/files.md, Counterpart files). */
export type CounterpartReader = <T extends CounterpartFileType>(input: Readable | AsyncIterable<Uint8Array>, options: { readonly type: T; readonly mapping?: BankStatementMapping }) => AsyncIterable<CounterpartRecord<T>[]>;

export interface ReconciliationDeps {
  readonly reconciliations: ReconciliationStore;
  readonly breaks: BreakStore;
  readonly settlements: Pick<SettlementStore, 'getRun' | 'openInstructions' | 'instructionsExecutedOn'>;
  readonly ledger: Pick<LedgerStore, 'entriesOfDayShard'>;
  readonly files: FileStore;
  readonly clock: Clock;
  readonly spool: () => Promise<MatchSpool>;
  readonly readCounterpart: CounterpartReader;
  /** A bank's statement layout (docs/files.md); null when none was loaded. */
  readonly bankFormat: (bankId: string) => Promise<BankStatementMapping | null>;
  readonly shardCount: number;
}

export const DEFAULT_SETTINGS = { amountToleranceMinor: 0n, dateToleranceDays: 0, escalateAfterDays: DEFAULT_ESCALATE_AFTER_DAYS } as const;
/** The bank format of a statement when the request names none: the built-in generic layout. */
export const GENERIC_BANK_FORMAT = GENERIC_BANK_ID;

/** The latest mapping of a bank (the built-in generic one included), or null for a bank never loaded. */
export async function latestMapping(deps: BankFormatDeps, bankId: string): Promise<BankStatementMapping | null> {
  try {
    return (await bankFormat(deps, bankId, null)).mapping;
  } catch (error) {
    if (error instanceof NotFound) return null;
    throw error;
  }
}
const UPLOAD_URL_SECONDS = 15 * 60;
const PARTNER_TYPES: readonly ReconciliationType[] = ['PARTNER_REPAYMENTS', 'PARTNER_LOANS'];

// ---------------------------------------------------------------------------------------------
// Uploads and starts

export async function createUpload(
  deps: { reconciliations: ReconciliationStore; uploads: UploadUrls; clock: Clock; idempotency: IdempotencyStore; newId: () => string },
  principal: Principal,
  request: { fileName: string; sha256: string },
  seal: Seal,
  reservation?: KeyReservation,
): Promise<void> {
  const uploadId = `UP-${deps.newId()}`;
  const path = `reconciliation-uploads/${uploadId}`;
  // The request's key is reserved before anything is written: two requests under one key never both make an upload.
  await reservation?.take();
  await deps.reconciliations.putUpload({ uploadId, fileName: request.fileName, path, createdBy: actorOf(principal), lenderId: principal.lenderId, createdAt: deps.clock.now() });
  // The URL takes only the bytes of the SHA-256 told, sent with the headers it signs.
  const { url, headers } = await deps.uploads.putUrl(path, UPLOAD_URL_SECONDS, request.sha256);
  const expiresAt = new Date(Date.parse(deps.clock.now()) + UPLOAD_URL_SECONDS * 1000).toISOString();
  await deps.idempotency.put(seal(201, { uploadId, method: 'PUT', url, headers, expiresAt }));
}

export interface StartReconciliationRequest {
  readonly uploadId: string;
  readonly type: ReconciliationType;
  readonly businessDate: string;
  readonly lenderId?: string;
  readonly bankFormat?: string;
}

async function fileSha256(files: FileStore, path: string): Promise<string | null> {
  const stream = await files.getStream(path);
  if (stream === null) return null;
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

/**
 * Records the reconciliation of an uploaded file and starts its workflow. The id comes from what
 * is reconciled (date, type, counterparty, the file's SHA-256), so the same file sent twice is one
 * reconciliation; a failed one is started again.
 */
export async function startReconciliation(
  deps: Pick<ReconciliationDeps, 'reconciliations' | 'files' | 'clock' | 'bankFormat'> & { idempotency: IdempotencyStore; workflow: WorkflowStarter; lenderExists: (id: string) => Promise<boolean> },
  principal: Principal,
  request: StartReconciliationRequest,
  seal: Seal,
  reservation?: KeyReservation,
): Promise<void> {
  const upload = await deps.reconciliations.getUpload(request.uploadId);
  const own = restrictedTo(principal);
  if (upload === null || (own !== null && upload.lenderId !== own)) throw new NotFound('upload', request.uploadId);
  let counterparty: string;
  let lenderId: string | null = null;
  let bankFormat: string | null = null;
  if (PARTNER_TYPES.includes(request.type)) {
    lenderId = request.lenderId ?? own;
    if (lenderId === null) throw new ValidationError(`a ${request.type} reconciliation names the lender whose records these are`, { path: 'lenderId', rule: 'required' });
    if (!canSeeLender(principal, lenderId) || !(await deps.lenderExists(lenderId))) throw new NotFound('lender', lenderId);
    counterparty = lenderId;
  } else {
    if (own !== null) throw new RuleViolation('FORBIDDEN', 'the escrow statement covers every lender; it is reconciled by the platform teams only', { path: 'type' });
    if (request.lenderId !== undefined) throw new ValidationError('an escrow statement is not one lender\'s: leave lenderId out', { path: 'lenderId', rule: 'not-allowed' });
    bankFormat = request.bankFormat ?? GENERIC_BANK_FORMAT;
    if ((await deps.bankFormat(bankFormat)) === null) {
      throw new ValidationError(`no bank format ${bankFormat} was loaded (PUT /v1/bank-formats/${bankFormat})`, { path: 'bankFormat', rule: 'unknown' });
    }
    counterparty = bankFormat;
  }
  const sha = await fileSha256(deps.files, upload.path);
  if (sha === null) throw new RuleViolation('UPLOAD_EMPTY', `nothing was uploaded for ${upload.uploadId}: PUT the file to its URL first`, { path: 'uploadId' });
  const reconciliationId = reconciliationIdOf(request.type, request.businessDate, counterparty, sha);
  const now = deps.clock.now();
  // Everything that refuses a request is decided: the key is reserved before the first write, so
  // of two requests under one key only one writes. What follows refuses nothing: a start that
  // loses the record's write to another start of the same file takes the record that won.
  await reservation?.take();
  const started = await recordReceived(deps, reconciliationId, () =>
    receivedReconciliation({
      reconciliationId,
      type: request.type,
      businessDate: request.businessDate,
      counterparty,
      lenderId,
      bankFormat,
      uploadId: upload.uploadId,
      fileName: upload.fileName,
      fileSha256: sha,
      createdBy: actorOf(principal),
      createdAt: now,
    }),
  );
  const { executionArn } = await deps.workflow.start(executionName(reconciliationId, started.runs), { reconciliationIds: [reconciliationId] });
  await deps.idempotency.put(seal(202, { reconciliationId, status: started.status, executionArn }));
}

/** How often a start reads the record again after another start of the same file wrote it first. */
const RECORD_ATTEMPTS = 5;

/**
 * The reconciliation to start: recorded RECEIVED when new, RECEIVED again (its next run) when it
 * failed, else as it stands. A write lost to another start of the same file at the same instant
 * is read again and taken as it now stands.
 */
async function recordReceived(deps: Pick<ReconciliationDeps, 'reconciliations' | 'clock'>, reconciliationId: string, received: () => Reconciliation): Promise<Reconciliation> {
  for (let attempt = 1; ; attempt++) {
    const existing = await deps.reconciliations.get(reconciliationId);
    if (existing !== null && existing.status !== 'FAILED') return existing;
    const next = existing === null ? received() : { ...existing, status: 'RECEIVED' as const, failure: null, updatedAt: deps.clock.now(), runs: existing.runs + 1, version: existing.version + 1 };
    try {
      await deps.reconciliations.put(next, existing?.version ?? 0);
      return next;
    } catch (error) {
      if (!(error instanceof WriteConflict) || attempt >= RECORD_ATTEMPTS) throw error;
    }
  }
}

/** A reconciliation as it is first recorded: RECEIVED, nothing matched yet. */
export function receivedReconciliation(
  fields: Pick<Reconciliation, 'reconciliationId' | 'type' | 'businessDate' | 'counterparty' | 'lenderId' | 'bankFormat' | 'uploadId' | 'fileName' | 'fileSha256' | 'createdBy' | 'createdAt'>,
): Reconciliation {
  return {
    ...fields,
    status: 'RECEIVED',
    updatedAt: fields.createdAt,
    settlementAttempt: null,
    counts: null,
    matchedMinor: {},
    breaksByKind: {},
    breaksByAge: {},
    netDifferenceMinor: {},
    balance: [],
    errors: [],
    failure: null,
    runs: 1,
    version: 1,
  };
}

/** Execution names are at most 80 characters: the date and a digest of the id, and the run's count. */
export function executionName(reconciliationId: string, run: number): string {
  return `reconcile-${sha256(reconciliationId).slice(0, 24)}-${run}`;
}

// ---------------------------------------------------------------------------------------------
// Workflow steps

/**
 * The reconciliations a run of the workflow takes: those it was started with, or, after the
 * settlement of a date, the latest of each type and counterparty of that date that waits for the
 * settlement, failed, or was matched against an earlier run of the date.
 */
export async function planReconciliations(deps: Pick<ReconciliationDeps, 'reconciliations' | 'settlements'>, input: { reconciliationIds?: readonly string[]; businessDate?: string }): Promise<string[]> {
  if (input.reconciliationIds !== undefined) return [...input.reconciliationIds];
  if (input.businessDate === undefined) return [];
  const run = await deps.settlements.getRun(input.businessDate);
  const latest = new Map<string, Reconciliation>();
  for (const r of await deps.reconciliations.ofDate(input.businessDate)) latest.set(`${r.type}#${r.counterparty}`, r);
  return [...latest.values()]
    .filter((r) => r.status === 'WAITING' || r.status === 'RECEIVED' || r.status === 'FAILED' || (r.status === 'REPORTED' && run !== null && r.settlementAttempt !== run.attempt))
    .map((r) => r.reconciliationId);
}

/** When a counterparty's breaks escalate, from its settings (the daily escalation reads this). */
export function settingsReader(deps: Pick<ReconciliationDeps, 'reconciliations'>): ReconciliationSettingsReader {
  return { escalateAfterDays: async (counterparty) => (await settingsOf(deps, counterparty)).escalateAfterDays };
}

/** The tolerances and escalation of a counterparty: its latest settings, or the defaults. */
export async function settingsOf(deps: Pick<ReconciliationDeps, 'reconciliations'>, counterparty: string): Promise<Omit<ReconciliationSettings, 'setBy' | 'setAt' | 'version' | 'counterparty'>> {
  return (await deps.reconciliations.settings(counterparty)) ?? DEFAULT_SETTINGS;
}

async function save(deps: Pick<ReconciliationDeps, 'reconciliations' | 'clock'>, current: Reconciliation, change: Partial<Reconciliation>): Promise<Reconciliation> {
  const next: Reconciliation = { ...current, ...change, updatedAt: deps.clock.now(), version: current.version + 1 };
  await deps.reconciliations.put(next, current.version);
  return next;
}

/**
 * Reconciles one file against the settled date: reads it to the end (a malformed file is
 * REJECTED, nothing of it used), spools both sides by group, matches partition by partition,
 * upserts the breaks, resolves those of the scope no longer found, and reports. The same file
 * against the same settlement attempt is reported once.
 */
export async function reconcileOne(deps: ReconciliationDeps, reconciliationId: string): Promise<{ reconciliationId: string; status: Reconciliation['status'] }> {
  let current = await deps.reconciliations.get(reconciliationId);
  if (current === null) throw new NotFound('reconciliation', reconciliationId);
  if (current.status === 'REJECTED') return { reconciliationId, status: current.status };
  const run = await deps.settlements.getRun(current.businessDate);
  if (run === null || run.status !== 'SETTLED') {
    if (current.status !== 'WAITING') await save(deps, current, { status: 'WAITING' });
    return { reconciliationId, status: 'WAITING' };
  }
  if (current.status === 'REPORTED' && current.settlementAttempt === run.attempt) return { reconciliationId, status: current.status };
  const upload = await deps.reconciliations.getUpload(current.uploadId);
  if (upload === null) throw new NotFound('upload', current.uploadId);
  const r = current;
  const days = [...new Set(Object.values(run.daysByCalendar).flat())].sort();
  const openTheirs = async (closing: Map<string, EscrowStatementLine>): Promise<AsyncIterable<MatchRecord[]>> => {
    const input = await deps.files.getStream(upload.path);
    if (input === null) throw new NotFound('upload', r.uploadId);
    return theirsRecords(deps, r, input, closing);
  };
  const settings = await settingsOf(deps, r.counterparty);
  const tolerances: Tolerances = { amountToleranceMinor: settings.amountToleranceMinor, dateToleranceDays: settings.dateToleranceDays };
  let spool = await deps.spool();
  try {
    let tally: Tally;
    const closing = new Map<string, EscrowStatementLine>();
    try {
      if (r.type === 'ESCROW_STATEMENT') {
        tally = await matchSpooled(await oursRecords(deps, r, days), await openTheirs(closing), tolerances, spool);
      } else {
        try {
          tally = await matchInOrder(await oursRecords(deps, r, days), await openTheirs(closing), tolerances, spool);
        } catch (error) {
          if (!(error instanceof OutOfOrder)) throw error;
          // A file not in our order (by loan) is matched through the spool: read again, from the start.
          await spool.close();
          spool = await deps.spool();
          tally = await matchSpooled(await oursRecords(deps, r, days), await openTheirs(closing), tolerances, spool);
        }
      }
    } catch (error) {
      if (!(error instanceof CounterpartFileError)) throw error;
      const errors = error.errors.map((e) => ({ line: e.line, field: e.path, rule: e.rule, message: e.message }));
      current = await save(deps, current, { status: 'REJECTED', errors, settlementAttempt: run.attempt });
      return { reconciliationId, status: 'REJECTED' };
    }
    // The whole file was read and matched: only now is anything of it written.
    const today = deps.clock.now().slice(0, 10);
    const balance = r.type === 'ESCROW_STATEMENT' ? await escrowBalance(deps, r.businessDate, closing, today) : [];
    for (const b of balance) if (abs(b.differenceMinor) > tolerances.amountToleranceMinor) await spool.keep(balanceFinding(b));
    const written = await writeBreaks(deps, r, spool.kept(), today);
    await resolveGone(deps, r, written.ids);
    current = await save(deps, current, {
      status: 'REPORTED',
      settlementAttempt: run.attempt,
      counts: { ours: tally.ours, theirs: tally.theirs, matched: tally.matched, matchedOnAmount: tally.matchedOnAmount, breaks: written.ids.size },
      matchedMinor: tally.matchedMinor,
      breaksByKind: written.counts.byKind,
      breaksByAge: written.counts.byAge,
      netDifferenceMinor: written.counts.netDifferenceMinor,
      balance,
      errors: [],
      failure: null,
    });
    return { reconciliationId, status: 'REPORTED' };
  } finally {
    await spool.close();
  }
}

/** What matching counted; the differences it found are kept in the spool until the whole file is read. */
interface Tally {
  ours: number;
  theirs: number;
  matched: number;
  matchedOnAmount: number;
  matchedMinor: Record<string, bigint>;
}

const newTally = (): Tally => ({ ours: 0, theirs: 0, matched: 0, matchedOnAmount: 0, matchedMinor: {} });

async function tallyOf(tally: Tally, result: MatchResult, spool: MatchSpool): Promise<void> {
  tally.ours += result.oursCount;
  tally.theirs += result.theirsCount;
  tally.matched += result.matchedCount;
  tally.matchedOnAmount += result.matchedOnAmountCount;
  for (const c in result.matchedMinor) tally.matchedMinor[c] = (tally.matchedMinor[c] ?? 0n) + result.matchedMinor[c]!;
  for (const f of result.findings) await spool.keep(f);
}

/** A group came again after a later one: the file is not in our order. */
class OutOfOrder extends Error {
  override readonly name = 'OutOfOrder';
}

/**
 * The records of each group in turn, from batches of records: a group is handed over once its last
 * record has been seen; OutOfOrder when a group comes after a later one or again.
 */
class Groups {
  private buffer: MatchRecord[] = [];
  private at = 0;
  private done = false;
  private last: string | null = null;

  constructor(private readonly batches: AsyncIterator<MatchRecord[]>) {}

  /** The next group when the batches read hold it whole; null at the end; undefined when more must be read. */
  take(): MatchRecord[] | null | undefined {
    if (this.at >= this.buffer.length) return this.done ? null : undefined;
    const group = this.buffer[this.at]!.group;
    let end = this.at + 1;
    while (end < this.buffer.length && this.buffer[end]!.group === group) end++;
    if (end === this.buffer.length && !this.done) return undefined;
    if (this.last !== null && group <= this.last) throw new OutOfOrder(`${group} after ${this.last}`);
    this.last = group;
    const records = this.buffer.slice(this.at, end);
    this.at = end;
    return records;
  }

  async next(): Promise<MatchRecord[] | null> {
    for (;;) {
      const group = this.take();
      if (group !== undefined) return group;
      const read = await this.batches.next();
      if (read.done === true) this.done = true;
      else {
        this.buffer = this.at === this.buffer.length ? read.value : [...this.buffer.slice(this.at), ...read.value];
        this.at = 0;
      }
    }
  }
}

/**
 * Both sides in our order (by loan, as our files are written and partners send them back):
 * matched group by group as they stream, holding a chunk of each side.
 */
async function matchInOrder(ours: AsyncIterable<MatchRecord[]>, theirs: AsyncIterable<MatchRecord[]>, tolerances: Tolerances, spool: MatchSpool): Promise<Tally> {
  const tally = newTally();
  const a = new Groups(ours[Symbol.asyncIterator]());
  const b = new Groups(theirs[Symbol.asyncIterator]());
  let x = await a.next();
  let y = await b.next();
  while (x !== null || y !== null) {
    const ourGroup = x === null ? null : x[0]!.group;
    const theirGroup = y === null ? null : y[0]!.group;
    const both = ourGroup !== null && ourGroup === theirGroup;
    const oursOnly = !both && ourGroup !== null && (theirGroup === null || ourGroup < theirGroup);
    await tallyOf(tally, matchRecords(both || oursOnly ? x! : [], both || !oursOnly ? y! : [], tolerances), spool);
    if (both || oursOnly) {
      const taken = a.take();
      x = taken === undefined ? await a.next() : taken;
    }
    if (both || !oursOnly) {
      const taken = b.take();
      y = taken === undefined ? await b.next() : taken;
    }
  }
  return tally;
}

/** Both sides written out by group into the spool's partitions, then matched one partition at a time. */
async function matchSpooled(ours: AsyncIterable<MatchRecord[]>, theirs: AsyncIterable<MatchRecord[]>, tolerances: Tolerances, spool: MatchSpool): Promise<Tally> {
  for await (const records of theirs) await spool.add('THEIRS', records);
  for await (const records of ours) await spool.add('OURS', records);
  await spool.seal();
  const tally = newTally();
  for (let p = 0; p < spool.partitions; p++) await tallyOf(tally, matchRecords(await spool.read('OURS', p), await spool.read('THEIRS', p), tolerances), spool);
  return tally;
}

/** The differences kept, as breaks: upserted 100 at a time, counted as they go. */
async function writeBreaks(deps: Pick<ReconciliationDeps, 'breaks' | 'clock'>, r: Reconciliation, findings: AsyncIterable<BreakFinding>, today: string): Promise<{ ids: Set<string>; counts: BreakCounts }> {
  const ids = new Set<string>();
  let counts: BreakCounts = countBreaks([], today);
  let batch: ReconciliationBreak[] = [];
  const flush = async (): Promise<void> => {
    const stored = await deps.breaks.upsertFound(batch);
    for (const b of stored) ids.add(b.breakId);
    counts = sumCounts(counts, countBreaks(stored, today));
    batch = [];
  };
  for await (const finding of findings) {
    batch.push(breakOf(r, finding, today, deps.clock.now()));
    if (batch.length === 100) await flush();
  }
  await flush();
  return { ids, counts };
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

function breakOf(r: Reconciliation, f: BreakFinding, today: string, now: string): ReconciliationBreak {
  const identity = { type: r.type, businessDate: r.businessDate, counterparty: r.counterparty, kind: f.kind, component: f.component, recordKey: f.recordKey };
  return {
    ...identity,
    breakId: breakIdFrom(identity, sha256(breakIdentityText(identity))),
    lenderId: r.lenderId ?? f.lenderId,
    currency: f.currency,
    oursMinor: f.oursMinor,
    theirsMinor: f.theirsMinor,
    differenceMinor: f.kind === 'DATE_MISMATCH' || f.kind === 'CLASSIFICATION_MISMATCH' || f.kind === 'DUPLICATE' ? 0n : differenceOf(f),
    ours: f.ours,
    theirs: f.theirs,
    lines: f.lines,
    openedOn: today,
    openedAt: now,
    reconciliationId: r.reconciliationId,
    state: 'OPEN',
    owner: null,
    history: [{ at: now, by: 'reconciliation', from: null, to: 'OPEN', reason: `found by ${r.reconciliationId}`, reconciliationId: r.reconciliationId }],
    escalatedAt: null,
    version: 1,
  };
}

function balanceFinding(b: EscrowBalanceCheck): BreakFinding {
  return {
    kind: 'AMOUNT_MISMATCH',
    component: 'BALANCE',
    recordKey: `CLOSING|${b.currency}`,
    lenderId: ESCROW,
    currency: b.currency,
    oursMinor: b.expectedMinor,
    theirsMinor: b.statementMinor,
    ours: null,
    theirs: null,
    lines: [],
  };
}

/** Their records as matching sees them; an escrow statement's last line with a balance, per currency, into `closing`. */
async function* theirsRecords(deps: ReconciliationDeps, r: Reconciliation, input: AsyncIterable<Uint8Array>, closing: Map<string, EscrowStatementLine>): AsyncGenerator<MatchRecord[]> {
  if (r.type === 'ESCROW_STATEMENT') {
    const mapping = (await deps.bankFormat(r.bankFormat ?? GENERIC_BANK_FORMAT)) ?? undefined;
    const executed = await deps.settlements.instructionsExecutedOn(r.businessDate);
    const byReference = new Map(executed.filter((i) => i.executed !== null).map((i) => [i.executed!.bankReference, { instructionId: i.instructionId, lenderId: i.payer === ESCROW ? i.payee : i.payer }]));
    for await (const lines of deps.readCounterpart(input, { type: 'ESCROW_STATEMENT', ...(mapping === undefined ? {} : { mapping }) })) {
      for (const line of lines) {
        if (line.balanceAfterMinor === undefined) continue;
        const last = closing.get(line.currency);
        if (last === undefined || last.line < line.line) closing.set(line.currency, line);
      }
      yield lines.map((line) => statementRecord(line, byReference));
    }
    return;
  }
  const toRecord = recordOf(r.type);
  for await (const rows of deps.readCounterpart(input, { type: r.type })) {
    yield rows.map((row) => {
      const record = toRecord(row);
      return record.lenderId === r.counterparty ? record : { ...record, lenderId: r.counterparty };
    });
  }
}

function recordOf(type: 'PARTNER_REPAYMENTS' | 'PARTNER_LOANS'): (row: CounterpartRecord) => MatchRecord {
  return type === 'PARTNER_REPAYMENTS' ? (row) => repaymentRowRecord(row as CounterpartRecord<'PARTNER_REPAYMENTS'>) : (row) => loanRowRecord(row as CounterpartRecord<'PARTNER_LOANS'>);
}

/** The name of a lender's file of a date (docs/files.md). */
function ourFileName(type: 'PARTNER_REPAYMENTS' | 'PARTNER_LOANS', businessDate: string): string {
  const compact = businessDate.replaceAll('-', '');
  return type === 'PARTNER_REPAYMENTS' ? `repayment_detail_${compact}.txt` : `loan_master_${compact}.txt`;
}

/** Our side: the lender's own file of the date as settled, or the movements the collection account should show. */
async function oursRecords(deps: ReconciliationDeps, r: Reconciliation, days: readonly string[]): Promise<AsyncIterable<MatchRecord[]>> {
  if (r.type === 'ESCROW_STATEMENT') return expectedMovements(deps, r.businessDate, days);
  const name = ourFileName(r.type, r.businessDate);
  const ours = await deps.files.getStream(statementPath(r.counterparty, r.businessDate, name));
  if (ours === null) throw new RuleViolation('OUR_FILE_MISSING', `${r.counterparty} has no ${name} for ${r.businessDate}: the settlement of the date wrote no files for it`, { lenderId: r.counterparty });
  const toRecord = recordOf(r.type);
  return (async function* () {
    for await (const rows of deps.readCounterpart(ours, { type: r.type })) yield rows.map(toRecord);
  })();
}

async function* expectedMovements(deps: ReconciliationDeps, day: string, days: readonly string[]): AsyncGenerator<MatchRecord[]> {
  for (const settled of days) {
    for (let shard = 0; shard < deps.shardCount; shard++) {
      const movements = (await deps.ledger.entriesOfDayShard(settled, shard)).map(entryMovement);
      yield movements.filter((m) => m !== null).map(expectedRecord);
    }
  }
  const instructions = (await instructionsOfStatementDay(deps, day)).map((i) => instructionMovement(i, i.executed === null ? i.valueDate : executedOn(i.executed)));
  yield instructions.filter((m) => m !== null).map(expectedRecord);
}

/** Instructions the statement of a day should show: those executed that day, and those due that day not yet executed. */
async function instructionsOfStatementDay(deps: Pick<ReconciliationDeps, 'settlements'>, day: string): Promise<StoredInstruction[]> {
  const due = (await deps.settlements.openInstructions()).filter((i) => i.valueDate === day);
  return [...(await deps.settlements.instructionsExecutedOn(day)), ...due];
}

/**
 * (b) What the collection account should hold at the end of the day, per currency: every
 * instruction of a date up to the day not executed by its end (out of the account: still held;
 * into it: still to come), and payments received by the day but booked after its cut-off.
 */
export async function escrowBalance(
  deps: Pick<ReconciliationDeps, 'settlements' | 'ledger' | 'shardCount'>,
  day: string,
  closing: ReadonlyMap<string, EscrowStatementLine>,
  today: string,
): Promise<EscrowBalanceCheck[]> {
  const owed = new Map<string, Map<string, bigint>>();
  const add = (currency: string, party: string, amount: bigint): void => {
    const parties = owed.get(currency) ?? new Map<string, bigint>();
    parties.set(party, (parties.get(party) ?? 0n) + amount);
    owed.set(currency, parties);
  };
  const unpaid: StoredInstruction[] = (await deps.settlements.openInstructions()).filter((i) => compareIsoDates(i.businessDate, day) <= 0);
  for (let d = addDays(day, 1); compareIsoDates(d, today) <= 0; d = addDays(d, 1)) {
    unpaid.push(...(await deps.settlements.instructionsExecutedOn(d)).filter((i) => compareIsoDates(i.businessDate, day) <= 0));
  }
  for (const i of unpaid) {
    if (i.payer === ESCROW) add(i.currency, i.payee, i.amountMinor);
    else if (i.payee === ESCROW) add(i.currency, i.payer, -i.amountMinor);
  }
  const inTransit = new Map<string, bigint>();
  const next = addDays(day, 1);
  for (let shard = 0; shard < deps.shardCount; shard++) {
    for (const entry of await deps.ledger.entriesOfDayShard(next, shard)) {
      if (compareIsoDates(entry.businessDate, day) > 0) continue;
      const net = escrowEffectMinor(entry);
      if (net !== 0n) inTransit.set(entry.currency, (inTransit.get(entry.currency) ?? 0n) + net);
    }
  }
  const currencies = [...new Set([...closing.keys()])].sort();
  return currencies.map((currency) => {
    const parties = owed.get(currency) ?? new Map<string, bigint>();
    const transit = inTransit.get(currency) ?? 0n;
    const expected = [...parties.values()].reduce((s, v) => s + v, 0n) + transit;
    const statement = closing.get(currency)!.balanceAfterMinor!;
    return {
      currency,
      statementMinor: statement,
      expectedMinor: expected,
      differenceMinor: statement - expected,
      owedMinor: Object.fromEntries([...parties].sort(([a], [b]) => (a < b ? -1 : 1))),
      inTransitMinor: transit,
    };
  });
}

/** The ids of the breaks the latest report of a date, type and counterparty found. */
function scopeBreaksPath(r: Pick<Reconciliation, 'type' | 'businessDate' | 'counterparty'>): string {
  return `reconciliation-work/${r.type}/${r.businessDate}/${r.counterparty}/breaks.txt`;
}

export async function breakIdsOfScope(deps: Pick<ReconciliationDeps, 'files'>, r: Pick<Reconciliation, 'type' | 'businessDate' | 'counterparty'>): Promise<string[]> {
  const stored = await deps.files.get(scopeBreaksPath(r));
  return stored === null ? [] : Buffer.from(stored).toString('utf8').split('\n').filter((id) => id !== '');
}

/** Breaks of the same date, type and counterparty an earlier report found and this one did not: resolved. */
async function resolveGone(deps: Pick<ReconciliationDeps, 'breaks' | 'files' | 'clock'>, r: Reconciliation, found: ReadonlySet<string>): Promise<void> {
  const path = scopeBreaksPath(r);
  const earlier = await breakIdsOfScope(deps, r);
  for (const breakId of earlier) {
    if (found.has(breakId)) continue;
    for (let attempt = 0; attempt < 5; attempt++) {
      const b = await deps.breaks.get(breakId);
      if (b === null || (b.state !== 'OPEN' && b.state !== 'INVESTIGATING')) break;
      const now = deps.clock.now();
      const resolved: ReconciliationBreak = {
        ...b,
        state: 'RESOLVED',
        history: [...b.history, { at: now, by: 'reconciliation', from: b.state, to: 'RESOLVED', reason: `no longer found by ${r.reconciliationId}`, reconciliationId: r.reconciliationId }],
        version: b.version + 1,
      };
      try {
        await deps.breaks.put(resolved, b.version);
        break;
      } catch (error) {
        if (!(error instanceof Error && error.name === 'WriteConflict')) throw error;
      }
    }
  }
  await deps.files.put(path, Buffer.from([...found].sort().map((id) => `${id}\n`).join('')));
}

/** A run that stopped: FAILED with the reason; it is planned again by the next settlement of the date or a new start. */
export async function failReconciliation(deps: Pick<ReconciliationDeps, 'reconciliations' | 'clock'>, reconciliationId: string, error: { code: string; message: string }): Promise<void> {
  const current = await deps.reconciliations.get(reconciliationId);
  if (current === null || current.status === 'REPORTED' || current.status === 'REJECTED') return;
  await save(deps, current, { status: 'FAILED', failure: error });
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A reconciliation as its caller may see it: a partner only its own; another's is not found. */
export async function reconciliationView(deps: Pick<ReconciliationDeps, 'reconciliations'>, principal: Principal, reconciliationId: string): Promise<Reconciliation> {
  const r = await deps.reconciliations.get(reconciliationId);
  if (r === null || !visible(principal, r)) throw new NotFound('reconciliation', reconciliationId);
  return r;
}

function visible(principal: Principal, r: Reconciliation): boolean {
  const own = restrictedTo(principal);
  return own === null || r.lenderId === own;
}

/** A page of a date's reconciliations the caller may see (one read, filtered: a page may hold fewer than the limit). */
export async function reconciliationsOfDate(
  deps: Pick<ReconciliationDeps, 'reconciliations'>,
  principal: Principal,
  businessDate: string,
  lenderId: string | undefined,
  page: PageRequest,
): Promise<Page<Reconciliation>> {
  const found = await deps.reconciliations.pageOfDate(businessDate, page);
  return { items: found.items.filter((r) => visible(principal, r) && (lenderId === undefined || r.lenderId === lenderId)), cursor: found.cursor };
}

/** A page of breaks; a partner (or a lender's finance team) sees only its own lender's. */
export async function listBreaks(
  deps: Pick<ReconciliationDeps, 'breaks'>,
  principal: Principal,
  query: { lender?: string; state?: ReconciliationBreak['state']; kind?: ReconciliationBreak['kind']; limit: number; cursor?: string },
): Promise<{ items: ReconciliationBreak[]; cursor: string | null }> {
  const own = restrictedTo(principal);
  if (own !== null && query.lender !== undefined && query.lender !== own) return { items: [], cursor: null };
  const lenderId = own ?? query.lender;
  const page = await deps.breaks.list({ ...(query.state === undefined ? {} : { state: query.state }), ...(lenderId === undefined ? {} : { lenderId }), limit: query.limit, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) });
  return { items: page.items.filter((b) => query.kind === undefined || b.kind === query.kind), cursor: page.cursor };
}

/** The most breaks one export holds: 10 reads of 500, so a request never reads a partition to its end. */
export const MAX_EXPORTED_BREAKS = 5_000;
const EXPORT_PAGE = 500;

/**
 * Every break a listing would page through, for the exports, at most MAX_EXPORTED_BREAKS of them
 * (10 bounded reads); more than that is refused before any file is written, naming the maximum,
 * so a narrower filter (a lender, a state, a kind) or the paged listing is used instead.
 */
export async function allBreaks(deps: Pick<ReconciliationDeps, 'breaks'>, principal: Principal, query: { lender?: string; state?: ReconciliationBreak['state']; kind?: ReconciliationBreak['kind'] }): Promise<ReconciliationBreak[]> {
  const all: ReconciliationBreak[] = [];
  let cursor: string | undefined;
  for (let read = 0; read < MAX_EXPORTED_BREAKS / EXPORT_PAGE; read++) {
    const page = await listBreaks(deps, principal, { ...query, limit: EXPORT_PAGE, ...(cursor === undefined ? {} : { cursor }) });
    all.push(...page.items);
    cursor = page.cursor ?? undefined;
    if (cursor === undefined) return all;
  }
  const more = await listBreaks(deps, principal, { ...query, limit: 1, ...(cursor === undefined ? {} : { cursor }) });
  if (more.items.length === 0 && more.cursor === null) return all;
  throw new RuleViolation('EXPORT_TOO_LARGE', `an export holds at most ${MAX_EXPORTED_BREAKS} breaks and this filter has more; export by lender, state or kind, or page through GET /v1/breaks`, {
    path: 'state',
    rule: 'EXPORT_TOO_LARGE',
    maxBreaks: MAX_EXPORTED_BREAKS,
  });
}

/** A counterparty's tolerances as a new version, with who set them. */
export async function putSettings(
  deps: Pick<ReconciliationDeps, 'reconciliations' | 'clock'>,
  principal: Principal,
  counterparty: string,
  request: { amountToleranceMinor: bigint; dateToleranceDays: number; escalateAfterDays: number },
  seal: Seal,
): Promise<void> {
  const latest = await deps.reconciliations.settings(counterparty);
  const settings: ReconciliationSettings = { counterparty, ...request, version: (latest?.version ?? 0) + 1, setBy: actorOf(principal), setAt: deps.clock.now() };
  // The version and the answer in one transaction: a request refused under its key sets nothing.
  await deps.reconciliations.putSettings(settings, seal(201, settings));
}

export async function settingsView(deps: Pick<ReconciliationDeps, 'reconciliations'>, counterparty: string): Promise<ReconciliationSettings | (typeof DEFAULT_SETTINGS & { counterparty: string; version: 0 })> {
  return (await deps.reconciliations.settings(counterparty)) ?? { counterparty, ...DEFAULT_SETTINGS, version: 0 };
}
