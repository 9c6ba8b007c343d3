import type { GroupResult, GroupedBatch } from '../../shared/contracts/repayments.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { batchReport, groupByLoan } from '../../shared/use-cases/repayment-batch.ts';
import { repaymentBatchStepInput } from './schema.ts';
import { eventHandler } from '../../shared/adapters/telemetry/index.ts';

/** `GroupByLoan` and `Report` of the RepaymentBatch workflow. */
export const handler = eventHandler<unknown, unknown>((event) => {
  const input = validate(repaymentBatchStepInput, event);
  if (input.step === 'GROUP') return groupByLoan(input.repayments);
  return batchReport(input.rows, input.refused as GroupedBatch['refused'], input.booked as readonly GroupResult[]);
});
