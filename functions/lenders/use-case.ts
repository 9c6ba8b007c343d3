import { canSeeLender, restrictedTo, type Principal } from '../../shared/domain/access.ts';
import { lenderView, validateLender, type Lender } from '../../shared/domain/lender.ts';
import { NotFound } from '../../shared/domain/errors.ts';
import type { LenderStore, PageRequest, Seal } from '../../shared/ports/stores.ts';
import type { CreateLenderRequest } from '../../shared/contracts/schemas.ts';

export interface LenderDeps {
  readonly lenders: LenderStore;
}

export async function createLender(deps: LenderDeps, input: CreateLenderRequest, seal: Seal, now: string): Promise<void> {
  const lender = validateLender({ ...input, createdAt: now });
  await deps.lenders.create(lender, seal(201, lenderView(lender)));
}

/** A page of the lenders in id order; a lender's callers see their own lender alone, on one page. */
export async function listLenders(deps: LenderDeps, principal: Principal, page: PageRequest): Promise<{ lenders: ReturnType<typeof lenderView>[]; cursor: string | null }> {
  const only = restrictedTo(principal);
  if (only !== null) return { lenders: [await deps.lenders.get(only)].filter((l): l is Lender => l !== null).map(lenderView), cursor: null };
  const found = await deps.lenders.page(page);
  return { lenders: found.items.map(lenderView), cursor: found.cursor };
}

/** Another lender's record answers 404, exactly as a lender that does not exist. */
export async function getLender(deps: LenderDeps, principal: Principal, lenderId: string): Promise<ReturnType<typeof lenderView>> {
  const lender = canSeeLender(principal, lenderId) ? await deps.lenders.get(lenderId) : null;
  if (!lender) throw new NotFound('lender', lenderId);
  return lenderView(lender);
}
