import { expiresAtEpochSeconds } from '../../../../../shared/http/idempotency.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, ALL_STORES, createStores } from '../../../../../shared/adapters/dynamodb/index.ts';
import { decode, stripKeys, type Item } from '../../../../../shared/adapters/dynamodb/codec.ts';
import { addBorrowerExposure, commitQuota, noBorrowerExposure, noBorrowerPrincipal, quotaUsageOf, type QuotaShard, type QuotaTake, type Reservation } from '../../../../../shared/domain/exposure.ts';
import { applyEntry, openPosition } from '../../../../../shared/domain/ledger.ts';
import { bookLoan } from '../../../../../shared/domain/loan.ts';
import { loanSchedules } from '../../../../../shared/domain/schedule.ts';
import { WriteConflict, type IdempotencyRecord, type IdempotencyReservation, type LedgerCheckReport, type LoanBooking } from '../../../../../shared/ports/stores.ts';
import { LEAD_ID, LOAN_ID, NOW, PARTNER_A, PARTNER_B, PROGRAM_ID, aBookLoanRequest, aLender, aProgram, lenderMap } from '../../../../support/builders.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';
import { ValidationError } from '../../../../../shared/domain/errors.ts';
import { headItem, holderItem } from '../../../../../shared/adapters/dynamodb/loan-head.ts';
import { emptyLedger } from '../../../../../shared/domain/repayment-booking.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const stores = createStores(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES, ALL_STORES);
afterEach(() => ddb.reset());

const NOT_EXISTS = 'attribute_not_exists(pk)';

function record(scopeKey: string, responseBody = '{}'): IdempotencyRecord {
  return { scopeKey, requestHash: 'a'.repeat(64), statusCode: 201, responseBody, createdAt: NOW, expiresAtEpochSeconds: expiresAtEpochSeconds(NOW) };
}

function idempotencyPut(rec: IdempotencyRecord) {
  return { Put: { TableName: TABLES.state, Item: { pk: `IDEM#${rec.scopeKey}`, sk: 'IDEM', entityType: 'Idempotency', ...rec }, ConditionExpression: NOT_EXISTS } };
}

function cancelled(codes: readonly string[]): TransactionCanceledException {
  return new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
}

/** The items of the only TransactWriteItems call. */
function transactItems() {
  const calls = ddb.commandCalls(TransactWriteCommand);
  expect(calls).toHaveLength(1);
  return calls[0]?.args[0].input.TransactItems ?? [];
}

describe('DynamoLenderStore', () => {
  const lender = aLender({ lenderId: PARTNER_A, totalLoansMinor: null });
  const rec = record(`createLender#lead-ops#key-0001`);
  const storedItem: Item = {
    pk: `LENDER#${PARTNER_A}`,
    sk: 'LENDER',
    gsi1pk: 'LENDERS',
    gsi1sk: PARTNER_A,
    entityType: 'Lender',
    lenderId: PARTNER_A,
    name: lender.name,
    roles: ['PARTNER'],
    institutionType: 'NATIONAL_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: lender.settlementAccount,
    limits: { exposureQuotaMinor: '100000000000', perBorrowerCapMinor: '50000000', minShareBps: 0, maxShareBps: 10_000 },
    netTier1CapitalMinor: '50000000000000',
    totalLoansMinor: null,
    webhook: null,
    createdAt: NOW,
  };

  it('creates a lender with its idempotency record in one transaction, each Put conditional', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.lenders.create(lender, rec);
    expect(transactItems()).toEqual([idempotencyPut(rec), { Put: { TableName: TABLES.state, Item: storedItem, ConditionExpression: NOT_EXISTS } }]);
  });

  it('a lost race for the key is IDEMPOTENCY_KEY; an existing lender is ALREADY_EXISTS', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(['ConditionalCheckFailed', 'None'])).rejectsOnce(cancelled(['None', 'ConditionalCheckFailed']));
    const key = await rejectedBy(WriteConflict, () => stores.lenders.create(lender, rec));
    expect([key.reason, key.entity]).toEqual(['IDEMPOTENCY_KEY', 'idempotency']);
    const exists = await rejectedBy(WriteConflict, () => stores.lenders.create(lender, rec));
    expect([exists.reason, exists.entity]).toEqual(['ALREADY_EXISTS', 'lender']);
  });

  it('gets a lender by key with a consistent read, amounts back as bigint', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { TableName: TABLES.state, Key: { pk: `LENDER#${PARTNER_A}`, sk: 'LENDER' }, ConsistentRead: true }).resolves({ Item: storedItem });
    expect(await stores.lenders.get(PARTNER_A)).toEqual(lender);
    expect(await stores.lenders.get('NOBODY')).toBeNull();
  });

  it('lists lenders from gsi1, every page', async () => {
    ddb.on(QueryCommand).resolvesOnce({ Items: [storedItem], LastEvaluatedKey: { pk: 'x' } }).resolvesOnce({ Items: [{ ...storedItem, lenderId: PARTNER_B, pk: `LENDER#${PARTNER_B}` }] });
    const lenders = await stores.lenders.list();
    expect(lenders.map((l) => l.lenderId)).toEqual([PARTNER_A, PARTNER_B]);
    expect(lenders[0]).toEqual(lender);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'LENDERS' },
      ExclusiveStartKey: undefined,
    });
  });

  it('gets many lenders in batches of 100, without repeats, following unprocessed keys', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `L${String(i).padStart(3, '0')}`);
    const itemOf = (id: string) => ({ ...storedItem, pk: `LENDER#${id}`, lenderId: id });
    const keysOf = (input: unknown) => ((input as { RequestItems: Record<string, { Keys: { pk: string }[] }> }).RequestItems[TABLES.state]?.Keys ?? []).map((k) => k.pk);
    ddb.on(BatchGetCommand).callsFake((input: unknown) => {
      const keys = keysOf(input);
      // the first batch leaves its last key unprocessed once
      if (keys.length === 100) return { Responses: { [TABLES.state]: keys.slice(0, 99).map((pk) => itemOf(pk.slice(7))) }, UnprocessedKeys: { [TABLES.state]: { Keys: [{ pk: keys[99], sk: 'LENDER' }] } } };
      return { Responses: { [TABLES.state]: keys.map((pk) => itemOf(pk.slice(7))) } };
    });
    const found = await stores.lenders.getMany([...ids, 'L000', 'L001']);
    expect([...found.keys()].sort()).toEqual(ids);
    const calls = ddb.commandCalls(BatchGetCommand).map((c) => keysOf(c.args[0].input));
    expect(calls.map((k) => k.length)).toEqual([100, 1, 50]);
    expect(calls[1]).toEqual(['LENDER#L099']);
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLES.state]?.ConsistentRead).toBe(true);
  });
});

