import { calendarDate } from '../../shared/contracts/dates.ts';
import { z } from 'zod';
import { inExecution } from '../../shared/contracts/execution.ts';

/** Input of the BookLoan Task: the application and the disbursement the lead reported. */
export const bookFromApplicationInput = z
  .object({ applicationId: z.string().min(1), disbursementReference: z.string().min(1).max(64), disbursementDate: calendarDate, ...inExecution })
  .loose();
