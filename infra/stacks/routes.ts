import type { ClientScope } from '../config.ts';

/** The function folders behind the HTTP API (docs/architecture.md, Functions and routes). */
export type ApiFunctionName = 'lenders' | 'programs' | 'loans' | 'positions' | 'applications' | 'ledger-checks' | 'openapi' | 'repayments' | 'risk-updates';

export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly function: ApiFunctionName;
  /** Any one of these scopes is enough; `undefined` means the route has no authorizer. */
  readonly scopes?: readonly ClientScope[];
}

const LEAD: readonly ClientScope[] = ['lead'];
const PARTNER: readonly ClientScope[] = ['partner'];
const ANY: readonly ClientScope[] = ['lead', 'partner', 'finance'];

/** Every route of the API, with the scopes API Gateway checks before the function runs. */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/v1/lenders', function: 'lenders', scopes: LEAD },
  { method: 'GET', path: '/v1/lenders', function: 'lenders', scopes: ANY },
  { method: 'GET', path: '/v1/lenders/{lenderId}', function: 'lenders', scopes: ANY },
  { method: 'GET', path: '/v1/lenders/{lenderId}/positions', function: 'positions', scopes: ANY },
  { method: 'GET', path: '/v1/lenders/{lenderId}/profit', function: 'positions', scopes: ANY },
  { method: 'POST', path: '/v1/programs', function: 'programs', scopes: LEAD },
  { method: 'GET', path: '/v1/programs', function: 'programs', scopes: ANY },
  { method: 'GET', path: '/v1/programs/{programId}', function: 'programs', scopes: ANY },
  { method: 'POST', path: '/v1/loans', function: 'loans', scopes: LEAD },
  { method: 'GET', path: '/v1/loans/{loanId}', function: 'loans', scopes: ANY },
  { method: 'GET', path: '/v1/loans/{loanId}/schedule', function: 'loans', scopes: ANY },
  { method: 'GET', path: '/v1/loans/{loanId}/repayments', function: 'repayments', scopes: ANY },
  { method: 'POST', path: '/v1/loans/{loanId}/transfers', function: 'repayments', scopes: LEAD },
  { method: 'POST', path: '/v1/loans/{loanId}/write-off', function: 'repayments', scopes: LEAD },
  { method: 'POST', path: '/v1/repayments', function: 'repayments', scopes: LEAD },
  { method: 'GET', path: '/v1/repayments/{repaymentId}', function: 'repayments', scopes: ANY },
  { method: 'POST', path: '/v1/repayments/{repaymentId}/reversal', function: 'repayments', scopes: LEAD },
  { method: 'POST', path: '/v1/applications', function: 'applications', scopes: LEAD },
  { method: 'GET', path: '/v1/applications', function: 'applications', scopes: ANY },
  { method: 'GET', path: '/v1/applications/{applicationId}', function: 'applications', scopes: ANY },
  { method: 'POST', path: '/v1/applications/{applicationId}/decisions', function: 'applications', scopes: PARTNER },
  { method: 'POST', path: '/v1/applications/{applicationId}/disbursement', function: 'applications', scopes: LEAD },
  { method: 'POST', path: '/v1/ledger-checks', function: 'ledger-checks', scopes: ['lead', 'finance'] },
  { method: 'GET', path: '/v1/ledger-checks/{businessDate}', function: 'ledger-checks', scopes: ANY },
  { method: 'POST', path: '/v1/risk-updates', function: 'risk-updates', scopes: ['lead', 'finance'] },
  { method: 'GET', path: '/v1/risk-updates/{businessDate}', function: 'risk-updates', scopes: ANY },
  { method: 'GET', path: '/v1/openapi.json', function: 'openapi' },
];
