import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createStores } from '../../../../../shared/adapters/dynamodb/index.ts';
import type { JournalEntry, Position } from '../../../../../shared/domain/ledger.ts';
import type { BookedRepayment, RepaymentLedger } from '../../../../../shared/domain/repayment-booking.ts';
import type { LenderRepaymentParts } from '../../../../../shared/domain/repayment-split.ts';
import { WriteConflict, type RepaymentRecord, type RepaymentWrite } from '../../../../../shared/ports/stores.ts';
import { LEAD_ID, LOAN_ID, PARTNER_A, PARTNER_B } from '../../../../support/builders.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const stores = createStores(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES);
afterEach(() => ddb.reset());

const NOT_EXISTS = 'attribute_not_exists(pk)';
const AT = '2025-05-05T02:00:00.000Z';
const LOAN_PK = `LOAN#${LOAN_ID}`;

function cancelled(codes: readonly string[]): TransactionCanceledException {
  return new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
}

function parts(principalMinor: bigint, interestMinor: bigint): LenderRepaymentParts {
  return { principalMinor, interestMinor, penaltyMinor: 0n, feeMinor: 0n, spreadMinor: 0n };
}

/** Instalment 1 of the test loan paid on time (80,600 + 6,042), and a payment of 1,000 before it, reversed. */
const r1: BookedRepayment = {
  repaymentId: 'R-1',
  valueDate: '2025-04-01',
  amountMinor: 86_642n,
  kind: 'REGULAR',
  channel: 'AUTO_DEBIT',
  seq: 2,
  bookedAt: AT,
  generation: 0,
  entryId: 'REPAYMENT#R-1',
  split: {
    perLender: new Map([
      [LEAD_ID, parts(32_240n, 2_416n)],
      [PARTNER_A, parts(24_180n, 1_813n)],
      [PARTNER_B, parts(24_180n, 1_813n)],
    ]),
    suspenseMinor: 0n,
    suspenseLenderId: LEAD_ID,
    paidMinor: 86_642n,
  },
  reversal: null,
};
const r0: BookedRepayment = {
  repaymentId: 'R-0',
  valueDate: '2025-03-20',
  amountMinor: 1_000n,
  kind: 'REGULAR',
  channel: 'COUNTER',
  seq: 1,
  bookedAt: AT,
  generation: 1,
  entryId: 'REBOOK#R-0#1',
  split: { perLender: new Map([[LEAD_ID, parts(0n, 0n)]]), suspenseMinor: 1_000n, suspenseLenderId: LEAD_ID, paidMinor: 1_000n },
  reversal: { reversalId: 'V-0', reason: 'MISTAKEN', comment: 'keyed twice', reversedAt: AT, entryId: 'REVERSAL#V-0' },
};

function storedParts(lenderId: string, principalMinor: string, interestMinor: string) {
  return { lenderId, principalMinor, interestMinor, penaltyMinor: '0', feeMinor: '0', spreadMinor: '0' };
}

/** The two repayments as the ledger item holds them: lenders as a list, amounts as strings. */
const storedR0 = {
  repaymentId: 'R-0',
  valueDate: '2025-03-20',
  amountMinor: '1000',
  kind: 'REGULAR',
  channel: 'COUNTER',
  seq: 1,
  bookedAt: AT,
  generation: 1,
  entryId: 'REBOOK#R-0#1',
  split: { perLender: [storedParts(LEAD_ID, '0', '0')], suspenseMinor: '1000', suspenseLenderId: LEAD_ID, paidMinor: '1000' },
  reversal: { reversalId: 'V-0', reason: 'MISTAKEN', comment: 'keyed twice', reversedAt: AT, entryId: 'REVERSAL#V-0' },
};
const storedR1 = {
  repaymentId: 'R-1',
  valueDate: '2025-04-01',
  amountMinor: '86642',
  kind: 'REGULAR',
  channel: 'AUTO_DEBIT',
  seq: 2,
  bookedAt: AT,
  generation: 0,
  entryId: 'REPAYMENT#R-1',
  split: {
    perLender: [storedParts(LEAD_ID, '32240', '2416'), storedParts(PARTNER_A, '24180', '1813'), storedParts(PARTNER_B, '24180', '1813')],
    suspenseMinor: '0',
    suspenseLenderId: LEAD_ID,
    paidMinor: '86642',
  },
  reversal: null,
};

