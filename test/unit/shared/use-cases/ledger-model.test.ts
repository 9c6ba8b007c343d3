import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RepaymentStepInput, RepaymentStepResult } from '../../../../shared/contracts/repayments.ts';
import { splitAndBook, type RepaymentBookDeps } from '../../../../shared/use-cases/loan-changes.ts';
import { ESCROW, applyEntry, applyLegs, foldEntries, imbalances, openPosition, type Balances, type JournalEntry, type Leg, type Position } from '../../../../shared/domain/ledger.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import { bookLoan, disbursementEntry, type FundingPart, type Loan } from '../../../../shared/domain/loan.ts';
import { LoanAccount, compareEvents, foldRepayments } from '../../../../shared/domain/loan-account.ts';
import { encodeAccountState } from '../../../../shared/domain/account-state.ts';
import { DAY_COUNTS, ROUNDING_MODES, addDays, compareIsoDates, daysBetween } from '../../../../shared/domain/money/index.ts';
import { DEFAULT_WATERFALL, validateProgram, type Participant, type RepaymentMethod, type WaterfallComponent } from '../../../../shared/domain/program.ts';
import { REGULATORY_PROFILES } from '../../../../shared/domain/regulatory-profile.ts';
import { effective, emptyLedger, loanEvents, type RepaymentLedger } from '../../../../shared/domain/repayment-booking.ts';
import { repaymentEntry } from '../../../../shared/domain/repayment-entry.ts';
import type { RepaymentSplit } from '../../../../shared/domain/repayment-split.ts';
import { loanSchedules } from '../../../../shared/domain/schedule.ts';
import { toJson } from '../../../../shared/json.ts';
import { GUARANTOR_ID, aBookLoanRequest, aLender, aParticipant, aProgram, lenderMap } from '../../../support/builders.ts';
import { createInMemoryStores, type InMemoryStores } from '../../../support/in-memory-stores.ts';

/*
 * A model test of one loan's ledger, driven through `splitAndBook` with in-memory stores: random
 * programs and loans, random repayments, reversals, transfers, buybacks, compensations and write-offs,
 * delivered in a random order with duplicates. After every delivery the books balance, the stored
 * positions are the fold of the entries and of the splits and legs in effect, no principal is
 * negative, and every fen paid is booked; at the end every accepted change delivered again changes
 * nothing, and the same accepted changes delivered to a fresh ledger in order of effect give the
 * same splits, legs and positions. docs/repayment-booking.md.
 */

/** "Today" in both settlement calendars: 12:00 in Shanghai, 09:30 in Kolkata. */
const TODAY = '2025-09-30';
const AT = `${TODAY}T04:00:00.000Z`;
const LOAN_ID = 'LN-MODEL-0001';
const EXTRA_PARTNER = 'PARTNER-X';
const STRANGER = 'NOT-A-PARTICIPANT';

// Programs and loans ---------------------------------------------------------------------------

interface ProgramChoice {
  readonly lenderCount: number;
  readonly leadId: string;
  readonly shareWeights: readonly number[];
  readonly priorities: readonly number[];
  readonly principalMinor: bigint;
  readonly rateBps: number;
  readonly yieldPermille: readonly number[];
  readonly termMonths: number;
  readonly method: RepaymentMethod;
  readonly daysBeforeToday: number;
  readonly interestBasis: 'PRO_RATA' | 'LENDER_RATE';
  readonly penalty: 'PRO_RATA' | 'LEAD';
  readonly remainderRule: 'ROUNDING_PARTY' | 'LARGEST_REMAINDER';
  readonly roundingParty: number | null;
  readonly roundingMode: (typeof ROUNDING_MODES)[number];
  readonly dayCount: (typeof DAY_COUNTS)[number];
  readonly penaltyRateMultiplier: string;
  readonly prepayment: { readonly excess: 'SUSPENSE' | 'PREPAY'; readonly reschedule: 'SHORTER_TERM' | 'LOWER_INSTALMENT' } | undefined;
  readonly lossMethod: 'PRO_RATA' | 'LEAD_FIRST_LOSS';
  readonly capPermille: number;
  readonly coversInterest: boolean | undefined;
  readonly guarantor: boolean;
  readonly extraPartner: boolean;
  readonly transferInterest: 'RECORD' | 'ACTUALS' | undefined;
  readonly waterfall: readonly WaterfallComponent[] | null;
}

