import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../../infra/local/stack.ts';

/** One API call of a benchmark client, with a fresh idempotency key. */
export async function call(stack: LocalStack, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
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
