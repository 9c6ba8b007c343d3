import { expiresAtEpochSeconds } from '../../shared/http/idempotency.ts';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores } from '../../shared/adapters/dynamodb/index.ts';
import type { ApplicationRecord } from '../../shared/ports/stores.ts';
import { quotaTotals } from '../../shared/domain/exposure.ts';
import { reserve, release } from '../../functions/disbursement-steps/use-case.ts';
import { bookFromApplication } from '../../functions/disbursement-book/use-case.ts';
import { api } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, lenderBody, post, programBody, type World } from './support/world.ts';
import { disburse, submit, until, view, type ApplicationView } from './support/review.ts';

let w: World;
let stores: Stores;

beforeAll(async () => {
  w = await createWorld();
  const client = new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  const table = (prefix: string) => TableNames.find((t) => t.startsWith(prefix)) ?? '';
  stores = createStores(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), { ledger: table('LedgerTable'), state: table('StateTable') });
});

afterEach(expectLedgerBalanced);

const frozen = { now: () => '2026-11-29T10:00:00.000Z' };
const totalsOf = async (lenderId: string) => quotaTotals(await stores.exposure.quotaShards(lenderId));

/** A fresh lead and two partners; partner D can fund exactly one 300,000-fen part. */
async function tightWorld(label: string) {
  const ids = { lead: `QL_${w.suffix}_${label}`, d: `QD_${w.suffix}_${label}`, e: `QE_${w.suffix}_${label}` };
  await post('/v1/lenders', w.tokens.lead, lenderBody(ids.lead, ['LEAD'], { limits: { exposureQuotaMinor: '100000000000', perBorrowerCapMinor: '20000000', maxShareBps: 4000 } }));
  await post('/v1/lenders', w.tokens.lead, lenderBody(ids.d, ['PARTNER'], { limits: { exposureQuotaMinor: '300000', perBorrowerCapMinor: '300000' } }));
  await post('/v1/lenders', w.tokens.lead, lenderBody(ids.e, ['PARTNER']));
  const programId = `QP_${w.suffix}_${label}`;
  const res = await post(
    '/v1/programs',
    w.tokens.lead,
    programBody(
      { programId, lead: ids.lead, bankA: ids.d, bankB: ids.e, guarantor: w.guarantor },
      {
        allocationPolicy: 'PRIORITY_FILL',
        participants: [
          { lenderId: ids.lead, role: 'LEAD', targetShareBps: 4000, priority: 0 },
          { lenderId: ids.d, role: 'PARTNER', targetShareBps: 3000, priority: 1 },
          { lenderId: ids.e, role: 'PARTNER', targetShareBps: 3000, priority: 2 },
        ],
        reviewTimeoutSeconds: 600,
      },
    ),
  );
  expect(res.status, res.text).toBe(201);
  return { ...ids, programId, tokenOf: { [ids.d]: '', [ids.e]: '' } as Record<string, string> };
}

