import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colendHome, issuerKeyPath, LOCAL_ISSUER, localJwks, mintToken, parseScope, REPOSITORY_ROOT, verifyLocalToken } from '../../../../infra/local/issuer.ts';
import { parseTokenArgs, UsageError } from '../../../../infra/local/token-args.ts';

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
