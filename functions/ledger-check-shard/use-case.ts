import type { ShardResult } from '../../shared/contracts/ledger-check.ts';
import { verifyLoanLedger, type LedgerDifference } from '../../shared/domain/ledger-check.ts';
import type { LedgerStore, LoanStore } from '../../shared/ports/stores.ts';

const KEEP = 1000;

/** Reads only; running it again gives the same result, so the task may be retried freely. */
export async function verifyShard(deps: { loans: LoanStore; ledger: LedgerStore }, shard: number): Promise<ShardResult> {
  const loanIds = await deps.loans.loanIdsOfShard(shard);
  let entriesChecked = 0;
  const differences: LedgerDifference[] = [];
  let differenceCount = 0;
  for (const loanId of loanIds) {
    const { entries, positions } = await deps.ledger.loanLedger(loanId);
    entriesChecked += entries.length;
    const found = verifyLoanLedger(loanId, entries, positions);
    differenceCount += found.length;
    differences.push(...found.slice(0, KEEP - differences.length));
  }
  return { shard, loansChecked: loanIds.length, entriesChecked, differenceCount, differences };
}
