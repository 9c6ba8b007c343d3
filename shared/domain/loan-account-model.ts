/**
 * What a loan's account and its losses and transfers share: the rows of the schedule with what is
 * paid of them, each lender's book, the interest a payment pays per instalment, and the one
 * helper both halves use (`loan-account.ts` applies repayments, `loan-events.ts` applies
 * compensations, write-offs and transfers). Pure.
 */

export interface Row {
  number: number;
  dueDate: string;
  periodStart: string;
  principalMinor: bigint;
  interestMinor: bigint;
  paidPrincipalMinor: bigint;
  paidInterestMinor: bigint;
  prepayment: boolean;
}

/**
 * A holder's role in the loan: the lead, a partner, or the guarantor once it bought a share back
 * (it then holds and is paid like a partner, at its own yield under LENDER_RATE).
 */
export type HolderRole = 'LEAD' | 'PARTNER' | 'GUARANTOR';

/** One lender's running figures in the loan. */
export interface Book {
  readonly lenderId: string;
  readonly role: HolderRole;
  readonly yieldRate: string | null;
  readonly priority: number;
  outstandingMinor: bigint;
  /** What it funded, after transfers: the weights of interest still due once every lender is repaid. */
  heldMinor: bigint;
  /** LENDER_RATE: interest received per instalment number. */
  readonly interestByInstalment: Map<number, bigint>;
}

/** The payment's share of one instalment's interest, and the interest period it accrued over. */
export interface InterestPortion {
  readonly number: number;
  readonly amountMinor: bigint;
  readonly start: string;
  readonly end: string;
}

export function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
