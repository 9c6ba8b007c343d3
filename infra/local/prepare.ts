import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import { REPOSITORY_ROOT } from './checkout.ts';
import { loopbackLauncher, requireJava } from './dynamodb.ts';
import { synthesizeAppTemplate } from './stack.ts';
import { engineDefinition, stateMachinesFromTemplate } from './state-machines.ts';
import { cachedTemplate, markValidated } from './template-cache.ts';
import { TemplateResolver } from './template.ts';

/**
 * Run by `npm install` (the `postinstall` script): does once, ahead of time, what the first
 * `npm start` of a checkout would otherwise do before it can answer: the template synthesized into
 * the cache with its state machines checked against the ASL schema, and DynamoDB Local's loopback
 * launcher compiled. A start of unchanged sources then reuses both. Nothing here is needed: when a
 * step cannot be done (no Java yet, say), the install goes on and `npm start` does it, or says what
 * is missing.
 */
async function prepareLocalStack(rootDir: string = REPOSITORY_ROOT, log: (line: string) => void = console.log): Promise<void> {
  const started = Date.now();
  const found = await cachedTemplate(rootDir, () => synthesizeAppTemplate(rootDir));
  if (!found.validated) {
    for (const machine of stateMachinesFromTemplate(new TemplateResolver(found.template))) {
      // The same check a start makes; a definition the engine refuses throws here, naming it.
      new StateMachine(engineDefinition(machine.definition) as unknown as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: true } });
    }
    await markValidated(found.path);
  }
  log(`local stack: template ${found.cached ? 'already prepared' : 'synthesized and checked'} (${Date.now() - started} ms)`);
  try {
    const launcher = await loopbackLauncher(requireJava().command);
    log(`local stack: DynamoDB Local launcher ${launcher.kind === 'loopback' ? 'ready' : `not compiled: ${launcher.reason}`}`);
  } catch (error) {
    log(`local stack: DynamoDB Local launcher left for the first start (${(error as Error).message.split('\n')[0]})`);
  }
}

await prepareLocalStack().catch((error: unknown) => {
  // The install does not depend on it: the first start prepares what this could not.
  console.log(`local stack: not prepared now, the first npm start will (${(error as Error).message.split('\n')[0]})`);
});
