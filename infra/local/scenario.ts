import { z } from 'zod';
import { addDays } from '../../shared/domain/money/index.ts';

/**
 * A co-lending story for `colend simulate` (docs/scenario.md), version 1. Lenders, programs and
 * loans are the API's own request bodies; events are dated; the simulator plays them day by day
 * on the local stack and settles every business day. Validation errors give the JSON path.
 */

const isoDate = z.iso.date('must be a date YYYY-MM-DD');
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, "1-64 letters, digits, '_', '.', ':' or '-'");
const minor = z.string().regex(/^\d{1,18}$/, 'an amount in minor units, as a string of digits');
/** An API request body: checked by the API itself when it is played, with the API's own rules. */
const body = z.record(z.string(), z.unknown());

/**
 * How the borrower repays: `SCHEDULE` pays each instalment on its due date; `NONE` pays nothing
 * (to be repaid by events). Instalments named in `late` are paid that many days late, those in
 * `partial` only by that share (basis points) on the due date, and `missed` ones not at all.
 */
const repay = z
  .strictObject({
    mode: z.enum(['SCHEDULE', 'NONE']).default('SCHEDULE'),
    late: z.record(z.string().regex(/^\d+$/), z.number().int().min(1).max(3650)).default({}),
    partial: z.record(z.string().regex(/^\d+$/), z.number().int().min(1).max(9999)).default({}),
    missed: z.array(z.number().int().min(1)).default([]),
  })
  .prefault({});

const loan = z.strictObject({
  /** The day it is booked (the local clock is set to 10:00 of it); its disbursement date unless the body says otherwise. */
  on: isoDate,
  loan: body,
  repay,
});

/** A partner's answer to its review request: the body of `POST /v1/applications/{id}/decisions`. */
const decision = z
  .strictObject({
    decision: z.enum(['APPROVE', 'DECLINE']),
    /** Less than it was asked (never below its minimum); left out, the partner approves what it was asked. */
    approvedAmountMinor: minor.optional(),
    conditions: z.array(z.string()).optional(),
    reasonCodes: z.array(z.string()).optional(),
    comment: z.string().optional(),
  })
  .superRefine((d, ctx) => {
    if (d.decision === 'DECLINE' && d.approvedAmountMinor !== undefined) ctx.addIssue({ code: 'custom', path: ['approvedAmountMinor'], message: 'a decline approves no amount' });
  });

/**
 * A loan that goes through the joint review: submitted on `on` (`POST /v1/applications`), each
 * partner asked answers as `decisions` says (a partner asked and not named approves what it was
 * asked), and once planned the lead confirms its disbursement that day, or cancels or fails it.
 * Booked, the loan bears the application's id and is repaid as `repay` says.
 */
const application = z.strictObject({
  on: isoDate,
  /** The body of `POST /v1/applications`; `purpose` and `leadApproval` may be left out (the simulator gives the lead's approval of that morning). */
  application: z.looseObject({ applicationId: id }),
  decisions: z.record(z.string(), decision).default({}),
  disbursement: z
    .strictObject({
      outcome: z.enum(['DISBURSED', 'CANCELLED', 'FAILED']).default('DISBURSED'),
      /** Why it was cancelled or failed; required for those. */
      reason: z.string().min(1).max(200).optional(),
    })
    .prefault({})
    .superRefine((d, ctx) => {
      if (d.outcome !== 'DISBURSED' && d.reason === undefined) ctx.addIssue({ code: 'custom', path: ['reason'], message: `a disbursement ${d.outcome} needs a reason` });
      if (d.outcome === 'DISBURSED' && d.reason !== undefined) ctx.addIssue({ code: 'custom', path: ['reason'], message: 'only a cancelled or failed disbursement has a reason' });
    }),
  repay,
});

/** Many loans alike: `count` loans from `from`, one every `everyDays` days, ids `{idPrefix}{n, 4 digits}`. */
const loanSeries = z.strictObject({
  count: z.number().int().min(1).max(100_000),
  from: isoDate,
  everyDays: z.number().int().min(0).max(365).default(1),
  idPrefix: id,
  /** A loan body without loanId, borrower id and disbursement fields, which each loan gets its own of. */
  template: body,
  /** Every `late.every`-th loan pays `late.instalment` `late.days` days late; likewise partial and missed. */
  late: z.strictObject({ every: z.number().int().min(1), instalment: z.number().int().min(1), days: z.number().int().min(1).max(3650) }).optional(),
  partial: z.strictObject({ every: z.number().int().min(1), instalment: z.number().int().min(1), shareBps: z.number().int().min(1).max(9999) }).optional(),
  missed: z.strictObject({ every: z.number().int().min(1), fromInstalment: z.number().int().min(1) }).optional(),
});

