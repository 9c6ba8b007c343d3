import { calendarDate } from '../../shared/contracts/dates.ts';
import { z } from 'zod';
import { stepError } from '../../shared/contracts/step-failure.ts';
import { inExecution } from '../../shared/contracts/execution.ts';

const run = { businessDate: calendarDate, attempt: z.number().int().min(1) };

/** Input of the RegulatoryReport workflow's Task states: `step` says which (workflows/regulatory-report/states.ts). */
export const reportStepInput = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('OpenRun'),
    input: z.object({ businessDate: calendarDate.optional(), scheduledTime: z.iso.datetime({ offset: true }).optional(), attempt: z.number().int().min(1).optional() }).loose(),
  }),
  z.object({ step: z.literal('MeasureShard'), ...run, shard: z.number().int().min(0).max(255) }),
  z.object({ step: z.literal('RecordReport'), ...run, ...inExecution }),
  z.object({ step: z.literal('FailRun'), ...run, error: stepError, ...inExecution }),
]);
export type ReportStepInput = z.output<typeof reportStepInput>;
