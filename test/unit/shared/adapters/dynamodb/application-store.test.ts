import { expiresAtEpochSeconds } from '../../../../../shared/http/idempotency.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, ALL_STORES, createStores } from '../../../../../shared/adapters/dynamodb/index.ts';
import type { QuotaChange, QuotaShard, Reservation } from '../../../../../shared/domain/exposure.ts';
import { WriteConflict, type ApplicationChange, type IdempotencyRecord } from '../../../../../shared/ports/stores.ts';
import { APPLICATION_ID, LEAD_ID, NOW, PARTNER_A, PARTNER_B, REVIEW_DEADLINE, aPartnerDecision, anApplication, anApplicationRecord, anAsk } from '../../../../support/builders.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const stores = createStores(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES, ALL_STORES);
afterEach(() => ddb.reset());

const NOT_EXISTS = 'attribute_not_exists(pk)';
const STEP_ONCE = 'attribute_exists(pk) AND NOT contains(#steps, :step)';
const APP_KEY = { pk: `APP#${APPLICATION_ID}`, sk: 'APP' };
const ASK_KEY = { pk: `APP#${APPLICATION_ID}`, sk: `ASK#${PARTNER_A}` };

const rec: IdempotencyRecord = { scopeKey: 'createApplication#lead-ops#key-0001', requestHash: 'a'.repeat(64), statusCode: 202, responseBody: '{}', createdAt: NOW, expiresAtEpochSeconds: expiresAtEpochSeconds(NOW) };
const idempotencyPut = { Put: { TableName: TABLES.state, Item: { pk: `IDEM#${rec.scopeKey}`, sk: 'IDEM', entityType: 'Idempotency', ...rec }, ConditionExpression: NOT_EXISTS } };

function cancelled(codes: readonly string[]): TransactionCanceledException {
  return new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
}

function transactItems() {
  const calls = ddb.commandCalls(TransactWriteCommand);
  expect(calls).toHaveLength(1);
  return calls[0]?.args[0].input.TransactItems ?? [];
}

const change = (step: string, set: Record<string, unknown> = {}, detail: Record<string, unknown> = {}): ApplicationChange => ({ step, at: NOW, event: step.toUpperCase(), detail, set });

/** The application as stored: keys, amounts as strings, the steps that changed it. */
const record = anApplicationRecord({ round: 0 });
const storedApplication = {
  ...APP_KEY,
  gsi1pk: 'APPSTATUS#IN_REVIEW',
  gsi1sk: `${NOW}#${APPLICATION_ID}`,
  entityType: 'Application',
  application: {
    ...anApplication(),
    borrower: { borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', secured: false },
    amountMinor: '1000000',
  },
  status: 'IN_REVIEW',
  round: 0,
  plan: null,
  reasons: [],
  dropped: [],
  timeline: [{ at: NOW, step: 'Submitted', event: 'SUBMITTED', detail: { amountMinor: '1000000' } }],
  loanId: null,
  steps: new Set(['Submitted']),
};

const ask = anAsk();
const storedAsk = {
  ...ASK_KEY,
  gsi1pk: `AWAITING#${PARTNER_A}`,
  gsi1sk: `${REVIEW_DEADLINE}#${APPLICATION_ID}`,
  entityType: 'Ask',
  applicationId: APPLICATION_ID,
  lenderId: PARTNER_A,
  round: 1,
  askedAmountMinor: '300000',
  minimumAmountMinor: '300000',
  priority: 1,
  askedAt: NOW,
  deadline: REVIEW_DEADLINE,
  state: 'PENDING',
  decision: null,
};

/** The update that applies a step's change once. */
function stepUpdate(step: string, event: string, extra: { names?: Record<string, string>; values?: Record<string, unknown>; sets?: string } = {}) {
  return {
    Update: {
      TableName: TABLES.state,
      Key: APP_KEY,
      UpdateExpression: `SET #timeline = list_append(#timeline, :event)${extra.sets ?? ''} ADD #steps :stepSet`,
      ConditionExpression: STEP_ONCE,
      ExpressionAttributeNames: { '#timeline': 'timeline', '#steps': 'steps', ...extra.names },
      ExpressionAttributeValues: { ':event': [{ at: NOW, step, event, detail: {} }], ':step': step, ':stepSet': new Set([step]), ...extra.values },
    },
  };
}

describe('DynamoApplicationStore.create', () => {
  it('puts the idempotency record and the application, indexed by status and creation, with its first event and step', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.applications.create(record, change('Submitted', { ignored: true }, { amountMinor: 1_000_000n }), rec);
    expect(transactItems()).toEqual([idempotencyPut, { Put: { TableName: TABLES.state, Item: storedApplication, ConditionExpression: NOT_EXISTS } }]);
  });

  it('a lost race for the key is IDEMPOTENCY_KEY; an existing application is ALREADY_EXISTS', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(['ConditionalCheckFailed', 'None'])).rejectsOnce(cancelled(['None', 'ConditionalCheckFailed']));
    const key = await rejectedBy(WriteConflict, () => stores.applications.create(record, change('Submitted'), rec));
    expect([key.reason, key.entity]).toEqual(['IDEMPOTENCY_KEY', 'idempotency']);
    const exists = await rejectedBy(WriteConflict, () => stores.applications.create(record, change('Submitted'), rec));
    expect([exists.reason, exists.entity]).toEqual(['ALREADY_EXISTS', 'application']);
  });
});

