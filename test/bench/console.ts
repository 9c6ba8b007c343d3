import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole, consoleSizes } from '../../infra/console/build.ts';
import { principalOf } from '../../infra/console/caller.ts';
import { simulate } from '../../infra/local/simulator.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import { LOCAL_TOKEN_HEADER } from '../../infra/local/state-file.ts';
import { launchBrowser, viewOf } from '../support/browser.ts';
import { formatMs, percentile } from './stats.ts';

/**
 * The finance console's load time on the local stack: the demo story played up to a date
 * (`BENCH_CONSOLE_END`, 2026-08-31 by default: more settled dates than the 23 the console
 * shows), then headless Chromium opens the console at the last settled date, signed in as a
 * platform finance user, until the settlement view is rendered (`<body data-state="ready"
 * data-date>`: run, instructions, files and the chart's runs loaded). The first load builds the
 * console on the server; the others are the page alone.
 */

export interface ConsoleFigures {
  readonly sizes: { name: string; bytes: number; gzipBytes: number }[];
  readonly date: string;
  readonly instructions: number;
  readonly files: number;
  readonly loans: number;
  readonly settledDates: number;
  readonly firstMs: number;
  readonly loadsMs: number[];
  /** Median duration of each file and API call of a load, as the browser timed it. */
  readonly callsMs: Record<string, number>;
}

const LOADS = 7;

export async function benchConsole(stack: LocalStack, end = process.env.BENCH_CONSOLE_END ?? '2026-08-31'): Promise<ConsoleFigures> {
  const story = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', 'infra', 'local', 'scenarios', 'demo.json'), 'utf8')) as { end: string; applications: { on: string }[]; events: { on: string }[] };
  const out = await mkdtemp(join(tmpdir(), 'colend-bench-console-'));
  let summary;
  try {
    summary = await simulate({ ...story, end, applications: story.applications.filter((a) => a.on <= end), events: story.events.filter((e) => e.on <= end) }, { out, stack, copyFiles: false });
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  const date = summary.settledDates.at(-1);
  if (date === undefined) throw new Error(`the demo story settled no date up to ${end}`);
  const signIn = await fetch(`${stack.baseUrl}/local/console/token`, { method: 'POST', headers: { 'content-type': 'application/json', [LOCAL_TOKEN_HEADER]: stack.localToken }, body: JSON.stringify({ username: 'fin.wang' }) });
  const { accessToken, expiresIn } = (await signIn.json()) as { accessToken: string; expiresIn: number };
  const session = { accessToken, expiresAt: Date.now() + expiresIn * 1000, principal: principalOf(accessToken) };
  const run = (await (await fetch(`${stack.baseUrl}/v1/settlement-runs/${date}`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { instructions: unknown[]; run: { files: unknown[] } };

  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    // Signed in already, as after the sign-in page: the time measured is the settlement view's.
    await context.addInitScript((value) => sessionStorage.setItem('colend.console.session', value), JSON.stringify(session));
    const calls: Record<string, number[]> = {};
    const load = async (): Promise<number> => {
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${stack.baseUrl}/console/#${date}`);
      await viewOf(page, date);
      const ms = performance.now() - started;
      // Where the time went, as the browser timed it: the page itself, each file and API call, and the view ready from the navigation's start.
      const timings = await page.evaluate(() => {
        // The browser's Performance API (this module is type-checked as Node code).
        const timing = performance as unknown as {
          getEntriesByType(type: string): { name: string; duration: number; domContentLoadedEventEnd?: number }[];
          getEntriesByName(name: string): { startTime: number }[];
        };
        return [
          ...timing.getEntriesByType('resource').map((e) => [new URL(e.name).pathname, e.duration] as const),
          ['(the page: HTML parsed, script run)', timing.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? Number.NaN] as const,
          ['(the view ready, in the page)', timing.getEntriesByName('colend:view-ready').at(-1)?.startTime ?? Number.NaN] as const,
        ];
      });
      for (const [path, duration] of timings) (calls[path.replace(/\d{4}-\d{2}-\d{2}/, '{date}')] ??= []).push(duration);
      await page.close();
      return ms;
    };
    const firstMs = await load();
    for (const list of Object.values(calls)) list.length = 0;
    const loadsMs: number[] = [];
    for (let i = 0; i < LOADS; i++) loadsMs.push(await load());
    const callsMs = Object.fromEntries(Object.entries(calls).map(([path, list]) => [path, percentile([...list].sort((a, b) => a - b), 50)]));
    return { sizes: consoleSizes(buildConsole()), date, instructions: run.instructions.length, files: run.run.files.length, loans: summary.loansBooked, settledDates: summary.settledDates.length, firstMs, loadsMs, callsMs };
  } finally {
    await browser.close();
  }
}

export function printConsole(f: ConsoleFigures): void {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const total = f.sizes.reduce((s, x) => ({ bytes: s.bytes + x.bytes, gzipBytes: s.gzipBytes + x.gzipBytes }), { bytes: 0, gzipBytes: 0 });
  console.log(`  console files: ${f.sizes.map((s) => `${s.name} ${kb(s.bytes)} (${kb(s.gzipBytes)} gzip)`).join(', ')}; together ${kb(total.bytes)}, ${kb(total.gzipBytes)} gzip`);
  const sorted = [...f.loadsMs].sort((a, b) => a - b);
  console.log(
    `  navigation to the settlement view of ${f.date} (demo story, ${f.loans} loans, ${f.settledDates} settled dates; ${f.instructions} instructions, ${f.files} files): first ${formatMs(f.firstMs)} (the server builds the console), then median ${formatMs(percentile(sorted, 50))}, max ${formatMs(sorted.at(-1) ?? Number.NaN)} over ${sorted.length}`,
  );
  console.log(`    of which (median): ${Object.entries(f.callsMs).map(([path, ms]) => `${path} ${formatMs(ms)}`).join(', ')}`);
}