const programChoice: fc.Arbitrary<ProgramChoice> = fc.record({
  lenderCount: fc.integer({ min: 2, max: 5 }),
  leadId: fc.constantFrom('LEAD-BANK', 'ZZ-LEAD'),
  shareWeights: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 5, maxLength: 5 }),
  priorities: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }),
  principalMinor: fc.oneof(fc.bigInt({ min: 100_000n, max: 1_000_000n }), fc.bigInt({ min: 1_000_000n, max: 20_000_000n })),
  rateBps: fc.integer({ min: 360, max: 2_400 }),
  yieldPermille: fc.array(fc.integer({ min: 200, max: 1_300 }), { minLength: 5, maxLength: 5 }),
  termMonths: fc.integer({ min: 1, max: 12 }),
  method: fc.constantFrom<RepaymentMethod>('EQUAL_INSTALLMENT', 'EQUAL_INSTALLMENT', 'EQUAL_PRINCIPAL', 'EQUAL_PRINCIPAL', 'BULLET', 'INTEREST_ONLY'),
  daysBeforeToday: fc.integer({ min: 0, max: 450 }),
  interestBasis: fc.constantFrom('PRO_RATA' as const, 'LENDER_RATE' as const),
  penalty: fc.constantFrom('PRO_RATA' as const, 'LEAD' as const),
  remainderRule: fc.constantFrom('ROUNDING_PARTY' as const, 'LARGEST_REMAINDER' as const),
  roundingParty: fc.option(fc.nat({ max: 4 })),
  roundingMode: fc.constantFrom(...ROUNDING_MODES),
  dayCount: fc.constantFrom(...DAY_COUNTS),
  penaltyRateMultiplier: fc.constantFrom('1.5', '1', '2.0'),
  prepayment: fc.option(
    fc.record({ excess: fc.constantFrom('SUSPENSE' as const, 'PREPAY' as const), reschedule: fc.constantFrom('SHORTER_TERM' as const, 'LOWER_INSTALMENT' as const) }),
    { nil: undefined, freq: 5 },
  ),
  lossMethod: fc.constantFrom('PRO_RATA' as const, 'LEAD_FIRST_LOSS' as const),
  capPermille: fc.integer({ min: 0, max: 1_000 }),
  coversInterest: fc.constantFrom(true, false, undefined),
  guarantor: fc.boolean(),
  extraPartner: fc.boolean(),
  transferInterest: fc.constantFrom('RECORD' as const, 'ACTUALS' as const, undefined),
  waterfall: fc.option(fc.shuffledSubarray([...DEFAULT_WATERFALL], { minLength: 6, maxLength: 6 }), { freq: 4 }),
});

interface LoanCase {
  readonly loan: Loan;
  readonly fundingIds: readonly string[];
  /** Participants that fund no part of the loan, and one that is no participant at all. */
  readonly otherIds: readonly string[];
  readonly dueDates: readonly string[];
  readonly instalmentsMinor: readonly bigint[];
}

const rateOf = (bps: number): string => `0.${String(bps).padStart(4, '0')}`;

/**
 * The loan of a program choice: CN-2021 in CNY for 2 or 3 lenders (each partner at least 30%),
 * IN-2025 in INR for 4 or 5 (every lender at least 10%); shares in basis points, each partner's
 * amount rounded up so it never falls below its floor, the lead takes the rest.
 */
