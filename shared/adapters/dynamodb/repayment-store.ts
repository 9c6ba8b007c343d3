import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Position } from '../../domain/ledger.ts';
import { emptyLedger, type BookedRepayment, type RepaymentLedger } from '../../domain/repayment-booking.ts';
import type { LenderRepaymentParts, Recovery, RepaymentSplit } from '../../domain/repayment-split.ts';
import type { ProgramPool, ProgramPoolKind, ProgramPoolStore, RepaymentRecord, RepaymentStore, RepaymentWrite } from '../../ports/stores.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { queryAll, transactWrite, type Tables, type TransactItems } from './client.ts';
import { ledgerKeys } from './ledger-keys.ts';
import { stateKeys } from './state-keys.ts';

/** A split as stored: its lenders as a list in lender id order. */
interface StoredSplit {
  readonly perLender: readonly ({ readonly lenderId: string } & LenderRepaymentParts)[];
  readonly suspenseMinor: bigint;
  readonly suspenseLenderId: string;
  readonly paidMinor: bigint;
  readonly recovery?: StoredRecovery;
}

type StoredRepayment = Omit<BookedRepayment, 'split'> & { readonly split: StoredSplit };

/** A recovery as stored: its parties as a list. */
interface StoredRecovery {
  readonly account: Recovery['account'];
  readonly parts: readonly { readonly partyId: string; readonly amountMinor: bigint }[];
}

type StoredLedger = Omit<RepaymentLedger, 'repayments'> & { readonly repayments: readonly StoredRepayment[] };

/** The loan's repayments and positions (LedgerTable L3, L6) and the repayment records (StateTable S20). */
export class DynamoRepaymentStore implements RepaymentStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async load(loanId: string): Promise<{ ledger: RepaymentLedger; positions: Position[] }> {
    const repaymentsKey = ledgerKeys.repayments(loanId);
    const items = await queryAll(this.doc, {
      TableName: this.tables.ledger,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':p': repaymentsKey.pk, ':from': ledgerKeys.positionPrefix, ':to': repaymentsKey.sk },
      ConsistentRead: true,
    });
    const positions = items.filter((i) => i.entityType === 'Position').map((i) => decode<Position>(stripKeys(i)));
    const stored = items.find((i) => i.entityType === 'RepaymentLedger');
    return { ledger: stored === undefined ? emptyLedger(loanId) : fromStored(decode<StoredLedger>(stripKeys(stored))), positions };
  }

  async write(change: RepaymentWrite): Promise<void> {
    const { ledger } = change;
    const ops: { op: TransactItems[number]; entity: string }[] = [
      {
        op: {
          Put: {
            TableName: this.tables.ledger,
            Item: { ...ledgerKeys.repayments(ledger.loanId), entityType: 'RepaymentLedger', ...(encode(toStored(ledger)) as Item) },
            ...(ledger.version === 1
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': ledger.version - 1 } }),
          },
        },
        entity: 'repayment-ledger',
      },
      ...change.entries.map((entry) => ({
        op: {
          Put: {
            TableName: this.tables.ledger,
            Item: {
              ...ledgerKeys.entry(entry.loanId, entry.entryId),
              ...ledgerKeys.entryIndex(entry.businessDate, entry.loanId, entry.entryId),
              entityType: 'JournalEntry',
              ...(encode(entry) as Item),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        entity: 'entry',
      })),
      ...change.positions.map(({ position, expectedVersion }) => ({
        op: {
          Put: {
            TableName: this.tables.ledger,
            Item: {
              ...ledgerKeys.position(position.loanId, position.lenderId),
              ...ledgerKeys.positionIndex(position.lenderId, position.loanId),
              entityType: 'Position',
              ...(encode(position) as Item),
            },
            ...(expectedVersion === 0
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
          },
        },
        entity: 'position',
      })),
      ...(change.programPool === undefined
        ? []
        : [
            {
              op: {
                Put: {
                  TableName: this.tables.state,
                  Item: { ...stateKeys.programPool(change.programPool.pool.programId, change.programPool.pool.kind), entityType: 'ProgramPool', ...(encode(change.programPool.pool) as Item) },
                  ConditionExpression: 'version = :pool',
                  ExpressionAttributeValues: { ':pool': change.programPool.expectedVersion },
                },
              },
              entity: 'program-pool',
            },
          ]),
      ...(change.record === null
        ? []
        : [
            {
              op: {
                Put: {
                  TableName: this.tables.state,
                  Item: { ...stateKeys.repayment(change.record.repaymentId), entityType: 'RepaymentRecord', ...(encode(change.record) as Item) },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              entity: 'repayment-record',
            },
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

function toStored(ledger: RepaymentLedger): StoredLedger {
  return {
    ...ledger,
    repayments: ledger.repayments.map((r) => {
      const { recovery, ...split } = r.split;
      return {
        ...r,
        split: {
          ...split,
          perLender: [...split.perLender].map(([lenderId, parts]) => ({ lenderId, ...parts })),
          ...(recovery === undefined ? {} : { recovery: { account: recovery.account, parts: [...recovery.parts].map(([partyId, amountMinor]) => ({ partyId, amountMinor })) } }),
        },
      };
    }),
  };
}

function fromStored(stored: StoredLedger): RepaymentLedger {
  return {
    ...stored,
    repayments: stored.repayments.map((r): BookedRepayment => {
      const split: RepaymentSplit = {
        perLender: new Map(r.split.perLender.map(({ lenderId, ...parts }) => [lenderId, parts])),
        suspenseMinor: r.split.suspenseMinor,
        suspenseLenderId: r.split.suspenseLenderId,
        paidMinor: r.split.paidMinor,
        ...(r.split.recovery === undefined
          ? {}
          : { recovery: { account: r.split.recovery.account, parts: new Map(r.split.recovery.parts.map((p) => [p.partyId, p.amountMinor])) } }),
      };
      return { ...r, split };
    }),
  };
}

/** The programs' capped pools (StateTable S22). */
export class DynamoProgramPoolStore implements ProgramPoolStore {
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
