import { describe, expect, it } from 'vitest';
import { runEscalation } from '../../../../functions/break-escalation/use-case.ts';
import { escalationInput } from '../../../../functions/break-escalation/schema.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { defaultReconciliationSettings } from '../../../../shared/use-cases/break-escalation.ts';
import { aBreak, BREAK_ID } from '../../../support/adjustments.ts';
import { createInMemoryStores } from '../../../support/in-memory-stores.ts';
import { PrometheusRegistry } from '../../../../shared/adapters/telemetry/prometheus-registry.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';

const trail = () => ({ audit: new InMemoryAuditStore(), auditLog: { error: (message: string) => expect.fail(message) } });

describe('the escalation function', () => {
  it("ages breaks in the platform's calendar at the schedule's time, or on the date given", async () => {
    const stores = createInMemoryStores('2025-03-07T00:30:00.000Z');
    stores.breaks.breaks.set(BREAK_ID, aBreak());
    const published: string[] = [];
    const metrics = new PrometheusRegistry();
    const deps = { breaks: stores.breaks, settings: defaultReconciliationSettings, publish: async (type: string) => void published.push(type), clock: stores.clock, metrics, ...trail() };
    // 00:30 in Beijing on the 6th: the break of the 3rd is 3 days old, not escalated.
    expect(await runEscalation(deps, { scheduledTime: '2025-03-05T16:30:00Z' })).toMatchObject({ today: '2025-03-06', checked: 1, escalated: [] });
    expect((await runEscalation(deps, { businessDate: '2025-03-05' })).today).toBe('2025-03-05');
    expect(await runEscalation(deps, {})).toMatchObject({ today: '2025-03-07', checked: 1, escalated: [BREAK_ID] });
    expect(published).toEqual(['colend.break.escalated']);
  });

  it('measures the open breaks by age band, every band named, and the oldest one\'s age, as of the run\'s day', async () => {
    const stores = createInMemoryStores('2025-03-07T00:30:00.000Z');
    stores.breaks.breaks.set(BREAK_ID, aBreak());
    const metrics = new PrometheusRegistry();
    const deps = { breaks: stores.breaks, settings: defaultReconciliationSettings, publish: async () => undefined, clock: stores.clock, metrics, ...trail() };
    await runEscalation(deps, { businessDate: '2025-03-20' });
    const samples = metrics.render().split('\n').filter((line) => line.startsWith('colend_breaks_'));
    expect(samples).toEqual([
      'colend_breaks_open{age="0-1"} 0',
      'colend_breaks_open{age="2-3"} 0',
      'colend_breaks_open{age="31+"} 0',
      'colend_breaks_open{age="4-7"} 0',
      'colend_breaks_open{age="8-30"} 1',
      'colend_breaks_oldest_open_age_days 17',
    ]);
  });

  it('records each break it escalates once per scheduled run, naming the lender it concerns', async () => {
    const stores = createInMemoryStores('2025-03-07T00:30:00.000Z');
    stores.breaks.breaks.set(BREAK_ID, aBreak());
    const deps = { breaks: stores.breaks, settings: defaultReconciliationSettings, publish: async () => undefined, clock: stores.clock, metrics: new PrometheusRegistry(), ...trail() };
    const executionId = 'c3e3a0d4-7a3e-4b1e-9d3b-2f6c1b8a9e01';
    expect(await runEscalation(deps, { businessDate: '2025-03-07', executionId })).toMatchObject({ escalated: [BREAK_ID] });
    // The same run retried by the scheduler escalates nothing more and records nothing more.
    expect(await runEscalation(deps, { businessDate: '2025-03-07', executionId })).toMatchObject({ escalated: [] });
    const escalated = await stores.breaks.get(BREAK_ID);
    expect(deps.audit.all('2025-03-07').map((r) => [r.auditKey, r.action, r.target, r.after, r.lenderIds, r.actor.kind])).toEqual([
      [`STEP#${executionId}#Escalate#breakId=${BREAK_ID}`, 'BreakEscalation.Escalate', { breakId: BREAK_ID }, { today: '2025-03-07', state: escalated?.state, escalatedAt: '2025-03-07T00:30:00.000Z', reconciliationId: escalated?.reconciliationId }, [escalated?.lenderId], 'WORKFLOW'],
    ]);
  });

  it("takes the scheduler's input, and refuses a time that is not one", () => {
    expect(validate(escalationInput, { scheduledTime: '2025-03-07T00:30:00Z' })).toEqual({ scheduledTime: '2025-03-07T00:30:00Z' });
    expect(() => validate(escalationInput, { scheduledTime: 'tomorrow' })).toThrow(/scheduledTime/);
  });
});
