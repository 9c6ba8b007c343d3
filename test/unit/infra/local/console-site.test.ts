import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSite } from '../../../../infra/local/console-site.ts';
import { FunctionHost } from '../../../../infra/local/functions.ts';
import { startHttpApi, type HttpApiServer } from '../../../../infra/local/http-api.ts';
import { LOCAL_CONSOLE_CLIENT_ID, verifyLocalToken } from '../../../../infra/local/issuer.ts';
import { LOCAL_USERS } from '../../../../infra/local/users.ts';

let server: HttpApiServer;
let base: string;
let home: string;
const previousHome = process.env.COLEND_HOME;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'colend-console-site-'));
  process.env.COLEND_HOME = home;
  const functions = new FunctionHost([], { rootDir: home });
  server = await startHttpApi({ routes: [], functions, localHandlers: [consoleSite()], isReady: () => true, baseUrl: () => base }, 0);
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.close();
  if (previousHome === undefined) delete process.env.COLEND_HOME;
  else process.env.COLEND_HOME = previousHome;
  rmSync(home, { recursive: true, force: true });
});

describe('the console on the local server', () => {
  it('serves the built page at /console/, its script and styles, and a config that signs in locally', async () => {
    const redirect = await fetch(`${base}/console`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([302, '/console/']);
    const page = await fetch(`${base}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
    const script = await fetch(`${base}/console/app.js`);
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(await script.text()).toContain('结算批次');
    expect((await fetch(`${base}/console/app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await (await fetch(`${base}/console/config.json`)).json()).toEqual({ signIn: 'local' });
    expect((await fetch(`${base}/console/missing.js`)).status).toBe(404);
  });

  it('lists the local users and signs one in with a token of the local issuer naming the user', async () => {
    const listed = (await (await fetch(`${base}/local/console/users`)).json()) as { users: { username: string }[] };
    expect(listed.users.map((u) => u.username)).toEqual(LOCAL_USERS.map((u) => u.username));
    const answer = await fetch(`${base}/local/console/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ls.zhou' }) });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { accessToken: string; tokenType: string; expiresIn: number };
    expect([body.tokenType, body.expiresIn]).toEqual(['Bearer', 3600]);
    await expect(verifyLocalToken(body.accessToken)).resolves.toBeDefined();
    expect(decodeJwt(body.accessToken)).toMatchObject({ username: 'ls.zhou', client_id: LOCAL_CONSOLE_CLIENT_ID, scope: 'colend/finance', lender_id: 'LS_IB' });
  });

  it('refuses a sign-in without a known user, naming the field', async () => {
    const post = (body: unknown) => fetch(`${base}/local/console/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const unknown = await post({ username: 'mallory' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'NOT_FOUND', details: { path: 'username' } });
    const missing = await post({});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: { path: 'username' } });
  });
});
