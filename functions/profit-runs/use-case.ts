import { canSeeLender, type Principal } from '../../shared/domain/access.ts';
import { NotFound, StateConflict } from '../../shared/domain/errors.ts';
import type { Clock, IdempotencyStore, KeyReservation, ProfitRunStore, ProgramStore, Seal, StoredProfitStatement, WorkflowStarter } from '../../shared/ports/stores.ts';
import { assertPeriodEnded, profitRunView } from '../../shared/use-cases/profit-sharing.ts';

export interface ProfitRunsDeps {
  readonly profitRuns: ProfitRunStore;
  readonly programs: Pick<ProgramStore, 'get'>;
  readonly idempotency: IdempotencyStore;
  readonly workflow: WorkflowStarter;
  readonly clock: Clock;
}

/** An execution name holds no ':'; a program id may. */
const executionName = (programId: string, period: string, attempt: number): string => `${programId.replaceAll(':', '.')}-${period}-${attempt}`;

/**
 * Starts the profit sharing of a program's period as its next attempt, named
 * `{programId}-{period}-{n}`. Refused at once, with the reason OpenRun would give: a program that
 * does not exist, a period not ended, a period done (409), or one whose run is still going unless
 * `restart` says it stopped. A failed period is run again.
 */
export async function startProfitRun(deps: ProfitRunsDeps, request: { programId: string; period: string; restart?: boolean }, seal: Seal, reservation?: KeyReservation): Promise<void> {
  const { programId, period } = request;
  const program = await deps.programs.get(programId, null);
  if (program === null) throw new NotFound('program', programId);
  assertPeriodEnded(program, period, deps.clock.now());
  const run = await deps.profitRuns.getRun(programId, period);
  if (run?.status === 'DONE') {
    throw new StateConflict('PROFIT_RUN_DONE', `the profit of ${period} of program ${programId} is shared (attempt ${run.attempt}); a period is shared once`, { path: 'period', attempt: run.attempt });
  }
  if (run?.status === 'RUNNING' && request.restart !== true) {
    throw new StateConflict('PROFIT_RUN_RUNNING', `the run of ${programId} ${period} (attempt ${run.attempt}) has not finished; ask again with "restart": true if it stopped`, {
      path: 'period',
      attempt: run.attempt,
    });
  }
  const attempt = (run?.attempt ?? 0) + 1;
  // The request's key is reserved before the run starts, after every refusal: two requests under one key never both start one.
  await reservation?.take();
  const { executionArn } = await deps.workflow.start(executionName(programId, period, attempt), { programId, period, attempt });
  await deps.idempotency.put(seal(202, { programId, period, attempt, executionArn, status: 'STARTED' }));
}

export const runView = profitRunView;

/** A party's stored statements of a period, one per program; another lender's are not found, as if they did not exist. */
export async function lenderProfitStatements(deps: Pick<ProfitRunsDeps, 'profitRuns'>, principal: Principal, lenderId: string, period: string): Promise<{ lenderId: string; period: string; statements: StoredProfitStatement[] }> {
  if (!canSeeLender(principal, lenderId)) throw new NotFound('lender', lenderId);
  const statements = await deps.profitRuns.statements(lenderId, period);
  if (statements.length === 0) throw new NotFound('profitStatement', `${lenderId}/${period}`);
  return { lenderId, period, statements };
}
