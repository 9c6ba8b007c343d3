import { createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** A port that was free on the loopback interface a moment ago. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('No free port')) : resolve(port)));
    });
  });
}