describe('DynamoApplicationStore reads', () => {
  it('gets an application consistently, without its steps or task token; null when absent', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { TableName: TABLES.state, Key: APP_KEY, ConsistentRead: true }).resolves({ Item: { ...storedApplication, disbursementTaskToken: 'token-1' } });
    expect(await stores.applications.get(APPLICATION_ID)).toEqual({
      ...record,
      timeline: [{ at: NOW, step: 'Submitted', event: 'SUBMITTED', detail: { amountMinor: 1_000_000n } }],
    });
    expect(await stores.applications.get('APP-NONE')).toBeNull();
  });

  it('lists applications of a status from gsi1', async () => {
    ddb.on(QueryCommand).resolves({ Items: [storedApplication] });
    const listed = await stores.applications.listByStatus('IN_REVIEW', { limit: 10 });
    expect(listed.items.map((r) => [r.application.applicationId, r.application.amountMinor])).toEqual([[APPLICATION_ID, 1_000_000n]]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'APPSTATUS#IN_REVIEW' },
      Limit: 10,
    });
  });

  it('reads the asks of an application from its partition, without task tokens', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ ...storedAsk, taskToken: 'token-a' }] });
    expect(await stores.applications.asks(APPLICATION_ID)).toEqual([ask]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :a)',
      ExpressionAttributeValues: { ':p': `APP#${APPLICATION_ID}`, ':a': 'ASK#' },
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
    });
  });

  it('gets one ask with its task token, null when none is kept yet, and null for no ask', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { TableName: TABLES.state, Key: ASK_KEY, ConsistentRead: true }).resolvesOnce({ Item: { ...storedAsk, taskToken: 'token-a' } }).resolvesOnce({ Item: storedAsk });
    expect(await stores.applications.ask(APPLICATION_ID, PARTNER_A)).toEqual({ ...ask, taskToken: 'token-a' });
    expect(await stores.applications.ask(APPLICATION_ID, PARTNER_A)).toEqual({ ...ask, taskToken: null });
    expect(await stores.applications.ask(APPLICATION_ID, PARTNER_B)).toBeNull();
  });

  it("lists what awaits a partner's decision from gsi1", async () => {
    ddb.on(QueryCommand).resolves({ Items: [storedAsk, { ...storedAsk, applicationId: 'APP-2' }] });
    expect(await stores.applications.awaiting(PARTNER_A, { limit: 2 })).toEqual({ items: [APPLICATION_ID, 'APP-2'], cursor: null });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': `AWAITING#${PARTNER_A}` }, Limit: 2 });
  });
});

