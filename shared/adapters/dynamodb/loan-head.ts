import { decodeAccountState, encodeAccountState } from '../../domain/account-state.ts';
import type { Balances, Position } from '../../domain/ledger.ts';
import { emptyLedger, type EffectKey, type LoanRisk, type RepaymentLedger } from '../../domain/repayment-booking.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { ledgerKeys } from './ledger-keys.ts';

/**
 * A loan's head as stored (LedgerTable L6): the version every change is conditioned on, the next
 * arrival number, the latest key, the account's state after every event, the risk, and each
 * lender's position in the loan. The state and the positions are compact strings, so the head
 * stays a few hundred bytes whatever the loan's age. docs/repayment-booking.md.
 */

interface StoredHead {
  readonly loanId: string;
  readonly version: number;
  readonly nextSeq: number;
  readonly lastKey: EffectKey | null;
  readonly state: string | null;
  /** `[[lenderId, currency, version, [[account, amount], ...]], ...]` in lender id order. */
  readonly positions: string;
  readonly risk?: LoanRisk;
}

type StoredPosition = [lenderId: string, currency: string, version: number, balances: [string, string][]];

export function headItem(ledger: Pick<RepaymentLedger, 'loanId' | 'version' | 'nextSeq' | 'lastKey' | 'state' | 'risk'>, positions: readonly Position[]): Item {
  const stored: StoredHead = {
    loanId: ledger.loanId,
    version: ledger.version,
    nextSeq: ledger.nextSeq,
    lastKey: ledger.lastKey,
    state: ledger.state === null ? null : encodeAccountState(ledger.state),
    positions: JSON.stringify(
      [...positions]
        .sort((a, b) => (a.lenderId < b.lenderId ? -1 : a.lenderId > b.lenderId ? 1 : 0))
        .map((p): StoredPosition => [p.lenderId, p.currency, p.version, Object.entries(p.balancesMinor).map(([account, amount]) => [account, amount.toString()])]),
    ),
    ...(ledger.risk === undefined ? {} : { risk: ledger.risk }),
  };
  return { ...ledgerKeys.head(ledger.loanId), entityType: 'LoanHead', ...(encode(stored) as Item) };
}

/** The head of a loan as read (the book with an empty window at the head's state) and its positions; empty when none is stored. */
export function headOf(loanId: string, item: Item | undefined): { ledger: RepaymentLedger; positions: Position[] } {
  if (item === undefined) return { ledger: emptyLedger(loanId), positions: [] };
  const stored = decode<StoredHead>(stripKeys(item));
  const state = stored.state === null ? null : decodeAccountState(stored.state);
  return {
    ledger: {
      loanId,
      version: stored.version,
      nextSeq: stored.nextSeq,
      lastKey: stored.lastKey,
      state,
      base: state,
      repayments: [],
      events: [],
      ...(stored.risk === undefined ? {} : { risk: stored.risk }),
    },
    positions: positionsOf(loanId, stored.positions),
  };
}

/**
 * What a reader of positions needs of a head (the loan master, the regulatory figures, a lender's
 * positions): the positions and the risk, without decoding the account's state.
 */
export function headPositions(loanId: string, item: Item): { positions: Position[]; risk: LoanRisk | null } {
  const risk = item.risk === undefined ? null : decode<LoanRisk>(item.risk);
  return { positions: positionsOf(loanId, String(item.positions)), risk };
}

function positionsOf(loanId: string, stored: string): Position[] {
  return (JSON.parse(stored) as StoredPosition[]).map(
    ([lenderId, currency, version, balances]): Position => ({
      lenderId,
      loanId,
      currency,
      balancesMinor: Object.fromEntries(balances.map(([account, amount]) => [account, BigInt(amount)])) as Balances,
      version,
    }),
  );
}

/** A lender holds a part of the loan: found by the lender's index (L4). */
export function holderItem(loanId: string, lenderId: string): Item {
  return { ...ledgerKeys.holder(loanId, lenderId), ...ledgerKeys.holderIndex(lenderId, loanId), entityType: 'Holder', loanId, lenderId };
}
