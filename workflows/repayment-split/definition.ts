import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { directInvoke } from '../lambda-tasks.ts';
import { RepaymentSplitStates } from './states.ts';

export interface RepaymentSplitTasks {
  readonly splitAndBook: IFunction;
  readonly publish: IFunction;
}

/**
 * SplitAndBook → Changed? → Publish | Done (Express, started synchronously by the API).
 *
 * SplitAndBook validates, runs the waterfall and the split, and books the entries in one
 * transaction; a refusal is its answer, not a failure. Anything booked or replayed is published
 * (at least once: a replay publishes again). The execution's output is the booking's answer.
 */
export function repaymentSplitDefinition(scope: Construct, tasks: RepaymentSplitTasks): IChainable {
  const splitAndBook = directInvoke(scope, RepaymentSplitStates.splitAndBook, {
    fn: tasks.splitAndBook,
    comment: 'Input { action: BOOK, repayment } or { action: REVERSE, loanId, repaymentId, reversal }',
  });
  const publish = directInvoke(scope, RepaymentSplitStates.publish, { fn: tasks.publish, comment: 'Puts colend.repayment.booked or .reversed on the bus' });
  const done = new Succeed(scope, RepaymentSplitStates.done);
  const changed = new Choice(scope, RepaymentSplitStates.changed)
    .when(Condition.stringEquals('$.status', 'REFUSED'), done)
    .otherwise(publish.next(done));
  return splitAndBook.next(changed);
}
