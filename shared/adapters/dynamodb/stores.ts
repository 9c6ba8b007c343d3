import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { JournalEntry, Position } from '../../domain/ledger.ts';
import type { Lender, LenderWebhook } from '../../domain/lender.ts';
import { StateConflict } from '../../domain/errors.ts';
import { WriteConflict } from '../../ports/stores.ts';
import { loanFacts, type Loan, type LoanFacts } from '../../domain/loan.ts';
import type { LenderSchedule, Schedule } from '../../domain/schedule.ts';
import type { Program } from '../../domain/program.ts';
import type {
  IdempotencyEntry,
  IdempotencyRecord,
  IdempotencyReservation,
  IdempotencyStore,
  LedgerCheckReport,
  LedgerCheckStore,
  LedgerStore,
  LenderStore,
  LoanBooking,
  LoanStore,
  Page,
  PageRequest,
  PlainWebhookSecret,
  ProgramStore,
  RiskRunReport,
  RiskRunStore,
} from '../../ports/stores.ts';
import { MAX_DAY_SHARD_QUERIES } from '../../ports/stores.ts';
import { ValidationError } from '../../domain/errors.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { batchGetAll, latestVersionsPage, queryAll, queryPage, queryPages, transactWrite, type Tables, type TransactItems } from './client.ts';
import { GSI1_KEY, decodeCursor, encodeCursor } from './cursor.ts';
import { headItem, headOf, headPositions, holderItem } from './loan-head.ts';
import { entryItem, entryOf } from './entry-codec.ts';
import { emptyLedger } from '../../domain/repayment-booking.ts';
import { ledgerFamilies, ledgerKeys } from './ledger-keys.ts';
import { applicationChangeOp, exposureOp, quotaOp, reservationStateOp } from './application-store.ts';
import { personBookingOp, personRefOp } from './person-items.ts';
import { LOAN_SHARDS, stateFamilies, stateKeys } from './state-keys.ts';
import type { StoreKeys } from './key-families.ts';

const notExists = 'attribute_not_exists(pk)';

export function toItem(entityType: string, keys: Record<string, string>, value: object): Item {
  return { ...keys, entityType, ...(encode(value) as Item) };
}

export function fromItem<T>(item: Item | undefined): T | null {
  return item ? decode<T>(stripKeys(item)) : null;
}

/** The Put of a write's idempotency record, to go in the write's own transaction. */
export function idempotencyPut(tables: Tables, record: IdempotencyRecord): TransactItems[number] {
  return {
    Put: {
      TableName: tables.state,
      Item: toItem('Idempotency', stateKeys.idempotency(record.scopeKey), record),
      ConditionExpression: notExists,
    },
  };
}

export class DynamoIdempotencyStore implements IdempotencyStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.idempotency], queries: [], writes: [stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async get(scopeKey: string): Promise<IdempotencyEntry | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.idempotency(scopeKey), ConsistentRead: true }));
    return fromItem<IdempotencyEntry>(out.Item as Item | undefined);
  }

  /** One PutItem (1 WCU): on a free key, over a reservation of the same request, or over one that lapsed. */
  async put(record: IdempotencyRecord): Promise<void> {
    await this.conditionalPut(
      toItem('Idempotency', stateKeys.idempotency(record.scopeKey), record),
      'attribute_not_exists(pk) OR (#state = :inProgress AND (requestHash = :hash OR reservedUntilEpochSeconds < :now))',
      { ':inProgress': 'IN_PROGRESS', ':hash': record.requestHash, ':now': Math.floor(Date.parse(record.createdAt) / 1000) },
    );
  }

  /** One PutItem (1 WCU): on a free key or over a reservation that lapsed. */
  async reserve(reservation: IdempotencyReservation, nowEpochSeconds: number): Promise<void> {
    await this.conditionalPut(toItem('Idempotency', stateKeys.idempotency(reservation.scopeKey), reservation), 'attribute_not_exists(pk) OR (#state = :inProgress AND reservedUntilEpochSeconds < :now)', {
      ':inProgress': 'IN_PROGRESS',
      ':now': nowEpochSeconds,
    });
  }

  /**
   * One UpdateItem, only of this very reservation: it lapses now (and the table's time to live
   * takes it soon), so the key is free. Never a DeleteItem: no function's role deletes.
   */
  async release(reservation: IdempotencyReservation, nowEpochSeconds: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.state,
          Key: stateKeys.idempotency(reservation.scopeKey),
          UpdateExpression: 'SET reservedUntilEpochSeconds = :lapsed, expiresAtEpochSeconds = :now',
          ConditionExpression: '#state = :inProgress AND requestHash = :hash AND reservedAt = :reservedAt',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':hash': reservation.requestHash, ':reservedAt': reservation.reservedAt, ':lapsed': 0, ':now': nowEpochSeconds },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async conditionalPut(item: Item, condition: string, values: Record<string, unknown>): Promise<void> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.tables.state, Item: item, ConditionExpression: condition, ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: values }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new WriteConflict('IDEMPOTENCY_KEY', 'idempotency');
      throw error;
    }
  }
}

