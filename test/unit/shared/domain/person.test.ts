import { describe, expect, it } from 'vitest';
import { OWN_ID_ONLY, measuredWho, personOwed, type BorrowerOutstanding } from '../../../../shared/domain/exposure.ts';
import { bookPerson, noPerson, otherBorrowerIds, personHashOf, personRef } from '../../../../shared/domain/person.ts';
import { loanBookingItems, MAX_LOAN_LENDERS, MAX_TRANSACTION_ITEMS } from '../../../../shared/domain/transaction-size.ts';

const HASH = 'hmac-sha256:k1:' + 'ab'.repeat(32);

const owes = (borrowerId: string, unsecured: bigint, total: bigint, perLender: Record<string, bigint>): BorrowerOutstanding => ({
  borrowerId,
  unsecuredPersonalOutstandingMinor: unsecured,
  totalOutstandingMinor: total,
  perLenderMinor: perLender,
});

describe('personOwed', () => {
  it("adds every other id's figures to the id judged, per lender to the fen, and names the ids, the judged one first", () => {
    const own = owes('BRW-WEB', 100_001n, 300_001n, { 'BANK-A': 30_000n, 'LEAD-1': 70_001n });
    const others = [owes('BRW-APP', 5n, 7n, { 'BANK-A': 3n, 'BANK-B': 4n }), owes('BRW-H5', 0n, 1_000_000n, { 'LEAD-1': 1_000_000n })];
    expect(personOwed(own, others)).toEqual({
      borrowerId: 'BRW-WEB',
      borrowerIds: ['BRW-WEB', 'BRW-APP', 'BRW-H5'],
      unsecuredPersonalOutstandingMinor: 100_006n,
      totalOutstandingMinor: 1_300_008n,
      perLenderMinor: { 'BANK-A': 30_003n, 'LEAD-1': 1_070_001n, 'BANK-B': 4n },
    });
  });

  it('is the id alone when the person has no other id (or lists the id itself)', () => {
    const own = owes('BRW-1', 1n, 2n, { 'BANK-A': 1n });
    expect(personOwed(own, [])).toBe(own);
    expect(personOwed(own, [owes('BRW-1', 9n, 9n, {})])).toBe(own);
    expect(OWN_ID_ONLY).toEqual({ identityHash: null, others: [] });
  });

  it('names whom a refusal measured', () => {
    expect(measuredWho(owes('BRW-1', 0n, 0n, {}))).toBe('BRW-1');
    expect(measuredWho({ ...owes('BRW-1', 0n, 0n, {}), borrowerIds: ['BRW-1', 'BRW-2'] })).toBe('BRW-1 (one person with BRW-2)');
  });
});

describe('person', () => {
  it("is named by the request's hash, else by the hash the id was booked with, else by none", () => {
    expect(personHashOf({ personalData: { identityHash: HASH } }, { identityHash: 'hmac-sha256:k1:old' })).toBe(HASH);
    expect(personHashOf({}, { identityHash: HASH })).toBe(HASH);
    expect(personHashOf({ personalData: { identityHash: null } }, {})).toBeNull();
  });

  it('links an id once, in id order, and raises the version with every booking', () => {
    const one = bookPerson(noPerson(HASH), 'BRW-WEB');
    const two = bookPerson(one, 'BRW-APP');
    const again = bookPerson(two, 'BRW-WEB');
    expect([one, two, again]).toEqual([
      { identityHash: HASH, borrowerIds: ['BRW-WEB'], version: 1 },
      { identityHash: HASH, borrowerIds: ['BRW-APP', 'BRW-WEB'], version: 2 },
      { identityHash: HASH, borrowerIds: ['BRW-APP', 'BRW-WEB'], version: 3 },
    ]);
    expect(otherBorrowerIds(two, 'BRW-WEB')).toEqual(['BRW-APP']);
    expect(otherBorrowerIds(null, 'BRW-WEB')).toEqual([]);
    expect(personRef(HASH, 'LOAN', 'LN-1', 'BRW-WEB', 'PRG-1', '2025-03-01T00:00:00.000Z')).toEqual({ identityHash: HASH, kind: 'LOAN', id: 'LN-1', borrowerId: 'BRW-WEB', programId: 'PRG-1', at: '2025-03-01T00:00:00.000Z' });
  });

  it('costs a booking two items of its one transaction, and 22 lenders still fit with it', () => {
    const size = { lenders: 3, quotaShards: 3, reservations: 3, idempotency: false, applicationStep: true };
    expect(loanBookingItems({ ...size, person: true }) - loanBookingItems(size)).toBe(2);
    expect(MAX_LOAN_LENDERS).toBe(22);
    const largest = { lenders: 22, quotaShards: 22, reservations: 22, idempotency: false, applicationStep: true, person: true };
    expect(loanBookingItems(largest)).toBeLessThanOrEqual(MAX_TRANSACTION_ITEMS);
    expect(loanBookingItems(largest)).toBe(97);
  });
});
