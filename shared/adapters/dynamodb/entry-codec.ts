import type { JournalEntry, Leg, SettlementComponent } from '../../domain/ledger.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { ledgerKeys } from './ledger-keys.ts';

/**
 * A journal entry as stored (LedgerTable L2, indexed by the settlement day it was booked in, L5).
 * Each leg is one string, `lenderId account D|C amount counterparty [component]` (ids never hold
 * a space), so an entry of
 * three lenders stays under 1 KB: one write unit, not two, in its table and in the date index.
 */

const SIDES = { DEBIT: 'D', CREDIT: 'C' } as const;

function legOf(text: string): Leg {
  const [lenderId, account, side, amount, counterparty, component] = text.split(' ');
  if (lenderId === undefined || account === undefined || (side !== 'D' && side !== 'C') || amount === undefined || !/^\d+$/.test(amount)) {
    throw new TypeError(`a stored leg must read "lenderId account D|C amount counterparty", got "${text}"`);
  }
  const leg: Leg = { lenderId, account: account as Leg['account'], side: side === 'D' ? 'DEBIT' : 'CREDIT', amountMinor: BigInt(amount), counterparty: counterparty ? counterparty : null };
  return component ? { ...leg, component: component as SettlementComponent } : leg;
}

export function entryItem(entry: JournalEntry): Item {
  const { legs, ...rest } = entry;
  return {
    ...ledgerKeys.entry(entry.loanId, entry.entryId),
    ...ledgerKeys.entryIndex(entry.bookedOn ?? entry.businessDate, entry.loanId, entry.entryId),
    entityType: 'JournalEntry',
    ...(encode(rest) as Item),
    legs: legs.map((l) => `${l.lenderId} ${l.account} ${SIDES[l.side]} ${l.amountMinor.toString()} ${l.counterparty ?? ''}${l.component ? ` ${l.component}` : ''}`),
  };
}

export function entryOf(item: Item): JournalEntry {
  const { legs, ...rest } = stripKeys(item);
  return { ...decode<Omit<JournalEntry, 'legs'>>(rest), legs: (legs as string[]).map(legOf) };
}
