import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../infra/local/free-port.ts';
import { formatMs } from './stats.ts';

export interface StartupRun {
  readonly readyMs: number;
  readonly stopMs: number;
  /** The phases `npm start` logged before ready, each with the milliseconds since it started. */
  readonly phases: ReadonlyArray<{ readonly name: string; readonly atMs: number }>;
}

/** A phase line of `npm start`'s log: `[local] <phase> (<ms> ms)`. */
const PHASE = /^\[local\] (.+) \((\d+) ms\)$/;

/**
 * Time from `npm start` (the same command) to the first 200 of /health, then a clean Ctrl-C. Each
 * run has a home of its own (its state file), so it never meets a stack the developer runs.
 */
export async function benchStartup(): Promise<StartupRun> {
  const port = await findFreePort();
  const home = mkdtempSync(join(tmpdir(), 'colend-bench-startup-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts', '--no-story'], {
    env: { ...process.env, PORT: String(port), COLEND_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const phases: Array<{ name: string; atMs: number }> = [];
  let pending = '';
  let collecting = true;
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('Colend is running at')) collecting = false;
      const phase = collecting ? PHASE.exec(line) : null;
      if (phase) phases.push({ name: phase[1]!, atMs: Number(phase[2]) });
    }
  });
  let readyMs = Number.NaN;
  const deadline = performance.now() + 600_000;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) {
        readyMs = performance.now() - started;
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stopping = performance.now();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await exited;
  rmSync(home, { recursive: true, force: true });
  return { readyMs, stopMs: performance.now() - stopping, phases };
}

/** The first `.ok` marker under a folder, if any: a lender's files of a settled date are complete. */
function firstMarker(dir: string): string | undefined {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).find((name) => name.endsWith('.ok'));
  } catch {
    return undefined; // not there yet
  }
}

/**
 * Time from `npm start` (the same command, the demo story played) to the first settled date's
 * files of the story: the first `.ok` marker in the folder the start banner prints as `Files:`,
 * written after a lender's files of a date. Then a clean Ctrl-C.
 */
export async function benchFirstFiles(): Promise<{ readonly firstFilesMs: number; readonly marker: string | undefined }> {
  const port = await findFreePort();
  const home = mkdtempSync(join(tmpdir(), 'colend-bench-first-files-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], { env: { ...process.env, PORT: String(port), COLEND_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
  let filesDir: string | undefined;
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) filesDir ??= /^\s*Files:\s+(\S+)/.exec(line)?.[1];
  });
  let firstFilesMs = Number.NaN;
  let marker: string | undefined;
  const deadline = performance.now() + 600_000;
  while (performance.now() < deadline && child.exitCode === null) {
    marker = filesDir === undefined ? undefined : firstMarker(join(filesDir, 'statements'));
    if (marker !== undefined) {
      firstFilesMs = performance.now() - started;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<void>((resolve) => (child.exitCode === null ? child.once('exit', () => resolve()) : resolve()));
  child.kill('SIGINT');
  await exited;
  rmSync(home, { recursive: true, force: true });
  return { firstFilesMs, marker };
}

export function printStartup(result: StartupRun, what = 'npm start → /health 200'): void {
  console.log(`${what}:  ${formatMs(result.readyMs)}   (Ctrl-C to exit: ${formatMs(result.stopMs)})`);
  for (const phase of result.phases) console.log(`    ${String(phase.atMs).padStart(6)} ms  ${phase.name}`);
}

/**
 * BENCH_PHASE=startup: `npm start` to /health, BENCH_STARTS times (default 3). A start reuses the
 * template `npm install` prepared (infra/local/prepare.ts); the first start after a change of the
 * sources synthesizes it, and the others reuse it, as a developer's next start does.
 */
export async function startupBench(starts = Number(process.env.BENCH_STARTS ?? '3')): Promise<void> {
  console.log(`npm start to /health, ${starts} starts, Node ${process.version}`);
  const runs: StartupRun[] = [];
  for (let i = 0; i < starts; i++) {
    const run = await benchStartup();
    runs.push(run);
    printStartup(run, `start ${i + 1}`);
  }
  const ready = runs.map((r) => r.readyMs).sort((a, b) => a - b);
  console.log(`npm start → /health 200: median ${formatMs(ready[Math.floor(ready.length / 2)]!)}, best ${formatMs(ready[0]!)}`);
  printFirstFiles(await benchFirstFiles());
}

export function printFirstFiles(result: Awaited<ReturnType<typeof benchFirstFiles>>): void {
  console.log(`npm start → the demo story's first settled files (statements/${result.marker ?? '?'}): ${formatMs(result.firstFilesMs)}`);
}