function loanCaseOf(c: ProgramChoice): LoanCase {
  const india = c.lenderCount > 3;
  const profile = REGULATORY_PROFILES[india ? 'IN-2025' : 'CN-2021'];
  const partnerIds = ['PARTNER-1', 'PARTNER-2', 'PARTNER-3', 'PARTNER-4'].slice(0, c.lenderCount - 1);
  const partnerMin = Math.max(profile.minPartnerShareBps, profile.minLenderShareBps);
  const leadMin = profile.minLenderShareBps + 1;
  const free = 10_000 - partnerMin * partnerIds.length - leadMin;
  const weights = c.shareWeights.slice(0, c.lenderCount).map((w) => w + 1);
  const weightTotal = weights.reduce((s, w) => s + w, 0);
  const partnerBps = partnerIds.map((_, i) => partnerMin + Math.floor((free * weights[i + 1]!) / weightTotal));
  const leadBps = 10_000 - partnerBps.reduce((s, b) => s + b, 0);
  const partnerAmounts = partnerBps.map((bps) => (c.principalMinor * BigInt(bps) + 9_999n) / 10_000n);
  const leadAmount = c.principalMinor - partnerAmounts.reduce((s, a) => s + a, 0n);
  const fundingPlan: FundingPart[] = [{ lenderId: c.leadId, amountMinor: leadAmount }, ...partnerIds.map((lenderId, i) => ({ lenderId, amountMinor: partnerAmounts[i]! }))];

  const lenderRate = c.interestBasis === 'LENDER_RATE';
  const yieldOf = (i: number): string | null => (lenderRate ? rateOf(Math.max(1, Math.floor((c.rateBps * c.yieldPermille[i]!) / 1_000))) : null);
  const participants: Participant[] = [
    aParticipant(c.leadId, 'LEAD', leadBps, { priority: c.priorities[0]! }),
    ...partnerIds.map((id, i) => aParticipant(id, 'PARTNER', partnerBps[i]!, { priority: c.priorities[i + 1]!, yieldRate: yieldOf(i) })),
  ];
  if (c.extraPartner) participants.push(aParticipant(EXTRA_PARTNER, 'PARTNER', null, { priority: c.priorities[5]!, yieldRate: yieldOf(4) }));
  if (c.guarantor) participants.push(aParticipant(GUARANTOR_ID, 'GUARANTOR', null));

  const currency = profile.currency;
  const lenders: Lender[] = [
    aLender({ lenderId: c.leadId, roles: ['LEAD'], institutionType: 'INTERNET_BANK', currency }),
    ...[...partnerIds, ...(c.extraPartner ? [EXTRA_PARTNER] : [])].map((lenderId) => aLender({ lenderId, roles: ['PARTNER'], currency })),
    ...(c.guarantor ? [aLender({ lenderId: GUARANTOR_ID, roles: ['GUARANTOR'], institutionType: 'NON_BANK', currency })] : []),
  ];
  const fundingIds = [c.leadId, ...partnerIds];
  const roundingParty = c.roundingParty === null ? null : fundingIds[c.roundingParty % fundingIds.length]!;
  const maxCapBps = profile.maxDefaultLossGuaranteeBps ?? 3_000;
  const program = aProgram({
    currency,
    regulatoryProfile: profile.id,
    leadLenderId: c.leadId,
    participants,
    allocationPolicy: c.extraPartner ? 'PRIORITY_FILL' : 'TARGET_SHARES',
    split: { interestBasis: c.interestBasis, penalty: c.penalty, fees: 'LEAD', remainderRule: c.remainderRule, roundingParty },
    fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: c.guarantor ? GUARANTOR_ID : null },
    lossSharing: {
      method: c.lossMethod,
      leadFirstLossCapBps: c.lossMethod === 'LEAD_FIRST_LOSS' ? Math.floor((maxCapBps * c.capPermille) / 1_000) : null,
      guaranteeTriggerDpd: c.guarantor ? 90 : null,
      guaranteeCoversInterest: c.coversInterest,
      writeOffDpd: null,
    },
    transfers: c.transferInterest === undefined ? undefined : { interest: c.transferInterest },
    dayCount: c.dayCount,
    roundingMode: c.roundingMode,
    penaltyRateMultiplier: c.penaltyRateMultiplier,
    prepayment: c.prepayment,
    waterfall: c.waterfall ?? DEFAULT_WATERFALL,
    settlement: { cutoffTime: '22:00', settlementLagDays: 1, netting: true, calendar: india ? 'IN' : 'CN' },
  });
  validateProgram(program, lenderMap(lenders));
  const request = aBookLoanRequest({
    loanId: LOAN_ID,
    currency,
    principalMinor: c.principalMinor,
    annualRate: rateOf(c.rateBps),
    termMonths: c.termMonths,
    repaymentMethod: c.method,
    disbursementDate: addDays(TODAY, -c.daysBeforeToday),
    fundingPlan,
  });
  const { loan } = bookLoan(request, program, lenderMap(lenders), AT);
  const { borrower } = loanSchedules(loan);
  return {
    loan,
    fundingIds,
    otherIds: [...(c.extraPartner ? [EXTRA_PARTNER] : []), ...(c.guarantor ? [GUARANTOR_ID] : []), STRANGER],
    dueDates: borrower.instalments.map((i) => i.dueDate),
    instalmentsMinor: borrower.instalments.map((i) => i.totalMinor),
  };
}

// Events ---------------------------------------------------------------------------------------

type DateSpec =
  | { readonly kind: 'DUE'; readonly index: number; readonly shift: number }
  | { readonly kind: 'DAY'; readonly offset: number }
  | { readonly kind: 'TODAY' }
  | { readonly kind: 'OUTSIDE'; readonly after: boolean };

type AmountSpec =
  | { readonly kind: 'FULL' }
  | { readonly kind: 'PART' | 'OVER' | 'PAYOFF'; readonly permille: number }
  | { readonly kind: 'TINY'; readonly minor: number };

type PartySpec = { readonly pool: 'FUNDING' | 'OTHER'; readonly index: number };

type EventSpec =
  | { readonly type: 'REPAYMENT'; readonly date: DateSpec; readonly amount: AmountSpec; readonly prepayment: boolean }
  | { readonly type: 'REVERSAL'; readonly target: number }
  | { readonly type: 'TRANSFER'; readonly date: DateSpec; readonly from: PartySpec; readonly to: PartySpec; readonly permille: number; readonly small: boolean }
  | { readonly type: 'BUYBACK'; readonly date: DateSpec; readonly seller: PartySpec; readonly buyer: 'LEAD' | 'GUARANTOR' | 'SELLER' }
  | { readonly type: 'COMPENSATION' | 'WRITE_OFF'; readonly date: DateSpec };

const dateSpec: fc.Arbitrary<DateSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('DUE' as const), index: fc.nat({ max: 11 }), shift: fc.oneof(fc.constant(0), fc.integer({ min: -6, max: 12 })) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('DAY' as const), offset: fc.nat({ max: 500 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'TODAY' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('OUTSIDE' as const), after: fc.boolean() }) },
);

