import type { Person, PersonRef } from '../../domain/person.ts';
import { noPerson } from '../../domain/person.ts';
import type { Item } from './codec.ts';
import type { Tables, TransactItems } from './client.ts';
import { stateKeys } from './state-keys.ts';

/**
 * The items that make one person of several borrower ids (StateTable S41, S42;
 * docs/personal-data.md, matching one person). They hold the keyed hash of the identity number and
 * ids, never the number. A person's borrower ids are a string set, so an application and a booking
 * that add one at the same moment both keep theirs.
 */

type Op = TransactItems[number];

/**
 * A booking's write of the person: its borrower id added, its version raised, only if still at the
 * version read; a person an application created has no version yet, and counts as version 0.
 */
export function personBookingOp(tables: Tables, before: Person, after: Person, borrowerId: string): Op {
  return {
    Update: {
      TableName: tables.state,
      Key: stateKeys.person(after.identityHash),
      UpdateExpression: 'SET entityType = :type, identityHash = :hash, #v = :next ADD borrowerIds :ids',
      ConditionExpression: before.version === 0 ? 'attribute_not_exists(#v)' : '#v = :read',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: {
        ':type': 'Person',
        ':hash': after.identityHash,
        ':next': after.version,
        ':ids': new Set([borrowerId]),
        ...(before.version === 0 ? {} : { ':read': before.version }),
      },
    },
  };
}

/** An application's write of the person: its borrower id added, no version, no condition (an application books nothing). */
export function personApplicationOp(tables: Tables, ref: PersonRef): Op {
  return {
    Update: {
      TableName: tables.state,
      Key: stateKeys.person(ref.identityHash),
      UpdateExpression: 'SET entityType = :type, identityHash = :hash ADD borrowerIds :ids',
      ExpressionAttributeValues: { ':type': 'Person', ':hash': ref.identityHash, ':ids': new Set([ref.borrowerId]) },
    },
  };
}

/** A loan or an application listed under its person; written once with its record, so the same content if written again. */
export function personRefOp(tables: Tables, ref: PersonRef): Op {
  return {
    Put: {
      TableName: tables.state,
      Item: { ...stateKeys.personRef(ref.identityHash, ref.kind, ref.id), entityType: 'PersonRef', ...ref },
    },
  };
}

export function personOf(identityHash: string, item: Item | undefined): Person {
  if (item === undefined) return noPerson(identityHash);
  const ids = item.borrowerIds instanceof Set ? [...(item.borrowerIds as Set<string>)] : [];
  const version = typeof item.version === 'number' ? item.version : 0;
  return { identityHash, borrowerIds: ids.map(String).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), version };
}

export function personRefOf(item: Item): PersonRef {
  return {
    identityHash: String(item.identityHash),
    kind: item.kind === 'LOAN' ? 'LOAN' : 'APPLICATION',
    id: String(item.id),
    borrowerId: String(item.borrowerId),
    programId: String(item.programId),
    at: String(item.at),
  };
}