const ledger: RepaymentLedger = { loanId: LOAN_ID, version: 3, repayments: [r0, r1] };
const ledgerItem = { pk: LOAN_PK, sk: 'REPAYMENTS', entityType: 'RepaymentLedger', loanId: LOAN_ID, version: 3, repayments: [storedR0, storedR1] };

const leadPosition: Position = {
  lenderId: LEAD_ID,
  loanId: LOAN_ID,
  currency: 'CNY',
  balancesMinor: { PRINCIPAL_RECEIVABLE: 367_760n, SETTLEMENT_CLEARING: -365_344n, INTEREST_INCOME: -2_416n },
  version: 2,
};
const leadPositionItem = {
  pk: LOAN_PK,
  sk: `POS#${LEAD_ID}`,
  gsi1pk: `LENDER#${LEAD_ID}`,
  gsi1sk: LOAN_PK,
  entityType: 'Position',
  lenderId: LEAD_ID,
  loanId: LOAN_ID,
  currency: 'CNY',
  balancesMinor: { PRINCIPAL_RECEIVABLE: '367760', SETTLEMENT_CLEARING: '-365344', INTEREST_INCOME: '-2416' },
  version: 2,
};

describe('DynamoRepaymentStore.load', () => {
  it('reads the positions and the ledger in one consistent query and decodes splits back to maps of bigints', async () => {
    ddb.on(QueryCommand).resolves({ Items: [leadPositionItem, ledgerItem] });
    const loaded = await stores.repayments.load(LOAN_ID);
    const calls = ddb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      TableName: TABLES.ledger,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':p': LOAN_PK, ':from': 'POS#', ':to': 'REPAYMENTS' },
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
    });
    expect(loaded.positions).toEqual([leadPosition]);
    expect(loaded.ledger).toEqual(ledger);
    const split = loaded.ledger.repayments[1]!.split;
    expect(split.perLender).toBeInstanceOf(Map);
    expect([...split.perLender.keys()]).toEqual([LEAD_ID, PARTNER_A, PARTNER_B]);
    expect(split.perLender.get(PARTNER_A)?.interestMinor).toBe(1_813n);
    expect(typeof loaded.ledger.repayments[0]!.amountMinor).toBe('bigint');
  });

  it('answers an empty ledger at version 0 for a loan without repayments', async () => {
    ddb.on(QueryCommand).resolves({ Items: [leadPositionItem] });
    expect(await stores.repayments.load(LOAN_ID)).toEqual({ ledger: { loanId: LOAN_ID, version: 0, repayments: [] }, positions: [leadPosition] });
  });

  it('follows every page of the query', async () => {
    ddb.on(QueryCommand).resolvesOnce({ Items: [leadPositionItem], LastEvaluatedKey: { pk: LOAN_PK, sk: `POS#${LEAD_ID}` } }).resolvesOnce({ Items: [ledgerItem] });
    const loaded = await stores.repayments.load(LOAN_ID);
    expect(loaded.ledger.version).toBe(3);
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: LOAN_PK, sk: `POS#${LEAD_ID}` });
  });
});

const entry: JournalEntry = {
  entryId: 'REPAYMENT#R-1',
  eventType: 'REPAYMENT',
  eventId: 'R-1',
  loanId: LOAN_ID,
  currency: 'CNY',
  businessDate: '2025-04-01',
  legs: [
    { lenderId: LEAD_ID, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 34_656n, counterparty: 'ESCROW' },
    { lenderId: LEAD_ID, account: 'PRINCIPAL_RECEIVABLE', side: 'CREDIT', amountMinor: 32_240n, counterparty: null },
    { lenderId: LEAD_ID, account: 'INTEREST_INCOME', side: 'CREDIT', amountMinor: 2_416n, counterparty: null },
  ],
  createdAt: AT,
};
const entryItem = {
  pk: LOAN_PK,
  sk: 'ENTRY#REPAYMENT#R-1',
  gsi1pk: 'ENTRYDATE#2025-04-01#11',
  gsi1sk: `${LOAN_ID}#REPAYMENT#R-1`,
  entityType: 'JournalEntry',
  entryId: 'REPAYMENT#R-1',
  eventType: 'REPAYMENT',
  eventId: 'R-1',
  loanId: LOAN_ID,
  currency: 'CNY',
  businessDate: '2025-04-01',
  legs: [
    { lenderId: LEAD_ID, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: '34656', counterparty: 'ESCROW' },
    { lenderId: LEAD_ID, account: 'PRINCIPAL_RECEIVABLE', side: 'CREDIT', amountMinor: '32240', counterparty: null },
    { lenderId: LEAD_ID, account: 'INTEREST_INCOME', side: 'CREDIT', amountMinor: '2416', counterparty: null },
  ],
  createdAt: AT,
};