export class DynamoLenderStore implements LenderStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.lender], queries: [stateFamilies.lenders], writes: [stateFamilies.lender, stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async get(lenderId: string): Promise<Lender | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.lender(lenderId), ConsistentRead: true }));
    return lenderOf(out.Item as Item | undefined);
  }

  async getMany(lenderIds: readonly string[]): Promise<Map<string, Lender>> {
    const items = await batchGetAll(this.doc, this.tables.state, [...new Set(lenderIds)].map((id) => stateKeys.lender(id)));
    const lenders = items.map((item) => lenderOf(item)).filter((l): l is Lender => l !== null);
    return new Map(lenders.map((l) => [l.lenderId, l]));
  }

  async list(): Promise<Lender[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': stateKeys.lendersPartition },
    });
    return items.map((i) => lenderOf(i) as Lender);
  }

  async page(request: PageRequest): Promise<Page<Lender>> {
    const partition = stateKeys.lendersPartition;
    const page = await queryPage(this.doc, { TableName: this.tables.state, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition } }, request, {
      attributes: GSI1_KEY,
      where: { gsi1pk: partition },
    });
    return { items: page.items.map((i) => lenderOf(i) as Lender), cursor: page.cursor };
  }

  async create(lender: Lender, idempotency: IdempotencyRecord): Promise<void> {
    const item = toItem('Lender', { ...stateKeys.lender(lender.lenderId), ...stateKeys.lenderIndex(lender.lenderId) }, lender);
    await transactWrite(
      this.doc,
      [idempotencyPut(this.tables, idempotency), { Put: { TableName: this.tables.state, Item: item, ConditionExpression: notExists } }],
      ['idempotency', 'lender'],
    );
  }

  async setWebhook(lenderId: string, expectedSecretVersion: number, webhook: LenderWebhook, idempotency: IdempotencyRecord | null): Promise<void> {
    const update = {
      TableName: this.tables.state,
      Key: stateKeys.lender(lenderId),
      UpdateExpression: 'SET webhook = :webhook',
      ConditionExpression: expectedSecretVersion === 0 ? 'attribute_exists(webhook.#secret)' : 'webhook.secretVersion = :expected',
      ...(expectedSecretVersion === 0 ? { ExpressionAttributeNames: { '#secret': 'secret' } } : {}),
      ExpressionAttributeValues: { ':webhook': { url: webhook.url, secretVersion: webhook.secretVersion }, ...(expectedSecretVersion === 0 ? {} : { ':expected': expectedSecretVersion }) },
    };
    const changed = new StateConflict('WEBHOOK_CHANGED', `the webhook of lender ${lenderId} changed meanwhile (expected secret version ${expectedSecretVersion}); read it again`, {
      lenderId,
      expectedSecretVersion,
    });
    try {
      if (idempotency === null) await this.doc.send(new UpdateCommand(update));
      else await transactWrite(this.doc, [idempotencyPut(this.tables, idempotency), { Update: update }], ['idempotency', 'lenderWebhook']);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error instanceof WriteConflict && error.entity === 'lenderWebhook')) throw changed;
      throw error;
    }
  }

  async plainWebhookSecret(lenderId: string): Promise<PlainWebhookSecret | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.lender(lenderId), ConsistentRead: true }));
    return out.Item === undefined ? null : plainSecretOf(out.Item);
  }
}

function plainSecretOf(item: Item): PlainWebhookSecret | null {
  const webhook = item.webhook as { url?: unknown; secret?: unknown } | null | undefined;
  if (typeof webhook?.url !== 'string' || typeof webhook.secret !== 'string') return null;
  return { lenderId: item.lenderId as string, url: webhook.url, secret: webhook.secret };
}

/**
 * A lender read from its item. A record from before secrets were kept apart still holds a plain
 * secret: it is read as secret version 0 (none in the secret store yet), and the secret itself
 * never leaves this adapter but to be signed with or moved (`plainWebhookSecret`).
 */
