import { beforeEach, describe, expect, it } from 'vitest';
import { DomainError, NotFound } from '../../../../shared/domain/errors.ts';
import type { ReconciliationBreak } from '../../../../shared/domain/reconciliation-break.ts';
import { WriteConflict, type BreakStore } from '../../../../shared/ports/stores.ts';
import { actOnBreak, breakFor, type BreakActionDeps } from '../../../../shared/use-cases/break-actions.ts';
import { aBreak, BREAK_ID } from '../../../support/adjustments.ts';
import { financeOf, leadOps, PARTNER_A, PARTNER_B, partnerOf, platformFinance } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, sealFor, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const AT = '2025-03-04T02:00:00.000Z';
const USER = 'finance-user';

let stores: InMemoryStores;
let deps: BreakActionDeps;

beforeEach(() => {
  stores = createInMemoryStores(AT);
  stores.breaks.breaks.set(BREAK_ID, aBreak());
  deps = { breaks: stores.breaks, clock: stores.clock };
});

const seal = (key = 'k-1') => sealFor(`actOnBreak#${USER}#${key}`, AT);

async function expectCode(action: () => Promise<unknown>, code: string, details?: Record<string, unknown>): Promise<void> {
  const error = await rejectedBy(DomainError, action);
  expect(error.code).toBe(code);
  if (details !== undefined) expect(error.details).toMatchObject(details);
}

describe('actOnBreak', () => {
  it('investigates: INVESTIGATING, owned by the caller, one history entry, written on the version read with the idempotency record', async () => {
    const after = await actOnBreak(deps, BREAK_ID, { action: 'INVESTIGATE', reason: 'Asking the bank' }, USER, seal());
    const expected: ReconciliationBreak = {
      ...aBreak(),
      state: 'INVESTIGATING',
      owner: USER,
      history: [{ at: AT, by: USER, from: 'OPEN', to: 'INVESTIGATING', reason: 'Asking the bank', owner: USER }],
      version: 2,
    };
    expect(after).toEqual(expected);
    expect(await stores.breaks.get(BREAK_ID)).toEqual(expected);
    const record = await stores.idempotency.get(`actOnBreak#${USER}#k-1`);
    expect(JSON.parse((record as { responseBody: string }).responseBody)).toMatchObject({ breakId: BREAK_ID, state: 'INVESTIGATING', version: 2, differenceMinor: '-150' });
  });

  it('assigns an owner, keeping the state; refuses an assignment without one', async () => {
    expect(await actOnBreak(deps, BREAK_ID, { action: 'ASSIGN', reason: '', owner: 'ops-lead' }, USER, seal())).toMatchObject({ state: 'OPEN', owner: 'ops-lead', version: 2 });
    await expectCode(() => actOnBreak(deps, BREAK_ID, { action: 'ASSIGN', reason: 'No one' }, USER, seal('k-2')), 'VALIDATION_FAILED', { path: 'owner', rule: 'required' });
  });

  it('refuses to accept without a reason, and changes nothing', async () => {
    await expectCode(() => actOnBreak(deps, BREAK_ID, { action: 'ACCEPT', reason: '   ' }, USER, seal()), 'VALIDATION_FAILED', { path: 'reason', rule: 'required' });
    expect(await stores.breaks.get(BREAK_ID)).toEqual(aBreak());
    expect(await stores.idempotency.get(`actOnBreak#${USER}#k-1`)).toBeNull();
  });

  it('accepts with a reason, without money moving; a closed break takes no further action', async () => {
    const accepted = await actOnBreak(deps, BREAK_ID, { action: 'ACCEPT', reason: 'Rounding at the bank, 1.50' }, USER, seal());
    expect(accepted).toMatchObject({ state: 'ACCEPTED', history: [{ from: 'OPEN', to: 'ACCEPTED', reason: 'Rounding at the bank, 1.50', by: USER }] });
    await expectCode(() => actOnBreak(deps, BREAK_ID, { action: 'INVESTIGATE', reason: '' }, USER, seal('k-2')), 'BREAK_CLOSED', { breakId: BREAK_ID, state: 'ACCEPTED' });
    expect(stores.db.entries.size).toBe(0);
  });

  it('decides again on the break as another write left it', async () => {
    let lost = false;
    const racing: Pick<BreakStore, 'get' | 'put'> = {
      get: (id) => stores.breaks.get(id),
      put: async (changed, expected, idempotency) => {
        if (!lost) {
          lost = true;
          // Another user accepted it between our read and our write.
          await stores.breaks.put({ ...aBreak(), state: 'ACCEPTED', version: 2 }, 1);
          throw new WriteConflict('VERSION', 'reconciliation-break');
        }
        return stores.breaks.put(changed, expected, idempotency);
      },
    };
    await expectCode(() => actOnBreak({ ...deps, breaks: racing }, BREAK_ID, { action: 'INVESTIGATE', reason: '' }, USER, seal()), 'BREAK_CLOSED');
  });

  it('knows no break it was not given', async () => {
    await rejectedBy(NotFound, () => actOnBreak(deps, 'BK-20250303-PR-ffffffffffffffffffff', { action: 'INVESTIGATE', reason: '' }, USER, seal()));
  });
});

describe('breakFor', () => {
  it("shows a break to the platform and to its own lender's callers; another lender's are not found", async () => {
    for (const principal of [leadOps, platformFinance, partnerOf(PARTNER_A), financeOf(PARTNER_A)]) expect((await breakFor(deps, principal, BREAK_ID)).breakId).toBe(BREAK_ID);
    for (const principal of [partnerOf(PARTNER_B), financeOf(PARTNER_B)]) await rejectedBy(NotFound, () => breakFor(deps, principal, BREAK_ID));
  });
});