describe('DynamoProgramStore', () => {
  const program = aProgram({ version: 3 });
  const rec = record('createProgram#lead-ops#key-0002');

  it('writes a version under its padded key with a condition, amounts as strings', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.programs.createVersion(program, rec);
    const [idem, put] = transactItems();
    expect(idem).toEqual(idempotencyPut(rec));
    expect(put?.Put?.TableName).toBe(TABLES.state);
    expect(put?.Put?.ConditionExpression).toBe(NOT_EXISTS);
    const item = put?.Put?.Item ?? {};
    expect(item).toMatchObject({
      pk: `PROGRAM#${PROGRAM_ID}`,
      sk: 'V#000003',
      gsi1pk: 'PROGRAMS',
      gsi1sk: `${PROGRAM_ID}#V#000003`,
      entityType: 'Program',
      programId: PROGRAM_ID,
      version: 3,
      amountRange: { minMinor: '100000', maxMinor: '50000000' },
    });
    expect(item.participants).toEqual(program.participants.map((p) => ({ ...p, fixedAmountMinor: null, minAmountMinor: null })));
  });

  it('an existing version is ALREADY_EXISTS on the program', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    const conflict = await rejectedBy(WriteConflict, () => stores.programs.createVersion(program, rec));
    expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', 'program']);
  });

  it('gets a given version by key, and the latest by a descending query of one', async () => {
    const stored = { pk: `PROGRAM#${PROGRAM_ID}`, sk: 'V#000003', gsi1pk: 'PROGRAMS', gsi1sk: `${PROGRAM_ID}#V#000003`, entityType: 'Program', ...program, amountRange: { minMinor: '100000', maxMinor: '50000000' } };
    ddb.on(GetCommand, { Key: { pk: `PROGRAM#${PROGRAM_ID}`, sk: 'V#000003' } }).resolves({ Item: stored });
    ddb.on(QueryCommand).resolves({ Items: [stored] });
    expect(await stores.programs.get(PROGRAM_ID, 3)).toEqual(program);
    expect(await stores.programs.get(PROGRAM_ID, null)).toEqual(program);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :v)',
      ExpressionAttributeValues: { ':p': `PROGRAM#${PROGRAM_ID}`, ':v': 'V#' },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
  });

  it('answers null for a program without versions', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(GetCommand).resolves({});
    expect(await stores.programs.get('NONE', null)).toBeNull();
    expect(await stores.programs.get('NONE', 1)).toBeNull();
  });

  it('lists every version from gsi1', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ entityType: 'Program', programId: 'P', version: 1 }] });
    expect(await stores.programs.list()).toEqual([{ programId: 'P', version: 1 }]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ IndexName: 'gsi1', ExpressionAttributeValues: { ':p': 'PROGRAMS' } });
  });
});