function lenderOf(item: Item | undefined): Lender | null {
  const lender = fromItem<Lender & { webhook: (LenderWebhook & { secret?: string }) | null }>(item);
  if (lender === null || lender.webhook === null) return lender;
  const { url, secretVersion } = lender.webhook;
  return { ...lender, webhook: { url, secretVersion: secretVersion ?? 0 } };
}

export class DynamoProgramStore implements ProgramStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.program], queries: [stateFamilies.programs], writes: [stateFamilies.program, stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async get(programId: string, version: number | null): Promise<Program | null> {
    if (version !== null) {
      const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.program(programId, version), ConsistentRead: true }));
      return fromItem<Program>(out.Item as Item | undefined);
    }
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.state,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':p': stateKeys.programPartition(programId), ':v': stateKeys.programVersionPrefix },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return fromItem<Program>(out.Items?.[0] as Item | undefined);
  }

  async list(): Promise<Program[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': stateKeys.programsPartition },
    });
    return items.map((i) => fromItem<Program>(i) as Program);
  }

  async pageLatest(request: PageRequest): Promise<Page<Program>> {
    const page = await latestVersionsPage(this.doc, this.tables.state, stateKeys.programsPartition, request);
    return { items: page.items.map((item) => fromItem<Program>(item) as Program), cursor: page.cursor };
  }

  async createVersion(program: Program, idempotency: IdempotencyRecord): Promise<void> {
    const keys = { ...stateKeys.program(program.programId, program.version), ...stateKeys.programIndex(program.programId, program.version) };
    await transactWrite(
      this.doc,
      [idempotencyPut(this.tables, idempotency), { Put: { TableName: this.tables.state, Item: toItem('Program', keys, program), ConditionExpression: notExists } }],
      ['idempotency', 'program'],
    );
  }
}

/**
 * The items of a booked loan in the book: the loan, its facts (listed by shard, S7), its
 * disbursement entry, its head with each lender's position and a holder per lender. A booking
 * writes them on the condition that none exists, in one transaction with the rest of the booking;
 * a bulk load of a book writes them as they are.
 */
export function bookedLoanItems(tables: Tables, booked: LoanBooking['booked'], positions: readonly Position[]): { TableName: string; Item: Item; entity: string }[] {
  const { loan, entry } = booked;
  return [
    { TableName: tables.state, Item: toItem('Loan', stateKeys.loan(loan.loanId), loan), entity: 'loan' },
    { TableName: tables.state, Item: loanFactsItem(loanFacts(loan)), entity: 'loan' },
    { TableName: tables.ledger, Item: entryItem(entry), entity: 'entry' },
    // The loan's head, with each lender's position after the disbursement; its first change is version 2.
    { TableName: tables.ledger, Item: headItem({ ...emptyLedger(loan.loanId), version: 1 }, positions), entity: 'position' },
    ...positions.map((p) => ({ TableName: tables.ledger, Item: holderItem(loan.loanId, p.lenderId), entity: 'position' })),
  ];
}

/**
 * A loan's facts as stored: a few flat attributes, the funded amounts in one (`[[lenderId,
 * amount],…]`), so that listing a shard's loans reads about 200 bytes a loan, not the loan's
 * terms.
 */
export function loanFactsItem(facts: LoanFacts): Item {
  return {
    ...stateKeys.loanFacts(facts.loanId),
    ...stateKeys.loanIndex(facts.loanId),
    entityType: 'LoanFacts',
    loanId: facts.loanId,
    programId: facts.programId,
    currency: facts.currency,
    principalMinor: facts.principalMinor.toString(),
    disbursementDate: facts.disbursementDate,
    funded: JSON.stringify(facts.funded.map((f) => [f.lenderId, f.amountMinor.toString()])),
  };
}

/** The facts of an item listed on S7: a facts item, or a loan listed there itself (as loans booked before the facts item were). */
function factsOfItem(item: Item): LoanFacts {
  if (item.entityType === 'Loan') return loanFacts(fromItem<Loan>(item) as Loan);
  return {
    loanId: String(item.loanId),
    programId: String(item.programId),
    currency: String(item.currency),
    principalMinor: BigInt(String(item.principalMinor)),
    disbursementDate: String(item.disbursementDate),
    funded: (JSON.parse(String(item.funded)) as [string, string][]).map(([lenderId, amount]) => ({ lenderId, amountMinor: BigInt(amount) })),
  };
}

