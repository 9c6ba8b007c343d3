import { randomUUID } from 'node:crypto';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { LOCAL_CREDENTIALS, type LocalStack } from '../../infra/local/stack.ts';
import { LOCAL_REGION } from '../../infra/local/template.ts';
import { cpuMeter, cpuText, formatMs, percentile } from './stats.ts';
import { call, setUpProgram } from './setup.ts';

/**
 * Repayments end to end over HTTP: `POST /v1/repayments` → the RepaymentSplit workflow (Express,
 * synchronous) → SplitAndBook and Publish, on loans booked first. Prints; asserts nothing about time.
 */

const CLIENTS = 8;
const BATCH = 25;
/** Half a year before the run (2026-11-29): five monthly instalments are due, 2026-07-02 to 2026-11-02. */
const DISBURSEMENT_DATE = '2026-06-02';
const LAST_VALUE_DATE = '2026-11-29';
/** Each loan gets one payment per instalment due, in value-date order. */
const PAYMENTS_PER_LOAN = 5;
/** What an overpayment pays above the instalment (300.00 yuan, to suspense under the default terms). */
const OVERPAYMENT_MINOR = 30_000n;

interface Instalment {
  readonly dueDate: string;
  readonly amountMinor: bigint;
}
interface Payment {
  readonly loanId: string;
  readonly valueDate: string;
  readonly amountMinor: bigint;
}

type Counts = NonNullable<ReturnType<LocalStack['dynamoDbCounts']>>;
export const NO_COUNTS: Counts = { requests: {}, readRequests: 0, writeItems: 0, transactionalWriteItems: 0, readUnits: 0, writeUnits: 0, indexWriteUnits: 0 };

/** Books each client's loans, the 8 clients at once (not measured). */
async function bookLoans(stack: LocalStack, token: string, setup: Awaited<ReturnType<typeof setUpProgram>>, loansByClient: readonly string[][]): Promise<void> {
  await Promise.all(
    loansByClient.map(async (loanIds) => {
      for (const loanId of loanIds) {
        const { status } = await call(stack, token, 'POST', '/v1/loans', {
          loanId,
          programId: setup.programId,
          borrower: { borrowerId: `PB-${loanId}`, type: 'INDIVIDUAL', region: 'CN-31' },
          currency: 'CNY',
          principalMinor: '1000003',
          annualRate: '0.108',
          termMonths: 12,
          repaymentMethod: 'EQUAL_INSTALLMENT',
          disbursementDate: DISBURSEMENT_DATE,
          disbursementReference: `R-${loanId}`,
          fundingPlan: [
            { lenderId: setup.lead, amountMinor: '400001' },
            { lenderId: setup.a, amountMinor: '300001' },
            { lenderId: setup.b, amountMinor: '300001' },
          ],
        });
        if (status !== 201) throw new Error(`bench setup: loan ${loanId} answered ${status}`);
      }
    }),
  );
}

/** The instalments due by the last value date; every bench loan has the same terms, so the same schedule. */
async function instalmentsDue(stack: LocalStack, token: string, loanId: string): Promise<Instalment[]> {
  const { status, json } = await call(stack, token, 'GET', `/v1/loans/${loanId}/repayments`);
  const rows = (json as { instalments?: { dueDate: string; principalMinor: string; interestMinor: string }[] } | null)?.instalments ?? [];
  const due = rows.filter((r) => r.dueDate <= LAST_VALUE_DATE).map((r) => ({ dueDate: r.dueDate, amountMinor: BigInt(r.principalMinor) + BigInt(r.interestMinor) }));
  if (status !== 200 || due.length < PAYMENTS_PER_LOAN) throw new Error(`bench setup: ${due.length} instalments due on ${loanId}`);
  return due.slice(0, PAYMENTS_PER_LOAN);
}

/**
 * One loan's payments in value-date order, by the loan's number: half pay each instalment on its
 * due date; a quarter pay 40% of the first instalment on time and catch up with the next one; a
 * quarter overpay the first instalment.
 */
function paymentsOf(loanId: string, n: number, due: readonly Instalment[]): Payment[] {
  const payments = due.map((d) => ({ loanId, valueDate: d.dueDate, amountMinor: d.amountMinor }));
  const [first, second] = payments as [Payment, Payment];
  if (n % 4 === 2) {
    const partial = (first.amountMinor * 40n) / 100n;
    payments[0] = { ...first, amountMinor: partial };
    payments[1] = { ...second, amountMinor: second.amountMinor + first.amountMinor - partial };
  } else if (n % 4 === 3) {
    payments[0] = { ...first, amountMinor: first.amountMinor + OVERPAYMENT_MINOR };
  }
  return payments;
}

function repaymentBody(p: Payment, repaymentId: string) {
  return { repaymentId, loanId: p.loanId, amountMinor: p.amountMinor.toString(), currency: 'CNY', valueDate: p.valueDate, channel: 'AUTO_DEBIT' };
}

