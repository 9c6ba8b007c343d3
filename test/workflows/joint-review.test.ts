import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AslState } from '../../infra/local/state-machines.ts';
import { workflowError } from '../../workflows/disbursement/states.ts';
import { AllocationOutcomes, JointReviewErrors, JointReviewStates, ReviewSteps, RoundOutcomes } from '../../workflows/joint-review/states.ts';
import type { AllocateResult, AskPartnerEvent, ChooseCandidatesResult, PartnerDecision } from '../../workflows/joint-review/states.ts';
import { TRANSIENT_LAMBDA_ERRORS } from '../../workflows/lambda-retry.ts';
import { allStates, eventually, reviewWorkflows } from './support/review-workflows.ts';
import type { ReviewWorkflows, TestHandler } from './support/review-workflows.ts';

const TRANSIENT_RETRY = [{ ErrorEquals: [...TRANSIENT_LAMBDA_ERRORS], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' }];

/** What each step of a scripted review answers, per application. */
interface Script {
  rounds: Record<number, { outcome: 'ASK' | 'REJECT'; asks: Array<{ lenderId: string; timeoutSeconds: number }> }>;
  allocations: Record<number, AllocateResult['outcome']>;
  reserveFails?: boolean;
  /** Allocate throws an error no step expects. */
  allocateThrows?: boolean;
}

const scripts = new Map<string, Script>();
const calls: Array<Record<string, unknown>> = [];
const asks: AskPartnerEvent[] = [];

const reviewSteps: TestHandler = async (event) => {
  calls.push(event);
  const applicationId = String(event.applicationId);
  const script = scripts.get(applicationId);
  if (!script) throw new Error(`No script for ${applicationId}`);
  const round = Number(event.round);
  switch (event.step) {
    case ReviewSteps.chooseCandidates: {
      const planned = script.rounds[round] ?? { outcome: 'REJECT', asks: [] };
      const result: ChooseCandidatesResult = {
        applicationId,
        round,
        asks: planned.asks.map((ask) => ({ applicationId, round, ...ask })),
        outcome: planned.outcome,
      };
      return result;
    }
    case ReviewSteps.recordTimeout: {
      const decision: PartnerDecision = { lenderId: String(event.lenderId), decision: 'TIMEOUT' };
      return decision;
    }
    case ReviewSteps.allocate: {
      if (script.allocateThrows === true) throw new TypeError('the lender store answered nothing');
      const outcome = script.allocations[round] ?? AllocationOutcomes.reject;
      const result: AllocateResult = { applicationId, outcome, round: outcome === AllocationOutcomes.needMore ? round + 1 : round };
      return result;
    }
    case ReviewSteps.recordFailure:
      return { applicationId, status: 'REVIEW_FAILED' };
    default:
      throw new Error(`Unknown step ${String(event.step)}`);
  }
};

const disbursementCalls: Array<Record<string, unknown>> = [];

let workflows: ReviewWorkflows;

beforeAll(() => {
  workflows = reviewWorkflows({
    'review-steps': reviewSteps,
    'review-ask': async (event) => {
      asks.push(event as unknown as AskPartnerEvent);
      return null;
    },
    // The saga starts on PLAN; here it only records that it ran.
    'disbursement-steps': async (event) => {
      disbursementCalls.push(event);
      if (event.step === 'ReserveQuota' && scripts.get(String(event.applicationId))?.reserveFails === true) {
        throw workflowError('QuotaUnavailable', 'short');
      }
      return { applicationId: event.applicationId, timeoutSeconds: 60 };
    },
    'disbursement-book': async () => ({}),
  });
});

afterAll(async () => {
  await workflows.runtime.stop();
});

function states(): Record<string, AslState> {
  return allStates(workflows.jointReview.definition);
}

const TO_REVIEW_FAILED = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }];