describe('DynamoLoanStore.book', () => {
  const program = aProgram();
  const lenders = lenderMap();
  const booked = bookLoan(aBookLoanRequest(), program, lenders, NOW);
  const { loan, entry } = booked;
  const positions = loan.fundingPlan.map((p) => applyEntry(openPosition(p.lenderId, LOAN_ID, 'CNY'), entry));
  const schedules = loanSchedules(loan);
  const rec = record('bookLoan#lead-ops#key-0003');
  const ledgerPut = (Item: Item) => ({ Put: { TableName: TABLES.ledger, Item, ConditionExpression: NOT_EXISTS } });
  const holder = (lenderId: string) =>
    ledgerPut({ pk: `LOAN#${LOAN_ID}`, sk: `HOLDER#${lenderId}`, gsi1pk: `LENDER#${lenderId}`, gsi1sk: `LOAN#${LOAN_ID}`, entityType: 'Holder', loanId: LOAN_ID, lenderId });
  const balances = (amount: string) => [['PRINCIPAL_RECEIVABLE', amount], ['SETTLEMENT_CLEARING', `-${amount}`]];
  const head = ledgerPut({
    pk: `LOAN#${LOAN_ID}`,
    sk: 'HEAD',
    entityType: 'LoanHead',
    loanId: LOAN_ID,
    version: 1,
    nextSeq: 1,
    lastKey: null,
    state: null,
    positions: JSON.stringify([
      [LEAD_ID, 'CNY', 1, balances('400000')],
      [PARTNER_A, 'CNY', 1, balances('300000')],
      [PARTNER_B, 'CNY', 1, balances('300000')],
    ]),
  });
  /** A leg as stored: one string of lender, account, side, amount and counterparty. */
  const leg = (lenderId: string, account: string, side: string, amountMinor: string, counterparty: string) => `${lenderId} ${account} ${side} ${amountMinor} ${counterparty}`;
  const part = (lenderId: string) => {
    const found = loan.fundingPlan.find((p) => p.lenderId === lenderId);
    if (!found) throw new Error(`no part for ${lenderId}`);
    return found;
  };
  const lender = (lenderId: string) => {
    const found = lenders.get(lenderId);
    if (!found) throw new Error(`no lender ${lenderId}`);
    return found;
  };

  /** Shard `n` of a lender's quota as stored (RMB 1,000,000,000.00 over 8 shards). */
  const shard = (lenderId: string, n: number, overrides: Partial<QuotaShard> = {}): QuotaShard => ({
    lenderId,
    shard: n,
    allotmentMinor: 12_500_000_000n,
    reservedMinor: 0n,
    committedMinor: 0n,
    committedByLeadMinor: {},
    version: 1,
    ...overrides,
  });
  const commit = (lenderId: string, stored: readonly QuotaShard[], reservation: Reservation | null) =>
    commitQuota(lender(lenderId), quotaUsageOf(lender(lenderId), stored, []), part(lenderId), LEAD_ID, reservation, LOAN_ID);

  /**
   * The loan id starts at shard 3. Partner A has booked on shard 3 before (version 3); the lead
   * and partner B have never written it.
   */
  const partnerAShard3 = shard(PARTNER_A, 3, { committedMinor: 5_000_000n, committedByLeadMinor: { [LEAD_ID]: 5_000_000n }, version: 3 });
  const directQuotas = [commit(LEAD_ID, [], null), commit(PARTNER_A, [partnerAShard3], null), commit(PARTNER_B, [], null)].flat();
  const exposureBefore = noBorrowerExposure('BRW-0001');
  const exposureAfter = addBorrowerExposure(exposureBefore, noBorrowerPrincipal(loan.borrower.borrowerId), loan.borrower, loan.principalMinor, loan.fundingPlan, lenders, 'CN-2021');
  const direct: LoanBooking = {
    booked,
    positions,
    schedules,
    quotas: directQuotas,
    exposure: { before: exposureBefore, after: exposureAfter },
    person: null,
    idempotency: rec,
    usedReservations: [],
    applicationChange: null,
  };

  /**
   * The same loan booked from its application: every part was reserved (partner B's over shards 5
   * and 6, the others' on shard 5 alone), the step is recorded.
   */
  const takesOf: Record<string, QuotaTake[]> = {
    [LEAD_ID]: [{ shard: 5, amountMinor: 400_000n }],
    [PARTNER_A]: [{ shard: 5, amountMinor: 300_000n }],
    [PARTNER_B]: [
      { shard: 5, amountMinor: 100_000n },
      { shard: 6, amountMinor: 200_000n },
    ],
  };
  const reserved = (lenderId: string): Reservation => ({ applicationId: LOAN_ID, lenderId, amountMinor: part(lenderId).amountMinor, takes: takesOf[lenderId] ?? [], state: 'RESERVED', at: NOW });
  const reservedShards: Record<string, QuotaShard[]> = {
    [LEAD_ID]: [shard(LEAD_ID, 5, { reservedMinor: 400_000n })],
    [PARTNER_A]: [shard(PARTNER_A, 5, { reservedMinor: 300_000n })],
    [PARTNER_B]: [shard(PARTNER_B, 5, { reservedMinor: 100_000n, version: 2 }), shard(PARTNER_B, 6, { reservedMinor: 200_000n })],
  };
  const fromApplication: LoanBooking = {
    ...direct,
    quotas: [LEAD_ID, PARTNER_A, PARTNER_B].flatMap((id) => commit(id, reservedShards[id] ?? [], reserved(id))),
    idempotency: null,
    usedReservations: [LEAD_ID, PARTNER_A, PARTNER_B].map((id) => ({ ...reserved(id), state: 'USED', at: NOW })),
    applicationChange: {
      applicationId: LOAN_ID,
      change: { step: 'BookLoan', at: NOW, event: 'BOOKED', detail: { loanId: LOAN_ID }, set: { status: 'BOOKED', loanId: LOAN_ID } },
    },
  };

  function expectSchedules(items: readonly Record<string, unknown>[]): void {
    const [borrower, ...lenderItems] = items as { Put?: { TableName?: string; Item?: Item; ConditionExpression?: string } }[];
    const keysOf = (put: (typeof lenderItems)[number]) => [put.Put?.TableName, put.Put?.Item?.pk, put.Put?.Item?.sk, put.Put?.Item?.entityType, put.Put?.ConditionExpression];
    expect(keysOf(borrower ?? {})).toEqual([TABLES.state, `LOAN#${LOAN_ID}`, 'SCHEDULE#BORROWER', 'BorrowerSchedule', NOT_EXISTS]);
    expect(lenderItems.map(keysOf)).toEqual(
      [LEAD_ID, PARTNER_A, PARTNER_B].map((id) => [TABLES.state, `LOAN#${LOAN_ID}`, `SCHEDULE#LENDER#${id}`, 'LenderSchedule', NOT_EXISTS]),
    );
    expect(borrower?.Put?.Item?.totalPrincipalMinor).toBe('1000000');
    expect(decode(stripKeys(borrower?.Put?.Item ?? {}))).toEqual(schedules.borrower);
    expect(lenderItems.map((i) => decode(stripKeys(i.Put?.Item ?? {})))).toEqual(schedules.lenders);
    expect(Object.keys(borrower?.Put?.Item ?? {}).sort()).toEqual(['entityType', 'instalments', 'method', 'pk', 'sk', 'totalInterestMinor', 'totalPrincipalMinor']);
  }

  it('writes the idempotency record, the loan, the entry, one position and sub-schedule per lender, the quotas and the exposure in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.loans.book(direct);
    const items = transactItems();
    expect(items).toHaveLength(4 + 4 + 1 + 3 + 3 + 1);
    expect(items[0]).toEqual(idempotencyPut(rec));
    const loanPut = items[1]?.Put;
    expect(loanPut?.TableName).toBe(TABLES.state);
    expect(loanPut?.ConditionExpression).toBe(NOT_EXISTS);
    expect(loanPut?.Item).not.toHaveProperty('gsi1pk');
    expect(loanPut?.Item).toMatchObject({
      pk: `LOAN#${LOAN_ID}`,
      sk: 'LOAN',
      entityType: 'Loan',
      principalMinor: '1000000',
      fundingPlan: [
        { lenderId: LEAD_ID, amountMinor: '400000', role: 'LEAD' },
        { lenderId: PARTNER_A, amountMinor: '300000', role: 'PARTNER' },
        { lenderId: PARTNER_B, amountMinor: '300000', role: 'PARTNER' },
      ],
      terms: { amountRange: { minMinor: '100000', maxMinor: '50000000' } },
    });
    // The loan's facts carry the shard's listing (S7), about 200 bytes where the loan is kilobytes.
    expect(items[2]).toEqual({
      Put: {
        TableName: TABLES.state,
        Item: {
          pk: `LOAN#${LOAN_ID}`,
          sk: 'FACTS',
          gsi1pk: 'LOANSHARD#11',
          gsi1sk: LOAN_ID,
          entityType: 'LoanFacts',
          loanId: LOAN_ID,
          programId: 'CONSUMER-2025',
          currency: 'CNY',
          principalMinor: '1000000',
          disbursementDate: '2025-03-01',
          funded: JSON.stringify([[LEAD_ID, '400000'], [PARTNER_A, '300000'], [PARTNER_B, '300000']]),
        },
        ConditionExpression: NOT_EXISTS,
      },
    });
    expect(items[3]).toEqual(
      ledgerPut({
        pk: `LOAN#${LOAN_ID}`,
        sk: `ENTRY#DISBURSEMENT#${LOAN_ID}`,
        gsi1pk: 'ENTRYDATE#2025-03-01#11',
        gsi1sk: `${LOAN_ID}#DISBURSEMENT#${LOAN_ID}`,
        entityType: 'JournalEntry',
        entryId: `DISBURSEMENT#${LOAN_ID}`,
        eventType: 'DISBURSEMENT',
        eventId: LOAN_ID,
        loanId: LOAN_ID,
        currency: 'CNY',
        businessDate: '2025-03-01',
        createdAt: NOW,
        bookedOn: '2025-03-01',
        programId: 'CONSUMER-2025',
        programVersion: 1,
        legs: [
          leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'D', '400000', ''),
          leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'C', '400000', 'ESCROW'),
          leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'D', '300000', ''),
          leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'C', '300000', 'ESCROW'),
          leg(PARTNER_B, 'PRINCIPAL_RECEIVABLE', 'D', '300000', ''),
          leg(PARTNER_B, 'SETTLEMENT_CLEARING', 'C', '300000', 'ESCROW'),
        ],
      }),
    );
    expect(items.slice(4, 8)).toEqual([head, holder(LEAD_ID), holder(PARTNER_A), holder(PARTNER_B)]);
    expectSchedules(items.slice(8, 12));
    const shardItem = (lenderId: string, committedMinor: string, version: number) => ({
      pk: `QUOTA#${lenderId}`,
      sk: 'SHARD#03',
      entityType: 'QuotaShard',
      lenderId,
      shard: 3,
      allotmentMinor: '12500000000',
      reservedMinor: '0',
      committedMinor,
      committedByLeadMinor: { [LEAD_ID]: committedMinor },
      version,
    });
    expect(items.slice(12, 15)).toEqual([
      { Put: { TableName: TABLES.state, Item: shardItem(LEAD_ID, '400000', 1), ConditionExpression: NOT_EXISTS } },
      { Put: { TableName: TABLES.state, Item: shardItem(PARTNER_A, '5300000', 4), ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': 3 } } },
      { Put: { TableName: TABLES.state, Item: shardItem(PARTNER_B, '300000', 1), ConditionExpression: NOT_EXISTS } },
    ]);
    expect(items[15]).toEqual({
      Put: {
        TableName: TABLES.state,
        Item: {
          pk: 'BORROWER#BRW-0001',
          sk: 'EXPOSURE',
          entityType: 'BorrowerExposure',
          borrowerId: 'BRW-0001',
          unsecuredPersonalOutstandingMinor: '1000000',
          totalOutstandingMinor: '1000000',
          perLenderMinor: { [LEAD_ID]: '400000', [PARTNER_A]: '300000', [PARTNER_B]: '300000' },
          version: 1,
        },
        ConditionExpression: NOT_EXISTS,
      },
    });
  });

  it("writes every shard a part takes from: a part past its shard's room goes on into the next, each on its own version", async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const nearlyFull = shard(PARTNER_A, 3, { committedMinor: 12_499_900_000n, committedByLeadMinor: { [LEAD_ID]: 12_499_900_000n }, version: 3 });
    await stores.loans.book({ ...direct, quotas: [commit(LEAD_ID, [], null), commit(PARTNER_A, [nearlyFull], null), commit(PARTNER_B, [], null)].flat() });
    const items = transactItems();
    expect(items).toHaveLength(4 + 4 + 1 + 3 + 4 + 1);
    expect(items.slice(12, 16).map((i) => [i.Put?.Item?.pk, i.Put?.Item?.sk, i.Put?.Item?.committedMinor, i.Put?.Item?.version, i.Put?.ConditionExpression, i.Put?.ExpressionAttributeValues])).toEqual([
      [`QUOTA#${LEAD_ID}`, 'SHARD#03', '400000', 1, NOT_EXISTS, undefined],
      [`QUOTA#${PARTNER_A}`, 'SHARD#03', '12500000000', 4, 'version = :v', { ':v': 3 }],
      [`QUOTA#${PARTNER_A}`, 'SHARD#04', '200000', 1, NOT_EXISTS, undefined],
      [`QUOTA#${PARTNER_B}`, 'SHARD#03', '300000', 1, NOT_EXISTS, undefined],
    ]);
    expect(items[16]?.Put?.Item?.sk).toBe('EXPOSURE');
  });

  it('booked from an application: no idempotency record; reservations RESERVED → USED and the application step, in the same transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.loans.book(fromApplication);
    const items = transactItems();
    expect(items).toHaveLength(3 + 4 + 4 + 4 + 1 + 3 + 1);
    expect(items.map((i) => String(i.Put?.Item?.sk ?? i.Update?.Key?.sk))).toEqual([
      'LOAN',
      'FACTS',
      `ENTRY#DISBURSEMENT#${LOAN_ID}`,
      'HEAD',
      `HOLDER#${LEAD_ID}`,
      `HOLDER#${PARTNER_A}`,
      `HOLDER#${PARTNER_B}`,
      'SCHEDULE#BORROWER',
      `SCHEDULE#LENDER#${LEAD_ID}`,
      `SCHEDULE#LENDER#${PARTNER_A}`,
      `SCHEDULE#LENDER#${PARTNER_B}`,
      'SHARD#05',
      'SHARD#05',
      'SHARD#05',
      'SHARD#06',
      'EXPOSURE',
      `RESV#${LEAD_ID}`,
      `RESV#${PARTNER_A}`,
      `RESV#${PARTNER_B}`,
      'APP',
    ]);
    expect(items[12]).toEqual({
      Put: {
        TableName: TABLES.state,
        Item: {
          pk: `QUOTA#${PARTNER_A}`,
          sk: 'SHARD#05',
          entityType: 'QuotaShard',
          lenderId: PARTNER_A,
          shard: 5,
          allotmentMinor: '12500000000',
          reservedMinor: '0',
          committedMinor: '300000',
          committedByLeadMinor: { [LEAD_ID]: '300000' },
          version: 2,
        },
        ConditionExpression: 'version = :v',
        ExpressionAttributeValues: { ':v': 1 },
      },
    });
    expect(items.slice(13, 15).map((i) => [i.Put?.Item?.pk, i.Put?.Item?.sk, i.Put?.Item?.reservedMinor, i.Put?.Item?.committedMinor, i.Put?.Item?.version, i.Put?.ExpressionAttributeValues])).toEqual([
      [`QUOTA#${PARTNER_B}`, 'SHARD#05', '0', '100000', 3, { ':v': 2 }],
      [`QUOTA#${PARTNER_B}`, 'SHARD#06', '0', '200000', 2, { ':v': 1 }],
    ]);
    expect(items.slice(16, 19)).toEqual(
      [LEAD_ID, PARTNER_A, PARTNER_B].map((lenderId) => ({
        Update: {
          TableName: TABLES.state,
          Key: { pk: `APP#${LOAN_ID}`, sk: `RESV#${lenderId}` },
          UpdateExpression: 'SET #s = :to, #at = :at',
          ConditionExpression: '#s = :from',
          ExpressionAttributeNames: { '#s': 'state', '#at': 'at' },
          ExpressionAttributeValues: { ':to': 'USED', ':from': 'RESERVED', ':at': NOW },
        },
      })),
    );
    expect(items[19]).toEqual({
      Update: {
        TableName: TABLES.state,
        Key: { pk: `APP#${LOAN_ID}`, sk: 'APP' },
        UpdateExpression: 'SET #timeline = list_append(#timeline, :event), #f0 = :v0, #f1 = :v1, #g1 = :g1 ADD #steps :stepSet',
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(#steps, :step)',
        ExpressionAttributeNames: { '#timeline': 'timeline', '#steps': 'steps', '#f0': 'status', '#f1': 'loanId', '#g1': 'gsi1pk' },
        ExpressionAttributeValues: {
          ':event': [{ at: NOW, step: 'BookLoan', event: 'BOOKED', detail: { loanId: LOAN_ID } }],
          ':step': 'BookLoan',
          ':stepSet': new Set(['BookLoan']),
          ':v0': 'BOOKED',
          ':v1': LOAN_ID,
          ':g1': 'APPSTATUS#BOOKED',
        },
      },
    });
  });

  it.each([
    [0, 'IDEMPOTENCY_KEY', 'idempotency'],
    [1, 'ALREADY_EXISTS', 'loan'],
    [2, 'ALREADY_EXISTS', 'loan'],
    [3, 'ALREADY_EXISTS', 'entry'],
    [4, 'ALREADY_EXISTS', 'position'],
    [6, 'ALREADY_EXISTS', 'position'],
    [8, 'ALREADY_EXISTS', 'schedule'],
    [10, 'ALREADY_EXISTS', 'schedule'],
    [13, 'ALREADY_EXISTS', 'quota'],
    [15, 'ALREADY_EXISTS', 'exposure'],
  ])('a failed condition on item %i of a direct booking is %s on %s', async (index, reason, entity) => {
    ddb.on(TransactWriteCommand).rejects(cancelled(Array.from({ length: 16 }, (_, i) => (i === index ? 'ConditionalCheckFailed' : 'None'))));
    const conflict = await rejectedBy(WriteConflict, () => stores.loans.book(direct));
    expect([conflict.reason, conflict.entity]).toEqual([reason, entity]);
  });

  it.each([
    [14, 'quota'],
    [16, 'reservation'],
    [19, 'application-step'],
  ])('a failed condition on item %i of a booking from an application is a conflict on %s', async (index, entity) => {
    ddb.on(TransactWriteCommand).rejects(cancelled(Array.from({ length: 20 }, (_, i) => (i === index ? 'ConditionalCheckFailed' : 'None'))));
    const conflict = await rejectedBy(WriteConflict, () => stores.loans.book(fromApplication));
    expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', entity]);
  });

  it('retries a transaction in flight and then books', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(['None', 'None', 'TransactionConflict', ...Array.from({ length: 13 }, () => 'None')])).resolves({});
    await stores.loans.book(direct);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('lets a throughput error through', async () => {
    const error = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(stores.loans.book(direct)).rejects.toBe(error);
  });

  it('reads the loan back exactly', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.loans.book(direct);
    const stored = transactItems()[1]?.Put?.Item;
    ddb.on(GetCommand, { TableName: TABLES.state, Key: { pk: `LOAN#${LOAN_ID}`, sk: 'LOAN' }, ConsistentRead: true }).resolves({ Item: stored });
    expect(await stores.loans.get(LOAN_ID)).toEqual(loan);
  });

  it("reads the loan's schedules back from its partition, consistently; null before booking", async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.loans.book(direct);
    const scheduleItems = transactItems()
      .slice(8, 12)
      .map((i) => i.Put?.Item ?? {});
    ddb.on(QueryCommand).resolvesOnce({ Items: scheduleItems }).resolvesOnce({ Items: [] });
    expect(await stores.loans.schedules(LOAN_ID)).toEqual(schedules);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': `LOAN#${LOAN_ID}`, ':s': 'SCHEDULE#' },
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
    });
    expect(await stores.loans.schedules('LN-NONE')).toBeNull();
  });

  it('lists the loan ids of a shard from gsi1', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ gsi1sk: 'LN-1' }, { gsi1sk: 'LN-9' }] });
    expect(await stores.loans.loanIdsOfShard(5)).toEqual(['LN-1', 'LN-9']);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'LOANSHARD#05' },
      ProjectionExpression: 'gsi1sk',
      ExclusiveStartKey: undefined,
    });
  });

  it("lists a shard's loans with their facts: the facts items as booked, and a loan booked before them that is listed itself", async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await stores.loans.book(direct);
    const [, loanItem, factsItem] = transactItems().map((i) => i.Put?.Item ?? {});
    const olderLoan = { ...loanItem, loanId: 'LN-OLD', pk: 'LOAN#LN-OLD', gsi1pk: 'LOANSHARD#11', gsi1sk: 'LN-OLD' };
    ddb.on(QueryCommand).resolves({ Items: [factsItem!, olderLoan] });
    const facts = { loanId: LOAN_ID, programId: 'CONSUMER-2025', currency: 'CNY', principalMinor: 1_000_000n, disbursementDate: '2025-03-01' };
    const funded = [
      { lenderId: LEAD_ID, amountMinor: 400_000n },
      { lenderId: PARTNER_A, amountMinor: 300_000n },
      { lenderId: PARTNER_B, amountMinor: 300_000n },
    ];
    expect(await stores.loans.factsOfShard(11)).toEqual([
      { ...facts, funded },
      { ...facts, loanId: 'LN-OLD', funded },
    ]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'LOANSHARD#11' },
      ExclusiveStartKey: undefined,
    });
  });
});

