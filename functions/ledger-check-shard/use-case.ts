import { checkedDate, differenceDetail, ledgerCheckRun, type ShardResult } from '../../shared/contracts/ledger-check.ts';
import { verifyLoanLedger, type LedgerDifference } from '../../shared/domain/ledger-check.ts';
import type { LedgerStore, LoanStore, RunDetailStore } from '../../shared/ports/stores.ts';

/** Every loan of a shard checked: the counts, and every difference found. Reads only. */
export async function checkShard(deps: { loans: LoanStore; ledger: LedgerStore }, shard: number): Promise<ShardResult & { differences: LedgerDifference[] }> {
  const loanIds = await deps.loans.loanIdsOfShard(shard);
  let entriesChecked = 0;
  const differences: LedgerDifference[] = [];
  for (const loanId of loanIds) {
    const { entries, positions } = await deps.ledger.loanLedger(loanId);
    entriesChecked += entries.length;
    differences.push(...verifyLoanLedger(loanId, entries, positions));
  }
  return { shard, loansChecked: loanIds.length, entriesChecked, differenceCount: differences.length, differences };
}

/**
 * The VerifyShard step: checks the shard, stores its differences with the date's run (replacing
 * what an earlier attempt stored) and passes on the counts alone, so the workflow's state stays
 * small however wrong the books are. Running it again stores and answers the same.
 */
export async function verifyShard(
  deps: { loans: LoanStore; ledger: LedgerStore; runDetails: RunDetailStore },
  input: { readonly shard: number; readonly businessDate?: string | undefined; readonly scheduledTime?: string | undefined },
): Promise<ShardResult> {
  const { differences, ...counts } = await checkShard(deps, input.shard);
  await deps.runDetails.replace(ledgerCheckRun(checkedDate(input)), input.shard, differences.map(differenceDetail));
  return counts;
}