describe('DynamoApplicationStore.change', () => {
  it("applies a step's change once, moving the application to its new status partition, with the round's new asks", async () => {
    ddb.on(GetCommand).resolves({ Item: storedApplication });
    ddb.on(TransactWriteCommand).resolves({});
    const asks = [ask, anAsk({ lenderId: PARTNER_B, priority: 2 })];
    expect(await stores.applications.change(APPLICATION_ID, change('ChooseCandidates#1', { status: 'IN_REVIEW', round: 1 }), asks)).toBe(true);
    const [update, ...puts] = transactItems();
    expect(update).toEqual(
      stepUpdate('ChooseCandidates#1', 'CHOOSECANDIDATES#1', {
        sets: ', #f0 = :v0, #f1 = :v1, #g1 = :g1',
        names: { '#f0': 'status', '#f1': 'round', '#g1': 'gsi1pk' },
        values: { ':v0': 'IN_REVIEW', ':v1': 1, ':g1': 'APPSTATUS#IN_REVIEW' },
      }),
    );
    expect(puts).toEqual([
      { Put: { TableName: TABLES.state, Item: storedAsk, ConditionExpression: NOT_EXISTS } },
      {
        Put: {
          TableName: TABLES.state,
          Item: { ...storedAsk, pk: `APP#${APPLICATION_ID}`, sk: `ASK#${PARTNER_B}`, gsi1pk: `AWAITING#${PARTNER_B}`, lenderId: PARTNER_B, priority: 2 },
          ConditionExpression: NOT_EXISTS,
        },
      },
    ]);
  });

  it('encodes amounts of the fields it sets, and changes without a status leave the index alone', async () => {
    ddb.on(GetCommand).resolves({ Item: storedApplication });
    ddb.on(TransactWriteCommand).resolves({});
    const plan = [{ lenderId: LEAD_ID, role: 'LEAD', amountMinor: 700_000n }];
    await stores.applications.change(APPLICATION_ID, change('Allocate#1', { plan }));
    expect(transactItems()).toEqual([stepUpdate('Allocate#1', 'ALLOCATE#1', { sets: ', #f0 = :v0', names: { '#f0': 'plan' }, values: { ':v0': [{ lenderId: LEAD_ID, role: 'LEAD', amountMinor: '700000' }] } })]);
  });

  it('returns false when the step was applied before, and writes nothing', async () => {
    ddb.on(GetCommand).resolves({ Item: storedApplication });
    ddb.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None']));
    expect(await stores.applications.change(APPLICATION_ID, change('ChooseCandidates#1'), [ask])).toBe(false);
  });

  it('lets an ask that already exists through as a conflict on the ask', async () => {
    ddb.on(GetCommand).resolves({ Item: storedApplication });
    ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    const conflict = await rejectedBy(WriteConflict, () => stores.applications.change(APPLICATION_ID, change('ChooseCandidates#1'), [ask]));
    expect(conflict.entity).toBe('ask');
  });

  it('refuses to change an application that does not exist: the write is refused, then the read says why', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed']));
    ddb.on(GetCommand).resolves({});
    await expect(stores.applications.change('APP-NONE', change('Allocate#1'))).rejects.toThrow('application APP-NONE does not exist');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
  });
});