const amountSpec: fc.Arbitrary<AmountSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'FULL' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('PART' as const), permille: fc.integer({ min: 1, max: 999 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('TINY' as const), minor: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('OVER' as const), permille: fc.integer({ min: 1_001, max: 3_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('PAYOFF' as const), permille: fc.integer({ min: 0, max: 150 }) }) },
);

const partySpec: fc.Arbitrary<PartySpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ pool: fc.constant('FUNDING' as const), index: fc.nat({ max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ pool: fc.constant('OTHER' as const), index: fc.nat({ max: 2 }) }) },
);

const eventSpec: fc.Arbitrary<EventSpec> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ type: fc.constant('REPAYMENT' as const), date: dateSpec, amount: amountSpec, prepayment: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('REVERSAL' as const), target: fc.nat({ max: 14 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant('TRANSFER' as const), date: dateSpec, from: partySpec, to: partySpec, permille: fc.integer({ min: 1, max: 1_000 }), small: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('COMPENSATION' as const, 'WRITE_OFF' as const), date: dateSpec }) },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('BUYBACK' as const), date: dateSpec, seller: partySpec, buyer: fc.constantFrom('LEAD' as const, 'LEAD' as const, 'LEAD' as const, 'GUARANTOR' as const, 'GUARANTOR' as const, 'SELLER' as const) }),
  },
);

/** One change to deliver, as the workflow's input, with what the model needs to know of it. */
interface Step {
  readonly input: RepaymentStepInput;
  readonly label: string;
  /** REPAYMENT: the repayment id; REVERSAL: the repayment it reverses. */
  readonly repaymentId: string | null;
  readonly amountMinor: bigint;
  /** The refusal a value date outside [disbursement, today] must get. */
  readonly outsideCode: string | null;
}

function dateOf(c: LoanCase, spec: DateSpec): { valueDate: string; outsideCode: string | null } {
  const start = c.loan.disbursementDate;
  const clamp = (d: string): string => (compareIsoDates(d, start) < 0 ? start : compareIsoDates(d, TODAY) > 0 ? TODAY : d);
  switch (spec.kind) {
    case 'DUE':
      return { valueDate: clamp(addDays(c.dueDates[spec.index % c.dueDates.length]!, spec.shift)), outsideCode: null };
    case 'DAY':
      return { valueDate: addDays(start, spec.offset % (daysBetween(start, TODAY) + 1)), outsideCode: null };
    case 'TODAY':
      return { valueDate: TODAY, outsideCode: null };
    case 'OUTSIDE':
      return spec.after
        ? { valueDate: addDays(TODAY, 1), outsideCode: 'VALUE_DATE_IN_FUTURE' }
        : { valueDate: addDays(start, -1), outsideCode: 'VALUE_DATE_BEFORE_DISBURSEMENT' };
  }
}

/** The instalment a payment on this date is about: the first due on or after it, else the last. */
function instalmentAt(c: LoanCase, valueDate: string): bigint {
  const i = c.dueDates.findIndex((d) => compareIsoDates(d, valueDate) >= 0);
  return c.instalmentsMinor[i < 0 ? c.instalmentsMinor.length - 1 : i]!;
}

function amountOf(c: LoanCase, spec: AmountSpec, valueDate: string): bigint {
  const instalment = instalmentAt(c, valueDate);
  const atLeastOne = (v: bigint): bigint => (v > 0n ? v : 1n);
  switch (spec.kind) {
    case 'FULL':
      return instalment;
    case 'PART':
    case 'OVER':
      return atLeastOne((instalment * BigInt(spec.permille)) / 1_000n);
    case 'PAYOFF':
      return c.loan.principalMinor + (c.loan.principalMinor * BigInt(spec.permille)) / 1_000n;
    case 'TINY':
      return BigInt(spec.minor);
  }
}

