import { invariant } from './errors.ts';
import type { BorrowerExposure } from './exposure.ts';

/**
 * One person, as the keyed hash of its identity number knows it (docs/personal-data.md, matching
 * one person). The lead's channels give one person several borrower ids; the per-borrower caps
 * count every loan of the person, whichever id it was booked under. The hash is the person's key:
 * equal identity numbers give equal hashes, and nothing here ever holds the number.
 */
export interface Person {
  readonly identityHash: string;
  /** Every borrower id a booking or an application gave with this identity number, in id order. */
  readonly borrowerIds: readonly string[];
  /** Raised by each booking of the person, so two bookings of one person never pass on the same room. */
  readonly version: number;
}

export const noPerson = (identityHash: string): Person => ({ identityHash, borrowerIds: [], version: 0 });

export type PersonRefKind = 'APPLICATION' | 'LOAN';

/** A loan or an application of a person, as the lookup lists it before reading the record itself. */
export interface PersonRef {
  readonly identityHash: string;
  readonly kind: PersonRefKind;
  /** The loan id or the application id. */
  readonly id: string;
  readonly borrowerId: string;
  readonly programId: string;
  readonly at: string;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The person a borrower is measured as: the hash its request carries, else the one its borrower
 * id was last booked with (S43); null when neither, and the borrower id alone is measured.
 */
export function personHashOf(borrower: { readonly personalData?: { readonly identityHash: string | null } | undefined }, booked: Pick<BorrowerExposure, 'identityHash'>): string | null {
  return borrower.personalData?.identityHash ?? booked.identityHash ?? null;
}

/** The person's borrower ids other than this one: whose figures are added to its own. */
export function otherBorrowerIds(person: Person | null, borrowerId: string): string[] {
  return person === null ? [] : person.borrowerIds.filter((id) => id !== borrowerId);
}

/** The person after one more booking under `borrowerId`: its id linked, its version raised. */
export function bookPerson(before: Person, borrowerId: string): Person {
  invariant(before.version >= 0, "a person's version is never negative", { version: before.version });
  const borrowerIds = before.borrowerIds.includes(borrowerId) ? before.borrowerIds : [...before.borrowerIds, borrowerId].sort(byId);
  return { identityHash: before.identityHash, borrowerIds, version: before.version + 1 };
}

/** A person's link to a loan or an application it was given for. */
export function personRef(identityHash: string, kind: PersonRefKind, id: string, borrowerId: string, programId: string, at: string): PersonRef {
  return { identityHash, kind, id, borrowerId, programId, at };
}
