import { z } from 'zod';
import { id, isoDate, positiveMinor, repaymentRequest, reversalRequest } from '../../shared/http/schemas.ts';

const reason = z.string().trim().min(1).max(200);

/** A compensation, write-off or transfer of one loan; its event id is its idempotency key on the loan. */
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
    readonly suspenseMinor: string;
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

/** A compensation, write-off or transfer as the API shows it. */
export interface LoanEventView {
  readonly type: string;
  readonly eventId: string;
  readonly loanId: string;
  readonly valueDate: string;
  readonly reason: string;
  readonly transfer: { readonly fromLenderId: string; readonly toLenderId: string; readonly principalMinor: string } | null;
  readonly bookedAt: string;
  readonly entryId: string;
  readonly generation: number;
  readonly legs: readonly { readonly lenderId: string; readonly account: string; readonly side: string; readonly amountMinor: string; readonly counterparty: string | null }[];
  readonly rebooked: readonly string[];
}

export type RepaymentStepResult =
  | { readonly status: 'BOOKED' | 'REVERSED' | 'REPLAYED'; readonly repayment: RepaymentView; readonly entryIds: readonly string[] }
  | { readonly status: 'BOOKED' | 'REPLAYED'; readonly event: LoanEventView; readonly entryIds: readonly string[] }
  | { readonly status: 'REFUSED'; readonly statusCode: number; readonly error: { readonly code: string; readonly message: string; readonly details: Readonly<Record<string, unknown>> } };
