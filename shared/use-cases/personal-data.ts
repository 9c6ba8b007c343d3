import type { Principal } from '../domain/access.ts';
import type { Borrower } from '../domain/loan.ts';
import type { Lender } from '../domain/lender.ts';
import {
  orderedFields,
  personalDataView,
  personalDataVisibility,
  type PersonalData,
  type PersonalDataSubject,
  type PersonalDataView,
  type SealedPersonalData,
  type SealedValue,
  type Visibility,
} from '../domain/personal-data.ts';
import type { PersonalDataCipher } from '../ports/personal-data.ts';

/**
 * Sealing personal data for the tables and showing it back (docs/personal-data.md): what every
 * function that takes or shows a borrower's or a lender's personal data goes through.
 */

/** A borrower as the request names it: its personal data, when given, in clear. */
export type BorrowerInput = Omit<Borrower, 'personalData'> & { readonly personalData?: PersonalData | undefined };

/** A borrower as the API shows it: its personal data in clear or masked, by the rule. */
export type BorrowerView = Omit<Borrower, 'personalData'> & { readonly personalData?: PersonalDataView };

const borrowerContext = (borrowerId: string): string => `borrower:${borrowerId}`;
const accountContext = (lenderId: string): string => `lender:${lenderId}:settlement-account`;

/** The identity number's keyed hash: the same person matches across borrowers and loans without the number being kept. */
export function identityHashOf(cipher: PersonalDataCipher, identityNumber: string): Promise<string> {
  return cipher.keyedHash(`identity-number:${identityNumber}`);
}

/** Seals a borrower's personal data, bound to the borrower id; a borrower without any stays as it is. */
export async function sealBorrower(cipher: PersonalDataCipher, input: BorrowerInput): Promise<Borrower> {
  const { personalData, ...borrower } = input;
  if (personalData === undefined) return borrower;
  const data = orderedFields(personalData);
  const sealed: SealedPersonalData = {
    sealed: await cipher.seal(JSON.stringify(data), borrowerContext(borrower.borrowerId)),
    identityHash: data.identityNumber === undefined ? null : await identityHashOf(cipher, data.identityNumber),
  };
  return { ...borrower, personalData: sealed };
}

/** Opens a borrower's sealed personal data (for its view only; never written back in clear). */
export async function openBorrower(cipher: PersonalDataCipher, borrower: Borrower): Promise<PersonalData | null> {
  if (borrower.personalData === undefined) return null;
  return JSON.parse(await cipher.open(borrower.personalData.sealed, borrowerContext(borrower.borrowerId))) as PersonalData;
}

/** A borrower as this visibility shows it, from the clear data at hand (a write's answer: no decryption). */
export function borrowerViewOf(borrower: Borrower, clear: PersonalData | null, visibility: Visibility): BorrowerView {
  const { personalData: _sealed, ...rest } = borrower;
  return clear === null ? rest : { ...rest, personalData: personalDataView(clear, visibility) };
}

/** A stored borrower as a caller sees it: decrypted only when there is personal data, masked unless the rule entitles the caller. */
export async function borrowerViewFor(cipher: PersonalDataCipher, principal: Principal, subject: PersonalDataSubject, borrower: Borrower): Promise<BorrowerView> {
  return borrowerViewOf(borrower, await openBorrower(cipher, borrower), personalDataVisibility(principal, subject));
}

/** A borrower with no personal data at all, not even sealed: what leaves the platform in review requests. */
export function withoutPersonalData(borrower: Borrower): Omit<Borrower, 'personalData'> {
  const { personalData: _sealed, ...rest } = borrower;
  return rest;
}

/** Seals a lender's settlement account number, bound to the lender. */
export function sealAccountNumber(cipher: PersonalDataCipher, lenderId: string, accountNumber: string): Promise<SealedValue> {
  return cipher.seal(accountNumber, accountContext(lenderId));
}

/** A lender's settlement account number in clear: opened, or as a record stored before sealing holds it. */
export async function openAccountNumber(cipher: PersonalDataCipher, lender: Lender): Promise<string> {
  const stored = lender.settlementAccount.accountNumber;
  return typeof stored === 'string' ? stored : cipher.open(stored, accountContext(lender.lenderId));
}
