import { AGE_BANDS, ageBandOf, ageInDays, OPEN_BREAK_STATES, type AgeBand, type ReconciliationBreak } from '../domain/reconciliation-break.ts';
import { toJson } from '../json.ts';
import type { BreakStore, Clock, ReconciliationSettingsReader } from '../ports/stores.ts';
import { changeBreak } from './break-actions.ts';

/**
 * The daily escalation of breaks (docs/reconciliation.md, Breaks): every break still open or
 * investigating whose age is above its counterparty's `escalateAfterDays` is published once as
 * `colend.break.escalated` (BreakEscalated) and marked with `escalatedAt`, on its version.
 */

export const BREAK_ESCALATED = 'colend.break.escalated';

/** Days a break may stay open before it escalates, when its counterparty's settings do not say. */
export const DEFAULT_ESCALATE_AFTER_DAYS = 3;

/** The settings of a deployment whose counterparties have none stored: the default for every one. */
export const defaultReconciliationSettings: ReconciliationSettingsReader = {
  escalateAfterDays: () => Promise.resolve(DEFAULT_ESCALATE_AFTER_DAYS),
};

/** How many breaks a page of the index holds. */
const PAGE = 100;

export interface EscalationDeps {
  readonly breaks: Pick<BreakStore, 'get' | 'put' | 'list'>;
  readonly settings: ReconciliationSettingsReader;
  /** Puts one event on the bus; an event refused is an error. */
  readonly publish: (detailType: string, detail: string) => Promise<void>;
  readonly clock: Clock;
}

export interface EscalationReport {
  readonly today: string;
  /** Open and investigating breaks read. */
  readonly checked: number;
  /** The breaks escalated by this run, in the order read. */
  readonly escalated: readonly string[];
  /** The breaks read, by age band (docs/reconciliation.md), every band named. */
  readonly openByAge: Readonly<Record<AgeBand, number>>;
  /** The age in days of the oldest break read; 0 when none is open. */
  readonly oldestOpenAgeDays: number;
}

/**
 * Reads the open, then the investigating breaks (R2, page by page) and escalates each one old
 * enough that has not been escalated. The event goes first and the mark after it: a run that
 * stopped between the two publishes that break again on the next run (at least once; the event's
 * `id` lets a consumer keep the first), and a marked break is never published again.
 */
export async function escalateBreaks(deps: EscalationDeps, today: string): Promise<EscalationReport> {
  const thresholds = new Map<string, Promise<number>>();
  const thresholdOf = (counterparty: string): Promise<number> => {
    let found = thresholds.get(counterparty);
    if (found === undefined) {
      found = deps.settings.escalateAfterDays(counterparty);
      thresholds.set(counterparty, found);
    }
    return found;
  };
  const escalated: string[] = [];
  const openByAge = Object.fromEntries(AGE_BANDS.map((b) => [b.band, 0])) as Record<AgeBand, number>;
  let oldestOpenAgeDays = 0;
  let checked = 0;
  for (const state of OPEN_BREAK_STATES) {
    let cursor: string | undefined;
    do {
      const page = await deps.breaks.list({ state, limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
      for (const found of page.items) {
        checked += 1;
        const ageDays = ageInDays(found.openedOn, today);
        openByAge[ageBandOf(ageDays)] += 1;
        oldestOpenAgeDays = Math.max(oldestOpenAgeDays, ageDays);
        if (found.escalatedAt !== null) continue;
        const afterDays = await thresholdOf(found.counterparty);
        if (ageDays <= afterDays) continue;
        if (await escalate(deps, found, { today, ageDays, afterDays })) escalated.push(found.breakId);
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
  }
  return { today, checked, escalated, openByAge, oldestOpenAgeDays };
}

const escalates = (b: ReconciliationBreak | null): b is ReconciliationBreak => b !== null && b.escalatedAt === null && OPEN_BREAK_STATES.includes(b.state);

/**
 * Publishes one break's escalation, then marks it on its version; false when it closed or was
 * marked since the page was read (read again first, so a break accepted meanwhile is not published).
 */
async function escalate(deps: EscalationDeps, listed: ReconciliationBreak, age: { today: string; ageDays: number; afterDays: number }): Promise<boolean> {
  const found = await deps.breaks.get(listed.breakId);
  if (!escalates(found)) return false;
  await deps.publish(BREAK_ESCALATED, toJson(escalationEvent(found, age)));
  const at = deps.clock.now();
  let marked = false;
  await changeBreak(deps, found.breakId, (current) => {
    marked = escalates(current);
    return marked ? { ...current, escalatedAt: at, version: current.version + 1 } : current;
  });
  return marked;
}

/** The event's body: what a finance lead needs to chase the break, with an id to keep the first of. */
export function escalationEvent(found: ReconciliationBreak, age: { today: string; ageDays: number; afterDays: number }) {
  return {
    id: `BREAK_ESCALATED#${found.breakId}`,
    type: BREAK_ESCALATED,
    breakId: found.breakId,
    reconciliationType: found.type,
    businessDate: found.businessDate,
    counterparty: found.counterparty,
    lenderId: found.lenderId,
    kind: found.kind,
    component: found.component,
    state: found.state,
    owner: found.owner,
    currency: found.currency,
    differenceMinor: found.differenceMinor,
    openedOn: found.openedOn,
    escalatedOn: age.today,
    ageDays: age.ageDays,
    escalateAfterDays: age.afterDays,
  };
}
