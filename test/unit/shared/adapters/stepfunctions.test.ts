import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ExecutionAlreadyExists,
  InvalidName,
  InvalidOutput,
  InvalidToken,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { StepFunctionsResumer, StepFunctionsStarter } from '../../../../shared/adapters/stepfunctions.ts';

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

const MACHINE = 'arn:aws:states:ap-southeast-1:123456789012:stateMachine:LedgerCheck';
const starter = new StepFunctionsStarter(new SFNClient({ region: 'ap-southeast-1' }), MACHINE);

describe('StepFunctionsStarter', () => {
  it('starts a named execution with the input as JSON, amounts as strings', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE.replace('stateMachine', 'execution')}:run-1`, startDate: new Date() });
    expect(await starter.start('run-1', { businessDate: '2025-02-28', totalMinor: 5n })).toEqual({
      executionArn: 'arn:aws:states:ap-southeast-1:123456789012:execution:LedgerCheck:run-1',
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: MACHINE,
      name: 'run-1',
      input: '{"businessDate":"2025-02-28","totalMinor":"5"}',
    });
  });

  it('answers the existing execution when the name was already started', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    expect(await starter.start('run-1', {})).toEqual({ executionArn: 'arn:aws:states:ap-southeast-1:123456789012:execution:LedgerCheck:run-1' });
  });

  it('keeps the partition of the state machine (aws-cn in China)', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const china = new StepFunctionsStarter(new SFNClient({ region: 'cn-north-1' }), 'arn:aws-cn:states:cn-north-1:123456789012:stateMachine:LedgerCheck');
    expect(await china.start('run-1', {})).toEqual({ executionArn: 'arn:aws-cn:states:cn-north-1:123456789012:execution:LedgerCheck:run-1' });
  });

  it('lets other errors through', async () => {
    const error = new InvalidName({ message: 'bad name', $metadata: {} });
    sfn.on(StartExecutionCommand).rejects(error);
    await expect(starter.start('bad name', {})).rejects.toBe(error);
  });
});

describe('StepFunctionsResumer', () => {
  const resumer = new StepFunctionsResumer(new SFNClient({ region: 'cn-north-1' }));

  it('sends the output of a successful task as JSON, amounts as strings', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await resumer.succeed('token-1', { lenderId: 'PARTNER-A', decision: 'APPROVE', approvedAmountMinor: 300_000n })).toBe(true);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'token-1',
      output: '{"lenderId":"PARTNER-A","decision":"APPROVE","approvedAmountMinor":"300000"}',
    });
  });

  it('fails a task with an error name and a cause', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    expect(await resumer.fail('token-2', 'DisbursementFailed', 'the transfer bounced')).toBe(true);
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({ taskToken: 'token-2', error: 'DisbursementFailed', cause: 'the transfer bounced' });
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'timed out', $metadata: {} })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'gone', $metadata: {} })],
    ['InvalidToken', new InvalidToken({ message: 'bad token', $metadata: {} })],
  ])('answers false, without throwing, when the task stopped waiting (%s)', async (_name, error) => {
    sfn.on(SendTaskSuccessCommand).rejects(error);
    sfn.on(SendTaskFailureCommand).rejects(error);
    expect(await resumer.succeed('token-3', {})).toBe(false);
    expect(await resumer.fail('token-3', 'DisbursementCancelled', 'cancelled')).toBe(false);
  });

  it('lets other errors through', async () => {
    const error = new InvalidOutput({ message: 'too large', $metadata: {} });
    sfn.on(SendTaskSuccessCommand).rejects(error);
    await expect(resumer.succeed('token-4', {})).rejects.toBe(error);
    const throttled = new Error('Rate exceeded');
    sfn.on(SendTaskFailureCommand).rejects(throttled);
    await expect(resumer.fail('token-4', 'DisbursementFailed', 'x')).rejects.toBe(throttled);
  });
});
