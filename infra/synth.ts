import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from './app.ts';
import { LOCAL_STAGE, STAGE_CONTEXT_KEY } from './config.ts';

export interface SynthesizeOptions {
  /** Bundle the functions with esbuild; off by default, since the template alone needs no bundles. */
  readonly bundling?: boolean;
}

/** The CloudFormation template of the `Colend` stack on the local stage (what the local stack runs), synthesized into a temporary folder. */
export async function synthesizeTemplate(options: SynthesizeOptions = {}): Promise<Record<string, unknown>> {
  const outdir = await mkdtemp(join(tmpdir(), 'colend-synth-'));
  try {
    const { app, stack } = buildApp({ bundling: options.bundling ?? false, outdir, context: { [STAGE_CONTEXT_KEY]: LOCAL_STAGE } });
    const assembly = app.synth();
    return assembly.getStackArtifact(stack.artifactId).template as Record<string, unknown>;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
