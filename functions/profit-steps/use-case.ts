import { bookShard, closeRun, failRun, openRun, planRuns, statements, type ProfitSharingDeps } from '../../shared/use-cases/profit-sharing.ts';
import { failureOf } from '../../shared/contracts/step-failure.ts';
import type { ProfitStepInput } from './schema.ts';

/** One step of the ProfitSharing workflow; each may run again with the same effect. */
export async function runProfitStep(deps: ProfitSharingDeps, input: ProfitStepInput): Promise<unknown> {
  switch (input.step) {
    case 'PlanRuns':
      return planRuns(deps, input.input);
    case 'OpenRun':
      return openRun(deps, { programId: input.programId, period: input.period, attempt: input.attempt });
    case 'BookShard':
      return bookShard(deps, input.programId, input.period, input.attempt, input.shard);
    case 'Statements':
      return statements(deps, input.programId, input.period, input.attempt);
    case 'CloseRun':
      return closeRun(deps, input.programId, input.period, input.attempt, input);
    case 'FailRun': {
      await failRun(deps, input.programId, input.period, input.attempt, failureOf(input.error));
      return { programId: input.programId, period: input.period, status: 'FAILED' };
    }
  }
}
