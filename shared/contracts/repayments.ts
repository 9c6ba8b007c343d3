import { z } from 'zod';
import { id, isoDate, positiveMinor, repaymentRequest, reversalRequest } from './schemas.ts';

const reason = z.string().trim().min(1).max(200);

/** A compensation, write-off, transfer or buyback of one loan; its event id is its idempotency key on the loan. */
export const loanEventRequest = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('COMPENSATION'), eventId: id, valueDate: isoDate, reason }),
  z.strictObject({ type: z.literal('WRITE_OFF'), eventId: id, valueDate: isoDate, reason }),
  z.strictObject({
    type: z.literal('TRANSFER'),
    eventId: id,
    valueDate: isoDate,
    reason,
    fromLenderId: id,
    toLenderId: id,
    principalMinor: positiveMinor,
  }),
  z.strictObject({
    type: z.literal('BUYBACK'),
    eventId: id,
    valueDate: isoDate,
    reason,
    sellerLenderId: id,
    buyerId: id,
    expectedPriceMinor: positiveMinor.nullable().default(null),
  }),
]);
export type LoanEventRequestBody = z.output<typeof loanEventRequest>;

/** Input of the SplitAndBook Task: a repayment to book, or a booked one to reverse. */
export const repaymentStepInput = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('BOOK'), repayment: repaymentRequest }),
  z.strictObject({ action: z.literal('REVERSE'), loanId: id, repaymentId: id, reversal: reversalRequest }),
  z.strictObject({ action: z.literal('EVENT'), loanId: id, event: loanEventRequest }),
]);
export type RepaymentStepInput = z.output<typeof repaymentStepInput>;

/** A repayment as the API shows it; amounts are strings of minor units. */
export interface RepaymentView {
  readonly repaymentId: string;
  readonly loanId: string;
  readonly currency: string;
  readonly valueDate: string;
  readonly amountMinor: string;
  readonly channel: string;
  readonly kind: string;
  readonly bookedAt: string;
  /** The entry of the booking in effect: REPAYMENT#id, or REBOOK#id#n after a rebooking. */
  readonly entryId: string;
  readonly generation: number;
  readonly split: {
    readonly lenders: readonly {
      readonly lenderId: string;
      readonly principalMinor: string;
      readonly interestMinor: string;
      readonly penaltyMinor: string;
      readonly feeMinor: string;
      readonly spreadMinor: string;
    }[];
    /** What went to suspense; null in the view of a lender's caller, which is not entitled to the collection account's figures. */
    readonly suspenseMinor: string | null;
    /** On a compensated or written-off loan: what each party recovered, and on which account. */
    readonly recovery: { readonly account: string; readonly parties: readonly { readonly partyId: string; readonly amountMinor: string }[] } | null;
  };
  /** Repayments of the loan rebooked because this one came with an earlier value date (or was reversed). */
  readonly rebooked: readonly string[];
  readonly reversal: {
    readonly reversalId: string;
    readonly reason: string;
    readonly comment: string | null;
    readonly reversedAt: string;
    readonly entryId: string;
  } | null;
}

/** A compensation, write-off, transfer, buyback or billed fee as the API shows it. */
export interface LoanEventView {
  readonly type: string;
  readonly eventId: string;
  readonly loanId: string;
  readonly valueDate: string;
  readonly reason: string;
  readonly transfer: { readonly fromLenderId: string; readonly toLenderId: string; readonly principalMinor: string } | null;
  /** BUYBACK only: the parties, the price the caller stated, and the price its entry in effect books, by component. */
  readonly buyback?: {
    readonly sellerLenderId: string;
    readonly buyerId: string;
    readonly expectedPriceMinor: string | null;
    readonly price: {
      readonly principalMinor: string;
      readonly interestMinor: string;
      readonly penaltyMinor: string;
      readonly premiumMinor: string;
      readonly priceMinor: string;
    };
  };
  /** FEE only: the borrower period fee billed (it moves no money: no legs, `entryId` empty). */
  readonly fee?: { readonly ruleId: string; readonly period: string; readonly amountMinor: string };
  readonly bookedAt: string;
  readonly entryId: string;
  readonly generation: number;
  readonly legs: readonly { readonly lenderId: string; readonly account: string; readonly side: string; readonly amountMinor: string; readonly counterparty: string | null }[];
  readonly rebooked: readonly string[];
  /** A compensation or write-off reversed: its reversal (absent while the event is in effect). */
  readonly reversal?: { readonly reversalId: string; readonly reason: string; readonly comment: string | null; readonly reversedAt: string; readonly entryId: string };
}

export type RepaymentChangeResult = { readonly status: 'BOOKED' | 'REVERSED' | 'REPLAYED'; readonly repayment: RepaymentView; readonly entryIds: readonly string[] };
export type LoanEventResult = { readonly status: 'BOOKED' | 'REVERSED' | 'REPLAYED'; readonly event: LoanEventView; readonly entryIds: readonly string[] };
/** A domain refusal as an answer: the rule's code, its message and the figures (the edge maps the code to a status). */
export type Refusal = { readonly status: 'REFUSED'; readonly error: { readonly code: string; readonly message: string; readonly details: Readonly<Record<string, unknown>> } };

export type RepaymentStepResult = RepaymentChangeResult | LoanEventResult | Refusal;

// A collection batch (the RepaymentBatch workflow) -------------------------------------------------

/** One loan's rows, in the batch's order; `index` is the row's place in the batch. */
export const loanGroup = z.strictObject({ loanId: id, rows: z.array(z.strictObject({ index: z.number().int().min(0), repayment: repaymentRequest })).min(1) });
export type LoanGroup = z.output<typeof loanGroup>;

/** `GroupByLoan`'s output: the valid rows grouped by loan, and the rows refused as they stand. */
export interface GroupedBatch {
  readonly rows: number;
  readonly groups: readonly z.input<typeof loanGroup>[];
  readonly refused: readonly { readonly index: number; readonly repaymentId: string | null; readonly result: Refusal }[];
}

/** `BookLoanGroup`'s output: each row of the loan's group with its answer. */
export interface GroupResult {
  readonly loanId: string;
  readonly results: readonly { readonly index: number; readonly repaymentId: string; readonly result: RepaymentStepResult }[];
}

/** One row's answer, in the batch's order. */
export type BatchRowResult =
  | { readonly repaymentId: string; readonly status: 'BOOKED' | 'REPLAYED'; readonly repayment: RepaymentView }
  | { readonly repaymentId: string | null; readonly status: 'REFUSED'; readonly error: Refusal['error'] };

/** The workflow's output: every row's answer, and what went to suspense or was refused. */
export interface BatchReport {
  readonly results: readonly BatchRowResult[];
  readonly report: {
    readonly rows: number;
    readonly booked: number;
    readonly replayed: number;
    readonly refused: number;
    readonly loans: number;
    /** Rows whose booking put something in suspense, with the amount. */
    readonly suspense: readonly { readonly repaymentId: string; readonly loanId: string; readonly suspenseMinor: string }[];
    /** Refused rows by the rule's code. */
    readonly refusedByCode: Readonly<Record<string, number>>;
  };
}
