import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { LOCAL_STAGE, STAGE_CONTEXT_KEY, WORKFLOW_LOGS_CONTEXT_KEY } from '../../infra/config.ts';
import { ofType, parseDefinition, resourcesOf } from './support/template.ts';
import type { Resources } from './support/template.ts';

/**
 * Every synthesized state machine, walked state by state: each step that can fail has a retry
 * that fits inside its workflow's timeout and a catch that leaves the books and quotas as they
 * were; its logs hold failures without execution data unless the stage asks for more.
 */

interface Catcher {
  ErrorEquals: string[];
  Next: string;
}
interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}
interface State {
  Type: string;
  Catch?: Catcher[];
  Retry?: Retrier[];
  ItemProcessor?: Definition;
  Iterator?: Definition;
  Branches?: Definition[];
}
interface Definition {
  States: Record<string, State>;
  TimeoutSeconds?: number;
}

/** Which workflow a state machine is, by the start of its logical id. */
const WORKFLOWS = [
  'LedgerCheck',
  'Disbursement',
  'JointReview',
  'RepaymentBatch',
  'RiskUpdate',
  'Reconciliation',
  'Settlement',
  'ProfitSharing',
  'RegulatoryReport',
] as const;
type Workflow = (typeof WORKFLOWS)[number];

/** The compensations themselves: they have no catch, because they are what a catch leads to. Each retries on its own. */
const COMPENSATIONS: Partial<Record<Workflow, Record<string, string>>> = {
  Disbursement: { Release: 'gives back every reservation still held; retried on any error, since each release is conditional on the reservation being RESERVED' },
  JointReview: { RecordFailure: 'records the application REVIEW_FAILED with the error, so that it does not stay IN_REVIEW; the review holds nothing to give back' },
  Settlement: { FailRun: 'records the run FAILED so that the date can be run again' },
  ProfitSharing: { FailRun: 'records the run FAILED so that the period can be run again' },
  RegulatoryReport: { FailRun: 'records the attempt FAILED so that the date can be run again' },
  Reconciliation: { FailReconciliation: 'records the file FAILED so that the next start plans it again' },
};

/** Steps caught straight into a Fail state: nothing they wrote needs undoing (docs/architecture.md, "Failure paths"). */
const NOTHING_TO_UNDO: Record<Workflow, readonly string[]> = {
  LedgerCheck: ['VerifyShards', 'RecordReport'],
  Disbursement: [],
  JointReview: [],
  RepaymentBatch: ['GroupByLoan', 'BookLoans', 'Report'],
  RiskUpdate: ['AssessShards', 'RecordReport'],
  Reconciliation: ['Plan', 'ReconcileEach'],
  Settlement: ['OpenRun'],
  ProfitSharing: ['PlanRuns', 'Runs', 'OpenRun'],
  RegulatoryReport: ['OpenRun'],
};

/** Steps whose failure still ends the execution well, and why. */
const ENDS_CLEANLY: Partial<Record<Workflow, Record<string, string>>> = {
  Settlement: { ReconcileDate: 'the date is settled whatever happens to the start of its reconciliation, which can be started on demand' },
};

interface Walked {
  readonly name: string;
  readonly state: State;
  /** The states of the definition that holds it (a catch can only lead there). */
  readonly scope: Record<string, State>;
  /** Whether a Map around it catches any error (its failure fails that Map). */
  readonly coveredByMap: boolean;
}

function walk(definition: Definition, coveredByMap = false): Walked[] {
  const found: Walked[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    found.push({ name, state, scope: definition.States, coveredByMap });
    const inner = [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter((d): d is Definition => d !== undefined);
    for (const processor of inner) found.push(...walk(processor, coveredByMap || catchesEverything(state)));
  }
  return found;
}

function catchesEverything(state: State): boolean {
  return (state.Catch ?? []).some((catcher) => catcher.ErrorEquals.includes('States.ALL'));
}

/** The longest a retrier can wait in all: each interval grows by the backoff rate, up to the cap (full jitter only shortens it). */
function retryWaitSeconds(retrier: Retrier): number {
  let wait = 0;
  for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt++) {
    const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
    wait += Math.min(interval, retrier.MaxDelaySeconds ?? Infinity);
  }
  return wait;
}

function machines(resources: Resources): { workflow: Workflow; logicalId: string; definition: Definition; properties: Record<string, unknown> }[] {
  return ofType(resources, 'AWS::StepFunctions::StateMachine').map(([logicalId, resource]) => {
    const workflow = WORKFLOWS.find((name) => new RegExp(`^${name}StateMachine[0-9A-F]{8}$`).test(logicalId));
    if (workflow === undefined) throw new Error(`${logicalId} is a state machine this test does not know: add it to WORKFLOWS and its lists`);
    return { workflow, logicalId, definition: parseDefinition(resource.Properties?.['DefinitionString']) as unknown as Definition, properties: resource.Properties ?? {} };
  });
}

