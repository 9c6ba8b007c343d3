import type { Principal } from '../domain/access.ts';
import { AUDIT_CHAINS, MAX_AUDIT_LENDERS, describeBreak, verifyChain, type AuditActor, type AuditEvent, type AuditRecord, type ChainBreak } from '../domain/audit.ts';
import type { AuditStore } from '../ports/audit.ts';
import type { Clock, Page, PageRequest } from '../ports/stores.ts';

/** Where an audit record that could not be written goes: the function's log, at error level. */
export interface AuditFailureLog {
  error(message: string, details: Record<string, unknown>): void;
}

/** The message a record that could not be written is logged under; the stack's alarm counts it. */
export const AUDIT_NOT_WRITTEN = 'audit record not written';

/**
 * Writes an audit record after the business write it describes succeeded. The store retries a
 * lost chain position itself; should the table still refuse, the business answer stands (it is
 * done and recorded) and the whole record goes to the log under AUDIT_NOT_WRITTEN, where the
 * alarm sees it; a repeat of the same request or step writes it then, once (docs/audit.md, Failures).
 */
export async function recordAudit(store: AuditStore, event: AuditEvent, log: AuditFailureLog): Promise<AuditRecord | null> {
  try {
    return await store.append(event);
  } catch (error) {
    log.error(AUDIT_NOT_WRITTEN, { auditRecord: event, error: error as Error });
    return null;
  }
}

/** The actor of a request: its user, its app client and the roles its token grants. */
export function userActor(principal: Principal): AuditActor {
  return { kind: 'USER', principalId: principal.userId, clientId: principal.clientId, roles: [...principal.roles] };
}

/** The actor of a workflow step: the workflow, by name. */
export function workflowActor(workflow: string): AuditActor {
  return { kind: 'WORKFLOW', principalId: workflow, clientId: workflow, roles: [] };
}

/** What a workflow step records: the step on its business key, in its execution. */
export interface StepAudit {
  readonly workflow: string;
  readonly step: string;
  readonly executionId: string;
  readonly at: string;
  readonly target: Readonly<Record<string, string>>;
  readonly before?: AuditEvent['before'];
  readonly after: AuditEvent['after'];
  readonly lenderIds: readonly string[];
}

/** A workflow step's event: once per execution, step and target (a Map runs one step per shard). */
export function stepEvent(audit: StepAudit): AuditEvent {
  const targetKey = Object.entries(audit.target)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return {
    auditKey: `STEP#${audit.executionId}#${audit.step}#${targetKey}`,
    at: audit.at,
    actor: workflowActor(audit.workflow),
    action: `${audit.workflow}.${audit.step}`,
    route: null,
    target: audit.target,
    requestId: null,
    executionId: audit.executionId,
    status: null,
    before: audit.before ?? null,
    after: audit.after,
    lenderIds: audit.lenderIds,
  };
}

/** What a workflow step needs to record its action: the trail, the clock of the record, and the log a record not written goes to. */
export interface StepAuditDeps {
  readonly audit: AuditStore;
  readonly clock: Clock;
  readonly auditLog: AuditFailureLog;
}

/** A step's action, before its execution and instant are known. */
export type StepAction = Omit<StepAudit, 'executionId' | 'at'>;

/**
 * Records a workflow step's action after its business write, once per execution, step and target
 * (docs/audit.md, In workflow steps). A step invoked without an execution id (an execution started
 * under a definition that did not pass one, still running across a deployment) records nothing
 * rather than failing the business step. More lenders than one record may name are written as
 * parts (`part` of the target: 1, 2, ...), each naming at most MAX_AUDIT_LENDERS of them, so every
 * lender still reads the action that concerns it.
 */
export async function auditStep(deps: StepAuditDeps, executionId: string | undefined, action: StepAction): Promise<number> {
  if (executionId === undefined) return 0;
  const lenderIds = [...new Set(action.lenderIds)].sort();
  const at = deps.clock.now();
  if (lenderIds.length <= MAX_AUDIT_LENDERS) {
    await recordAudit(deps.audit, stepEvent({ ...action, lenderIds, executionId, at }), deps.auditLog);
    return 1;
  }
  const parts = Math.ceil(lenderIds.length / MAX_AUDIT_LENDERS);
  for (let part = 0; part < parts; part++) {
    const named = lenderIds.slice(part * MAX_AUDIT_LENDERS, (part + 1) * MAX_AUDIT_LENDERS);
    await recordAudit(deps.audit, stepEvent({ ...action, target: { ...action.target, part: String(part + 1) }, lenderIds: named, executionId, at }), deps.auditLog);
  }
  return parts;
}

/** A day's trail checked: every chain recomputed, and the first record that does not match. */
export interface AuditVerification {
  readonly date: string;
  readonly records: number;
  readonly chains: readonly { readonly chain: number; readonly records: number }[];
  readonly firstBreak: ChainBreak | null;
  /** The first break as a line naming its record, or null. */
  readonly problem: string | null;
}

/** Recomputes every chain of a day in order and names the first record that does not match. */
export async function verifyAuditDay(store: Pick<AuditStore, 'chain'>, date: string): Promise<AuditVerification> {
  const chains: { chain: number; records: number }[] = [];
  let firstBreak: ChainBreak | null = null;
  for (let chain = 0; chain < AUDIT_CHAINS; chain++) {
    const result = verifyChain(date, chain, await store.chain(date, chain));
    chains.push({ chain, records: result.records });
    if (firstBreak === null && result.firstBreak !== null) firstBreak = result.firstBreak;
  }
  return { date, records: chains.reduce((n, c) => n + c.records, 0), chains, firstBreak, problem: firstBreak === null ? null : describeBreak(firstBreak) };
}

/** A page of a day's records as the caller may see them: all, or only those naming its lender. */
export function auditPage(store: Pick<AuditStore, 'page'>, date: string, onlyLender: string | null, request: PageRequest): Promise<Page<AuditRecord>> {
  return store.page(date, onlyLender, request);
}
