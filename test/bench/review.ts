import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../../infra/local/stack.ts';
import { formatMs, percentile } from './stats.ts';
import { benchLender, call } from './setup.ts';

interface Actor {
  readonly token: string;
  readonly lenderId: string;
}



const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Applications from intake to booked loan: three partners each answer their ask as soon as it
 * is listed, the lead confirms the disbursement as soon as it is awaited. `concurrency`
 * applications are in flight at once.
 */
export async function benchReview(stack: LocalStack, applications: number, concurrency: number) {
  const run = randomUUID().slice(0, 6).toUpperCase();
  const lead = await stack.mintToken({ scopes: ['lead'] });
  const ids = { lead: `RLEAD_${run}`, partners: [`RP1_${run}`, `RP2_${run}`, `RP3_${run}`] };
  for (const [id, roles] of [[ids.lead, ['LEAD']], ...ids.partners.map((p) => [p, ['PARTNER']])] as [string, string[]][]) {
    if ((await call(stack, lead, 'POST', '/v1/lenders', benchLender(id, roles))).status !== 201) throw new Error('bench setup: lender');
  }
  const programId = `RPROG_${run}`;
  const program = {
    programId,
    name: 'Bench review',
    currency: 'CNY',
    leadLenderId: ids.lead,
    amountRange: { minMinor: '1000', maxMinor: '20000000' },
    termMonthsRange: { min: 1, max: 36 },
    repaymentMethods: ['EQUAL_INSTALLMENT'],
    borrowerRateRange: { min: '0.01', max: '0.24' },
    participants: [
      { lenderId: ids.lead, role: 'LEAD', targetShareBps: 1000, priority: 0 },
      ...ids.partners.map((p, i) => ({ lenderId: p, role: 'PARTNER', targetShareBps: 3000, priority: i + 1 })),
    ],
  };
  if ((await call(stack, lead, 'POST', '/v1/programs', program)).status !== 201) throw new Error('bench setup: program');
  const partners: Actor[] = await Promise.all(ids.partners.map(async (lenderId) => ({ lenderId, token: await stack.mintToken({ scopes: ['partner'], lenderId }) })));

  const latencies: number[] = [];
  let failures = 0;
  let polls = 0;
  let next = 0;
  const started = performance.now();
  const one = async (n: number) => {
    const applicationId = `RA-${run}-${n}`;
    const t0 = performance.now();
    const submitted = await call(stack, lead, 'POST', '/v1/applications', {
      applicationId,
      programId,
      borrower: { borrowerId: `RB-${applicationId}`, type: 'INDIVIDUAL', region: 'CN-31' },
      currency: 'CNY',
      amountMinor: '1000000',
      termMonths: 12,
      repaymentMethod: 'EQUAL_INSTALLMENT',
      annualRate: '0.108',
      purpose: 'Bench',
      leadApproval: { approved: true, reference: `LA-${applicationId}`, approvedAt: '2026-11-29T08:00:00Z' },
    });
    if (submitted.status !== 202) return void failures++;
    await Promise.all(
      partners.map(async (p) => {
        for (let i = 0; i < 2000; i++) {
          const res = await call(stack, p.token, 'POST', `/v1/applications/${applicationId}/decisions`, { decision: 'APPROVE', approvedAmountMinor: '300000' });
          if (res.status === 201) return;
          polls++;
          await sleep(20);
        }
      }),
    );
    for (let i = 0; i < 4000; i++) {
      const res = await call(stack, lead, 'POST', `/v1/applications/${applicationId}/disbursement`, {
        outcome: 'DISBURSED',
        disbursementReference: `D-${applicationId}`,
        disbursementDate: '2026-11-30',
      });
      if (res.status === 202) break;
      polls++;
      await sleep(20);
    }
    for (let i = 0; i < 4000; i++) {
      const res = await call(stack, lead, 'GET', `/v1/applications/${applicationId}`);
      const status = (res.json as { status?: string } | null)?.status;
      if (status === 'BOOKED') {
        latencies.push(performance.now() - t0);
        return;
      }
      if (status !== undefined && !['IN_REVIEW', 'PLANNED', 'AWAITING_DISBURSEMENT'].includes(status)) break;
      polls++;
      await sleep(20);
    }
    failures++;
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < applications) await one(next++);
    }),
  );
  const elapsedMs = performance.now() - started;
  const sorted = latencies.sort((a, b) => a - b);
  return { applications: latencies.length, failures, polls, perSecond: (latencies.length / elapsedMs) * 1000, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export function printReview(r: Awaited<ReturnType<typeof benchReview>>): void {
  console.log(
    `joint review, intake → booked, 3 partners answering at once: ${r.applications} applications, ${r.perSecond.toFixed(2)} applications/s, ` +
      `p50 ${formatMs(r.p50)}, p99 ${formatMs(r.p99)}, ${r.failures} failed`,
  );
}
