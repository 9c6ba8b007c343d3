import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeAccountState, encodeAccountState } from '../../domain/account-state.ts';
import { StateConflict } from '../../domain/errors.ts';
import type { Position } from '../../domain/ledger.ts';
import type { AccountState } from '../../domain/loan-account.ts';
import {
  inOrder,
  type BookedItem,
  type BookedLoanEvent,
  type BookedRepayment,
  type EffectKey,
  type RepaymentLedger,
} from '../../domain/repayment-booking.ts';
import type { FeeDeduction, LenderRepaymentParts, Recovery, RepaymentSplit } from '../../domain/repayment-split.ts';
import type { ProgramPool, ProgramPoolKind, ProgramPoolStore, RepaymentRecord, RepaymentStore, RepaymentWrite } from '../../ports/stores.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { queryAll, transactWrite, type Tables, type TransactItems } from './client.ts';
import { ledgerFamilies, ledgerKeys } from './ledger-keys.ts';
import { headItem, headOf, holderItem } from './loan-head.ts';
import { entryItem } from './entry-codec.ts';
import { outstandingOps } from './outstanding-items.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import type { StoreKeys } from './key-families.ts';

/** A split as stored: its lenders as a list in lender id order. */
interface StoredSplit {
  readonly perLender: readonly ({ readonly lenderId: string } & LenderRepaymentParts)[];
  readonly suspenseMinor: bigint;
  readonly suspenseLenderId: string;
  readonly paidMinor: bigint;
  readonly recovery?: StoredRecovery;
  readonly deductions?: readonly FeeDeduction[];
}

/** A recovery as stored: its parties as a list. */
interface StoredRecovery {
  readonly account: Recovery['account'];
  readonly parts: readonly { readonly partyId: string; readonly amountMinor: bigint }[];
}

/** How often a loan's book is read again when a change landed between the head and the window; each retry means another write landed. */
const LOAD_ATTEMPTS = 50;

type StoredRepayment = Omit<BookedRepayment, 'split' | 'stateAfter'> & { readonly split: StoredSplit; readonly stateAfter: string };
type StoredLoanEvent = Omit<BookedLoanEvent, 'stateAfter'> & { readonly stateAfter: string };

/**
 * A loan's book (LedgerTable L3, L6-L8): the head, one item per event in order of effect, the
 * positions, and the repayment records (StateTable S20). docs/repayment-booking.md.
 */
