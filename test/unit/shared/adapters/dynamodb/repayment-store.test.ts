import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, ALL_STORES, createStores } from '../../../../../shared/adapters/dynamodb/index.ts';
import type { JournalEntry, Position } from '../../../../../shared/domain/ledger.ts';
import { emptyLedger, type BookedLoanEvent, type BookedRepayment, type RepaymentLedger } from '../../../../../shared/domain/repayment-booking.ts';
import { encodeAccountState } from '../../../../../shared/domain/account-state.ts';
import { LoanAccount, foldRepayments } from '../../../../../shared/domain/loan-account.ts';
import { bookLoan } from '../../../../../shared/domain/loan.ts';
import type { LenderRepaymentParts } from '../../../../../shared/domain/repayment-split.ts';
import { WriteConflict, type RepaymentRecord, type RepaymentWrite } from '../../../../../shared/ports/stores.ts';
import { LEAD_ID, LOAN_ID, PARTNER_A, PARTNER_B, aBookLoanRequest, aProgram, lenderMap } from '../../../../support/builders.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const stores = createStores(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES, ALL_STORES);
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

const loan = bookLoan(aBookLoanRequest(), aProgram(), lenderMap(), AT).loan;
/** The account where R-0 sits (it is reversed: the loan as disbursed), and after R-1. */
const STATE_R0 = new LoanAccount(loan).state();
const STATE_R1 = foldRepayments(loan, [{ repaymentId: 'R-1', valueDate: '2025-04-01', amountMinor: 86_642n, kind: 'REGULAR', seq: 2 }]).account.state();

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
  stateAfter: STATE_R1,
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
  stateAfter: STATE_R0,
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
  stateAfter: encodeAccountState(STATE_R0),
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
  stateAfter: encodeAccountState(STATE_R1),
};

const head: RepaymentLedger = {
  loanId: LOAN_ID,
  version: 3,
  nextSeq: 3,
  lastKey: { valueDate: '2025-04-01', seq: 2 },
  state: STATE_R1,
  base: STATE_R1,
  repayments: [],
  events: [],
};
const headItem = {
  pk: LOAN_PK,
  sk: 'HEAD',
  entityType: 'LoanHead',
  loanId: LOAN_ID,
  version: 3,
  nextSeq: 3,
  lastKey: { valueDate: '2025-04-01', seq: 2 },
  state: encodeAccountState(STATE_R1),
  positions: JSON.stringify([[LEAD_ID, 'CNY', 2, [['PRINCIPAL_RECEIVABLE', '367760'], ['SETTLEMENT_CLEARING', '-365344'], ['INTEREST_INCOME', '-2416']]]]),
};
const r0Item = { pk: LOAN_PK, sk: 'EV#2025-03-20#000000001', entityType: 'BookedRepayment', ...storedR0 };
const r1Item = { pk: LOAN_PK, sk: 'EV#2025-04-01#000000002', entityType: 'BookedRepayment', ...storedR1 };

const leadPosition: Position = {
  lenderId: LEAD_ID,
  loanId: LOAN_ID,
  currency: 'CNY',
  balancesMinor: { PRINCIPAL_RECEIVABLE: 367_760n, SETTLEMENT_CLEARING: -365_344n, INTEREST_INCOME: -2_416n },
  version: 2,
};
const HEAD_GET = { TableName: TABLES.ledger, Key: { pk: LOAN_PK, sk: 'HEAD' }, ConsistentRead: true };