describe('JointReview ASL', () => {
  it('has exactly the states of docs/joint-review.md and starts at ChooseCandidates', () => {
    expect(workflows.jointReview.definition.StartAt).toBe('ChooseCandidates');
    expect(Object.keys(workflows.jointReview.definition.States).sort()).toEqual(
      ['Allocate', 'AllocationOutcome', 'AskPartners', 'ChooseCandidates', 'DisbursementStarted', 'RecordFailure', 'Rejected', 'ReviewFailed', 'RoundOutcome', 'StartDisbursement'].sort(),
    );
    expect(Object.values(JointReviewStates).sort()).toEqual(Object.keys(states()).sort());
  });

  it('invokes review-steps directly with ids only: ChooseCandidates, RecordTimeout, Allocate', () => {
    const reviewStepsArn = workflows.arnOf('review-steps');
    expect(states()['ChooseCandidates']).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: reviewStepsArn,
      Parameters: { step: 'ChooseCandidates', 'applicationId.$': '$.applicationId', 'round.$': '$.round', 'executionId.$': '$$.Execution.Id' },
      Retry: TRANSIENT_RETRY,
      Catch: TO_REVIEW_FAILED,
      Next: 'RoundOutcome',
    });
    expect(states()['RecordTimeout']).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: reviewStepsArn,
      Parameters: { step: 'RecordTimeout', 'applicationId.$': '$.applicationId', 'lenderId.$': '$.lenderId', 'round.$': '$.round' },
      Retry: TRANSIENT_RETRY,
      End: true,
    });
    expect(states()['Allocate']).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: reviewStepsArn,
      Parameters: { step: 'Allocate', 'applicationId.$': '$.applicationId', 'round.$': '$.round', 'executionId.$': '$$.Execution.Id' },
      Retry: TRANSIENT_RETRY,
      Catch: TO_REVIEW_FAILED,
      Next: 'AllocationOutcome',
    });
  });

  it('routes the outcomes: REJECT → Rejected, ASK → AskPartners; PLAN → StartDisbursement, NEED_MORE → ChooseCandidates', () => {
    expect(states()['RoundOutcome']).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.outcome', StringEquals: RoundOutcomes.reject, Next: 'Rejected' },
        { Variable: '$.outcome', StringEquals: RoundOutcomes.ask, Next: 'AskPartners' },
      ],
    });
    expect(states()['AllocationOutcome']).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.outcome', StringEquals: 'PLAN', Next: 'StartDisbursement' },
        { Variable: '$.outcome', StringEquals: 'NEED_MORE', Next: 'ChooseCandidates' },
        { Variable: '$.outcome', StringEquals: 'REJECT', Next: 'Rejected' },
      ],
    });
    expect(states()['Rejected']).toMatchObject({ Type: 'Succeed' });
  });

  it('asks every partner of the round at once, each in a callback task timed by its own timeoutSeconds', () => {
    const map = states()['AskPartners'] ?? { Type: 'Map' };
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.asks', ResultPath: '$.decisions', Catch: TO_REVIEW_FAILED, Next: 'Allocate' });
    // No limit: MaxConcurrency 0 (the default) leaves it out.
    expect(map.MaxConcurrency ?? 0).toBe(0);
    expect(map.ItemSelector).toBeUndefined();
    const processor = map.ItemProcessor as { StartAt: string; ProcessorConfig: unknown; States: Record<string, unknown> };
    expect(processor.StartAt).toBe('AskPartner');
    expect(processor.ProcessorConfig).toEqual({ Mode: 'INLINE' });
    expect(Object.keys(processor.States).sort()).toEqual(['AskPartner', 'RecordTimeout']);
    expect(states()['AskPartner']).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: workflows.arnOf('review-ask'),
        Payload: {
          'applicationId.$': '$.applicationId',
          'lenderId.$': '$.lenderId',
          'round.$': '$.round',
          'timeoutSeconds.$': '$.timeoutSeconds',
          'taskToken.$': '$$.Task.Token',
        },
      },
      TimeoutSecondsPath: '$.timeoutSeconds',
      Retry: TRANSIENT_RETRY,
      Catch: [{ ErrorEquals: [JointReviewErrors.timeout], ResultPath: '$.error', Next: 'RecordTimeout' }],
      End: true,
    });
  });

  it('starts Disbursement named by the application id, fire and forget, retried while Step Functions cannot take it, a duplicate caught', () => {
    expect(states()['StartDisbursement']).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: { StateMachineArn: workflows.disbursement.arn, 'Name.$': '$.applicationId', Input: { 'applicationId.$': '$.applicationId' } },
      ResultPath: '$.disbursement',
      Retry: [{ ErrorEquals: ['StepFunctions.ExecutionLimitExceededException', 'StepFunctions.SdkClientException'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 6, JitterStrategy: 'FULL' }],
      Catch: [{ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: '$.error', Next: 'DisbursementStarted' }, ...TO_REVIEW_FAILED],
      Next: 'DisbursementStarted',
    });
    expect(states()['DisbursementStarted']).toMatchObject({ Type: 'Succeed' });
  });

  it('retries nothing but transient Lambda errors; any other error of a step ends in ReviewFailed with it', () => {
    expect(states()['ReviewFailed']).toEqual({ Type: 'Fail', Comment: expect.any(String), ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    const text = JSON.stringify(workflows.jointReview.definition);
    expect(text).not.toContain('States.TaskFailed');
    const lambdaTasks = Object.entries(states()).filter(([stateName, state]) => state.Type === 'Task' && stateName !== 'StartDisbursement');
    expect(lambdaTasks.map(([stateName]) => stateName).sort()).toEqual(['Allocate', 'AskPartner', 'ChooseCandidates', 'RecordFailure', 'RecordTimeout']);
    for (const [stateName, state] of lambdaTasks) expect(state.Retry, stateName).toEqual(TRANSIENT_RETRY);
  });
});

