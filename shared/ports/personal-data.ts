import type { SealedValue } from '../domain/personal-data.ts';

/**
 * Encrypts personal data for the tables and matches it without decrypting (docs/personal-data.md):
 * KMS envelope encryption in AWS, a key file of the local stack's state folder on the local stack.
 */
export interface PersonalDataCipher {
  /** Encrypts a value, bound to its owner (`context`, e.g. `borrower:B-1`): opening it under another owner fails. */
  seal(plain: string, context: string): Promise<SealedValue>;
  /** Decrypts what `seal` made for the same owner; throws when it was altered or belongs to another. */
  open(sealed: SealedValue, context: string): Promise<string>;
  /** A keyed hash (HMAC-SHA256, under a key apart from the encryption key), `hmac-sha256:<keyVersion>:<hex>`: equal values hash equal. */
  keyedHash(value: string): Promise<string>;
}
