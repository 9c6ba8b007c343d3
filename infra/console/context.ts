import type { Principal } from '../../shared/domain/access.ts';
import { holdsAnyOf, restrictedTo } from '../../shared/domain/access.ts';
import type { AdjustmentState } from '../../shared/domain/adjustment.ts';
import type { BreakKind, BreakState } from '../../shared/domain/reconciliation-break.ts';
import type { AdjustmentView, ApiClient, BreakView, ReconciliationView, RunList, RunView, Statements } from './api.ts';
import type { LabelKey, Language } from './i18n.ts';

/** What the views read: the signed-in caller, the data loaded, and the actions they may take. */
export interface ViewContext {
  readonly language: Language;
  readonly t: (key: LabelKey, values?: Readonly<Record<string, string | number>>) => string;
  readonly principal: Principal;
  readonly api: ApiClient;
  readonly data: ConsoleData;
  readonly actions: ConsoleActions;
}

export interface ConsoleData {
  readonly runs: RunList | null;
  readonly date: string | null;
  /** The run of the date (the platform's teams), or why there is none. */
  readonly run: RunView | 'NOT_FOUND' | null;
  /** A lender's own files of the date (a lender's callers). */
  readonly statements: Statements | 'NOT_FOUND' | null;
  readonly error: string | null;
  /** The reconciliation panels' data: the date's reconciliations, a page of breaks, a page of adjustments, the open breaks. */
  readonly recon: ReconData | null;
}

export interface BreakFilter {
  readonly state?: BreakState;
  readonly kind?: BreakKind;
}

export interface ReconData {
  readonly reconciliations: ReconciliationView[];
  readonly breaks: { readonly filter: BreakFilter; readonly items: BreakView[]; readonly cursor: string | null };
  readonly adjustments: { readonly state: AdjustmentState; readonly items: AdjustmentView[]; readonly cursor: string | null };
  /** Every open and investigating break the caller may see, for the chart of open breaks by age. */
  readonly openBreaks: BreakView[];
}

/** What a proposal sends (`POST /v1/adjustments`), amounts as strings of minor units. */
export interface ProposalBody {
  readonly adjustmentId: string;
  readonly breakId?: string;
  readonly loanId: string;
  readonly lenderId: string;
  readonly counterparty: string;
  readonly currency: string;
  readonly component: string;
  readonly direction: string;
  readonly amountMinor: string;
  readonly reason: string;
}

/** What an upload form starts (`POST /v1/reconciliations`), the file's bytes aside. */
export interface ReconcileRequest {
  readonly type: string;
  readonly lenderId?: string;
  readonly bankFormat?: string;
}

export interface ConsoleActions {
  selectDate(date: string): void;
  recordExecuted(instructionId: string, bankReference: string, executedAt: string): Promise<void>;
  download(lenderId: string, fileName: string): Promise<void>;
  /** A file the API answers (an export), saved under its name. */
  save(path: string, fileName: string): Promise<void>;
  /**
   * The reconciliation actions: each one rejects with the API's error as it came (code and message)
   * and, once done, reloads the panels.
   */
  reconcileFile(file: File, request: ReconcileRequest): Promise<string>;
  filterBreaks(filter: BreakFilter): void;
  moreBreaks(): void;
  breakHistory(breakId: string): Promise<BreakView>;
  actOnBreak(breakId: string, action: 'INVESTIGATE' | 'ACCEPT', reason: string): Promise<void>;
  proposeAdjustment(body: ProposalBody): Promise<void>;
  showAdjustments(state: AdjustmentState): void;
  moreAdjustments(): void;
  decideAdjustment(adjustmentId: string, decision: 'approval' | 'rejection', reason: string): Promise<void>;
}

/** The platform's teams see every lender and the runs; a lender's callers their own lender's data. */
export const isPlatform = (principal: Principal): boolean => restrictedTo(principal) === null;

/** Who may record an executed transfer's bank reference: the route's roles, on the platform's side. */
export const mayRecordExecution = (principal: Principal): boolean => isPlatform(principal) && holdsAnyOf(principal, ['LEAD', 'FINANCE']);
