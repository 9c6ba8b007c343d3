import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalStack } from '../../infra/local/stack.ts';
import { cpuMeter, cpuText, formatMs, percentile } from './stats.ts';
import { benchLender, call } from './setup.ts';

interface Partner {
  readonly token: string;
  readonly lenderId: string;
}

/** One application's clock: when it was submitted, asked, answered, awaited, confirmed and booked (epoch ms). */
interface Trace {
  submittedAt: number;
  notifiedAt: number[];
  answeredAt: number[];
  confirmedAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How often the lead looks for a plan awaiting its disbursement, and for the booked loan. */
const LEAD_POLL_MS = 5;

/**
 * The partners' webhooks: each review request is answered with an approval as soon as it arrives
 * (the partner's own decision takes no time), as a partner's system told by Colend would.
 */
async function partnerWebhooks(stack: LocalStack, partners: readonly Partner[], traces: Map<string, Trace>) {
  const byLender = new Map(partners.map((p) => [p.lenderId, p]));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200).end();
      const asked = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { applicationId: string; lenderId: string; askedAmountMinor: string };
      const partner = byLender.get(asked.lenderId);
      const trace = traces.get(asked.applicationId);
      if (!partner || !trace) return;
      trace.notifiedAt.push(Date.now());
      trace.answeredAt.push(Date.now());
      void call(stack, partner.token, 'POST', `/v1/applications/${asked.applicationId}/decisions`, { decision: 'APPROVE', approvedAmountMinor: asked.askedAmountMinor });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/review`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Applications from intake to booked loan: three partners answer their review request as soon
 * as their webhook receives it; the lead lists what awaits its disbursement every LEAD_POLL_MS
 * and confirms each as it appears; each client reads its application every LEAD_POLL_MS after
 * the confirmation until it is booked. `concurrency` applications are in flight at once.
 *
 * Each application is timed twice: `latencies`, from the intake call to the BOOKED event of the
 * application's timeline; `systemLatencies`, the same minus the time the system spent waiting for
 * answers: from the last partner notified to the last answer sent, and from the plan awaiting its
 * disbursement to the lead's confirmation (the lead's polling).
 */
export async function benchReview(stack: LocalStack, applications: number, concurrency: number) {
  const run = randomUUID().slice(0, 6).toUpperCase();
  const lead = await stack.mintToken({ scopes: ['lead'] });
  const ids = { lead: `RLEAD_${run}`, partners: [`RP1_${run}`, `RP2_${run}`, `RP3_${run}`] };
  const partners: Partner[] = await Promise.all(ids.partners.map(async (lenderId) => ({ lenderId, token: await stack.mintToken({ scopes: ['partner'], lenderId }) })));
  const traces = new Map<string, Trace>();
  const webhooks = await partnerWebhooks(stack, partners, traces);
  const webhook = { url: webhooks.url, secret: `bench-webhook-secret-${randomUUID()}` };
  for (const [id, roles] of [[ids.lead, ['LEAD']], ...ids.partners.map((p) => [p, ['PARTNER']])] as [string, string[]][]) {
    const body = { ...benchLender(id, roles), ...(roles.includes('PARTNER') ? { webhook } : {}) };
    if ((await call(stack, lead, 'POST', '/v1/lenders', body)).status !== 201) throw new Error('bench setup: lender');
  }
  const programId = `RPROG_${run}`;
  const program = {
    startDate: '2024-01-01',
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

  const latencies: number[] = [];
  const systemLatencies: number[] = [];
  let failures = 0;
  let statusPolls = 0;
  let listPolls = 0;
  let next = 0;
  let running = true;
  const confirmations = new Map<string, () => void>();
  // The lead's servicing system: lists what awaits its disbursement and confirms each as it appears.
  const leadLoop = (async () => {
    while (running) {
      await sleep(LEAD_POLL_MS);
      if (confirmations.size === 0) continue;
      const listed = await call(stack, lead, 'GET', '/v1/applications?status=AWAITING_DISBURSEMENT');
      listPolls++;
      const ids = ((listed.json as { applications?: { applicationId: string }[] } | null)?.applications ?? []).map((a) => a.applicationId);
      await Promise.all(
        ids.map(async (applicationId) => {
          const confirmed = confirmations.get(applicationId);
          const trace = traces.get(applicationId);
          if (!confirmed || !trace) return;
          confirmations.delete(applicationId);
          const sentAt = Date.now();
          const res = await call(stack, lead, 'POST', `/v1/applications/${applicationId}/disbursement`, {
            outcome: 'DISBURSED',
            disbursementReference: `D-${applicationId}`,
            disbursementDate: '2026-11-30',
          });
          if (res.status === 202) trace.confirmedAt = sentAt;
          confirmed();
        }),
      );
    }
  })();
  const started = performance.now();
  const one = async (n: number): Promise<void> => {
    const applicationId = `RA-${run}-${n}`;
    const trace: Trace = { submittedAt: Date.now(), notifiedAt: [], answeredAt: [], confirmedAt: 0 };
    traces.set(applicationId, trace);
    const confirmed = new Promise<void>((resolve) => confirmations.set(applicationId, resolve));
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
    if (submitted.status !== 202) {
      confirmations.delete(applicationId);
      return void failures++;
    }
    await confirmed;
    for (let i = 0; i < 20_000 && trace.confirmedAt > 0; i++) {
      await sleep(LEAD_POLL_MS);
      const res = await call(stack, lead, 'GET', `/v1/applications/${applicationId}`);
      const view = res.json as { status?: string; timeline?: { at: string; event: string }[] } | null;
      if (view?.status === 'BOOKED') {
        const at = (event: string) => Date.parse(view.timeline?.find((e) => e.event === event)?.at ?? '');
        const bookedAt = at('BOOKED');
        const partnersWaited = Math.max(0, Math.max(...trace.answeredAt) - Math.max(...trace.notifiedAt));
        const leadWaited = Math.max(0, trace.confirmedAt - at('AWAITING_DISBURSEMENT'));
        latencies.push(bookedAt - trace.submittedAt);
        systemLatencies.push(bookedAt - trace.submittedAt - partnersWaited - leadWaited);
        traces.delete(applicationId);
        return;
      }
      if (view?.status !== undefined && !['IN_REVIEW', 'PLANNED', 'AWAITING_DISBURSEMENT'].includes(view.status)) break;
      statusPolls++;
    }
    failures++;
  };
  const cpu = cpuMeter(stack.dynamodbProcessGroup);
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < applications) await one(next++);
      }),
    );
  } finally {
    running = false;
    await leadLoop;
    await webhooks.close();
  }
  const elapsedMs = performance.now() - started;
  const used = cpu();
  const sorted = latencies.sort((a, b) => a - b);
  const system = systemLatencies.sort((a, b) => a - b);
  const done = Math.max(1, latencies.length + failures);
  return {
    cpuPerApplication: { nodeMs: used.nodeMs / done, dynamoDbMs: used.dynamoDbMs === null ? null : used.dynamoDbMs / done },
    applications: latencies.length,
    failures,
    polls: statusPolls + listPolls,
    /** What the clients' waiting read: a status read is 2 reads (the application and its asks), a list of what awaits the lead 1 query. */
    pollReads: 2 * statusPolls + listPolls,
    perSecond: (latencies.length / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    systemP50: percentile(system, 50),
    systemP99: percentile(system, 99),
  };
}

export function printReview(r: Awaited<ReturnType<typeof benchReview>>): void {
  console.log(
    `joint review, intake → booked, 3 partners answering at once: ${r.applications} applications, ${r.perSecond.toFixed(2)} applications/s, ` +
      `p50 ${formatMs(r.p50)}, p99 ${formatMs(r.p99)} (the system's own time, without the wait for answers: p50 ${formatMs(r.systemP50)}, p99 ${formatMs(r.systemP99)}), ${r.failures} failed`,
  );
  console.log(`  CPU per application (the clients and partners included): ${cpuText(r.cpuPerApplication)}`);
}