/** Statuses of one call's answers; a call that failed as a whole fails each of its repayments. */
async function post(stack: LocalStack, token: string, items: unknown[]): Promise<string[]> {
  try {
    const { status, json } = await call(stack, token, 'POST', '/v1/repayments', { repayments: items });
    const results = (json as { results?: { status: string }[] } | null)?.results ?? [];
    return status === 200 && results.length === items.length ? results.map((r) => r.status) : items.map(() => `HTTP ${status}`);
  } catch {
    return items.map(() => 'NO ANSWER');
  }
}

function delta(after: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>): number {
  return Object.keys(after).reduce((n, k) => n + (after[k] ?? 0) - (before[k] ?? 0), 0);
}

/**
 * `repayments` repayments (a multiple of 8 × 5) posted one per call by 8 clients, each client on
 * loans of its own in value-date order (every loan's first payment, then every second one...), so
 * calls on one loan never overlap; then `batchesPerClient` calls of 25 per client, each call one
 * payment of 25 different loans of that client, all due on the same date.
 */
export async function benchRepayments(stack: LocalStack, repayments: number, batchesPerClient: number) {
  const token = await stack.mintToken({ scopes: ['lead'] });
  const run = randomUUID().slice(0, 6).toUpperCase();
  const setup = await setUpProgram(stack, token, run, 'P');
  const singleLoans = Math.ceil(repayments / (CLIENTS * PAYMENTS_PER_LOAN));
  const batchLoans = BATCH * Math.ceil(batchesPerClient / PAYMENTS_PER_LOAN);
  const single = Array.from({ length: CLIENTS }, (_, c) => Array.from({ length: singleLoans }, (_, i) => `PL-${run}-${c}-${i}`));
  const batched = Array.from({ length: CLIENTS }, (_, c) => Array.from({ length: batchLoans }, (_, i) => `PL-${run}-${c}-B${i}`));
  const workflowLoans = Array.from({ length: CLIENTS }, (_, c) => Array.from({ length: WORKFLOW_LOANS_PER_CLIENT }, (_, i) => `PL-${run}-${c}-W${i}`));
  await bookLoans(stack, token, setup, single.map((loans, c) => [...loans, ...(batched[c] ?? []), ...(workflowLoans[c] ?? [])]));
  const due = await instalmentsDue(stack, token, single[0]?.[0] ?? batched[0]?.[0] ?? '');

  // One per call: each client's payments, every loan's first before any loan's second.
  const perClient = Math.floor(repayments / CLIENTS);
  const plans = single.map((loans) => {
    const byLoan = loans.map((loanId, i) => paymentsOf(loanId, i, due));
    return Array.from({ length: PAYMENTS_PER_LOAN }, (_, k) => byLoan.map((p) => p[k] as Payment)).flat().slice(0, perClient);
  });
  const booked: { loanId: string; repaymentId: string }[] = [];
  const dynamoBefore = stack.dynamoDbCounts() ?? NO_COUNTS;
  const onePerCall = await timedCalls(stack, plans, async (payment, c, i) => {
    const repaymentId = `PR-${run}-${c}-${i}`;
    const [status] = await post(stack, token, [repaymentBody(payment, repaymentId)]);
    if (status === 'BOOKED') booked.push({ loanId: payment.loanId, repaymentId });
    return status === 'BOOKED';
  });
  const dynamo = stack.dynamoDbCounts() ?? NO_COUNTS;

  // Batches of 25: batch b of a client pays instalment b % 5 of its loans 25 × ⌊b / 5⌋ to 25 × ⌊b / 5⌋ + 24.
  let batchedCount = 0;
  let batchFailures = 0;
  const started = performance.now();
  await Promise.all(
    batched.map(async (loans, c) => {
      for (let b = 0; b < batchesPerClient; b++) {
        const group = Math.floor(b / PAYMENTS_PER_LOAN) * BATCH;
        const items = loans.slice(group, group + BATCH).map((loanId, i) => repaymentBody(paymentsOf(loanId, group + i, due)[b % PAYMENTS_PER_LOAN] as Payment, `PR-${run}-${c}-B${b}-${i}`));
        const statuses = await post(stack, token, items);
        batchedCount += items.length;
        batchFailures += statuses.filter((s) => s !== 'BOOKED').length;
      }
    }),
  );
  const batchMs = performance.now() - started;

  // The alternative for a single repayment (docs/adr/0004): one execution of the batch workflow per
  // repayment, started synchronously, as the API would if it did not book a single one itself.
  const viaWorkflow = await singleThroughWorkflow(stack, run, workflowLoans, due);

  const count = onePerCall.repayments;
  const requests = (op: string) => ((dynamo.requests[op] ?? 0) - (dynamoBefore.requests[op] ?? 0)) / count;
  return {
    ...onePerCall,
    dynamoDb: stack.dynamoDbCounts() === null ? null : {
      queries: requests('Query'),
      gets: requests('GetItem'),
      transactions: requests('TransactWriteItems'),
      reads: (dynamo.readRequests - dynamoBefore.readRequests) / count,
      itemsWritten: (dynamo.writeItems - dynamoBefore.writeItems) / count,
      transactionalItems: (dynamo.transactionalWriteItems - dynamoBefore.transactionalWriteItems) / count,
      rcu: (dynamo.readUnits - dynamoBefore.readUnits) / count,
      wcu: (dynamo.writeUnits - dynamoBefore.writeUnits) / count,
      indexWcu: (dynamo.indexWriteUnits - dynamoBefore.indexWriteUnits) / count,
    },
    batched: { repayments: batchedCount, failures: batchFailures, perSecond: (batchedCount / batchMs) * 1000 },
    viaWorkflow,
  };
}

