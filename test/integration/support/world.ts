import { entryOf } from '../../../shared/adapters/dynamodb/entry-codec.ts';
import type { JournalEntry } from '../../../shared/domain/ledger.ts';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect, inject } from 'vitest';
import { api, token } from './stack.ts';

/**
 * A fresh set of lenders and a program with ids of their own, so tests sharing one local stack
 * never see each other's data.
 */
export interface World {
  readonly suffix: string;
  readonly lead: string;
  readonly bankA: string;
  readonly bankB: string;
  readonly outsider: string;
  readonly guarantor: string;
  readonly programId: string;
  readonly tokens: { lead: string; bankA: string; bankB: string; outsider: string; finance: string; financeA: string };
}

export const uniqueKey = (label: string): string => `${label}-${randomUUID()}`;

const account = { bankName: 'Test Bank', accountName: 'Co-lending', accountNumber: '6222000011112222' };

export function lenderBody(lenderId: string, roles: string[], extra: Record<string, unknown> = {}) {
  return {
    lenderId,
    name: `Lender ${lenderId}`,
    roles,
    institutionType: 'NATIONAL_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: account,
    limits: { exposureQuotaMinor: '100000000000', perBorrowerCapMinor: '20000000' },
    ...extra,
  };
}

/** The lenders of a settlement world, each with its role: the lead, two partner banks and a guarantor. */
export function worldLenders(w: Pick<World, 'lead' | 'bankA' | 'bankB' | 'guarantor'>) {
  return [lenderBody(w.lead, ['LEAD']), lenderBody(w.bankA, ['PARTNER']), lenderBody(w.bankB, ['PARTNER']), lenderBody(w.guarantor, ['GUARANTOR'])];
}

export function programBody(w: Pick<World, 'programId' | 'lead' | 'bankA' | 'bankB' | 'guarantor'>, extra: Record<string, unknown> = {}) {
  return {
    programId: w.programId,
    name: 'Integration program',
    startDate: '2024-01-01',
    currency: 'CNY',
    leadLenderId: w.lead,
    amountRange: { minMinor: '100000', maxMinor: '20000000' },
    termMonthsRange: { min: 3, max: 36 },
    repaymentMethods: ['EQUAL_INSTALLMENT', 'BULLET'],
    borrowerRateRange: { min: '0.05', max: '0.24' },
    participants: [
      { lenderId: w.lead, role: 'LEAD', targetShareBps: 4000, priority: 0 },
      { lenderId: w.bankA, role: 'PARTNER', targetShareBps: 3000, priority: 1 },
      { lenderId: w.bankB, role: 'PARTNER', targetShareBps: 3000, priority: 2 },
      { lenderId: w.guarantor, role: 'GUARANTOR', priority: 9 },
    ],
    ...extra,
  };
}

export function loanBody(w: Pick<World, 'programId' | 'lead' | 'bankA' | 'bankB'>, loanId: string, extra: Record<string, unknown> = {}) {
  return {
    loanId,
    programId: w.programId,
    borrower: { borrowerId: `BR-${loanId}`, type: 'INDIVIDUAL', region: 'CN-31' },
    currency: 'CNY',
    principalMinor: '1000003',
    annualRate: '0.108',
    termMonths: 12,
    repaymentMethod: 'EQUAL_INSTALLMENT',
    disbursementDate: '2026-11-02',
    disbursementReference: `REF-${loanId}`,
    fundingPlan: [
      { lenderId: w.lead, amountMinor: '400001' },
      { lenderId: w.bankA, amountMinor: '300001' },
      { lenderId: w.bankB, amountMinor: '300001' },
    ],
    ...extra,
  };
}

/** The parties of a program of the integration tests and their program, as `programBody` names them. */
export type Parties = Pick<World, 'programId' | 'lead' | 'bankA' | 'bankB' | 'guarantor'>;

/**
 * Registers the lead, two partner banks and a guarantor, then their program, through `postAsLead`
 * (a call of lead operations on whichever stack the test runs), each expected to be created.
 */