describe('DynamoApplicationStore task tokens', () => {
  it('keeps the task token on an existing ask', async () => {
    ddb.on(UpdateCommand).resolves({});
    await stores.applications.setAskToken(APPLICATION_ID, PARTNER_A, 'token-a');
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      Key: ASK_KEY,
      UpdateExpression: 'SET taskToken = :t',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':t': 'token-a' },
    });
  });

  it('keeps and reads the disbursement task token on the application', async () => {
    ddb.on(UpdateCommand).resolves({});
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { disbursementTaskToken: 'token-d', status: 'AWAITING_DISBURSEMENT' } })
      .resolvesOnce({ Item: { disbursementTaskToken: 'token-d', status: 'BOOKED' } })
      .resolvesOnce({ Item: {} });
    await stores.applications.setDisbursementToken(APPLICATION_ID, 'token-d');
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      Key: APP_KEY,
      UpdateExpression: 'SET disbursementTaskToken = :t',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':t': 'token-d' },
    });
    expect(await stores.applications.disbursementToken(APPLICATION_ID)).toBe('token-d');
    expect(await stores.applications.disbursementToken(APPLICATION_ID)).toBeNull();
    expect(await stores.applications.disbursementToken(APPLICATION_ID)).toBeNull();
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      Key: APP_KEY,
      ConsistentRead: true,
      ProjectionExpression: 'disbursementTaskToken, #s',
      ExpressionAttributeNames: { '#s': 'status' },
    });
  });

  it('lets the failed condition on a missing ask through', async () => {
    const error = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    ddb.on(UpdateCommand).rejects(error);
    await expect(stores.applications.setAskToken(APPLICATION_ID, 'NOBODY', 'token')).rejects.toBe(error);
  });
});

describe('DynamoApplicationStore.decide', () => {
  const decided = { ...ask, state: 'APPROVED' as const, decision: aPartnerDecision() };
  const decisionRec = { ...rec, scopeKey: 'decideApplication#partner-a#key-0002', statusCode: 201 };

  it('stores the decision on a still PENDING ask, off the awaiting index, with the idempotency record; the application is not written', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.applications.decide(decided, decisionRec);
    expect(transactItems()).toEqual([
      { Put: { TableName: TABLES.state, Item: { pk: `IDEM#${decisionRec.scopeKey}`, sk: 'IDEM', entityType: 'Idempotency', ...decisionRec }, ConditionExpression: NOT_EXISTS } },
      {
        Update: {
          TableName: TABLES.state,
          Key: ASK_KEY,
          UpdateExpression: 'SET #s = :s, #d = :d REMOVE gsi1pk, gsi1sk',
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'state', '#d': 'decision' },
          ExpressionAttributeValues: {
            ':s': 'APPROVED',
            ':d': { decision: 'APPROVE', approvedAmountMinor: '300000', conditions: [], reasonCodes: [], comment: null, decidedBy: 'partner-a-client', decidedAt: NOW },
            ':pending': 'PENDING',
          },
        },
      },
    ]);
  });

  it('an ask decided or closed since it was read is a conflict on the ask', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    const conflict = await rejectedBy(WriteConflict, () => stores.applications.decide(decided, decisionRec));
    expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', 'ask']);
  });
});

describe('DynamoApplicationStore.timeOut', () => {
  const step = `Timeout#${PARTNER_A}#1`;
  const timeoutUpdate = {
    Update: {
      TableName: TABLES.state,
      Key: ASK_KEY,
      UpdateExpression: 'SET #s = :s REMOVE gsi1pk, gsi1sk',
      ConditionExpression: '#s = :pending',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':s': 'TIMED_OUT', ':pending': 'PENDING' },
    },
  };

  it('marks a PENDING ask TIMED_OUT with the timeline, and returns it as it ends', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(GetCommand).resolves({ Item: { ...storedAsk, state: 'TIMED_OUT', taskToken: 'token-a' } });
    expect(await stores.applications.timeOut(APPLICATION_ID, PARTNER_A, change(step))).toEqual({ ...ask, state: 'TIMED_OUT' });
    expect(transactItems()).toEqual([timeoutUpdate, stepUpdate(step, step.toUpperCase())]);
  });

  it('returns the decision when it was stored before the deadline passed', async () => {
    const decision = aPartnerDecision();
    ddb.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None']));
    ddb.on(GetCommand).resolves({ Item: { ...storedAsk, gsi1pk: undefined, gsi1sk: undefined, state: 'APPROVED', decision: { ...decision, approvedAmountMinor: '300000' } } });
    expect(await stores.applications.timeOut(APPLICATION_ID, PARTNER_A, change(step))).toEqual({ ...ask, state: 'APPROVED', decision });
  });

  it('a retried timeout finds its step applied and returns the ask as it is', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    ddb.on(GetCommand).resolves({ Item: { ...storedAsk, state: 'TIMED_OUT' } });
    expect((await stores.applications.timeOut(APPLICATION_ID, PARTNER_A, change(step))).state).toBe('TIMED_OUT');
  });

  it('lets other errors through', async () => {
    const error = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(stores.applications.timeOut(APPLICATION_ID, PARTNER_A, change(step))).rejects.toBe(error);
  });
});

