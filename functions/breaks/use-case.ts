import { actorOf, type Principal } from '../../shared/domain/access.ts';
import type { ReconciliationBreak } from '../../shared/domain/reconciliation-break.ts';
import type { BreakActionRequestBody } from '../../shared/contracts/adjustments.ts';
import type { IdempotencyStore, Seal } from '../../shared/ports/stores.ts';
import { actOnBreak, breakFor, type BreakActionDeps } from '../../shared/use-cases/break-actions.ts';

/** What the breaks API reads and writes (docs/reconciliation.md, Breaks). */
export interface BreaksDeps extends BreakActionDeps {
  readonly idempotency: IdempotencyStore;
}

/** `GET /v1/breaks/{breakId}`: a partner sees only its own lender's breaks. */
export function getBreak(deps: BreaksDeps, principal: Principal, breakId: string): Promise<ReconciliationBreak> {
  return breakFor(deps, principal, breakId);
}

/** `POST /v1/breaks/{breakId}/actions`: the action, recorded in the break's history under the caller. */
export async function postBreakAction(deps: BreaksDeps, principal: Principal, breakId: string, body: BreakActionRequestBody, seal: Seal): Promise<void> {
  await actOnBreak(deps, breakId, { action: body.action, reason: body.reason, ...(body.owner === undefined ? {} : { owner: body.owner }) }, actorOf(principal), seal);
}