function synthesize(context: Record<string, unknown>): Resources {
  return resourcesOf(Template.fromStack(buildApp({ bundling: false, context }).stack));
}

describe.each([
  ['a deployed stage', {}],
  ['the local stage', { [STAGE_CONTEXT_KEY]: LOCAL_STAGE }],
] as const)('every state machine of %s', (_, context) => {
  let resources: Resources;
  beforeAll(() => {
    resources = synthesize(context);
  });

  it('knows every workflow', () => {
    expect(machines(resources).map((m) => m.workflow).sort()).toEqual([...WORKFLOWS].sort());
  });

  it('catches every error of every Task and Map, directly or through the Map that runs it, unless it is a compensation', () => {
    for (const { workflow, definition } of machines(resources)) {
      const compensations = COMPENSATIONS[workflow] ?? {};
      for (const { name, state, coveredByMap } of walk(definition).filter((w) => w.state.Type === 'Task' || w.state.Type === 'Map')) {
        if (name in compensations) {
          expect(state.Catch, `${workflow}.${name} is a compensation: it has no catch`).toBeUndefined();
          continue;
        }
        expect(catchesEverything(state) || coveredByMap, `${workflow}.${name} has no catch of States.ALL and no Map around it has one`).toBe(true);
      }
    }
  });

  it('leads each catch of any error to a compensation, or to a Fail state only for a step with nothing to undo, or to a clean end given with its reason', () => {
    for (const { workflow, definition } of machines(resources)) {
      const intoFail: string[] = [];
      for (const { name, state, scope } of walk(definition)) {
        const catcher = (state.Catch ?? []).find((c) => c.ErrorEquals.includes('States.ALL'));
        if (catcher === undefined) continue;
        const target = scope[catcher.Next];
        if (target?.Type === 'Task') expect(Object.keys(COMPENSATIONS[workflow] ?? {}), `${workflow}.${name} → ${catcher.Next}`).toContain(catcher.Next);
        else if (target?.Type === 'Fail') intoFail.push(name);
        else expect(Object.keys(ENDS_CLEANLY[workflow] ?? {}), `${workflow}.${name} → ${catcher.Next} (${target?.Type})`).toContain(name);
      }
      expect(intoFail.sort(), workflow).toEqual([...NOTHING_TO_UNDO[workflow]].sort());
    }
  });

  it('gives the compensations a retry of any error, so that a passing fault does not leave anything held', () => {
    for (const { workflow, definition } of machines(resources)) {
      for (const name of Object.keys(COMPENSATIONS[workflow] ?? {})) {
        const state = walk(definition).find((w) => w.name === name)?.state;
        expect(state?.Type, `${workflow}.${name}`).toBe('Task');
        if (workflow === 'Disbursement') expect(state?.Retry?.at(-1)?.ErrorEquals, `${workflow}.${name}`).toEqual(['States.ALL']);
      }
    }
  });

  it('waits less in all its retries together than its timeout', () => {
    for (const { workflow, definition } of machines(resources)) {
      const timeoutSeconds = definition.TimeoutSeconds;
      expect(timeoutSeconds, `${workflow} has a timeout`).toBeGreaterThan(0);
      const retries = walk(definition).flatMap((w) => (w.state.Retry ?? []).map(retryWaitSeconds));
      const total = retries.reduce((sum, wait) => sum + wait, 0);
      expect(total, `${workflow}: ${total} s of retries in ${timeoutSeconds} s`).toBeLessThan(timeoutSeconds ?? 0);
    }
  });

  it('logs failures only, without execution data, to its own log group', () => {
    for (const { workflow, properties } of machines(resources)) {
      const logging = properties['LoggingConfiguration'] as { Level: string; IncludeExecutionData: boolean; Destinations: unknown[] };
      expect([workflow, logging.Level, logging.IncludeExecutionData, logging.Destinations.length]).toEqual([workflow, 'ERROR', false, 1]);
    }
  });
});

describe('a stage that asks for more logs', () => {
  it.each([
    ['ALL', 'ALL', false],
    ['ALL_WITH_DATA', 'ALL', true],
  ] as const)('%s logs every event at level %s, execution data: %s', (setting, level, withData) => {
    for (const { properties } of machines(synthesize({ [WORKFLOW_LOGS_CONTEXT_KEY]: setting }))) {
      expect(properties['LoggingConfiguration']).toMatchObject({ Level: level, IncludeExecutionData: withData });
    }
  });
});

describe('the Express collection batch', () => {
  it('retries each step within a budget that fits its 60 s, far below the Standard one', () => {
    const machine = machines(synthesize({ [STAGE_CONTEXT_KEY]: 'dev' })).find((m) => m.workflow === 'RepaymentBatch');
    expect(machine?.properties['StateMachineType']).toBe('EXPRESS');
    expect(machine?.definition.TimeoutSeconds).toBe(60);
    const waits = walk(machine?.definition ?? { States: {} }).flatMap((w) => (w.state.Retry ?? []).map(retryWaitSeconds));
    expect(waits).toEqual([3, 3, 3]);
  });
});
