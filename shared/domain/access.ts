/** Who is calling, from the verified token: lead operations, a partner lender, or a finance team. */
export type PrincipalRole = 'LEAD' | 'PARTNER' | 'FINANCE';

/**
 * The scope of the `colend` resource server that grants each role. A client may hold several (a
 * bank's client that decides reviews as a partner and reconciles as its finance team); each
 * route checks the one it needs.
 */
export const ROLE_SCOPES: Readonly<Record<PrincipalRole, string>> = { LEAD: 'colend/lead', PARTNER: 'colend/partner', FINANCE: 'colend/finance' };

export interface Principal {
  /** Every role the token grants, at least one, without repeats, in the order of `ROLE_SCOPES`. */
  readonly roles: readonly PrincipalRole[];
  /** The app client the token was issued to (a console's users share their console's client). */
  readonly clientId: string;
  /**
   * Who acts: the signed-in user of a user token (its `username`, or `sub`), or the client itself
   * for a client-credentials token. What a person records (an executed transfer, a decision, a
   * loaded calendar) names it, and maker-checker tells two people apart by it.
   */
  readonly userId: string;
  /** The lender the client belongs to; always set for partners, optional for finance. */
  readonly lenderId: string | null;
}

/** Whether the caller holds a role; a route open to several roles lets in a caller holding any of them. */
export function hasRole(principal: Principal, role: PrincipalRole): boolean {
  return principal.roles.includes(role);
}

/** Whether the caller holds any of a route's roles. */
export function holdsAnyOf(principal: Principal, roles: readonly PrincipalRole[]): boolean {
  return roles.some((role) => hasRole(principal, role));
}

/**
 * The lender whose data a principal is restricted to, or null when it sees all (lead operations,
 * platform finance). Lead operations see every lender whatever else the token holds; otherwise the
 * token's lender bounds every role it holds.
 */
export function restrictedTo(principal: Principal): string | null {
  return hasRole(principal, 'LEAD') ? null : principal.lenderId;
}

export function canSeeLender(principal: Principal, lenderId: string): boolean {
  const only = restrictedTo(principal);
  return only === null || only === lenderId;
}

/**
 * The terms (of a program, or copied onto a loan) as a caller restricted to one lender sees them:
 * its own participation only. Another lender's share, priority and yield rate are that lender's
 * agreement, not this one's; the terms every party signed (split rules, fees, loss sharing,
 * settlement) stay whole. Unrestricted callers see every participant.
 */
export function ownTerms<T extends { readonly participants: readonly { readonly lenderId: string }[] }>(terms: T, only: string | null): T {
  return only === null ? terms : { ...terms, participants: terms.participants.filter((p) => p.lenderId === only) };
}

/**
 * The person or system behind a call, as recorded on what it decides (a break's history, an
 * adjustment's maker and checker): the token's user (its client for a client-credentials token),
 * so two people signed in to one console are two actors.
 */
export function actorOf(principal: Principal): string {
  return principal.userId;
}
