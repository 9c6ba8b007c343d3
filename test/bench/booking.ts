import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../../infra/local/stack.ts';
import { formatMs, percentile } from './stats.ts';
import { call, setUpProgram } from './setup.ts';

const CLIENTS = 8;



/** Loans booked over HTTP by 8 concurrent clients, each waiting for its answer before the next. */
export async function benchBooking(stack: LocalStack, loansPerClient: number) {
  const token = await stack.mintToken({ scopes: ['lead'] });
  const run = randomUUID().slice(0, 6).toUpperCase();
  const { programId, lead, a, b } = await setUpProgram(stack, token, run, 'B');

  const latencies: number[] = [];
  let failures = 0;
  const before = stack.invocationCounts();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; i < loansPerClient; i++) {
        const loanId = `BL-${run}-${client}-${i}`;
        const t0 = performance.now();
        const { status } = await call(stack, token, 'POST', '/v1/loans', {
          loanId,
          programId,
          borrower: { borrowerId: `BB-${loanId}`, type: 'INDIVIDUAL', region: 'CN-31' },
          currency: 'CNY',
          principalMinor: '1000003',
          annualRate: '0.108',
          termMonths: 12,
          repaymentMethod: 'EQUAL_INSTALLMENT',
          disbursementDate: '2026-11-02',
          disbursementReference: `R-${loanId}`,
          fundingPlan: [
            { lenderId: lead, amountMinor: '400001' },
            { lenderId: a, amountMinor: '300001' },
            { lenderId: b, amountMinor: '300001' },
          ],
        });
        latencies.push(performance.now() - t0);
        if (status !== 201) failures++;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const after = stack.invocationCounts();
  const invocations = Object.keys(after).reduce((n, k) => n + (after[k] ?? 0) - (before[k] ?? 0), 0);
  const sorted = latencies.sort((x, y) => x - y);
  return {
    loans: latencies.length,
    failures,
    perSecond: (latencies.length / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    invocationsPerLoan: invocations / latencies.length,
  };
}

export function printBooking(r: Awaited<ReturnType<typeof benchBooking>>): void {
  console.log(
    `booking over HTTP, ${CLIENTS} clients: ${r.loans} loans, ${r.perSecond.toFixed(1)} loans/s, p50 ${formatMs(r.p50)}, p99 ${formatMs(r.p99)}, ` +
      `${r.failures} failed, ${r.invocationsPerLoan.toFixed(2)} function invocations per loan`,
  );
}