describe('DynamoLedgerStore', () => {
  const entryItem = { pk: 'LOAN#LN-1', sk: 'ENTRY#DISBURSEMENT#LN-1', entityType: 'JournalEntry', entryId: 'DISBURSEMENT#LN-1', legs: ['A PRINCIPAL_RECEIVABLE D 5 ', 'A SETTLEMENT_CLEARING C 5 ESCROW'] };
  const position = (loanId: string, lenderId: string, amount: bigint) => ({ lenderId, loanId, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: amount }, version: 1 });
  const head = (loanId: string) => headItem({ ...emptyLedger(loanId), version: 1 }, [position(loanId, 'A', 5n), position(loanId, 'B', 7n)]);

  it("reads a loan's entries and the positions on its head from its partition, consistently", async () => {
    ddb.on(QueryCommand).resolves({ Items: [entryItem, head('LN-1')] });
    expect(await stores.ledger.loanLedger('LN-1')).toEqual({
      entries: [
        {
          entryId: 'DISBURSEMENT#LN-1',
          legs: [
            { lenderId: 'A', account: 'PRINCIPAL_RECEIVABLE', side: 'DEBIT', amountMinor: 5n, counterparty: null },
            { lenderId: 'A', account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor: 5n, counterparty: 'ESCROW' },
          ],
        },
      ],
      positions: [position('LN-1', 'A', 5n), position('LN-1', 'B', 7n)],
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.ledger,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': 'LOAN#LN-1' },
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
    });
  });

  it("reads a settlement day's entries of a shard from the date index a page at a time, the next page only when asked for", async () => {
    const second = { ...entryItem, pk: 'LOAN#LN-2', entryId: 'DISBURSEMENT#LN-2' };
    ddb.on(QueryCommand).resolvesOnce({ Items: [entryItem], LastEvaluatedKey: { pk: 'LOAN#LN-1', sk: 'ENTRY#DISBURSEMENT#LN-1' } }).resolvesOnce({ Items: [second] });
    const pages = stores.ledger.entryPagesOfDayShard('2025-03-03', 5)[Symbol.asyncIterator]();
    expect((await pages.next()).value?.map((e: { entryId: string }) => e.entryId)).toEqual(['DISBURSEMENT#LN-1']);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.ledger,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'ENTRYDATE#2025-03-03#05' },
      ExclusiveStartKey: undefined,
    });
    expect((await pages.next()).value?.map((e: { entryId: string }) => e.entryId)).toEqual(['DISBURSEMENT#LN-2']);
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'LOAN#LN-1', sk: 'ENTRY#DISBURSEMENT#LN-1' });
    expect((await pages.next()).done).toBe(true);
  });

  it("reads a page of some days' entries shard by shard, at most 16 queries, and goes on from where it stopped", async () => {
    const keyOf = (n: number) => ({ pk: `LOAN#LN-${n}`, sk: `ENTRY#DISBURSEMENT#LN-${n}`, gsi1pk: 'ENTRYDATE#2025-03-03#01', gsi1sk: `LN-${n}#DISBURSEMENT#LN-${n}` });
    const item = (n: number) => ({ ...entryItem, pk: `LOAN#LN-${n}`, entryId: `DISBURSEMENT#LN-${n}` });
    // Shard 00 of 03-03 is empty; shard 01 fills the page of 2 and has more.
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': 'ENTRYDATE#2025-03-03#00' } }).resolves({ Items: [] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': 'ENTRYDATE#2025-03-03#01' } }).resolves({ Items: [item(1), item(2)], LastEvaluatedKey: keyOf(2) });
    const first = await stores.ledger.entryPageOfDays(['2025-03-03', '2025-03-04'], { limit: 2 });
    expect(first.items.map((e) => e.entryId)).toEqual(['DISBURSEMENT#LN-1', 'DISBURSEMENT#LN-2']);
    expect(first.cursor).toBe(Buffer.from(JSON.stringify(keyOf(2))).toString('base64url'));
    expect(ddb.commandCalls(QueryCommand).map((c) => [c.args[0].input.ExpressionAttributeValues?.[':p'], c.args[0].input.Limit, c.args[0].input.ExclusiveStartKey])).toEqual([
      ['ENTRYDATE#2025-03-03#00', 2, undefined],
      ['ENTRYDATE#2025-03-03#01', 2, undefined],
    ]);
    // The rest of shard 01, then 14 empty shards: 15 queries of the 16; the 16th, shard 00 of 03-04, is empty too, and the page stops there.
    ddb.reset();
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': 'ENTRYDATE#2025-03-03#01' } }).resolves({ Items: [item(3)] });
    const second = await stores.ledger.entryPageOfDays(['2025-03-03', '2025-03-04'], { limit: 2, cursor: first.cursor ?? undefined });
    expect(second.items.map((e) => e.entryId)).toEqual(['DISBURSEMENT#LN-3']);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(16);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExclusiveStartKey).toEqual(keyOf(2));
    // Stopped after shard 00 of 03-04: the cursor reads shard 01 of 03-04 from its start.
    expect(second.cursor).toBe(Buffer.from(JSON.stringify({ pk: '', sk: '', gsi1pk: 'ENTRYDATE#2025-03-04#01', gsi1sk: '' })).toString('base64url'));
    ddb.resetHistory();
    const last = await stores.ledger.entryPageOfDays(['2025-03-03', '2025-03-04'], { limit: 2, cursor: second.cursor ?? undefined });
    expect(last).toEqual({ items: [], cursor: null });
    expect(ddb.commandCalls(QueryCommand).map((c) => [c.args[0].input.ExpressionAttributeValues?.[':p'], c.args[0].input.ExclusiveStartKey])[0]).toEqual(['ENTRYDATE#2025-03-04#01', undefined]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(15);
  });

  it("refuses a cursor of a day not read, or a half-empty key, naming cursor, before reading", async () => {
    const cursorOf = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');
    for (const key of [
      { pk: '', sk: '', gsi1pk: 'ENTRYDATE#2025-02-28#01', gsi1sk: '' },
      { pk: 'LOAN#LN-1', sk: '', gsi1pk: 'ENTRYDATE#2025-03-03#01', gsi1sk: '' },
      { pk: 'LOAN#LN-1', sk: 'ENTRY#X', gsi1pk: 'ENTRYDATE#2025-03-03#16', gsi1sk: 'LN-1#X' },
    ]) {
      const error = await rejectedBy(ValidationError, () => stores.ledger.entryPageOfDays(['2025-03-03'], { limit: 2, cursor: cursorOf(key) }));
      expect(error.details).toEqual({ path: 'cursor', rule: 'cursor' });
    }
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it("reads a page of a lender's holdings from gsi1 from the cursor, then its position on each of those loans' heads, in holding order", async () => {
    const lastKey = { pk: 'LOAN#LN-2', sk: 'HOLDER#A', gsi1pk: 'LENDER#A', gsi1sk: 'LOAN#LN-2' };
    ddb.on(QueryCommand).resolves({ Items: [holderItem('LN-1', 'A'), holderItem('LN-2', 'A')], LastEvaluatedKey: lastKey });
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLES.ledger]: [head('LN-2'), head('LN-1')] } });
    const from = { pk: 'LOAN#LN-0', sk: 'HOLDER#A', gsi1pk: 'LENDER#A', gsi1sk: 'LOAN#LN-0' };
    const page = await stores.ledger.positionsOfLender('A', { limit: 2, cursor: Buffer.from(JSON.stringify(from)).toString('base64url') });
    expect(page).toEqual({ items: [position('LN-1', 'A', 5n), position('LN-2', 'A', 5n)], cursor: Buffer.from(JSON.stringify(lastKey)).toString('base64url') });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.ledger,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'LENDER#A' },
      Limit: 2,
      ExclusiveStartKey: from,
    });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input).toEqual({
      RequestItems: { [TABLES.ledger]: { Keys: [{ pk: 'LOAN#LN-1', sk: 'HEAD' }, { pk: 'LOAN#LN-2', sk: 'HEAD' }], ConsistentRead: true } },
    });
  });

  it('answers an empty last page without reading a head', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect(await stores.ledger.positionsOfLender('A', { limit: 50 })).toEqual({ items: [], cursor: null });
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(0);
  });
});

