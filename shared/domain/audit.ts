import { createHash } from 'node:crypto';
import { invariant } from './errors.ts';

/**
 * The audit trail (docs/audit.md): who did what to which target, when, with what outcome, for
 * every state-changing request and workflow action. Records of a day form `AUDIT_CHAINS` hash
 * chains; each record carries the previous record's hash and its own sha-256 over a canonical
 * serialization of everything else it holds, so a record changed, removed or inserted breaks its
 * chain at that record (docs/adr/0008).
 */

/** The chains of a day: a writer joins one by its record's key, so concurrent writers seldom meet. */
export const AUDIT_CHAINS = 8;

/** The lenders a record may name: its write (the record, its once-marker, a pointer per lender) is one transaction of at most 100 items. */
export const MAX_AUDIT_LENDERS = 98;

/** The hash a chain's first record names as its previous one. */
export const GENESIS_HASH = '0'.repeat(64);

/** Who acted: a caller of the API (its user and app client) or a workflow (its state machine). */
export interface AuditActor {
  readonly kind: 'USER' | 'WORKFLOW';
  /** The user (or client, for a client-credentials token), or the workflow's name. */
  readonly principalId: string;
  /** The app client of the token; the workflow's name for a workflow. */
  readonly clientId: string;
  readonly roles: readonly string[];
}

/** What happened, before it is placed in a chain. */
export interface AuditEvent {
  /**
   * What makes the record once: the request's operation, caller and Idempotency-Key, or the
   * execution and step. Writing the same key again writes nothing.
   */
  readonly auditKey: string;
  /** ISO-8601 instant in UTC; its date is the day whose chains hold the record. */
  readonly at: string;
  readonly actor: AuditActor;
  /** The operation (the route's operationId) or the workflow step. */
  readonly action: string;
  /** The route key for a request; null for a workflow step. */
  readonly route: string | null;
  /** The ids the action was about: the path's parameters, or the step's business key. */
  readonly target: Readonly<Record<string, string>>;
  readonly requestId: string | null;
  readonly executionId: string | null;
  /** The HTTP status answered; null for a workflow step. */
  readonly status: number | null;
  /** The state before the action, where the writer knows it; null otherwise. */
  readonly before: Readonly<Record<string, string | number | boolean | null>> | null;
  /** The result: the entity's ids, version, status, entry id. */
  readonly after: Readonly<Record<string, string | number | boolean | null>> | null;
  /** Every lender whose data the action concerns: a partner reads the records that name it. */
  readonly lenderIds: readonly string[];
}

/** A record as stored: the event, its place in its chain and the hashes that link it. */
export interface AuditRecord extends AuditEvent {
  /** YYYY-MM-DD, the UTC date of `at`. */
  readonly date: string;
  readonly chain: number;
  /** 1 for a chain's first record, then one more for each. */
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** The day of an instant, in UTC. */
export function auditDate(at: string): string {
  invariant(/^\d{4}-\d{2}-\d{2}T/.test(at), 'an audit instant is ISO-8601', { at });
  return at.slice(0, 10);
}

/** The chain a record joins: fixed by its key, so a retried write goes to the same chain. */
export function chainOf(auditKey: string): number {
  return createHash('sha256').update(auditKey, 'utf8').digest().readUInt32BE(0) % AUDIT_CHAINS;
}

/**
 * JSON with object keys sorted at every level and no whitespace: one text for one record, however
 * its fields were ordered or stored. Only strings, finite numbers, booleans, null, arrays and
 * plain objects are serializable; anything else is a defect, not something to hash.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    invariant(Number.isFinite(value), 'an audited number is finite', { value: String(value) });
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  invariant(typeof value === 'object', 'an audited value is JSON', { type: typeof value });
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The fields a record's hash covers: all of it but the hash. */
function hashedFields(record: Omit<AuditRecord, 'hash'>) {
  const { auditKey, at, actor, action, route, target, requestId, executionId, status, before, after, lenderIds, date, chain, seq, prevHash } = record;
  return { auditKey, at, actor, action, route, target, requestId, executionId, status, before, after, lenderIds, date, chain, seq, prevHash };
}

export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(hashedFields(record)), 'utf8').digest('hex');
}

