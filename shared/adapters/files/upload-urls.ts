import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { UploadUrls } from '../../ports/stores.ts';

/** In AWS: a presigned PUT to the files bucket, valid for the given time. */
export class S3UploadUrls implements UploadUrls {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  putUrl(path: string, expiresSeconds: number): Promise<string> {
    return getSignedUrl(this.s3, new PutObjectCommand({ Bucket: this.bucket, Key: path }), { expiresIn: expiresSeconds });
  }
}

/** On the local stack: the local server's upload path (LOCAL_UPLOAD_URL, set once it listens), which writes into the files folder. */
export class LocalUploadUrls implements UploadUrls {
  async putUrl(path: string): Promise<string> {
    const base = process.env.LOCAL_UPLOAD_URL;
    if (base === undefined || base === '') throw new Error('LOCAL_UPLOAD_URL is set by the local stack once its server listens');
    return `${base.replace(/\/+$/, '')}/${path}`;
  }
}

/** The local server's upload path where files are a folder (FILES_DIR), the files bucket (FILES_BUCKET) in AWS. */
export function uploadUrlsFromEnv(): UploadUrls {
  const dir = process.env.FILES_DIR;
  if (dir !== undefined && dir !== '') return new LocalUploadUrls();
  const bucket = process.env.FILES_BUCKET;
  if (bucket === undefined || bucket === '') throw new Error('FILES_BUCKET (or LOCAL_UPLOAD_URL locally) must name where uploads go');
  return new S3UploadUrls(new S3Client({}), bucket);
}
