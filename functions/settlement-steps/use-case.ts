import { failureOf } from '../../shared/contracts/step-failure.ts';
import { closeRun, failRun, gatherShard, instruct, openRun, writeFiles, type SettlementDeps } from '../../shared/use-cases/settlement.ts';
import { checkSettlementDeadline } from '../../shared/use-cases/settlement-deadline.ts';
import type { MetricsSink } from '../../shared/ports/telemetry.ts';
import type { SettlementStepInput } from './schema.ts';

/** One step of the Settlement workflow; each may run again with the same effect. */
export async function runSettlementStep(deps: SettlementDeps & { readonly metrics: MetricsSink }, input: SettlementStepInput): Promise<unknown> {
  switch (input.step) {
    case 'OpenRun':
      return openRun(deps, input.input);
    case 'GatherShard':
      return gatherShard(deps, input.businessDate, input.attempt, input.shard);
    case 'Instruct':
      return instruct(deps, input.businessDate, input.attempt);
    case 'WriteFiles': {
      // The list of files stays on the run; the workflow carries its count (a state holds 256 KiB).
      const { files } = await writeFiles(deps, input.businessDate, input.attempt);
      return { files: files.length };
    }
    case 'CloseRun': {
      const run = await closeRun(deps, input.businessDate, input.attempt, { instructions: input.instructions, entries: input.entries });
      // The run's duration, from opening to settled, measured once: a CloseRun again finds it settled and is refused.
      if (run.settledAt !== null) deps.metrics.measure('settlementDuration', (Date.parse(run.settledAt) - Date.parse(run.startedAt)) / 1000);
      return { businessDate: run.businessDate, status: run.status, attempt: run.attempt, entries: run.entries, instructions: run.instructions, files: run.files.length };
    }
    case 'FailRun': {
      await failRun(deps, input.businessDate, input.attempt, failureOf(input.error));
      return { businessDate: input.businessDate, status: 'FAILED' };
    }
    case 'CheckDeadline':
      return checkSettlementDeadline(deps, input);
  }
}
