import { describe, expect, it } from 'vitest';
import { personApplicationOp, personBookingOp, personOf, personRefOf, personRefOp } from '../../../../../shared/adapters/dynamodb/person-items.ts';
import { noPerson } from '../../../../../shared/domain/person.ts';

const tables = { state: 'State', ledger: 'Ledger' };
const HASH = 'hmac-sha256:k1:' + 'cd'.repeat(32);
const REF = { identityHash: HASH, kind: 'LOAN' as const, id: 'LN-1', borrowerId: 'BRW-WEB', programId: 'PRG-1', at: '2025-03-01T00:00:00.000Z' };

describe('person items (S41, S42)', () => {
  it("a booking adds its id and raises the version only on the version read: a person only applications made counts as version 0", () => {
    const first = personBookingOp(tables, noPerson(HASH), { identityHash: HASH, borrowerIds: ['BRW-WEB'], version: 1 }, 'BRW-WEB').Update;
    expect(first?.Key).toEqual({ pk: `BORROWER#PERSON#${HASH}`, sk: 'PERSON' });
    expect([first?.ConditionExpression, first?.ExpressionAttributeValues?.[':next'], first?.ExpressionAttributeValues?.[':read']]).toEqual(['attribute_not_exists(#v)', 1, undefined]);
    expect(first?.ExpressionAttributeValues?.[':ids']).toEqual(new Set(['BRW-WEB']));
    const later = personBookingOp(tables, { identityHash: HASH, borrowerIds: ['BRW-WEB'], version: 4 }, { identityHash: HASH, borrowerIds: ['BRW-APP', 'BRW-WEB'], version: 5 }, 'BRW-APP').Update;
    expect([later?.ConditionExpression, later?.ExpressionAttributeValues?.[':read'], later?.ExpressionAttributeValues?.[':next']]).toEqual(['#v = :read', 4, 5]);
  });

  it('an application adds its id with no condition and no version; its listing is a plain Put under the person', () => {
    const op = personApplicationOp(tables, { ...REF, kind: 'APPLICATION', id: 'APP-1' }).Update;
    expect([op?.ConditionExpression, op?.UpdateExpression]).toEqual([undefined, 'SET entityType = :type, identityHash = :hash ADD borrowerIds :ids']);
    expect(personRefOp(tables, REF).Put?.Item).toEqual({ pk: `BORROWER#PERSON#${HASH}`, sk: 'REF#LOAN#LN-1', entityType: 'PersonRef', ...REF });
    expect(personRefOp(tables, { ...REF, kind: 'APPLICATION', id: 'APP-1' }).Put?.Item?.sk).toBe('REF#APP#APP-1');
  });

  it('reads back a person (ids in order, version 0 when no booking wrote one) and a listing', () => {
    expect(personOf(HASH, undefined)).toEqual(noPerson(HASH));
    expect(personOf(HASH, { pk: 'x', sk: 'PERSON', borrowerIds: new Set(['BRW-WEB', 'BRW-APP']) })).toEqual({ identityHash: HASH, borrowerIds: ['BRW-APP', 'BRW-WEB'], version: 0 });
    expect(personOf(HASH, { borrowerIds: new Set(['BRW-1']), version: 3 }).version).toBe(3);
    expect(personRefOf({ pk: 'x', sk: 'y', entityType: 'PersonRef', ...REF })).toEqual(REF);
  });
});
