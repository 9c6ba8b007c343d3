import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { noBorrowerExposure, noBorrowerPrincipal, type BorrowerExposure, type BorrowerPrincipal, type PrincipalShard, type QuotaChange, type QuotaShard, type Reservation } from '../../domain/exposure.ts';
import type { Ask } from '../../domain/review.ts';
import { WriteConflict, type ApplicationChange, type ApplicationRecord, type ApplicationStore, type ExposureStore, type IdempotencyRecord, type Page, type PageRequest } from '../../ports/stores.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { queryAll, queryPage, transactWrite, type Tables, type TransactItems } from './client.ts';
import { GSI1_KEY } from './cursor.ts';
import { borrowerPrincipalOf, principalShardOf } from './outstanding-items.ts';
import { personApplicationOp, personOf, personRefOp } from './person-items.ts';
import type { Person, PersonRef } from '../../domain/person.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import type { StoreKeys } from './key-families.ts';

type Op = TransactItems[number];

const askFields = (item: Item): Ask & { taskToken: string | null } => {
  const { taskToken = null, ...ask } = decode<Ask & { taskToken?: string | null }>(stripKeys(item));
  return { ...ask, taskToken };
};

/**
 * The application item records which steps changed it (`steps`), so a step retried after a crash
 * finds its change already applied and changes nothing. A change of status moves the item to its
 * new status partition of gsi1; the sort key (`{createdAt}#{applicationId}`) never changes.
 */