function stepsOf(c: LoanCase, specs: readonly EventSpec[]): Step[] {
  const repaymentIds = specs.flatMap((s, i) => (s.type === 'REPAYMENT' ? [`R-${i + 1}`] : []));
  const funded = new Map(c.loan.fundingPlan.map((p) => [p.lenderId, p.amountMinor]));
  const party = (p: PartySpec, not: string | null = null): string => {
    const pool = p.pool === 'FUNDING' ? c.fundingIds : c.otherIds;
    const id = pool[p.index % pool.length]!;
    // A buyer other than the seller: the next one of the pool (the seller may be the only one).
    return id === not ? pool[(p.index + 1) % pool.length]! : id;
  };
  return specs.map((spec, i): Step => {
    const n = i + 1;
    const loanId = c.loan.loanId;
    if (spec.type === 'REPAYMENT') {
      const { valueDate, outsideCode } = dateOf(c, spec.date);
      const amountMinor = amountOf(c, spec.amount, valueDate);
      const kind = spec.prepayment ? 'PREPAYMENT' : 'REGULAR';
      return {
        input: { action: 'BOOK', repayment: { repaymentId: `R-${n}`, loanId, amountMinor, currency: c.loan.currency as 'CNY' | 'INR', valueDate, channel: 'AUTO_DEBIT', kind } },
        label: `R-${n} ${kind} ${amountMinor} on ${valueDate}`,
        repaymentId: `R-${n}`,
        amountMinor,
        outsideCode,
      };
    }
    if (spec.type === 'REVERSAL') {
      const target = repaymentIds.length === 0 ? 'R-NONE' : repaymentIds[spec.target % repaymentIds.length]!;
      return {
        input: { action: 'REVERSE', loanId, repaymentId: target, reversal: { reversalId: `RV-${n}`, reason: 'BOUNCED', comment: null } },
        label: `RV-${n} of ${target}`,
        repaymentId: target,
        amountMinor: 0n,
        outsideCode: null,
      };
    }
    const { valueDate, outsideCode } = dateOf(c, spec.date);
    if (spec.type === 'TRANSFER') {
      const from = party(spec.from);
      const to = party(spec.to, from);
      const base = funded.get(from) ?? c.loan.principalMinor / BigInt(c.fundingIds.length);
      const share = (base * BigInt(spec.permille)) / (spec.small ? 5_000n : 1_000n);
      const principalMinor = share > 0n ? share : 1n;
      return {
        input: { action: 'EVENT', loanId, event: { type: 'TRANSFER', eventId: `T-${n}`, valueDate, reason: 'Share transfer', fromLenderId: from, toLenderId: to, principalMinor } },
        label: `T-${n} ${from} -> ${to} ${principalMinor} on ${valueDate}`,
        repaymentId: null,
        amountMinor: 0n,
        outsideCode,
      };
    }
    if (spec.type === 'BUYBACK') {
      // Mostly a partner of the loan: the lead and the other parties sell nothing back.
      const partners = c.fundingIds.slice(1);
      const seller = spec.seller.pool === 'FUNDING' ? partners[spec.seller.index % partners.length]! : party(spec.seller);
      const buyerId = spec.buyer === 'LEAD' ? c.loan.terms.leadLenderId : spec.buyer === 'GUARANTOR' ? GUARANTOR_ID : seller;
      return {
        input: { action: 'EVENT', loanId, event: { type: 'BUYBACK', eventId: `B-${n}`, valueDate, reason: 'Buyback', sellerLenderId: seller, buyerId, expectedPriceMinor: null } },
        label: `B-${n} ${seller} -> ${buyerId} on ${valueDate}`,
        repaymentId: null,
        amountMinor: 0n,
        outsideCode,
      };
    }
    const eventId = `${spec.type === 'COMPENSATION' ? 'C' : 'W'}-${n}`;
    return {
      input: { action: 'EVENT', loanId, event: { type: spec.type, eventId, valueDate, reason: 'Risk update' } },
      label: `${eventId} ${spec.type} on ${valueDate}`,
      repaymentId: null,
      amountMinor: 0n,
      outsideCode,
    };
  });
}

/** The arrival order: a permutation of the changes, with some delivered again at random points. */
function arrivalOrder(count: number, permutation: readonly number[], duplicates: readonly { readonly step: number; readonly at: number }[]): number[] {
  const order = permutation.filter((i) => i < count);
  for (const d of duplicates) order.splice(d.at % (order.length + 1), 0, d.step % count);
  return order;
}

interface Scenario {
  readonly program: ProgramChoice;
  readonly events: readonly EventSpec[];
  readonly permutation: readonly number[];
  readonly duplicates: readonly { readonly step: number; readonly at: number }[];
}

const MAX_EVENTS = 15;
const INDICES = Array.from({ length: MAX_EVENTS }, (_, i) => i);

const scenario: fc.Arbitrary<Scenario> = fc.record({
  program: programChoice,
  events: fc.array(eventSpec, { minLength: 1, maxLength: MAX_EVENTS }),
  permutation: fc.shuffledSubarray(INDICES, { minLength: MAX_EVENTS, maxLength: MAX_EVENTS }),
  duplicates: fc.array(fc.record({ step: fc.nat({ max: MAX_EVENTS - 1 }), at: fc.nat({ max: 40 }) }), { maxLength: 6 }),
});

// The stores --------------------------------------------------------------------------------------

