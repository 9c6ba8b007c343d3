import { z } from 'zod';
import { stepError } from '../../shared/contracts/step-failure.ts';
import { inExecution } from '../../shared/contracts/execution.ts';

const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/, 'must be a month YYYY-MM or a quarter YYYY-Qn');
const programId = z.string().min(1).max(64);
const run = { programId, period };
/** The steps after OpenRun name the attempt it opened. */
const opened = { ...run, attempt: z.number().int().min(1) };
const shardBooked = z.object({ shard: z.number().int().min(0), loans: z.number().int().min(0), booked: z.number().int().min(0), replayed: z.number().int().min(0) });

/** Input of the ProfitSharing workflow's Task states: `step` says which (workflows/profit-sharing/states.ts). */
export const profitStepInput = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('PlanRuns'),
    input: z.object({ programId: programId.optional(), period: period.optional(), attempt: z.number().int().min(1).optional(), scheduledTime: z.iso.datetime({ offset: true }).optional() }).loose(),
  }),
  z.object({ step: z.literal('OpenRun'), ...run, attempt: z.number().int().min(1).nullable() }),
  z.object({ step: z.literal('BookShard'), ...opened, shard: z.number().int().min(0).max(255) }),
  z.object({ step: z.literal('Statements'), ...opened }),
  z.object({ step: z.literal('CloseRun'), ...opened, shards: z.array(shardBooked), parties: z.array(z.string()), ...inExecution }),
  z.object({ step: z.literal('FailRun'), ...opened, error: stepError, ...inExecution }),
]);
export type ProfitStepInput = z.output<typeof profitStepInput>;