export class DynamoLoanStore implements LoanStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.loan], queries: [stateFamilies.loanShards], writes: [stateFamilies.idempotency, stateFamilies.loan, stateFamilies.quota, stateFamilies.borrower, stateFamilies.application, ledgerFamilies.loan] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async get(loanId: string): Promise<Loan | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.loan(loanId), ConsistentRead: true }));
    return fromItem<Loan>(out.Item as Item | undefined);
  }

  /** S7, whole: the facts of the shard's loans in loan order, a Query of about 200 bytes a loan. */
  async factsOfShard(shard: number): Promise<LoanFacts[]> {
    return (await this.shardListing(shard)).map(factsOfItem);
  }

  async loanIdsOfShard(shard: number): Promise<string[]> {
    return (await this.shardListing(shard, 'gsi1sk')).map((i) => String(i.gsi1sk));
  }

  /** The items listed on S7, whole or the attributes named. */
  private shardListing(shard: number, projection?: string): Promise<Item[]> {
    return queryAll(this.doc, {
      TableName: this.tables.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': stateKeys.loanShardPartition(shard) },
      ...(projection === undefined ? {} : { ProjectionExpression: projection }),
    });
  }

  async book(booking: LoanBooking): Promise<void> {
    const { loan } = booking.booked;
    const ops: { op: TransactItems[number]; entity: string }[] = [
      ...(booking.idempotency ? [{ op: idempotencyPut(this.tables, booking.idempotency), entity: 'idempotency' }] : []),
      ...bookedLoanItems(this.tables, booking.booked, booking.positions).map(({ TableName, Item, entity }) => ({ op: { Put: { TableName, Item, ConditionExpression: notExists } }, entity })),
      {
        op: { Put: { TableName: this.tables.state, Item: toItem('BorrowerSchedule', stateKeys.borrowerSchedule(loan.loanId), booking.schedules.borrower), ConditionExpression: notExists } },
        entity: 'schedule',
      },
      ...booking.schedules.lenders.map((s) => ({
        op: { Put: { TableName: this.tables.state, Item: toItem('LenderSchedule', stateKeys.lenderSchedule(loan.loanId, s.lenderId), s), ConditionExpression: notExists } },
        entity: 'schedule',
      })),
      ...booking.quotas.map((q) => ({ op: quotaOp(this.tables, q), entity: 'quota' })),
      { op: exposureOp(this.tables, booking.exposure.before, booking.exposure.after), entity: 'exposure' },
      ...(booking.person === null
        ? []
        : [
            { op: personBookingOp(this.tables, booking.person.before, booking.person.after, booking.person.ref.borrowerId), entity: 'person' },
            { op: personRefOp(this.tables, booking.person.ref), entity: 'person-ref' },
          ]),
      ...booking.usedReservations.map((r) => ({ op: reservationStateOp(this.tables, r, 'RESERVED'), entity: 'reservation' })),
      ...(booking.applicationChange
        ? [{ op: applicationChangeOp(this.tables, booking.applicationChange.applicationId, booking.applicationChange.change), entity: 'application-step' }]
        : []),
    ];
    await transactWrite(this.doc, ops.map((o) => o.op), ops.map((o) => o.entity));
  }

  async schedules(loanId: string): Promise<{ borrower: Schedule; lenders: LenderSchedule[] } | null> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': stateKeys.loan(loanId).pk, ':s': stateKeys.schedulePrefix },
      ConsistentRead: true,
    });
    const borrower = items.find((i) => i.entityType === 'BorrowerSchedule');
    if (!borrower) return null;
    const lenders = items.filter((i) => i.entityType === 'LenderSchedule').map((i) => fromItem<LenderSchedule>(i) as LenderSchedule);
    return { borrower: fromItem<Schedule>(borrower) as Schedule, lenders };
  }
}

