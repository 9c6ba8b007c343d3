import {
  WriteConflict,
  type ApplicationStore,
  type ExposureStore,
  type LoanBooking,
  type LoanStore,
  type RepaymentStore,
  type RepaymentWrite,
  type SettlementStore,
} from '../../shared/ports/stores.ts';
import type { PayoutInstruction } from '../../shared/domain/settlement.ts';
import type { Fault } from './commands.ts';

/*
 * Faults between the steps of the money simulator, injected in the stores the use cases write
 * through: the next write of a kind may lose a race (the store's WriteConflict, nothing written)
 * or commit and then die before its caller hears of it (a crash after the commit: the write is
 * there, its answer and anything after it are lost). One fault is armed at a time and fires once.
 */

/** The process died after its write committed: the caller never got the answer. */
export class SimCrash extends Error {
  override readonly name = 'SimCrash';
  constructor(readonly after: string) {
    super(`crashed after committing ${after}`);
  }
}

/** A transient failure of a workflow step (a timeout, a throttled call): the step's work is not done. */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
}

/** The kinds of write a fault can be armed in. */
export type WriteKind = 'CHANGE' | 'BOOKING' | 'QUOTA' | 'APPLICATION' | 'SETTLEMENT';

/** The fault the next write fires (of the kinds it is armed in, any by default), and how many fired. */
export class FaultPlan {
  private armed: Fault = 'NONE';
  private kinds: ReadonlySet<WriteKind> | null = null;
  fired = 0;

  /** Arms the fault in the next write of one of `kinds` (of any kind when none is named). */
  arm(fault: Fault, kinds: readonly WriteKind[] | null = null): void {
    this.armed = fault;
    this.kinds = kinds === null ? null : new Set(kinds);
  }

  disarm(): void {
    this.armed = 'NONE';
  }

  /** The armed fault, taken by a write of this kind: the next write finds none. A write of another kind finds none and leaves it armed. */
  take(kind: WriteKind): Fault {
    if (this.kinds !== null && !this.kinds.has(kind)) return 'NONE';
    const fault = this.armed;
    this.armed = 'NONE';
    if (fault !== 'NONE') this.fired++;
    return fault;
  }
}

/** A loan's book that loses the race (its head moved) or crashes after the commit when a fault is armed. */
export class FaultyRepaymentStore implements RepaymentStore {
  constructor(
    private readonly inner: RepaymentStore,
    private readonly faults: FaultPlan,
  ) {}

  load: RepaymentStore['load'] = (loanId, from) => this.inner.load(loanId, from);
  record: RepaymentStore['record'] = (repaymentId) => this.inner.record(repaymentId);
  item: RepaymentStore['item'] = (loanId, key) => this.inner.item(loanId, key);
  loanEvent: RepaymentStore['loanEvent'] = (loanId, type, eventId) => this.inner.loanEvent(loanId, type, eventId);

  async write(change: RepaymentWrite): Promise<void> {
    const fault = this.faults.take('CHANGE');
    if (fault === 'CONFLICT') throw new WriteConflict('VERSION', 'repayment-ledger');
    await this.inner.write(change);
    if (fault === 'CRASH') throw new SimCrash(`the change of loan ${change.ledger.loanId}`);
  }
}

/** Loan bookings whose quota or exposure another booking moved, or that crash after the commit. */
export class FaultyLoanStore implements LoanStore {
  constructor(
    private readonly inner: LoanStore,
    private readonly faults: FaultPlan,
  ) {}

  get: LoanStore['get'] = (loanId) => this.inner.get(loanId);
  schedules: LoanStore['schedules'] = (loanId) => this.inner.schedules(loanId);
  loanIdsOfShard: LoanStore['loanIdsOfShard'] = (shard) => this.inner.loanIdsOfShard(shard);
  factsOfShard: LoanStore['factsOfShard'] = (shard) => this.inner.factsOfShard(shard);

  async book(booking: LoanBooking): Promise<void> {
    const fault = this.faults.take('BOOKING');
    if (fault === 'CONFLICT') throw new WriteConflict('VERSION', 'exposure');
    await this.inner.book(booking);
    if (fault === 'CRASH') throw new SimCrash(`the booking of loan ${booking.booked.loan.loanId}`);
  }
}

