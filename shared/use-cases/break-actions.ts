import { canSeeLender, type Principal } from '../domain/access.ts';
import { NotFound } from '../domain/errors.ts';
import { applyBreakAction, type BreakAction, type ReconciliationBreak } from '../domain/reconciliation-break.ts';
import { OPTIMISTIC_ATTEMPTS, WriteConflict, type BreakStore, type Clock, type Seal } from '../ports/stores.ts';

/**
 * What finance users do with a break (docs/reconciliation.md, Breaks): investigate it, accept it
 * without money moving (a reason required), assign an owner. Each action is decided on the break
 * as read and written on that version, with the request's idempotency record; a break changed
 * meanwhile is read again and the action decided on it.
 */

export interface BreakActionDeps {
  readonly breaks: Pick<BreakStore, 'get' | 'put'>;
  readonly clock: Clock;
}

export interface BreakActionRequest {
  readonly action: BreakAction;
  readonly reason: string;
  readonly owner?: string;
}

/** One break; a caller restricted to a lender sees only that lender's breaks (another's are not found). */
export async function breakFor(deps: Pick<BreakActionDeps, 'breaks'>, principal: Principal, breakId: string): Promise<ReconciliationBreak> {
  const found = await deps.breaks.get(breakId);
  if (found === null || !canSeeLender(principal, found.lenderId)) throw new NotFound('break', breakId);
  return found;
}

/** Applies a finance user's action to a break; the answer (the break after it) is sealed into the same write. */
export function actOnBreak(deps: BreakActionDeps, breakId: string, request: BreakActionRequest, by: string, seal: Seal): Promise<ReconciliationBreak> {
  return changeBreak(deps, breakId, (current) => applyBreakAction(current, request, by, deps.clock.now()), seal);
}

/**
 * Reads a break, decides its change and writes it on the version read, with the idempotency record
 * `seal` makes of the answer; a break changed meanwhile is read and decided again. `decide` answers
 * the break unchanged when there is nothing to write.
 */
export async function changeBreak(
  deps: Pick<BreakActionDeps, 'breaks'>,
  breakId: string,
  decide: (current: ReconciliationBreak) => ReconciliationBreak,
  seal?: Seal,
): Promise<ReconciliationBreak> {
  for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
    const current = await deps.breaks.get(breakId);
    if (current === null) throw new NotFound('break', breakId);
    const next = decide(current);
    if (next === current) return current;
    try {
      await deps.breaks.put(next, current.version, seal?.(200, next));
      return next;
    } catch (error) {
      if (!(error instanceof WriteConflict && error.reason === 'VERSION')) throw error;
    }
  }
  throw new WriteConflict('BUSY', 'reconciliation-break');
}
