import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ExecutionAlreadyExists, InvalidName, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { StepFunctionsStarter } from '../../../../shared/adapters/stepfunctions.ts';

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
