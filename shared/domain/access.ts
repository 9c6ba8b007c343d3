/** Who is calling, from the verified token: lead operations, a partner lender, or a finance team. */
export type PrincipalRole = 'LEAD' | 'PARTNER' | 'FINANCE';

export interface Principal {
  readonly role: PrincipalRole;
  readonly clientId: string;
  /** The lender the client belongs to; always set for partners, optional for finance. */
  readonly lenderId: string | null;
}

/** The lender whose data a principal is restricted to, or null when it sees all (lead operations, platform finance). */
export function restrictedTo(principal: Principal): string | null {
  return principal.role === 'LEAD' ? null : principal.lenderId;
}

export function canSeeLender(principal: Principal, lenderId: string): boolean {
  const only = restrictedTo(principal);
  return only === null || only === lenderId;
}

/**
 * The person or system behind a call, as recorded on what it decides (a break's history, an
 * adjustment's maker and checker): the token's client id. The one place that says so, so that a
 * user claim of the token replaces it in one line.
 */
export function actorOf(principal: Principal): string {
  return principal.clientId;
}
