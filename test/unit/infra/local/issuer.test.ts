import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colendHome, issuerKeyPath, LOCAL_CONSOLE_CLIENT_ID, LOCAL_ISSUER, localJwks, mintToken, parseScope, REPOSITORY_ROOT, verifyLocalToken } from '../../../../infra/local/issuer.ts';
import { parseTokenArgs, UsageError } from '../../../../infra/local/token-args.ts';
import { LOCAL_USERS, USERNAME_PATTERN } from '../../../../infra/local/users.ts';
import { principalFromClaims } from '../../../../shared/http/principal.ts';

let home: string;
const previousHome = process.env.COLEND_HOME;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'colend-issuer-'));
  process.env.COLEND_HOME = home;
});

afterAll(() => {
  if (previousHome === undefined) delete process.env.COLEND_HOME;
  else process.env.COLEND_HOME = previousHome;
  rmSync(home, { recursive: true, force: true });
});

describe('the local issuer', () => {
  it('keeps its key pair in COLEND_HOME, readable only by its owner', async () => {
    expect(colendHome()).toBe(home);
    await localJwks();
    expect(issuerKeyPath()).toBe(join(home, 'issuer-key.json'));
    expect(statSync(issuerKeyPath()).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(issuerKeyPath(), 'utf8')) as { kid: string; privateJwk: { kty: string; d: string } };
    expect(file.privateJwk).toMatchObject({ kty: 'RSA' });
    expect((await localJwks()).keys).toEqual([expect.objectContaining({ kty: 'RSA', kid: file.kid, alg: 'RS256', use: 'sig' })]);
    expect((await localJwks()).keys[0]).not.toHaveProperty('d');
  });

  it('mints RS256 access tokens with the claims of a client-credentials token', async () => {
    const token = await mintToken({ scopes: ['partner'], lenderId: 'BANK_A' });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: (await localJwks()).keys[0]?.kid });
    const claims = decodeJwt(token);
    expect(claims).toEqual({
      iss: LOCAL_ISSUER,
      sub: 'local-partner-BANK_A',
      client_id: 'local-partner-BANK_A',
      scope: 'colend/partner',
      lender_id: 'BANK_A',
      token_use: 'access',
      iat: expect.any(Number),
      exp: (claims.iat ?? 0) + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const platform = decodeJwt(await mintToken({ scopes: ['lead', 'finance'], ttlSeconds: 60 }));
    expect(platform).toMatchObject({ client_id: 'local-lead-finance-platform', scope: 'colend/lead colend/finance' });
    expect(platform).not.toHaveProperty('lender_id');
    expect(decodeJwt(await mintToken({ scopes: ['finance'], clientId: 'reports' })).client_id).toBe('reports');
  });

  it("mints a user's token of the console's client: username and sub name the user", async () => {
    const claims = decodeJwt(await mintToken({ scopes: ['finance'], username: 'fin.wang' }));
    expect(claims).toMatchObject({ iss: LOCAL_ISSUER, sub: 'fin.wang', username: 'fin.wang', client_id: LOCAL_CONSOLE_CLIENT_ID, scope: 'colend/finance', token_use: 'access' });
    expect(claims).not.toHaveProperty('lender_id');
    expect(principalFromClaims(claims)).toEqual({ roles: ['FINANCE'], clientId: LOCAL_CONSOLE_CLIENT_ID, userId: 'fin.wang', lenderId: null });
    const bank = decodeJwt(await mintToken({ scopes: ['finance'], username: 'jn.chen', lenderId: 'JN_RCB' }));
    expect(principalFromClaims(bank)).toEqual({ roles: ['FINANCE'], clientId: LOCAL_CONSOLE_CLIENT_ID, userId: 'jn.chen', lenderId: 'JN_RCB' });
  });

  it('verifies its tokens against the JWKS it serves, so they survive a restart', async () => {
    const token = await mintToken({ scopes: ['lead'] });
    await expect(verifyLocalToken(token)).resolves.toMatchObject({ scope: 'colend/lead' });
    const jwks = createLocalJWKSet(await localJwks());
    await expect(jwtVerify(token, jwks, { issuer: LOCAL_ISSUER })).resolves.toBeDefined();
  });

  it('refuses expired tokens and tokens of another key', async () => {
    const expired = await mintToken({ scopes: ['lead'], ttlSeconds: -10 });
    await expect(verifyLocalToken(expired)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
    const forged = `${expired.split('.').slice(0, 2).join('.')}.${'A'.repeat(342)}`;
    await expect(verifyLocalToken(forged)).rejects.toBeDefined();
  });

  it('reads scopes with or without the resource server prefix', () => {
    expect(parseScope('lead')).toBe('lead');
    expect(parseScope('colend/finance')).toBe('finance');
    expect(parseScope('admin')).toBeUndefined();
    expect(parseScope('other/lead')).toBeUndefined();
  });
});

describe('npm run token', () => {
  it('reads its flags', () => {
    expect(parseTokenArgs(['--lender', 'BANK_A', '--scope', 'partner'])).toEqual({ scopes: ['partner'], lenderId: 'BANK_A' });
    expect(parseTokenArgs(['--scope', 'colend/lead'])).toEqual({ scopes: ['lead'] });
    expect(parseTokenArgs(['--scope', 'finance', '--lender', 'X', '--ttl', '600'])).toEqual({ scopes: ['finance'], lenderId: 'X', ttlSeconds: 600 });
    expect(parseTokenArgs(['--scope', 'lead', '--scope', 'finance', '--client-id', 'ops'])).toEqual({ scopes: ['lead', 'finance'], clientId: 'ops' });
  });

  it("reads --user: a local user's own scope and lender, or another name with its --scope", () => {
    expect(parseTokenArgs(['--user', 'fin.li'])).toEqual({ scopes: ['finance'], username: 'fin.li' });
    expect(parseTokenArgs(['--user', 'hx.sun', '--ttl', '60'])).toEqual({ scopes: ['finance'], username: 'hx.sun', lenderId: 'HX_CB', ttlSeconds: 60 });
    expect(parseTokenArgs(['--user', 'ops.zhao', '--scope', 'colend/lead'])).toEqual({ scopes: ['lead'], username: 'ops.zhao' });
    expect(parseTokenArgs(['--user', 'auditor@bank', '--scope', 'finance', '--lender', 'LS_IB'])).toEqual({ scopes: ['finance'], username: 'auditor@bank', lenderId: 'LS_IB' });
  });

  it('names the flag that is wrong', () => {
    const error = (argv: string[]): string => {
      try {
        parseTokenArgs(argv);
      } catch (caught) {
        expect(caught).toBeInstanceOf(UsageError);
        return (caught as Error).message;
      }
      return 'no error';
    };
    expect(error([])).toMatch(/Missing --scope/);
    expect(error(['--scope', 'admin'])).toMatch(/--scope admin is not one of lead, partner, finance/);
    expect(error(['--scope', 'partner'])).toMatch(/--scope partner needs --lender/);
    expect(error(['--scope', 'lead', '--ttl', 'soon'])).toMatch(/--ttl soon/);
    expect(error(['--scope', 'lead', '--lendr', 'X'])).toMatch(/--lendr/);
    expect(error(['--scope'])).toMatch(/--scope/);
    expect(error(['--user', 'fin.wang', '--scope', 'lead'])).toBe('--user fin.wang is a finance user: leave --scope and --lender out, or name another user');
    expect(error(['--user', 'jn.chen', '--lender', 'LS_IB'])).toBe('--user jn.chen is a finance user of JN_RCB: leave --scope and --lender out, or name another user');
    expect(error(['--user', 'fin wang'])).toMatch(/--user fin wang is not a user name/);
    expect(error(['--user', 'someone'])).toMatch(/Missing --scope/);
    expect(error(['--user', 'someone', '--scope', 'lead', '--scope', 'finance'])).toMatch(/--user someone takes one --scope/);
  });

  it('lists users of the demo story: each lender one of its partner banks, each name once', () => {
    const story = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'infra', 'local', 'scenarios', 'demo.json'), 'utf8')) as { lenders: { lenderId: string; roles: string[] }[] };
    const banks = story.lenders.filter((l) => l.roles.includes('PARTNER')).map((l) => l.lenderId);
    expect(LOCAL_USERS.flatMap((u) => (u.lenderId === undefined ? [] : [u.lenderId])).sort()).toEqual([...banks].sort());
    expect(LOCAL_USERS.filter((u) => u.lenderId === undefined && u.scope === 'finance').map((u) => u.username)).toEqual(['fin.wang', 'fin.li']);
    expect(new Set(LOCAL_USERS.map((u) => u.username)).size).toBe(LOCAL_USERS.length);
    for (const user of LOCAL_USERS) expect(user.username).toMatch(USERNAME_PATTERN);
  });

  it('prints only the token, and a usage error on stderr', () => {
    const run = (args: string[]) =>
      spawnSync(join(REPOSITORY_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPOSITORY_ROOT, 'infra', 'local', 'token.ts'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, COLEND_HOME: home },
        timeout: 60_000,
      });
    const ok = run(['--lender', 'BANK_A', '--scope', 'partner']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(decodeJwt(ok.stdout.trim())).toMatchObject({ lender_id: 'BANK_A', scope: 'colend/partner' });
    const bad = run(['--scope', 'partner']);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/--scope partner needs --lender/);
  });
});
