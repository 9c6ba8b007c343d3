import { z } from 'zod';

/**
 * The execution a workflow step runs in (`$$.Execution.Id`, an ARN), which its audit record and
 * its log lines name. Optional: an execution started before a definition passed it (a joint review
 * waiting on a partner for days across a deployment) still runs its steps, unrecorded.
 */
export const executionId = z.string().min(1).max(2048).optional();

/** What an audited Task state's payload adds to its fields. */
export const inExecution = { executionId } as const;