describe('quota', () => {
  it('two applications racing for the last quota of a lender: exactly one gets it, and a failed disbursement gives it back', async () => {
    const t = await tightWorld('RACE');
    const { token } = await import('./support/stack.ts');
    const tokens: Record<string, string> = {
      [t.d]: await token({ scopes: ['partner'], lenderId: t.d }),
      [t.e]: await token({ scopes: ['partner'], lenderId: t.e }),
    };
    const apps = [`QR-${w.suffix}-1`, `QR-${w.suffix}-2`];
    await Promise.all(apps.map((a) => submit(w, t.programId, a)));
    const settled = new Map<string, ApplicationView>();
    for (let i = 0; i < 400 && settled.size < apps.length; i++) {
      for (const a of apps.filter((x) => !settled.has(x))) {
        const v = await view(w, a);
        if (['AWAITING_DISBURSEMENT', 'REJECTED'].includes(v.status)) settled.set(a, v);
        for (const ask of v.asks.filter((x) => x.state === 'PENDING')) {
          await api(`/v1/applications/${a}/decisions`, {
            method: 'POST',
            token: tokens[ask.lenderId],
            body: { decision: 'APPROVE', approvedAmountMinor: ask.askedAmountMinor },
            headers: { 'idempotency-key': `race-${a}-${ask.lenderId}-${ask.round}` },
          });
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const statuses = apps.map((a) => settled.get(a)?.status).sort();
    expect(statuses).toEqual(['AWAITING_DISBURSEMENT', 'REJECTED']);
    const quotaD = await totalsOf(t.d);
    expect([quotaD.reservedMinor, quotaD.committedMinor]).toEqual([300_000n, 0n]);

    const winner = apps.find((a) => settled.get(a)?.status === 'AWAITING_DISBURSEMENT') ?? '';
    expect((await disburse(w, winner, { outcome: 'FAILED', reason: 'Account frozen' })).status).toBe(202);
    await until(w, winner, (v) => v.status === 'DISBURSEMENT_FAILED', 'failed');
    for (const lenderId of [t.lead, t.d, t.e]) {
      const q = await totalsOf(lenderId);
      expect([lenderId, q.reservedMinor, q.committedMinor]).toEqual([lenderId, 0n, 0n]);
    }
    expect((await stores.exposure.reservations(winner)).map((r) => r.state)).toEqual(['RELEASED', 'RELEASED', 'RELEASED']);
  });
});

describe('steps retried after a crash between two writes', () => {
  async function plannedApplication(t: Awaited<ReturnType<typeof tightWorld>>, applicationId: string): Promise<void> {
    const program = await stores.programs.get(t.programId, null);
    const record: ApplicationRecord = {
      application: {
        applicationId,
        programId: t.programId,
        programVersion: program?.version ?? 1,
        borrower: { borrowerId: `BR-${applicationId}`, type: 'INDIVIDUAL', region: 'CN-31', secured: false },
        amountMinor: 1_000_000n,
        termMonths: 12,
        repaymentMethod: 'EQUAL_INSTALLMENT',
        annualRate: '0.108',
        purpose: 'Household consumption',
        leadApproval: { approved: true, reference: 'LA-1', approvedAt: '2026-11-29T08:00:00Z' },
        createdAt: frozen.now(),
      },
      status: 'PLANNED',
      round: 1,
      plan: [
        { lenderId: t.lead, role: 'LEAD', amountMinor: 400_000n },
        { lenderId: t.d, role: 'PARTNER', amountMinor: 300_000n },
        { lenderId: t.e, role: 'PARTNER', amountMinor: 300_000n },
      ],
      reasons: [],
      dropped: [],
      timeline: [],
      loanId: null,
    };
    await stores.applications.create(
      record,
      { step: 'Submitted', at: frozen.now(), event: 'SUBMITTED', detail: {}, set: {} },
      { scopeKey: `test#${applicationId}`, requestHash: 'x', statusCode: 202, responseBody: '{}', createdAt: frozen.now(), expiresAtEpochSeconds: expiresAtEpochSeconds(frozen.now()) },
    );
  }

  /** The store does the write, then the process dies before the step returns. */
  function crashingAfter<T extends object>(target: T, method: keyof T, times = 1): T {
    let left = times;
    return new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (prop !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(obj) : value;
        return async (...args: unknown[]) => {
          const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
          if (left-- > 0) throw new Error('process died after the write');
          return out;
        };
      },
    });
  }

  it('ReserveQuota, BookLoan and Release end exactly as they would without the crash', async () => {
    const t = await tightWorld('CRASH');
    const appId = `QC-${w.suffix}`;
    await plannedApplication(t, appId);
    const deps = { ...stores, clock: frozen };

    await expect(reserve({ ...deps, exposure: crashingAfter(stores.exposure, 'reserve') }, appId)).rejects.toThrow('process died');
    await reserve(deps, appId);
    await reserve(deps, appId);
    const reserved = await Promise.all([t.lead, t.d, t.e].map((l) => totalsOf(l)));
    expect(reserved.map((q) => q.reservedMinor)).toEqual([400_000n, 300_000n, 300_000n]);

    const input = { applicationId: appId, disbursementReference: 'D-CRASH', disbursementDate: '2026-11-30' };
    await expect(bookFromApplication({ ...deps, loans: crashingAfter(stores.loans, 'book') }, input)).rejects.toThrow('process died');
    expect(await bookFromApplication(deps, input)).toEqual({ applicationId: appId, loanId: appId, status: 'BOOKED' });
    const quotas = await Promise.all([t.lead, t.d, t.e].map((l) => totalsOf(l)));
    expect(quotas.map((q) => [q.reservedMinor, q.committedMinor])).toEqual([
      [0n, 400_000n],
      [0n, 300_000n],
      [0n, 300_000n],
    ]);
    const positions = await stores.ledger.loanLedger(appId);
    expect(positions.entries).toHaveLength(1);
    expect(positions.positions.map((p) => p.balancesMinor.PRINCIPAL_RECEIVABLE).sort()).toEqual([300_000n, 300_000n, 400_000n]);

    // A release after booking finds nothing held and changes no quota.
    await release(deps, appId, 'DisbursementFailed');
    const after = await Promise.all([t.lead, t.d, t.e].map((l) => totalsOf(l)));
    expect(after.map((q) => [q.reservedMinor, q.committedMinor])).toEqual(quotas.map((q) => [q.reservedMinor, q.committedMinor]));
  });
});
