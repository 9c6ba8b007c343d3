import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { IntegrationPattern, JitterType, JsonPath, TaskInput, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import type { RetryProps } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { COMPENSATION_RETRY, EXPRESS_LAMBDA_RETRY, TRANSIENT_LAMBDA_RETRY, TRANSIENT_START_RETRY } from './lambda-retry.ts';

interface RetryPolicy {
  readonly errors: readonly string[];
  readonly intervalSeconds: number;
  readonly backoffRate: number;
  readonly maxAttempts: number;
}

function retryProps(policy: RetryPolicy): RetryProps {
  return {
    errors: [...policy.errors],
    interval: Duration.seconds(policy.intervalSeconds),
    backoffRate: policy.backoffRate,
    maxAttempts: policy.maxAttempts,
    jitterStrategy: JitterType.FULL,
  };
}

/** The retry policy of a Lambda Task state of a Standard workflow: transient Lambda service errors only. */
export const transientLambdaRetry: RetryProps = retryProps(TRANSIENT_LAMBDA_RETRY);

/** The same errors with a budget that fits an Express workflow's timeout (see EXPRESS_LAMBDA_RETRY). */
export const expressLambdaRetry: RetryProps = retryProps(EXPRESS_LAMBDA_RETRY);

/** The retry of a state that starts another workflow by its business key (see TRANSIENT_START_RETRY). */
export const transientStartRetry: RetryProps = retryProps(TRANSIENT_START_RETRY);

/** After the transient retry, any error again: for compensation steps only (see COMPENSATION_RETRY). */
export const compensationRetry: RetryProps = retryProps(COMPENSATION_RETRY);

/**
 * The field an audited Task state's payload adds: the execution's id (`$$.Execution.Id`), which
 * the step's audit record and its log lines name (docs/audit.md, In workflow steps).
 */
export const EXECUTION_ID = { 'executionId.$': '$$.Execution.Id' } as const;

export interface DirectInvokeProps {
  readonly fn: IFunction;
  /** The payload template (`field.$` for paths); the whole state input when absent. */
  readonly payload?: Readonly<Record<string, unknown>>;
  readonly comment?: string;
  /** Where the result goes in the state's output; the whole output when absent. */
  readonly resultPath?: string;
  /** The state's retriers, in order; `[transientLambdaRetry]` when absent. */
  readonly retries?: readonly RetryProps[];
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
  for (const retry of props.retries ?? [transientLambdaRetry]) task.addRetry(retry);
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
