import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../infra/constructs/repository.ts';
import { FunctionHost, functionsFromTemplate } from '../../infra/local/functions.ts';
import { LOCAL_CREDENTIALS } from '../../infra/local/stack.ts';
import { stateMachinesFromTemplate } from '../../infra/local/state-machines.ts';
import { StepFunctionsRuntime } from '../../infra/local/stepfunctions.ts';
import { LOCAL_REGION, TemplateResolver } from '../../infra/local/template.ts';
import type { Stores } from '../../shared/adapters/dynamodb/index.ts';
import { DisbursementStates } from '../../workflows/disbursement/states.ts';
import { plannedApplication, quotaFigures, quotaWorld, stackStores, type QuotaWorld } from './support/quota-world.ts';
import { dynamodbEndpoint, localTemplate } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, type World } from './support/world.ts';

/**
 * The Disbursement saga of the synthesized template, run by the local engine with the real
 * handlers on the stack's DynamoDB Local, and an error nobody named injected into one step: the
 * quota of every lender must come back to its figure before the execution started.
 */

type Step = 'ReserveQuota' | 'AwaitDisbursement' | 'BookLoan' | 'Release';

/** Where a fault strikes: before the real step runs, or after its writes (the process dies before it answers). */
interface Fault {
  readonly step: Step;
  readonly when: 'before' | 'after';
  readonly error: Error;
  /** How many invocations of the step fail; 1 unless said. */
  times?: number;
}

const faults = new Map<string, Fault[]>();
const releases = new Map<string, number>();
const tokens = new Map<string, string>();

function stepOf(event: Record<string, unknown>): Step {
  return typeof event.step === 'string' ? (event.step as Step) : 'BookLoan';
}

function strike(event: Record<string, unknown>, when: Fault['when']): void {
  const applicationId = String(event.applicationId);
  if (when === 'before' && stepOf(event) === 'Release') releases.set(applicationId, (releases.get(applicationId) ?? 0) + 1);
  const fault = faults.get(applicationId)?.find((f) => f.step === stepOf(event) && f.when === when && (f.times ?? 1) > 0);
  if (fault === undefined) return;
  fault.times = (fault.times ?? 1) - 1;
  throw fault.error;
}

type Handler = (event: Record<string, unknown>, context: unknown) => Promise<unknown>;

let runtime: StepFunctionsRuntime;
let disbursementArn: string;
let stores: Stores;
let w: World;
let restoreEnvironment: () => void;

beforeAll(async () => {
  w = await createWorld();
  stores = await stackStores();
  const resolver = new TemplateResolver(localTemplate());
  const host = new FunctionHost(functionsFromTemplate(resolver), {
    rootDir: REPOSITORY_ROOT,
    loadModule: async (url) => {
      const real = ((await import(url)) as { handler: Handler }).handler;
      return {
        handler: async (event: Record<string, unknown>, context: unknown) => {
          if (typeof event.taskToken === 'string') tokens.set(String(event.applicationId), event.taskToken);
          strike(event, 'before');
          const result = await real(event, context);
          strike(event, 'after');
          return result;
        },
      };
    },
  });
  const previous = { ...process.env };
  Object.assign(
    process.env,
    host.environment({
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint(),
    }),
  );
  restoreEnvironment = () => {
    process.env = previous;
  };
  const machines = stateMachinesFromTemplate(resolver).filter((machine) => machine.logicalId.startsWith('DisbursementStateMachine'));
  expect(machines).toHaveLength(1);
  disbursementArn = machines[0]?.arn ?? '';
  runtime = new StepFunctionsRuntime({ machines, functions: host });
});

