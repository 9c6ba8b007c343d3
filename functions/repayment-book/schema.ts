import { z } from 'zod';
import { id, repaymentRequest, reversalRequest } from '../../shared/http/schemas.ts';

/** Input of the SplitAndBook Task: a repayment to book, or a booked one to reverse. */
export const repaymentStepInput = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('BOOK'), repayment: repaymentRequest }),
  z.strictObject({ action: z.literal('REVERSE'), loanId: id, repaymentId: id, reversal: reversalRequest }),
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

export type RepaymentStepResult =
  | { readonly status: 'BOOKED' | 'REVERSED' | 'REPLAYED'; readonly repayment: RepaymentView; readonly entryIds: readonly string[] }
  | { readonly status: 'REFUSED'; readonly statusCode: number; readonly error: { readonly code: string; readonly message: string; readonly details: Readonly<Record<string, unknown>> } };
