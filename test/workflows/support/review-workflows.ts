import { App, Stack } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { DefinitionBody, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { REPOSITORY_ROOT } from '../../../infra/constructs/repository.ts';
import { FunctionHost, functionsFromTemplate } from '../../../infra/local/functions.ts';
import { stateMachinesFromTemplate } from '../../../infra/local/state-machines.ts';
import type { AslDefinition, AslState, LocalStateMachine } from '../../../infra/local/state-machines.ts';
import { StepFunctionsRuntime } from '../../../infra/local/stepfunctions.ts';
import { functionArn, TemplateResolver } from '../../../infra/local/template.ts';
import type { CfnTemplate } from '../../../infra/local/template.ts';
import { disbursementDefinition } from '../../../workflows/disbursement/definition.ts';
import { jointReviewDefinition } from '../../../workflows/joint-review/definition.ts';

/**
 * The two review workflows built from their definitions in a small stack, read back from the
 * synthesized template and run by the local engine, with every Task state bound to a handler
 * that the test provides in place of the function's module.
 */

export type ReviewFunction = 'review-steps' | 'review-ask' | 'disbursement-steps' | 'disbursement-book';
export type TestHandler = (event: Record<string, unknown>) => Promise<unknown>;

const FUNCTION_IDS: Record<ReviewFunction, string> = {
  'review-steps': 'ReviewStepsFunction',
  'review-ask': 'ReviewAskFunction',
  'disbursement-steps': 'DisbursementStepsFunction',
  'disbursement-book': 'DisbursementBookFunction',
};

export interface ReviewWorkflows {
  readonly runtime: StepFunctionsRuntime;
  readonly jointReview: LocalStateMachine;
  readonly disbursement: LocalStateMachine;
  /** The local ARN of a function by folder. */
  arnOf(fn: ReviewFunction): string;
}

export function synthesizeReviewTemplate(): CfnTemplate {
  const app = new App();
  const stack = new Stack(app, 'ReviewWorkflows');
  const functions = Object.fromEntries(
    (Object.entries(FUNCTION_IDS) as [ReviewFunction, string][]).map(([folder, id]) => {
      const fn = new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
      (fn.node.defaultChild as CfnFunction).addMetadata('colend:entry', `functions/${folder}/handler.ts`);
      return [folder, fn];
    }),
  ) as Record<ReviewFunction, LambdaFunction>;
  const disbursement = new StateMachine(stack, 'DisbursementStateMachine', {
    definitionBody: DefinitionBody.fromChainable(
      disbursementDefinition(new Construct(stack, 'Disbursement'), { disbursementSteps: functions['disbursement-steps'], disbursementBook: functions['disbursement-book'] }),
    ),
  });
  new StateMachine(stack, 'JointReviewStateMachine', {
    definitionBody: DefinitionBody.fromChainable(
      jointReviewDefinition(new Construct(stack, 'JointReview'), { reviewSteps: functions['review-steps'], reviewAsk: functions['review-ask'], disbursement }),
    ),
  });
  return app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
}

/**
 * Builds the runtime; `handlers` is read at each invocation, so tests may swap handlers between
 * runs. `journal` keeps the running executions in a file, as the local stack does with `--persist`.
 */
export function reviewWorkflows(handlers: Record<ReviewFunction, TestHandler>, options: { journal?: string } = {}): ReviewWorkflows {
  const resolver = new TemplateResolver(synthesizeReviewTemplate());
  const fns = functionsFromTemplate(resolver);
  const folderOf = (url: string): ReviewFunction | undefined =>
    (Object.keys(FUNCTION_IDS) as ReviewFunction[]).find((folder) => url.endsWith(`/functions/${folder}/handler.ts`));
  const host = new FunctionHost(fns, {
    rootDir: REPOSITORY_ROOT,
    loadModule: async (url) => {
      const folder = folderOf(url);
      if (folder === undefined) throw new Error(`No test handler for ${url}`);
      return { handler: (event: Record<string, unknown>) => handlers[folder](event) };
    },
  });
  const machines = stateMachinesFromTemplate(resolver);
  const find = (prefix: string): LocalStateMachine => {
    const found = machines.find((machine) => machine.logicalId.startsWith(prefix));
    if (!found) throw new Error(`No state machine ${prefix}`);
    return found;
  };
  return {
    runtime: new StepFunctionsRuntime({ machines, functions: host, ...options }),
    jointReview: find('JointReviewStateMachine'),
    disbursement: find('DisbursementStateMachine'),
    arnOf: (fn) => {
      const found = fns.find((candidate) => candidate.logicalId.startsWith(FUNCTION_IDS[fn]));
      if (!found) throw new Error(`No function ${fn}`);
      return functionArn(found.logicalId);
    },
  };
}

/** The states of a definition, and those of its Map item processors, by name. */
export function allStates(definition: AslDefinition): Record<string, AslState> {
  const found: Record<string, AslState> = {};
  const walk = (def: AslDefinition): void => {
    for (const [name, state] of Object.entries(def.States)) {
      found[name] = state;
      const processor = state.ItemProcessor as AslDefinition | undefined;
      if (processor) walk(processor);
    }
  };
  walk(definition);
  return found;
}

/** Waits until `probe` returns a value, polling every few milliseconds. */
export async function eventually<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('Timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