/**
 * Quota whose shards another plan or booking moved since they were read (the write fails on their
 * versions, nothing written), or a reservation or release that commits and then dies.
 */
export class FaultyExposureStore implements ExposureStore {
  constructor(
    private readonly inner: ExposureStore,
    private readonly faults: FaultPlan,
  ) {}

  quotaShards: ExposureStore['quotaShards'] = (lenderId) => this.inner.quotaShards(lenderId);
  reservations: ExposureStore['reservations'] = (applicationId) => this.inner.reservations(applicationId);
  borrowerExposure: ExposureStore['borrowerExposure'] = (borrowerId) => this.inner.borrowerExposure(borrowerId);
  principalShards: ExposureStore['principalShards'] = (lenderId) => this.inner.principalShards(lenderId);
  borrowerPrincipal: ExposureStore['borrowerPrincipal'] = (borrowerId) => this.inner.borrowerPrincipal(borrowerId);
  person: ExposureStore['person'] = (identityHash) => this.inner.person(identityHash);

  reserve: ExposureStore['reserve'] = (reservation, changes) => this.faulty(`the reservation of ${reservation.lenderId} for ${reservation.applicationId}`, () => this.inner.reserve(reservation, changes));
  release: ExposureStore['release'] = (reservation, changes) => this.faulty(`the release of ${reservation.lenderId} for ${reservation.applicationId}`, () => this.inner.release(reservation, changes));

  private async faulty(what: string, write: () => Promise<void>): Promise<void> {
    const fault = this.faults.take('QUOTA');
    if (fault === 'CONFLICT') throw new WriteConflict('VERSION', 'quota');
    await write();
    if (fault === 'CRASH') throw new SimCrash(what);
  }
}

/** Applications whose creation or a partner's decision commits and then dies before the client hears of it. */
export function faultyApplications<S extends ApplicationStore>(inner: S, faults: FaultPlan): S {
  const create = inner.create.bind(inner);
  const decide = inner.decide.bind(inner);
  return Object.assign(Object.create(inner) as S, {
    async create(...args: Parameters<ApplicationStore['create']>) {
      const fault = faults.take('APPLICATION');
      await create(...args);
      if (fault === 'CRASH') throw new SimCrash(`the application ${args[0].application.applicationId}`);
    },
    async decide(...args: Parameters<ApplicationStore['decide']>) {
      const fault = faults.take('APPLICATION');
      await decide(...args);
      if (fault === 'CRASH') throw new SimCrash(`the decision of ${args[0].lenderId} on ${args[0].applicationId}`);
    },
  });
}

/**
 * A settlement store whose instructions crash after they are stored (the Instruct step dies
 * after its write), and whose shard writes fail before they are stored (a GatherShard step that
 * times out) when a fault is armed.
 */
export function faultySettlements<S extends Pick<SettlementStore, 'putInstructions' | 'putShard'>>(inner: S, faults: FaultPlan): S {
  const putInstructions = inner.putInstructions.bind(inner);
  const putShard = inner.putShard.bind(inner);
  return Object.assign(Object.create(inner) as S, {
    async putInstructions(instructions: readonly PayoutInstruction[]) {
      const stored = await putInstructions(instructions);
      if (faults.take('SETTLEMENT') === 'CRASH') throw new SimCrash(`the instructions of ${instructions[0]?.businessDate ?? 'a date'}`);
      return stored;
    },
    async putShard(shard: Parameters<SettlementStore['putShard']>[0]) {
      if (faults.take('SETTLEMENT') === 'CONFLICT') throw new StepFailure(`gathering shard ${shard.shard} of ${shard.businessDate} timed out`);
      return putShard(shard);
    },
  });
}

/**
 * Runs `action` with the retry backoff of the loan book's writer taken at once: the simulator is
 * one client at a time, so waiting changes no outcome, only the time a sequence takes.
 */
export async function withoutBackoff<T>(action: () => Promise<T>): Promise<T> {
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, _ms?: number, ...args: unknown[]) => setImmediate(callback, ...args)) as unknown as typeof setTimeout;
  try {
    return await action();
  } finally {
    globalThis.setTimeout = original;
  }
}
