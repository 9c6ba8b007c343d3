import type { TestProject } from 'vitest/node';
import { startLocalStack } from '../../infra/local/stack.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import type { CfnTemplate } from '../../infra/local/template.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The local HTTP API, e.g. `http://127.0.0.1:40123`. */
    baseUrl: string;
    /** DynamoDB Local of the same stack. */
    dynamodbEndpoint: string;
    /** The local Step Functions endpoint of the same stack. */
    sfnEndpoint: string;
    /** The synthesized template the stack runs. */
    localTemplate: CfnTemplate;
    /** The secret of the stack's local-only endpoints (`/local/*`). */
    localToken: string;
    /** The local EventBridge endpoint of the same stack (PutEvents, routed to the rules' targets). */
    eventsEndpoint: string;
  }
}

/**
 * Whether any queued test file is an integration test. The run's state lists the queued paths;
 * when it cannot tell, the stack starts.
 */
function runsIntegrationTests(project: TestProject): boolean {
  const state = (project.vitest as { state?: { getPaths?: () => string[] } }).state;
  const files = state?.getPaths?.();
  if (!files || files.length === 0) return true;
  return files.some((file) => file.replace(/\\/g, '/').includes('/test/integration/'));
}

let stack: LocalStack | undefined;

/**
 * One local stack on free ports for every integration test of the run. Runs that queue no
 * integration test (unit tests only) do not start it.
 */
export async function setup(project: TestProject): Promise<void> {
  if (!runsIntegrationTests(project)) return;
  stack = await startLocalStack({
    port: 0,
    runSchedules: false,
    log: (line) => process.stderr.write(`[local stack] ${line}\n`),
  });
  process.stderr.write(`[local stack] ready at ${stack.baseUrl} in ${stack.startupMs} ms\n`);
  project.provide('baseUrl', stack.baseUrl);
  project.provide('dynamodbEndpoint', stack.dynamodbEndpoint);
  project.provide('sfnEndpoint', stack.sfnEndpoint);
  project.provide('localTemplate', stack.template);
  project.provide('localToken', stack.localToken);
  project.provide('eventsEndpoint', stack.eventsEndpoint);
}

export async function teardown(): Promise<void> {
  await stack?.stop();
  stack = undefined;
}
