import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { colendHome } from './checkout.ts';
import { calculateJwkThumbprint, jwtVerify, SignJWT } from 'jose';
import type { JWK, JWTPayload } from 'jose';

/**
 * The local OAuth token issuer: it signs RS256 access tokens shaped like Cognito's in AWS (a
 * client-credentials token of a client, or a user's token of the console's app client), which
 * the local HTTP API verifies against its JWKS the way the API Gateway JWT authorizer does. Its key pair lives in `.colend/issuer-key.json`
 * (or `$COLEND_HOME/issuer-key.json`), so tokens survive restarts of `npm start`.
 */

/** Fixed, not port-dependent, so a token minted before a restart stays valid after it. */
export const LOCAL_ISSUER = 'http://localhost/local-issuer';
export const JWKS_PATH = '/local-issuer/.well-known/jwks.json';
export const OPENID_CONFIGURATION_PATH = '/local-issuer/.well-known/openid-configuration';
export const RESOURCE_SERVER = 'colend';
export const LOCAL_SCOPES = ['lead', 'partner', 'finance'] as const;
export type LocalScope = (typeof LOCAL_SCOPES)[number];

export { colendHome, REPOSITORY_ROOT } from './checkout.ts';

export function issuerKeyPath(): string {
  return join(colendHome(), 'issuer-key.json');
}

interface IssuerKeyFile {
  kid: string;
  privateJwk: JsonWebKey;
  createdAt: string;
}

interface IssuerKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
}

const keys = new Map<string, Promise<IssuerKey>>();

async function createKeyFile(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK);
  const file: IssuerKeyFile = { kid, privateJwk: privateKey.export({ format: 'jwk' }), createdAt: new Date().toISOString() };
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  try {
    // link() never replaces an existing file: when two processes race, the first key wins.
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}

async function readKey(path: string): Promise<IssuerKey> {
  if (!existsSync(path)) await createKeyFile(path);
  const file = JSON.parse(readFileSync(path, 'utf8')) as IssuerKeyFile;
  const privateKey = createPrivateKey({ key: file.privateJwk, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  return { kid: file.kid, privateKey, publicKey, publicJwk: { ...publicJwk, kid: file.kid, alg: 'RS256', use: 'sig' } };
}

/** The issuer's key pair, created on first use. */
export function issuerKey(): Promise<IssuerKey> {
  const path = issuerKeyPath();
  let key = keys.get(path);
  if (!key) {
    key = readKey(path);
    keys.set(path, key);
    key.catch(() => keys.delete(path));
  }
  return key;
}

export async function localJwks(): Promise<{ keys: JWK[] }> {
  return { keys: [(await issuerKey()).publicJwk] };
}

export function openIdConfiguration(baseUrl: string): Record<string, unknown> {
  return {
    issuer: LOCAL_ISSUER,
    jwks_uri: `${baseUrl}${JWKS_PATH}`,
    token_endpoint_auth_methods_supported: ['none'],
    grant_types_supported: ['client_credentials'],
    scopes_supported: LOCAL_SCOPES.map((scope) => `${RESOURCE_SERVER}/${scope}`),
    id_token_signing_alg_values_supported: ['RS256'],
  };
}

/** `partner` or `colend/partner` → `partner`; anything else → undefined. */
export function parseScope(value: string): LocalScope | undefined {
  const bare = value.startsWith(`${RESOURCE_SERVER}/`) ? value.slice(RESOURCE_SERVER.length + 1) : value;
  return (LOCAL_SCOPES as readonly string[]).includes(bare) ? (bare as LocalScope) : undefined;
}

/** The app client of the console's user tokens on the local stack; the console's app client in AWS. */
export const LOCAL_CONSOLE_CLIENT_ID = 'local-console';

export interface MintTokenOptions {
  scopes: LocalScope[];
  /** The lender the client (or the user) belongs to: the `lender_id` claim. */
  lenderId?: string;
  /** A user's token: the `username` claim (and its `sub`), issued to the console's client. */
  username?: string;
  /** Defaults to `local-<scopes>-<lenderId or platform>`, or the console's client for a user. */
  clientId?: string;
  /** Defaults to one hour, as Cognito access tokens. */
  ttlSeconds?: number;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export function defaultClientId(scopes: readonly LocalScope[], lenderId?: string): string {
  return `local-${scopes.join('-') || 'none'}-${lenderId ?? 'platform'}`;
}

/** An RS256 access token from the local issuer. */
export async function mintToken(options: MintTokenOptions): Promise<string> {
  const key = await issuerKey();
  const clientId = options.clientId ?? (options.username !== undefined ? LOCAL_CONSOLE_CLIENT_ID : defaultClientId(options.scopes, options.lenderId));
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    client_id: clientId,
    scope: options.scopes.map((scope) => `${RESOURCE_SERVER}/${scope}`).join(' '),
    token_use: 'access',
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.lenderId !== undefined ? { lender_id: options.lenderId } : {}),
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setSubject(options.username ?? clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS))
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/**
 * Verifies a token as the API Gateway JWT authorizer does: signature, issuer, expiry. The
 * audience is not checked: any client the local issuer minted a token for is accepted.
 */
export async function verifyLocalToken(token: string): Promise<JWTPayload> {
  const known = verified.get(token);
  if (known !== undefined && typeof known.exp === 'number' && known.exp * 1000 > Date.now()) return known;
  verified.delete(token);
  const key = await issuerKey();
  const { payload } = await jwtVerify(token, key.publicKey, { issuer: LOCAL_ISSUER, algorithms: ['RS256'] });
  if (verified.size >= MAX_VERIFIED) verified.clear();
  verified.set(token, payload);
  return payload;
}

/**
 * Tokens whose signature was checked, until they expire: a client sends the same token with every
 * call, and the signature check is the authorizer's largest cost. Past its expiry a token is
 * checked again, and refused as expired.
 */
const verified = new Map<string, JWTPayload>();
const MAX_VERIFIED = 10_000;
