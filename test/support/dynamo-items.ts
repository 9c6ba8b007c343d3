/**
 * Items as the DynamoDB tables hold them (keys, entity type, amounts as strings), to answer
 * mocked reads in handler tests. Keys come from the key modules; the adapter tests assert them
 * literally.
 */
import { encode, type Item } from '../../shared/adapters/dynamodb/codec.ts';
import { ledgerKeys } from '../../shared/adapters/dynamodb/ledger-keys.ts';
import { stateKeys } from '../../shared/adapters/dynamodb/state-keys.ts';
import type { JournalEntry, Position } from '../../shared/domain/ledger.ts';
import type { Lender } from '../../shared/domain/lender.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import type { Program } from '../../shared/domain/program.ts';
import type { IdempotencyRecord, LedgerCheckReport } from '../../shared/ports/stores.ts';

function item(entityType: string, keys: Record<string, string>, value: object): Item {
  return { ...keys, entityType, ...(encode(value) as Item) };
}

export const lenderItem = (lender: Lender): Item => item('Lender', { ...stateKeys.lender(lender.lenderId), ...stateKeys.lenderIndex(lender.lenderId) }, lender);

export const programItem = (program: Program): Item =>
  item('Program', { ...stateKeys.program(program.programId, program.version), ...stateKeys.programIndex(program.programId, program.version) }, program);

export const loanItem = (loan: Loan): Item => item('Loan', { ...stateKeys.loan(loan.loanId), ...stateKeys.loanIndex(loan.loanId) }, loan);

export const entryItem = (entry: JournalEntry): Item =>
  item('JournalEntry', { ...ledgerKeys.entry(entry.loanId, entry.entryId), ...ledgerKeys.entryIndex(entry.businessDate, entry.loanId, entry.entryId) }, entry);

export const positionItem = (position: Position): Item =>
  item('Position', { ...ledgerKeys.position(position.loanId, position.lenderId), ...ledgerKeys.positionIndex(position.lenderId, position.loanId) }, position);

export const idempotencyItem = (record: IdempotencyRecord): Item => item('Idempotency', stateKeys.idempotency(record.scopeKey), record);

export const ledgerCheckItem = (report: LedgerCheckReport): Item => item('LedgerCheckReport', stateKeys.ledgerCheck(report.businessDate), report);
