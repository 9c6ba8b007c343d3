import { failureOf } from '../../shared/contracts/step-failure.ts';
import { ESCROW } from '../../shared/domain/ledger.ts';
import { closeRun, failRun, gatherShard, instruct, openRun, writeFiles, type SettlementDeps } from '../../shared/use-cases/settlement.ts';
import { checkSettlementDeadline } from '../../shared/use-cases/settlement-deadline.ts';
import { auditStep, type StepAuditDeps } from '../../shared/use-cases/audit.ts';
import type { MetricsSink } from '../../shared/ports/telemetry.ts';
import type { SettlementFile } from '../../shared/ports/stores.ts';
import type { SettlementStepInput } from './schema.ts';

/** The workflow its records name as their actor. */
const WORKFLOW = 'Settlement';

export type SettlementStepDeps = SettlementDeps & StepAuditDeps & { readonly metrics: MetricsSink };

/** The lenders of a set of files, each once. */
const lendersOf = (files: readonly SettlementFile[]): string[] => [...new Set(files.map((f) => f.lenderId))];

/**
 * One step of the Settlement workflow; each may run again with the same effect. The steps that
 * write what lenders are paid and told (Instruct, WriteFiles, CloseRun) and the run's failure are
 * recorded in the audit trail once per execution (docs/audit.md, In workflow steps).
 */
export async function runSettlementStep(deps: SettlementStepDeps, input: SettlementStepInput): Promise<unknown> {
  switch (input.step) {
    case 'OpenRun':
      return openRun(deps, input.input);
    case 'GatherShard':
      return gatherShard(deps, input.businessDate, input.attempt, input.shard);
    case 'Instruct': {
      const instructed = await instruct(deps, input.businessDate, input.attempt);
      await auditInstructions(deps, input.executionId, input.businessDate, input.attempt);
      return instructed;
    }
    case 'WriteFiles': {
      // The list of files stays on the run; the workflow carries its count (a state holds 256 KiB).
      const { files } = await writeFiles(deps, input.businessDate, input.attempt);
      // One record per lender: what was written for it, which it reads as its own.
      for (const lenderId of lendersOf(files).sort()) {
        const own = files.filter((f) => f.lenderId === lenderId);
        await auditStep(deps, input.executionId, {
          workflow: WORKFLOW,
          step: 'WriteFiles',
          target: { businessDate: input.businessDate, lenderId },
          after: { attempt: input.attempt, files: own.length, records: own.reduce((n, f) => n + f.records, 0) },
          lenderIds: [lenderId],
        });
      }
      return { files: files.length };
    }
    case 'CloseRun': {
      const run = await closeRun(deps, input.businessDate, input.attempt, { instructions: input.instructions, entries: input.entries });
      // The run's duration, from opening to settled, measured once: a CloseRun again finds it settled and is refused.
      if (run.settledAt !== null) deps.metrics.measure('settlementDuration', (Date.parse(run.settledAt) - Date.parse(run.startedAt)) / 1000);
      await auditStep(deps, input.executionId, {
        workflow: WORKFLOW,
        step: 'CloseRun',
        target: { businessDate: run.businessDate },
        after: { attempt: run.attempt, status: run.status, entries: run.entries, instructions: run.instructions, files: run.files.length },
        lenderIds: lendersOf(run.files),
      });
      return { businessDate: run.businessDate, status: run.status, attempt: run.attempt, entries: run.entries, instructions: run.instructions, files: run.files.length };
    }
    case 'FailRun': {
      const failure = failureOf(input.error);
      await failRun(deps, input.businessDate, input.attempt, failure);
      await auditStep(deps, input.executionId, {
        workflow: WORKFLOW,
        step: 'FailRun',
        target: { businessDate: input.businessDate },
        after: { attempt: input.attempt, status: 'FAILED', code: failure.code },
        lenderIds: [],
      });
      return { businessDate: input.businessDate, status: 'FAILED' };
    }
    case 'CheckDeadline':
      return checkSettlementDeadline(deps, input);
  }
}

/**
 * One record per payout instruction of the date (its id is one for life), naming its payer and
 * payee: each lender reads the instructions that pay it or take from it.
 */
async function auditInstructions(deps: SettlementStepDeps, executionId: string | undefined, businessDate: string, attempt: number): Promise<void> {
  if (executionId === undefined) return;
  for (const instruction of await deps.settlements.instructions(businessDate)) {
    await auditStep(deps, executionId, {
      workflow: WORKFLOW,
      step: 'Instruct',
      target: { instructionId: instruction.instructionId },
      after: {
        businessDate,
        attempt,
        valueDate: instruction.valueDate,
        currency: instruction.currency,
        payer: instruction.payer,
        payee: instruction.payee,
        amountMinor: instruction.amountMinor.toString(),
      },
      lenderIds: [instruction.payer, instruction.payee].filter((party) => party !== ESCROW),
    });
  }
}
