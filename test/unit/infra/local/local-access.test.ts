import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalUploadUrls, localUploadSignature, localUploadSignatureValid } from '../../../../shared/adapters/files/upload-urls.ts';
import { jsonResponse } from '../../../../infra/local/api-event.ts';
import { consoleSite, consoleUrl } from '../../../../infra/local/console-site.ts';
import { FunctionHost } from '../../../../infra/local/functions.ts';
import { startHttpApi, type HttpApiServer } from '../../../../infra/local/http-api.ts';
import { LOCAL_TOKEN_HEADER, newLocalToken } from '../../../../infra/local/state-file.ts';
import { localUploads } from '../../../../infra/local/uploads.ts';

/** The local-only endpoints (`/local/*`) answer only a caller that names the stack's local token. */

const TOKEN = newLocalToken();
let server: HttpApiServer;
let base: string;
let home: string;
let filesDir: string;
const previous = { home: process.env.COLEND_HOME, url: process.env.LOCAL_UPLOAD_URL, secret: process.env.LOCAL_UPLOAD_SECRET };

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'colend-local-access-'));
  filesDir = join(home, 'files');
  process.env.COLEND_HOME = home;
  const events = async (_request: unknown, url: URL) => (url.pathname === '/local/events' ? jsonResponse(200, { events: [{ id: 'E-1' }] }) : undefined);
  server = await startHttpApi(
    { routes: [], functions: new FunctionHost([], { rootDir: home }), localHandlers: [events, localUploads(filesDir, TOKEN), consoleSite(() => undefined, TOKEN)], isReady: () => true, baseUrl: () => base, localToken: TOKEN },
    0,
  );
  base = `http://127.0.0.1:${server.port}`;
  process.env.LOCAL_UPLOAD_URL = `${base}/local/uploads/`;
  process.env.LOCAL_UPLOAD_SECRET = TOKEN;
});