/** A booked loan as the loans use case leaves it: the loan, its disbursement entry and a position per lender. */
function seeded(loan: Loan): { stores: InMemoryStores; deps: RepaymentBookDeps } {
  const stores = createInMemoryStores(AT);
  const entry = disbursementEntry(loan, AT);
  stores.db.loans.set(loan.loanId, structuredClone(loan));
  stores.db.entries.set(`${loan.loanId}#${entry.entryId}`, entry);
  for (const part of loan.fundingPlan) {
    stores.db.positions.set(`${loan.loanId}#${part.lenderId}`, applyEntry(openPosition(part.lenderId, loan.loanId, loan.currency), entry));
  }
  // The program's pools as a risk update measured them: this loan among others of the program.
  for (const kind of ['FIRST_LOSS', 'GUARANTEE'] as const) {
    stores.db.programPools.set(`${loan.programId}#${kind}`, { programId: loan.programId, kind, baseMinor: loan.principalMinor * 3n, baseAsOf: loan.disbursementDate, usedMinor: 0n, version: 1 });
  }
  return { stores, deps: { loan: (id) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock } };
}

/** The loan's entries in the order they were written. */
function entriesOf(stores: InMemoryStores): JournalEntry[] {
  return [...stores.db.entries.entries()].filter(([key]) => key.startsWith(`${LOAN_ID}#`)).map(([, e]) => e);
}

function positionsOf(stores: InMemoryStores): Position[] {
  return [...stores.db.positions.values()].filter((p) => p.loanId === LOAN_ID);
}

function ledgerOf(stores: InMemoryStores): RepaymentLedger | undefined {
  return stores.db.book(LOAN_ID);
}

/**
 * Every event's stored state after it, and the head's state, are what the whole fold holds at that
 * point: a later change restored from any of them folds exactly as the whole book would.
 */
function expectTrueStates(loan: Loan, ledger: RepaymentLedger): void {
  const account = new LoanAccount(loan);
  const items = [
    ...ledger.repayments.map((r) => ({ key: r, id: r.repaymentId, stateAfter: r.stateAfter, apply: () => (r.reversal === null ? account.apply({ repaymentId: r.repaymentId, valueDate: r.valueDate, amountMinor: r.amountMinor, kind: r.kind, seq: r.seq }) : null) })),
    ...(ledger.events ?? []).map((e) => ({ key: e, id: e.eventId, stateAfter: e.stateAfter, apply: () => account.applyEvent(loanEvents({ events: [e] })[0]!) })),
  ].sort((a, b) => compareEvents(a.key, b.key));
  for (const item of items) {
    item.apply();
    expect(encodeAccountState(item.stateAfter), `state after ${item.id}`).toBe(encodeAccountState(account.state()));
  }
  expect(ledger.state === null ? null : encodeAccountState(ledger.state), 'the head').toBe(items.length === 0 ? null : encodeAccountState(account.state()));
}

/** Everything a change of the loan may write. */
function snapshot(stores: InMemoryStores) {
  return structuredClone({
    entries: entriesOf(stores),
    positions: positionsOf(stores),
    ledger: ledgerOf(stores),
    records: [...stores.db.repaymentRecords.values()],
    transactions: stores.db.transactions,
  });
}

/** Balances without the accounts at zero; lenders with nothing left out. */
function normalized(byLender: ReadonlyMap<string, Balances>): Map<string, Balances> {
  const out = new Map<string, Balances>();
  for (const [lenderId, balances] of [...byLender].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const kept = Object.fromEntries(Object.entries(balances).filter(([, v]) => v !== 0n)) as Balances;
    if (Object.keys(kept).length > 0) out.set(lenderId, kept);
  }
  return out;
}

function storedBalances(stores: InMemoryStores): Map<string, Balances> {
  return normalized(new Map(positionsOf(stores).map((p) => [p.lenderId, p.balancesMinor])));
}

function paidOf(split: RepaymentSplit): bigint {
  let sum = split.suspenseMinor;
  for (const parts of split.perLender.values()) sum += parts.principalMinor + parts.interestMinor + parts.penaltyMinor + parts.feeMinor + parts.spreadMinor;
  for (const amount of split.recovery?.parts.values() ?? []) sum += amount;
  return sum;
}

// The invariants -----------------------------------------------------------------------------------

/**
 * The books of the loan as they stand: every entry balances in every book and in total; the stored
 * positions are the fold of the entries, and the fold of the disbursement, the splits and the legs
 * in effect; no principal is negative; the clearing from escrow is exactly what the repayments in
 * effect paid, and each of those is booked in full. `inEffect` is the model's amount of each
 * repayment booked and not reversed.
 */