/** The end of a chain as a writer reads it: the last record's seq and hash, or none yet. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** An event placed after the head of its chain: the next seq, the head's hash, its own hash. */
export function chainRecord(event: AuditEvent, head: ChainHead | null): AuditRecord {
  const lenderIds = [...new Set(event.lenderIds)].sort();
  invariant(lenderIds.length <= MAX_AUDIT_LENDERS, `an audit record names at most ${MAX_AUDIT_LENDERS} lenders`, { lenders: lenderIds.length });
  const placed = {
    ...event,
    lenderIds,
    date: auditDate(event.at),
    chain: chainOf(event.auditKey),
    seq: head === null ? 1 : head.seq + 1,
    prevHash: head === null ? GENESIS_HASH : head.hash,
  };
  return { ...placed, hash: recordHash(placed) };
}

/** Why a record does not belong where it is. */
export type ChainBreak =
  | { readonly kind: 'HASH'; readonly chain: number; readonly seq: number; readonly auditKey: string; readonly stored: string; readonly computed: string }
  | { readonly kind: 'LINK'; readonly chain: number; readonly seq: number; readonly auditKey: string; readonly stored: string; readonly expected: string }
  | { readonly kind: 'SEQUENCE'; readonly chain: number; readonly seq: number; readonly auditKey: string; readonly expected: number }
  | { readonly kind: 'PLACE'; readonly chain: number; readonly seq: number; readonly auditKey: string; readonly field: 'date' | 'chain'; readonly stored: string };

export interface ChainVerification {
  readonly chain: number;
  readonly records: number;
  /** The first record that does not match, or null when the chain holds. */
  readonly firstBreak: ChainBreak | null;
}

/**
 * Recomputes one chain of a day from its records in seq order: each seq one more than the one
 * before (a gap is a removed record), each record of this day and chain, each linking to the hash
 * the record before it has, each hash the sha-256 of its fields. Stops at the first that does not.
 */
export function verifyChain(date: string, chain: number, records: readonly AuditRecord[]): ChainVerification {
  let previous: ChainHead | null = null;
  for (const record of records) {
    const where = { chain, seq: record.seq, auditKey: record.auditKey };
    const firstBreak = breakOf(date, chain, record, previous, where);
    if (firstBreak !== null) return { chain, records: records.length, firstBreak };
    previous = { seq: record.seq, hash: record.hash };
  }
  return { chain, records: records.length, firstBreak: null };
}

function breakOf(date: string, chain: number, record: AuditRecord, previous: ChainHead | null, where: { chain: number; seq: number; auditKey: string }): ChainBreak | null {
  const expectedSeq = previous === null ? 1 : previous.seq + 1;
  if (record.seq !== expectedSeq) return { kind: 'SEQUENCE', ...where, expected: expectedSeq };
  if (record.date !== date) return { kind: 'PLACE', ...where, field: 'date', stored: record.date };
  if (record.chain !== chain) return { kind: 'PLACE', ...where, field: 'chain', stored: String(record.chain) };
  const expectedPrev = previous === null ? GENESIS_HASH : previous.hash;
  if (record.prevHash !== expectedPrev) return { kind: 'LINK', ...where, stored: record.prevHash, expected: expectedPrev };
  const computed = recordHash(record);
  if (computed !== record.hash) return { kind: 'HASH', ...where, stored: record.hash, computed };
  return null;
}

/** A line that names a break's record and what is wrong with it. */
export function describeBreak(b: ChainBreak): string {
  const at = `chain ${b.chain} record ${b.seq} (${b.auditKey})`;
  switch (b.kind) {
    case 'HASH':
      return `${at}: its fields do not hash to its stored hash (stored ${b.stored}, computed ${b.computed})`;
    case 'LINK':
      return `${at}: it names ${b.stored} as the previous hash, the record before it has ${b.expected}`;
    case 'SEQUENCE':
      return `${at}: record ${b.expected} was expected here; a record is missing or out of place`;
    case 'PLACE':
      return `${at}: it says ${b.field} ${b.stored}, not this chain's`;
  }
}
