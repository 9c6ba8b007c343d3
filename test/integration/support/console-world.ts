import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../infra/local/stack.ts';
import { launchBrowser } from '../../support/browser.ts';
import { localTemplate } from './stack.ts';
import { createParties, loanBody, uniqueKey, type Parties } from './world.ts';

/**
 * One API call of an integration test with a bearer token: a body is sent as JSON with a fresh
 * `Idempotency-Key`; the answer's status and JSON (undefined when empty).
 */
export async function apiCall<T = Record<string, unknown>>(baseUrl: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': uniqueKey('it') }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: (text === '' ? undefined : JSON.parse(text)) as T };
}

type Call = <T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown) => Promise<{ status: number; json: T }>;

/**
 * The console tests' world: the parties of a program of the demo story's lenders, and one loan of
 * 1,000,003 fen (funded 400,001 / 300,001 / 300,001) whose instalment 1 of 88,289 is repaid on its
 * due date, as lead operations.
 */
export async function bookAndRepay(call: Call, lead: string, ids: Parties, loan: { loanId: string; repaymentId: string; valueDate: string }): Promise<void> {
  await createParties((path, body) => call('POST', path, lead, body), ids);
  expect((await call('POST', '/v1/loans', lead, loanBody(ids, loan.loanId))).status).toBe(201);
  const paid = await call<{ results: { status: string }[] }>('POST', '/v1/repayments', lead, {
    repayments: [{ repaymentId: loan.repaymentId, loanId: loan.loanId, amountMinor: '88289', currency: 'CNY', valueDate: loan.valueDate, channel: 'AUTO_DEBIT' }],
  });
  expect(paid.json.results[0]?.status).toBe('BOOKED');
}

/**
 * Headless Chromium and a local stack of the console tests' own, its clock at Wednesday
 * 2026-12-02 10:00 in Beijing, with tokens of lead operations and of the platform's finance team.
 * Fails, saying what to install, when the machine has no browser or no Chinese font.
 */
export async function startConsoleStack(): Promise<{ browser: Browser; stack: LocalStack; lead: string; finance: string }> {
  const browser = await launchBrowser();
  const stack = await startLocalStack({ port: 0, runSchedules: false, template: localTemplate(), log: () => undefined });
  stack.setTime('2026-12-02T02:00:00.000Z');
  return { browser, stack, lead: await stack.mintToken({ scopes: ['lead'] }), finance: await stack.mintToken({ scopes: ['finance'] }) };
}
