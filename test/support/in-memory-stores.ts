/**
 * In-memory implementations of every port in shared/ports/stores.ts, with the conflict semantics
 * of the DynamoDB adapter: a write is one atomic group whose first item is the idempotency
 * record; if that record exists the write fails with WriteConflict IDEMPOTENCY_KEY, else if a
 * business item exists it fails with ALREADY_EXISTS naming that item, and nothing is written.
 * Values are copied on the way in and out, as a real store serializes them.
 */
import type { JournalEntry, Position } from '../../shared/domain/ledger.ts';
import type { Lender } from '../../shared/domain/lender.ts';
import type { BookedLoan, Loan } from '../../shared/domain/loan.ts';
import type { Program } from '../../shared/domain/program.ts';
import { loanShard } from '../../shared/adapters/dynamodb/state-keys.ts';
import {
  WriteConflict,
  type Clock,
  type IdempotencyRecord,
  type IdempotencyStore,
  type LedgerCheckReport,
  type LedgerCheckStore,
  type LedgerStore,
  type LenderStore,
  type LoanStore,
  type ProgramStore,
  type WorkflowStarter,
} from '../../shared/ports/stores.ts';
import { toJson } from '../../shared/json.ts';
import { NOW } from './builders.ts';

const copy = <T>(value: T): T => structuredClone(value);

/** The tables, keyed as the DynamoDB items are. */
export class InMemoryDb {
  readonly idempotency = new Map<string, IdempotencyRecord>();
  readonly lenders = new Map<string, Lender>();
  /** `{programId}#{version}` */
  readonly programs = new Map<string, Program>();
  readonly loans = new Map<string, Loan>();
  /** `{loanId}#{entryId}` */
  readonly entries = new Map<string, JournalEntry>();
  /** `{loanId}#{lenderId}` */
  readonly positions = new Map<string, Position>();
  readonly ledgerChecks = new Map<string, LedgerCheckReport>();
  /** Atomic writes that succeeded. */
  transactions = 0;

  /**
   * One atomic group: `items` are checked in order (the idempotency record first, as the adapter
   * sends them); the first that exists decides the conflict; otherwise `apply` runs.
   */
  transact(items: readonly { readonly entity: string; readonly exists: boolean }[], apply: () => void): void {
    const lost = items.find((i) => i.exists);
    if (lost) throw new WriteConflict(lost.entity === 'idempotency' ? 'IDEMPOTENCY_KEY' : 'ALREADY_EXISTS', lost.entity);
    apply();
    this.transactions++;
  }

  idempotencyItem(record: IdempotencyRecord): { entity: string; exists: boolean } {
    return { entity: 'idempotency', exists: this.idempotency.has(record.scopeKey) };
  }
}

export class InMemoryIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(scopeKey: string): Promise<IdempotencyRecord | null> {
    const record = this.db.idempotency.get(scopeKey);
    return record ? copy(record) : null;
  }

  async put(record: IdempotencyRecord): Promise<void> {
    this.db.transact([this.db.idempotencyItem(record)], () => this.db.idempotency.set(record.scopeKey, copy(record)));
  }
}

export class InMemoryLenderStore implements LenderStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(lenderId: string): Promise<Lender | null> {
    const lender = this.db.lenders.get(lenderId);
    return lender ? copy(lender) : null;
  }

  async getMany(lenderIds: readonly string[]): Promise<Map<string, Lender>> {
    const found = new Map<string, Lender>();
    for (const id of lenderIds) {
      const lender = this.db.lenders.get(id);
      if (lender) found.set(id, copy(lender));
    }
    return found;
  }

  async list(): Promise<Lender[]> {
    return [...this.db.lenders.values()].sort((a, b) => (a.lenderId < b.lenderId ? -1 : 1)).map(copy);
  }

  async create(lender: Lender, idempotency: IdempotencyRecord): Promise<void> {
    this.db.transact([this.db.idempotencyItem(idempotency), { entity: 'lender', exists: this.db.lenders.has(lender.lenderId) }], () => {
      this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      this.db.lenders.set(lender.lenderId, copy(lender));
    });
  }
}

export class InMemoryProgramStore implements ProgramStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(programId: string, version: number | null): Promise<Program | null> {
    const versions = [...this.db.programs.values()].filter((p) => p.programId === programId);
    const found = version === null ? versions.sort((a, b) => b.version - a.version)[0] : versions.find((p) => p.version === version);
    return found ? copy(found) : null;
  }

  async list(): Promise<Program[]> {
    return [...this.db.programs.values()].map(copy);
  }

  async createVersion(program: Program, idempotency: IdempotencyRecord): Promise<void> {
    const key = `${program.programId}#${program.version}`;
    this.db.transact([this.db.idempotencyItem(idempotency), { entity: 'program', exists: this.db.programs.has(key) }], () => {
      this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      this.db.programs.set(key, copy(program));
    });
  }
}

