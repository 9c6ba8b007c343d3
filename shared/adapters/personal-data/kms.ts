import type { SealedValue } from '../../domain/personal-data.ts';
import type { PersonalDataCipher } from '../../ports/personal-data.ts';
import { gcmOpen, gcmSeal, valueAad } from './envelope.ts';

/**
 * The three KMS operations the cipher sends, in the shapes of the KMS API (GenerateDataKey,
 * Decrypt, GenerateMac), so any KMS client binds to it in a few lines.
 */
export interface KmsOperations {
  generateDataKey(input: { KeyId: string; KeySpec: 'AES_256'; EncryptionContext: Record<string, string> }): Promise<{ Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array; KeyId?: string }>;
  decrypt(input: { KeyId: string; CiphertextBlob: Uint8Array; EncryptionContext: Record<string, string> }): Promise<{ Plaintext?: Uint8Array; KeyId?: string }>;
  generateMac(input: { KeyId: string; Message: Uint8Array; MacAlgorithm: 'HMAC_SHA_256' }): Promise<{ Mac?: Uint8Array }>;
}

export interface KmsCipherOptions {
  /** The customer-managed symmetric key (its ARN) that encrypts the data keys. */
  readonly keyId: string;
  /** The customer-managed HMAC_256 key (its ARN) of the keyed hashes. */
  readonly hashKeyId: string;
  /** The label of the hash key, stored with each hash (`hmac-sha256:<label>:…`). */
  readonly hashKeyVersion: string;
  /** How long, and for how many values, one generated data key encrypts. */
  readonly dataKeyMaxAgeMs: number;
  readonly dataKeyMaxUses: number;
  /** How long a decrypted data key (and a keyed hash) is kept, and how many at most. */
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly nowMs?: () => number;
}

/** A warm function's bounds: a data key encrypts for 5 minutes or 1,000 values; decrypted keys and hashes are kept 5 minutes, 1,000 of each. */
export const KMS_CIPHER_DEFAULTS = { dataKeyMaxAgeMs: 300_000, dataKeyMaxUses: 1_000, cacheTtlMs: 300_000, cacheMaxEntries: 1_000 } as const;

/** The encryption context of every data key: KMS refuses to decrypt it for another purpose, and CloudTrail names it. */
const CONTEXT = { purpose: 'colend-personal-data' } as const;
/** A KMS key's rotation is inside its encrypted data key: Decrypt picks the version itself. */
export const KMS_KEY_VERSION = 'kms';

interface DataKey {
  readonly plain: Uint8Array;
  readonly encrypted: string;
  readonly keyId: string;
  readonly createdMs: number;
  uses: number;
}

/** A bounded cache by key: entries expire after `ttlMs`; the oldest goes first when full. */
class BoundedCache<T> {
  private readonly entries = new Map<string, { value: T; atMs: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly nowMs: () => number,
  ) {}

  get(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (this.nowMs() - hit.atMs >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: T): void {
    this.entries.delete(key);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, atMs: this.nowMs() });
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`KMS answered without ${what}`);
  return value;
}

/**
 * Envelope encryption with a customer-managed KMS key: a data key from GenerateDataKey (AES-256)
 * encrypts values with AES-256-GCM; its encrypted copy is stored with each value. A warm function
 * reuses one data key for a bounded time and number of values, and keeps the data keys it
 * decrypted for a bounded time, so KMS is called about once per key and five minutes, not per value.
 */
export class KmsEnvelopeCipher implements PersonalDataCipher {
  private current: DataKey | null = null;
  private readonly opened: BoundedCache<Uint8Array>;
  private readonly hashes: BoundedCache<string>;
  private readonly nowMs: () => number;

  constructor(
    private readonly kms: KmsOperations,
    private readonly options: KmsCipherOptions,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
    this.opened = new BoundedCache(options.cacheTtlMs, options.cacheMaxEntries, this.nowMs);
    this.hashes = new BoundedCache(options.cacheTtlMs, options.cacheMaxEntries, this.nowMs);
  }

  async seal(plain: string, context: string): Promise<SealedValue> {
    const key = await this.dataKey();
    const value = gcmSeal(key.plain, Buffer.from(plain, 'utf8'), valueAad(context));
    return { alg: 'AES-256-GCM', keyId: key.keyId, keyVersion: KMS_KEY_VERSION, encryptedDataKey: key.encrypted, ...value };
  }

  async open(sealed: SealedValue, context: string): Promise<string> {
    let plain = this.opened.get(sealed.encryptedDataKey);
    if (plain === undefined) {
      const out = await this.kms.decrypt({ KeyId: sealed.keyId, CiphertextBlob: Buffer.from(sealed.encryptedDataKey, 'base64'), EncryptionContext: { ...CONTEXT } });
      plain = required(out.Plaintext, 'the data key');
      this.opened.set(sealed.encryptedDataKey, plain);
    }
    return gcmOpen(plain, sealed, valueAad(context)).toString('utf8');
  }

  async keyedHash(value: string): Promise<string> {
    const hit = this.hashes.get(value);
    if (hit !== undefined) return hit;
    const out = await this.kms.generateMac({ KeyId: this.options.hashKeyId, Message: Buffer.from(value, 'utf8'), MacAlgorithm: 'HMAC_SHA_256' });
    const hash = `hmac-sha256:${this.options.hashKeyVersion}:${Buffer.from(required(out.Mac, 'the MAC')).toString('hex')}`;
    this.hashes.set(value, hash);
    return hash;
  }

  /** The data key in use, or a new one once it is too old or has encrypted its share of values. */
  private async dataKey(): Promise<DataKey> {
    const now = this.nowMs();
    const key = this.current;
    if (key !== null && now - key.createdMs < this.options.dataKeyMaxAgeMs && key.uses < this.options.dataKeyMaxUses) {
      key.uses++;
      return key;
    }
    const out = await this.kms.generateDataKey({ KeyId: this.options.keyId, KeySpec: 'AES_256', EncryptionContext: { ...CONTEXT } });
    const encrypted = Buffer.from(required(out.CiphertextBlob, 'the encrypted data key')).toString('base64');
    const fresh: DataKey = { plain: required(out.Plaintext, 'the data key'), encrypted, keyId: out.KeyId ?? this.options.keyId, createdMs: now, uses: 1 };
    this.current = fresh;
    // The key just made opens what it sealed without a Decrypt.
    this.opened.set(encrypted, fresh.plain);
    return fresh;
  }
}
