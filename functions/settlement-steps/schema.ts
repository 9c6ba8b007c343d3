import { calendarDate } from '../../shared/contracts/dates.ts';
import { stepError } from '../../shared/contracts/step-failure.ts';
import { inExecution } from '../../shared/contracts/execution.ts';
import { z } from 'zod';

/** The attempt a step belongs to, from OpenRun's output. */
const attempt = z.number().int().min(1);

/** Input of the Settlement workflow's Task states: `step` says which (workflows/settlement/states.ts). */
export const settlementStepInput = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('OpenRun'),
    input: z.object({ businessDate: calendarDate.optional(), scheduledTime: z.iso.datetime({ offset: true }).optional(), attempt: z.number().int().min(1).optional() }).loose(),
  }),
  z.object({ step: z.literal('GatherShard'), businessDate: calendarDate, attempt, shard: z.number().int().min(0).max(255) }),
  z.object({ step: z.literal('Instruct'), businessDate: calendarDate, attempt, ...inExecution }),
  z.object({ step: z.literal('WriteFiles'), businessDate: calendarDate, attempt, ...inExecution }),
  z.object({
    step: z.literal('CloseRun'),
    businessDate: calendarDate,
    attempt,
    instructions: z.number().int().min(0),
    entries: z.number().int().min(0),
    /** How many files WriteFiles wrote; the list itself is kept on the run. */
    files: z.number().int().min(0),
    ...inExecution,
  }),
  z.object({ step: z.literal('FailRun'), businessDate: calendarDate, attempt, error: stepError, ...inExecution }),
  /** Not a Task state: the daily deadline schedule's check that the date that closed is settled. */
  z.object({ step: z.literal('CheckDeadline'), scheduledTime: z.iso.datetime({ offset: true }).optional(), businessDate: calendarDate.optional() }),
]);
export type SettlementStepInput = z.output<typeof settlementStepInput>;