export class DynamoRepaymentStore implements RepaymentStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [ledgerFamilies.loan, stateFamilies.repayment], queries: [], writes: [ledgerFamilies.loan, stateFamilies.program, stateFamilies.repayment, stateFamilies.quota, stateFamilies.borrower, stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async load(loanId: string, from: EffectKey | 'ALL'): Promise<{ ledger: RepaymentLedger; positions: Position[] }> {
    let head = await this.head(loanId);
    for (let read = 1; ; read++) {
      const { ledger, positions } = headOf(loanId, head);
      if (from !== 'ALL' && inOrder(ledger, from)) return { ledger, positions };
      const [base, window] = await Promise.all([from === 'ALL' ? Promise.resolve(null) : this.stateBefore(loanId, from), this.eventsFrom(loanId, from)]);
      // The head and the window are read apart: a change that landed in between shows as a newer
      // head, and the window read with the older one may hold its events; it is read again.
      const again = await this.head(loanId);
      if (headOf(loanId, again).ledger.version === ledger.version) {
        const repayments = window.filter((w) => w.kind === 'REPAYMENT').map((w) => w.booked);
        const events = window.filter((w) => w.kind === 'EVENT').map((w) => w.booked);
        return { ledger: { ...ledger, base, repayments, events }, positions };
      }
      if (read >= LOAD_ATTEMPTS) {
        throw new StateConflict('LOAN_BUSY', `loan ${loanId} changed ${LOAD_ATTEMPTS} times while its book was read; ask again`, { path: 'loanId', loanId, attempts: LOAD_ATTEMPTS });
      }
      head = again;
    }
  }

  private async head(loanId: string): Promise<Item | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.ledger, Key: ledgerKeys.head(loanId), ConsistentRead: true }));
    return out.Item as Item | undefined;
  }

  /** The state after the last event before `key`; null when none is (the loan as disbursed). */
  private async stateBefore(loanId: string, key: EffectKey): Promise<AccountState | null> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.ledger,
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': ledgerKeys.loanPartition(loanId), ':from': ledgerKeys.eventPrefix, ':to': ledgerKeys.event(loanId, key.valueDate, key.seq - 1).sk },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0] as Item | undefined;
    return item === undefined ? null : decodeAccountState(item.stateAfter as string);
  }

  /** Every event from `key` on (all with 'ALL'), in arrival order. */
  private async eventsFrom(loanId: string, key: EffectKey | 'ALL'): Promise<BookedItem[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.ledger,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':p': ledgerKeys.loanPartition(loanId),
        ':from': key === 'ALL' ? ledgerKeys.eventPrefix : ledgerKeys.event(loanId, key.valueDate, key.seq).sk,
        ':to': ledgerKeys.eventsEnd,
      },
      ConsistentRead: true,
    });
    return items.map(bookedOf).sort((a, b) => a.booked.seq - b.booked.seq);
  }

  async item(loanId: string, key: EffectKey): Promise<BookedItem | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.ledger, Key: ledgerKeys.event(loanId, key.valueDate, key.seq), ConsistentRead: true }));
    return out.Item ? bookedOf(out.Item as Item) : null;
  }

  async loanEvent(loanId: string, type: BookedLoanEvent['type'], eventId: string): Promise<BookedLoanEvent | null> {
    const ref = await this.doc.send(new GetCommand({ TableName: this.tables.ledger, Key: ledgerKeys.eventRef(loanId, type, eventId), ConsistentRead: true }));
    if (!ref.Item) return null;
    const found = await this.item(loanId, { valueDate: ref.Item.valueDate as string, seq: ref.Item.seq as number });
    return found?.kind === 'EVENT' ? found.booked : null;
  }

  async write(change: RepaymentWrite): Promise<void> {
    const { ledger } = change;
    const put = (table: string, item: Item, entity: string, condition?: { ConditionExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item }) => ({
      op: { Put: { TableName: table, Item: item, ...condition } },
      entity,
    });
    const ops: { op: TransactItems[number]; entity: string }[] = [
      put(
        this.tables.ledger,
        headItem(ledger, change.positions.map((p) => p.position)),
        'repayment-ledger',
        ledger.version === 1 ? { ConditionExpression: 'attribute_not_exists(pk)' } : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': ledger.version - 1 } },
      ),
      ...change.items.flatMap((written) => {
        const { booked } = written;
        const key = ledgerKeys.event(ledger.loanId, booked.valueDate, booked.seq);
        const item = put(this.tables.ledger, { ...key, ...itemOf(written) }, 'event');
        if (written.kind === 'REPAYMENT' || booked.seq !== ledger.nextSeq - 1) return [item];
        const ref = { ...ledgerKeys.eventRef(ledger.loanId, written.booked.type, written.booked.eventId), entityType: 'EventRef', valueDate: booked.valueDate, seq: booked.seq };
        return [item, put(this.tables.ledger, ref, 'event-ref')];
      }),
      ...change.entries.map((entry) => put(this.tables.ledger, entryItem(entry), 'entry', { ConditionExpression: 'attribute_not_exists(pk)' })),
      // A lender new to the loan (a transfer's buyer) is found by its index from now on.
      ...change.positions.filter((p) => p.expectedVersion === 0).map(({ position }) => put(this.tables.ledger, holderItem(position.loanId, position.lenderId), 'holder')),
      ...(change.programPool === undefined
        ? []
        : [
            put(
              this.tables.state,
              { ...stateKeys.programPool(change.programPool.pool.programId, change.programPool.pool.kind), entityType: 'ProgramPool', ...(encode(change.programPool.pool) as Item) },
              'program-pool',
              { ConditionExpression: 'version = :pool', ExpressionAttributeValues: { ':pool': change.programPool.expectedVersion } },
            ),
          ]),
      ...(change.record === null
        ? []
        : [
            put(this.tables.state, { ...stateKeys.repayment(change.record.repaymentId), entityType: 'RepaymentRecord', ...(encode(change.record) as Item) }, 'repayment-record', {
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ]),
      ...outstandingOps(this.tables, change.outstanding),
      // An API request's Idempotency-Key, reserved with the change (docs/architecture.md#requests): on a free key or over a reservation that lapsed.
      ...(change.reservation === undefined
        ? []
        : [
            put(this.tables.state, { ...stateKeys.idempotency(change.reservation.scopeKey), entityType: 'Idempotency', ...(encode(change.reservation) as Item) }, 'idempotency', {
              ConditionExpression: 'attribute_not_exists(pk) OR (#state = :inProgress AND reservedUntilEpochSeconds < :now)',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':now': Math.floor(Date.parse(change.reservation.reservedAt) / 1000) },
            }),
          ]),
    ];
    await transactWrite(
      this.doc,
      ops.map((o) => o.op),
      ops.map((o) => o.entity),
    );
  }

  async record(repaymentId: string): Promise<RepaymentRecord | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.repayment(repaymentId), ConsistentRead: true }));
    return out.Item ? decode<RepaymentRecord>(stripKeys(out.Item as Item)) : null;
  }
}

