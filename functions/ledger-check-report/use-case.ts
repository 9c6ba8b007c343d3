import { businessDateClosedAt } from '../../shared/domain/business-date.ts';
import type { LedgerDifference } from '../../shared/domain/ledger-check.ts';
import type { Clock, LedgerCheckReport, LedgerCheckStore } from '../../shared/ports/stores.ts';
import type { ShardResult } from '../../shared/contracts/ledger-check.ts';


export interface RecordReportInput {
  readonly businessDate?: string | undefined;
  readonly scheduledTime?: string | undefined;
  readonly shards: readonly ShardResult[];
}

/** Writes the report of the run; a rerun of the same date replaces it with the same content. */
export async function recordReport(deps: { ledgerChecks: LedgerCheckStore; clock: Clock }, input: RecordReportInput): Promise<LedgerCheckReport> {
  const businessDate = input.businessDate ?? businessDateClosedAt(input.scheduledTime ?? '');
  const differences: LedgerDifference[] = input.shards.flatMap((s) => s.differences).slice(0, 1000);
  const differenceCount = input.shards.reduce((n, s) => n + s.differenceCount, 0);
  const report: LedgerCheckReport = {
    businessDate,
    status: differenceCount === 0 ? 'BALANCED' : 'DIFFERENCES',
    loansChecked: input.shards.reduce((n, s) => n + s.loansChecked, 0),
    entriesChecked: input.shards.reduce((n, s) => n + s.entriesChecked, 0),
    differences,
    differenceCount,
    completedAt: deps.clock.now(),
  };
  await deps.ledgerChecks.put(report);
  return report;
}
