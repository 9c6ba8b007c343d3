import { invariant } from '../../domain/errors.ts';
import type { BorrowerPrincipal, OutstandingMove, PrincipalShard } from '../../domain/exposure.ts';
import type { Item } from './codec.ts';
import type { Tables, TransactItems } from './client.ts';
import { stateKeys } from './state-keys.ts';

/**
 * The items that keep the limits' measure of outstanding principal current (StateTable S35,
 * S36): a lender's principal shards and a borrower's principal, each added to by every change of
 * a loan's book with `ADD`, so a change reads nothing and conditions nothing for them, and two
 * changes of different loans never wait on each other's version. Unlike the other amounts of the
 * table, which are whole items written from a read and kept as decimal strings, these are
 * DynamoDB numbers, the only type `ADD` adds: exact to 38 digits, and read back exactly (a safe
 * integer as a number, a larger one as a bigint, never a rounded float).
 */

type Op = TransactItems[number];

const BORROWER_LENDER_PREFIX = 'movedBy#';

/** A number attribute read back exactly as a bigint. */
export function exactMinor(value: unknown, field: string): bigint {
  if (typeof value === 'bigint') return value;
  invariant(typeof value === 'number' && Number.isSafeInteger(value), 'a number amount is a whole number of minor units read exactly', { field, value: String(value) });
  return BigInt(value);
}

/** Adds what a change moved to one lender's principal shard of the loan's lead. */
export function principalShardOp(tables: Tables, move: PrincipalShard): Op {
  return {
    Update: {
      TableName: tables.state,
      Key: stateKeys.principalShard(move.lenderId, move.leadLenderId, move.shard),
      UpdateExpression: 'SET entityType = :type, lenderId = :lender, leadLenderId = :lead, #shard = :shard ADD movedMinor :moved',
      ExpressionAttributeNames: { '#shard': 'shard' },
      ExpressionAttributeValues: { ':type': 'PrincipalShard', ':lender': move.lenderId, ':lead': move.leadLenderId, ':shard': move.shard, ':moved': move.movedMinor },
    },
  };
}

/** Adds what a change moved to the borrower's principal: in all, unsecured personal, and per lender (one attribute each). */
export function borrowerPrincipalOp(tables: Tables, moved: BorrowerPrincipal): Op {
  const lenders = Object.entries(moved.perLenderMovedMinor);
  const names = Object.fromEntries(lenders.map(([lenderId], i) => [`#l${i}`, `${BORROWER_LENDER_PREFIX}${lenderId}`]));
  const values = Object.fromEntries(lenders.map(([, amount], i) => [`:l${i}`, amount]));
  const adds = ['totalMovedMinor :total', 'unsecuredPersonalMovedMinor :unsecured', ...lenders.map((_, i) => `#l${i} :l${i}`)];
  return {
    Update: {
      TableName: tables.state,
      Key: stateKeys.borrowerPrincipal(moved.borrowerId),
      UpdateExpression: `SET entityType = :type, borrowerId = :borrower ADD ${adds.join(', ')}`,
      ...(lenders.length === 0 ? {} : { ExpressionAttributeNames: names }),
      ExpressionAttributeValues: { ':type': 'BorrowerPrincipal', ':borrower': moved.borrowerId, ':total': moved.totalMovedMinor, ':unsecured': moved.unsecuredPersonalMovedMinor, ...values },
    },
  };
}

/** The ops of what a change moved, each named for the transaction's failure reasons. */
export function outstandingOps(tables: Tables, move: OutstandingMove | undefined): { op: Op; entity: string }[] {
  if (move === undefined) return [];
  return [
    ...move.lenders.map((m) => ({ op: principalShardOp(tables, m), entity: 'principal-shard' })),
    ...(move.borrower === null ? [] : [{ op: borrowerPrincipalOp(tables, move.borrower), entity: 'borrower-principal' }]),
  ];
}

export function principalShardOf(item: Item): PrincipalShard {
  return {
    lenderId: item.lenderId as string,
    leadLenderId: item.leadLenderId as string,
    shard: item.shard as number,
    movedMinor: exactMinor(item.movedMinor, 'movedMinor'),
  };
}

export function borrowerPrincipalOf(item: Item): BorrowerPrincipal {
  const perLender = Object.entries(item)
    .filter(([name]) => name.startsWith(BORROWER_LENDER_PREFIX))
    .map(([name, value]): [string, bigint] => [name.slice(BORROWER_LENDER_PREFIX.length), exactMinor(value, name)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    borrowerId: item.borrowerId as string,
    unsecuredPersonalMovedMinor: exactMinor(item.unsecuredPersonalMovedMinor, 'unsecuredPersonalMovedMinor'),
    totalMovedMinor: exactMinor(item.totalMovedMinor, 'totalMovedMinor'),
    perLenderMovedMinor: Object.fromEntries(perLender),
  };
}
