import { businessDateAt, cutoffDayAt } from '../domain/business-date.ts';
import { invariant, NotFound, RuleViolation, StateConflict } from '../domain/errors.ts';
import { addDays } from '../domain/money/index.ts';
import { ESCROW, type JournalEntry, type SettlementComponent } from '../domain/ledger.ts';
import type { Program } from '../domain/program.ts';
import {
  movementsOf,
  netByParty,
  netOwedByParty,
  payoutInstructions,
  settlementDays,
  SettlementItems,
  type Movement,
  type ProgramSettlementTerms,
  type SettlementItem,
} from '../domain/settlement.ts';
import { controlFile, doneMarker, repaymentDetailFile, settlementSummaryFile, sha256, statementPath, type DetailRow, type RenderedFile } from '../adapters/files/settlement-files.ts';
import { WriteConflict, type Clock, type FileStore, type LedgerStore, type LoanStore, type ProgramStore, type SettlementFile, type SettlementRun, type SettlementStore, type StoredInstruction } from '../ports/stores.ts';

/**
 * The daily settlement (docs/settlement.md): OpenRun → GatherShard (per shard) → Instruct →
 * WriteFiles → CloseRun, FailRun on any named failure. Every step may run again with the same
 * effect: shards are written whole, instructions once by their id, files whole with the same bytes.
 */

/** What settlement asks of a business calendar (shared/domain/calendar.ts implements it). */
export interface SettlementCalendar {
  isBusinessDay(date: string): boolean;
  previousBusinessDay(date: string): string;
  addBusinessDays(date: string, n: number): string;
}

export interface SettlementDeps {
  readonly settlements: SettlementStore;
  readonly ledger: Pick<LedgerStore, 'entriesOfDayShard'>;
  readonly programs: Pick<ProgramStore, 'get' | 'list'>;
  readonly loans: Pick<LoanStore, 'get'>;
  readonly files: FileStore;
  readonly clock: Clock;
  readonly calendar: (id: string) => Promise<SettlementCalendar>;
  readonly shardCount: number;
}

/** The latest version of every program: whose calendars, settlement terms and participants settle. */
async function latestPrograms(deps: Pick<SettlementDeps, 'programs'>): Promise<Program[]> {
  const latest = new Map<string, Program>();
  for (const program of await deps.programs.list()) {
    const seen = latest.get(program.programId);
    if (seen === undefined || seen.version < program.version) latest.set(program.programId, program);
  }
  return [...latest.values()].sort((a, b) => (a.programId < b.programId ? -1 : 1));
}

const union = (daysByCalendar: SettlementRun['daysByCalendar']): string[] => [...new Set(Object.values(daysByCalendar).flat())].sort();

/**
 * The days a business date settles per calendar, or the reason it cannot be settled now: not a
 * business day of any program's calendar (`NOT_A_BUSINESS_DAY`; a scheduled run is skipped
 * instead), a cut-off not passed for a program settling it (`BUSINESS_DATE_OPEN`), the previous
 * run unsettled or a business date skipped (`PREVIOUS_DATE_NOT_SETTLED`). The API checks it
 * before starting a run, so a caller is told at once; OpenRun checks it again when the run opens.
 */