function itemOf(written: BookedItem): Item {
  if (written.kind === 'EVENT') {
    const stored: StoredLoanEvent = { ...written.booked, stateAfter: encodeAccountState(written.booked.stateAfter) };
    return { entityType: 'BookedLoanEvent', ...(encode(stored) as Item) };
  }
  const { recovery, ...split } = written.booked.split;
  const stored: StoredRepayment = {
    ...written.booked,
    split: {
      ...split,
      perLender: [...split.perLender].map(([lenderId, parts]) => ({ lenderId, ...parts })),
      ...(recovery === undefined ? {} : { recovery: { account: recovery.account, parts: [...recovery.parts].map(([partyId, amountMinor]) => ({ partyId, amountMinor })) } }),
    },
    stateAfter: encodeAccountState(written.booked.stateAfter),
  };
  return { entityType: 'BookedRepayment', ...(encode(stored) as Item) };
}

/** A payment or event of a loan's book, from its item (as read, or as the table's stream shows it). */
export function bookedOf(item: Item): BookedItem {
  if (item.entityType === 'BookedLoanEvent') {
    const stored = decode<StoredLoanEvent>(stripKeys(item));
    return { kind: 'EVENT', booked: { ...stored, stateAfter: decodeAccountState(stored.stateAfter) } };
  }
  const r = decode<StoredRepayment>(stripKeys(item));
  const split: RepaymentSplit = {
    perLender: new Map(r.split.perLender.map(({ lenderId, ...parts }) => [lenderId, parts])),
    suspenseMinor: r.split.suspenseMinor,
    suspenseLenderId: r.split.suspenseLenderId,
    paidMinor: r.split.paidMinor,
    ...(r.split.deductions === undefined ? {} : { deductions: r.split.deductions }),
    ...(r.split.recovery === undefined ? {} : { recovery: { account: r.split.recovery.account, parts: new Map(r.split.recovery.parts.map((p) => [p.partyId, p.amountMinor])) } }),
  };
  return { kind: 'REPAYMENT', booked: { ...r, split, stateAfter: decodeAccountState(r.stateAfter) } };
}

/** The programs' capped pools (StateTable S22). */
export class DynamoProgramPoolStore implements ProgramPoolStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.program], queries: [], writes: [stateFamilies.program] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async get(programId: string, kind: ProgramPoolKind): Promise<ProgramPool | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.programPool(programId, kind), ConsistentRead: true }));
    return out.Item ? decode<ProgramPool>(stripKeys(out.Item as Item)) : null;
  }

  async setBase(programId: string, kind: ProgramPoolKind, baseMinor: bigint, asOf: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: stateKeys.programPool(programId, kind),
        UpdateExpression: 'SET entityType = :type, programId = :id, kind = :kind, baseMinor = :base, baseAsOf = :asOf, usedMinor = if_not_exists(usedMinor, :zero) ADD version :one',
        ExpressionAttributeValues: { ':type': 'ProgramPool', ':id': programId, ':kind': kind, ':base': baseMinor.toString(), ':asOf': asOf, ':zero': '0', ':one': 1 },
      }),
    );
  }
}