export function applicationChangeOp(tables: Tables, applicationId: string, change: ApplicationChange): Op {
  const names: Record<string, string> = { '#timeline': 'timeline', '#steps': 'steps' };
  const values: Record<string, unknown> = {
    ':event': [{ at: change.at, step: change.step, event: change.event, detail: encode(change.detail) }],
    ':step': change.step,
    ':stepSet': new Set([change.step]),
  };
  const sets = ['#timeline = list_append(#timeline, :event)'];
  Object.entries(change.set).forEach(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:v${i}`] = encode(value, field);
    sets.push(`#f${i} = :v${i}`);
  });
  const status = change.set.status;
  if (typeof status === 'string') {
    names['#g1'] = 'gsi1pk';
    values[':g1'] = stateKeys.applicationStatusPartition(status);
    sets.push('#g1 = :g1');
  }
  return {
    Update: {
      TableName: tables.state,
      Key: stateKeys.application(applicationId),
      UpdateExpression: `SET ${sets.join(', ')} ADD #steps :stepSet`,
      ConditionExpression: 'attribute_exists(pk) AND NOT contains(#steps, :step)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

function putOp(table: string, item: Item, condition = 'attribute_not_exists(pk)'): Op {
  return { Put: { TableName: table, Item: item, ConditionExpression: condition } };
}

/** Quota and exposure items are replaced whole, on the version they were read at. */
function versionedPut(table: string, keys: Record<string, string>, entityType: string, value: { version: number }, beforeVersion: number): Op {
  return {
    Put: {
      TableName: table,
      Item: { ...keys, entityType, ...(encode(value) as Item) },
      ConditionExpression: beforeVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
      ...(beforeVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': beforeVersion } }),
    },
  };
}

export function quotaOp(tables: Tables, change: QuotaChange): Op {
  return versionedPut(tables.state, stateKeys.quotaShard(change.after.lenderId, change.after.shard), 'QuotaShard', change.after, change.before.version);
}

export function exposureOp(tables: Tables, before: BorrowerExposure, after: BorrowerExposure): Op {
  return versionedPut(tables.state, stateKeys.borrowerExposure(after.borrowerId), 'BorrowerExposure', after, before.version);
}

export function reservationStateOp(tables: Tables, reservation: Reservation, from: Reservation['state']): Op {
  return {
    Update: {
      TableName: tables.state,
      Key: stateKeys.reservation(reservation.applicationId, reservation.lenderId),
      UpdateExpression: 'SET #s = :to, #at = :at',
      ConditionExpression: '#s = :from',
      ExpressionAttributeNames: { '#s': 'state', '#at': 'at' },
      ExpressionAttributeValues: { ':to': reservation.state, ':from': from, ':at': reservation.at },
    },
  };
}

function idempotencyOp(tables: Tables, record: IdempotencyRecord): Op {
  return putOp(tables.state, { ...stateKeys.idempotency(record.scopeKey), entityType: 'Idempotency', ...(encode(record) as Item) });
}

export class DynamoApplicationStore implements ApplicationStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.application], queries: [stateFamilies.applicationStatuses, stateFamilies.awaiting], writes: [stateFamilies.application, stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async create(record: ApplicationRecord, change: ApplicationChange, idempotency: IdempotencyRecord, person: PersonRef | null = null): Promise<void> {
    const { application } = record;
    const item: Item = {
      ...stateKeys.application(application.applicationId),
      ...stateKeys.applicationIndex(record.status, application.createdAt, application.applicationId),
      entityType: 'Application',
      ...(encode(record) as Item),
      timeline: [{ at: change.at, step: change.step, event: change.event, detail: encode(change.detail) }],
      steps: new Set([change.step]),
    };
    const personOps = person === null ? [] : [personApplicationOp(this.tables, person), personRefOp(this.tables, person)];
    await transactWrite(this.doc, [idempotencyOp(this.tables, idempotency), putOp(this.tables.state, item), ...personOps], ['idempotency', 'application', ...personOps.map(() => 'person')]);
  }

  async get(applicationId: string): Promise<ApplicationRecord | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.application(applicationId), ConsistentRead: true }));
    if (!out.Item) return null;
    const { steps: _steps, disbursementTaskToken: _token, ...rest } = stripKeys(out.Item as Item);
    return decode<ApplicationRecord>(rest);
  }

  async listByStatus(status: string, request: PageRequest): Promise<Page<ApplicationRecord>> {
    const partition = stateKeys.applicationStatusPartition(status);
    const page = await queryPage(this.doc, { TableName: this.tables.state, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition } }, request, {
      attributes: GSI1_KEY,
      where: { gsi1pk: partition },
    });
    const items = page.items.map((item) => {
      const { steps: _s, disbursementTaskToken: _t, ...rest } = stripKeys(item);
      return decode<ApplicationRecord>(rest);
    });
    return { items, cursor: page.cursor };
  }

  async asks(applicationId: string): Promise<Ask[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :a)',
      ExpressionAttributeValues: { ':p': stateKeys.applicationPartition(applicationId), ':a': stateKeys.askPrefix },
      ConsistentRead: true,
    });
    return items.map((item) => {
      const { taskToken: _t, ...ask } = askFields(item);
      return ask;
    });
  }

  async ask(applicationId: string, lenderId: string): Promise<(Ask & { taskToken: string | null }) | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.ask(applicationId, lenderId), ConsistentRead: true }));
    return out.Item ? askFields(out.Item as Item) : null;
  }

  async awaiting(lenderId: string, request: PageRequest): Promise<Page<string>> {
    const partition = stateKeys.awaitingPartition(lenderId);
    const page = await queryPage(this.doc, { TableName: this.tables.state, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition } }, request, {
      attributes: GSI1_KEY,
      where: { gsi1pk: partition },
    });
    return { items: page.items.map((i) => String(i.applicationId)), cursor: page.cursor };
  }

  /**
   * The step's condition (the application exists and the step is not applied yet) is checked by
   * the write itself; only a refused write reads the item, to tell a step applied before from an
   * application that does not exist.
   */
  async change(applicationId: string, change: ApplicationChange, newAsks: readonly Ask[] = []): Promise<boolean> {
    const asks = newAsks.map((ask) =>
      putOp(this.tables.state, {
        ...stateKeys.ask(ask.applicationId, ask.lenderId),
        ...stateKeys.awaitingIndex(ask.lenderId, ask.deadline, ask.applicationId),
        entityType: 'Ask',
        ...(encode(ask) as Item),
      }),
    );
    try {
      await transactWrite(this.doc, [applicationChangeOp(this.tables, applicationId, change), ...asks], ['application-step', ...asks.map(() => 'ask')]);
      return true;
    } catch (error) {
      if (!(error instanceof WriteConflict && error.entity === 'application-step')) throw error;
      if (!(await this.get(applicationId))) throw new Error(`application ${applicationId} does not exist`, { cause: error });
      return false;
    }
  }

  async setAskToken(applicationId: string, lenderId: string, taskToken: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: stateKeys.ask(applicationId, lenderId),
        UpdateExpression: 'SET taskToken = :t',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': taskToken },
      }),
    );
  }

  async decide(decided: Ask, idempotency: IdempotencyRecord): Promise<void> {
    const update: Op = {
      Update: {
        TableName: this.tables.state,
        Key: stateKeys.ask(decided.applicationId, decided.lenderId),
        UpdateExpression: 'SET #s = :s, #d = :d REMOVE gsi1pk, gsi1sk',
        ConditionExpression: '#s = :pending',
        ExpressionAttributeNames: { '#s': 'state', '#d': 'decision' },
        ExpressionAttributeValues: { ':s': decided.state, ':d': encode(decided.decision), ':pending': 'PENDING' },
      },
    };
    await transactWrite(this.doc, [idempotencyOp(this.tables, idempotency), update], ['idempotency', 'ask']);
  }

  async timeOut(applicationId: string, lenderId: string, change: ApplicationChange): Promise<Ask> {
    const update: Op = {
      Update: {
        TableName: this.tables.state,
        Key: stateKeys.ask(applicationId, lenderId),
        UpdateExpression: 'SET #s = :s REMOVE gsi1pk, gsi1sk',
        ConditionExpression: '#s = :pending',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':s': 'TIMED_OUT', ':pending': 'PENDING' },
      },
    };
    try {
      await transactWrite(this.doc, [update, applicationChangeOp(this.tables, applicationId, change)], ['ask', 'application-step']);
    } catch (error) {
      if (!(error instanceof WriteConflict && (error.entity === 'ask' || error.entity === 'application-step'))) throw error;
    }
    const ask = await this.ask(applicationId, lenderId);
    if (!ask) throw new Error(`ask of ${lenderId} on ${applicationId} does not exist`);
    const { taskToken: _t, ...rest } = ask;
    return rest;
  }

  async setDisbursementToken(applicationId: string, taskToken: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: stateKeys.application(applicationId),
        UpdateExpression: 'SET disbursementTaskToken = :t',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': taskToken },
      }),
    );
  }

  /** The token of the Disbursement wait while the application awaits its disbursement; null otherwise. */
  async disbursementToken(applicationId: string): Promise<string | null> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tables.state,
        Key: stateKeys.application(applicationId),
        ConsistentRead: true,
        ProjectionExpression: 'disbursementTaskToken, #s',
        ExpressionAttributeNames: { '#s': 'status' },
      }),
    );
    const token = out.Item?.disbursementTaskToken;
    return typeof token === 'string' && out.Item?.status === 'AWAITING_DISBURSEMENT' ? token : null;
  }

}

