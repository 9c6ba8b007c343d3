import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KMS_CIPHER_DEFAULTS, KmsEnvelopeCipher, personalDataCipherFromEnv, LocalKeyFileCipher, type KmsOperations } from '../../../../../shared/adapters/personal-data/index.ts';
import { gcmOpen, gcmSeal } from '../../../../../shared/adapters/personal-data/envelope.ts';

const KEY_ARN = 'arn:aws-cn:kms:cn-north-1:123456789012:key/personal-data';
const HASH_KEY_ARN = 'arn:aws-cn:kms:cn-north-1:123456789012:key/personal-data-hash';

/**
 * KMS as the cipher sees it, with real keys: GenerateDataKey wraps a fresh data key under the
 * master key with the encryption context, Decrypt unwraps it (refusing another context), and
 * GenerateMac is HMAC-SHA256 under the hash key. It counts the calls.
 */
class CountingKms implements KmsOperations {
  readonly calls = { generateDataKey: 0, decrypt: 0, generateMac: 0 };
  private readonly master = randomBytes(32);
  private readonly hashKey = randomBytes(32);

  generateDataKey(input: Parameters<KmsOperations['generateDataKey']>[0]) {
    this.calls.generateDataKey++;
    expect(input).toEqual({ KeyId: KEY_ARN, KeySpec: 'AES_256', EncryptionContext: { purpose: 'colend-personal-data' } });
    const plain = randomBytes(32);
    const wrapped = gcmSeal(this.master, plain, JSON.stringify(input.EncryptionContext));
    return Promise.resolve({ Plaintext: plain, CiphertextBlob: Buffer.from(JSON.stringify(wrapped)), KeyId: KEY_ARN });
  }

  decrypt(input: Parameters<KmsOperations['decrypt']>[0]) {
    this.calls.decrypt++;
    const wrapped = JSON.parse(Buffer.from(input.CiphertextBlob).toString()) as { iv: string; ciphertext: string };
    return Promise.resolve({ Plaintext: gcmOpen(this.master, wrapped, JSON.stringify(input.EncryptionContext)), KeyId: KEY_ARN });
  }

  generateMac(input: Parameters<KmsOperations['generateMac']>[0]) {
    this.calls.generateMac++;
    expect(input.KeyId).toBe(HASH_KEY_ARN);
    return Promise.resolve({ Mac: createHmac('sha256', this.hashKey).update(input.Message).digest() });
  }
}

function cipherWith(kms: KmsOperations, clock: { ms: number }, options: Partial<Record<keyof typeof KMS_CIPHER_DEFAULTS, number>> = {}) {
  return new KmsEnvelopeCipher(kms, { keyId: KEY_ARN, hashKeyId: HASH_KEY_ARN, hashKeyVersion: 'k1', ...KMS_CIPHER_DEFAULTS, ...options, nowMs: () => clock.ms });
}

describe('KmsEnvelopeCipher', () => {
  it('seals under a data key from KMS, stored encrypted with the value and the key that made it', async () => {
    const kms = new CountingKms();
    const sealed = await cipherWith(kms, { ms: 0 }).seal('110105199001011232', 'borrower:B-1');
    expect(sealed).toMatchObject({ alg: 'AES-256-GCM', keyId: KEY_ARN, keyVersion: 'kms' });
    expect(JSON.stringify(sealed)).not.toContain('110105199001011232');
    // Another warm function, with an empty cache, opens it through KMS Decrypt.
    const other = cipherWith(kms, { ms: 0 });
    expect(await other.open(sealed, 'borrower:B-1')).toBe('110105199001011232');
    expect(kms.calls).toEqual({ generateDataKey: 1, decrypt: 1, generateMac: 0 });
    await expect(other.open(sealed, 'borrower:B-2')).rejects.toThrow();
  });

  it('reuses one data key for a bounded number of values and a bounded time', async () => {
    const kms = new CountingKms();
    const clock = { ms: 0 };
    const cipher = cipherWith(kms, clock, { dataKeyMaxUses: 3, dataKeyMaxAgeMs: 60_000 });
    const keys = new Set<string>();
    for (let i = 0; i < 7; i++) keys.add((await cipher.seal(`v${i}`, 'borrower:B-1')).encryptedDataKey);
    expect(kms.calls.generateDataKey).toBe(3);
    expect(keys.size).toBe(3);
    clock.ms = 60_000;
    await cipher.seal('later', 'borrower:B-1');
    expect(kms.calls.generateDataKey).toBe(4);
  });

  it('keeps what it decrypted for a bounded time: one Decrypt per data key until then', async () => {
    const kms = new CountingKms();
    const sealed = await cipherWith(kms, { ms: 0 }).seal('13812345678', 'borrower:B-1');
    const clock = { ms: 0 };
    const reader = cipherWith(kms, clock, { cacheTtlMs: 1_000 });
    for (let i = 0; i < 5; i++) expect(await reader.open(sealed, 'borrower:B-1')).toBe('13812345678');
    expect(kms.calls.decrypt).toBe(1);
    clock.ms = 1_000;
    await reader.open(sealed, 'borrower:B-1');
    expect(kms.calls.decrypt).toBe(2);
  });

  it('hashes through the HMAC key, labelled with its version, cached', async () => {
    const kms = new CountingKms();
    const cipher = cipherWith(kms, { ms: 0 });
    const h = await cipher.keyedHash('identity-number:110105199001011232');
    expect(h).toMatch(/^hmac-sha256:k1:[0-9a-f]{64}$/);
    expect(await cipher.keyedHash('identity-number:110105199001011232')).toBe(h);
    expect(await cipher.keyedHash('identity-number:440524198001010013')).not.toBe(h);
    expect(kms.calls.generateMac).toBe(2);
  });
});

describe('personalDataCipherFromEnv', () => {
  it("takes the local stack's key file when set, else the stage's KMS keys, and says what is missing", () => {
    const kms = new CountingKms();
    expect(personalDataCipherFromEnv({ PERSONAL_DATA_KEY_FILE: '/tmp/k.json' }, () => kms)).toBeInstanceOf(LocalKeyFileCipher);
    expect(personalDataCipherFromEnv({ PERSONAL_DATA_KEY_ID: KEY_ARN, PERSONAL_DATA_HASH_KEY_ID: HASH_KEY_ARN }, () => kms)).toBeInstanceOf(KmsEnvelopeCipher);
    expect(() => personalDataCipherFromEnv({ PERSONAL_DATA_KEY_ID: KEY_ARN }, () => kms)).toThrow('PERSONAL_DATA_KEY_ID and PERSONAL_DATA_HASH_KEY_ID are not set');
  });
});
