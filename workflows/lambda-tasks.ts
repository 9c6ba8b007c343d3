import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { IntegrationPattern, JitterType, JsonPath, TaskInput, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import type { RetryProps } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { TRANSIENT_LAMBDA_RETRY } from './lambda-retry.ts';

/** The one retry policy of every Lambda Task state: transient Lambda service errors only. */
export const transientLambdaRetry: RetryProps = {
  errors: [...TRANSIENT_LAMBDA_RETRY.errors],
  interval: Duration.seconds(TRANSIENT_LAMBDA_RETRY.intervalSeconds),
  backoffRate: TRANSIENT_LAMBDA_RETRY.backoffRate,
  maxAttempts: TRANSIENT_LAMBDA_RETRY.maxAttempts,
  jitterStrategy: JitterType.FULL,
};

export interface DirectInvokeProps {
  readonly fn: IFunction;
  /** The payload template (`field.$` for paths); the whole state input when absent. */
  readonly payload?: Readonly<Record<string, unknown>>;
  readonly comment?: string;
  /** Where the result goes in the state's output; the whole output when absent. */
  readonly resultPath?: string;
}

/**
 * A Task state that invokes a function directly: `Resource` is the function ARN, the payload is
 * the function's event and its return value is the state's result (docs/adr/0001).
 */
export function directInvoke(scope: Construct, stateName: string, props: DirectInvokeProps): LambdaInvoke {
  const task = new LambdaInvoke(scope, stateName, {
    lambdaFunction: props.fn,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    comment: props.comment,
    ...(props.payload === undefined ? {} : { payload: TaskInput.fromObject({ ...props.payload }) }),
    ...(props.resultPath === undefined ? {} : { resultPath: props.resultPath }),
  });
  task.addRetry(transientLambdaRetry);
  return task;
}

export interface CallbackInvokeProps {
  readonly fn: IFunction;
  /** The payload template; `taskToken` is added to it. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** The path of the input field that holds the wait, in whole seconds. */
  readonly timeoutSecondsPath: string;
  readonly comment?: string;
}

/**
 * A Task state that hands a task token to a function and waits until someone answers it with
 * SendTaskSuccess or SendTaskFailure, or until the timeout read from its input passes
 * (`States.Timeout`). The result is the output sent with SendTaskSuccess.
 */
export function callbackInvoke(scope: Construct, stateName: string, props: CallbackInvokeProps): LambdaInvoke {
  const task = new LambdaInvoke(scope, stateName, {
    lambdaFunction: props.fn,
    integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: TaskInput.fromObject({ ...props.payload, taskToken: JsonPath.taskToken }),
    taskTimeout: Timeout.at(props.timeoutSecondsPath),
    retryOnServiceExceptions: false,
    comment: props.comment,
  });
  task.addRetry(transientLambdaRetry);
  return task;
}