afterAll(async () => {
  await server.close();
  for (const [name, value] of [['COLEND_HOME', previous.home], ['LOCAL_UPLOAD_URL', previous.url], ['LOCAL_UPLOAD_SECRET', previous.secret]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(home, { recursive: true, force: true });
});

describe('local-only endpoints', () => {
  it('refuse a caller without the local token, or with another, naming the header', async () => {
    const attempts: Record<string, string>[] = [{}, { [LOCAL_TOKEN_HEADER]: 'guess' }, { [LOCAL_TOKEN_HEADER]: `${TOKEN}x` }, { cookie: 'colend_local_token=guess' }];
    for (const headers of attempts) {
      const answer = await fetch(`${base}/local/events`, { headers });
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ code: 'LOCAL_TOKEN_REQUIRED', details: { path: `headers.${LOCAL_TOKEN_HEADER}` } });
    }
    expect((await fetch(`${base}/local/console/token`, { method: 'POST', body: JSON.stringify({ username: 'fin.wang' }) })).status).toBe(401);
    expect((await fetch(`${base}/local/console/users`)).status).toBe(401);
  });

  it('answer a caller that sends the token in the header', async () => {
    const answer = await fetch(`${base}/local/events`, { headers: { [LOCAL_TOKEN_HEADER]: TOKEN } });
    expect([answer.status, await answer.json()]).toEqual([200, { events: [{ id: 'E-1' }] }]);
  });

  it('leave the rest of the server open: health, the issuer keys, the console page', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/local-issuer/.well-known/jwks.json`)).status).toBe(200);
    expect((await fetch(`${base}/console/config.json`)).status).toBe(200);
  });
});

describe('the console link the banner prints', () => {
  it('hands the browser the token in a same-site cookie for /local/ only, then the sign-in answers', async () => {
    const link = await fetch(consoleUrl(base, TOKEN), { redirect: 'manual' });
    expect([link.status, link.headers.get('location')]).toEqual([302, '/console/']);
    const cookie = link.headers.get('set-cookie') ?? '';
    expect(cookie).toBe(`colend_local_token=${TOKEN}; Path=/local/; HttpOnly; SameSite=Strict`);
    const users = await fetch(`${base}/local/console/users`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(users.status).toBe(200);
    const signIn = await fetch(`${base}/local/console/token`, { method: 'POST', headers: { cookie: cookie.split(';')[0]!, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'fin.wang' }) });
    expect(signIn.status).toBe(200);
  });

  it('refuses a link with another token and sets no cookie', async () => {
    const link = await fetch(consoleUrl(base, 'not-the-token'), { redirect: 'manual' });
    expect(link.status).toBe(401);
    expect(link.headers.get('set-cookie')).toBeNull();
  });
});

describe('local uploads', () => {
  const PATH = 'reconciliation-uploads/UP-0001';
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('take the bytes at a URL the stack signed, with the checksum header it names, without the local token', async () => {
    const target = await new LocalUploadUrls().putUrl(PATH, 900, sha256('line 1\n'));
    expect(target.url).toMatch(new RegExp(`^${base}/local/uploads/${PATH}\\?expires=\\d+&checksum=[A-Za-z0-9%]+&signature=[A-Za-z0-9_-]{43}$`));
    expect(target.headers).toEqual({ 'x-amz-checksum-sha256': createHash('sha256').update('line 1\n').digest('base64') });
    const answer = await fetch(target.url, { method: 'PUT', headers: target.headers, body: 'line 1\n' });
    expect(answer.status).toBe(200);
    expect(readFileSync(join(filesDir, PATH), 'utf8')).toBe('line 1\n');
  });

  it('refuse, as S3 does, bytes sent without the checksum header or other than those the URL was made for, and keep nothing', async () => {
    const path = PATH.replace('0001', '0006');
    const target = await new LocalUploadUrls().putUrl(path, 900, sha256('line 1\n'));
    const bare = await fetch(target.url, { method: 'PUT', body: 'line 1\n' });
    expect(bare.status).toBe(403);
    expect(await bare.json()).toMatchObject({ code: 'UPLOAD_HEADER_MISSING', details: { path: 'x-amz-checksum-sha256' } });
    const other = await fetch(target.url, { method: 'PUT', headers: target.headers, body: 'line 2\n' });
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ code: 'BadDigest' });
    expect(() => readFileSync(join(filesDir, path))).toThrow();
    const forged = new URL(target.url);
    forged.searchParams.set('checksum', createHash('sha256').update('line 2\n').digest('base64'));
    const tampered = await fetch(forged, { method: 'PUT', headers: { 'x-amz-checksum-sha256': forged.searchParams.get('checksum')! }, body: 'line 2\n' });
    expect(tampered.status).toBe(403);
  });

  it('refuse an unsigned, tampered or expired URL and write nothing', async () => {
    const hash = sha256('x');
    const signed = await new LocalUploadUrls().putUrl(PATH.replace('0001', '0002'), 900, hash);
    const other = `${base}/local/uploads/${PATH.replace('0001', '0003')}${new URL(signed.url).search}`;
    const expired = (await new LocalUploadUrls(() => Date.now() - 3_600_000).putUrl(PATH.replace('0001', '0004'), 900, hash)).url;
    for (const url of [`${base}/local/uploads/${PATH.replace('0001', '0005')}`, other, expired]) {
      const answer = await fetch(url, { method: 'PUT', headers: signed.headers, body: 'x' });
      expect(answer.status).toBe(403);
      expect(await answer.json()).toMatchObject({ code: 'UPLOAD_URL_INVALID', details: { path: 'signature' } });
    }
    expect(() => readFileSync(join(filesDir, PATH.replace('0001', '0003')))).toThrow();
  });

  it('signs the method, the path, the expiry and the checksum with the secret', () => {
    const signature = localUploadSignature('s', PATH, 2_000_000_000, 'c1');
    expect(localUploadSignatureValid('s', PATH, '2000000000', 'c1', signature, 1_000)).toBe(true);
    expect(localUploadSignatureValid('t', PATH, '2000000000', 'c1', signature, 1_000)).toBe(false);
    expect(localUploadSignatureValid('s', PATH, '2000000001', 'c1', signature, 1_000)).toBe(false);
    expect(localUploadSignatureValid('s', PATH, '2000000000', 'c2', signature, 1_000)).toBe(false);
    expect(localUploadSignatureValid('s', PATH, '2000000000', null, signature, 1_000)).toBe(false);
    expect(localUploadSignatureValid('s', PATH, '2000000000', 'c1', signature, 2_000_000_001_000)).toBe(false);
    expect(localUploadSignatureValid('s', PATH, null, 'c1', signature, 1_000)).toBe(false);
    expect(localUploadSignatureValid('s', PATH, '2000000000', 'c1', null, 1_000)).toBe(false);
  });
});
