import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SealedValue } from '../../domain/personal-data.ts';
import type { PersonalDataCipher } from '../../ports/personal-data.ts';
import { DATA_KEY_BYTES, gcmOpen, gcmSeal, valueAad } from './envelope.ts';

/**
 * The local stack's keys: key-encryption keys by version (the current one wraps new data keys,
 * the others still unwrap what they wrapped) and the separate hash key. Kept in a file of the
 * state folder (`.colend/`, mode 0600), never in a table.
 */
export interface LocalKeys {
  readonly current: string;
  readonly encryption: Readonly<Record<string, string>>;
  readonly hash: { readonly version: string; readonly key: string };
}

export const LOCAL_KEY_ID = 'local';
const DATA_KEY_AAD = 'colend:data-key';

function newKey(): string {
  return randomBytes(DATA_KEY_BYTES).toString('base64');
}

function writeKeys(path: string, keys: LocalKeys): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const aside = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(aside, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  chmodSync(aside, 0o600);
  renameSync(aside, path);
}

function readKeys(path: string): LocalKeys | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const keys = JSON.parse(text) as LocalKeys;
  if (typeof keys.current !== 'string' || typeof keys.encryption?.[keys.current] !== 'string' || typeof keys.hash?.key !== 'string') {
    throw new Error(`${path} is not a personal-data key file: it needs current, encryption[current] and hash.key`);
  }
  return keys;
}

/** The key file, created (0600) with a first encryption key `v1` and a hash key when there is none. */
export function ensureLocalKeyFile(path: string): LocalKeys {
  const found = readKeys(path);
  if (found !== null) return found;
  const keys: LocalKeys = { current: 'v1', encryption: { v1: newKey() }, hash: { version: 'v1', key: newKey() } };
  writeKeys(path, keys);
  return keys;
}

/** Rotates the encryption key: a new version wraps every new data key; older versions stay to open what they wrapped. */
export function rotateLocalKeyFile(path: string): LocalKeys {
  const keys = ensureLocalKeyFile(path);
  const next = `v${Math.max(...Object.keys(keys.encryption).map((v) => Number(v.slice(1)) || 0)) + 1}`;
  const rotated: LocalKeys = { ...keys, current: next, encryption: { ...keys.encryption, [next]: newKey() } };
  writeKeys(path, rotated);
  return rotated;
}

/**
 * The local stand-in for KMS envelope encryption: each value gets its own data key, wrapped by the
 * file's current key-encryption key, and the wrapped data key and the key's version are stored
 * with the value. The file is read on each call, so a rotation is in force at once.
 */
export class LocalKeyFileCipher implements PersonalDataCipher {
  constructor(private readonly path: string) {}

  seal(plain: string, context: string): Promise<SealedValue> {
    const keys = ensureLocalKeyFile(this.path);
    const kek = Buffer.from(keys.encryption[keys.current] ?? '', 'base64');
    const dataKey = randomBytes(DATA_KEY_BYTES);
    const wrapped = gcmSeal(kek, dataKey, DATA_KEY_AAD);
    const value = gcmSeal(dataKey, Buffer.from(plain, 'utf8'), valueAad(context));
    return Promise.resolve({ alg: 'AES-256-GCM', keyId: LOCAL_KEY_ID, keyVersion: keys.current, encryptedDataKey: `${wrapped.iv}.${wrapped.ciphertext}`, ...value });
  }

  open(sealed: SealedValue, context: string): Promise<string> {
    // A value that does not open is a rejection, as KMS answers it, never a throw.
    return Promise.resolve().then(() => {
      const keys = ensureLocalKeyFile(this.path);
      const kek = keys.encryption[sealed.keyVersion];
      if (sealed.keyId !== LOCAL_KEY_ID || kek === undefined) throw new Error(`no local key ${sealed.keyId} version ${sealed.keyVersion} to open a sealed value`);
      const [iv = '', ciphertext = ''] = sealed.encryptedDataKey.split('.');
      const dataKey = gcmOpen(Buffer.from(kek, 'base64'), { iv, ciphertext }, DATA_KEY_AAD);
      return gcmOpen(dataKey, sealed, valueAad(context)).toString('utf8');
    });
  }

  keyedHash(value: string): Promise<string> {
    const { hash } = ensureLocalKeyFile(this.path);
    return Promise.resolve(`hmac-sha256:${hash.version}:${createHmac('sha256', Buffer.from(hash.key, 'base64')).update(value, 'utf8').digest('hex')}`);
  }
}
