import { S3Client } from '@aws-sdk/client-s3';
import type { FileStore } from '../../ports/stores.ts';
import { FolderFileStore, S3FileStore } from './file-store.ts';

/**
 * The paths of the work files: what a settlement run or a reconciliation makes and makes again
 * on the next run of its date (docs/files.md, The buckets). In AWS they live in the work bucket,
 * without object lock, so a run overwrites them in place; everything else is kept in the files
 * bucket, each version under its retention.
 */
export const WORK_PREFIXES: readonly string[] = ['settlement-work/', 'reconciliation-work/'];

/** Whether a path (or a prefix listed) is a work file's. */
export function isWorkPath(path: string): boolean {
  return WORK_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/**
 * One file store over the two buckets: a work file's path goes to the work store, any other to
 * the files store. A process given no work store refuses a work file rather than lock it away in
 * the files bucket for the retention's years.
 */
export class WorkRoutedFileStore implements FileStore {
  constructor(
    private readonly files: FileStore,
    private readonly work: FileStore | null,
  ) {}

  private storeOf(path: string): FileStore {
    if (!isWorkPath(path)) return this.files;
    if (this.work === null) throw new Error(`${path} is a work file: WORK_BUCKET must name the work bucket`);
    return this.work;
  }

  async put(path: string, body: Uint8Array): Promise<void> {
    await this.storeOf(path).put(path, body);
  }

  async get(path: string): Promise<Uint8Array | null> {
    return this.storeOf(path).get(path);
  }

  async list(prefix: string): Promise<string[]> {
    return this.storeOf(prefix).list(prefix);
  }

  async putStream(path: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    await this.storeOf(path).putStream(path, body);
  }

  async getStream(path: string): Promise<AsyncIterable<Uint8Array> | null> {
    return this.storeOf(path).getStream(path);
  }
}

/**
 * The file store of the environment: a folder locally (FILES_DIR, work files included); in AWS the
 * files bucket (FILES_BUCKET) and, for the functions that make work files, the work bucket
 * (WORK_BUCKET).
 */
export function fileStoreFromEnv(): FileStore {
  const dir = process.env.FILES_DIR;
  if (dir !== undefined && dir !== '') return new FolderFileStore(dir);
  const bucket = process.env.FILES_BUCKET;
  if (bucket === undefined || bucket === '') throw new Error('FILES_BUCKET (or FILES_DIR locally) must name where files are kept');
  const s3 = new S3Client({});
  const workBucket = process.env.WORK_BUCKET;
  return new WorkRoutedFileStore(new S3FileStore(s3, bucket), workBucket === undefined || workBucket === '' ? null : new S3FileStore(s3, workBucket));
}
