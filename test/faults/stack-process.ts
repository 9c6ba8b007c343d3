import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '../../infra/local/checkout.ts';
import type { DynamoDbFaultCounts } from '../../infra/local/dynamodb-faults.ts';
import { LOCAL_TOKEN_HEADER } from '../../infra/local/state-file.ts';

/**
 * `npm start` as a child process that can die at any instant: started with `--persist`, killed
 * with SIGKILL (the stack's Node process and DynamoDB Local's JVM, nothing shut down cleanly),
 * started again on the same folder and port. Each stack has a home of its own (`COLEND_HOME`:
 * its state file and issuer key), so it never meets a stack the developer runs.
 */
export interface StackProcessOptions {
  /** The `--persist` folder: DynamoDB's data, the files, the in-flight executions. */
  readonly persistDir: string;
  /** `COLEND_HOME` of the stack. */
  readonly home: string;
  readonly port: number;
  /** `--clock`: where the stack's clock starts at every start. */
  readonly clock: string;
  /** Extra arguments of `npm start` (the DynamoDB fault injection). */
  readonly args?: readonly string[];
  /** Where the stack's output goes (lines prefixed with the start's number); dropped when absent. */
  readonly log?: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The processes whose command line names `needle` (DynamoDB Local's JVM and the shell that watches it). */
function processesNaming(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(join('/proc', name, 'cmdline'), 'utf8');
      if (cmdline.includes(needle)) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found.filter((pid) => pid !== process.pid);
}

export class StackProcess {
  private child: ChildProcess | undefined;
  private starts = 0;
  /** Milliseconds from each start to its first 200 of /health. */
  readonly startMs: number[] = [];

  constructor(private readonly options: StackProcessOptions) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get home(): string {
    return this.options.home;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts that failed (exited or never answered) and were made again, with their last lines. */
  readonly failedStarts: string[] = [];

  /**
   * Starts the stack and waits for /health to answer 200. A start that exits or does not answer
   * in time (a machine short of CPU) is killed and made again, up to three times; its last lines
   * are kept in `failedStarts`.
   */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce();
        return;
      } catch (error) {
        this.failedStarts.push(`${error instanceof Error ? error.message : String(error)}\n${this.lastLines.join('\n')}`);
        await this.kill();
        if (attempt >= 3) throw error;
      }
    }
  }

  private lastLines: string[] = [];

  private async startOnce(): Promise<void> {
    if (this.child) throw new Error('the stack is already running');
    this.lastLines = [];
    const n = ++this.starts;
    const started = performance.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'infra/local/start.ts', '--persist', this.options.persistDir, '--no-demo', '--clock', this.options.clock, ...(this.options.args ?? [])],
      { cwd: REPOSITORY_ROOT, env: { ...process.env, PORT: String(this.options.port), COLEND_HOME: this.options.home }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    this.child = child;
    const log = this.options.log;
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          this.lastLines.push(line);
          if (this.lastLines.length > 40) this.lastLines.shift();
          if (log) log(`[start ${n}] ${line}`);
        }
      });
    }
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const deadline = performance.now() + 240_000;
    while (performance.now() < deadline) {
      if (exited) throw new Error(`the stack's start ${n} exited before it answered /health`);
      try {
        const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === 200) {
          this.startMs.push(performance.now() - started);
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`the stack's start ${n} did not answer /health in 240 s`);
  }

  /**
   * SIGKILL to the stack's process group, then to DynamoDB Local's JVM (its own group: it would
   * otherwise be stopped by its watchdog, more gently than a machine that dies); returns once
   * every one of them is gone, so the next start finds the port and the data folder free.
   */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const database = join(this.options.persistDir, 'dynamodb');
    for (const pid of processesNaming(database)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    while (processesNaming(database).length > 0) await sleep(20);
  }

  /** The DynamoDB faults this start injected so far (`GET /local/dynamodb-faults`), null without `--dynamodb-faults`. */
  async faultCounts(): Promise<DynamoDbFaultCounts | null> {
    const state = JSON.parse(readFileSync(join(this.options.home, 'local-stack.json'), 'utf8')) as { localToken: string };
    const res = await fetch(`${this.baseUrl}/local/dynamodb-faults`, { headers: { [LOCAL_TOKEN_HEADER]: state.localToken } });
    return ((await res.json()) as { faults: DynamoDbFaultCounts | null }).faults;
  }

  /** A clean stop (Ctrl-C), waiting for the process to end. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    const database = join(this.options.persistDir, 'dynamodb');
    while (processesNaming(database).length > 0) await sleep(20);
  }
}
