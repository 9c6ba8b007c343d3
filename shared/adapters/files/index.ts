import { S3Client } from '@aws-sdk/client-s3';
import type { FileStore } from '../../ports/stores.ts';
import { FolderFileStore, S3FileStore } from './file-store.ts';

/** The file store of the environment: the bucket in AWS (FILES_BUCKET), a folder locally (FILES_DIR). */
export function fileStoreFromEnv(): FileStore {
  const dir = process.env.FILES_DIR;
  if (dir !== undefined && dir !== '') return new FolderFileStore(dir);
  const bucket = process.env.FILES_BUCKET;
  if (bucket === undefined || bucket === '') throw new Error('FILES_BUCKET (or FILES_DIR locally) must name where files are kept');
  return new S3FileStore(new S3Client({}), bucket);
}