describe('DynamoExposureStore', () => {
  /** Partner A's 300,000 for the application: 100,000 from shard 2 (written before, at version 2) and 200,000 from shard 3 (never written). */
  const takes = [
    { shard: 2, amountMinor: 100_000n },
    { shard: 3, amountMinor: 200_000n },
  ];
  const reservation: Reservation = { applicationId: APPLICATION_ID, lenderId: PARTNER_A, amountMinor: 300_000n, takes, state: 'RESERVED', at: NOW };
  const storedReservation = {
    pk: `APP#${APPLICATION_ID}`,
    sk: `RESV#${PARTNER_A}`,
    entityType: 'Reservation',
    applicationId: APPLICATION_ID,
    lenderId: PARTNER_A,
    amountMinor: '300000',
    takes: [
      { shard: 2, amountMinor: '100000' },
      { shard: 3, amountMinor: '200000' },
    ],
    state: 'RESERVED',
    at: NOW,
  };
  const shard2: QuotaShard = { lenderId: PARTNER_A, shard: 2, allotmentMinor: 125_000n, reservedMinor: 0n, committedMinor: 25_000n, committedByLeadMinor: { [LEAD_ID]: 25_000n }, version: 2 };
  const shard3: QuotaShard = { lenderId: PARTNER_A, shard: 3, allotmentMinor: 125_000n, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 0 };
  const reserved: QuotaChange[] = [
    { before: shard2, after: { ...shard2, reservedMinor: 100_000n, version: 3 } },
    { before: shard3, after: { ...shard3, reservedMinor: 200_000n, version: 1 } },
  ];
  const storedShard2 = {
    pk: `QUOTA#${PARTNER_A}`,
    sk: 'SHARD#02',
    entityType: 'QuotaShard',
    lenderId: PARTNER_A,
    shard: 2,
    allotmentMinor: '125000',
    reservedMinor: '100000',
    committedMinor: '25000',
    committedByLeadMinor: { [LEAD_ID]: '25000' },
    version: 3,
  };
  const storedShard3 = {
    pk: `QUOTA#${PARTNER_A}`,
    sk: 'SHARD#03',
    entityType: 'QuotaShard',
    lenderId: PARTNER_A,
    shard: 3,
    allotmentMinor: '125000',
    reservedMinor: '200000',
    committedMinor: '0',
    committedByLeadMinor: {},
    version: 1,
  };

  it("reads a lender's stored shards with one consistent query of its quota partition, every page", async () => {
    ddb.on(QueryCommand).resolvesOnce({ Items: [storedShard2], LastEvaluatedKey: { pk: `QUOTA#${PARTNER_A}`, sk: 'SHARD#02' } }).resolvesOnce({ Items: [storedShard3] });
    expect(await stores.exposure.quotaShards(PARTNER_A)).toEqual([reserved[0]?.after, reserved[1]?.after]);
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLES.state, KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': `QUOTA#${PARTNER_A}`, ':s': 'SHARD#' }, ConsistentRead: true, ExclusiveStartKey: undefined },
      {
        TableName: TABLES.state,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
        ExpressionAttributeValues: { ':p': `QUOTA#${PARTNER_A}`, ':s': 'SHARD#' },
        ConsistentRead: true,
        ExclusiveStartKey: { pk: `QUOTA#${PARTNER_A}`, sk: 'SHARD#02' },
      },
    ]);
  });

  it('answers no shards for a lender whose quota was never written', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect(await stores.exposure.quotaShards(PARTNER_B)).toEqual([]);
  });

  it("answers an empty exposure at version 0 for a new borrower, and reads one consistently", async () => {
    ddb.on(GetCommand).resolves({});
    expect(await stores.exposure.borrowerExposure('BRW-9')).toEqual({ borrowerId: 'BRW-9', unsecuredPersonalOutstandingMinor: 0n, totalOutstandingMinor: 0n, perLenderMinor: {}, version: 0 });
    const item = { pk: 'BORROWER#BRW-1', sk: 'EXPOSURE', entityType: 'BorrowerExposure', borrowerId: 'BRW-1', unsecuredPersonalOutstandingMinor: '5', totalOutstandingMinor: '7', perLenderMinor: { [PARTNER_A]: '7' }, version: 4 };
    ddb.on(GetCommand, { TableName: TABLES.state, Key: { pk: 'BORROWER#BRW-1', sk: 'EXPOSURE' }, ConsistentRead: true }).resolves({ Item: item });
    expect(await stores.exposure.borrowerExposure('BRW-1')).toEqual({ borrowerId: 'BRW-1', unsecuredPersonalOutstandingMinor: 5n, totalOutstandingMinor: 7n, perLenderMinor: { [PARTNER_A]: 7n }, version: 4 });
  });

  it('reads the reservations of an application from its partition', async () => {
    ddb.on(QueryCommand).resolves({ Items: [storedReservation] });
    expect(await stores.exposure.reservations(APPLICATION_ID)).toEqual([reservation]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :r)',
      ExpressionAttributeValues: { ':p': `APP#${APPLICATION_ID}`, ':r': 'RESV#' },
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
    });
  });

  it('reserves: the new reservation and every shard it takes from, each on the version read, together', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.exposure.reserve(reservation, reserved);
    expect(transactItems()).toEqual([
      { Put: { TableName: TABLES.state, Item: storedReservation, ConditionExpression: NOT_EXISTS } },
      { Put: { TableName: TABLES.state, Item: storedShard2, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': 2 } } },
      { Put: { TableName: TABLES.state, Item: storedShard3, ConditionExpression: NOT_EXISTS } },
    ]);
  });

  it('an existing reservation, and a shard written since it was read, are conflicts on each', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None', 'None']))
      .rejectsOnce(cancelled(['None', 'None', 'ConditionalCheckFailed']))
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None']));
    for (const entity of ['reservation', 'quota', 'quota']) {
      const conflict = await rejectedBy(WriteConflict, () => stores.exposure.reserve(reservation, reserved));
      expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', entity]);
    }
  });

  it('releases: the reservation from RESERVED and every shard it goes back to, each on the version read, together', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const released: QuotaChange[] = reserved.map(({ after }) => ({ before: after, after: { ...after, reservedMinor: 0n, version: after.version + 1 } }));
    await stores.exposure.release({ ...reservation, state: 'RELEASED' }, released);
    expect(transactItems()).toEqual([
      {
        Update: {
          TableName: TABLES.state,
          Key: { pk: `APP#${APPLICATION_ID}`, sk: `RESV#${PARTNER_A}` },
          UpdateExpression: 'SET #s = :to, #at = :at',
          ConditionExpression: '#s = :from',
          ExpressionAttributeNames: { '#s': 'state', '#at': 'at' },
          ExpressionAttributeValues: { ':to': 'RELEASED', ':from': 'RESERVED', ':at': NOW },
        },
      },
      { Put: { TableName: TABLES.state, Item: { ...storedShard2, reservedMinor: '0', version: 4 }, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': 3 } } },
      { Put: { TableName: TABLES.state, Item: { ...storedShard3, reservedMinor: '0', version: 2 }, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': 1 } } },
    ]);
  });

  it('a release whose reservation is no longer RESERVED is a conflict on the reservation', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'None']));
    const released: QuotaChange[] = reserved.map(({ after }) => ({ before: after, after: { ...after, reservedMinor: 0n, version: after.version + 1 } }));
    expect((await rejectedBy(WriteConflict, () => stores.exposure.release({ ...reservation, state: 'RELEASED' }, released))).entity).toBe('reservation');
  });
});