describe('JointReview run (local engine)', () => {
  /** The execution's id, which the steps that record the review's outcome are handed. */
  const executionOf = (applicationId: string): string => `arn:aws:states:us-east-1:000000000000:execution:${workflows.jointReview.logicalId}:${applicationId}`;
  const start = (applicationId: string): string =>
    workflows.runtime.startExecution({
      stateMachineArn: workflows.jointReview.arn,
      name: applicationId,
      input: JSON.stringify({ applicationId, round: 1 }),
    }).executionArn;

  it('ends in Rejected when round 1 has no candidate, asking no one', async () => {
    scripts.set('APP-REJ', { rounds: { 1: { outcome: 'REJECT', asks: [] } }, allocations: {} });
    const record = await workflows.runtime.waitForExecution(start('APP-REJ'));
    expect(record.status).toBe('SUCCEEDED');
    expect(JSON.parse(record.output ?? '')).toMatchObject({ applicationId: 'APP-REJ', outcome: 'REJECT' });
    expect(calls.filter((call) => call.applicationId === 'APP-REJ')).toEqual([{ step: 'ChooseCandidates', applicationId: 'APP-REJ', round: 1, executionId: executionOf('APP-REJ') }]);
    expect(asks.filter((ask) => ask.applicationId === 'APP-REJ')).toEqual([]);
  });

  it('asks round by round, records a timeout, allocates, and starts the Disbursement saga named by the application', async () => {
    scripts.set('APP-1', {
      rounds: {
        1: {
          outcome: 'ASK',
          asks: [
            { lenderId: 'BANK_A', timeoutSeconds: 30 },
            { lenderId: 'BANK_B', timeoutSeconds: 1 },
          ],
        },
        2: { outcome: 'ASK', asks: [{ lenderId: 'BANK_C', timeoutSeconds: 30 }] },
      },
      allocations: { 1: 'NEED_MORE', 2: 'PLAN' },
    });
    const executionArn = start('APP-1');
    const askOf = (lenderId: string) => eventually(() => asks.find((ask) => ask.applicationId === 'APP-1' && ask.lenderId === lenderId));

    const bankA = await askOf('BANK_A');
    expect(bankA).toEqual({ applicationId: 'APP-1', lenderId: 'BANK_A', round: 1, timeoutSeconds: 30, taskToken: expect.stringMatching(/^AQ/) });
    workflows.runtime.sendTaskSuccess(bankA.taskToken, JSON.stringify({ lenderId: 'BANK_A', decision: 'APPROVE', approvedAmountMinor: '300000' }));
    // BANK_B never answers: after 1 second RecordTimeout runs for it, then round 2 asks BANK_C.
    const bankC = await askOf('BANK_C');
    expect(bankC).toMatchObject({ round: 2, timeoutSeconds: 30 });
    workflows.runtime.sendTaskSuccess(bankC.taskToken, JSON.stringify({ lenderId: 'BANK_C', decision: 'APPROVE', approvedAmountMinor: '700000' }));

    const record = await workflows.runtime.waitForExecution(executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(calls.filter((call) => call.applicationId === 'APP-1')).toEqual([
      { step: 'ChooseCandidates', applicationId: 'APP-1', round: 1, executionId: executionOf('APP-1') },
      { step: 'RecordTimeout', applicationId: 'APP-1', lenderId: 'BANK_B', round: 1 },
      { step: 'Allocate', applicationId: 'APP-1', round: 1, executionId: executionOf('APP-1') },
      { step: 'ChooseCandidates', applicationId: 'APP-1', round: 2, executionId: executionOf('APP-1') },
      { step: 'Allocate', applicationId: 'APP-1', round: 2, executionId: executionOf('APP-1') },
    ]);
    const output = JSON.parse(record.output ?? '') as { applicationId: string; outcome: string; disbursement: { ExecutionArn: string } };
    expect(output).toMatchObject({ applicationId: 'APP-1', outcome: 'PLAN', round: 2 });
    const disbursementArn = `arn:aws:states:us-east-1:000000000000:execution:${workflows.disbursement.logicalId}:APP-1`;
    expect(output.disbursement.ExecutionArn).toBe(disbursementArn);
    expect(workflows.runtime.describeExecution(disbursementArn)).toMatchObject({ name: 'APP-1', input: '{"applicationId":"APP-1"}' });
    await eventually(() => disbursementCalls.find((call) => call.applicationId === 'APP-1' && call.step === 'AwaitDisbursement'));
    workflows.runtime.stopExecution({ executionArn: disbursementArn });
  });

  it('on an error no step expects, records the failure on the application and fails with that error', async () => {
    scripts.set('APP-ERR', { rounds: { 1: { outcome: 'ASK', asks: [{ lenderId: 'BANK_A', timeoutSeconds: 1 }] } }, allocations: {}, allocateThrows: true });
    const record = await workflows.runtime.waitForExecution(start('APP-ERR'));
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('TypeError');
    const recorded = calls.filter((call) => call.applicationId === 'APP-ERR' && call.step === 'RecordFailure');
    expect(recorded).toEqual([{ step: 'RecordFailure', applicationId: 'APP-ERR', error: { Error: 'TypeError', Cause: expect.stringContaining('the lender store answered nothing') }, executionId: executionOf('APP-ERR') }]);
  });

  it('ends cleanly when the Disbursement of the application was already started', async () => {
    // An earlier Disbursement APP-2 ended (its quota was short), so the name is taken.
    scripts.set('APP-2', { rounds: { 1: { outcome: 'ASK', asks: [{ lenderId: 'BANK_A', timeoutSeconds: 30 }] } }, allocations: { 1: 'PLAN' }, reserveFails: true });
    const earlier = workflows.runtime.startExecution({ stateMachineArn: workflows.disbursement.arn, name: 'APP-2', input: '{"applicationId":"APP-2"}' });
    expect(await workflows.runtime.waitForExecution(earlier.executionArn)).toMatchObject({ status: 'SUCCEEDED' });

    const executionArn = start('APP-2');
    const ask = await eventually(() => asks.find((entry) => entry.applicationId === 'APP-2'));
    workflows.runtime.sendTaskSuccess(ask.taskToken, JSON.stringify({ lenderId: 'BANK_A', decision: 'APPROVE' }));
    const record = await workflows.runtime.waitForExecution(executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(JSON.parse(record.output ?? '').error).toEqual({ Error: 'StepFunctions.ExecutionAlreadyExistsException', Cause: expect.any(String) });
  });

  it('fails the execution on an outcome the choices do not name, rather than rejecting', async () => {
    scripts.set('APP-X', { rounds: { 1: { outcome: 'MAYBE' as 'ASK', asks: [] } }, allocations: {} });
    expect(await workflows.runtime.waitForExecution(start('APP-X'))).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
  });
});
