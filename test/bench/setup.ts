import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { LocalStack } from '../../infra/local/stack.ts';

/** The benchmark clients' connections: kept alive, as a partner's or the lead's servicing system would. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One API call of a benchmark client, with a fresh idempotency key, on node:http (lighter than
 * fetch, so the clients take less of the one Node process they share with the stack).
 */
export async function call(stack: LocalStack, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const key = randomUUID();
  try {
    return await send(stack, token, method, path, payload, key);
  } catch (error) {
    // A kept-alive connection the server closed as it was reused: sent again, with the same key.
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    return send(stack, token, method, path, payload, key);
  }
}

function send(stack: LocalStack, token: string, method: string, path: string, payload: string | undefined, key: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${stack.baseUrl}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': key,
          ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : null });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A lender with room enough for any benchmark run. */
export function benchLender(lenderId: string, roles: string[]) {
  return {
    lenderId,
    name: lenderId,
    roles,
    institutionType: 'NATIONAL_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: { bankName: 'Bench Bank', accountName: 'Bench', accountNumber: '6222000000000000' },
    limits: { exposureQuotaMinor: '100000000000000', perBorrowerCapMinor: '20000000' },
  };
}

/** A lead and two partner banks and a program funding 40/30/30, with ids of the run (`prefix` tells benchmarks apart). */
export async function setUpProgram(stack: LocalStack, token: string, run: string, prefix: string, maxTermMonths = 36, startDate = '2024-01-01') {
  const [lead, a, b] = [`${prefix}LEAD_${run}`, `${prefix}BANKA_${run}`, `${prefix}BANKB_${run}`];
  for (const [id, roles] of [[lead, ['LEAD']], [a, ['PARTNER']], [b, ['PARTNER']]] as const) {
    if ((await call(stack, token, 'POST', '/v1/lenders', benchLender(id, [...roles]))).status !== 201) throw new Error('bench setup: lender');
  }
  const programId = `${prefix}PROG_${run}`;
  const program = {
    startDate,
    programId,
    name: 'Bench',
    currency: 'CNY',
    leadLenderId: lead,
    amountRange: { minMinor: '1000', maxMinor: '20000000' },
    termMonthsRange: { min: 1, max: maxTermMonths },
    repaymentMethods: ['EQUAL_INSTALLMENT'],
    borrowerRateRange: { min: '0.01', max: '0.24' },
    participants: [
      { lenderId: lead, role: 'LEAD', targetShareBps: 4000 },
      { lenderId: a, role: 'PARTNER', targetShareBps: 3000 },
      { lenderId: b, role: 'PARTNER', targetShareBps: 3000 },
    ],
  };
  if ((await call(stack, token, 'POST', '/v1/programs', program)).status !== 201) throw new Error('bench setup: program');
  return { programId, lead, a, b };
}
