import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../../../shared/adapters/dynamodb/index.ts';
import { DynamoRequestCounter } from '../../../../../shared/adapters/dynamodb/request-counter.ts';

const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => ddb.reset());

const TABLE = 'StateTable';
const LIMITS = { requestsPerSecond: 2, requestsPerDay: 10 };
const AT = '2026-12-07T23:00:00.250Z';
const SECOND = 1_796_684_400;
/** One day past the end of 2026-12-07. */
const TTL = 1_796_688_000 + 86_400;

const openInput = {
  TableName: TABLE,
  Key: { pk: 'CLIENTREQUESTS#client-a', sk: 'DAY#2026-12-07' },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  UpdateExpression: 'SET #second = :second, #inSecond = :one, #type = :type, #ttl = :ttl ADD #requests :one',
  ConditionExpression: '(attribute_not_exists(#second) OR #second < :second) AND (attribute_not_exists(#requests) OR #requests < :perDay)',
  ExpressionAttributeNames: { '#second': 'second', '#inSecond': 'inSecond', '#requests': 'requests', '#type': 'entityType', '#ttl': 'expiresAtEpochSeconds' },
  ExpressionAttributeValues: { ':one': 1, ':second': SECOND, ':perDay': 10, ':type': 'ClientRequests', ':ttl': TTL },
};
const sameInput = {
  TableName: TABLE,
  Key: { pk: 'CLIENTREQUESTS#client-a', sk: 'DAY#2026-12-07' },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  UpdateExpression: 'ADD #requests :one, #inSecond :one',
  ConditionExpression: '#second = :second AND #inSecond < :perSecond AND (attribute_not_exists(#requests) OR #requests < :perDay)',
  ExpressionAttributeNames: { '#second': 'second', '#inSecond': 'inSecond', '#requests': 'requests' },
  ExpressionAttributeValues: { ':one': 1, ':second': SECOND, ':perSecond': 2, ':perDay': 10 },
};

const failedWith = (item: { requests: number; second: number; inSecond: number }) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    Item: { requests: { N: String(item.requests) }, second: { N: String(item.second) }, inSecond: { N: String(item.inSecond) } },
  });

const counter = () => new DynamoRequestCounter(createDocumentClient(), TABLE);
const updates = () => ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);

describe('DynamoRequestCounter', () => {
  it("counts a client's first request of a second with one UpdateItem that opens the second; the next of that second adds to it", async () => {
    ddb.on(UpdateCommand).resolves({});
    const requests = counter();
    expect(await requests.count('client-a', LIMITS, AT)).toBeNull();
    expect(await requests.count('client-a', LIMITS, '2026-12-07T23:00:00.900Z')).toBeNull();
    expect(updates()).toEqual([openInput, sameInput]);
  });

  it('lets concurrent requests of a second wait for the one opening it, then add to it: no write races to open it', async () => {
    ddb.on(UpdateCommand).resolves({});
    const requests = counter();
    const answers = await Promise.all([requests.count('client-a', LIMITS, AT), requests.count('client-a', LIMITS, AT)]);
    expect(answers).toEqual([null, null]);
    expect(updates()).toEqual([openInput, sameInput]);
  });

  it('refuses the request over the second’s limit after one failed write, which counted nothing', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(failedWith({ requests: 2, second: SECOND, inSecond: 2 }));
    const requests = counter();
    await requests.count('client-a', LIMITS, AT);
    expect(await requests.count('client-a', LIMITS, AT)).toEqual({ limit: 'requestsPerSecond', allowed: 2, retryAfterSeconds: 1 });
    expect(updates()).toHaveLength(2);
  });

  it('refuses the request over the day’s quota until midnight UTC, whatever the second', async () => {
    ddb.on(UpdateCommand).rejects(failedWith({ requests: 10, second: SECOND - 5, inSecond: 1 }));
    expect(await counter().count('client-a', LIMITS, AT)).toEqual({ limit: 'requestsPerDay', allowed: 10, retryAfterSeconds: 3_600 });
    expect(updates()).toEqual([openInput]);
  });

  it('adds to the second another instance opened: its open fails, returning the item, and the next write adds (no read)', async () => {
    ddb.on(UpdateCommand).rejectsOnce(failedWith({ requests: 4, second: SECOND, inSecond: 1 })).resolvesOnce({});
    expect(await counter().count('client-a', LIMITS, AT)).toBeNull();
    expect(updates()).toEqual([openInput, sameInput]);
  });

  it('opens the next second with one write: the instance last counted an earlier one', async () => {
    ddb.on(UpdateCommand).resolves({});
    const requests = counter();
    await requests.count('client-a', LIMITS, '2026-12-07T22:59:59.900Z');
    ddb.resetHistory();
    expect(await requests.count('client-a', LIMITS, AT)).toBeNull();
    expect(updates()).toEqual([openInput]);
  });

  it('counts in the later second another instance opened (its clock ahead), within that second’s limit', async () => {
    ddb.on(UpdateCommand).rejectsOnce(failedWith({ requests: 3, second: SECOND + 1, inSecond: 1 })).resolvesOnce({});
    expect(await counter().count('client-a', LIMITS, AT)).toBeNull();
    expect(updates()).toEqual([openInput, { ...sameInput, ExpressionAttributeValues: { ...sameInput.ExpressionAttributeValues, ':second': SECOND + 1 } }]);
  });

  it('refuses as a busy second after three writes that each found the item changed', async () => {
    ddb.on(UpdateCommand)
      .rejectsOnce(failedWith({ requests: 3, second: SECOND, inSecond: 1 }))
      .rejectsOnce(failedWith({ requests: 4, second: SECOND - 1, inSecond: 1 }))
      .rejectsOnce(failedWith({ requests: 5, second: SECOND, inSecond: 1 }));
    expect(await counter().count('client-a', LIMITS, AT)).toEqual({ limit: 'requestsPerSecond', allowed: 2, retryAfterSeconds: 1 });
    expect(updates()).toHaveLength(3);
  });

  it('lets any other error through', async () => {
    ddb.on(UpdateCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(counter().count('client-a', LIMITS, AT)).rejects.toThrow('slow down');
  });
});