export async function settleableDays(
  deps: Pick<SettlementDeps, 'programs' | 'settlements' | 'calendar' | 'clock'>,
  businessDate: string,
  existing: SettlementRun | null,
): Promise<Record<string, string[]> | 'NOT_A_BUSINESS_DAY'> {
  const programs = await latestPrograms(deps);
  const daysByCalendar: Record<string, string[]> = {};
  for (const calendarId of [...new Set(programs.map((p) => p.settlement.calendar))].sort()) {
    daysByCalendar[calendarId] = settlementDays(businessDate, await deps.calendar(calendarId));
  }
  if (Object.values(daysByCalendar).every((days) => days.length === 0)) return 'NOT_A_BUSINESS_DAY';
  const now = deps.clock.now();
  for (const program of programs) {
    if ((daysByCalendar[program.settlement.calendar] ?? []).length === 0) continue;
    if (cutoffDayAt(now, program.settlement) <= businessDate) {
      throw new RuleViolation('BUSINESS_DATE_OPEN', `${businessDate} is still open for program ${program.programId}: its cut-off is ${program.settlement.cutoffTime} (${program.settlement.calendar})`, {
        path: 'businessDate',
        programId: program.programId,
        cutoffTime: program.settlement.cutoffTime,
      });
    }
  }
  const previous = await deps.settlements.previousRun(businessDate);
  if (previous !== null && previous.status !== 'SETTLED') {
    throw new RuleViolation('PREVIOUS_DATE_NOT_SETTLED', `settle ${previous.businessDate} first: its run is ${previous.status}`, { path: 'businessDate', settleFirst: previous.businessDate });
  }
  const firstDay = union(daysByCalendar)[0]!;
  if (existing === null && previous !== null && previous.businessDate < addDays(firstDay, -1)) {
    throw new RuleViolation('PREVIOUS_DATE_NOT_SETTLED', `settle the business dates after ${previous.businessDate} first: a run settles only the days since the previous business date`, {
      path: 'businessDate',
      lastSettled: previous.businessDate,
      firstDay,
    });
  }
  return daysByCalendar;
}

export function notABusinessDay(businessDate: string): RuleViolation {
  return new RuleViolation('NOT_A_BUSINESS_DAY', `${businessDate} is not a business day of any program's calendar`, { path: 'businessDate', businessDate });
}

/**
 * Opens (or re-opens, as attempt N) the run of a business date, refused as `settleableDays`
 * says; a re-run keeps the days the first run settled, so it settles exactly the same entries.
 */
export async function openRun(deps: SettlementDeps, input: { businessDate?: string; scheduledTime?: string; attempt?: number }): Promise<{ businessDate: string; attempt: number; skipped: boolean; shards: { shard: number }[] }> {
  const programs = await latestPrograms(deps);
  const businessDate = input.businessDate ?? businessDateAt(input.scheduledTime ?? deps.clock.now(), programs[0]?.settlement.calendar ?? 'CN');
  const existing = await deps.settlements.getRun(businessDate);
  const skip = { businessDate, attempt: existing?.attempt ?? 0, skipped: true, shards: [] };
  if (input.attempt === undefined && existing?.status === 'SETTLED') return skip; // the schedule fired for a settled date
  const daysByCalendar = await settleableDays(deps, businessDate, existing);
  if (daysByCalendar === 'NOT_A_BUSINESS_DAY') {
    if (input.businessDate === undefined) return skip; // the schedule fires every day; a holiday settles nothing
    throw notABusinessDay(businessDate);
  }
  const attempt = (existing?.attempt ?? 0) + 1;
  if (input.attempt !== undefined && input.attempt !== attempt) {
    throw new StateConflict('SETTLEMENT_RUN_CHANGED', `run ${attempt - 1} of ${businessDate} changed since this attempt was started`, { businessDate, attempt: input.attempt });
  }
  const now = deps.clock.now();
  const run: SettlementRun = {
    businessDate,
    status: 'RUNNING',
    attempt,
    daysByCalendar: existing?.daysByCalendar ?? daysByCalendar,
    shardCount: deps.shardCount,
    startedAt: now,
    settledAt: null,
    firstSettledAt: existing?.firstSettledAt ?? null,
    entries: 0,
    instructions: 0,
    files: [],
    failure: null,
  };
  try {
    await deps.settlements.putRun(run, existing?.attempt ?? 0);
  } catch (error) {
    if (error instanceof WriteConflict) throw new StateConflict('SETTLEMENT_RUNNING', `another run of ${businessDate} started at the same time`, { businessDate });
    throw error;
  }
  return { businessDate, attempt, skipped: false, shards: Array.from({ length: deps.shardCount }, (_, shard) => ({ shard })) };
}

