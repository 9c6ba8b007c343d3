import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStageConfig } from './config.ts';
import { REPOSITORY_ROOT } from './constructs/repository.ts';
import { ColendStack } from './stacks/colend-stack.ts';

export const STACK_ID = 'Colend';

export interface BuildAppOptions {
  /** Bundle the functions with esbuild (default). When false, synthesis needs nothing but the source. */
  readonly bundling?: boolean;
  /** Where the cloud assembly goes; by default the CLI's or a fresh temporary folder. */
  readonly outdir?: string;
  /** Extra context, for example `{ 'colend:clients': [...] }`; it wins over cdk.json. */
  readonly context?: Readonly<Record<string, unknown>>;
}

export interface ColendApp {
  readonly app: App;
  readonly stack: ColendStack;
}

/** The feature flags of cdk.json, so tests and the CLI synthesize the same template. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(resolve(REPOSITORY_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/** The app with its one stage: the stack `Colend`, checked by the AWS Solutions rules of cdk-nag. */
export function buildApp(options: BuildAppOptions = {}): ColendApp {
  const context: Record<string, unknown> = { ...cdkJsonContext(), ...options.context };
  if (options.bundling === false) {
    // No stack is bundled: assets become placeholders and esbuild never runs.
    context['aws:cdk:bundling-stacks'] = [];
  }
  const app = new App({ outdir: options.outdir, context });
  const config = loadStageConfig((key) => app.node.tryGetContext(key));
  const stack = new ColendStack(app, STACK_ID, { config });
  // Synthesis stops on any finding that is neither fixed nor acknowledged with a reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  buildApp().app.synth();
}
