import { failureOf } from '../../shared/contracts/step-failure.ts';
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
      await failRun(deps, input.businessDate, failureOf(input.error));
      return { businessDate: input.businessDate, status: 'FAILED' };
    }
  }
}
