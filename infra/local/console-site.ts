import type { IncomingMessage } from 'node:http';
import { buildConsole, type ConsoleFile } from '../console/build.ts';
import type { ConsoleConfig } from '../console/config.ts';
import { jsonResponse, type ApiResponse } from './api-event.ts';
import { readJsonBody } from './http-api.ts';
import { DEFAULT_TOKEN_TTL_SECONDS, mintToken } from './issuer.ts';
import { LOCAL_TOKEN_COOKIE, sameToken } from './state-file.ts';
import { LOCAL_USERS, localUser } from './users.ts';

/**
 * The finance console on the local stack (docs/console.md): `/console/` serves the page the CDK
 * app puts behind CloudFront, built with esbuild when it is first asked for, and its sign-in asks
 * two endpoints that exist only here, never in the CDK app:
 *   GET  /local/console/users   the local users (infra/local/users.ts)
 *   POST /local/console/token   {"username"} → a token of the local issuer for that user
 * In AWS the same page sends its users to the Cognito hosted login instead (its config.json says which).
 * Those endpoints are local-only (`/local/*`): they take the stack's local token, which the console
 * URL the banner prints carries once (`/console/?local-token=...`): the server answers it with the
 * token in a same-site, script-proof cookie for `/local/` and sends the browser on to `/console/`.
 */

export const CONSOLE_PATH = '/console/';
const LOCAL_CONFIG: ConsoleConfig = { signIn: 'local' };

/** The page may load its own files and call its own origin, nothing else. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

function file(f: Pick<ConsoleFile, 'contentType' | 'body'>): ApiResponse {
  const headers: Array<[string, string]> = [
    ['content-type', f.contentType],
    ['cache-control', 'no-cache'],
    ['x-content-type-options', 'nosniff'],
  ];
  if (f.contentType.startsWith('text/html')) headers.push(['content-security-policy', CONTENT_SECURITY_POLICY]);
  return { statusCode: 200, headers, body: Buffer.from(f.body) };
}

export type LocalHandler = (request: IncomingMessage, url: URL) => Promise<ApiResponse | undefined>;

/** The query parameter of the console URL that carries the local token once. */
export const CONSOLE_TOKEN_PARAMETER = 'local-token';

/** The console's address with the local token, as the banner prints it. */
export function consoleUrl(baseUrl: string, localToken: string): string {
  return `${baseUrl}${CONSOLE_PATH}?${CONSOLE_TOKEN_PARAMETER}=${encodeURIComponent(localToken)}`;
}

function tokenCookie(presented: string): ApiResponse {
  const cookie = `${LOCAL_TOKEN_COOKIE}=${presented}; Path=/local/; HttpOnly; SameSite=Strict`;
  return { statusCode: 302, headers: [['location', CONSOLE_PATH], ['set-cookie', cookie], ['cache-control', 'no-store']], body: Buffer.alloc(0) };
}

/** The console's files and local sign-in, as a local handler of the HTTP server. */
export function consoleSite(log: (line: string) => void = () => undefined, localToken?: string): LocalHandler {
  let built: ConsoleFile[] | undefined;
  const files = (): ConsoleFile[] => {
    if (built === undefined) {
      const started = Date.now();
      built = buildConsole();
      log(`console built in ${Date.now() - started} ms`);
    }
    return built;
  };
  return async (request, url) => {
    const path = url.pathname;
    if (path === '/console' && request.method === 'GET') return { statusCode: 302, headers: [['location', CONSOLE_PATH]], body: Buffer.alloc(0) };
    const presented = url.searchParams.get(CONSOLE_TOKEN_PARAMETER);
    if (path === CONSOLE_PATH && request.method === 'GET' && presented !== null) {
      if (localToken === undefined || !sameToken(localToken, presented)) {
        return jsonResponse(401, { code: 'LOCAL_TOKEN_REQUIRED', message: 'this console link is not the running stack\'s: open the one npm start printed', details: { path: CONSOLE_TOKEN_PARAMETER } });
      }
      return tokenCookie(presented);
    }
    if (path.startsWith(CONSOLE_PATH) && request.method === 'GET') {
      const name = path.slice(CONSOLE_PATH.length) || 'index.html';
      if (name === 'config.json') return jsonResponse(200, LOCAL_CONFIG, [['cache-control', 'no-store']]);
      const found = files().find((f) => f.name === name);
      return found === undefined ? jsonResponse(404, { message: 'Not Found' }) : file(found);
    }
    if (path === '/local/console/users' && request.method === 'GET') return jsonResponse(200, { users: LOCAL_USERS }, [['cache-control', 'no-store']]);
    if (path === '/local/console/token' && request.method === 'POST') return signIn(await readJsonBody(request));
    return undefined;
  };
}

async function signIn(body: Record<string, unknown>): Promise<ApiResponse> {
  if (typeof body.username !== 'string') return jsonResponse(400, { code: 'VALIDATION_FAILED', message: 'username: the local user to sign in as', details: { path: 'username' } });
  const user = localUser(body.username);
  if (user === undefined) {
    return jsonResponse(404, { code: 'NOT_FOUND', message: `${body.username} is not a local user (${LOCAL_USERS.map((u) => u.username).join(', ')})`, details: { path: 'username' } });
  }
  const accessToken = await mintToken({ scopes: [user.scope], username: user.username, ...(user.lenderId === undefined ? {} : { lenderId: user.lenderId }) });
  return jsonResponse(200, { accessToken, tokenType: 'Bearer', expiresIn: DEFAULT_TOKEN_TTL_SECONDS }, [['cache-control', 'no-store']]);
}
