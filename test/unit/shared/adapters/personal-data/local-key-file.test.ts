import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalKeyFileCipher, ensureLocalKeyFile, rotateLocalKeyFile } from '../../../../../shared/adapters/personal-data/index.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'colend-keys-'));
  file = join(dir, '.colend', 'personal-data-keys.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LocalKeyFileCipher', () => {
  it('creates its key file on first use, readable by its owner only, and keeps no clear value in what it seals', async () => {
    const cipher = new LocalKeyFileCipher(file);
    const sealed = await cipher.seal('110105199001011232', 'borrower:B-1');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(dir, '.colend')).mode & 0o777).toString(8)).toBe('700');
    expect(sealed).toMatchObject({ alg: 'AES-256-GCM', keyId: 'local', keyVersion: 'v1' });
    expect(JSON.stringify(sealed)).not.toContain('110105199001011232');
    expect(await cipher.open(sealed, 'borrower:B-1')).toBe('110105199001011232');
  });

  it('seals the same value differently each time, and refuses a value moved to another owner or altered', async () => {
    const cipher = new LocalKeyFileCipher(file);
    const a = await cipher.seal('13812345678', 'borrower:B-1');
    const b = await cipher.seal('13812345678', 'borrower:B-1');
    expect(a.ciphertext).not.toBe(b.ciphertext);
    await expect(cipher.open(a, 'borrower:B-2')).rejects.toThrow();
    const flipped = Buffer.from(a.ciphertext, 'base64');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    await expect(cipher.open({ ...a, ciphertext: flipped.toString('base64') }, 'borrower:B-1')).rejects.toThrow();
  });

  it('rotates: new values take the new version, values of the old one still open', async () => {
    const cipher = new LocalKeyFileCipher(file);
    const before = await cipher.seal('张三', 'borrower:B-1');
    const keys = rotateLocalKeyFile(file);
    expect(keys.current).toBe('v2');
    expect(Object.keys(keys.encryption)).toEqual(['v1', 'v2']);
    const after = await cipher.seal('张三', 'borrower:B-1');
    expect([before.keyVersion, after.keyVersion]).toEqual(['v1', 'v2']);
    expect(await cipher.open(before, 'borrower:B-1')).toBe('张三');
    expect(await cipher.open(after, 'borrower:B-1')).toBe('张三');
  });

  it('hashes with a key of its own: equal values match, others do not, and the hash key survives a rotation', async () => {
    const cipher = new LocalKeyFileCipher(file);
    const h = await cipher.keyedHash('identity-number:110105199001011232');
    expect(h).toMatch(/^hmac-sha256:v1:[0-9a-f]{64}$/);
    expect(await cipher.keyedHash('identity-number:110105199001011232')).toBe(h);
    expect(await cipher.keyedHash('identity-number:440524198001010013')).not.toBe(h);
    rotateLocalKeyFile(file);
    expect(await cipher.keyedHash('identity-number:110105199001011232')).toBe(h);
    const keys = JSON.parse(readFileSync(file, 'utf8')) as { hash: { key: string }; encryption: Record<string, string> };
    expect(Object.values(keys.encryption)).not.toContain(keys.hash.key);
  });

  it('keeps a key file it finds', () => {
    const first = ensureLocalKeyFile(file);
    expect(ensureLocalKeyFile(file)).toEqual(first);
  });
});
