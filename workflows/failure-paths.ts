import { Fail } from 'aws-cdk-lib/aws-stepfunctions';
import type { TaskStateBase, Map as MapState, DistributedMap } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/** A state that can fail and be caught: a Task or a Map. */
export type Catchable = TaskStateBase | MapState | DistributedMap;

/**
 * Catches any error of each state into `$.error` and ends the execution in one Fail state with
 * that error and cause. For steps with nothing to undo: each of their writes is one atomic,
 * idempotent transaction, so a failed execution leaves the books and quotas as consistent as
 * before it and a new start completes the work. docs/architecture.md lists every such step and
 * why; steps that hold something (quota, a run) are caught into their compensation instead.
 */
export function failOnAnyError(scope: Construct, failStateName: string, comment: string, states: readonly Catchable[]): Fail {
  const failed = new Fail(scope, failStateName, { comment, errorPath: '$.error.Error', causePath: '$.error.Cause' });
  for (const state of states) state.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  return failed;
}
