import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { JsonPath, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { callbackInvoke, directInvoke } from '../lambda-tasks.ts';
import { CAUGHT_ERRORS, DisbursementStates, DisbursementSteps } from './states.ts';

export interface DisbursementTasks {
  /** `functions/disbursement-steps`: ReserveQuota, AwaitDisbursement and Release, told apart by `step`. */
  readonly disbursementSteps: IFunction;
  /** `functions/disbursement-book`: books the loan in one transaction. */
  readonly disbursementBook: IFunction;
}

const APPLICATION_ID = JsonPath.stringAt('$.applicationId');

/**
 * The saga: ReserveQuota → AwaitDisbursement → BookLoan → Booked. A named error of any of the
 * three (and the timeout of the wait) is caught into `$.error` and compensated by Release →
 * Released: every reservation still held is released and the application records why, so the
 * execution ends cleanly and no quota is left reserved.
 */
export function disbursementDefinition(scope: Construct, tasks: DisbursementTasks): IChainable {
  const release = directInvoke(scope, DisbursementStates.release, {
    fn: tasks.disbursementSteps,
    payload: { step: DisbursementSteps.release, applicationId: APPLICATION_ID, cause: JsonPath.stringAt('$.error.Error') },
    comment: 'Releases every reservation still RESERVED and records the final status and its cause',
  });
  release.next(
    new Succeed(scope, DisbursementStates.released, {
      comment: 'Compensated: the application says why (DISBURSEMENT_FAILED, CANCELLED, EXPIRED or REJECTED)',
    }),
  );

  const reserveQuota = directInvoke(scope, DisbursementStates.reserveQuota, {
    fn: tasks.disbursementSteps,
    payload: { step: DisbursementSteps.reserveQuota, applicationId: APPLICATION_ID },
    comment: "Reserves each lender's share of its quota; output { applicationId, timeoutSeconds }",
  });
  reserveQuota.addCatch(release, { errors: [...CAUGHT_ERRORS[DisbursementStates.reserveQuota]], resultPath: '$.error' });

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
  awaitDisbursement.addCatch(release, { errors: [...CAUGHT_ERRORS[DisbursementStates.awaitDisbursement]], resultPath: '$.error' });

  const bookLoan = directInvoke(scope, DisbursementStates.bookLoan, {
    fn: tasks.disbursementBook,
    payload: {
      applicationId: APPLICATION_ID,
      disbursementReference: JsonPath.stringAt('$.disbursementReference'),
      disbursementDate: JsonPath.stringAt('$.disbursementDate'),
    },
    comment: 'Books the loan, its entries and schedules, and turns the reservations into committed quota',
  });
  bookLoan.addCatch(release, { errors: [...CAUGHT_ERRORS[DisbursementStates.bookLoan]], resultPath: '$.error' });

  return reserveQuota
    .next(awaitDisbursement)
    .next(bookLoan)
    .next(new Succeed(scope, DisbursementStates.booked, { comment: 'The loan is BOOKED' }));
}
