import { ESCROW, type SettlementComponent } from './ledger.ts';
import type { SettlementItem } from './settlement.ts';

/**
 * What the collection account did for each lender on a settled date, from the date's settlement
 * items (docs/console.md): the finance console's chart of collections per lender per day. Pure.
 */
export interface LenderCollections {
  readonly lenderId: string;
  readonly currency: string;
  /** Collected from borrowers for the lender (what the collection account owes it), gross. */
  readonly collectedMinor: bigint;
  /** `collectedMinor` per component: principal, interest, penalty, fee, suspense. */
  readonly componentsMinor: Readonly<Partial<Record<SettlementComponent, bigint>>>;
  /** What the lender owes the collection account: the principal of loans it funded, collections reversed. */
  readonly owedToEscrowMinor: bigint;
  /** `collectedMinor - owedToEscrowMinor`: what the collection account pays the lender, net. */
  readonly netMinor: bigint;
}

/**
 * Each lender's collections of a date, per currency, sorted by lender and currency: the items
 * with the collection account (ESCROW), every program's together. Items between two lenders
 * (compensation, transfers, fees) are not collections and are left out.
 */
export function collectionsByLender(items: readonly SettlementItem[]): LenderCollections[] {
  const sums = new Map<string, { lenderId: string; currency: string; collectedMinor: bigint; owedToEscrowMinor: bigint; componentsMinor: Partial<Record<SettlementComponent, bigint>> }>();
  for (const item of items) {
    if (item.counterparty !== ESCROW) continue;
    const key = `${item.lenderId}|${item.currency}`;
    let sum = sums.get(key);
    if (sum === undefined) {
      sum = { lenderId: item.lenderId, currency: item.currency, collectedMinor: 0n, owedToEscrowMinor: 0n, componentsMinor: {} };
      sums.set(key, sum);
    }
    sum.collectedMinor += item.receivableMinor;
    sum.owedToEscrowMinor += item.payableMinor;
    if (item.receivableMinor !== 0n) sum.componentsMinor[item.component] = (sum.componentsMinor[item.component] ?? 0n) + item.receivableMinor;
  }
  return [...sums.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, s]) => ({ ...s, netMinor: s.collectedMinor - s.owedToEscrowMinor }));
}
