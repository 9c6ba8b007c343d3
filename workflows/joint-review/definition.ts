import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Fail, IntegrationPattern, JsonPath, Map as MapState, Succeed, TaskInput } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable, IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { EXECUTION_ID, callbackInvoke, directInvoke, transientStartRetry } from '../lambda-tasks.ts';
import { AllocationOutcomes, JointReviewErrors, JointReviewStates, ReviewSteps, RoundOutcomes } from './states.ts';

export interface JointReviewTasks {
  /** `functions/review-steps`: ChooseCandidates, RecordTimeout and Allocate, told apart by `step`. */
  readonly reviewSteps: IFunction;
  /** `functions/review-ask`: stores the task token on the ask and asks the partner. */
  readonly reviewAsk: IFunction;
  /** The Disbursement saga, started once the plan stands. */
  readonly disbursement: IStateMachine;
}

const APPLICATION_ID = JsonPath.stringAt('$.applicationId');
const ROUND = JsonPath.numberAt('$.round');

/**
 * ChooseCandidates → RoundOutcome → AskPartners (Map: AskPartner, RecordTimeout on States.Timeout)
 * → Allocate → AllocationOutcome: PLAN → StartDisbursement, NEED_MORE → ChooseCandidates (next
 * round), REJECT → Rejected. docs/joint-review.md describes each state.
 *
 * The state carries ids and the round only; every step reads and writes the application itself.
 * An outcome the choices do not name fails the execution (States.NoChoiceMatched) rather than
 * being taken for a rejection.
 */
export function jointReviewDefinition(scope: Construct, tasks: JointReviewTasks): IChainable {
  const rejected = new Succeed(scope, JointReviewStates.rejected, {
    comment: 'The application is REJECTED; its reasons are stored on it',
  });

  const chooseCandidates = directInvoke(scope, JointReviewStates.chooseCandidates, {
    fn: tasks.reviewSteps,
    payload: { step: ReviewSteps.chooseCandidates, applicationId: APPLICATION_ID, round: ROUND, ...EXECUTION_ID },
    comment: 'Output { applicationId, round, asks: [{ applicationId, lenderId, round, timeoutSeconds }], outcome: ASK | REJECT }',
  });

  const askPartner = callbackInvoke(scope, JointReviewStates.askPartner, {
    fn: tasks.reviewAsk,
    payload: {
      applicationId: APPLICATION_ID,
      lenderId: JsonPath.stringAt('$.lenderId'),
      round: ROUND,
      timeoutSeconds: JsonPath.numberAt('$.timeoutSeconds'),
    },
    timeoutSecondsPath: '$.timeoutSeconds',
    comment: "Waits for the partner's answer { lenderId, decision, approvedAmountMinor? } until timeoutSeconds",
  });
  const recordTimeout = directInvoke(scope, JointReviewStates.recordTimeout, {
    fn: tasks.reviewSteps,
    payload: {
      step: ReviewSteps.recordTimeout,
      applicationId: APPLICATION_ID,
      lenderId: JsonPath.stringAt('$.lenderId'),
      round: ROUND,
    },
    comment: "Marks the ask TIMED_OUT unless an answer was stored first; returns the ask's final decision",
  });
  askPartner.addCatch(recordTimeout, { errors: [JointReviewErrors.timeout], resultPath: '$.error' });

  const askPartners = new MapState(scope, JointReviewStates.askPartners, {
    comment: 'Asks every partner of the round at once; the decisions land in $.decisions',
    itemsPath: '$.asks',
    maxConcurrency: 0,
    resultPath: '$.decisions',
  });
  askPartners.itemProcessor(askPartner);

  const allocate = directInvoke(scope, JointReviewStates.allocate, {
    fn: tasks.reviewSteps,
    payload: { step: ReviewSteps.allocate, applicationId: APPLICATION_ID, round: ROUND, ...EXECUTION_ID },
    comment: 'Output { applicationId, outcome: PLAN | NEED_MORE | REJECT, round } (the next round with NEED_MORE)',
  });

  const disbursementStarted = new Succeed(scope, JointReviewStates.disbursementStarted, {
    comment: 'The Disbursement saga of the application runs (started now or before)',
  });
  const startDisbursement = new StepFunctionsStartExecution(scope, JointReviewStates.startDisbursement, {
    stateMachine: tasks.disbursement,
    integrationPattern: IntegrationPattern.REQUEST_RESPONSE,
    name: APPLICATION_ID,
    input: TaskInput.fromObject({ applicationId: APPLICATION_ID }),
    resultPath: '$.disbursement',
    comment: 'Starts Disbursement named by the application id, so a second start is refused by name',
  });
  startDisbursement.addRetry(transientStartRetry);
  startDisbursement.addCatch(disbursementStarted, { errors: [JointReviewErrors.disbursementAlreadyStarted], resultPath: '$.error' });
  // The review reserves no quota and books nothing (the Disbursement saga does both): on any error
  // the application records REVIEW_FAILED with it, and the execution fails with the same error.
  const reviewFailed = new Fail(scope, JointReviewStates.reviewFailed, {
    comment: 'The application says REVIEW_FAILED (unless its review had ended); the execution fails with the error that stopped it',
    errorPath: '$.error.Error',
    causePath: '$.error.Cause',
  });
  const recordFailure = directInvoke(scope, JointReviewStates.recordFailure, {
    fn: tasks.reviewSteps,
    payload: { step: ReviewSteps.recordFailure, applicationId: APPLICATION_ID, 'error.$': '$.error', ...EXECUTION_ID },
    resultPath: JsonPath.DISCARD,
    comment: 'Marks the application REVIEW_FAILED with the error, unless it is final or its disbursement started',
  });
  recordFailure.next(reviewFailed);
  for (const state of [chooseCandidates, askPartners, allocate, startDisbursement]) state.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });

  const roundOutcome = new Choice(scope, JointReviewStates.roundOutcome)
    .when(Condition.stringEquals('$.outcome', RoundOutcomes.reject), rejected)
    .when(Condition.stringEquals('$.outcome', RoundOutcomes.ask), askPartners);

  const allocationOutcome = new Choice(scope, JointReviewStates.allocationOutcome)
    .when(Condition.stringEquals('$.outcome', AllocationOutcomes.plan), startDisbursement.next(disbursementStarted))
    .when(Condition.stringEquals('$.outcome', AllocationOutcomes.needMore), chooseCandidates)
    .when(Condition.stringEquals('$.outcome', AllocationOutcomes.reject), rejected);

  askPartners.next(allocate).next(allocationOutcome);
  return chooseCandidates.next(roundOutcome);
}
