import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decide, parseDynamoDbFaults, raceable, startDynamoDbFaults, type DynamoDbFaults } from '../../../../infra/local/dynamodb-faults.ts';

const none: DynamoDbFaults = { seed: 1, throttle: 0, conflict: 0, race: 0 };
const always = (): number => 0;

describe('parseDynamoDbFaults', () => {
  it('reads a seed and probabilities, 0 for those left out', () => {
    expect(parseDynamoDbFaults('seed=7,throttle=0.05,race=0.1')).toEqual({ seed: 7, throttle: 0.05, conflict: 0, race: 0.1 });
  });

  it('refuses an unknown fault, a probability out of 0..1 and a missing seed, naming them', () => {
    expect(() => parseDynamoDbFaults('seed=7,slow=0.1')).toThrow('"slow=0.1" is not one of seed=<number>, throttle=<number>, conflict=<number>, race=<number>');
    expect(() => parseDynamoDbFaults('seed=7,throttle=1.5')).toThrow('throttle=1.5 is not a probability from 0 to 1');
    expect(() => parseDynamoDbFaults('seed=x')).toThrow('seed=x is not an integer');
    expect(() => parseDynamoDbFaults('throttle=0.1')).toThrow('seed=<integer> is required');
  });
});

describe('raceable', () => {
  it('takes writes whose own condition refuses a second application: a put of a new item, a write on the version read', () => {
    expect(raceable('PutItem', { ConditionExpression: 'attribute_not_exists(pk)' })).toBe(true);
    expect(raceable('TransactWriteItems', { TransactItems: [{ Update: { ConditionExpression: 'attribute_exists(pk)' } }, { Put: { ConditionExpression: 'version = :v' } }] })).toBe(true);
  });

  it('leaves out writes a second application would change again (an unconditioned or additive update) and reads', () => {
    expect(raceable('PutItem', {})).toBe(false);
    expect(raceable('UpdateItem', { ConditionExpression: 'attribute_not_exists(pk)' })).toBe(false);
    expect(raceable('TransactWriteItems', { TransactItems: [{ Update: { ConditionExpression: 'attribute_exists(pk)' } }, { ConditionCheck: { ConditionExpression: 'version = :v' } }] })).toBe(false);
    expect(raceable('GetItem', { ConditionExpression: 'attribute_not_exists(pk)' })).toBe(false);
  });
});

describe('decide', () => {
  it('injects nothing at probability 0', () => {
    expect(decide('TransactWriteItems', { TransactItems: [{ Put: { ConditionExpression: 'attribute_not_exists(pk)' } }] }, none, always)).toBeNull();
  });

  it("throttles as DynamoDB does: a 400 the SDK retries", () => {
    const decision = decide('GetItem', {}, { ...none, throttle: 1 }, always);
    expect(decision?.kind).toBe('throttle');
    if (decision?.kind !== 'throttle') throw new Error('unreachable');
    expect(decision.answer.status).toBe(400);
    expect(JSON.parse(decision.answer.body).__type).toBe('com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException');
  });

  it('cancels a transaction with TransactionConflict on its first item, None on the others', () => {
    const decision = decide('TransactWriteItems', { TransactItems: [{}, {}] }, { ...none, conflict: 1 }, always);
    if (decision?.kind !== 'conflict') throw new Error(`expected a conflict, got ${JSON.stringify(decision)}`);
    expect(JSON.parse(decision.answer.body).CancellationReasons).toEqual([
      { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item (injected)' },
      { Code: 'None' },
    ]);
    expect(decide('PutItem', {}, { ...none, conflict: 1 }, always)).toBeNull();
  });

  it('lets a competing write land first only before a raceable write', () => {
    expect(decide('PutItem', { ConditionExpression: 'attribute_not_exists(pk)' }, { ...none, race: 1 }, always)).toEqual({ kind: 'race' });
    expect(decide('PutItem', {}, { ...none, race: 1 }, always)).toBeNull();
  });
});

describe('startDynamoDbFaults', () => {
  let upstream: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  });

  it('sends a competing copy of a raceable write first, without its request token, then the write itself', async () => {
    const received: Record<string, unknown>[] = [];
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
        res.writeHead(received.length === 1 ? 200 : 400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(received.length === 1 ? '{}' : '{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException"}');
      });
    });
    await new Promise<void>((resolve) => upstream!.listen(0, '127.0.0.1', resolve));
    const proxy = await startDynamoDbFaults(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, { ...none, race: 1 });
    try {
      const body = { ClientRequestToken: 'token-1', TransactItems: [{ Put: { TableName: 'T', Item: {}, ConditionExpression: 'attribute_not_exists(pk)' } }] };
      const res = await fetch(proxy.endpoint, { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.TransactWriteItems', 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(received).toEqual([{ TransactItems: body.TransactItems }, body]);
      expect(proxy.counts()).toEqual({ requests: 1, throttled: 0, conflicts: 0, races: 1 });
    } finally {
      await proxy.close();
    }
  });
});
