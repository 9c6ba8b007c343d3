import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { formatMs } from './stats.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Time from `npm start` (the same command) to the first 200 of /health, then a clean Ctrl-C. */
export async function benchStartup(): Promise<{ readyMs: number; stopMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let readyMs = Number.NaN;
  for (let i = 0; i < 1200; i++) {
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
  return { readyMs, stopMs: performance.now() - stopping };
}

export function printStartup(result: { readyMs: number; stopMs: number }): void {
  console.log(`npm start → /health 200:  ${formatMs(result.readyMs)}   (Ctrl-C to exit: ${formatMs(result.stopMs)})`);
}
