import { ValidationError } from './errors.ts';
import type { AccountRow, AccountState } from './loan-account.ts';

/**
 * A loan account's state as one compact, canonical string: the same state always encodes the
 * same, so two states compare by their encodings, and a state stored on the loan's head or an
 * event costs a few hundred bytes. Amounts are decimal strings, never floats.
 */

const VERSION = 1;

const ROLE_CODES = { LEAD: 'L', PARTNER: 'P', GUARANTOR: 'G' } as const;

type Encoded = [
  version: number,
  last: [id: string, valueDate: string, seq: number] | null,
  accruedThrough: string,
  penaltyOutstanding: string,
  suspense: string,
  reschedules: number,
  /** A guarantor holds a part only after a buyback ('G'), so a state without one encodes as before. */
  books: [lenderId: string, role: 'L' | 'P' | 'G', outstanding: string, held: string, interest: [number, string][]][],
  openRows: [number: number, dueDate: string, periodStart: string, principal: string, interest: string, paidPrincipal: string, paidInterest: string, prepayment: 0 | 1][],
  basis: [from: string, principal: string, termMonths: number, firstDueIndex: number, firstNumber: number] | null,
  claim: [guarantorId: string, remaining: string] | null,
  compensated: 0 | 1,
  writtenOff: [losses: [string, string][], remaining: string] | null,
  interestOwed: [number: number, buyer: string, seller: string, remaining: string][],
  /** Present only when borrower fees are owed, so a state without them encodes as before. */
  feesOwed?: [ruleId: string, owed: string][],
];

export function encodeAccountState(state: AccountState): string {
  const encoded: Encoded = [
    VERSION,
    state.last === null ? null : [state.last.id, state.last.valueDate, state.last.seq],
    state.accruedThrough,
    state.penaltyOutstandingMinor.toString(),
    state.suspenseMinor.toString(),
    state.reschedules,
    state.books.map((b) => [b.lenderId, ROLE_CODES[b.role], b.outstandingMinor.toString(), b.heldMinor.toString(), b.interestByInstalment.map(([n, a]) => [n, a.toString()])]),
    state.openRows.map((r) => [
      r.number,
      r.dueDate,
      r.periodStart,
      r.principalMinor.toString(),
      r.interestMinor.toString(),
      r.paidPrincipalMinor.toString(),
      r.paidInterestMinor.toString(),
      r.prepayment ? 1 : 0,
    ]),
    state.basis === null ? null : [state.basis.from, state.basis.principalMinor.toString(), state.basis.termMonths, state.basis.firstDueIndex, state.basis.firstNumber],
    state.claim === null ? null : [state.claim.guarantorId, state.claim.remainingMinor.toString()],
    state.compensated ? 1 : 0,
    state.writtenOff === null ? null : [state.writtenOff.lossByParty.map(([id, a]) => [id, a.toString()]), state.writtenOff.remainingMinor.toString()],
    state.interestOwed.map((o) => [o.number, o.buyer, o.seller, o.remainingMinor.toString()]),
  ];
  if (state.feesOwed !== undefined && state.feesOwed.length > 0) encoded[13] = state.feesOwed.map(([ruleId, owed]): [string, string] => [ruleId, owed.toString()]);
  return JSON.stringify(encoded);
}

export function decodeAccountState(text: string): AccountState {
  const e = JSON.parse(text) as Encoded;
  if (!Array.isArray(e) || e[0] !== VERSION) throw new ValidationError(`an account state of version ${String(Array.isArray(e) ? e[0] : e)} cannot be read`, { path: 'state', rule: 'version' });
  const [, last, accruedThrough, penalty, suspense, reschedules, books, openRows, basis, claim, compensated, writtenOff, owed, feesOwed] = e;
  return {
    last: last === null ? null : { id: last[0], valueDate: last[1], seq: last[2] },
    accruedThrough,
    penaltyOutstandingMinor: BigInt(penalty),
    suspenseMinor: BigInt(suspense),
    reschedules,
    books: books.map(([lenderId, role, outstanding, held, interest]) => ({
      lenderId,
      role: role === 'L' ? 'LEAD' : role === 'G' ? 'GUARANTOR' : 'PARTNER',
      outstandingMinor: BigInt(outstanding),
      heldMinor: BigInt(held),
      interestByInstalment: interest.map(([n, a]) => [n, BigInt(a)] as const),
    })),
    openRows: openRows.map(
      ([number, dueDate, periodStart, principal, interest, paidPrincipal, paidInterest, prepayment]): AccountRow => ({
        number,
        dueDate,
        periodStart,
        principalMinor: BigInt(principal),
        interestMinor: BigInt(interest),
        paidPrincipalMinor: BigInt(paidPrincipal),
        paidInterestMinor: BigInt(paidInterest),
        prepayment: prepayment === 1,
      }),
    ),
    basis: basis === null ? null : { from: basis[0], principalMinor: BigInt(basis[1]), termMonths: basis[2], firstDueIndex: basis[3], firstNumber: basis[4] },
    claim: claim === null ? null : { guarantorId: claim[0], remainingMinor: BigInt(claim[1]) },
    compensated: compensated === 1,
    writtenOff: writtenOff === null ? null : { lossByParty: writtenOff[0].map(([id, a]) => [id, BigInt(a)] as const), remainingMinor: BigInt(writtenOff[1]) },
    interestOwed: owed.map(([number, buyer, seller, remaining]) => ({ number, buyer, seller, remainingMinor: BigInt(remaining) })),
    ...(feesOwed === undefined ? {} : { feesOwed: feesOwed.map(([ruleId, amount]) => [ruleId, BigInt(amount)] as const) }),
  };
}