describe('DynamoRepaymentStore.load', () => {
  it('a change after every event reads the head, with the positions on it, in one consistent GetItem, and nothing else', async () => {
    ddb.on(GetCommand).resolves({ Item: headItem });
    const loaded = await stores.repayments.load(LOAN_ID, { valueDate: '2025-05-01', seq: 999_999_999 });
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([HEAD_GET]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(loaded.positions).toEqual([leadPosition]);
    expect(loaded.ledger).toEqual(head);
  });

  it('a change before the latest event also reads the state just before it and the events from it on', async () => {
    ddb.on(GetCommand).resolves({ Item: headItem });
    ddb.on(QueryCommand, { ScanIndexForward: false }).resolves({ Items: [r0Item] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': LOAN_PK, ':from': 'EV#2025-03-25#999999999', ':to': 'EV#\uffff' } }).resolves({ Items: [r1Item] });
    const loaded = await stores.repayments.load(LOAN_ID, { valueDate: '2025-03-25', seq: 999_999_999 });
    const inputs = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(2);
    expect(inputs[0]).toEqual({
      TableName: TABLES.ledger,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':p': LOAN_PK, ':from': 'EV#', ':to': 'EV#2025-03-25#999999998' },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
    expect(inputs[1]).toMatchObject({ ExpressionAttributeValues: { ':p': LOAN_PK, ':from': 'EV#2025-03-25#999999999', ':to': 'EV#\uffff' }, ConsistentRead: true });
    expect(loaded.ledger).toEqual({ ...head, base: STATE_R0, repayments: [r1], events: [] });
    const split = loaded.ledger.repayments[0]!.split;
    expect(split.perLender).toBeInstanceOf(Map);
    expect([...split.perLender.keys()]).toEqual([LEAD_ID, PARTNER_A, PARTNER_B]);
    expect(split.perLender.get(PARTNER_A)?.interestMinor).toBe(1_813n);
  });

  it('reads the window again when a change landed between the head and the window, so the events read belong to the head read', async () => {
    // Version 3 is read, then R-2 (seq 3) lands as version 4 before the window is read.
    const r2Item = { ...r1Item, sk: 'EV#2025-04-02#000000003', repaymentId: 'R-2', valueDate: '2025-04-02', seq: 3, entryId: 'REPAYMENT#R-2' };
    const headV4 = { ...headItem, version: 4, nextSeq: 4, lastKey: { valueDate: '2025-04-02', seq: 3 } };
    ddb.on(GetCommand).resolvesOnce({ Item: headItem }).resolves({ Item: headV4 });
    ddb.on(QueryCommand, { ScanIndexForward: false }).resolves({ Items: [r0Item] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': LOAN_PK, ':from': 'EV#2025-03-25#999999999', ':to': 'EV#\uffff' } }).resolves({ Items: [r1Item, r2Item] });
    const loaded = await stores.repayments.load(LOAN_ID, { valueDate: '2025-03-25', seq: 999_999_999 });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(3);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(4);
    expect(loaded.ledger.version).toBe(4);
    expect(loaded.ledger.nextSeq).toBe(4);
    expect(loaded.ledger.repayments.map((r) => [r.repaymentId, r.seq])).toEqual([
      ['R-1', 2],
      ['R-2', 3],
    ]);
  });

  it('a book that changes on every read is refused as busy, naming the loan', async () => {
    let version = 3;
    ddb.on(GetCommand).callsFake(() => ({ Item: { ...headItem, version: version++ } }));
    ddb.on(QueryCommand).resolves({ Items: [] });
    await expect(stores.repayments.load(LOAN_ID, { valueDate: '2025-03-25', seq: 999_999_999 })).rejects.toMatchObject({ code: 'LOAN_BUSY', details: { loanId: LOAN_ID, attempts: 50 } });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(51);
  });

  it('the whole book: every event from the loan as disbursed, in arrival order, every page followed', async () => {
    ddb.on(GetCommand).resolves({ Item: headItem });
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':p': LOAN_PK, ':from': 'EV#', ':to': 'EV#\uffff' } })
      .resolvesOnce({ Items: [r1Item], LastEvaluatedKey: { pk: LOAN_PK, sk: r1Item.sk } })
      .resolvesOnce({ Items: [r0Item] });
    const loaded = await stores.repayments.load(LOAN_ID, 'ALL');
    expect(loaded.ledger).toEqual({ ...head, base: null, repayments: [r0, r1], events: [] });
    expect(typeof loaded.ledger.repayments[0]!.amountMinor).toBe('bigint');
  });

  it('answers an empty book at version 0 for a loan without a head', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await stores.repayments.load(LOAN_ID, { valueDate: '2025-04-01', seq: 999_999_999 })).toEqual({ ledger: emptyLedger(LOAN_ID), positions: [] });
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
  createdAt: AT,
  // One string per leg: lender, account, side, amount, counterparty.
  legs: [`${LEAD_ID} SETTLEMENT_CLEARING D 34656 ESCROW`, `${LEAD_ID} PRINCIPAL_RECEIVABLE C 32240 `, `${LEAD_ID} INTEREST_INCOME C 2416 `],
};

/** A lender with no position yet (expected version 0). */
const newPosition: Position = { lenderId: PARTNER_A, loanId: LOAN_ID, currency: 'CNY', balancesMinor: { SETTLEMENT_CLEARING: 1n, INTEREST_INCOME: -1n }, version: 1 };
const record: RepaymentRecord = { repaymentId: 'R-1', loanId: LOAN_ID, valueDate: '2025-04-01', seq: 2, resultJson: '{"repaymentId":"R-1"}', createdAt: AT };

function change(overrides: Partial<RepaymentWrite> = {}): RepaymentWrite {
  return {
    ledger: head,
    items: [{ kind: 'REPAYMENT', booked: r1 }],
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
  it('writes the head with every position on its version, the event, the entries, a new holder and the record, in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.repayments.write(change());
    const positions = JSON.stringify([
      [LEAD_ID, 'CNY', 2, [['PRINCIPAL_RECEIVABLE', '367760'], ['SETTLEMENT_CLEARING', '-365344'], ['INTEREST_INCOME', '-2416']]],
      [PARTNER_A, 'CNY', 1, [['SETTLEMENT_CLEARING', '1'], ['INTEREST_INCOME', '-1']]],
    ]);
    expect(transactItems()).toEqual([
      { Put: { TableName: TABLES.ledger, Item: { ...headItem, positions }, ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': 2 } } },
      { Put: { TableName: TABLES.ledger, Item: r1Item } },
      { Put: { TableName: TABLES.ledger, Item: entryItem, ConditionExpression: NOT_EXISTS } },
      { Put: { TableName: TABLES.ledger, Item: { pk: LOAN_PK, sk: `HOLDER#${PARTNER_A}`, gsi1pk: `LENDER#${PARTNER_A}`, gsi1sk: LOAN_PK, entityType: 'Holder', loanId: LOAN_ID, lenderId: PARTNER_A } } },
      {
        Put: {
          TableName: TABLES.state,
          Item: { pk: 'REPAYMENT#R-1', sk: 'REPAYMENT', entityType: 'RepaymentRecord', ...record },
          ConditionExpression: NOT_EXISTS,
        },
      },
    ]);
  });

  it('adds the principal the change moved to each lender\'s principal shard and the borrower\'s, in the same transaction, after the record', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const outstanding = {
      lenders: [{ lenderId: PARTNER_A, leadLenderId: LEAD_ID, shard: 4, movedMinor: -24_180n }],
      borrower: { borrowerId: 'BRW-0001', unsecuredPersonalMovedMinor: -24_180n, totalMovedMinor: -24_180n, perLenderMovedMinor: { [PARTNER_A]: -24_180n } },
    };
    await stores.repayments.write({ ...change(), outstanding });
    const items = transactItems();
    expect(items).toHaveLength(7);
    expect(items.slice(5).map((i) => [i.Update?.Key, i.Update?.ConditionExpression, i.Update?.UpdateExpression])).toEqual([
      [{ pk: `QUOTA#${PARTNER_A}`, sk: `PRINCIPAL#${LEAD_ID}#04` }, undefined, 'SET entityType = :type, lenderId = :lender, leadLenderId = :lead, #shard = :shard ADD movedMinor :moved'],
      [{ pk: 'BORROWER#BRW-0001', sk: 'PRINCIPAL' }, undefined, 'SET entityType = :type, borrowerId = :borrower ADD totalMovedMinor :total, unsecuredPersonalMovedMinor :unsecured, #l0 :l0'],
    ]);
  });

  it('writes the first head of a loan only if none exists, and no record for a reversal', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.repayments.write(change({ ledger: { ...head, version: 1 }, positions: [], record: null }));
    const items = transactItems();
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({ Put: { TableName: TABLES.ledger, Item: { ...headItem, version: 1, positions: '[]' }, ConditionExpression: NOT_EXISTS } });
    expect(items.map((i) => i.Put?.Item?.sk)).toEqual(['HEAD', 'EV#2025-04-01#000000002', 'ENTRY#REPAYMENT#R-1']);
  });

  it("a new compensation, write-off or transfer also writes where its id sits on the book", async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const transfer: BookedLoanEvent = {
      type: 'TRANSFER',
      eventId: 'T-1',
      valueDate: '2025-04-02',
      seq: 3,
      bookedAt: AT,
      transfer: { fromLenderId: PARTNER_A, toLenderId: LEAD_ID, principalMinor: 100n },
      reason: '',
      leadFirstLossCapMinor: null,
      generation: 0,
      entryId: 'TRANSFER#T-1',
      legs: [],
      stateAfter: STATE_R1,
    };
    await stores.repayments.write(change({ ledger: { ...head, version: 4, nextSeq: 4 }, items: [{ kind: 'EVENT', booked: transfer }], entries: [], positions: [], record: null }));
    const items = transactItems();
    expect(items.map((i) => i.Put?.Item?.sk)).toEqual(['HEAD', 'EV#2025-04-02#000000003', 'REF#TRANSFER#T-1']);
    expect(items[2]?.Put?.Item).toEqual({ pk: LOAN_PK, sk: 'REF#TRANSFER#T-1', entityType: 'EventRef', valueDate: '2025-04-02', seq: 3 });
  });

  it('a borrower period fee billed is written with its reference, its amount a decimal string, and no entry; read back as billed', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const stateAfter = { ...STATE_R1, feesOwed: [['SERVICE-B', 1_033n] as const] };
    const bill: BookedLoanEvent = {
      type: 'FEE',
      eventId: `SERVICE-B#2025-04#${LOAN_ID}`,
      valueDate: '2025-04-30',
      seq: 3,
      bookedAt: AT,
      transfer: null,
      fee: { ruleId: 'SERVICE-B', period: '2025-04', amountMinor: 1_033n },
      reason: 'period fee SERVICE-B of 2025-04',
      leadFirstLossCapMinor: null,
      generation: 0,
      entryId: '',
      legs: [],
      stateAfter,
    };
    await stores.repayments.write(change({ ledger: { ...head, version: 4, nextSeq: 4 }, items: [{ kind: 'EVENT', booked: bill }], entries: [], positions: [], record: null }));
    const items = transactItems();
    expect(items.map((i) => i.Put?.Item?.sk)).toEqual(['HEAD', 'EV#2025-04-30#000000003', `REF#FEE#SERVICE-B#2025-04#${LOAN_ID}`]);
    const stored = items[1]!.Put!.Item!;
    expect([stored.entityType, stored.fee, stored.entryId, stored.legs, stored.stateAfter]).toEqual(['BookedLoanEvent', { ruleId: 'SERVICE-B', period: '2025-04', amountMinor: '1033' }, '', [], encodeAccountState(stateAfter)]);
    ddb.on(GetCommand, { TableName: TABLES.ledger, Key: { pk: LOAN_PK, sk: `REF#FEE#SERVICE-B#2025-04#${LOAN_ID}` }, ConsistentRead: true }).resolves({ Item: items[2]!.Put!.Item! });
    ddb.on(GetCommand, { TableName: TABLES.ledger, Key: { pk: LOAN_PK, sk: 'EV#2025-04-30#000000003' }, ConsistentRead: true }).resolves({ Item: stored });
    expect(await stores.repayments.loanEvent(LOAN_ID, 'FEE', `SERVICE-B#2025-04#${LOAN_ID}`)).toEqual(bill);
  });

  it('a failed condition on item i is a WriteConflict naming that item', async () => {
    // items: 0 head, 1 event, 2 entry, 3 holder, 4 record
    const cases: [number, string][] = [
      [0, 'repayment-ledger'],
      [1, 'event'],
      [2, 'entry'],
      [3, 'holder'],
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

describe('DynamoRepaymentStore.item and loanEvent', () => {
  it('gets an event of the book by its key, and a compensation, write-off or transfer by its id; null when absent', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { TableName: TABLES.ledger, Key: { pk: LOAN_PK, sk: 'EV#2025-04-01#000000002' }, ConsistentRead: true }).resolves({ Item: r1Item });
    expect(await stores.repayments.item(LOAN_ID, { valueDate: '2025-04-01', seq: 2 })).toEqual({ kind: 'REPAYMENT', booked: r1 });
    expect(await stores.repayments.item(LOAN_ID, { valueDate: '2025-04-01', seq: 3 })).toBeNull();
    expect(await stores.repayments.loanEvent(LOAN_ID, 'TRANSFER', 'T-9')).toBeNull();
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