async function runningRun(deps: Pick<SettlementDeps, 'settlements'>, businessDate: string): Promise<SettlementRun> {
  const run = await deps.settlements.getRun(businessDate);
  if (run === null) throw new NotFound('settlementRun', businessDate);
  if (run.status !== 'RUNNING') throw new StateConflict('SETTLEMENT_NOT_RUNNING', `the run of ${businessDate} is ${run.status}`, { businessDate });
  return run;
}

/** Reads the program version an entry was booked under (or its loan's, for entries from before it was recorded). */
function programReader(deps: Pick<SettlementDeps, 'programs' | 'loans'>) {
  const programs = new Map<string, Promise<Program>>();
  const version = (programId: string, v: number): Promise<Program> => {
    const key = `${programId}@${v}`;
    let found = programs.get(key);
    if (found === undefined) {
      found = deps.programs.get(programId, v).then((p) => {
        invariant(p !== null, 'an entry names a program version that exists', { programId, version: v });
        return p;
      });
      programs.set(key, found);
    }
    return found;
  };
  return async (entry: JournalEntry): Promise<Program> => {
    if (entry.programId !== undefined && entry.programVersion !== undefined) return version(entry.programId, entry.programVersion);
    const loan = await deps.loans.get(entry.loanId);
    invariant(loan !== null, 'an entry belongs to a booked loan', { loanId: entry.loanId, entryId: entry.entryId });
    return version(loan.programId, loan.programVersion);
  };
}

/** The entries a run settles on one shard, with the program each is settled under. */
async function* entriesOfShard(deps: SettlementDeps, run: SettlementRun, shard: number): AsyncGenerator<{ entry: JournalEntry; program: Program }> {
  const programOf = programReader(deps);
  for (const day of union(run.daysByCalendar)) {
    for (const entry of await deps.ledger.entriesOfDayShard(day, shard)) {
      const program = await programOf(entry);
      if ((run.daysByCalendar[program.settlement.calendar] ?? []).includes(day)) yield { entry, program };
    }
  }
}

const DETAIL_EVENTS = new Set<JournalEntry['eventType']>(['REPAYMENT', 'REVERSAL', 'REBOOK']);
const workPath = (businessDate: string, shard: number) => `settlement-work/${businessDate}/shard-${String(shard).padStart(2, '0')}.json`;

/** Gathers one shard: its settlement items and the repayment rows of its files. Written whole each time. */
export async function gatherShard(deps: SettlementDeps, businessDate: string, shard: number): Promise<{ shard: number; entries: number }> {
  const run = await runningRun(deps, businessDate);
  const items = new SettlementItems();
  const rows: unknown[] = [];
  let entries = 0;
  for await (const { entry, program } of entriesOfShard(deps, run, shard)) {
    entries += 1;
    const movements = movementsOf(entry);
    for (const movement of movements) items.add(entry.currency, program.programId, movement);
    if (DETAIL_EVENTS.has(entry.eventType)) rows.push(detailRowJson(entry, movements));
  }
  await deps.files.put(workPath(businessDate, shard), Buffer.from(JSON.stringify(rows), 'utf8'));
  await deps.settlements.putShard({ businessDate, shard, entries, items: items.list() });
  return { shard, entries };
}

function detailRowJson(entry: JournalEntry, movements: readonly Movement[]): unknown[] {
  return [entry.loanId, entry.entryId, entry.eventType, entry.eventId, entry.businessDate, entry.bookedOn ?? entry.businessDate, entry.currency, entry.reverses ?? '', movements.filter((m) => m.counterparty === ESCROW).map((m) => [m.lenderId, m.component, m.amountMinor.toString()])];
}

function detailRowOf(json: unknown[]): DetailRow {
  const [loanId, entryId, eventType, eventId, businessDate, bookedOn, currency, reverses, movements] = json as [string, string, JournalEntry['eventType'], string, string, string, string, string, [string, SettlementComponent, string][]];
  return {
    entry: { loanId, entryId, eventType, eventId, businessDate, bookedOn, currency, legs: [], createdAt: '', ...(reverses === '' ? {} : { reverses }) },
    movements: movements.map(([lenderId, component, amount]) => ({ lenderId, counterparty: ESCROW, component, amountMinor: BigInt(amount) })),
  };
}

