import { randomUUID } from 'node:crypto';
import { decode } from '../../shared/adapters/dynamodb/codec.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import { verifyLedger } from '../../infra/cli/ledger-verify.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import { LONG_LOAN_TERMS, longLoanSteps, type LongLoanStep } from '../support/long-loan.ts';
import { NO_COUNTS } from './repayments.ts';
import { call, setUpProgram } from './setup.ts';

/**
 * One 30-year loan's 1,000 events (test/support/long-loan.ts) booked one at a time over HTTP,
 * each measured on the DynamoDB meter: what the n-th event reads and writes, and whether that
 * grows with n. Then the loan's book is verified. Prints; asserts nothing about time.
 */

interface EventCost {
  readonly reads: number;
  readonly items: number;
  readonly rcu: number;
  readonly wcu: number;
  readonly indexWcu: number;
}

async function deliver(stack: LocalStack, token: string, step: LongLoanStep): Promise<string> {
  if (step.action === 'BOOK') {
    const body = { repayments: [{ ...step.repayment, amountMinor: step.repayment.amountMinor.toString() }] };
    const { json } = await call(stack, token, 'POST', '/v1/repayments', body);
    return (json as { results?: { status: string }[] } | null)?.results?.[0]?.status ?? 'NO ANSWER';
  }
  const { json } = await call(stack, token, 'POST', `/v1/repayments/${step.repaymentId}/reversal`, step.reversal);
  return (json as { status?: string } | null)?.status ?? 'NO ANSWER';
}

export async function benchLongLoan(stack: LocalStack) {
  const token = await stack.mintToken({ scopes: ['lead'] });
  const run = randomUUID().slice(0, 6).toUpperCase();
  // The loan is disbursed in 1996: its program must have started by then.
  const setup = await setUpProgram(stack, token, run, 'L', 360, '1996-01-01');
  const loanId = `LL-${run}`;
  const booked = await call(stack, token, 'POST', '/v1/loans', {
    loanId,
    programId: setup.programId,
    borrower: { borrowerId: `LB-${run}`, type: 'INDIVIDUAL', region: 'CN-31' },
    currency: 'CNY',
    ...LONG_LOAN_TERMS,
    principalMinor: LONG_LOAN_TERMS.principalMinor.toString(),
    disbursementReference: `LR-${run}`,
    fundingPlan: [
      { lenderId: setup.lead, amountMinor: '6000000' },
      { lenderId: setup.a, amountMinor: '4500000' },
      { lenderId: setup.b, amountMinor: '4500000' },
    ],
  });
  if (booked.status !== 201) throw new Error(`bench setup: the long loan answered ${booked.status} ${JSON.stringify(booked.json)}`);
  const steps = longLoanSteps(decode<Loan>(booked.json));
  const costs: EventCost[] = [];
  const failures: string[] = [];
  for (const step of steps) {
    const before = stack.dynamoDbCounts() ?? NO_COUNTS;
    const status = await deliver(stack, token, step);
    const after = stack.dynamoDbCounts() ?? NO_COUNTS;
    if (status !== (step.action === 'BOOK' ? 'BOOKED' : 'REVERSED')) failures.push(`${step.action === 'BOOK' ? step.repayment.repaymentId : 'reversal'}: ${status}`);
    costs.push({
      reads: after.readRequests - before.readRequests,
      items: after.writeItems - before.writeItems,
      rcu: after.readUnits - before.readUnits,
      wcu: after.writeUnits - before.writeUnits,
      indexWcu: after.indexWriteUnits - before.indexWriteUnits,
    });
  }
  const verified = await verifyLedger({ endpoint: stack.dynamodbEndpoint });
  return { steps, costs, failures, verified };
}

export function printLongLoan(r: Awaited<ReturnType<typeof benchLongLoan>>): void {
  const show = (c: EventCost) => `${c.reads} reads (${c.rcu} RCU), ${c.items} items written, ${c.wcu} WCU + ${c.indexWcu} index WCU`;
  const reversal = r.steps.findIndex((s) => s.action === 'REVERSE');
  console.log(`one 30-year loan, ${r.steps.length} events one per call over HTTP, ${r.failures.length} failed${r.failures.length > 0 ? `: ${r.failures.slice(0, 3).join('; ')}` : ''}`);
  for (const n of [1, 100, 300, 1000]) console.log(`  event ${n}: ${show(r.costs[n - 1]!)}`);
  const inOrder = r.costs.filter((_, i) => i !== reversal);
  const range = (f: (c: EventCost) => number) => `${Math.min(...inOrder.map(f))}–${Math.max(...inOrder.map(f))}`;
  console.log(`  every change in order: ${range((c) => c.reads)} reads, ${range((c) => c.items)} items, ${range((c) => c.wcu + c.indexWcu)} WCU with the index`);
  console.log(`  the reversal (delivered ${reversal + 1}th, of a payment two months back: it restates what follows it): ${show(r.costs[reversal]!)}`);
  console.log(`  ledger verify: ${r.verified.loansChecked} loans, ${r.verified.entriesChecked} entries, ${r.verified.differenceCount === 0 ? 'BALANCED' : `${r.verified.differenceCount} differences`}`);
}