export async function createParties(postAsLead: (path: string, body: unknown) => Promise<{ status: number }>, ids: Parties): Promise<void> {
  for (const [id, roles] of [
    [ids.lead, ['LEAD']],
    [ids.bankA, ['PARTNER']],
    [ids.bankB, ['PARTNER']],
    [ids.guarantor, ['GUARANTOR']],
  ] as const) {
    expect((await postAsLead('/v1/lenders', lenderBody(id, [...roles]))).status).toBe(201);
  }
  expect((await postAsLead('/v1/programs', programBody(ids))).status).toBe(201);
}

export async function post(path: string, tokenValue: string, body: unknown, key = uniqueKey('k')) {
  return api(path, { method: 'POST', token: tokenValue, body, headers: { 'idempotency-key': key } });
}

export async function createWorld(): Promise<World> {
  const suffix = randomUUID().slice(0, 8).toUpperCase();
  const ids = { lead: `LEAD_${suffix}`, bankA: `BANKA_${suffix}`, bankB: `BANKB_${suffix}`, outsider: `BANKC_${suffix}`, guarantor: `GUAR_${suffix}` };
  const lead = await token({ scopes: ['lead'] });
  // The lead takes at most 40% of a loan, so a partner that declines must be replaced.
  const leadLimits = { limits: { exposureQuotaMinor: '100000000000', perBorrowerCapMinor: '20000000', maxShareBps: 4000 } };
  for (const [id, roles, extra] of [
    [ids.lead, ['LEAD'], leadLimits],
    [ids.bankA, ['PARTNER'], {}],
    [ids.bankB, ['PARTNER'], {}],
    [ids.outsider, ['PARTNER'], {}],
    [ids.guarantor, ['GUARANTOR'], {}],
  ] as const) {
    const res = await post('/v1/lenders', lead, lenderBody(id, [...roles], extra));
    if (res.status !== 201) throw new Error(`creating lender ${id}: ${res.status} ${JSON.stringify(res.json)}`);
  }
  const programId = `PROG_${suffix}`;
  const res = await post('/v1/programs', lead, programBody({ ...ids, programId }));
  if (res.status !== 201) throw new Error(`creating program: ${res.status} ${JSON.stringify(res.json)}`);
  return {
    suffix,
    ...ids,
    programId,
    tokens: {
      lead,
      bankA: await token({ scopes: ['partner'], lenderId: ids.bankA }),
      bankB: await token({ scopes: ['partner'], lenderId: ids.bankB }),
      outsider: await token({ scopes: ['partner'], lenderId: ids.outsider }),
      finance: await token({ scopes: ['finance'] }),
      financeA: await token({ scopes: ['finance'], lenderId: ids.bankA }),
    },
  };
}

/** Every journal entry in the local ledger, read straight from DynamoDB Local and decoded as the adapter does. */
export async function allJournalEntries(): Promise<JournalEntry[]> {
  const client = new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const doc = DynamoDBDocumentClient.from(client);
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  const ledger = TableNames.find((t) => t.startsWith('LedgerTable'));
  if (!ledger) throw new Error(`no ledger table among ${TableNames.join(', ')}`);
  const entries: JournalEntry[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: ledger, ExclusiveStartKey, FilterExpression: 'entityType = :e', ExpressionAttributeValues: { ':e': 'JournalEntry' } }));
    entries.push(...(page.Items ?? []).map((item) => entryOf(item)));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  client.destroy();
  return entries;
}

/** Debits minus credits per lender book and in total; all zero when the ledger balances. */
export async function ledgerImbalance(): Promise<{ total: bigint; books: Map<string, bigint> }> {
  const books = new Map<string, bigint>();
  let total = 0n;
  for (const entry of await allJournalEntries()) {
    for (const leg of entry.legs) {
      const signed = leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor;
      books.set(leg.lenderId, (books.get(leg.lenderId) ?? 0n) + signed);
      total += signed;
    }
  }
  return { total, books: new Map([...books].filter(([, v]) => v !== 0n)) };
}

/** After every integration test: the ledger's debits equal its credits, per book and in total. */
export async function expectLedgerBalanced(): Promise<void> {
  const { total, books } = await ledgerImbalance();
  expect(total).toBe(0n);
  expect([...books]).toEqual([]);
}