async function runItems(deps: SettlementDeps, run: SettlementRun): Promise<{ items: SettlementItem[]; entries: number }> {
  const shards = await deps.settlements.shards(run.businessDate);
  invariant(shards.length === run.shardCount, 'every shard of the run is gathered before its instructions', { businessDate: run.businessDate, gathered: shards.length, shards: run.shardCount });
  const all = new SettlementItems();
  for (const shard of shards) for (const item of shard.items) all.addItem(item);
  return { items: all.list(), entries: shards.reduce((sum, s) => sum + s.entries, 0) };
}

/**
 * The payout instructions of the date, from every shard's items: per program, netted or gross,
 * paid T + N business days. What they move per party is checked against what the items say it
 * is owed before anything is written; an instruction already written (a re-run) must be the same.
 */
export async function instruct(deps: SettlementDeps, businessDate: string): Promise<{ instructions: number; entries: number }> {
  const run = await runningRun(deps, businessDate);
  const { items, entries } = await runItems(deps, run);
  const programs = new Map((await latestPrograms(deps)).map((p) => [p.programId, p]));
  const terms = new Map<string, ProgramSettlementTerms>();
  for (const programId of new Set(items.map((i) => i.programId))) {
    const program = programs.get(programId);
    invariant(program !== undefined, 'settled entries belong to a known program', { programId });
    const calendar = await deps.calendar(program.settlement.calendar);
    terms.set(programId, { netting: program.settlement.netting, valueDate: calendar.addBusinessDays(businessDate, program.settlement.settlementLagDays) });
  }
  const instructions = payoutInstructions(businessDate, items, (programId) => terms.get(programId)!);
  const owed = [...netOwedByParty(items)].filter(([, v]) => v !== 0n).sort();
  const moved = [...netByParty(instructions)].filter(([, v]) => v !== 0n).sort();
  invariant(JSON.stringify(owed, bigintText) === JSON.stringify(moved, bigintText), 'the instructions move exactly what the items say each party is owed', { businessDate });
  const stored = await deps.settlements.putInstructions(instructions);
  stored.forEach((s, i) => {
    const made = instructions[i]!;
    invariant(s.amountMinor === made.amountMinor && s.payer === made.payer && s.payee === made.payee, 'a written instruction never changes: a re-run of a date finds the same', {
      instructionId: made.instructionId,
    });
  });
  return { instructions: instructions.length, entries };
}

const bigintText = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/** Lenders that get files for the date: every participant of a program, and every party of an item. */
async function lendersToFile(deps: SettlementDeps, items: readonly SettlementItem[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const program of await latestPrograms(deps)) for (const p of program.participants) ids.add(p.lenderId);
  for (const item of items) {
    ids.add(item.lenderId);
    if (item.counterparty !== ESCROW) ids.add(item.counterparty);
  }
  return [...ids].sort();
}

/** Writes every lender's file set of the date, the `.ok` marker last. The same run gives the same bytes. */
export async function writeFiles(deps: SettlementDeps, businessDate: string): Promise<{ files: SettlementFile[] }> {
  const run = await runningRun(deps, businessDate);
  const { items } = await runItems(deps, run);
  // Bank references recorded before the date was first settled; later ones never change its files.
  const instructions = (await deps.settlements.instructions(businessDate)).map((i) =>
    i.executed !== null && (run.firstSettledAt === null || i.executed.recordedAt > run.firstSettledAt) ? { ...i, executed: null } : i,
  );
  const rows: DetailRow[] = [];
  for (let shard = 0; shard < run.shardCount; shard++) {
    const body = await deps.files.get(workPath(businessDate, shard));
    invariant(body !== null, 'every shard of the run is gathered before its files', { businessDate, shard });
    for (const json of JSON.parse(Buffer.from(body).toString('utf8')) as unknown[][]) rows.push(detailRowOf(json));
  }
  rows.sort((a, b) => (`${a.entry.loanId}#${a.entry.entryId}` < `${b.entry.loanId}#${b.entry.entryId}` ? -1 : 1));
  const written: SettlementFile[] = [];
  for (const lenderId of await lendersToFile(deps, items)) {
    const data: RenderedFile[] = [settlementSummaryFile(businessDate, lenderId, items, instructions), repaymentDetailFile(businessDate, lenderId, rows)];
    const set = [...data, controlFile(businessDate, lenderId, data), doneMarker(businessDate)];
    for (const file of set) {
      await deps.files.put(statementPath(lenderId, businessDate, file.name), file.body);
      written.push({ lenderId, name: file.name, records: file.records, sha256: sha256(file.body) });
    }
  }
  return { files: written };
}

