import { canSeeLender, type Principal } from '../../shared/domain/access.ts';
import { NotFound, StateConflict } from '../../shared/domain/errors.ts';
import type { Clock, FileStore, IdempotencyStore, KeyReservation, ProgramStore, Seal, SettlementRunIndex, SettlementStore, WorkflowStarter } from '../../shared/ports/stores.ts';
import { settlementRuns } from '../../shared/use-cases/settlement-runs.ts';
import { notABusinessDay, recordExecution, settleableDays, settlementView, statementFile, statements, type SettlementCalendar } from '../../shared/use-cases/settlement.ts';

export interface SettlementsDeps {
  readonly settlements: SettlementStore & SettlementRunIndex;
  readonly idempotency: IdempotencyStore;
  readonly workflow: WorkflowStarter;
  readonly files: FileStore;
  readonly clock: Clock;
  readonly programs: Pick<ProgramStore, 'get' | 'list'>;
  readonly calendar: (id: string) => Promise<SettlementCalendar>;
}

/**
 * Starts the settlement of a business date as its next attempt, named `settlement-{date}-{n}`:
 * two starts of the same attempt are one execution. A date that cannot be settled now is refused
 * at once, with the reason OpenRun would give. A date whose run is still going is refused
 * unless `restart` says the run stopped (a machine died) and is to be run again.
 */
export async function startSettlement(deps: SettlementsDeps, request: { businessDate: string; restart?: boolean }, seal: Seal, reservation?: KeyReservation): Promise<void> {
  const run = await deps.settlements.getRun(request.businessDate);
  if (run?.status === 'RUNNING' && request.restart !== true) {
    throw new StateConflict('SETTLEMENT_RUNNING', `the run of ${request.businessDate} (attempt ${run.attempt}) has not finished; ask again with "restart": true if it stopped`, {
      path: 'businessDate',
      attempt: run.attempt,
    });
  }
  if ((await settleableDays(deps, request.businessDate, run)) === 'NOT_A_BUSINESS_DAY') throw notABusinessDay(request.businessDate);
  const attempt = (run?.attempt ?? 0) + 1;
  // The request's key is reserved before the run starts, after every refusal: two requests under one key with other dates never both start one.
  await reservation?.take();
  const { executionArn } = await deps.workflow.start(`settlement-${request.businessDate}-${attempt}`, { businessDate: request.businessDate, attempt });
  await deps.idempotency.put(seal(202, { businessDate: request.businessDate, attempt, executionArn, status: 'STARTED' }));
}

export const runView = settlementView;

export const runList = settlementRuns;

export function executionRecorded(deps: SettlementsDeps, businessDate: string, instructionId: string, request: { bankReference: string; executedAt: string }, recordedBy: string) {
  return recordExecution(deps, businessDate, instructionId, request, recordedBy);
}

/** A lender's own files of a date; another lender's are not found, as if they did not exist. */
export async function lenderStatements(deps: Pick<SettlementsDeps, 'files'>, principal: Principal, lenderId: string, businessDate: string): Promise<{ lenderId: string; businessDate: string; files: string[] }> {
  if (!canSeeLender(principal, lenderId)) throw new NotFound('lender', lenderId);
  const files = await statements(deps, lenderId, businessDate);
  if (files.length === 0) throw new NotFound('statements', `${lenderId}/${businessDate}`);
  return { lenderId, businessDate, files };
}

export async function lenderStatementFile(deps: Pick<SettlementsDeps, 'files'>, principal: Principal, lenderId: string, businessDate: string, name: string): Promise<Uint8Array> {
  if (!canSeeLender(principal, lenderId)) throw new NotFound('lender', lenderId);
  return statementFile(deps, lenderId, businessDate, name);
}