/**
 * The applications as the function that takes new ones uses them: an application whose borrower
 * gave an identity number links its id to the person and is listed under it (S41, S42) in the same
 * write, so only this use may write a person's items; the review and disbursement steps, which
 * build the plain store, may not.
 */
export class DynamoApplicationIntakeStore extends DynamoApplicationStore {
  static override readonly keys: StoreKeys = { ...DynamoApplicationStore.keys, writes: [...DynamoApplicationStore.keys.writes, stateFamilies.borrower] };
}

export class DynamoExposureStore implements ExposureStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.quota, stateFamilies.application, stateFamilies.borrower], queries: [], writes: [stateFamilies.application, stateFamilies.quota] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async quotaShards(lenderId: string): Promise<QuotaShard[]> {
    return (await this.quotaPartition(lenderId, stateKeys.quotaShardPrefix)).map((i) => decode<QuotaShard>(stripKeys(i)));
  }

  /** The items of a lender's quota partition under one prefix: its quota shards, or its principal shards. */
  private async quotaPartition(lenderId: string, prefix: string): Promise<Item[]> {
    return queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': stateKeys.quotaPartition(lenderId), ':s': prefix },
      ConsistentRead: true,
    });
  }

  async reservations(applicationId: string): Promise<Reservation[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :r)',
      ExpressionAttributeValues: { ':p': stateKeys.applicationPartition(applicationId), ':r': stateKeys.reservationPrefix },
      ConsistentRead: true,
    });
    return items.map((i) => decode<Reservation>(stripKeys(i)));
  }

  async reserve(reservation: Reservation, changes: readonly QuotaChange[]): Promise<void> {
    const item = { ...stateKeys.reservation(reservation.applicationId, reservation.lenderId), entityType: 'Reservation', ...(encode(reservation) as Item) };
    await transactWrite(this.doc, [putOp(this.tables.state, item), ...changes.map((c) => quotaOp(this.tables, c))], ['reservation', ...changes.map(() => 'quota')]);
  }

  async release(reservation: Reservation, changes: readonly QuotaChange[]): Promise<void> {
    await transactWrite(
      this.doc,
      [reservationStateOp(this.tables, reservation, 'RESERVED'), ...changes.map((c) => quotaOp(this.tables, c))],
      ['reservation', ...changes.map(() => 'quota')],
    );
  }

  async borrowerExposure(borrowerId: string): Promise<BorrowerExposure> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.borrowerExposure(borrowerId), ConsistentRead: true }));
    return out.Item ? decode<BorrowerExposure>(stripKeys(out.Item as Item)) : noBorrowerExposure(borrowerId);
  }

  async principalShards(lenderId: string): Promise<PrincipalShard[]> {
    return (await this.quotaPartition(lenderId, stateKeys.principalShardPrefix)).map(principalShardOf);
  }

  async borrowerPrincipal(borrowerId: string): Promise<BorrowerPrincipal> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.borrowerPrincipal(borrowerId), ConsistentRead: true }));
    return out.Item ? borrowerPrincipalOf(out.Item as Item) : noBorrowerPrincipal(borrowerId);
  }

  async person(identityHash: string): Promise<Person> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.person(identityHash), ConsistentRead: true }));
    return personOf(identityHash, out.Item as Item | undefined);
  }
}

