import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FolderFileStore } from '../../../../../shared/adapters/files/file-store.ts';
import { WorkRoutedFileStore, isWorkPath } from '../../../../../shared/adapters/files/index.ts';
import { SETTLEMENT_WORK_PREFIX } from '../../../../../shared/adapters/files/work-files.ts';
import { statementPath } from '../../../../../shared/adapters/files/settlement-files.ts';

/** Work files go to the work bucket, everything else to the files bucket (docs/files.md, The buckets). */

const root = mkdtempSync(join(tmpdir(), 'colend-routed-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bytes = (text: string) => Buffer.from(text, 'utf8');
const text = (body: Uint8Array | null) => (body === null ? null : Buffer.from(body).toString('utf8'));

describe('the file store over the two buckets', () => {
  it("knows the settlement's and the reconciliation's work files by their paths", () => {
    expect(isWorkPath(`${SETTLEMENT_WORK_PREFIX}/2026-12-02/manifest.json`)).toBe(true);
    expect(isWorkPath('settlement-work/2026-12-02/shard-03/repayment_detail/JN_RCB.jsonl')).toBe(true);
    expect(isWorkPath('reconciliation-work/PARTNER_REPAYMENTS/2026-12-02/JN_RCB/breaks.txt')).toBe(true);
    expect(isWorkPath(statementPath('JN_RCB', '2026-12-02', 'repayment_detail_20261202.txt'))).toBe(false);
    expect(isWorkPath('reconciliation-uploads/UP-1')).toBe(false);
    expect(isWorkPath('settlement-workbench/x')).toBe(false);
  });

  it('writes, reads and lists a work file in the work store and any other file in the files store', async () => {
    const files = new FolderFileStore(join(root, 'files'));
    const work = new FolderFileStore(join(root, 'work'));
    const store = new WorkRoutedFileStore(files, work);
    await store.put('settlement-work/2026-12-02/manifest.json', bytes('[{"shard":0}]'));
    await store.putStream('reconciliation-work/PARTNER_REPAYMENTS/2026-12-02/JN_RCB/breaks.txt', Readable.from([bytes('BK-1\n')]));
    await store.put('statements/JN_RCB/20261202/20261202.ok', bytes(''));
    await store.put('reconciliation-uploads/UP-1', bytes('file'));
    expect(await work.list('')).toEqual(['reconciliation-work/PARTNER_REPAYMENTS/2026-12-02/JN_RCB/breaks.txt', 'settlement-work/2026-12-02/manifest.json']);
    expect(await files.list('')).toEqual(['reconciliation-uploads/UP-1', 'statements/JN_RCB/20261202/20261202.ok']);
    expect(text(await store.get('settlement-work/2026-12-02/manifest.json'))).toBe('[{"shard":0}]');
    expect(await store.list('settlement-work/2026-12-02/')).toEqual(['settlement-work/2026-12-02/manifest.json']);
    expect(await store.list('statements/JN_RCB/')).toEqual(['statements/JN_RCB/20261202/20261202.ok']);
    expect(text(await store.get('reconciliation-uploads/UP-1'))).toBe('file');
    expect(await store.getStream('settlement-work/2026-12-02/none.json')).toBeNull();
  });

  it('refuses a work file where no work store is given, rather than lock it away with the kept files', async () => {
    const store = new WorkRoutedFileStore(new FolderFileStore(join(root, 'only-files')), null);
    await expect(store.put('settlement-work/2026-12-02/manifest.json', bytes('[]'))).rejects.toThrow(/WORK_BUCKET/);
    await expect(store.get('reconciliation-work/x/breaks.txt')).rejects.toThrow(/WORK_BUCKET/);
    await store.put('statements/JN_RCB/20261202/20261202.ok', bytes(''));
    expect(await store.list('statements/')).toEqual(['statements/JN_RCB/20261202/20261202.ok']);
  });
});
