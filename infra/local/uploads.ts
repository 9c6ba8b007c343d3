import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { jsonResponse, type ApiResponse } from './api-event.ts';

/** Where uploads go: the local stand-in for the files bucket's presigned PUT URLs. */
export const LOCAL_UPLOAD_PATH = '/local/uploads/';
const UPLOAD = /^\/local\/uploads\/(reconciliation-uploads\/UP-[A-Za-z0-9-]{1,80})$/;

/**
 * `PUT /local/uploads/reconciliation-uploads/{uploadId}`: the bytes of an upload, streamed into the
 * files folder as the bucket would take them (whole, or not at all), whatever their size.
 */
export function localUploads(filesDir: string) {
  const root = resolve(filesDir);
  return async (request: IncomingMessage, url: URL): Promise<ApiResponse | undefined> => {
    if (!url.pathname.startsWith(LOCAL_UPLOAD_PATH)) return undefined;
    const match = UPLOAD.exec(url.pathname);
    if (match === null || request.method !== 'PUT') {
      request.resume();
      return jsonResponse(404, { message: 'uploads are PUT to the URL POST /v1/reconciliation-uploads answered' });
    }
    const target = join(root, match[1]!);
    const partial = `${target}.partial`;
    await mkdir(dirname(target), { recursive: true });
    try {
      await pipeline(request, createWriteStream(partial));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { statusCode: 200, headers: [], body: Buffer.alloc(0) };
  };
}
