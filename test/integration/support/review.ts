import { expect } from 'vitest';
import { api } from './stack.ts';
import { post, programBody, uniqueKey, type World } from './world.ts';

export interface ApplicationView {
  status: string;
  round: number;
  plan: { lenderId: string; role: string; amountMinor: string }[] | null;
  reasons: { lenderId: string | null; because: string; rule?: string }[];
  asks: { lenderId: string; round: number; state: string; askedAmountMinor: string; minimumAmountMinor: string; decision: { decidedBy: string } | null }[];
  timeline: { step: string; event: string }[];
  loanId: string | null;
}

/** A priority-fill program: the lead targets 40%, partners A, B and then C are asked in that order. */
export async function createReviewProgram(w: World, options: { reviewTimeoutSeconds?: number; disbursementTimeoutSeconds?: number } = {}): Promise<string> {
  const programId = `RV_${w.suffix}_${Math.random().toString(36).slice(2, 7).toUpperCase()}`;
  const res = await post(
    '/v1/programs',
    w.tokens.lead,
    programBody(
      { ...w, programId },
      {
        allocationPolicy: 'PRIORITY_FILL',
        participants: [
          { lenderId: w.lead, role: 'LEAD', targetShareBps: 4000, priority: 0 },
          { lenderId: w.bankA, role: 'PARTNER', targetShareBps: 3000, priority: 1 },
          { lenderId: w.bankB, role: 'PARTNER', targetShareBps: 3000, priority: 2 },
          { lenderId: w.outsider, role: 'PARTNER', targetShareBps: 3000, priority: 3 },
        ],
        reviewTimeoutSeconds: options.reviewTimeoutSeconds ?? 600,
        disbursementTimeoutSeconds: options.disbursementTimeoutSeconds ?? 600,
      },
    ),
  );
  expect(res.status, res.text).toBe(201);
  return programId;
}

export function applicationBody(programId: string, applicationId: string, extra: Record<string, unknown> = {}) {
  return {
    applicationId,
    programId,
    borrower: { borrowerId: `BR-${applicationId}`, type: 'INDIVIDUAL', region: 'CN-31' },
    currency: 'CNY',
    amountMinor: '1000000',
    termMonths: 12,
    repaymentMethod: 'EQUAL_INSTALLMENT',
    annualRate: '0.108',
    purpose: 'Household consumption',
    leadApproval: { approved: true, reference: `LA-${applicationId}`, approvedAt: '2026-11-29T08:00:00Z' },
    ...extra,
  };
}

export async function submit(w: World, programId: string, applicationId: string, extra: Record<string, unknown> = {}) {
  const res = await post('/v1/applications', w.tokens.lead, applicationBody(programId, applicationId, extra));
  expect(res.status, res.text).toBe(202);
  return res;
}

export async function view(w: World, applicationId: string, token = w.tokens.lead): Promise<ApplicationView> {
  const res = await api(`/v1/applications/${applicationId}`, { token });
  expect(res.status, res.text).toBe(200);
  return res.json as ApplicationView;
}

/** Polls until the application satisfies `done` (the workflows run in the background). */
export async function until(w: World, applicationId: string, done: (v: ApplicationView) => boolean, what: string, timeoutMs = 20_000): Promise<ApplicationView> {
  const started = Date.now();
  let last: ApplicationView | undefined;
  while (Date.now() - started < timeoutMs) {
    last = await view(w, applicationId);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`application ${applicationId} never reached: ${what}; last seen ${JSON.stringify(last?.status)} ${JSON.stringify(last?.asks)}`);
}

export const asked = (lenderId: string, round = 1) => (v: ApplicationView) => v.asks.some((a) => a.lenderId === lenderId && a.round === round);

export async function decide(applicationId: string, token: string, body: Record<string, unknown>, key = uniqueKey('decision')) {
  return api(`/v1/applications/${applicationId}/decisions`, { method: 'POST', token, body, headers: { 'idempotency-key': key } });
}

export const approve = (amountMinor: string) => ({ decision: 'APPROVE', approvedAmountMinor: amountMinor, conditions: ['Borrower income verified'] });
export const decline = { decision: 'DECLINE', reasonCodes: ['DEBT_TO_INCOME_TOO_HIGH'] };

export async function disburse(w: World, applicationId: string, body: Record<string, unknown>, key = uniqueKey('disbursement')) {
  return api(`/v1/applications/${applicationId}/disbursement`, { method: 'POST', token: w.tokens.lead, body, headers: { 'idempotency-key': key } });
}