/** Loans per client paid one repayment each through the workflow (the alternative measured for a single repayment). */
const WORKFLOW_LOANS_PER_CLIENT = 40;

/** One repayment per execution of RepaymentBatch, started synchronously by 8 clients: latency and work per repayment. */
async function singleThroughWorkflow(stack: LocalStack, run: string, loans: readonly string[][], due: readonly Instalment[]) {
  const sfn = new SFNClient({ endpoint: stack.sfnEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const stateMachineArn = process.env.REPAYMENT_BATCH_STATE_MACHINE_ARN ?? '';
  try {
    return await timedCalls(stack, loans, async (loanId, c, i) => {
      const payment = paymentsOf(loanId, 0, due)[0] as Payment;
      const out = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn, input: JSON.stringify({ repayments: [repaymentBody(payment, `PW-${run}-${c}-${i}`)] }) }));
      const status = (JSON.parse(out.output ?? '{}') as { results?: { status: string }[] }).results?.[0]?.status;
      return out.status === 'SUCCEEDED' && status === 'BOOKED';
    });
  } finally {
    sfn.destroy();
  }
}

/**
 * Each client's calls one after the other, every client at once: the rate, each call's latency,
 * the failures, and the function invocations and state transitions per call.
 */
async function timedCalls<T>(stack: LocalStack, plans: readonly (readonly T[])[], call: (item: T, client: number, index: number) => Promise<boolean>) {
  const latencies: number[] = [];
  let failures = 0;
  const invocationsBefore = stack.invocationCounts();
  const transitionsBefore = stack.stepFunctions.transitionCounts();
  const cpu = cpuMeter(stack.dynamodbProcessGroup);
  const started = performance.now();
  await Promise.all(
    plans.map(async (plan, c) => {
      for (const [i, item] of plan.entries()) {
        const t0 = performance.now();
        const ok = await call(item, c, i);
        latencies.push(performance.now() - t0);
        if (!ok) failures++;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const used = cpu();
  const sorted = latencies.sort((x, y) => x - y);
  const count = latencies.length;
  return {
    cpuPerRepayment: { nodeMs: used.nodeMs / count, dynamoDbMs: used.dynamoDbMs === null ? null : used.dynamoDbMs / count },
    repayments: count,
    failures,
    perSecond: (count / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    invocationsPerRepayment: delta(stack.invocationCounts(), invocationsBefore) / count,
    transitionsPerRepayment: delta(stack.stepFunctions.transitionCounts(), transitionsBefore) / count,
  };
}

export type RepaymentBench = Awaited<ReturnType<typeof benchRepayments>>;

export function printRepayments(r: RepaymentBench): void {
  const d = r.dynamoDb;
  const units =
    d === null
      ? ''
      : `${d.queries.toFixed(2)} queries + ${d.gets.toFixed(2)} gets (${d.reads.toFixed(2)} reads), ` +
        `${d.itemsWritten.toFixed(1)} items written (${d.transactionalItems.toFixed(1)} in ${d.transactions.toFixed(2)} transactions), ` +
        `${d.rcu.toFixed(2)} RCU, ${d.wcu.toFixed(2)} WCU + ${d.indexWcu.toFixed(2)} index WCU, `;
  console.log(
    `repayments over HTTP, ${CLIENTS} clients, one per call, ${r.repayments} repayments: ${r.perSecond.toFixed(1)}/s, p50 ${formatMs(r.p50)}, p99 ${formatMs(r.p99)}, ` +
      `${r.failures} failed; per repayment ${units}${r.invocationsPerRepayment.toFixed(2)} function invocations, ${r.transitionsPerRepayment.toFixed(2)} state transitions`,
  );
  console.log(`  CPU per repayment: ${cpuText(r.cpuPerRepayment)}`);
  console.log(
    `repayments over HTTP, ${CLIENTS} clients, batches of ${BATCH} per call, ${r.batched.repayments} repayments: ${r.batched.perSecond.toFixed(1)}/s, ${r.batched.failures} failed`,
  );
  const w = r.viaWorkflow;
  console.log(
    `single repayments through the batch workflow instead (StartSyncExecution, ${CLIENTS} clients, ${w.repayments} repayments): ${w.perSecond.toFixed(1)}/s, ` +
      `p50 ${formatMs(w.p50)}, p99 ${formatMs(w.p99)}, ${w.failures} failed, ${w.invocationsPerRepayment.toFixed(2)} function invocations, ${w.transitionsPerRepayment.toFixed(2)} state transitions`,
  );
  console.log(`  CPU per repayment: ${cpuText(w.cpuPerRepayment)}`);
}
