import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AslState } from '../../infra/local/state-machines.ts';
import { CAUGHT_ERRORS, DisbursementErrors, DisbursementStates, workflowError } from '../../workflows/disbursement/states.ts';
import type { AwaitDisbursementEvent, DisbursementConfirmation, DisbursementError } from '../../workflows/disbursement/states.ts';
import { COMPENSATION_RETRY, TRANSIENT_LAMBDA_ERRORS } from '../../workflows/lambda-retry.ts';
import { allStates, eventually, reviewWorkflows } from './support/review-workflows.ts';
import type { ReviewWorkflows } from './support/review-workflows.ts';

const TRANSIENT_RETRY = [{ ErrorEquals: [...TRANSIENT_LAMBDA_ERRORS], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' }];
const caughtBy = (named: readonly string[]) => [
  { ErrorEquals: [...named], ResultPath: '$.error', Next: 'Release' },
  { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Release' },
];

/** How each application's saga behaves: which step throws what, and how long the lead has. */
interface Script {
  timeoutSeconds: number;
  reserveError?: DisbursementError;
  bookError?: string;
  /** How many times Release fails with an unnamed error before it works. */
  releaseFailures?: number;
}

const scripts = new Map<string, Script>();
const steps: Array<Record<string, unknown>> = [];
const bookings: Array<Record<string, unknown>> = [];
const waiting: AwaitDisbursementEvent[] = [];

let workflows: ReviewWorkflows;

beforeAll(() => {
  workflows = reviewWorkflows({
    'review-steps': async () => ({}),
    'review-ask': async () => null,
    'disbursement-steps': async (event) => {
      steps.push(event);
      const applicationId = String(event.applicationId);
      const script = scripts.get(applicationId) ?? { timeoutSeconds: 60 };
      if (event.step === 'ReserveQuota') {
        if (script.reserveError !== undefined) throw workflowError(script.reserveError, `quota of BANK_A is short for ${applicationId}`);
        return { applicationId, timeoutSeconds: script.timeoutSeconds };
      }
      if (event.step === 'AwaitDisbursement') waiting.push(event as unknown as AwaitDisbursementEvent);
      if (event.step === 'Release' && (script.releaseFailures ?? 0) > 0) {
        script.releaseFailures = (script.releaseFailures ?? 0) - 1;
        throw new Error(`the table of ${applicationId} did not answer`);
      }
      return { applicationId, released: event.step === 'Release' };
    },
    'disbursement-book': async (event) => {
      bookings.push(event);
      const script = scripts.get(String(event.applicationId));
      if (script?.bookError !== undefined) throw Object.assign(new Error(`cannot book ${String(event.applicationId)}`), { name: script.bookError });
      return { loanId: `LOAN-${String(event.applicationId)}` };
    },
  });
});

afterAll(async () => {
  await workflows.runtime.stop();
});

function states(): Record<string, AslState> {
  return allStates(workflows.disbursement.definition);
}

describe('Disbursement ASL', () => {
  it('has exactly the states of the saga and starts at ReserveQuota', () => {
    expect(workflows.disbursement.definition.StartAt).toBe('ReserveQuota');
    expect(Object.keys(states()).sort()).toEqual(Object.values(DisbursementStates).sort());
    expect(states()['Booked']).toMatchObject({ Type: 'Succeed' });
    expect(states()['Released']).toMatchObject({ Type: 'Succeed', OutputPath: '$.released' });
    expect(states()['Faulted']).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  it('runs ReserveQuota → AwaitDisbursement (callback, timed by $.timeoutSeconds) → BookLoan → Booked', () => {
    const stepsArn = workflows.arnOf('disbursement-steps');
    expect(states()['ReserveQuota']).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: stepsArn,
      Parameters: { step: 'ReserveQuota', 'applicationId.$': '$.applicationId' },
      Retry: TRANSIENT_RETRY,
      Catch: caughtBy(['QuotaUnavailable']),
      Next: 'AwaitDisbursement',
    });
    expect(states()['AwaitDisbursement']).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: stepsArn,
        Payload: { step: 'AwaitDisbursement', 'applicationId.$': '$.applicationId', 'timeoutSeconds.$': '$.timeoutSeconds', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSecondsPath: '$.timeoutSeconds',
      Retry: TRANSIENT_RETRY,
      Catch: caughtBy(['DisbursementFailed', 'DisbursementCancelled', 'States.Timeout']),
      Next: 'BookLoan',
    });
    expect(states()['BookLoan']).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: workflows.arnOf('disbursement-book'),
      Parameters: { 'applicationId.$': '$.applicationId', 'disbursementReference.$': '$.disbursementReference', 'disbursementDate.$': '$.disbursementDate', 'executionId.$': '$$.Execution.Id' },
      Retry: TRANSIENT_RETRY,
      Catch: caughtBy(['BookingRefused']),
      Next: 'Booked',
    });
  });

  it('compensates every failure with Release, told the name of the error; a named one ends in Released, any other in Faulted', () => {
    expect(states()['Release']).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: workflows.arnOf('disbursement-steps'),
      Parameters: { step: 'Release', 'applicationId.$': '$.applicationId', 'cause.$': '$.error.Error' },
      ResultPath: '$.released',
      Retry: [
        ...TRANSIENT_RETRY,
        { ErrorEquals: ['States.ALL'], IntervalSeconds: COMPENSATION_RETRY.intervalSeconds, MaxAttempts: COMPENSATION_RETRY.maxAttempts, BackoffRate: 2, JitterStrategy: 'FULL' },
      ],
      Next: 'ReleasedWhy',
    });
    for (const [stateName, errors] of Object.entries(CAUGHT_ERRORS)) {
      expect(states()[stateName]?.Catch, stateName).toEqual(caughtBy(errors));
    }
    expect(Object.values(DisbursementErrors).sort()).toEqual(Object.values(CAUGHT_ERRORS).flat().sort());
    expect(states()['ReleasedWhy']).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [{ Or: Object.values(DisbursementErrors).map((error) => ({ Variable: '$.error.Error', StringEquals: error })), Next: 'Released' }],
      Default: 'Faulted',
    });
  });

  it('retries the forward steps on transient Lambda errors only; only the compensation retries any error', () => {
    for (const [stateName, state] of Object.entries(states()).filter(([name, state]) => state.Type === 'Task' && name !== 'Release')) {
      expect(state.Retry, stateName).toEqual(TRANSIENT_RETRY);
    }
  });
});