describe('DynamoIdempotencyStore', () => {
  const nowEpochSeconds = Date.parse(NOW) / 1000;
  const reservation: IdempotencyReservation = {
    scopeKey: 'postRepayments#lead-ops#key-0005',
    requestHash: 'b'.repeat(64),
    state: 'IN_PROGRESS',
    reservedAt: NOW,
    reservedUntilEpochSeconds: nowEpochSeconds + 60,
    expiresAtEpochSeconds: expiresAtEpochSeconds(NOW),
  };
  const failed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

  it('gets a record consistently, and puts one on a free key, over a reservation of the same request or over one that lapsed, in one PutItem', async () => {
    const rec = record('startLedgerCheck#fin#key-0004', '{"status":"STARTED"}');
    ddb.on(GetCommand, { TableName: TABLES.state, Key: { pk: `IDEM#${rec.scopeKey}`, sk: 'IDEM' }, ConsistentRead: true }).resolves({ Item: idempotencyPut(rec).Put.Item });
    ddb.on(PutCommand).resolves({});
    expect(await stores.idempotency.get(rec.scopeKey)).toEqual(rec);
    await stores.idempotency.put(rec);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLES.state,
        Item: { pk: `IDEM#${rec.scopeKey}`, sk: 'IDEM', entityType: 'Idempotency', ...rec },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :inProgress AND (requestHash = :hash OR reservedUntilEpochSeconds < :now))',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':hash': rec.requestHash, ':now': nowEpochSeconds },
      },
    ]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('a key held by another request is IDEMPOTENCY_KEY, for the record and for a reservation', async () => {
    ddb.on(PutCommand).rejects(failed());
    expect((await rejectedBy(WriteConflict, () => stores.idempotency.put(record('k')))).reason).toBe('IDEMPOTENCY_KEY');
    expect((await rejectedBy(WriteConflict, () => stores.idempotency.reserve(reservation, nowEpochSeconds))).reason).toBe('IDEMPOTENCY_KEY');
  });

  it('reserves a key in one conditional PutItem: free, or held by a reservation that lapsed', async () => {
    ddb.on(PutCommand).resolves({});
    await stores.idempotency.reserve(reservation, nowEpochSeconds);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      Item: { pk: `IDEM#${reservation.scopeKey}`, sk: 'IDEM', entityType: 'Idempotency', ...reservation },
      ConditionExpression: 'attribute_not_exists(pk) OR (#state = :inProgress AND reservedUntilEpochSeconds < :now)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':now': nowEpochSeconds },
    });
  });

  it('releases only its own reservation, in one UpdateItem that lets it lapse now (never a DeleteItem); a key held otherwise is left as it is', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejects(failed());
    await stores.idempotency.release(reservation, nowEpochSeconds + 5);
    await stores.idempotency.release(reservation, nowEpochSeconds + 5);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      Key: { pk: `IDEM#${reservation.scopeKey}`, sk: 'IDEM' },
      UpdateExpression: 'SET reservedUntilEpochSeconds = :lapsed, expiresAtEpochSeconds = :now',
      ConditionExpression: '#state = :inProgress AND requestHash = :hash AND reservedAt = :reservedAt',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':hash': reservation.requestHash, ':reservedAt': NOW, ':lapsed': 0, ':now': nowEpochSeconds + 5 },
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  });
});

describe('DynamoLedgerCheckStore', () => {
  const report: LedgerCheckReport = {
    businessDate: '2025-02-28',
    status: 'DIFFERENCES',
    loansChecked: 2,
    entriesChecked: 2,
    differenceCount: 1,
    completedAt: NOW,
  };

  it('puts the report of a date without a condition, so a rerun replaces it', async () => {
    ddb.on(PutCommand).resolves({});
    await stores.ledgerChecks.put(report);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      Item: { pk: 'LEDGERCHECK#2025-02-28', sk: 'REPORT', entityType: 'LedgerCheckReport', ...report },
    });
  });

  it('gets the report of a date', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { pk: 'LEDGERCHECK#2025-02-28', sk: 'REPORT' } }).resolves({ Item: { pk: 'LEDGERCHECK#2025-02-28', sk: 'REPORT', entityType: 'LedgerCheckReport', ...report } });
    expect(await stores.ledgerChecks.get('2025-02-28')).toEqual(report);
    expect(await stores.ledgerChecks.get('2025-03-01')).toBeNull();
  });
});
