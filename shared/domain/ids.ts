import { ValidationError } from './errors.ts';

/** Ids are chosen by the parties (a lender code, the lead's loan number); `#` is reserved for keys. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/**
 * A lender's id: an id without `:`. It names the lender's folder of files (its statements and its
 * bank's daily file set, `statements/{lenderId}/...`), whose paths hold letters, digits, `_`, `.`
 * and `-` only, as every file system and SFTP client of a partner bank takes them.
 */
export const LENDER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function assertId(value: string, path: string): string {
  if (!ID_PATTERN.test(value)) {
    throw new ValidationError(`${path} must be 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit`, {
      path,
      rule: 'id-format',
    });
  }
  return value;
}