describe('Disbursement run (local engine)', () => {
  const start = (applicationId: string, script: Script): string => {
    scripts.set(applicationId, script);
    return workflows.runtime.startExecution({ stateMachineArn: workflows.disbursement.arn, name: applicationId, input: JSON.stringify({ applicationId }) })
      .executionArn;
  };
  const awaited = (applicationId: string) => eventually(() => waiting.find((event) => event.applicationId === applicationId));
  const stepsOf = (applicationId: string) => steps.filter((event) => event.applicationId === applicationId);

  it('books the loan with the reference and date the lead confirmed', async () => {
    const executionArn = start('APP-OK', { timeoutSeconds: 30 });
    const wait = await awaited('APP-OK');
    expect(wait).toEqual({ step: 'AwaitDisbursement', applicationId: 'APP-OK', timeoutSeconds: 30, taskToken: expect.stringMatching(/^AQ/) });
    const confirmation: DisbursementConfirmation = { applicationId: 'APP-OK', disbursementReference: 'TRX-0001', disbursementDate: '2026-03-02' };
    workflows.runtime.sendTaskSuccess(wait.taskToken, JSON.stringify(confirmation));
    const record = await workflows.runtime.waitForExecution(executionArn);
    expect(record).toMatchObject({ status: 'SUCCEEDED', output: '{"loanId":"LOAN-APP-OK"}' });
    expect(bookings.filter((event) => event.applicationId === 'APP-OK')).toEqual([{ ...confirmation, executionId: executionArn }]);
    expect(stepsOf('APP-OK').map((event) => event.step)).toEqual(['ReserveQuota', 'AwaitDisbursement']);
  });

  it('releases when the quota is short, and ends cleanly', async () => {
    const record = await workflows.runtime.waitForExecution(start('APP-QUOTA', { timeoutSeconds: 30, reserveError: 'QuotaUnavailable' }));
    expect(record.status).toBe('SUCCEEDED');
    expect(stepsOf('APP-QUOTA')).toEqual([
      { step: 'ReserveQuota', applicationId: 'APP-QUOTA' },
      { step: 'Release', applicationId: 'APP-QUOTA', cause: 'QuotaUnavailable' },
    ]);
  });

  it.each(['DisbursementFailed', 'DisbursementCancelled'] as const)('releases when the lead reports %s', async (error) => {
    const applicationId = `APP-${error}`;
    const executionArn = start(applicationId, { timeoutSeconds: 30 });
    const wait = await awaited(applicationId);
    workflows.runtime.sendTaskFailure(wait.taskToken, error, 'reported by the lead');
    expect(await workflows.runtime.waitForExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ applicationId, released: true }) });
    expect(stepsOf(applicationId).at(-1)).toEqual({ step: 'Release', applicationId, cause: error });
    expect(bookings.some((event) => event.applicationId === applicationId)).toBe(false);
  });

  it('releases when no confirmation comes in time, and refuses a late one', async () => {
    const startedAt = Date.now();
    const executionArn = start('APP-LATE', { timeoutSeconds: 1 });
    const wait = await awaited('APP-LATE');
    expect(await workflows.runtime.waitForExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    expect(stepsOf('APP-LATE').at(-1)).toEqual({ step: 'Release', applicationId: 'APP-LATE', cause: 'States.Timeout' });
    expect(() => workflows.runtime.sendTaskSuccess(wait.taskToken, '{}')).toThrow(expect.objectContaining({ code: 'TaskTimedOut' }));
  });

  it('releases when booking is refused', async () => {
    const executionArn = start('APP-REFUSED', { timeoutSeconds: 30, bookError: 'BookingRefused' });
    const wait = await awaited('APP-REFUSED');
    workflows.runtime.sendTaskSuccess(wait.taskToken, JSON.stringify({ applicationId: 'APP-REFUSED', disbursementReference: 'TRX-9', disbursementDate: '2026-03-02' }));
    expect(await workflows.runtime.waitForExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(stepsOf('APP-REFUSED').at(-1)).toEqual({ step: 'Release', applicationId: 'APP-REFUSED', cause: 'BookingRefused' });
  });

  it('releases on an error nobody named too, then fails with it, so that it is looked at', async () => {
    const executionArn = start('APP-BUG', { timeoutSeconds: 30, bookError: 'TypeError' });
    const wait = await awaited('APP-BUG');
    workflows.runtime.sendTaskSuccess(wait.taskToken, JSON.stringify({ applicationId: 'APP-BUG', disbursementReference: 'TRX-7', disbursementDate: '2026-03-02' }));
    expect(await workflows.runtime.waitForExecution(executionArn)).toMatchObject({ status: 'FAILED', error: 'TypeError' });
    expect(stepsOf('APP-BUG').map((event) => event.step)).toEqual(['ReserveQuota', 'AwaitDisbursement', 'Release']);
    expect(stepsOf('APP-BUG').at(-1)).toEqual({ step: 'Release', applicationId: 'APP-BUG', cause: 'TypeError' });
  });

  it('tries a failing Release again until it works', async () => {
    const record = await workflows.runtime.waitForExecution(start('APP-RELEASE-RETRY', { timeoutSeconds: 30, reserveError: 'QuotaUnavailable', releaseFailures: 2 }));
    expect(record).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ applicationId: 'APP-RELEASE-RETRY', released: true }) });
    expect(stepsOf('APP-RELEASE-RETRY').map((event) => event.step)).toEqual(['ReserveQuota', 'Release', 'Release', 'Release']);
  });

  it('is named by the application: a second start with another input is refused', () => {
    start('APP-ONCE', { timeoutSeconds: 30 });
    expect(() =>
      workflows.runtime.startExecution({ stateMachineArn: workflows.disbursement.arn, name: 'APP-ONCE', input: '{"applicationId":"APP-ONCE","again":true}' }),
    ).toThrow(expect.objectContaining({ code: 'ExecutionAlreadyExists' }));
  });
});
