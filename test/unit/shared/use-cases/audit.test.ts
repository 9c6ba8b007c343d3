import { describe, expect, it } from 'vitest';
import { verifyAuditDay, stepEvent, recordAudit, auditStep, AUDIT_NOT_WRITTEN } from '../../../../shared/use-cases/audit.ts';
import { listAuditRecords } from '../../../../functions/audit/use-case.ts';
import { MAX_AUDIT_LENDERS, recordHash, type AuditEvent } from '../../../../shared/domain/audit.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';
import { PARTNER_A, PARTNER_B, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';

const DATE = '2025-03-01';

function event(n: number, lenderIds: string[]): AuditEvent {
  return stepEvent({ workflow: 'Settlement', step: 'CloseRun', executionId: `arn:exec:${n}`, at: `${DATE}T03:00:00.000Z`, target: { businessDate: DATE }, after: { status: 'SETTLED' }, lenderIds });
}

async function filled(count: number): Promise<InMemoryAuditStore> {
  const store = new InMemoryAuditStore();
  for (let n = 0; n < count; n++) await store.append(event(n, n % 2 === 0 ? [PARTNER_A] : [PARTNER_B]));
  return store;
}

describe('verifyAuditDay', () => {
  it('recomputes all eight chains and finds the day whole', async () => {
    const result = await verifyAuditDay(await filled(20), DATE);
    expect(result.records).toBe(20);
    expect(result.chains.map((c) => c.chain)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([result.firstBreak, result.problem]).toEqual([null, null]);
  });

  it('names the first changed record in chain order', async () => {
    const store = await filled(20);
    const target = store.all(DATE).find((r) => r.seq === 2) as NonNullable<ReturnType<InMemoryAuditStore['all']>[number]>;
    store.tamper(DATE, target.chain, 2, (r) => ({ ...r, after: { status: 'FAILED' } }));
    const result = await verifyAuditDay(store, DATE);
    expect(result.firstBreak).toMatchObject({ kind: 'HASH', chain: target.chain, seq: 2, auditKey: target.auditKey });
    expect(result.problem).toBe(`chain ${target.chain} record 2 (${target.auditKey}): its fields do not hash to its stored hash (stored ${target.hash}, computed ${recordHash({ ...target, after: { status: 'FAILED' } })})`);
  });
});

describe('stepEvent', () => {
  it('is once per execution, step and target, and names the workflow as its actor', () => {
    const e = event(1, [PARTNER_A]);
    expect(e).toMatchObject({ auditKey: `STEP#arn:exec:1#CloseRun#businessDate=${DATE}`, action: 'Settlement.CloseRun', executionId: 'arn:exec:1', requestId: null, status: null, route: null, actor: { kind: 'WORKFLOW', principalId: 'Settlement', clientId: 'Settlement', roles: [] } });
  });
});

describe('auditStep', () => {
  const clock = { now: () => `${DATE}T03:00:00.000Z` };
  const noLog = { error: () => undefined };
  const action = { workflow: 'Settlement', step: 'Instruct', target: { instructionId: 'I-1' }, after: { amountMinor: '100' }, lenderIds: [PARTNER_B, PARTNER_A, PARTNER_B] };

  it('records the step once per execution, step and target, its lenders sorted once each', async () => {
    const audit = new InMemoryAuditStore();
    expect(await auditStep({ audit, clock, auditLog: noLog }, 'arn:exec:1', action)).toBe(1);
    await auditStep({ audit, clock, auditLog: noLog }, 'arn:exec:1', action);
    await auditStep({ audit, clock, auditLog: noLog }, 'arn:exec:2', action);
    expect(audit.all(DATE).map((r) => [r.auditKey, r.action, r.executionId, r.at, r.lenderIds])).toEqual(
      expect.arrayContaining([
        ['STEP#arn:exec:1#Instruct#instructionId=I-1', 'Settlement.Instruct', 'arn:exec:1', `${DATE}T03:00:00.000Z`, [PARTNER_A, PARTNER_B]],
        ['STEP#arn:exec:2#Instruct#instructionId=I-1', 'Settlement.Instruct', 'arn:exec:2', `${DATE}T03:00:00.000Z`, [PARTNER_A, PARTNER_B]],
      ]),
    );
    expect(audit.all(DATE)).toHaveLength(2);
  });

  it('records nothing for a step invoked without an execution id', async () => {
    const audit = new InMemoryAuditStore();
    expect(await auditStep({ audit, clock, auditLog: noLog }, undefined, action)).toBe(0);
    expect(audit.all(DATE)).toEqual([]);
  });

  it('writes more lenders than a record names as parts, each lender in exactly one', async () => {
    const audit = new InMemoryAuditStore();
    const lenderIds = Array.from({ length: MAX_AUDIT_LENDERS + 3 }, (_, n) => `L-${String(n).padStart(3, '0')}`);
    expect(await auditStep({ audit, clock, auditLog: noLog }, 'arn:exec:1', { ...action, lenderIds })).toBe(2);
    const records = audit.all(DATE).sort((a, b) => (a.target.part! < b.target.part! ? -1 : 1));
    expect(records.map((r) => [r.target, r.lenderIds.length])).toEqual([
      [{ instructionId: 'I-1', part: '1' }, MAX_AUDIT_LENDERS],
      [{ instructionId: 'I-1', part: '2' }, 3],
    ]);
    expect(records.flatMap((r) => r.lenderIds)).toEqual(lenderIds);
  });

  it('keeps the step going when the trail refuses, logging the record', async () => {
    const audit = new InMemoryAuditStore();
    audit.failNext = 1;
    const logged: string[] = [];
    expect(await auditStep({ audit, clock, auditLog: { error: (m) => logged.push(m) } }, 'arn:exec:1', action)).toBe(1);
    expect([logged, audit.all(DATE)]).toEqual([[AUDIT_NOT_WRITTEN], []]);
  });
});

describe('recordAudit', () => {
  it('logs the whole record and answers null when the table refuses, writing it on the next attempt', async () => {
    const store = new InMemoryAuditStore();
    store.failNext = 1;
    const logged: [string, Record<string, unknown>][] = [];
    const log = { error: (message: string, details: Record<string, unknown>) => logged.push([message, details]) };
    expect(await recordAudit(store, event(1, []), log)).toBeNull();
    expect(logged.map(([m, d]) => [m, (d.auditRecord as AuditEvent).auditKey])).toEqual([[AUDIT_NOT_WRITTEN, event(1, []).auditKey]]);
    expect((await recordAudit(store, event(1, []), log))?.seq).toBe(1);
    expect(await recordAudit(store, event(1, []), log)).toBeNull();
    expect(store.all(DATE)).toHaveLength(1);
  });
});

describe('listAuditRecords', () => {
  it('gives the platform every record and a partner only those naming its lender', async () => {
    const audit = await filled(6);
    const all = await listAuditRecords({ audit }, leadOps, { date: DATE, limit: 100 });
    expect([all.lenderId, all.items.length]).toEqual([null, 6]);
    expect((await listAuditRecords({ audit }, platformFinance, { date: DATE, limit: 100 })).items).toHaveLength(6);
    const own = await listAuditRecords({ audit }, partnerOf(PARTNER_A), { date: DATE, limit: 100 });
    expect(own.lenderId).toBe(PARTNER_A);
    expect(own.items.map((r) => r.lenderIds)).toEqual([[PARTNER_A], [PARTNER_A], [PARTNER_A]]);
  });
});
