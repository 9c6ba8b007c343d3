import type { RunDetail } from '../ports/stores.ts';

/** A loan the risk update compensated, wrote off or held (with the reason), stored with the run of its date. */
export interface RiskLoanOutcome extends RunDetail {
  readonly loanId: string;
  readonly outcome: 'COMPENSATED' | 'WRITTEN_OFF' | 'HELD';
  readonly code: string | null;
  readonly message: string | null;
}

/** The run under which a date's loan outcomes are stored. */
export const riskRun = (businessDate: string): string => `RISKRUN#${businessDate}`;
