import { actorOf, type Principal } from '../../shared/domain/access.ts';
import type { Adjustment } from '../../shared/domain/adjustment.ts';
import type { AdjustmentRequestBody, AdjustmentsQuery } from '../../shared/contracts/adjustments.ts';
import type { IdempotencyStore, Seal } from '../../shared/ports/stores.ts';
import {
  adjustmentFor,
  adjustmentsFor,
  approveAdjustmentOf,
  proposeAdjustmentOf,
  rejectAdjustmentOf,
  type AdjustmentDeps,
} from '../../shared/use-cases/adjustments.ts';

/** What the adjustments API reads and writes (docs/reconciliation.md, Adjustments). */
export interface AdjustmentsDeps extends AdjustmentDeps {
  readonly idempotency: IdempotencyStore;
}

/** `POST /v1/adjustments`: 201 when proposed now, 200 when the same proposal was made before. */
export async function postAdjustment(deps: AdjustmentsDeps, principal: Principal, body: AdjustmentRequestBody): Promise<{ statusCode: number; body: Adjustment }> {
  const { breakId, ...rest } = body;
  const { created, adjustment } = await proposeAdjustmentOf(deps, { ...rest, breakId: breakId ?? null }, actorOf(principal));
  return { statusCode: created ? 201 : 200, body: adjustment };
}

/** `POST /v1/adjustments/{adjustmentId}/approval`: the checker's approval; its answer is the request's idempotency record. */
export async function postApproval(deps: AdjustmentsDeps, principal: Principal, adjustmentId: string, reason: string, seal: Seal): Promise<void> {
  const approved = await approveAdjustmentOf(deps, adjustmentId, actorOf(principal), reason);
  await deps.idempotency.put(seal(200, approved));
}

/** `POST /v1/adjustments/{adjustmentId}/rejection`: a checker's rejection or the maker's withdrawal. */
export async function postRejection(deps: AdjustmentsDeps, principal: Principal, adjustmentId: string, reason: string, seal: Seal): Promise<void> {
  const rejected = await rejectAdjustmentOf(deps, adjustmentId, actorOf(principal), reason);
  await deps.idempotency.put(seal(200, rejected));
}

export const getAdjustment = adjustmentFor;

/** `GET /v1/adjustments`: a page of one state's adjustments and where the next page starts. */
export async function listAdjustments(deps: AdjustmentsDeps, principal: Principal, query: AdjustmentsQuery): Promise<{ state: string; adjustments: readonly Adjustment[]; cursor: string | null }> {
  const page = await adjustmentsFor(deps, principal, query);
  return { state: query.state, adjustments: page.items, cursor: page.cursor };
}
