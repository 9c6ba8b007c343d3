import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { createDocumentClient, ALL_STORES, createStores } from '../../../../../shared/adapters/dynamodb/index.ts';
import { borrowerPrincipalOp, exactMinor, outstandingOps, principalShardOp } from '../../../../../shared/adapters/dynamodb/outstanding-items.ts';
import { InvariantViolation } from '../../../../../shared/domain/errors.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B } from '../../../../support/builders.ts';
import { thrownBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const stores = createStores(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES, ALL_STORES);
afterEach(() => ddb.reset());

/** What the document client hands back for a number attribute: the default unmarshalling of the SDK. */
const asRead = (item: Record<string, unknown>): Record<string, unknown> => unmarshall(marshall(item));

describe('S35/S36 principal moved since booking, added with ADD', () => {
  it("adds to one lender's principal shard of the loan's lead, with no read and no condition", () => {
    expect(principalShardOp(TABLES, { lenderId: PARTNER_A, leadLenderId: LEAD_ID, shard: 5, movedMinor: -300_000n })).toEqual({
      Update: {
        TableName: TABLES.state,
        Key: { pk: `QUOTA#${PARTNER_A}`, sk: `PRINCIPAL#${LEAD_ID}#05` },
        UpdateExpression: 'SET entityType = :type, lenderId = :lender, leadLenderId = :lead, #shard = :shard ADD movedMinor :moved',
        ExpressionAttributeNames: { '#shard': 'shard' },
        ExpressionAttributeValues: { ':type': 'PrincipalShard', ':lender': PARTNER_A, ':lead': LEAD_ID, ':shard': 5, ':moved': -300_000n },
      },
    });
  });

  it("adds to the borrower's principal in all, unsecured personal and per lender, one attribute per lender", () => {
    const op = borrowerPrincipalOp(TABLES, { borrowerId: 'BRW-0001', unsecuredPersonalMovedMinor: -10n, totalMovedMinor: -10n, perLenderMovedMinor: { [PARTNER_A]: -4n, [PARTNER_B]: -6n } });
    expect(op.Update).toEqual({
      TableName: TABLES.state,
      Key: { pk: 'BORROWER#BRW-0001', sk: 'PRINCIPAL' },
      UpdateExpression: 'SET entityType = :type, borrowerId = :borrower ADD totalMovedMinor :total, unsecuredPersonalMovedMinor :unsecured, #l0 :l0, #l1 :l1',
      ExpressionAttributeNames: { '#l0': `movedBy#${PARTNER_A}`, '#l1': `movedBy#${PARTNER_B}` },
      ExpressionAttributeValues: { ':type': 'BorrowerPrincipal', ':borrower': 'BRW-0001', ':total': -10n, ':unsecured': -10n, ':l0': -4n, ':l1': -6n },
    });
    // A bigint is written as a DynamoDB number, the type ADD adds to, digit for digit.
    expect(marshall({ v: -123_456_789_012_345_678_901n })).toEqual({ v: { N: '-123456789012345678901' } });
  });

  it('a change that moved no principal writes nothing for the limits; one that did writes one item per lender and one for the borrower', () => {
    expect(outstandingOps(TABLES, undefined)).toEqual([]);
    expect(outstandingOps(TABLES, { lenders: [], borrower: null })).toEqual([]);
    const ops = outstandingOps(TABLES, {
      lenders: [
        { lenderId: LEAD_ID, leadLenderId: LEAD_ID, shard: 1, movedMinor: -4n },
        { lenderId: PARTNER_A, leadLenderId: LEAD_ID, shard: 1, movedMinor: -3n },
      ],
      borrower: { borrowerId: 'BRW-0001', unsecuredPersonalMovedMinor: 0n, totalMovedMinor: -7n, perLenderMovedMinor: { [LEAD_ID]: -4n, [PARTNER_A]: -3n } },
    });
    expect(ops.map((o) => [o.entity, o.op.Update?.Key])).toEqual([
      ['principal-shard', { pk: `QUOTA#${LEAD_ID}`, sk: `PRINCIPAL#${LEAD_ID}#01` }],
      ['principal-shard', { pk: `QUOTA#${PARTNER_A}`, sk: `PRINCIPAL#${LEAD_ID}#01` }],
      ['borrower-principal', { pk: 'BORROWER#BRW-0001', sk: 'PRINCIPAL' }],
    ]);
  });

  it('reads a number amount exactly: a safe integer as it is, a larger one as the bigint the SDK gives, never a rounded float', () => {
    expect(exactMinor(asRead({ v: -300_000n }).v, 'v')).toBe(-300_000n);
    expect(exactMinor(asRead({ v: 9_007_199_254_740_993n }).v, 'v')).toBe(9_007_199_254_740_993n);
    expect(thrownBy(InvariantViolation, () => exactMinor(0.5, 'movedMinor')).details).toMatchObject({ field: 'movedMinor', value: '0.5' });
    expect(thrownBy(InvariantViolation, () => exactMinor('12', 'movedMinor')).details).toMatchObject({ field: 'movedMinor' });
  });

  it("reads a lender's principal shards, every lead's, consistently from its quota partition", async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        asRead({ pk: `QUOTA#${PARTNER_A}`, sk: `PRINCIPAL#${LEAD_ID}#03`, entityType: 'PrincipalShard', lenderId: PARTNER_A, leadLenderId: LEAD_ID, shard: 3, movedMinor: -250_000n }),
        asRead({ pk: `QUOTA#${PARTNER_A}`, sk: 'PRINCIPAL#LEAD-2#07', entityType: 'PrincipalShard', lenderId: PARTNER_A, leadLenderId: 'LEAD-2', shard: 7, movedMinor: 12_345_678_901_234_567n }),
      ],
    });
    expect(await stores.exposure.principalShards(PARTNER_A)).toEqual([
      { lenderId: PARTNER_A, leadLenderId: LEAD_ID, shard: 3, movedMinor: -250_000n },
      { lenderId: PARTNER_A, leadLenderId: 'LEAD-2', shard: 7, movedMinor: 12_345_678_901_234_567n },
    ]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': `QUOTA#${PARTNER_A}`, ':s': 'PRINCIPAL#' },
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
    });
  });

  it("reads a borrower's principal moved, and nothing moved when it was never written", async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { pk: 'BORROWER#BRW-0001', sk: 'PRINCIPAL' } }).resolves({
      Item: asRead({ pk: 'BORROWER#BRW-0001', sk: 'PRINCIPAL', entityType: 'BorrowerPrincipal', borrowerId: 'BRW-0001', totalMovedMinor: -7n, unsecuredPersonalMovedMinor: -7n, [`movedBy#${PARTNER_A}`]: -3n, [`movedBy#${LEAD_ID}`]: -4n }),
    });
    expect(await stores.exposure.borrowerPrincipal('BRW-0001')).toEqual({
      borrowerId: 'BRW-0001',
      unsecuredPersonalMovedMinor: -7n,
      totalMovedMinor: -7n,
      perLenderMovedMinor: { [LEAD_ID]: -4n, [PARTNER_A]: -3n },
    });
    expect(await stores.exposure.borrowerPrincipal('BRW-0002')).toEqual({ borrowerId: 'BRW-0002', unsecuredPersonalMovedMinor: 0n, totalMovedMinor: 0n, perLenderMovedMinor: {} });
  });
});
