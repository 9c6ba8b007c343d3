import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../../../infra/cli/reconcile.ts';
import { S3UploadUrls, UPLOAD_CHECKSUM_HEADER, uploadS3Client } from '../../../../shared/adapters/files/upload-urls.ts';

/** `colend reconcile` uploads to the URL the API gives exactly what it signs (docs/reconciliation.md, Inputs). */

const dir = mkdtempSync(join(tmpdir(), 'colend-reconcile-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('colend reconcile', () => {
  it("asks for a URL for the file's SHA-256 and PUTs the bytes with the headers the URL signs", async () => {
    const file = join(dir, 'repayment_detail_20261202.txt');
    const text = 'business_date|lender_id\n2026-12-02|JN_RCB\n';
    writeFileSync(file, text);
    const sha256 = createHash('sha256').update(text).digest('hex');
    const target = await new S3UploadUrls(uploadS3Client({ region: 'cn-north-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } }), 'files').putUrl('reconciliation-uploads/UP-1', 900, sha256);
    const calls: { url: string; init: RequestInit; body: string }[] = [];
    const send = (async (url: string, init: RequestInit) => {
      const body = init.body instanceof ReadableStream ? await new Response(init.body).text() : String(init.body ?? '');
      calls.push({ url, init, body });
      if (url.endsWith('/v1/reconciliation-uploads')) return Response.json({ uploadId: 'UP-1', method: 'PUT', ...target }, { status: 201 });
      if (url === target.url) return new Response(null, { status: 200 });
      return Response.json({ code: 'STOP', message: 'not started in this test' }, { status: 409 });
    }) as typeof fetch;
    const answer = await reconcile({ apiUrl: 'https://api.example', token: 't', fetch: send, file, type: 'PARTNER_REPAYMENTS', businessDate: '2026-12-02', lenderId: 'JN_RCB' });
    expect(answer.refused?.status).toBe(409);
    expect(JSON.parse(calls[0]!.body)).toEqual({ fileName: 'repayment_detail_20261202.txt', sha256 });
    const put = calls[1]!;
    expect(put.url).toBe(target.url);
    const headers = new Headers(put.init.headers);
    expect(headers.get(UPLOAD_CHECKSUM_HEADER)).toBe(createHash('sha256').update(text).digest('base64'));
    expect(put.body).toBe(text);
  });
});
