import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AUDIT_CHAINS, auditDate, chainOf, chainRecord, type AuditEvent, type AuditRecord, type ChainHead } from '../../domain/audit.ts';
import { WriteConflict, type Page, type PageRequest } from '../../ports/stores.ts';
import type { AuditStore } from '../../ports/audit.ts';
import { auditKeys, chainPartitionOf } from './audit-keys.ts';
import { batchGetAll, queryAll } from './client.ts';
import { TABLE_KEY, decodeCursor, encodeCursor } from './cursor.ts';
import type { Item } from './codec.ts';

/** How many times a writer that lost its chain's next seq to another reads the head again. */
const MAX_APPEND_ATTEMPTS = 20;

export function auditTableFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const table = env.AUDIT_TABLE;
  if (!table) throw new Error('AUDIT_TABLE must be set');
  return table;
}

/**
 * The audit trail in DynamoDB (docs/audit.md). A record is written with a Put conditioned on
 * `attribute_not_exists(pk)` at the next seq of its chain, in one transaction with its once-marker
 * and a pointer per lender it names; nothing here updates or deletes, and the functions' roles
 * are denied both (docs/adr/0008).
 */
export class DynamoAuditStore implements AuditStore {
  /**
   * Per chain of a day: the last record this store wrote there (undefined when not known: read the
   * head) and the end of the queue of its appends. Appends of one process to one chain go one after
   * the other, each from the head the one before wrote, so they neither read the head nor lose a
   * seq to each other; a seq lost to another process clears the known head and reads it again.
   */
  private readonly chains = new Map<string, { head: ChainHead | null | undefined; tail: Promise<unknown> }>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  append(event: AuditEvent): Promise<AuditRecord | null> {
    const date = auditDate(event.at);
    const chain = chainOf(event.auditKey);
    const slotKey = `${date}#${chain}`;
    let slot = this.chains.get(slotKey);
    if (slot === undefined) {
      // Chains of days gone by are not written again from here: keep today's.
      for (const key of this.chains.keys()) if (!key.startsWith(`${date}#`)) this.chains.delete(key);
      slot = { head: undefined, tail: Promise.resolve() };
      this.chains.set(slotKey, slot);
    }
    const known = slot;
    const run = known.tail.then(() => this.appendInOrder(event, date, chain, known));
    known.tail = run.catch(() => undefined);
    return run;
  }

  private async appendInOrder(event: AuditEvent, date: string, chain: number, slot: { head: ChainHead | null | undefined }): Promise<AuditRecord | null> {
    for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
      const head = slot.head !== undefined ? slot.head : await this.head(date, chain);
      const record = chainRecord(event, head);
      const outcome = await this.write(record);
      if (outcome === 'WRITTEN') {
        slot.head = { seq: record.seq, hash: record.hash };
        return record;
      }
      slot.head = head;
      if (outcome === 'ALREADY_RECORDED') return null;
      // Another process took this seq, or its transaction was in flight on ours: read the head again.
      slot.head = undefined;
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * Math.min(200, 5 * 2 ** attempt))));
    }
    throw new WriteConflict('BUSY', `audit chain ${chain} of ${date}`);
  }

  async chain(date: string, chain: number): Promise<AuditRecord[]> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': auditKeys.chainPartition(date, chain), ':s': auditKeys.seqPrefix },
      ConsistentRead: true,
    });
    return items.map(recordOf);
  }

  page(date: string, lenderId: string | null, request: PageRequest): Promise<Page<AuditRecord>> {
    return lenderId === null ? this.dayPage(date, request) : this.lenderPage(date, lenderId, request);
  }

  /** A1, chain after chain: a page reads one chain from the cursor; an exhausted chain hands on to the next. */
  private async dayPage(date: string, request: PageRequest): Promise<Page<AuditRecord>> {
    const from = decodeCursor(request.cursor, { attributes: TABLE_KEY, where: { pk: (pk) => chainPartitionOf(pk, date) !== null } });
    const chain = from === undefined ? 0 : (chainPartitionOf(from.pk as string, date) as number);
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
        ExpressionAttributeValues: { ':p': auditKeys.chainPartition(date, chain), ':s': auditKeys.seqPrefix },
        Limit: request.limit,
        ...(from === undefined ? {} : { ExclusiveStartKey: from }),
      }),
    );
    const items = ((out.Items ?? []) as Item[]).map(recordOf);
    if (out.LastEvaluatedKey !== undefined) return { items, cursor: encodeCursor(out.LastEvaluatedKey) };
    const next = chain + 1;
    // The next chain from its start: a key before its first seq.
    return { items, cursor: next < AUDIT_CHAINS ? encodeCursor({ pk: auditKeys.chainPartition(date, next), sk: auditKeys.seqPrefix }) : null };
  }

  /** A2, then the records themselves (A1) by key: a partner reads only records that name it. */
  private async lenderPage(date: string, lenderId: string, request: PageRequest): Promise<Page<AuditRecord>> {
    const partition = auditKeys.lenderPartition(lenderId, date);
    const from = decodeCursor(request.cursor, { attributes: TABLE_KEY, where: { pk: partition } });
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': partition },
        Limit: request.limit,
        ...(from === undefined ? {} : { ExclusiveStartKey: from }),
      }),
    );
    const pointers = (out.Items ?? []) as Item[];
    const keys = pointers.map((p) => auditKeys.record(date, Number(p.chain), Number(p.seq)));
    const found = new Map((await batchGetAll(this.doc, this.table, keys)).map((item) => [`${String(item.pk)}|${String(item.sk)}`, recordOf(item)]));
    const items = keys.flatMap((k) => found.get(`${k.pk}|${k.sk}`) ?? []);
    return { items, cursor: encodeCursor(out.LastEvaluatedKey) };
  }

  /** The last record of a chain, read consistently: the seq and hash the next one follows. */
  private async head(date: string, chain: number): Promise<ChainHead | null> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
        ExpressionAttributeValues: { ':p': auditKeys.chainPartition(date, chain), ':s': auditKeys.seqPrefix },
        ProjectionExpression: 'seq, #h',
        ExpressionAttributeNames: { '#h': 'hash' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const last = out.Items?.[0];
    return last === undefined ? null : { seq: Number(last.seq), hash: String(last.hash) };
  }

  private async write(record: AuditRecord): Promise<'WRITTEN' | 'ALREADY_RECORDED' | 'LOST_SEQ'> {
    const put = (Item: Item) => ({ Put: { TableName: this.table, Item, ConditionExpression: 'attribute_not_exists(pk)' } });
    const { hash: _hash, ...fields } = record;
    const pointers = record.lenderIds.map((lenderId) => ({
      ...auditKeys.lenderPointer(lenderId, record.date, record.at, record.chain, record.seq),
      entityType: 'AuditPointer',
      chain: record.chain,
      seq: record.seq,
    }));
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            put({ ...auditKeys.once(record.auditKey), entityType: 'AuditOnce', chain: record.chain, seq: record.seq, date: record.date }),
            put({ ...auditKeys.record(record.date, record.chain, record.seq), entityType: 'AuditRecord', ...fields, hash: record.hash }),
            ...pointers.map(put),
          ],
        }),
      );
      return 'WRITTEN';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'ALREADY_RECORDED';
      if (reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) return 'LOST_SEQ';
      throw error;
    }
  }
}

/** A stored record without its keys: exactly the fields its hash covers, and the hash. */
function recordOf(item: Item): AuditRecord {
  const { pk: _pk, sk: _sk, entityType: _e, ...record } = item;
  return record as unknown as AuditRecord;
}
