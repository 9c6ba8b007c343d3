import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UPLOAD_CHECKSUM_HEADER, localUploadSignatureValid } from '../../shared/adapters/files/upload-urls.ts';
import { jsonResponse, type ApiResponse } from './api-event.ts';

/** Where uploads go: the local stand-in for the files bucket's presigned PUT URLs. */
export const LOCAL_UPLOAD_PATH = '/local/uploads/';
const UPLOAD = /^\/local\/uploads\/(reconciliation-uploads\/UP-[A-Za-z0-9-]{1,80})$/;

/**
 * `PUT /local/uploads/reconciliation-uploads/{uploadId}?expires=&signature=`: the bytes of an upload,
 * streamed into the files folder as the bucket would take them (whole, or not at all), whatever
 * their size; only at a URL the stack signed (`LocalUploadUrls`) and before it expires, else 403;
 * as S3 does with a presigned URL that signs `x-amz-checksum-sha256`, only with that header (else
 * 403) and bytes of that SHA-256 (else 400 `BadDigest`, and nothing is kept).
 */
export function localUploads(filesDir: string, secret: string) {
  const root = resolve(filesDir);
  return async (request: IncomingMessage, url: URL): Promise<ApiResponse | undefined> => {
    if (!url.pathname.startsWith(LOCAL_UPLOAD_PATH)) return undefined;
    const match = UPLOAD.exec(url.pathname);
    if (match === null || request.method !== 'PUT') {
      request.resume();
      return jsonResponse(404, { message: 'uploads are PUT to the URL POST /v1/reconciliation-uploads answered' });
    }
    const checksum = url.searchParams.get('checksum');
    if (!localUploadSignatureValid(secret, match[1]!, url.searchParams.get('expires'), checksum, url.searchParams.get('signature'), Date.now())) {
      request.resume();
      return jsonResponse(403, { code: 'UPLOAD_URL_INVALID', message: 'the upload URL is not one the stack signed, or it has expired: ask POST /v1/reconciliation-uploads for a new one', details: { path: 'signature' } });
    }
    if (request.headers[UPLOAD_CHECKSUM_HEADER] !== checksum) {
      request.resume();
      return jsonResponse(403, { code: 'UPLOAD_HEADER_MISSING', message: `the upload URL signs the header ${UPLOAD_CHECKSUM_HEADER}: send it with the value POST /v1/reconciliation-uploads answered`, details: { path: UPLOAD_CHECKSUM_HEADER } });
    }
    const target = join(root, match[1]!);
    const partial = `${target}.partial`;
    await mkdir(dirname(target), { recursive: true });
    const hash = createHash('sha256');
    try {
      await pipeline(
        request,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(partial),
      );
      if (hash.digest('base64') !== checksum) {
        await rm(partial, { force: true });
        return jsonResponse(400, { code: 'BadDigest', message: `the bytes sent do not have the SHA-256 the upload URL was made for (${UPLOAD_CHECKSUM_HEADER})`, details: { path: UPLOAD_CHECKSUM_HEADER } });
      }
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { statusCode: 200, headers: [], body: Buffer.alloc(0) };
  };
}
