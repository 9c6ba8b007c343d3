import { bookShard, closeRun, failRun, openRun, planRuns, statements, type ProfitSharingDeps } from '../../shared/use-cases/profit-sharing.ts';
import { failureOf } from '../../shared/contracts/step-failure.ts';
import { auditStep, type StepAuditDeps } from '../../shared/use-cases/audit.ts';
import type { ProfitStepInput } from './schema.ts';

/** The workflow its records name as their actor. */
const WORKFLOW = 'ProfitSharing';

/**
 * One step of the ProfitSharing workflow; each may run again with the same effect. The run's
 * distribution, closed with every party it booked for, and its failure are recorded in the audit
 * trail once per execution (docs/audit.md, In workflow steps).
 */
export async function runProfitStep(deps: ProfitSharingDeps & StepAuditDeps, input: ProfitStepInput): Promise<unknown> {
  switch (input.step) {
    case 'PlanRuns':
      return planRuns(deps, input.input);
    case 'OpenRun':
      return openRun(deps, { programId: input.programId, period: input.period, attempt: input.attempt });
    case 'BookShard':
      return bookShard(deps, input.programId, input.period, input.attempt, input.shard);
    case 'Statements':
      return statements(deps, input.programId, input.period, input.attempt);
    case 'CloseRun': {
      const run = await closeRun(deps, input.programId, input.period, input.attempt, input);
      await auditStep(deps, input.executionId, {
        workflow: WORKFLOW,
        step: 'CloseRun',
        target: { programId: run.programId, period: run.period },
        after: { attempt: run.attempt, status: run.status, loans: run.loans, booked: run.booked, replayed: run.replayed },
        lenderIds: run.parties,
      });
      return run;
    }
    case 'FailRun': {
      const failure = failureOf(input.error);
      await failRun(deps, input.programId, input.period, input.attempt, failure);
      await auditStep(deps, input.executionId, {
        workflow: WORKFLOW,
        step: 'FailRun',
        target: { programId: input.programId, period: input.period },
        after: { attempt: input.attempt, status: 'FAILED', code: failure.code },
        lenderIds: [],
      });
      return { programId: input.programId, period: input.period, status: 'FAILED' };
    }
  }
}
