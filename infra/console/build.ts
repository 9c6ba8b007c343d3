import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';

/**
 * The finance console's static files, bundled with esbuild: `index.html`, `app.js` (the page,
 * uPlot included) and `app.css`. The local server builds them when the console is first asked
 * for; `cdk synth` builds them into the console bucket's asset. Synchronous, because the CDK's
 * local bundling is.
 */

export const CONSOLE_SOURCE = dirname(fileURLToPath(import.meta.url));

export interface ConsoleFile {
  readonly name: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[/\.[a-z]+$/.exec(name)?.[0] ?? ''] ?? 'application/octet-stream';
}

export function buildConsole(): ConsoleFile[] {
  const result = buildSync({
    entryPoints: [join(CONSOLE_SOURCE, 'app.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    charset: 'utf8',
    legalComments: 'none',
    outdir: join(CONSOLE_SOURCE, 'out'),
    write: false,
    logLevel: 'silent',
  });
  const bundled = result.outputFiles.map((file) => {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    return { name, contentType: contentTypeOf(name), body: file.contents };
  });
  const html = readFileSync(join(CONSOLE_SOURCE, 'index.html'));
  return [{ name: 'index.html', contentType: contentTypeOf('index.html'), body: new Uint8Array(html) }, ...bundled].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** What a browser downloads to show the page: each file's bytes and its gzip size. */
export function consoleSizes(files: readonly ConsoleFile[]): { name: string; bytes: number; gzipBytes: number }[] {
  return files.map((f) => ({ name: f.name, bytes: f.body.byteLength, gzipBytes: gzipSync(f.body, { level: 9 }).byteLength }));
}
