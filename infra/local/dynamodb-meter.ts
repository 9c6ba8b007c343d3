import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** DynamoDB work counted at the wire: read requests and items written, per operation. */
export interface DynamoDbCounts {
  readonly requests: Readonly<Record<string, number>>;
  /** Items read (GetItem 1, BatchGet / TransactGet per key; Query and Scan count as one request each). */
  readonly readRequests: number;
  /** Items written (Put/Update/Delete 1, BatchWrite and TransactWrite per item, condition checks included). */
  readonly writeItems: number;
  /** Of the items written, those written inside transactions (each costs twice in AWS). */
  readonly transactionalWriteItems: number;
}

const READS = new Set(['GetItem', 'Query', 'Scan']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

function itemsIn(operation: string, body: Record<string, unknown>): { reads: number; writes: number; transactional: number } {
  if (READS.has(operation)) return { reads: 1, writes: 0, transactional: 0 };
  if (WRITES.has(operation)) return { reads: 0, writes: 1, transactional: 0 };
  if (operation === 'TransactWriteItems') {
    const n = (body.TransactItems as unknown[] | undefined)?.length ?? 0;
    return { reads: 0, writes: n, transactional: n };
  }
  if (operation === 'TransactGetItems') return { reads: (body.TransactItems as unknown[] | undefined)?.length ?? 0, writes: 0, transactional: 0 };
  if (operation === 'BatchGetItem') {
    const tables = Object.values((body.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>);
    return { reads: tables.reduce((n, t) => n + (t.Keys?.length ?? 0), 0), writes: 0, transactional: 0 };
  }
  if (operation === 'BatchWriteItem') {
    const tables = Object.values((body.RequestItems ?? {}) as Record<string, unknown[]>);
    return { reads: 0, writes: tables.reduce((n, t) => n + t.length, 0), transactional: 0 };
  }
  return { reads: 0, writes: 0, transactional: 0 };
}

/**
 * A pass-through proxy in front of DynamoDB Local that counts what handlers ask of it, so a
 * benchmark can report reads and writes per business operation. Used only when asked for.
 */
export async function startDynamoDbMeter(target: string): Promise<{ endpoint: string; counts(): DynamoDbCounts; close(): Promise<void> }> {
  const upstream = new URL(target);
  const requests: Record<string, number> = {};
  let readRequests = 0;
  let writeItems = 0;
  let transactionalWriteItems = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      requests[operation] = (requests[operation] ?? 0) + 1;
      try {
        const counted = itemsIn(operation, JSON.parse(payload.toString('utf8') || '{}') as Record<string, unknown>);
        readRequests += counted.reads;
        writeItems += counted.writes;
        transactionalWriteItems += counted.transactional;
      } catch {
        // not JSON: forwarded and left uncounted
      }
      const forward = request(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ requests: { ...requests }, readRequests, writeItems, transactionalWriteItems }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
