import type { LedgerDifference } from '../domain/ledger-check.ts';
import type { JournalEntry, Position } from '../domain/ledger.ts';
import type { Lender } from '../domain/lender.ts';
import type { BookedLoan, Loan } from '../domain/loan.ts';
import type { Program } from '../domain/program.ts';

/** The stored outcome of a write, kept with the write itself so a replay returns it unchanged. */
export interface IdempotencyRecord {
  /** `{operation}#{clientId}#{Idempotency-Key}` */
  readonly scopeKey: string;
  /** SHA-256 of the canonical request body. */
  readonly requestHash: string;
  readonly statusCode: number;
  /** The response body exactly as first sent. */
  readonly responseBody: string;
  readonly createdAt: string;
}

/** A write lost a race: the idempotency record or the business item was already there. */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
  constructor(
    readonly reason: 'IDEMPOTENCY_KEY' | 'ALREADY_EXISTS' | 'VERSION' | 'BUSY',
    readonly entity: string,
  ) {
    super(`write conflict on ${entity}: ${reason}`);
  }
}

export interface IdempotencyStore {
  get(scopeKey: string): Promise<IdempotencyRecord | null>;
  /** For writes whose effect is idempotent by itself (a named execution): the record alone. */
  put(record: IdempotencyRecord): Promise<void>;
}

export interface LenderStore {
  get(lenderId: string): Promise<Lender | null>;
  getMany(lenderIds: readonly string[]): Promise<Map<string, Lender>>;
  list(): Promise<Lender[]>;
  create(lender: Lender, idempotency: IdempotencyRecord): Promise<void>;
}

export interface ProgramStore {
  /** A given version, or the latest when version is null. */
  get(programId: string, version: number | null): Promise<Program | null>;
  /** Every version of every program. */
  list(): Promise<Program[]>;
  /** Writes a new version; refuses (WriteConflict ALREADY_EXISTS) if that version exists. */
  createVersion(program: Program, idempotency: IdempotencyRecord): Promise<void>;
}

export interface LoanStore {
  get(loanId: string): Promise<Loan | null>;
  /** The loan, its disbursement entry and the new positions, in one atomic write. */
  book(booked: BookedLoan, positions: readonly Position[], idempotency: IdempotencyRecord): Promise<void>;
  /** Loan ids of one check shard. */
  loanIdsOfShard(shard: number): Promise<string[]>;
}

export interface LedgerStore {
  positionsOfLender(lenderId: string): Promise<Position[]>;
  loanLedger(loanId: string): Promise<{ entries: JournalEntry[]; positions: Position[] }>;
}

export interface LedgerCheckReport {
  readonly businessDate: string;
  readonly status: 'BALANCED' | 'DIFFERENCES';
  readonly loansChecked: number;
  readonly entriesChecked: number;
  /** The first differences found (at most 1000); `differenceCount` counts them all. */
  readonly differences: readonly LedgerDifference[];
  readonly differenceCount: number;
  readonly completedAt: string;
}

export interface LedgerCheckStore {
  get(businessDate: string): Promise<LedgerCheckReport | null>;
  /** The latest run of a date replaces the report of an earlier run. */
  put(report: LedgerCheckReport): Promise<void>;
}

export interface Clock {
  /** ISO-8601 instant. */
  now(): string;
}

export interface WorkflowStarter {
  /** Starts a named execution; the same name and input again returns the running execution. */
  start(name: string, input: unknown): Promise<{ executionArn: string }>;
}
