import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { entryOf, ofType, resourcesOf } from './support/template.ts';
import type { Resources } from './support/template.ts';

// The one synthesis with bundling on: every function is bundled by esbuild on this machine.
let outdir: string;
let resources: Resources;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'colend-bundling-'));
  // Any attempt to bundle in a container would run this missing binary and fail.
  vi.stubEnv('CDK_DOCKER', join(outdir, 'no-container-runtime'));
  const { stack } = buildApp({ bundling: true, outdir });
  resources = resourcesOf(Template.fromStack(stack));
});

afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(outdir, { recursive: true, force: true });
});

describe('bundling', () => {
  it('bundles every function locally into one minified ESM file with its source map', () => {
    const assets = JSON.parse(readFileSync(join(outdir, 'Colend.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging: string } }>;
    };
    const functions = ofType(resources, 'AWS::Lambda::Function');
    // Ours, the CDK's deployment of the finance console's files, and its custom resource that puts the upload CORS rule.
    expect(functions.length).toBe(37);
    const ours = functions.filter(([, fn]) => fn.Metadata?.['colend:entry'] !== undefined);
    expect(ours.length).toBe(35);
    for (const [logicalId, fn] of ours) {
      const code = fn.Properties?.['Code'] as { S3Key: string };
      const hash = code.S3Key.replace(/\.zip$/, '');
      const asset = assets.files[hash];
      expect(asset?.source.packaging, logicalId).toBe('zip');
      const dir = join(outdir, asset?.source.path ?? 'missing');
      const bundle = join(dir, 'index.mjs');
      expect(existsSync(bundle), `${entryOf(fn)} bundle`).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map')), `${entryOf(fn)} source map`).toBe(true);
      const text = readFileSync(bundle, 'utf8');
      expect(text).toMatch(/export\s*\{[^}]*as handler[^}]*\}/);
      expect(text).toContain('//# sourceMappingURL=index.mjs.map');
    }
  });

  it("builds the finance console into its asset: the page, its script and styles, under 100 KB gzipped", () => {
    const assets = JSON.parse(readFileSync(join(outdir, 'Colend.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> };
    const [, deployment] = ofType(resources, 'Custom::CDKBucketDeployment')[0]!;
    const [filesKey] = deployment.Properties?.['SourceObjectKeys'] as string[];
    const dir = join(outdir, assets.files[filesKey!.replace(/\.zip$/, '')]?.source.path ?? 'missing');
    expect(readdirSync(dir).sort()).toEqual(['app.css', 'app.js', 'index.html']);
    const gzipped = readdirSync(dir).reduce((sum, name) => sum + gzipSync(readFileSync(join(dir, name)), { level: 9 }).byteLength, 0);
    expect(gzipped).toBeLessThan(100 * 1024);
    expect(readFileSync(join(dir, 'app.js'), 'utf8')).toContain('结算批次');
  });
});
