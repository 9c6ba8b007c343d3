import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Map as MapState } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { failOnAnyError } from '../failure-paths.ts';
import { directInvoke, expressLambdaRetry } from '../lambda-tasks.ts';
import { RepaymentBatchStates, RepaymentBatchSteps } from './states.ts';

export interface RepaymentBatchTasks {
  /** Groups the rows by loan, and reports. */
  readonly batch: IFunction;
  /** Books one loan's rows in order. */
  readonly bookLoanGroup: IFunction;
  /** Loans booked side by side. */
  readonly maxConcurrency: number;
}

/**
 * GroupByLoan → BookLoans (Map: BookLoanGroup per loan) → Report (Express, started synchronously
 * by the API for a call of many repayments).
 *
 * GroupByLoan checks every row and groups the valid ones by loan (refused rows are answered as
 * they stand); each loan's rows are booked in the batch's order by one BookLoanGroup, loans side
 * by side (a loan's changes are serialized by its head anyway, so one step per loan never races
 * itself); Report puts every row's answer back in the batch's order, with what went to suspense
 * and what was refused. Nothing is published here: events come from what was committed
 * (docs/adr/0004).
 */
export function repaymentBatchDefinition(scope: Construct, tasks: RepaymentBatchTasks): IChainable {
  const groupByLoan = directInvoke(scope, RepaymentBatchStates.groupByLoan, {
    fn: tasks.batch,
    payload: { step: RepaymentBatchSteps.group, 'repayments.$': '$.repayments' },
    retries: [expressLambdaRetry],
    comment: 'Output { rows, groups: [{ loanId, rows: [{ index, repayment }] }], refused: [{ index, repaymentId, result }] }',
  });
  const bookLoanGroup = directInvoke(scope, RepaymentBatchStates.bookLoanGroup, {
    fn: tasks.bookLoanGroup,
    retries: [expressLambdaRetry],
    comment: 'Input { loanId, rows }, output { loanId, results: [{ index, repaymentId, result }] }',
  });
  const bookLoans = new MapState(scope, RepaymentBatchStates.bookLoans, {
    itemsPath: '$.groups',
    maxConcurrency: tasks.maxConcurrency,
    resultPath: '$.booked',
  });
  bookLoans.itemProcessor(bookLoanGroup);
  const report = directInvoke(scope, RepaymentBatchStates.report, {
    fn: tasks.batch,
    payload: { step: RepaymentBatchSteps.report, 'rows.$': '$.rows', 'refused.$': '$.refused', 'booked.$': '$.booked' },
    retries: [expressLambdaRetry],
    comment: 'Output { results (in the batch order), report }',
  });
  failOnAnyError(
    scope,
    RepaymentBatchStates.batchFailed,
    'Each repayment is booked in its own transaction keyed by its repaymentId: the same batch sent again answers those booked with their first booking and books the rest',
    [groupByLoan, bookLoans, report],
  );
  return groupByLoan.next(bookLoans).next(report);
}
