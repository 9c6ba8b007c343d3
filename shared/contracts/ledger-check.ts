import { businessDateClosedAt } from '../domain/business-date.ts';
import type { LedgerDifference } from '../domain/ledger-check.ts';
import type { RunDetail } from '../ports/stores.ts';

/**
 * What `VerifyShard` found in one check shard, as passed between the workflow's steps: counts
 * only. The differences themselves can be many exactly when the books are wrong (a workflow's
 * state holds 256 KiB), so each shard stores them with the run (`RunDetailStore`) and the report
 * pages through them.
 */
export interface ShardResult {
  readonly shard: number;
  readonly loansChecked: number;
  readonly entriesChecked: number;
  readonly differenceCount: number;
}

/** The date a check covers: the one given, or for a scheduled run the day that ended before its time. */
export function checkedDate(input: { readonly businessDate?: string | undefined; readonly scheduledTime?: string | undefined }): string {
  return input.businessDate ?? businessDateClosedAt(input.scheduledTime ?? '');
}

/** The run under which a date's differences are stored. */
export const ledgerCheckRun = (businessDate: string): string => `LEDGERCHECK#${businessDate}`;

export const differenceDetail = (d: LedgerDifference): RunDetail => ({ loanId: d.loanId, kind: d.kind, lenderId: d.lenderId, entryId: d.entryId, detail: d.detail });

export const differenceOf = (d: RunDetail): LedgerDifference => d as unknown as LedgerDifference;
