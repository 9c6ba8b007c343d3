import { z } from 'zod';
import { pageParams } from './paging.ts';
import { BREAK_KINDS, BREAK_STATES, RECONCILIATION_TYPES } from '../domain/reconciliation-break.ts';
import { id, isoDate, nonNegativeMinor } from './schemas.ts';
import { pastDate } from './dates.ts';

/** The API contract of reconciliation (docs/reconciliation.md). */

/** `POST /v1/reconciliation-uploads`: where to PUT a counterpart file. */
export const createUploadRequest = z.strictObject({
  fileName: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((name) => !/[/\\]/.test(name) && [...name].every((c) => c.charCodeAt(0) >= 0x20), 'a file name of 1-200 characters, no path and no control characters'),
  /** The SHA-256 of the bytes to be sent, hexadecimal: the URL takes only those (docs/reconciliation.md, Inputs). */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'the SHA-256 of the file, 64 hexadecimal digits')
    .transform((hex) => hex.toLowerCase()),
});
export type CreateUploadRequest = z.output<typeof createUploadRequest>;

const uploadId = z.string().regex(/^UP-[A-Za-z0-9-]{1,80}$/, 'an upload id UP-...');

/** `POST /v1/reconciliations`: reconcile an uploaded file of a date. */
export const startReconciliationRequest = z.strictObject({
  uploadId,
  type: z.enum(RECONCILIATION_TYPES),
  businessDate: pastDate,
  lenderId: id.optional(),
  bankFormat: id.optional(),
});
export type StartReconciliationRequestBody = z.output<typeof startReconciliationRequest>;

export const reconciliationPath = z.object({ reconciliationId: z.string().regex(/^RC-\d{8}-[A-Z_]+-[A-Za-z0-9_.:-]{1,64}-[0-9a-f]{12}$/, 'a reconciliation id RC-...') });
export const reconciliationsQuery = z.strictObject({ businessDate: isoDate, lender: id.optional(), ...pageParams() });
export const exportQuery = z.strictObject({ format: z.enum(['csv', 'xlsx']).default('csv') });

export const breaksQuery = z.strictObject({
  lender: id.optional(),
  state: z.enum(BREAK_STATES).optional(),
  kind: z.enum(BREAK_KINDS).optional(),
  ...pageParams(100, 500),
});
export const breaksExportQuery = breaksQuery.omit({ limit: true, cursor: true }).extend({ format: z.enum(['csv', 'xlsx']).default('csv') });

export const counterpartyPath = z.object({ counterparty: id });

/** `PUT /v1/reconciliation-settings/{counterparty}`: tolerances and when a break escalates. */
export const reconciliationSettingsRequest = z.strictObject({
  amountToleranceMinor: nonNegativeMinor.refine((v) => v <= 1_000_000n, 'at most 1000000 minor units'),
  dateToleranceDays: z.number().int().min(0).max(31),
  escalateAfterDays: z.number().int().min(1).max(365),
});
export type ReconciliationSettingsRequest = z.output<typeof reconciliationSettingsRequest>;
