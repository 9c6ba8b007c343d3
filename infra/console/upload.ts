import type { UploadAnswer } from './api.ts';

/** The SHA-256 of a file's bytes in hexadecimal, as `POST /v1/reconciliation-uploads` takes it. */
export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * PUTs a file's bytes to the URL an upload answer gives, with the headers the URL signs (in AWS the
 * bytes' SHA-256, `x-amz-checksum-sha256`, which the files bucket's object lock requires): the URL
 * takes these bytes only.
 */
export function putUpload(upload: UploadAnswer, bytes: ArrayBuffer, send: typeof fetch = fetch): Promise<Response> {
  return send(upload.url, { method: upload.method, headers: { ...upload.headers }, body: bytes });
}