/** A lender with no position yet (expected version 0). */
const newPosition: Position = { lenderId: PARTNER_A, loanId: LOAN_ID, currency: 'CNY', balancesMinor: { SETTLEMENT_CLEARING: 1n, INTEREST_INCOME: -1n }, version: 1 };
const record: RepaymentRecord = { repaymentId: 'R-1', loanId: LOAN_ID, resultJson: '{"repaymentId":"R-1"}', createdAt: AT };

function change(overrides: Partial<RepaymentWrite> = {}): RepaymentWrite {
  return {
    ledger,
    entries: [entry],
    positions: [
      { position: leadPosition, expectedVersion: 1 },
      { position: newPosition, expectedVersion: 0 },
    ],
    record,
    ...overrides,
  };
}

function transactItems() {
  const calls = ddb.commandCalls(TransactWriteCommand);
  expect(calls).toHaveLength(1);
  return calls[0]?.args[0].input.TransactItems ?? [];
}

describe('DynamoRepaymentStore.write', () => {
  it('writes the ledger on its version, the entries, the positions on theirs and the record, in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.repayments.write(change());
    expect(transactItems()).toEqual([
      { Put: { TableName: TABLES.ledger, Item: ledgerItem, ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': 2 } } },
      { Put: { TableName: TABLES.ledger, Item: entryItem, ConditionExpression: NOT_EXISTS } },
      { Put: { TableName: TABLES.ledger, Item: leadPositionItem, ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': 1 } } },
      {
        Put: {
          TableName: TABLES.ledger,
          Item: {
            pk: LOAN_PK,
            sk: `POS#${PARTNER_A}`,
            gsi1pk: `LENDER#${PARTNER_A}`,
            gsi1sk: LOAN_PK,
            entityType: 'Position',
            lenderId: PARTNER_A,
            loanId: LOAN_ID,
            currency: 'CNY',
            balancesMinor: { SETTLEMENT_CLEARING: '1', INTEREST_INCOME: '-1' },
            version: 1,
          },
          ConditionExpression: NOT_EXISTS,
        },
      },
      {
        Put: {
          TableName: TABLES.state,
          Item: { pk: 'REPAYMENT#R-1', sk: 'REPAYMENT', entityType: 'RepaymentRecord', repaymentId: 'R-1', loanId: LOAN_ID, resultJson: '{"repaymentId":"R-1"}', createdAt: AT },
          ConditionExpression: NOT_EXISTS,
        },
      },
    ]);
  });

  it('writes the first ledger of a loan only if none exists, and no record for a reversal', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.repayments.write(change({ ledger: { loanId: LOAN_ID, version: 1, repayments: [r1] }, positions: [], record: null }));
    const items = transactItems();
    expect(items).toHaveLength(2);
    expect(items[0]).toEqual({
      Put: { TableName: TABLES.ledger, Item: { ...ledgerItem, version: 1, repayments: [storedR1] }, ConditionExpression: NOT_EXISTS },
    });
    expect(items[1]?.Put?.Item?.sk).toBe('ENTRY#REPAYMENT#R-1');
  });

  it('a failed condition on item i is a WriteConflict naming that item', async () => {
    // items: 0 ledger, 1 entry, 2 and 3 positions, 4 record
    const cases: [number, string][] = [
      [0, 'repayment-ledger'],
      [1, 'entry'],
      [2, 'position'],
      [3, 'position'],
      [4, 'repayment-record'],
    ];
    for (const [failed, entity] of cases) {
      ddb.reset();
      ddb.on(TransactWriteCommand).rejects(cancelled(Array.from({ length: 5 }, (_, i) => (i === failed ? 'ConditionalCheckFailed' : 'None'))));
      const conflict = await rejectedBy(WriteConflict, () => stores.repayments.write(change()));
      expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', entity]);
    }
  });
});

describe('DynamoRepaymentStore.record', () => {
  it('gets a repayment record consistently from the StateTable; null when absent', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { TableName: TABLES.state, Key: { pk: 'REPAYMENT#R-1', sk: 'REPAYMENT' }, ConsistentRead: true }).resolves({
      Item: { pk: 'REPAYMENT#R-1', sk: 'REPAYMENT', entityType: 'RepaymentRecord', ...record },
    });
    expect(await stores.repayments.record('R-1')).toEqual(record);
    expect(await stores.repayments.record('R-9')).toBeNull();
  });
});