export class InMemoryLoanStore implements LoanStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(loanId: string): Promise<Loan | null> {
    const loan = this.db.loans.get(loanId);
    return loan ? copy(loan) : null;
  }

  /** All or nothing: the idempotency record, the loan, the entry and every position. */
  async book(booked: BookedLoan, positions: readonly Position[], idempotency: IdempotencyRecord): Promise<void> {
    const { loan, entry } = booked;
    const entryKey = `${loan.loanId}#${entry.entryId}`;
    const positionKey = (p: Position) => `${p.loanId}#${p.lenderId}`;
    this.db.transact(
      [
        this.db.idempotencyItem(idempotency),
        { entity: 'loan', exists: this.db.loans.has(loan.loanId) },
        { entity: 'entry', exists: this.db.entries.has(entryKey) },
        ...positions.map((p) => ({ entity: 'position', exists: this.db.positions.has(positionKey(p)) })),
      ],
      () => {
        this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
        this.db.loans.set(loan.loanId, copy(loan));
        this.db.entries.set(entryKey, copy(entry));
        for (const p of positions) this.db.positions.set(positionKey(p), copy(p));
      },
    );
  }

  async loanIdsOfShard(shard: number): Promise<string[]> {
    return [...this.db.loans.keys()].filter((id) => loanShard(id) === shard).sort();
  }
}

export class InMemoryLedgerStore implements LedgerStore {
  constructor(private readonly db: InMemoryDb) {}

  async positionsOfLender(lenderId: string): Promise<Position[]> {
    return [...this.db.positions.values()].filter((p) => p.lenderId === lenderId).map(copy);
  }

  async loanLedger(loanId: string): Promise<{ entries: JournalEntry[]; positions: Position[] }> {
    const entries = [...this.db.entries.entries()].filter(([key]) => key.startsWith(`${loanId}#`)).map(([, e]) => copy(e));
    const positions = [...this.db.positions.values()].filter((p) => p.loanId === loanId).map(copy);
    return { entries, positions };
  }
}

export class InMemoryLedgerCheckStore implements LedgerCheckStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(businessDate: string): Promise<LedgerCheckReport | null> {
    const report = this.db.ledgerChecks.get(businessDate);
    return report ? copy(report) : null;
  }

  async put(report: LedgerCheckReport): Promise<void> {
    this.db.ledgerChecks.set(report.businessDate, copy(report));
  }
}

/** A clock that stands still until a test moves it. */
export interface FrozenClock extends Clock {
  set(instant: string): void;
}

export function frozenClock(at: string = NOW): FrozenClock {
  let instant = at;
  return {
    now: () => instant,
    set: (next) => {
      instant = next;
    },
  };
}

/** Records every start; a name started again returns the same execution, as Step Functions does. */
export class RecordingWorkflowStarter implements WorkflowStarter {
  readonly starts: { name: string; input: unknown }[] = [];

  constructor(private readonly stateMachineArn = 'arn:aws:states:cn-north-1:123456789012:stateMachine:LedgerCheck') {}

  async start(name: string, input: unknown): Promise<{ executionArn: string }> {
    this.starts.push({ name, input: copy(input) });
    return { executionArn: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` };
  }
}

export function createInMemoryStores(at: string = NOW) {
  const db = new InMemoryDb();
  return {
    db,
    idempotency: new InMemoryIdempotencyStore(db),
    lenders: new InMemoryLenderStore(db),
    programs: new InMemoryProgramStore(db),
    loans: new InMemoryLoanStore(db),
    ledger: new InMemoryLedgerStore(db),
    ledgerChecks: new InMemoryLedgerCheckStore(db),
    workflow: new RecordingWorkflowStarter(),
    clock: frozenClock(at),
  };
}
export type InMemoryStores = ReturnType<typeof createInMemoryStores>;

/** Seeds records directly, as if earlier writes had stored them. */
export function seed(stores: InMemoryStores, records: { lenders?: readonly Lender[]; programs?: readonly Program[] }): void {
  for (const lender of records.lenders ?? []) stores.db.lenders.set(lender.lenderId, copy(lender));
  for (const program of records.programs ?? []) stores.db.programs.set(`${program.programId}#${program.version}`, copy(program));
}

/** A seal as runIdempotent makes it, for calling a use case directly. */
export function sealFor(scopeKey: string, createdAt: string = NOW, requestHash = 'f'.repeat(64)) {
  return (statusCode: number, body: unknown): IdempotencyRecord => ({ scopeKey, requestHash, statusCode, responseBody: toJson(body), createdAt });
}
