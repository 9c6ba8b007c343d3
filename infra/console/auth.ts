import type { Principal } from '../../shared/domain/access.ts';
import type { LocalUser } from '../local/users.ts';
import { principalOf } from './caller.ts';
import type { CognitoConfig, ConsoleConfig } from './config.ts';

/**
 * Who uses the console, and their token. On the local stack the sign-in page lists the local
 * users and asks the local server for a token (`/local/console/...`, which exists only there); in
 * AWS it sends the user to the Cognito hosted login (authorization code with PKCE) and exchanges
 * the code for an access token. The token lives in this tab's sessionStorage only.
 */

export interface Session {
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly principal: Principal;
}

export type LocalUserView = LocalUser;

const SESSION_KEY = 'colend.console.session';
const PKCE_KEY = 'colend.console.pkce';
/** A token this close to its expiry is not used any more. */
const EXPIRY_MARGIN_MS = 30_000;

function sessionOf(accessToken: string, expiresInSeconds: number): Session {
  const principal = principalOf(accessToken);
  if (principal === null) throw new Error('the token carries no Colend role');
  const session = { accessToken, expiresAt: Date.now() + expiresInSeconds * 1000, principal };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

export function currentSession(): Session | null {
  const text = sessionStorage.getItem(SESSION_KEY);
  if (text === null) return null;
  try {
    const session = JSON.parse(text) as Session;
    if (session.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return session;
  } catch {
    // A damaged entry is a session that ended.
  }
  sessionStorage.removeItem(SESSION_KEY);
  return null;
}

export function endSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

async function json<T>(response: Response): Promise<T> {
  const body = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(body.message ?? response.statusText);
  return body;
}

export async function localUsers(): Promise<LocalUserView[]> {
  return (await json<{ users: LocalUserView[] }>(await fetch('/local/console/users'))).users;
}

export async function localSignIn(username: string): Promise<Session> {
  const answer = await json<{ accessToken: string; expiresIn: number }>(
    await fetch('/local/console/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) }),
  );
  return sessionOf(answer.accessToken, answer.expiresIn);
}

const base64Url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const redirectUri = (): string => `${location.origin}/console/`;

/** Sends the browser to the hosted login with a fresh PKCE verifier and state. */
export async function startCognitoSignIn(config: CognitoConfig): Promise<void> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(config.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** On the way back from the hosted login: the code exchanged for a token, or null when the page was not called back. */
export async function finishCognitoSignIn(config: CognitoConfig): Promise<Session | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (code === null) return null;
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, '', location.pathname + location.hash);
  if (pending === null || params.get('state') !== pending.state) throw new Error('the sign-in came back without the state it was sent with');
  const answer = await json<{ access_token: string; expires_in: number }>(
    await fetch(config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: config.clientId, code, redirect_uri: redirectUri(), code_verifier: pending.verifier }),
    }),
  );
  return sessionOf(answer.access_token, answer.expires_in);
}

/** Where signing out goes: the hosted logout in AWS (back to the console), nowhere locally. */
export function signOutUrl(config: ConsoleConfig): string | null {
  if (config.signIn !== 'cognito') return null;
  const url = new URL(config.logoutUrl);
  url.search = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri() }).toString();
  return url.toString();
}