function expectSoundBooks(loan: Loan, stores: InMemoryStores, inEffect: ReadonlyMap<string, bigint>): void {
  const entries = entriesOf(stores);
  let debits = 0n;
  let credits = 0n;
  let fromEscrow = 0n;
  for (const entry of entries) {
    expect(imbalances(entry), entry.entryId).toEqual([]);
    for (const leg of entry.legs) {
      if (leg.side === 'DEBIT') debits += leg.amountMinor;
      else credits += leg.amountMinor;
      if (entry.eventType !== 'DISBURSEMENT' && leg.account === 'SETTLEMENT_CLEARING' && leg.counterparty === ESCROW) {
        fromEscrow += leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor;
      }
    }
  }
  expect(debits).toBe(credits);

  const positions = positionsOf(stores);
  const folded = foldEntries(loan.loanId, entries);
  expect(new Map(positions.map((p) => [p.lenderId, p]))).toEqual(folded);
  for (const p of positions) expect(p.balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n, p.lenderId).toBeGreaterThanOrEqual(0n);

  const ledger = ledgerOf(stores);
  if (ledger !== undefined) expectTrueStates(loan, ledger);
  const booked = (ledger?.repayments ?? []).filter((r) => r.reversal === null);
  expect(new Map(booked.map((r) => [r.repaymentId, r.amountMinor]))).toEqual(inEffect);
  for (const r of booked) expect(paidOf(r.split), r.repaymentId).toBe(r.amountMinor);
  expect(fromEscrow).toBe([...inEffect.values()].reduce((s, a) => s + a, 0n));

  // The splits and legs in effect are the account's fold, and the positions are their sum.
  const { outcomes, eventOutcomes } = foldRepayments(loan, ledger === undefined ? [] : effective(ledger), ledger === undefined ? [] : loanEvents(ledger));
  const model = new Map<string, Balances>();
  const add = (legs: readonly Leg[]): void => {
    for (const leg of legs) model.set(leg.lenderId, applyLegs(model.get(leg.lenderId) ?? {}, [leg]));
  };
  add(disbursementEntry(loan, AT).legs);
  for (const r of booked) {
    expect(r.split, r.repaymentId).toEqual(outcomes.get(r.repaymentId)?.split);
    add(repaymentEntry(loan.loanId, r.repaymentId, r.valueDate, loan.currency, r.split, AT).legs);
  }
  for (const e of ledger?.events ?? []) {
    expect(e.legs, e.eventId).toEqual(eventOutcomes.get(e.eventId)?.legs);
    add(e.legs);
  }
  expect(storedBalances(stores)).toEqual(normalized(model));
}

/** Codes a change may be refused with in these scenarios; anything else is a finding. */
const REFUSALS = new Set([
  // a later event the change would make impossible, or the event itself impossible on the account
  'COMPENSATED',
  'WRITTEN_OFF',
  'ALREADY_WRITTEN_OFF',
  'NOTHING_OUTSTANDING',
  'NO_GUARANTOR',
  'NOT_A_HOLDER',
  'ABOVE_HOLDING',
  'NOT_A_FUNDING_PARTICIPANT',
  'PARTNER_MIN_SHARE',
  'LENDER_MIN_SHARE',
  'VALIDATION_FAILED',
  // a payment above what the loan can owe plus the program's tolerance
  'AMOUNT_ABOVE_OWED',
  'LOAN_CLOSED',
  'BUYBACK_BUYER_NOT_ALLOWED',
  'BUYBACK_BUYER_IS_SELLER',
  'BUYBACK_SELLER_NOT_A_PARTNER',
  'BUYBACK_BUYER_YIELD_REQUIRED',
  'BUYBACK_PRICE_NOT_POSITIVE',
  // the model's own expectations
  'VALUE_DATE_IN_FUTURE',
  'VALUE_DATE_BEFORE_DISBURSEMENT',
  'REPAYMENT_NOT_FOUND',
  'ALREADY_REVERSED',
]);

function statusOf(result: RepaymentStepResult): string {
  return result.status === 'REFUSED' ? `REFUSED ${result.error.code}` : result.status;
}

interface Run {
  readonly stores: InMemoryStores;
  readonly deps: RepaymentBookDeps;
  /** The first answer of each change that was booked or reversed, by step index, in order of acceptance. */
  readonly accepted: Map<number, RepaymentStepResult>;
  readonly inEffect: Map<string, bigint>;
  readonly trace: string[];
}

