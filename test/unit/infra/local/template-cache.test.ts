import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedTemplate, templateSourcesHash } from '../../../../infra/local/template-cache.ts';
import type { CfnTemplate } from '../../../../infra/local/template.ts';

let root: string;
let cache: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'colend-template-cache-'));
  cache = join(root, '.colend', 'cache');
  mkdirSync(join(root, 'infra', 'stacks'), { recursive: true });
  mkdirSync(join(root, 'shared', 'http'), { recursive: true });
  writeFileSync(join(root, 'infra', 'stacks', 'colend-stack.ts'), 'export const stack = 1;\n');
  writeFileSync(join(root, 'shared', 'http', 'routes.ts'), 'export const routes = [];\n');
  writeFileSync(join(root, 'package-lock.json'), '{}\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A synthesis that counts its runs and names them in the template. */
function counting(): { synthesize: () => Promise<CfnTemplate>; runs: () => number } {
  let runs = 0;
  return { synthesize: async () => ({ Resources: { [`Run${++runs}`]: { Type: 'AWS::SNS::Topic' } } }) as CfnTemplate, runs: () => runs };
}

describe('the synthesized template kept between starts', () => {
  it('is synthesized once for the same sources, then read back as it was', async () => {
    const synth = counting();
    const first = await cachedTemplate(root, synth.synthesize, cache);
    const second = await cachedTemplate(root, synth.synthesize, cache);
    expect([first.cached, second.cached, synth.runs()]).toEqual([false, true, 1]);
    expect(second.template).toEqual({ Resources: { Run1: { Type: 'AWS::SNS::Topic' } } });
  });

  it('is synthesized again when any source, a new file or the installed packages change', async () => {
    const synth = counting();
    const hashes = [templateSourcesHash(root)];
    await cachedTemplate(root, synth.synthesize, cache);
    writeFileSync(join(root, 'shared', 'http', 'routes.ts'), 'export const routes = ["GET /v1/x"];\n');
    hashes.push(templateSourcesHash(root));
    expect((await cachedTemplate(root, synth.synthesize, cache)).template).toEqual({ Resources: { Run2: { Type: 'AWS::SNS::Topic' } } });
    writeFileSync(join(root, 'infra', 'stacks', 'new-construct.ts'), 'export {};\n');
    hashes.push(templateSourcesHash(root));
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3}\n');
    hashes.push(templateSourcesHash(root));
    expect(new Set(hashes).size).toBe(4);
    expect((await cachedTemplate(root, synth.synthesize, cache)).cached).toBe(false);
    expect(synth.runs()).toBe(3);
  });

  it('keeps the template when only a page of prose beside the code changes', () => {
    const before = templateSourcesHash(root);
    writeFileSync(join(root, 'infra', 'stacks', 'README.md'), '# Stacks\n');
    expect(templateSourcesHash(root)).toBe(before);
  });

  it('synthesizes again over a damaged copy', async () => {
    const synth = counting();
    const { path } = await cachedTemplate(root, synth.synthesize, cache);
    writeFileSync(path, '{"Resources": ');
    const again = await cachedTemplate(root, synth.synthesize, cache);
    expect([again.cached, synth.runs()]).toEqual([false, 2]);
    expect(readdirSync(cache).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
