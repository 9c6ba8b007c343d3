import { createHmac, timingSafeEqual } from 'node:crypto';
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { UploadTarget, UploadUrls } from '../../ports/stores.ts';

/** The header an uploader sends with the bytes: their SHA-256, base64, which the store checks on arrival. */
export const UPLOAD_CHECKSUM_HEADER = 'x-amz-checksum-sha256';

/** The value of the checksum header for a SHA-256 given in hexadecimal. */
export function uploadChecksum(sha256Hex: string): string {
  if (!/^[0-9a-f]{64}$/i.test(sha256Hex)) throw new RangeError(`not a SHA-256 in hexadecimal: ${sha256Hex}`);
  return Buffer.from(sha256Hex, 'hex').toString('base64');
}

/**
 * The client that presigns uploads. The SDK's default (`WHEN_SUPPORTED`) puts a CRC32 of the empty
 * body it has at signing time into the URL, which then refuses any real file; so checksums are
 * added only when an operation requires one, and the upload's own SHA-256 is signed instead.
 */
export function uploadS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ ...config, requestChecksumCalculation: 'WHEN_REQUIRED' });
}

/**
 * In AWS: a presigned PUT to the files bucket, valid for the given time. The bucket's object lock
 * (a default retention) refuses a PUT without a Content-MD5 or an `x-amz-checksum-*` header, so the
 * URL signs `x-amz-checksum-sha256` as a header the uploader must send (unhoisted: the presigner
 * would otherwise move it into the query string), and S3 takes only bytes with that SHA-256.
 */
export class S3UploadUrls implements UploadUrls {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async putUrl(path: string, expiresSeconds: number, sha256Hex: string): Promise<UploadTarget> {
    const checksum = uploadChecksum(sha256Hex);
    const url = await getSignedUrl(this.s3, new PutObjectCommand({ Bucket: this.bucket, Key: path, ChecksumSHA256: checksum }), {
      expiresIn: expiresSeconds,
      unhoistableHeaders: new Set([UPLOAD_CHECKSUM_HEADER]),
    });
    return { url, headers: { [UPLOAD_CHECKSUM_HEADER]: checksum } };
  }
}

/** The signature of a local upload URL: what a presigned URL's signature is to S3, keyed by the stack's secret; it covers the checksum the bytes must have. */
export function localUploadSignature(secret: string, path: string, expiresEpochSeconds: number, checksum: string): string {
  return createHmac('sha256', secret).update(`PUT\n${path}\n${expiresEpochSeconds}\n${checksum}`).digest('base64url');
}

/** Whether a local upload's `expires`, `checksum` and `signature` are the stack's own for that path, and not expired at `nowMs`. */
export function localUploadSignatureValid(secret: string, path: string, expires: string | null, checksum: string | null, signature: string | null, nowMs: number): boolean {
  if (expires === null || checksum === null || signature === null || !/^\d{1,12}$/.test(expires)) return false;
  if (Number(expires) * 1000 < nowMs) return false;
  const expected = Buffer.from(localUploadSignature(secret, path, Number(expires), checksum));
  const presented = Buffer.from(signature);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

/**
 * On the local stack: the local server's upload path (LOCAL_UPLOAD_URL, set once it listens), which
 * writes into the files folder, signed with LOCAL_UPLOAD_SECRET and valid for the given time, as a
 * presigned URL is: the server takes no upload it did not hand out, and, as S3, only with the
 * checksum header the URL names and bytes that match it.
 */
export class LocalUploadUrls implements UploadUrls {
  constructor(private readonly nowMs: () => number = Date.now) {}

  async putUrl(path: string, expiresSeconds: number, sha256Hex: string): Promise<UploadTarget> {
    const checksum = uploadChecksum(sha256Hex);
    const base = process.env.LOCAL_UPLOAD_URL;
    const secret = process.env.LOCAL_UPLOAD_SECRET;
    if (base === undefined || base === '') throw new Error('LOCAL_UPLOAD_URL is set by the local stack once its server listens');
    if (secret === undefined || secret === '') throw new Error('LOCAL_UPLOAD_SECRET is set by the local stack once its server listens');
    const expires = Math.floor(this.nowMs() / 1000) + expiresSeconds;
    const query = new URLSearchParams({ expires: String(expires), checksum, signature: localUploadSignature(secret, path, expires, checksum) });
    return { url: `${base.replace(/\/+$/, '')}/${path}?${query.toString()}`, headers: { [UPLOAD_CHECKSUM_HEADER]: checksum } };
  }
}

/** The local server's upload path where files are a folder (FILES_DIR), the files bucket (FILES_BUCKET) in AWS. */
export function uploadUrlsFromEnv(): UploadUrls {
  const dir = process.env.FILES_DIR;
  if (dir !== undefined && dir !== '') return new LocalUploadUrls();
  const bucket = process.env.FILES_BUCKET;
  if (bucket === undefined || bucket === '') throw new Error('FILES_BUCKET (or LOCAL_UPLOAD_URL locally) must name where uploads go');
  return new S3UploadUrls(uploadS3Client(), bucket);
}
