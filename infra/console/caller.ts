import type { Principal } from '../../shared/domain/access.ts';
import { principalFromClaims } from '../../shared/http/principal.ts';

/**
 * Who a token names, read with the API's own reading of claims, so the console offers what the
 * API allows (it only chooses what to show: the API checks every call again).
 */

/** The caller a token names, read as the API reads it; null when the API would refuse it. */
export function principalOf(token: string): Principal | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
    return principalFromClaims(claims);
  } catch {
    return null;
  }
}