export class DynamoLedgerStore implements LedgerStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [ledgerFamilies.loan], queries: [ledgerFamilies.holdings, ledgerFamilies.entryDates], writes: [] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  /**
   * A page of the lender's holdings (its index, L4, in loan id order) from the cursor, then the
   * heads of those loans for its position in each, in one batch (a page is at most 100 holdings).
   */
  async positionsOfLender(lenderId: string, request: PageRequest): Promise<Page<Position>> {
    const partition = ledgerKeys.lenderPartition(lenderId);
    const holdings = await queryPage(
      this.doc,
      { TableName: this.tables.ledger, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition } },
      request,
      { attributes: GSI1_KEY, where: { gsi1pk: partition } },
    );
    const loanIds = [...new Set(holdings.items.map((i) => String(i.loanId)))];
    const heads = new Map((await batchGetAll(this.doc, this.tables.ledger, loanIds.map((loanId) => ledgerKeys.head(loanId)))).map((item) => [String(item.loanId), item]));
    const positions = loanIds.flatMap((loanId) => {
      const head = heads.get(loanId);
      return head === undefined ? [] : headPositions(loanId, head).positions.filter((p) => p.lenderId === lenderId);
    });
    return { items: positions, cursor: holdings.cursor };
  }

  async loanLedger(loanId: string): Promise<{ entries: JournalEntry[]; positions: Position[] }> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.ledger,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': ledgerKeys.loanPartition(loanId) },
      ConsistentRead: true,
    });
    const entries = items.filter((i) => i.entityType === 'JournalEntry').map(entryOf);
    return { entries, positions: headOf(loanId, items.find((i) => i.entityType === 'LoanHead')).positions };
  }

  async entriesOfDate(businessDate: string): Promise<JournalEntry[]> {
    const shards = await Promise.all(Array.from({ length: LOAN_SHARDS }, (_, shard) => this.entriesOfDayShard(businessDate, shard)));
    return shards.flat();
  }

  async entriesOfDayShard(day: string, shard: number): Promise<JournalEntry[]> {
    const entries: JournalEntry[] = [];
    for await (const page of this.entryPagesOfDayShard(day, shard)) entries.push(...page);
    return entries;
  }

  async *entryPagesOfDayShard(day: string, shard: number): AsyncGenerator<JournalEntry[]> {
    const pages = queryPages(this.doc, {
      TableName: this.tables.ledger,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': ledgerKeys.entryDatePartition(day, shard) },
    });
    for await (const items of pages) yield items.map(entryOf);
  }

  /**
   * A page of the days' entries: their date index partitions (each day's 16 shards, in order) read
   * from the cursor, at most `MAX_DAY_SHARD_QUERIES` queries and `request.limit` entries. Where a
   * page stops at the end of a partition, its cursor is the next partition's with an empty table
   * key: read from its start.
   */
  async entryPageOfDays(days: readonly string[], request: PageRequest): Promise<Page<JournalEntry>> {
    const partitions = days.flatMap((day) => Array.from({ length: LOAN_SHARDS }, (_, shard) => ledgerKeys.entryDatePartition(day, shard)));
    const from = decodeCursor(request.cursor, { attributes: GSI1_KEY, where: { gsi1pk: (value) => partitions.includes(value) } });
    const atStart = from !== undefined && from.pk === '' && from.sk === '' && from.gsi1sk === '';
    if (from !== undefined && !atStart && (from.pk === '' || from.sk === '' || from.gsi1sk === '')) {
      throw new ValidationError('cursor is not one this listing gave: not a key of this listing; pass the cursor of the previous page unchanged, or none for the first page', { path: 'cursor', rule: 'cursor' });
    }
    let at = from === undefined ? 0 : partitions.indexOf(from.gsi1pk!);
    let start: Record<string, unknown> | undefined = from === undefined || atStart ? undefined : from;
    const entries: JournalEntry[] = [];
    for (let queries = 0; queries < MAX_DAY_SHARD_QUERIES && at < partitions.length && entries.length < request.limit; queries++) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.ledger,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': partitions[at] },
          Limit: request.limit - entries.length,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      entries.push(...((out.Items ?? []) as Item[]).map(entryOf));
      start = out.LastEvaluatedKey;
      if (start === undefined) at += 1;
    }
    if (at >= partitions.length) return { items: entries, cursor: null };
    return { items: entries, cursor: encodeCursor(start ?? { pk: '', sk: '', gsi1pk: partitions[at], gsi1sk: '' }) };
  }
}

export class DynamoLedgerCheckStore implements LedgerCheckStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.ledgerCheck], queries: [], writes: [stateFamilies.ledgerCheck] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async get(businessDate: string): Promise<LedgerCheckReport | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.ledgerCheck(businessDate), ConsistentRead: true }));
    return fromItem<LedgerCheckReport>(out.Item as Item | undefined);
  }

  async put(report: LedgerCheckReport): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tables.state, Item: toItem('LedgerCheckReport', stateKeys.ledgerCheck(report.businessDate), report) }));
  }
}

export class DynamoRiskRunStore implements RiskRunStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.riskRun], queries: [], writes: [stateFamilies.riskRun] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async get(businessDate: string): Promise<RiskRunReport | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.riskRun(businessDate), ConsistentRead: true }));
    return fromItem<RiskRunReport>(out.Item as Item | undefined);
  }

  async put(report: RiskRunReport): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tables.state, Item: toItem('RiskRunReport', stateKeys.riskRun(report.businessDate), report) }));
  }
}
