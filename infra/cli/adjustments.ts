import { canonicalJson, sha256 } from '../../shared/json.ts';
import { callApi, readJsonFile, type ApiAnswer, type CommandApi } from './api-client.ts';
import { formatRefusal } from './calendar.ts';

/**
 * `colend adjustment propose <adjustment.json>`, `colend adjustment approve|reject <adjustmentId>
 * --reason <text>` and `colend break investigate|accept <breakId> [--reason <text>] [--owner <who>]`:
 * a finance user's work on breaks and adjustments (docs/reconciliation.md), through the API, so the
 * maker-checker rule and the break's states hold exactly as for a call. Who acts is the token's client.
 */

/**
 * The Idempotency-Key of a decision: what it is about and a digest of what it says. The command run
 * again after a lost answer replays the first answer; another reason is another request.
 */
export function decisionKey(what: string, id: string, body: unknown): string {
  return `${what}:${id}:${sha256(canonicalJson(body)).slice(0, 32)}`;
}

/** Proposes the adjustment of a JSON file (the body of `POST /v1/adjustments`); its key is its adjustment id and a digest of what it says. */
export async function proposeAdjustmentFile(api: CommandApi & { readonly file: string }): Promise<ApiAnswer> {
  const body = await readJsonFile(api.file);
  const adjustmentId = typeof body === 'object' && body !== null && 'adjustmentId' in body ? String(body.adjustmentId) : '';
  return callApi(api, 'POST', '/v1/adjustments', body, decisionKey('proposal', adjustmentId, body));
}

export function decideAdjustment(api: CommandApi & { readonly adjustmentId: string; readonly decision: 'approval' | 'rejection'; readonly reason: string }): Promise<ApiAnswer> {
  const body = { reason: api.reason };
  return callApi(api, 'POST', `/v1/adjustments/${encodeURIComponent(api.adjustmentId)}/${api.decision}`, body, decisionKey(api.decision, api.adjustmentId, body));
}

export function actOnBreak(api: CommandApi & { readonly breakId: string; readonly action: 'INVESTIGATE' | 'ACCEPT'; readonly reason?: string; readonly owner?: string }): Promise<ApiAnswer> {
  const body = { action: api.action, ...(api.reason === undefined ? {} : { reason: api.reason }), ...(api.owner === undefined ? {} : { owner: api.owner }) };
  return callApi(api, 'POST', `/v1/breaks/${encodeURIComponent(api.breakId)}/actions`, body, decisionKey(`break-${api.action.toLowerCase()}`, api.breakId, body));
}

interface AdjustmentView {
  readonly adjustmentId: string;
  readonly state: string;
  readonly lenderId: string;
  readonly counterparty: string;
  readonly component: string;
  readonly direction: string;
  readonly amountMinor: string;
  readonly currency: string;
  readonly proposedBy: string;
  readonly approval: { readonly by: string; readonly entryId: string; readonly bookedOn: string | null } | null;
  readonly rejection: { readonly by: string; readonly reason: string; readonly withdrawn: boolean } | null;
}

/** One line of what the adjustment is now, or the refusal with each field at fault. */
export function formatAdjustment(answer: ApiAnswer): string[] {
  if (answer.status !== 200 && answer.status !== 201) return formatRefusal(answer);
  const a = answer.body as unknown as AdjustmentView;
  const owes = a.direction === 'COUNTERPARTY_OWES_LENDER' ? `${a.counterparty} owes ${a.lenderId}` : `${a.lenderId} owes ${a.counterparty}`;
  const what = `${a.adjustmentId}: ${owes} ${a.amountMinor} ${a.currency} minor units of ${a.component}, proposed by ${a.proposedBy}`;
  if (a.state === 'APPROVED' && a.approval !== null) return [`APPROVED ${what}; approved by ${a.approval.by}, booked as ${a.approval.entryId} on ${a.approval.bookedOn ?? '?'}`];
  if (a.state === 'REJECTED' && a.rejection !== null) return [`${a.rejection.withdrawn ? 'WITHDRAWN' : 'REJECTED'} ${what}; by ${a.rejection.by}: ${a.rejection.reason}`];
  return [`${a.state} ${what}`];
}

/** One line of the break's state and owner, or the refusal. */
export function formatBreak(answer: ApiAnswer): string[] {
  if (answer.status !== 200) return formatRefusal(answer);
  const b = answer.body as { breakId: string; state: string; owner: string | null; kind: string; component: string; differenceMinor: string; currency: string };
  return [`${b.state} ${b.breakId} (${b.kind}${b.component === '' ? '' : ` ${b.component}`}, difference ${b.differenceMinor} ${b.currency} minor units)${b.owner === null ? '' : `, owned by ${b.owner}`}`];
}
