import { daysBetween } from './money/index.ts';
import { StateConflict, ValidationError } from './errors.ts';

/** What is reconciled (docs/reconciliation.md). */
export const RECONCILIATION_TYPES = ['ESCROW_STATEMENT', 'PARTNER_REPAYMENTS', 'PARTNER_LOANS'] as const;
export type ReconciliationType = (typeof RECONCILIATION_TYPES)[number];

export const BREAK_KINDS = ['MISSING_OURS', 'MISSING_THEIRS', 'AMOUNT_MISMATCH', 'DATE_MISMATCH', 'DUPLICATE', 'CLASSIFICATION_MISMATCH'] as const;
export type BreakKind = (typeof BREAK_KINDS)[number];

export const BREAK_STATES = ['OPEN', 'INVESTIGATING', 'RESOLVED', 'ACCEPTED'] as const;
export type BreakState = (typeof BREAK_STATES)[number];

/** Breaks still asking for work; the others are closed. */
export const OPEN_BREAK_STATES: readonly BreakState[] = ['OPEN', 'INVESTIGATING'];

/** Age bands of the reports, in whole days since the break was opened. */
export const AGE_BANDS = [
  { band: '0-1', fromDays: 0, toDays: 1 },
  { band: '2-3', fromDays: 2, toDays: 3 },
  { band: '4-7', fromDays: 4, toDays: 7 },
  { band: '8-30', fromDays: 8, toDays: 30 },
  { band: '31+', fromDays: 31, toDays: Number.POSITIVE_INFINITY },
] as const;
export type AgeBand = (typeof AGE_BANDS)[number]['band'];

/**
 * What a break is about, from which its id is derived: the same difference found again by a
 * later reconciliation of the same date and counterparty is the same break.
 */
export interface BreakIdentity {
  readonly type: ReconciliationType;
  readonly businessDate: string;
  /** The partner's lender id, or the bank format of an escrow statement. */
  readonly counterparty: string;
  readonly kind: BreakKind;
  /**
   * `PRINCIPAL` … `LOSS`, `TOTAL`, `LOAN_PRINCIPAL`, `FUNDED`, `SHARE`, the balances, `BALANCE`,
   * `EVENT_TYPE`, `CURRENCY`, `CLASS`, `DPD`, `VALUE_DATE`, `DISBURSEMENT_DATE`; empty when the kind says all.
   */
  readonly component: string;
  /** The record's key: `{loanId}|{eventId}`, `{loanId}`, a flow number or instruction id, `CLOSING|{currency}`. */
  readonly recordKey: string;
}

export interface BreakHistoryEntry {
  readonly at: string;
  readonly by: string;
  readonly from: BreakState | null;
  readonly to: BreakState;
  readonly reason: string;
  /** The reconciliation that found it again, or the adjustment that resolved it. */
  readonly reconciliationId?: string;
  readonly adjustmentId?: string;
  readonly owner?: string;
}

export interface ReconciliationBreak extends BreakIdentity {
  readonly breakId: string;
  /** The lender the difference concerns (the partner; an instruction's payee; ESCROW). */
  readonly lenderId: string;
  readonly currency: string;
  /** Our figure and theirs (minor units; null on the side where the record is missing). */
  readonly oursMinor: bigint | null;
  readonly theirsMinor: bigint | null;
  /** theirs − ours, a missing side counting as zero. */
  readonly differenceMinor: bigint;
  /** Non-amount figures that differ (dates, shares, event types, currencies, classes, DPD), as text. */
  readonly ours: string | null;
  readonly theirs: string | null;
  /** Lines of their file, when the record is in it. */
  readonly lines: readonly number[];
  readonly openedOn: string;
  readonly openedAt: string;
  /** The reconciliation that found it last. */
  readonly reconciliationId: string;
  readonly state: BreakState;
  readonly owner: string | null;
  readonly history: readonly BreakHistoryEntry[];
  readonly escalatedAt: string | null;
  readonly version: number;
}

const TYPE_CODE: Readonly<Record<ReconciliationType, string>> = { ESCROW_STATEMENT: 'ES', PARTNER_REPAYMENTS: 'PR', PARTNER_LOANS: 'PL' };

