/**
 * Items as the DynamoDB tables hold them (keys, entity type, amounts as strings), to answer
 * mocked reads in handler tests. Keys come from the key modules; the adapter tests assert them
 * literally.
 */
import { encode, type Item } from '../../shared/adapters/dynamodb/codec.ts';
import { headItem } from '../../shared/adapters/dynamodb/loan-head.ts';
import { emptyLedger } from '../../shared/domain/repayment-booking.ts';
import { stateKeys } from '../../shared/adapters/dynamodb/state-keys.ts';
import type { Position } from '../../shared/domain/ledger.ts';
import type { Lender } from '../../shared/domain/lender.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import type { Program } from '../../shared/domain/program.ts';
import type { BorrowerExposure, QuotaShard, Reservation } from '../../shared/domain/exposure.ts';
import type { Ask } from '../../shared/domain/review.ts';
import type { LenderSchedule, Schedule } from '../../shared/domain/schedule.ts';
import type { ApplicationRecord, IdempotencyRecord, LedgerCheckReport } from '../../shared/ports/stores.ts';

function item(entityType: string, keys: Record<string, string>, value: object): Item {
  return { ...keys, entityType, ...(encode(value) as Item) };
}

export const lenderItem = (lender: Lender): Item => item('Lender', { ...stateKeys.lender(lender.lenderId), ...stateKeys.lenderIndex(lender.lenderId) }, lender);

export const programItem = (program: Program): Item =>
  item('Program', { ...stateKeys.program(program.programId, program.version), ...stateKeys.programIndex(program.programId, program.version) }, program);

export const loanItem = (loan: Loan): Item => item('Loan', stateKeys.loan(loan.loanId), loan);

export { entryItem } from '../../shared/adapters/dynamodb/entry-codec.ts';

/** A loan's head holding these positions (no event booked yet). */
export const headWithPositions = (loanId: string, positions: readonly Position[]): Item => headItem({ ...emptyLedger(loanId), version: 1 }, positions);

export const idempotencyItem = (record: IdempotencyRecord): Item => item('Idempotency', stateKeys.idempotency(record.scopeKey), record);

export const ledgerCheckItem = (report: LedgerCheckReport): Item => item('LedgerCheckReport', stateKeys.ledgerCheck(report.businessDate), report);

export const borrowerScheduleItem = (loanId: string, schedule: Schedule): Item => item('BorrowerSchedule', stateKeys.borrowerSchedule(loanId), schedule);

export const lenderScheduleItem = (loanId: string, schedule: LenderSchedule): Item => item('LenderSchedule', stateKeys.lenderSchedule(loanId, schedule.lenderId), schedule);

/** An application item; `steps` lists the steps that changed it, `disbursementTaskToken` the saga's wait. */
export const applicationItem = (record: ApplicationRecord, steps: readonly string[] = ['Submitted'], disbursementTaskToken?: string): Item => ({
  ...item(
    'Application',
    { ...stateKeys.application(record.application.applicationId), ...stateKeys.applicationIndex(record.status, record.application.createdAt, record.application.applicationId) },
    record,
  ),
  steps: new Set(steps),
  ...(disbursementTaskToken === undefined ? {} : { disbursementTaskToken }),
});

/** An ask item; an open one is in the partner's awaiting index. */
export const askItem = (ask: Ask, taskToken?: string): Item => ({
  ...item(
    'Ask',
    { ...stateKeys.ask(ask.applicationId, ask.lenderId), ...(ask.state === 'PENDING' ? stateKeys.awaitingIndex(ask.lenderId, ask.deadline, ask.applicationId) : {}) },
    ask,
  ),
  ...(taskToken === undefined ? {} : { taskToken }),
});

export const reservationItem = (reservation: Reservation): Item => item('Reservation', stateKeys.reservation(reservation.applicationId, reservation.lenderId), reservation);

export const quotaShardItem = (shard: QuotaShard): Item => item('QuotaShard', stateKeys.quotaShard(shard.lenderId, shard.shard), shard);

export const exposureItem = (exposure: BorrowerExposure): Item => item('BorrowerExposure', stateKeys.borrowerExposure(exposure.borrowerId), exposure);
