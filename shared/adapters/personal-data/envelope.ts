import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM with a 96-bit random IV; the 128-bit tag is kept at the end of the ciphertext. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

export interface Encrypted {
  readonly iv: string;
  readonly ciphertext: string;
}

/** Encrypts under a data key, bound to `aad` (the owner): base64 IV and ciphertext with its tag. */
export function gcmSeal(key: Uint8Array, plain: Uint8Array, aad: string): Encrypted {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return { iv: iv.toString('base64'), ciphertext: body.toString('base64') };
}

/** Decrypts what `gcmSeal` made under the same key and `aad`; throws when anything was altered. */
export function gcmOpen(key: Uint8Array, sealed: Encrypted, aad: string): Buffer {
  const body = Buffer.from(sealed.ciphertext, 'base64');
  if (body.length < TAG_BYTES) throw new Error('a sealed value is shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
}

/** The AAD of a personal-data value: what it is and whose, so a value moved to another owner does not open. */
export function valueAad(context: string): string {
  return `colend:personal-data:${context}`;
}
