import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Fail, JsonPath, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { EXECUTION_ID, callbackInvoke, compensationRetry, directInvoke, transientLambdaRetry } from '../lambda-tasks.ts';
import { CAUGHT_ERRORS, DisbursementErrors, DisbursementStates, DisbursementSteps } from './states.ts';

export interface DisbursementTasks {
  /** `functions/disbursement-steps`: ReserveQuota, AwaitDisbursement and Release, told apart by `step`. */
  readonly disbursementSteps: IFunction;
  /** `functions/disbursement-book`: books the loan in one transaction. */
  readonly disbursementBook: IFunction;
}

const APPLICATION_ID = JsonPath.stringAt('$.applicationId');

/**
 * The saga: ReserveQuota → AwaitDisbursement → BookLoan → Booked. Every error of any of the three
 * (and the timeout of the wait) is caught into `$.error` and compensated by Release: every
 * reservation still held is released and the application records why, so no quota is left
 * reserved whatever failed. A named error then ends in Released; any other in Faulted, with the
 * error, so that it is looked at. Release, the compensation, retries any error (its writes are
 * conditional, so trying again never gives back twice).
 */
export function disbursementDefinition(scope: Construct, tasks: DisbursementTasks): IChainable {
  const release = directInvoke(scope, DisbursementStates.release, {
    fn: tasks.disbursementSteps,
    payload: { step: DisbursementSteps.release, applicationId: APPLICATION_ID, cause: JsonPath.stringAt('$.error.Error') },
    resultPath: '$.released',
    retries: [transientLambdaRetry, compensationRetry],
    comment: 'Releases every reservation still RESERVED and records the final status and its cause',
  });
  const expected = Object.values(DisbursementErrors).map((error) => Condition.stringEquals('$.error.Error', error));
  release.next(
    new Choice(scope, DisbursementStates.releasedWhy, { comment: 'A failure the saga names ends cleanly; any other fails the execution once compensated' })
      .when(
        Condition.or(...expected),
        new Succeed(scope, DisbursementStates.released, {
          comment: 'Compensated: the application says why (DISBURSEMENT_FAILED, CANCELLED, EXPIRED or REJECTED)',
          outputPath: '$.released',
        }),
      )
      .otherwise(
        new Fail(scope, DisbursementStates.faulted, {
          comment: 'Compensated (the application is DISBURSEMENT_FAILED), but the error was unexpected: the execution fails with it',
          errorPath: '$.error.Error',
          causePath: '$.error.Cause',
        }),
      ),
  );
  const compensate = (task: { addCatch: typeof release.addCatch }, named: readonly string[]): void => {
    task.addCatch(release, { errors: [...named], resultPath: '$.error' });
    task.addCatch(release, { errors: ['States.ALL'], resultPath: '$.error' });
  };

  const reserveQuota = directInvoke(scope, DisbursementStates.reserveQuota, {
    fn: tasks.disbursementSteps,
    payload: { step: DisbursementSteps.reserveQuota, applicationId: APPLICATION_ID },
    comment: "Reserves each lender's share of its quota; output { applicationId, timeoutSeconds }",
  });
  compensate(reserveQuota, CAUGHT_ERRORS[DisbursementStates.reserveQuota]);

  const awaitDisbursement = callbackInvoke(scope, DisbursementStates.awaitDisbursement, {
    fn: tasks.disbursementSteps,
    payload: {
      step: DisbursementSteps.awaitDisbursement,
      applicationId: APPLICATION_ID,
      timeoutSeconds: JsonPath.numberAt('$.timeoutSeconds'),
    },
    timeoutSecondsPath: '$.timeoutSeconds',
    comment: "Waits for the lead's confirmation { applicationId, disbursementReference, disbursementDate }",
  });
  compensate(awaitDisbursement, CAUGHT_ERRORS[DisbursementStates.awaitDisbursement]);

  const bookLoan = directInvoke(scope, DisbursementStates.bookLoan, {
    fn: tasks.disbursementBook,
    payload: {
      applicationId: APPLICATION_ID,
      disbursementReference: JsonPath.stringAt('$.disbursementReference'),
      disbursementDate: JsonPath.stringAt('$.disbursementDate'),
      ...EXECUTION_ID,
    },
    comment: 'Books the loan, its entries and schedules, and turns the reservations into committed quota',
  });
  compensate(bookLoan, CAUGHT_ERRORS[DisbursementStates.bookLoan]);

  return reserveQuota
    .next(awaitDisbursement)
    .next(bookLoan)
    .next(new Succeed(scope, DisbursementStates.booked, { comment: 'The loan is BOOKED' }));
}
