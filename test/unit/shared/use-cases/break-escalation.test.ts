import { beforeEach, describe, expect, it } from 'vitest';
import { BREAK_ESCALATED, DEFAULT_ESCALATE_AFTER_DAYS, defaultReconciliationSettings, escalateBreaks, type EscalationDeps } from '../../../../shared/use-cases/break-escalation.ts';
import { aBreak, BREAK_ID } from '../../../support/adjustments.ts';
import { PARTNER_A, PARTNER_B } from '../../../support/builders.ts';
import { createInMemoryStores, type InMemoryStores } from '../../../support/in-memory-stores.ts';

/** Friday 2025-03-07, 08:30 in Beijing: the break of 2025-03-03 is 4 days old. */
const FIRED = '2025-03-07T00:30:00.000Z';

let stores: InMemoryStores;
let published: { detailType: string; detail: Record<string, unknown> }[];
let deps: EscalationDeps;

beforeEach(() => {
  stores = createInMemoryStores(FIRED);
  published = [];
  deps = {
    breaks: stores.breaks,
    settings: defaultReconciliationSettings,
    publish: async (detailType, detail) => {
      published.push({ detailType, detail: JSON.parse(detail) as Record<string, unknown> });
    },
    clock: stores.clock,
  };
});

const put = (...breaks: ReturnType<typeof aBreak>[]) => {
  for (const b of breaks) stores.breaks.breaks.set(b.breakId, b);
};
/** The report's measure of one break read at `ageDays` old. */
const oneOpen = (band: string, ageDays: number) => ({ openByAge: { '0-1': 0, '2-3': 0, '4-7': 0, '8-30': 0, '31+': 0, [band]: 1 }, oldestOpenAgeDays: ageDays });
const idOf = (n: number) => `BK-20250303-PR-${n.toString(16).padStart(20, '0')}`;

describe('escalateBreaks', () => {
  it('escalates a break older than 3 days once: the event, then escalatedAt on the next version', async () => {
    put(aBreak());
    expect(await escalateBreaks(deps, '2025-03-06')).toEqual({ today: '2025-03-06', checked: 1, escalated: [], ...oneOpen('2-3', 3) });
    expect(published).toEqual([]);
    expect(await escalateBreaks(deps, '2025-03-07')).toEqual({ today: '2025-03-07', checked: 1, escalated: [BREAK_ID], ...oneOpen('4-7', 4) });
    expect(published).toEqual([
      {
        detailType: 'colend.break.escalated',
        detail: {
          id: `BREAK_ESCALATED#${BREAK_ID}`,
          type: BREAK_ESCALATED,
          breakId: BREAK_ID,
          reconciliationType: 'PARTNER_REPAYMENTS',
          businessDate: '2025-03-03',
          counterparty: PARTNER_A,
          lenderId: PARTNER_A,
          kind: 'AMOUNT_MISMATCH',
          component: 'INTEREST',
          state: 'OPEN',
          owner: null,
          currency: 'CNY',
          differenceMinor: '-150',
          openedOn: '2025-03-03',
          escalatedOn: '2025-03-07',
          ageDays: 4,
          escalateAfterDays: 3,
        },
      },
    ]);
    expect(await stores.breaks.get(BREAK_ID)).toEqual({ ...aBreak(), escalatedAt: FIRED, version: 2 });
    expect(await escalateBreaks(deps, '2025-03-08')).toEqual({ today: '2025-03-08', checked: 1, escalated: [], ...oneOpen('4-7', 5) });
    expect(published).toHaveLength(1);
  });

  it('escalates investigating breaks too, never resolved or accepted ones', async () => {
    put(aBreak({ breakId: idOf(1), state: 'INVESTIGATING' }), aBreak({ breakId: idOf(2), state: 'RESOLVED' }), aBreak({ breakId: idOf(3), state: 'ACCEPTED' }));
    expect(await escalateBreaks(deps, '2025-03-10')).toEqual({ today: '2025-03-10', checked: 1, escalated: [idOf(1)], ...oneOpen('4-7', 7) });
  });

  it("uses each counterparty's own limit, read once per counterparty", async () => {
    const asked: string[] = [];
    const settings = {
      escalateAfterDays: async (counterparty: string) => {
        asked.push(counterparty);
        return counterparty === PARTNER_B ? 0 : 10;
      },
    };
    put(aBreak({ breakId: idOf(1) }), aBreak({ breakId: idOf(2) }), aBreak({ breakId: idOf(3), counterparty: PARTNER_B, lenderId: PARTNER_B, openedOn: '2025-03-06' }));
    expect((await escalateBreaks({ ...deps, settings }, '2025-03-07')).escalated).toEqual([idOf(3)]);
    expect(asked.sort()).toEqual([PARTNER_A, PARTNER_B]);
    expect(DEFAULT_ESCALATE_AFTER_DAYS).toBe(3);
  });

  it('reads every page of the index', async () => {
    put(...Array.from({ length: 230 }, (_, i) => aBreak({ breakId: idOf(i), state: i % 2 === 0 ? 'OPEN' : 'INVESTIGATING' })));
    const report = await escalateBreaks(deps, '2025-03-07');
    expect([report.checked, report.escalated.length, published.length]).toEqual([230, 230, 230]);
    expect([...stores.breaks.breaks.values()].every((b) => b.escalatedAt === FIRED)).toBe(true);
  });

  it('leaves a break unmarked when its event was refused, so the next run publishes it', async () => {
    put(aBreak());
    await expect(escalateBreaks({ ...deps, publish: () => Promise.reject(new Error('the bus refused it')) }, '2025-03-07')).rejects.toThrow('the bus refused it');
    expect((await stores.breaks.get(BREAK_ID))?.escalatedAt).toBeNull();
    expect((await escalateBreaks(deps, '2025-03-07')).escalated).toEqual([BREAK_ID]);
  });
});

describe('a break changed after its page was read', () => {
  it('is not published when it was accepted meanwhile', async () => {
    put(aBreak());
    const accepting: EscalationDeps['breaks'] = {
      list: async (query: Parameters<typeof stores.breaks.list>[0]) => {
        const page = await stores.breaks.list(query);
        if (query.state === 'OPEN') stores.breaks.breaks.set(BREAK_ID, aBreak({ state: 'ACCEPTED', version: 2 }));
        return page;
      },
      get: (id: string) => stores.breaks.get(id),
      put: (changed, expected) => stores.breaks.put(changed, expected),
    };
    expect(await escalateBreaks({ ...deps, breaks: accepting }, '2025-03-07')).toEqual({ today: '2025-03-07', checked: 1, escalated: [], ...oneOpen('4-7', 4) });
    expect(published).toEqual([]);
  });
});
