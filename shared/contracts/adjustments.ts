import { z } from 'zod';
import { pageParams } from './paging.ts';
import { ADJUSTMENT_DIRECTIONS, ADJUSTMENT_STATES, MAX_ADJUSTMENT_MINOR } from '../domain/adjustment.ts';
import { SETTLEMENT_COMPONENTS } from '../domain/ledger.ts';
import { BREAK_ACTIONS } from '../domain/reconciliation-break.ts';
import { id, positiveMinor } from './schemas.ts';

/**
 * The API contract of what finance users do with breaks and adjustments (docs/reconciliation.md).
 * Whether a reason is required depends on the action (accepting a break needs one): the domain says
 * so, naming the field.
 */

const reason = z.string().trim().max(500, 'at most 500 characters');

export const breakId = z.string().regex(/^BK-\d{8}-(ES|PR|PL)-[0-9a-f]{20}$/, 'a break id BK-YYYYMMDD-{ES|PR|PL}-{20 hex}');
export const breakPath = z.object({ breakId });
export const adjustmentPath = z.object({ adjustmentId: id });

/** `POST /v1/breaks/{breakId}/actions`. */
export const breakActionRequest = z.strictObject({
  action: z.enum(BREAK_ACTIONS),
  reason: reason.default(''),
  owner: z.string().trim().min(1).max(128).optional().describe('who works the break; INVESTIGATE defaults to the caller, ASSIGN requires it'),
});
export type BreakActionRequestBody = z.output<typeof breakActionRequest>;

/** `POST /v1/adjustments`: the adjustment id is the idempotency key. */
export const adjustmentRequest = z.strictObject({
  adjustmentId: id,
  breakId: breakId.optional(),
  loanId: id,
  lenderId: id,
  counterparty: id.describe('another lender of the loan, or ESCROW (the collection account)'),
  currency: z.enum(['CNY', 'INR']),
  component: z.enum(SETTLEMENT_COMPONENTS),
  direction: z.enum(ADJUSTMENT_DIRECTIONS),
  amountMinor: positiveMinor.refine((v) => v <= MAX_ADJUSTMENT_MINOR, `must be at most ${MAX_ADJUSTMENT_MINOR}`),
  reason: reason.min(1, 'an adjustment needs a reason'),
});
export type AdjustmentRequestBody = z.output<typeof adjustmentRequest>;

/** `POST /v1/adjustments/{adjustmentId}/approval` and `/rejection`: who decides is the caller; why is required. */
export const adjustmentDecisionRequest = z.strictObject({ reason: reason.min(1, 'a decision needs a reason') });
export type AdjustmentDecisionRequestBody = z.output<typeof adjustmentDecisionRequest>;

/** `GET /v1/adjustments`: one state at a time (the proposed ones by default), a page at a time. */
export const adjustmentsQuery = z.strictObject({
  state: z.enum(ADJUSTMENT_STATES).default('PROPOSED'),
  ...pageParams(50, 100),
});
export type AdjustmentsQuery = z.output<typeof adjustmentsQuery>;
