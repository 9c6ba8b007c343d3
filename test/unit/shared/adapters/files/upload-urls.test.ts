import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { S3UploadUrls, UPLOAD_CHECKSUM_HEADER, uploadChecksum, uploadS3Client } from '../../../../../shared/adapters/files/upload-urls.ts';
import { putUpload, sha256Hex } from '../../../../../infra/console/upload.ts';

/**
 * The presigned PUT of an upload (docs/reconciliation.md, Inputs): the SDK's default checksum
 * (a CRC32 of the empty body at signing time) must not be in it, and the files bucket's object lock
 * needs a checksum header, so the URL signs the file's SHA-256 as a header the uploader sends.
 */

const CLIENT = { region: 'cn-north-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } };
const BUCKET = 'colend-files-bucket-example';
const PATH = 'reconciliation-uploads/UP-0001';
const BYTES = Buffer.from('business_date|lender_id|loan_id\n2026-12-02|JN_RCB|CR-LOAN-1\n', 'utf8');
const SHA256 = createHash('sha256').update(BYTES).digest('hex');

const queryOf = (url: string) => new URL(url).searchParams;
const checksumParameters = (url: string) => [...queryOf(url).keys()].filter((name) => /^x-amz-(sdk-)?checksum/i.test(name));

describe('the presigned PUT of an upload', () => {
  it("carries no checksum of an empty body, which the SDK's default client would put in it", async () => {
    const byDefault = await getSignedUrl(new S3Client(CLIENT), new PutObjectCommand({ Bucket: BUCKET, Key: PATH }), { expiresIn: 900 });
    expect(queryOf(byDefault).get('x-amz-checksum-crc32')).toBe('AAAAAA==');

    const { url } = await new S3UploadUrls(uploadS3Client(CLIENT), BUCKET).putUrl(PATH, 900, SHA256);
    expect(checksumParameters(url)).toEqual([]);
    expect(queryOf(url).get('X-Amz-Expires')).toBe('900');
    expect(new URL(url).pathname).toMatch(new RegExp(`/${PATH}$`));
  });

  it("signs the file's SHA-256 as a header the uploader must send, the checksum object lock requires", async () => {
    const target = await new S3UploadUrls(uploadS3Client(CLIENT), BUCKET).putUrl(PATH, 900, SHA256);
    expect(queryOf(target.url).get('X-Amz-SignedHeaders')).toBe(`host;${UPLOAD_CHECKSUM_HEADER}`);
    expect(target.headers).toEqual({ [UPLOAD_CHECKSUM_HEADER]: createHash('sha256').update(BYTES).digest('base64') });
    expect(uploadChecksum(SHA256.toUpperCase())).toBe(target.headers[UPLOAD_CHECKSUM_HEADER]);
  });

  it('is made for a SHA-256 in hexadecimal only', async () => {
    await expect(new S3UploadUrls(uploadS3Client(CLIENT), BUCKET).putUrl(PATH, 900, 'abc')).rejects.toThrow(RangeError);
  });

  it('is what the console sends: every header the URL signs, with the bytes of that SHA-256', async () => {
    expect(await sha256Hex(new Uint8Array(BYTES).buffer)).toBe(SHA256);
    const target = await new S3UploadUrls(uploadS3Client(CLIENT), BUCKET).putUrl(PATH, 900, await sha256Hex(new Uint8Array(BYTES).buffer));
    const sent: { url: string; init: RequestInit }[] = [];
    const send = (async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      return new Response(null, { status: 200 });
    }) as typeof fetch;
    await putUpload({ uploadId: 'UP-0001', method: 'PUT', ...target }, new Uint8Array(BYTES).buffer, send);
    expect(sent).toHaveLength(1);
    const { url, init } = sent[0]!;
    expect(url).toBe(target.url);
    expect(init.method).toBe('PUT');
    const headers = new Headers(init.headers);
    for (const name of queryOf(url).get('X-Amz-SignedHeaders')!.split(';').filter((h) => h !== 'host')) expect(headers.get(name), name).toBe(target.headers[name]);
    expect(createHash('sha256').update(new Uint8Array(init.body as ArrayBuffer)).digest('base64')).toBe(headers.get(UPLOAD_CHECKSUM_HEADER));
  });
});
