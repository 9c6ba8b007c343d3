import type { Principal } from '../../shared/domain/access.ts';
import { restrictedTo } from '../../shared/domain/access.ts';
import type { ApiClient, RunList, RunView, Statements } from './api.ts';
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
}

export interface ConsoleActions {
  selectDate(date: string): void;
  recordExecuted(instructionId: string, bankReference: string, executedAt: string): Promise<void>;
  download(lenderId: string, fileName: string): Promise<void>;
}

/** The platform's teams see every lender and the runs; a lender's callers their own lender's data. */
export const isPlatform = (principal: Principal): boolean => restrictedTo(principal) === null;

/** Who may record an executed transfer's bank reference: the route's roles, on the platform's side. */
export const mayRecordExecution = (principal: Principal): boolean => isPlatform(principal) && (principal.role === 'LEAD' || principal.role === 'FINANCE');