const event = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('repayment'), on: isoDate, repaymentId: id, loanId: id, amountMinor: minor, kind: z.enum(['REGULAR', 'PREPAYMENT']).optional(), valueDate: isoDate.optional() }),
  z.strictObject({ type: z.literal('reversal'), on: isoDate, repaymentId: id, reversalId: id, reason: z.enum(['BOUNCED', 'MISTAKEN', 'DUPLICATE']).default('BOUNCED') }),
  z.strictObject({ type: z.literal('transfer'), on: isoDate, loanId: id, transfer: body }),
  z.strictObject({ type: z.literal('buyback'), on: isoDate, loanId: id, buyback: body }),
  z.strictObject({ type: z.literal('writeOff'), on: isoDate, loanId: id, writeOffId: id, reason: z.string().min(1).max(200) }),
  z.strictObject({ type: z.literal('riskUpdate'), on: isoDate }),
]);

const scenarioShape = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1).max(200),
  /** The first and last day played; every business day between is settled. */
  start: isoDate,
  end: isoDate,
  lenders: z.array(body).min(1),
  programs: z.array(body).min(1),
  loans: z.array(loan).default([]),
  loanSeries: z.array(loanSeries).default([]),
  applications: z.array(application).default([]),
  events: z.array(event).default([]),
});

export const scenarioSchema = scenarioShape.superRefine((s, ctx) => {
  if (s.end < s.start) ctx.addIssue({ code: 'custom', path: ['end'], message: `must not be before start ${s.start}` });
  const dated: [string, (string | number)[]][] = [
    ...s.loans.map((l, i): [string, (string | number)[]] => [l.on, ['loans', i, 'on']]),
    ...s.loanSeries.map((l, i): [string, (string | number)[]] => [l.from, ['loanSeries', i, 'from']]),
    ...s.applications.map((a, i): [string, (string | number)[]] => [a.on, ['applications', i, 'on']]),
    ...s.events.map((e, i): [string, (string | number)[]] => [e.on, ['events', i, 'on']]),
  ];
  for (const [date, path] of dated) {
    if (date < s.start || date > s.end) ctx.addIssue({ code: 'custom', path, message: `${date} is outside the scenario's ${s.start}..${s.end}` });
  }
  checkReferences(s, ctx);
});
export type Scenario = z.output<typeof scenarioSchema>;

/**
 * What the scenario's parts name must exist in it: an application's id is no other loan's or
 * application's, its decisions are of the scenario's lenders, and a loan event names a loan or an
 * application of the scenario, on or after the day it is booked.
 */
function checkReferences(s: z.output<typeof scenarioShape>, ctx: z.RefinementCtx): void {
  const bookedOn = new Map<string, string>();
  for (const l of s.loans) if (typeof l.loan.loanId === 'string') bookedOn.set(l.loan.loanId, l.on);
  for (const series of s.loanSeries) {
    for (let n = 0; n < series.count; n++) bookedOn.set(`${series.idPrefix}${String(n + 1).padStart(4, '0')}`, addDays(series.from, n * series.everyDays));
  }
  const lenderIds = new Set(s.lenders.map((l) => l.lenderId));
  for (const [i, a] of s.applications.entries()) {
    const applicationId = a.application.applicationId;
    if (bookedOn.has(applicationId)) ctx.addIssue({ code: 'custom', path: ['applications', i, 'application', 'applicationId'], message: `${applicationId} is already a loan or an application of the scenario` });
    else bookedOn.set(applicationId, a.on);
    for (const lenderId of Object.keys(a.decisions)) {
      if (!lenderIds.has(lenderId)) ctx.addIssue({ code: 'custom', path: ['applications', i, 'decisions', lenderId], message: `${lenderId} is not a lender of the scenario` });
    }
  }
  for (const [i, e] of s.events.entries()) {
    if (!('loanId' in e)) continue;
    const on = bookedOn.get(e.loanId);
    if (on === undefined) ctx.addIssue({ code: 'custom', path: ['events', i, 'loanId'], message: `${e.loanId} is not a loan or an application of the scenario` });
    else if (e.on < on) ctx.addIssue({ code: 'custom', path: ['events', i, 'on'], message: `${e.on} is before ${e.loanId} is booked on ${on}` });
  }
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(readonly problems: readonly { readonly path: string; readonly message: string }[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  }
}

/** Parses a scenario, or throws a ScenarioError listing each problem with its JSON path (`$.loans[2].on`). */
export function parseScenario(json: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new ScenarioError(parsed.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message })));
}

function jsonPath(path: readonly PropertyKey[]): string {
  return `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
}
