import { createHmac, timingSafeEqual } from 'node:crypto';
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

/** The signature of a local upload URL: what a presigned URL's signature is to S3, keyed by the stack's secret. */
export function localUploadSignature(secret: string, path: string, expiresEpochSeconds: number): string {
  return createHmac('sha256', secret).update(`PUT\n${path}\n${expiresEpochSeconds}`).digest('base64url');
}

/** Whether a local upload's `expires` and `signature` are the stack's own for that path, and not expired at `nowMs`. */
export function localUploadSignatureValid(secret: string, path: string, expires: string | null, signature: string | null, nowMs: number): boolean {
  if (expires === null || signature === null || !/^\d{1,12}$/.test(expires)) return false;
  if (Number(expires) * 1000 < nowMs) return false;
  const expected = Buffer.from(localUploadSignature(secret, path, Number(expires)));
  const presented = Buffer.from(signature);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

/**
 * On the local stack: the local server's upload path (LOCAL_UPLOAD_URL, set once it listens), which
 * writes into the files folder, signed with LOCAL_UPLOAD_SECRET and valid for the given time, as a
 * presigned URL is: the server takes no upload it did not hand out.
 */
export class LocalUploadUrls implements UploadUrls {
  constructor(private readonly nowMs: () => number = Date.now) {}

  async putUrl(path: string, expiresSeconds: number): Promise<string> {
    const base = process.env.LOCAL_UPLOAD_URL;
    const secret = process.env.LOCAL_UPLOAD_SECRET;
    if (base === undefined || base === '') throw new Error('LOCAL_UPLOAD_URL is set by the local stack once its server listens');
    if (secret === undefined || secret === '') throw new Error('LOCAL_UPLOAD_SECRET is set by the local stack once its server listens');
    const expires = Math.floor(this.nowMs() / 1000) + expiresSeconds;
    const query = new URLSearchParams({ expires: String(expires), signature: localUploadSignature(secret, path, expires) });
    return `${base.replace(/\/+$/, '')}/${path}?${query.toString()}`;
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
