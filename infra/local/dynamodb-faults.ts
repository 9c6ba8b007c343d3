import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Faults of DynamoDB as AWS produces them, injected between the handlers' SDK clients and DynamoDB
 * Local (`npm start -- --dynamodb-faults …`, `dynamoDbFaults` of `startLocalStack()`; ADR 0013,
 * docs/testing.md). A proxy on the wire rather than a middleware in each handler's client: the
 * handlers run unchanged, their SDK sees the very answers AWS sends and applies its own retries.
 *
 * - throttle: the request is answered `ProvisionedThroughputExceededException` or
 *   `ThrottlingException` (HTTP 400) and not applied;
 * - conflict: a `TransactWriteItems` is cancelled with `TransactionConflict` on its first item
 *   (another transaction on the item in flight) and not applied;
 * - race: a write guarded by a condition on its own item (`attribute_not_exists`, a version) is
 *   applied once as it is, as a competing writer of the same request would land between the use
 *   case's read and its write, and then forwarded: its condition meets the item the competitor
 *   wrote.
 *
 * Each request draws from one seeded generator, in the order requests arrive.
 */
export interface DynamoDbFaults {
  readonly seed: number;
  /** Probability that a request is throttled. */
  readonly throttle: number;
  /** Probability that a TransactWriteItems meets a transaction in flight. */
  readonly conflict: number;
  /** Probability that a conditioned write meets a competing write of the same items. */
  readonly race: number;
}

export interface DynamoDbFaultCounts {
  readonly requests: number;
  readonly throttled: number;
  readonly conflicts: number;
  readonly races: number;
}

const KINDS = ['seed', 'throttle', 'conflict', 'race'] as const;

/** `seed=7,throttle=0.05,conflict=0.05,race=0.05` (probabilities from 0 to 1; 0 when left out; the seed required). */
export function parseDynamoDbFaults(spec: string): DynamoDbFaults {
  const values: Record<string, number> = { throttle: 0, conflict: 0, race: 0 };
  for (const part of spec.split(',')) {
    const [name, value, extra] = part.split('=');
    if (!(KINDS as readonly string[]).includes(name ?? '') || value === undefined || extra !== undefined) {
      throw new RangeError(`--dynamodb-faults: "${part}" is not one of ${KINDS.map((k) => `${k}=<number>`).join(', ')}`);
    }
    const number = Number(value);
    if (name === 'seed' ? !Number.isSafeInteger(number) : !(number >= 0 && number <= 1)) {
      throw new RangeError(`--dynamodb-faults: ${name}=${value} is not ${name === 'seed' ? 'an integer' : 'a probability from 0 to 1'}`);
    }
    values[name as string] = number;
  }
  if (values.seed === undefined) throw new RangeError('--dynamodb-faults: seed=<integer> is required, so a run can be played again');
  return { seed: values.seed, throttle: values.throttle ?? 0, conflict: values.conflict ?? 0, race: values.race ?? 0 };
}

/** A small seeded generator (mulberry32): the same seed, the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Body = Record<string, unknown>;
type Conditioned = { ConditionExpression?: string };

/** A condition a second application of the same write is bound to fail: the item must not exist, or must hold the version read. */
const OWN_ITEM_GUARD = /attribute_not_exists|version/;

/**
 * Whether applying the write twice is refused the second time by its own condition, so a
 * competitor applying it first is a race the use case must win or lose cleanly, never a double.
 */
export function raceable(operation: string, body: Body): boolean {
  if (operation === 'PutItem') return OWN_ITEM_GUARD.test((body as Conditioned).ConditionExpression ?? '');
  if (operation !== 'TransactWriteItems') return false;
  const items = (body.TransactItems ?? []) as { Put?: Conditioned; Update?: Conditioned; Delete?: Conditioned }[];
  return items.some((t) => OWN_ITEM_GUARD.test((t.Put ?? t.Update ?? t.Delete)?.ConditionExpression ?? ''));
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

function errorAnswer(type: string, message: string, extra: Body = {}): { status: number; body: string; type: string } {
  return { status: 400, type, body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra }) };
}

/** The injected answer for a request, or null to forward it (after a competing write when `race`). */
export function decide(
  operation: string,
  body: Body,
  faults: DynamoDbFaults,
  random: () => number,
): { kind: 'throttle' | 'conflict'; answer: { status: number; body: string; type: string } } | { kind: 'race' } | null {
  if (random() < faults.throttle) {
    const throughput = random() < 0.5;
    return {
      kind: 'throttle',
      answer: throughput
        ? errorAnswer('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded (injected)')
        : { status: 400, type: 'ThrottlingException', body: JSON.stringify({ __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput (injected)' }) },
    };
  }
  if (operation === 'TransactWriteItems' && random() < faults.conflict) {
    const items = (body.TransactItems ?? []) as unknown[];
    const reasons = items.map((_, i) => (i === 0 ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item (injected)' } : { Code: 'None' }));
    return {
      kind: 'conflict',
      answer: errorAnswer('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, {
        CancellationReasons: reasons,
      }),
    };
  }
  if (WRITES.has(operation) && raceable(operation, body) && random() < faults.race) return { kind: 'race' };
  return null;
}

function forward(upstream: URL, path: string | undefined, method: string | undefined, headers: IncomingHttpHeaders, payload: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = request({ hostname: upstream.hostname, port: upstream.port, path, method, headers: { ...headers, 'content-length': String(payload.length), 'accept-encoding': 'identity' } }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 500, headers: answer.headers, body: Buffer.concat(chunks) }));
      answer.on('error', reject);
    });
    out.on('error', reject);
    out.end(payload);
  });
}

/** The competing write: the same write under a request token of its own (DynamoDB would otherwise take it for a retry of the same call). */
function competitor(operation: string, body: Body): Buffer {
  const copy = { ...body };
  if (operation === 'TransactWriteItems') delete copy.ClientRequestToken;
  return Buffer.from(JSON.stringify(copy));
}

export async function startDynamoDbFaults(target: string, faults: DynamoDbFaults): Promise<{ endpoint: string; counts(): DynamoDbFaultCounts; close(): Promise<void> }> {
  const upstream = new URL(target);
  const random = seededRandom(faults.seed);
  let requests = 0;
  let throttled = 0;
  let conflicts = 0;
  let races = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const payload = Buffer.concat(chunks);
        const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
        requests++;
        let body: Body = {};
        try {
          body = JSON.parse(payload.toString('utf8') || '{}') as Body;
        } catch {
          // not JSON: forwarded as it is
        }
        const decision = decide(operation, body, faults, random);
        if (decision && decision.kind !== 'race') {
          if (decision.kind === 'throttle') throttled++;
          else conflicts++;
          res.writeHead(decision.answer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `injected-${requests}`, 'x-amzn-errortype': decision.answer.type });
          res.end(decision.answer.body);
          return;
        }
        if (decision?.kind === 'race') {
          races++;
          await forward(upstream, req.url, req.method, req.headers, competitor(operation, body));
        }
        const answer = await forward(upstream, req.url, req.method, req.headers, payload);
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      })().catch((error: unknown) => {
        res.writeHead(502);
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ requests, throttled, conflicts, races }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