/** Marks the run settled with what it wrote. */
export async function closeRun(deps: SettlementDeps, businessDate: string, done: { instructions: number; entries: number; files: readonly SettlementFile[] }): Promise<SettlementRun> {
  const run = await runningRun(deps, businessDate);
  const now = deps.clock.now();
  const settled: SettlementRun = { ...run, status: 'SETTLED', settledAt: now, firstSettledAt: run.firstSettledAt ?? now, entries: done.entries, instructions: done.instructions, files: done.files };
  await deps.settlements.putRun({ ...settled, attempt: run.attempt }, run.attempt);
  return settled;
}

/** Records why the run stopped; the date can be run again. */
export async function failRun(deps: SettlementDeps, businessDate: string, failure: { code: string; message: string }): Promise<void> {
  const run = await deps.settlements.getRun(businessDate);
  if (run === null || run.status !== 'RUNNING') return;
  await deps.settlements.putRun({ ...run, status: 'FAILED', failure }, run.attempt);
}

/** The run of a date with its instructions, for `GET /v1/settlement-runs/{date}`. */
export async function settlementView(deps: Pick<SettlementDeps, 'settlements'>, businessDate: string): Promise<{ run: SettlementRun; shardsGathered: number; instructions: StoredInstruction[] }> {
  const run = await deps.settlements.getRun(businessDate);
  if (run === null) throw new NotFound('settlementRun', businessDate);
  const [shards, instructions] = await Promise.all([deps.settlements.shards(businessDate), deps.settlements.instructions(businessDate)]);
  return { run, shardsGathered: run.status === 'RUNNING' ? shards.length : run.shardCount, instructions };
}

/** Records the bank's reference of an executed transfer, once; the same reference again answers as before. */
export async function recordExecution(
  deps: Pick<SettlementDeps, 'settlements' | 'clock'>,
  businessDate: string,
  instructionId: string,
  request: { bankReference: string; executedAt: string },
  recordedBy: string,
): Promise<StoredInstruction> {
  const instruction = (await deps.settlements.instructions(businessDate)).find((i) => i.instructionId === instructionId);
  if (instruction === undefined) throw new NotFound('instruction', instructionId);
  if (instruction.executed !== null) {
    if (instruction.executed.bankReference === request.bankReference && instruction.executed.executedAt === request.executedAt) return instruction;
    throw new StateConflict('INSTRUCTION_ALREADY_EXECUTED', `instruction ${instructionId} was executed with bank reference ${instruction.executed.bankReference}`, {
      path: 'bankReference',
      instructionId,
      bankReference: instruction.executed.bankReference,
    });
  }
  return deps.settlements.recordExecution(businessDate, instructionId, { ...request, recordedBy, recordedAt: deps.clock.now() });
}

/** A lender's files of a date: names, or one file's bytes. */
export async function statements(deps: Pick<SettlementDeps, 'files'>, lenderId: string, businessDate: string): Promise<string[]> {
  const prefix = `${statementPath(lenderId, businessDate)}/`;
  return (await deps.files.list(prefix)).map((p) => p.slice(prefix.length));
}

export async function statementFile(deps: Pick<SettlementDeps, 'files'>, lenderId: string, businessDate: string, name: string): Promise<Uint8Array> {
  const body = await deps.files.get(statementPath(lenderId, businessDate, name));
  if (body === null) throw new NotFound('statement', `${lenderId}/${businessDate}/${name}`);
  return body;
}