/** Delivers one change and checks the answer against the model and the books against the invariants. */
async function deliver(c: LoanCase, steps: readonly Step[], index: number, run: Run): Promise<void> {
  const step = steps[index]!;
  const before = snapshot(run.stores);
  const result = await splitAndBook(run.deps, step.input);
  run.trace.push(`${step.label}: ${statusOf(result)}`);
  const first = run.accepted.get(index);
  if (first !== undefined) {
    expect(result.status, step.label).toBe('REPLAYED');
    if ('repayment' in first && step.input.action === 'BOOK' && 'repayment' in result) expect(toJson(result.repayment)).toBe(toJson(first.repayment));
  } else if (step.outsideCode !== null) {
    expect(statusOf(result), step.label).toBe(`REFUSED ${step.outsideCode}`);
  } else if (step.input.action === 'REVERSE') {
    const target = step.repaymentId!;
    const reversedBy = [...run.accepted].find(([i]) => steps[i]!.input.action === 'REVERSE' && steps[i]!.repaymentId === target);
    if (!run.inEffect.has(target) && reversedBy === undefined) expect(statusOf(result), step.label).toBe('REFUSED REPAYMENT_NOT_FOUND');
    else if (reversedBy !== undefined) expect(statusOf(result), step.label).toBe('REFUSED ALREADY_REVERSED');
    else expect(['REVERSED', 'REFUSED'], step.label).toContain(result.status);
  } else {
    expect(['BOOKED', 'REFUSED'], step.label).toContain(result.status);
  }
  if (result.status === 'REFUSED') {
    const why = `${step.label}: ${result.error.code} ${result.error.message}`;
    expect(REFUSALS, why).toContain(result.error.code);
  }

  const after = snapshot(run.stores);
  if (result.status === 'REFUSED' || result.status === 'REPLAYED') {
    expect(after, `${step.label} changes nothing`).toEqual(before);
  } else {
    run.accepted.set(index, result);
    expect(after.transactions).toBe(before.transactions + 1);
    expect(after.ledger?.version).toBe((before.ledger?.version ?? 0) + 1);
    const known = new Set(before.entries.map((e) => e.entryId));
    expect(after.entries.filter((e) => !known.has(e.entryId)).map((e) => e.entryId)).toEqual(result.entryIds);
    if (step.input.action === 'BOOK') run.inEffect.set(step.repaymentId!, step.amountMinor);
    if (step.input.action === 'REVERSE') run.inEffect.delete(step.repaymentId!);
  }
  expectSoundBooks(c.loan, run.stores, run.inEffect);
}

async function checkScenario(s: Scenario): Promise<void> {
  const c = loanCaseOf(s.program);
  const steps = stepsOf(c, s.events);
  const order = arrivalOrder(steps.length, s.permutation, s.duplicates);
  const run: Run = { ...seeded(c.loan), accepted: new Map(), inEffect: new Map(), trace: [] };
  try {
    await checkRun(c, steps, order, run);
  } catch (error) {
    // The deliveries so far, in arrival order, with their answers.
    if (error instanceof Error) error.message += `\n  arrivals:\n    ${run.trace.join('\n    ')}`;
    throw error;
  }
}

async function checkRun(c: LoanCase, steps: readonly Step[], order: readonly number[], run: Run): Promise<void> {
  expectSoundBooks(c.loan, run.stores, run.inEffect);
  for (const index of order) await deliver(c, steps, index, run);

  // Replay: every accepted change delivered again answers REPLAYED and changes nothing.
  const settled = snapshot(run.stores);
  for (const [index, first] of [...run.accepted]) {
    const result = await splitAndBook(run.deps, steps[index]!.input);
    expect(result.status, steps[index]!.label).toBe('REPLAYED');
    if (steps[index]!.input.action === 'BOOK' && 'repayment' in first && 'repayment' in result) expect(toJson(result.repayment)).toBe(toJson(first.repayment));
  }
  expect(snapshot(run.stores)).toEqual(settled);

  // Order independence: the changes in effect, delivered in order of effect to a fresh ledger.
  const ledger = ledgerOf(run.stores) ?? emptyLedger(LOAN_ID);
  const stepOf = new Map(steps.map((step) => {
    const input = step.input;
    const id = input.action === 'BOOK' ? input.repayment.repaymentId : input.action === 'EVENT' ? input.event.eventId : `reversal ${input.reversal.reversalId}`;
    return [id, step] as const;
  }));
  const inEffect = [
    ...ledger.repayments.filter((r) => r.reversal === null).map((r) => ({ id: r.repaymentId, valueDate: r.valueDate, seq: r.seq })),
    ...(ledger.events ?? []).map((e) => ({ id: e.eventId, valueDate: e.valueDate, seq: e.seq })),
  ].sort(compareEvents);
  const fresh: Run = { ...seeded(c.loan), accepted: new Map(), inEffect: new Map(), trace: [] };
  for (const { id } of inEffect) {
    const step = stepOf.get(id)!;
    const result = await splitAndBook(fresh.deps, step.input);
    expect(statusOf(result), `${step.label} in order of effect`).toBe('BOOKED');
    if (step.input.action === 'BOOK') fresh.inEffect.set(id, step.amountMinor);
  }
  expectSoundBooks(c.loan, fresh.stores, fresh.inEffect);
  const freshLedger = ledgerOf(fresh.stores) ?? emptyLedger(LOAN_ID);
  const splits = (l: RepaymentLedger) => new Map(l.repayments.filter((r) => r.reversal === null).map((r) => [r.repaymentId, r.split]));
  const legs = (l: RepaymentLedger) => new Map((l.events ?? []).map((e) => [e.eventId, e.legs]));
  expect(splits(freshLedger)).toEqual(splits(ledger));
  expect(legs(freshLedger)).toEqual(legs(ledger));
  expect(storedBalances(fresh.stores)).toEqual(storedBalances(run.stores));
}

describe('the ledger of a loan, driven through splitAndBook', () => {
  it('balances, folds, pays out every fen, replays and is independent of arrival order', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        await checkScenario(s);
      }),
      { numRuns: 100 },
    );
  });
});
