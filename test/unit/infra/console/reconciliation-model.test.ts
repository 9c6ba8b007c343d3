import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageOf, approvalOf, mayActOnBreaks, mayAdjust, mayReconcileEscrow, minorOfInput, openBreaksByAge, proposalFromBreak } from '../../../../infra/console/reconciliation-model.ts';
import { isPlatform } from '../../../../infra/console/context.ts';
import { holdsAnyOf } from '../../../../shared/domain/access.ts';
import { routeSpec } from '../../../../shared/http/routes.ts';
import { financeOf, leadOps, PARTNER_A, partnerOf, platformFinance } from '../../../support/builders.ts';

const callers = [leadOps, platformFinance, financeOf(PARTNER_A), partnerOf(PARTNER_A)];
const allowedBy = (routeKey: string) => (principal: (typeof callers)[number]) => holdsAnyOf(principal, routeSpec(routeKey)!.roles) && isPlatform(principal);

describe("the reconciliation panels' roles", () => {
  it('offers break actions and adjustments exactly to the platform callers their routes let in', () => {
    expect(callers.map(mayActOnBreaks)).toEqual(callers.map(allowedBy('POST /v1/breaks/{breakId}/actions')));
    expect(callers.map(mayActOnBreaks)).toEqual([true, true, false, false]);
    for (const route of ['POST /v1/adjustments', 'POST /v1/adjustments/{adjustmentId}/approval', 'POST /v1/adjustments/{adjustmentId}/rejection']) {
      expect(callers.map(mayAdjust), route).toEqual(callers.map(allowedBy(route)));
    }
    expect(callers.map(mayAdjust)).toEqual([false, true, false, false]);
    expect(callers.map(mayReconcileEscrow)).toEqual([true, true, false, false]);
  });

  it("disables approval for the adjustment's maker, hides it from those who cannot approve and once decided", () => {
    const maker = { ...platformFinance, userId: 'fin.wang' };
    const checker = { ...platformFinance, userId: 'fin.li' };
    const proposed = { state: 'PROPOSED' as const, proposedBy: 'fin.wang' };
    expect([approvalOf(proposed, maker), approvalOf(proposed, checker), approvalOf(proposed, leadOps), approvalOf(proposed, financeOf(PARTNER_A))]).toEqual(['OWN_PROPOSAL', 'ALLOWED', 'HIDDEN', 'HIDDEN']);
    expect(approvalOf({ ...proposed, state: 'APPROVED' }, checker)).toBe('HIDDEN');
  });
});

describe('the adjustment a break suggests', () => {
  const aBreak = { breakId: 'BK-20261202-PR-0123456789abcdef0123', recordKey: 'C-LOAN-1|C-R-1', lenderId: 'JN_RCB', currency: 'CNY', component: 'INTEREST', differenceMinor: '-1' };

  it("their figure a fen below ours: the lender owes that fen back, from the break's loan and component", () => {
    expect(proposalFromBreak(aBreak)).toEqual({
      breakId: aBreak.breakId,
      loanId: 'C-LOAN-1',
      lenderId: 'JN_RCB',
      counterparty: 'ESCROW',
      currency: 'CNY',
      component: 'INTEREST',
      direction: 'LENDER_OWES_COUNTERPARTY',
      amountMinor: '1',
    });
    expect(proposalFromBreak({ ...aBreak, differenceMinor: '1234', recordKey: 'C-LOAN-2', component: 'TOTAL' })).toMatchObject({ loanId: 'C-LOAN-2', component: '', direction: 'COUNTERPARTY_OWES_LENDER', amountMinor: '1234' });
    // Principal is the loan account's: the maker picks what to move, or corrects it by a transfer or a rebooking.
    expect(proposalFromBreak({ ...aBreak, component: 'PRINCIPAL' })).toMatchObject({ component: '' });
  });

  it('moves the size of the difference, in the direction of its sign, for any difference', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }).filter((d) => d !== 0n), (difference) => {
        const draft = proposalFromBreak({ ...aBreak, differenceMinor: difference.toString() });
        const signed = draft.direction === 'COUNTERPARTY_OWES_LENDER' ? BigInt(draft.amountMinor) : -BigInt(draft.amountMinor);
        expect(signed).toBe(difference);
      }),
    );
  });
});

describe('amounts typed in a form', () => {
  it('reads major units exactly into minor units, and refuses what is not an amount above zero', () => {
    expect(['0.01', '12.3', '1,234.56', '1000', ' 7 '].map((t) => minorOfInput(t, 2))).toEqual(['1', '1230', '123456', '100000', '700']);
    expect(['', '0', '0.00', '-1', '1.234', '1e3', '12,34', 'abc', '.5'].map((t) => minorOfInput(t, 2))).toEqual([null, null, null, null, null, null, null, null, null]);
  });

  it('gives back any amount of minor units shown in major units', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 18n }), (minor) => {
        const text = minor.toString().padStart(3, '0');
        expect(minorOfInput(`${text.slice(0, -2)}.${text.slice(-2)}`, 2)).toBe(minor.toString());
      }),
    );
  });
});

describe('the chart of open breaks by age', () => {
  it('counts the open and investigating breaks of each lender in its age band, closed ones left out', () => {
    const b = (lenderId: string, state: 'OPEN' | 'INVESTIGATING' | 'RESOLVED' | 'ACCEPTED', openedOn: string) => ({ lenderId, state, openedOn });
    const today = '2026-12-10';
    expect(
      openBreaksByAge([b('LS_IB', 'OPEN', '2026-12-10'), b('JN_RCB', 'OPEN', '2026-12-09'), b('JN_RCB', 'INVESTIGATING', '2026-12-07'), b('JN_RCB', 'RESOLVED', '2026-12-09'), b('JN_RCB', 'OPEN', '2026-10-01'), b('LS_IB', 'ACCEPTED', '2026-11-01')], today),
    ).toEqual({
      bands: ['0-1', '2-3', '4-7', '8-30', '31+'],
      lines: [
        { label: 'JN_RCB', values: [1, 1, 0, 0, 1] },
        { label: 'LS_IB', values: [1, 0, 0, 0, 0] },
      ],
    });
    expect(ageOf({ openedOn: '2026-12-02' }, '2026-12-03')).toBe(1);
    expect(openBreaksByAge([], today)).toEqual({ bands: ['0-1', '2-3', '4-7', '8-30', '31+'], lines: [] });
  });
});
