import { calendarDate } from '../../shared/contracts/dates.ts';
import { z } from 'zod';
import { inExecution } from '../../shared/contracts/execution.ts';

/** The date to assess: given, or the day that closed before the scheduler's time. */
const when = {
  businessDate: calendarDate.optional(),
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
  ...inExecution,
};

const shardResult = z.object({
  shard: z.number().int(),
  loansAssessed: z.number().int(),
  byClass: z.record(z.string(), z.number().int()),
  reclassified: z.number().int(),
  /** How many loans were compensated, written off or held; which ones is stored with the run (`RunDetailStore`), not passed on. */
  compensated: z.number().int().min(0),
  writtenOff: z.number().int().min(0),
  held: z.number().int().min(0),
  /** The lenders' principal outstanding of each program's loans of the shard, minor units as strings. */
  outstandingByProgram: z.record(z.string(), z.string().regex(/^\d+$/)),
  /** The principal disbursed of each program's loans of the shard. */
  disbursedByProgram: z.record(z.string(), z.string().regex(/^\d+$/)),
});
export type RiskShardResult = z.output<typeof shardResult>;

/** Input of the RiskUpdate Task states: `step` says which. */
export const riskStepInput = z.discriminatedUnion('step', [
  z.object({ step: z.literal('AssessShard'), shard: z.number().int().min(0), ...when }).loose(),
  z.object({ step: z.literal('RecordReport'), shards: z.array(shardResult), ...when }).loose(),
]);
export type RiskStepInput = z.output<typeof riskStepInput>;
