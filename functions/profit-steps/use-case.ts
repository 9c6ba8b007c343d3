import { bookShard, closeRun, failRun, openRun, planRuns, statements, type ProfitSharingDeps } from '../../shared/use-cases/profit-sharing.ts';
import type { ProfitStepInput } from './schema.ts';

/** One step of the ProfitSharing workflow; each may run again with the same effect. */
export async function runProfitStep(deps: ProfitSharingDeps, input: ProfitStepInput): Promise<unknown> {
  switch (input.step) {
    case 'PlanRuns':
      return planRuns(deps, input.input);
    case 'OpenRun':
      return openRun(deps, { programId: input.programId, period: input.period, attempt: input.attempt });
    case 'BookShard':
      return bookShard(deps, input.programId, input.period, input.shard);
    case 'Statements':
      return statements(deps, input.programId, input.period);
    case 'CloseRun':
      return closeRun(deps, input.programId, input.period, input);
    case 'FailRun': {
      const cause = parseCause(input.error.Cause);
      await failRun(deps, input.programId, input.period, { code: cause.code ?? input.error.Error ?? 'FAILED', message: cause.message ?? input.error.Cause ?? 'the run failed' });
      return { programId: input.programId, period: input.period, status: 'FAILED' };
    }
  }
}

/** A Lambda error's cause is the JSON of the thrown error: its code and message when it had them. */
function parseCause(cause: string | undefined): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(cause ?? '') as { errorType?: string; errorMessage?: string; code?: string };
    return { code: parsed.code ?? parsed.errorType, message: parsed.errorMessage };
  } catch {
    return {};
  }
}
