import { actorOf, hasRole, holdsAnyOf, type Principal } from '../../shared/domain/access.ts';
import { ADJUSTABLE_COMPONENTS, type AdjustmentDirection } from '../../shared/domain/adjustment.ts';
import { ESCROW, type SettlementComponent } from '../../shared/domain/ledger.ts';
import { AGE_BANDS, ageBandOf, ageInDays, OPEN_BREAK_STATES, type AgeBand, type BreakState } from '../../shared/domain/reconciliation-break.ts';
import type { AdjustmentView, BreakView } from './api.ts';
import { isPlatform } from './context.ts';

/**
 * What the reconciliation panels decide from what the API answers: who may do what, the
 * adjustment a break suggests, and the figures of the chart of open breaks by age. Pure: the unit
 * tests read it. The console only chooses what to offer; the API checks every call again.
 */

/** Acting on breaks (investigate, accept): the platform's lead operations and finance team. */
export const mayActOnBreaks = (principal: Principal): boolean => isPlatform(principal) && holdsAnyOf(principal, ['LEAD', 'FINANCE']);

/** Proposing, approving and rejecting adjustments: the platform's finance team only. */
export const mayAdjust = (principal: Principal): boolean => isPlatform(principal) && hasRole(principal, 'FINANCE');

/** The escrow statement covers every lender: the platform's teams reconcile it; a lender its own records. */
export const mayReconcileEscrow = (principal: Principal): boolean => isPlatform(principal);

/** What a checker may do with an adjustment: approve it unless they proposed it (maker-checker). */
export function approvalOf(adjustment: Pick<AdjustmentView, 'state' | 'proposedBy'>, principal: Principal): 'HIDDEN' | 'OWN_PROPOSAL' | 'ALLOWED' {
  if (!mayAdjust(principal) || adjustment.state !== 'PROPOSED') return 'HIDDEN';
  return adjustment.proposedBy === actorOf(principal) ? 'OWN_PROPOSAL' : 'ALLOWED';
}

/** A break still asking for work. */
export const isOpen = (state: BreakState): boolean => OPEN_BREAK_STATES.includes(state);

/** The form of an adjustment proposed from a break, for the maker to check and complete. */
export interface ProposalDraft {
  readonly breakId: string;
  readonly loanId: string;
  readonly lenderId: string;
  readonly counterparty: string;
  readonly currency: string;
  readonly component: SettlementComponent | '';
  readonly direction: AdjustmentDirection;
  readonly amountMinor: string;
}

/**
 * The adjustment a break suggests: its lender, the loan of its record key (`{loanId}|{eventId}`
 * or `{loanId}`), its component when an adjustment may move it, the size of its difference,
 * and the direction that brings our books to their figure: theirs above ours (a positive
 * difference) is money the counterparty owes the lender; theirs below ours, money the lender owes
 * back. The counterparty is the collection account unless the maker names another lender.
 */
export function proposalFromBreak(b: Pick<BreakView, 'breakId' | 'recordKey' | 'lenderId' | 'currency' | 'component' | 'differenceMinor'>): ProposalDraft {
  const difference = BigInt(b.differenceMinor);
  return {
    breakId: b.breakId,
    loanId: b.recordKey.split('|')[0] ?? '',
    lenderId: b.lenderId,
    counterparty: ESCROW,
    currency: b.currency,
    component: (ADJUSTABLE_COMPONENTS as readonly string[]).includes(b.component) ? (b.component as SettlementComponent) : '',
    direction: difference < 0n ? 'LENDER_OWES_COUNTERPARTY' : 'COUNTERPARTY_OWES_LENDER',
    amountMinor: (difference < 0n ? -difference : difference).toString(),
  };
}

/**
 * A decimal amount as the user types it (`0.01`, `1,234.5`) in minor units of a currency with
 * `minorDigits` decimals; null when it is not one, has more decimals than the currency, or is not
 * above zero. Exact: no float.
 */
export function minorOfInput(text: string, minorDigits: number): string | null {
  const match = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (match === null) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > minorDigits) return null;
  const minor = BigInt(`${match[1]!.replaceAll(',', '')}${fraction.padEnd(minorDigits, '0')}`);
  return minor > 0n ? minor.toString() : null;
}

/** A break's age in whole days, on the reader's day (UTC, as the API counts it). */
export const ageOf = (b: Pick<BreakView, 'openedOn'>, today: string): number => ageInDays(b.openedOn, today);

/** The chart of open breaks by age: per lender, how many open or investigating breaks in each age band. */
export function openBreaksByAge(breaks: readonly Pick<BreakView, 'lenderId' | 'state' | 'openedOn'>[], today: string): { bands: AgeBand[]; lines: { label: string; values: number[] }[] } {
  const bands = AGE_BANDS.map((b) => b.band);
  const counts = new Map<string, number[]>();
  for (const b of breaks) {
    if (!isOpen(b.state)) continue;
    const row = counts.get(b.lenderId) ?? bands.map(() => 0);
    row[bands.indexOf(ageBandOf(ageInDays(b.openedOn, today)))]!++;
    counts.set(b.lenderId, row);
  }
  return { bands, lines: [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([label, values]) => ({ label, values })) };
}