/** The text a break's id is the digest of: every field of its identity, in order. */
export function breakIdentityText(identity: BreakIdentity): string {
  return [identity.type, identity.businessDate, identity.counterparty, identity.kind, identity.component, identity.recordKey].join('\u0000');
}

/**
 * `BK-{YYYYMMDD}-{ES|PR|PL}-{20 hex}`, from the SHA-256 (hex) of `breakIdentityText`: derived from
 * the identity, URL-safe, one per difference for life.
 */
export function breakIdFrom(identity: BreakIdentity, identityDigestHex: string): string {
  return `BK-${identity.businessDate.replaceAll('-', '')}-${TYPE_CODE[identity.type]}-${identityDigestHex.slice(0, 20)}`;
}

/** Whole days from the day a break was opened to `today` (both `YYYY-MM-DD`). */
export function ageInDays(openedOn: string, today: string): number {
  return Math.max(0, daysBetween(openedOn, today));
}

export function ageBandOf(days: number): AgeBand {
  return AGE_BANDS.find((b) => days >= b.fromDays && days <= b.toDays)!.band;
}

export const BREAK_ACTIONS = ['INVESTIGATE', 'ACCEPT', 'ASSIGN'] as const;
export type BreakAction = (typeof BREAK_ACTIONS)[number];

/**
 * A finance user's action on a break: investigate (OPEN → INVESTIGATING), accept without money
 * moving (OPEN or INVESTIGATING → ACCEPTED, a reason required), assign an owner (state kept).
 * Resolution is never an action: an approved adjustment or a re-reconciliation resolves.
 */
export function applyBreakAction(
  current: ReconciliationBreak,
  action: { action: BreakAction; reason: string; owner?: string },
  by: string,
  at: string,
): ReconciliationBreak {
  const reason = action.reason.trim();
  if (!OPEN_BREAK_STATES.includes(current.state)) {
    throw new StateConflict('BREAK_CLOSED', `break ${current.breakId} is ${current.state}; only an open or investigating break can change`, {
      breakId: current.breakId,
      state: current.state,
    });
  }
  let to: BreakState = current.state;
  let owner = current.owner;
  if (action.action === 'ACCEPT') {
    if (reason === '') throw new ValidationError('accepting a break without money moving needs a reason', { path: 'reason', rule: 'required' });
    to = 'ACCEPTED';
  } else if (action.action === 'INVESTIGATE') {
    to = 'INVESTIGATING';
    owner = action.owner ?? current.owner ?? by;
  } else {
    if (action.owner === undefined || action.owner.trim() === '') throw new ValidationError('assigning a break needs the owner', { path: 'owner', rule: 'required' });
    owner = action.owner;
  }
  const entry: BreakHistoryEntry = { at, by, from: current.state, to, reason, ...(owner === null ? {} : { owner }) };
  return { ...current, state: to, owner, history: [...current.history, entry], version: current.version + 1 };
}

/** The break as the adjustment that moved its money leaves it. */
export function resolveByAdjustment(current: ReconciliationBreak, adjustmentId: string, by: string, at: string, reason: string): ReconciliationBreak {
  if (current.state === 'RESOLVED') return current;
  if (current.state === 'ACCEPTED') {
    throw new StateConflict('BREAK_CLOSED', `break ${current.breakId} was accepted; an adjustment cannot resolve it`, { breakId: current.breakId, state: current.state });
  }
  const entry: BreakHistoryEntry = { at, by, from: current.state, to: 'RESOLVED', reason, adjustmentId };
  return { ...current, state: 'RESOLVED', history: [...current.history, entry], version: current.version + 1 };
}

/**
 * A break as a reconciliation finds it: new, as found; already known, its state, owner, history,
 * opening and escalation kept, with the new figures, lines and reconciliation, at its next version.
 */
export function breakFoundAgain(current: ReconciliationBreak | null, found: ReconciliationBreak): ReconciliationBreak {
  if (current === null) return found;
  return {
    ...current,
    oursMinor: found.oursMinor,
    theirsMinor: found.theirsMinor,
    differenceMinor: found.differenceMinor,
    ours: found.ours,
    theirs: found.theirs,
    lines: found.lines,
    currency: found.currency,
    reconciliationId: found.reconciliationId,
    version: current.version + 1,
  };
}
