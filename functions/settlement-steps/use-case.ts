import { closeRun, failRun, gatherShard, instruct, openRun, writeFiles, type SettlementDeps } from '../../shared/use-cases/settlement.ts';
import type { SettlementStepInput } from './schema.ts';

/** One step of the Settlement workflow; each may run again with the same effect. */
export async function runSettlementStep(deps: SettlementDeps, input: SettlementStepInput): Promise<unknown> {
  switch (input.step) {
    case 'OpenRun':
      return openRun(deps, input.input);
    case 'GatherShard':
      return gatherShard(deps, input.businessDate, input.shard);
    case 'Instruct':
      return instruct(deps, input.businessDate);
    case 'WriteFiles':
      return writeFiles(deps, input.businessDate);
    case 'CloseRun':
      return closeRun(deps, input.businessDate, input);
    case 'FailRun': {
      const cause = parseCause(input.error.Cause);
      await failRun(deps, input.businessDate, { code: cause.code ?? input.error.Error ?? 'FAILED', message: cause.message ?? input.error.Cause ?? 'the run failed' });
      return { businessDate: input.businessDate, status: 'FAILED' };
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