afterAll(async () => {
  await runtime.stop();
  restoreEnvironment();
  await expectLedgerBalanced();
});

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const started = Date.now();
  while (Date.now() - started < 20_000) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never happened: ${what}`);
}

/** A planned application of a fresh world, its quota figures before the saga, and the saga started with `fault`. */
async function sagaWith(label: string, ...injected: Fault[]): Promise<{ t: QuotaWorld; applicationId: string; before: [string, bigint, bigint][]; executionArn: string }> {
  const t = await quotaWorld(w, label);
  const applicationId = `QF-${w.suffix}-${label}`;
  await plannedApplication(stores, t, applicationId);
  const before = await quotaFigures(stores, [t.lead, t.d, t.e]);
  faults.set(applicationId, injected);
  const { executionArn } = runtime.startExecution({ stateMachineArn: disbursementArn, name: applicationId, input: JSON.stringify({ applicationId }) });
  return { t, applicationId, before, executionArn };
}

/** The task token of the saga once it waits for the lead (the application AWAITING_DISBURSEMENT). */
async function awaiting(applicationId: string): Promise<string> {
  const token = await until(() => tokens.get(applicationId), `${applicationId} waits for its disbursement`);
  await until(async () => ((await stores.applications.get(applicationId))?.status === 'AWAITING_DISBURSEMENT' ? true : undefined), `${applicationId} is AWAITING_DISBURSEMENT`);
  return token;
}

/** Confirms the disbursement, as the lead's route does, once the saga waits for it. */
async function confirm(applicationId: string): Promise<void> {
  const token = await awaiting(applicationId);
  runtime.sendTaskSuccess(token, JSON.stringify({ applicationId, disbursementReference: `TRX-${applicationId}`, disbursementDate: '2026-11-30' }));
}

async function expectReleased(t: QuotaWorld, applicationId: string, before: [string, bigint, bigint][], cause: string): Promise<void> {
  expect(await quotaFigures(stores, [t.lead, t.d, t.e])).toEqual(before);
  expect(before.map(([, reserved, committed]) => [reserved, committed])).toEqual([
    [0n, 0n],
    [0n, 0n],
    [0n, 0n],
  ]);
  const reservations = await stores.exposure.reservations(applicationId);
  expect(reservations.map((r) => [r.lenderId, r.amountMinor, r.state]).sort()).toEqual(
    [
      [t.d, 300_000n, 'RELEASED'],
      [t.e, 300_000n, 'RELEASED'],
      [t.lead, 400_000n, 'RELEASED'],
    ].sort(),
  );
  const record = await stores.applications.get(applicationId);
  expect(record?.status).toBe('DISBURSEMENT_FAILED');
  expect(record?.timeline.at(-1)).toMatchObject({ step: 'Release', event: 'DISBURSEMENT_FAILED', detail: { cause } });
  expect(record?.loanId ?? null).toBeNull();
}

describe('Disbursement saga: an error nobody named, in any step, gives every reservation back', () => {
  it('ReserveQuota dies after its writes (every lender reserved): Release gives all of it back, the execution fails with the error', async () => {
    const { t, applicationId, before, executionArn } = await sagaWith('RQ', { step: 'ReserveQuota', when: 'after', error: new Error('the function timed out after its writes') });
    const record = await runtime.waitForExecution(executionArn);
    expect(record).toMatchObject({ status: 'FAILED', error: 'Error' });
    await expectReleased(t, applicationId, before, 'Error');
  });

  it('AwaitDisbursement dies after storing its token: Release gives all of it back', async () => {
    const { t, applicationId, before, executionArn } = await sagaWith('AD', { step: 'AwaitDisbursement', when: 'after', error: new TypeError("Cannot read properties of undefined (reading 'status')") });
    const record = await runtime.waitForExecution(executionArn);
    expect(record).toMatchObject({ status: 'FAILED', error: 'TypeError' });
    await expectReleased(t, applicationId, before, 'TypeError');
  });

  it('BookLoan fails before it books: Release gives all of it back, and no loan is booked', async () => {
    const { t, applicationId, before, executionArn } = await sagaWith('BL', { step: 'BookLoan', when: 'before', error: new RangeError('Invalid time value') });
    await confirm(applicationId);
    const record = await runtime.waitForExecution(executionArn);
    expect(record).toMatchObject({ status: 'FAILED', error: 'RangeError' });
    await expectReleased(t, applicationId, before, 'RangeError');
    expect((await stores.ledger.loanLedger(applicationId)).entries).toEqual([]);
  });

  it('Release itself fails twice, after ReserveQuota died: tried again, it gives all of it back', async () => {
    const { t, applicationId, before, executionArn } = await sagaWith(
      'RL',
      { step: 'ReserveQuota', when: 'after', error: new Error('the function timed out after its writes') },
      { step: 'Release', when: 'before', error: new Error('connect ECONNREFUSED 127.0.0.1:8000'), times: 2 },
    );
    const record = await runtime.waitForExecution(executionArn);
    expect(record).toMatchObject({ status: 'FAILED', error: 'Error', cause: expect.stringContaining('the function timed out after its writes') });
    expect(releases.get(applicationId)).toBe(3);
    await expectReleased(t, applicationId, before, 'Error');
  });

  it('a named failure still ends cleanly (Released), with the same figures', async () => {
    const { t, applicationId, before, executionArn } = await sagaWith('NAMED');
    runtime.sendTaskFailure(await awaiting(applicationId), 'DisbursementFailed', 'Account frozen');
    const record = await runtime.waitForExecution(executionArn);
    expect(record).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ applicationId, status: 'DISBURSEMENT_FAILED' }) });
    expect(await quotaFigures(stores, [t.lead, t.d, t.e])).toEqual(before);
    expect(Object.values(DisbursementStates)).toContain(DisbursementStates.faulted);
  });
});
