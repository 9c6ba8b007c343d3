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
  /**
   * Capacity units as AWS bills them, from the items on the wire: a read 1 RCU per started 4 KB
   * returned (half when eventually consistent; a query rounds the sum of its items, at least 1);
   * a write 1 WCU per started KB of the item, twice inside a transaction.
   */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Writes to the index `gsi1` (projection ALL): 1 WCU per started KB of each item that carries its key. */
  readonly indexWriteUnits: number;
}

type AttributeValue = { S?: string; N?: string; B?: string; BOOL?: boolean; NULL?: boolean; L?: AttributeValue[]; M?: Record<string, AttributeValue>; SS?: string[]; NS?: string[]; BS?: string[] };
type WireItem = Record<string, AttributeValue>;

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/e.*$/i, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** The size DynamoDB bills for an attribute value: a string its UTF-8 bytes, a list or map 3 + 1 per element + its elements. */
function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  if (v.N !== undefined) return numberBytes(v.N);
  if (v.B !== undefined) return Buffer.from(v.B, 'base64').byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((n, e) => n + valueBytes(e) + 1, 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + Buffer.byteLength(k, 'utf8') + valueBytes(e) + 1, 0);
  if (v.SS !== undefined) return v.SS.reduce((n, x) => n + Buffer.byteLength(x, 'utf8'), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, x) => n + numberBytes(x), 0);
  if (v.BS !== undefined) return v.BS.reduce((n, x) => n + Buffer.from(x, 'base64').byteLength, 0);
  return 0;
}

/** An item's billed size: attribute names and values. */
export function itemBytes(item: WireItem): number {
  return Object.entries(item).reduce((n, [name, v]) => n + Buffer.byteLength(name, 'utf8') + valueBytes(v), 0);
}

const KB = 1024;
const units = (bytes: number, unitBytes: number): number => Math.max(1, Math.ceil(bytes / unitBytes));

/** WCU of one written item (doubled in a transaction) and of its index entry. */
function writeUnitsOf(item: WireItem | undefined, transactional: boolean): { table: number; index: number } {
  if (item === undefined) return { table: transactional ? 2 : 1, index: 0 };
  const u = units(itemBytes(item), KB);
  return { table: transactional ? 2 * u : u, index: item.gsi1pk !== undefined && item.gsi1sk !== undefined ? u : 0 };
}

function writeUnitsIn(operation: string, body: Record<string, unknown>): { table: number; index: number } {
  const sum = (parts: { table: number; index: number }[]) => parts.reduce((a, b) => ({ table: a.table + b.table, index: a.index + b.index }), { table: 0, index: 0 });
  if (operation === 'PutItem') return writeUnitsOf(body.Item as WireItem, false);
  if (operation === 'UpdateItem' || operation === 'DeleteItem') return writeUnitsOf(undefined, false);
  if (operation === 'TransactWriteItems') {
    const items = (body.TransactItems ?? []) as { Put?: { Item: WireItem } }[];
    return sum(items.map((t) => writeUnitsOf(t.Put?.Item, true)));
  }
  if (operation === 'BatchWriteItem') {
    const tables = Object.values((body.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: WireItem } }[]>);
    return sum(tables.flat().map((r) => writeUnitsOf(r.PutRequest?.Item, false)));
  }
  return { table: 0, index: 0 };
}

/** RCU of an answer: the items it returned, strongly consistent or not. */
function readUnitsIn(operation: string, body: Record<string, unknown>, answer: Record<string, unknown>): number {
  const factor = body.ConsistentRead === true ? 1 : 0.5;
  if (operation === 'GetItem') return factor * units(answer.Item === undefined ? 0 : itemBytes(answer.Item as WireItem), 4 * KB);
  if (operation === 'Query' || operation === 'Scan') {
    const bytes = ((answer.Items ?? []) as WireItem[]).reduce((n, i) => n + itemBytes(i), 0);
    return factor * units(bytes, 4 * KB);
  }
  if (operation === 'BatchGetItem') {
    const tables = Object.values((answer.Responses ?? {}) as Record<string, WireItem[]>);
    return tables.flat().reduce((n, i) => n + 0.5 * units(itemBytes(i), 4 * KB), 0);
  }
  return 0;
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
  let readUnits = 0;
  let writeUnits = 0;
  let indexWriteUnits = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      requests[operation] = (requests[operation] ?? 0) + 1;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(payload.toString('utf8') || '{}') as Record<string, unknown>;
        const counted = itemsIn(operation, body);
        readRequests += counted.reads;
        writeItems += counted.writes;
        transactionalWriteItems += counted.transactional;
      } catch {
        // not JSON: forwarded and left uncounted
      }
      const forward = request(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, 'accept-encoding': 'identity' } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          const answered: Buffer[] = [];
          answer.on('data', (c: Buffer) => answered.push(c));
          answer.on('end', () => {
            if ((answer.statusCode ?? 500) !== 200) return;
            try {
              readUnits += readUnitsIn(operation, body, JSON.parse(Buffer.concat(answered).toString('utf8') || '{}') as Record<string, unknown>);
              const written = writeUnitsIn(operation, body);
              writeUnits += written.table;
              indexWriteUnits += written.index;
            } catch {
              // not JSON: left uncounted
            }
          });
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
    counts: () => ({ requests: { ...requests }, readRequests, writeItems, transactionalWriteItems, readUnits, writeUnits, indexWriteUnits }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
