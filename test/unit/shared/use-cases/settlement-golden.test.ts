import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bookLoan, type LoansDeps } from '../../../../functions/loans/use-case.ts';
import type { RepaymentStepInput } from '../../../../shared/contracts/repayments.ts';
import type { BookLoanRequestBody } from '../../../../shared/contracts/schemas.ts';
import type { FeeRule } from '../../../../shared/domain/fee-rules.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import type { DayCount } from '../../../../shared/domain/money/index.ts';
import type { InterestBasis, ParticipantRole, Program } from '../../../../shared/domain/program.ts';
import { ESCROW, type SettlementComponent } from '../../../../shared/domain/ledger.ts';
import { SettlementItems, netByParty } from '../../../../shared/domain/settlement.ts';
import { runIdempotent } from '../../../../shared/http/idempotency.ts';
import { businessCalendar } from '../../../../shared/use-cases/calendars.ts';
import { splitAndBook, type RepaymentBookDeps } from '../../../../shared/use-cases/loan-changes.ts';
import { bookPeriodFees, type PeriodFeeDeps } from '../../../../shared/use-cases/period-fees.ts';
import { closeRun, gatherShard, instruct, openRun, type SettlementDeps } from '../../../../shared/use-cases/settlement.ts';
import { LOAN_SHARDS } from '../../../../shared/adapters/dynamodb/state-keys.ts';
import { PROGRAM_ID, aLeadLender, aLender, aParticipant, aPartnerLender, aProgram, aProgramTerms } from '../../../support/builders.ts';
import { InMemoryFileStore } from '../../../support/in-memory-files.ts';
import { createInMemoryStores, seed } from '../../../support/in-memory-stores.ts';

/**
 * The golden settlements of test/golden/settlement: each scenario's answer is worked out by hand
 * from docs/settlement.md, docs/fees.md, docs/repayments.md and docs/calendar.md (its `why`
 * fields give the arithmetic). The runner books every step through the use cases the API and the
 * workflows run (`POST /v1/loans`, the repayment split, reversals, loan events, period fees),
 * settles each date through OpenRun, GatherShard, Instruct and CloseRun on the in-memory stores,
 * and compares, to the fen: the settlement day each entry landed on, the days each run settled,
 * every settlement item per pair and component, and every instruction. It also checks that what
 * each date's instructions move per party is what the ledger's clearing legs of the settled
 * entries say, read from the entries themselves.
 */
const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../golden/settlement');

interface GoldenParticipant {
  lenderId: string;
  role: ParticipantRole;
  targetShareBps: number | null;
  yieldRate?: string | null;
}

interface GoldenProgram {
  participants: GoldenParticipant[];
  interestBasis: InterestBasis;
  netting: boolean;
  calendar: string;
  dayCount: DayCount;
  guarantorLenderId?: string | null;
  feeRules?: (Omit<FeeRule, 'amountMinor'> & { amountMinor: string | null })[];
}

interface GoldenLoan {
  loanId: string;
  principalMinor: string;
  annualRate: string;
  termMonths: number;
  repaymentMethod: BookLoanRequestBody['repaymentMethod'];
  disbursementDate: string;
  fundingPlan: { lenderId: string; amountMinor: string }[];
}

/** One step at an instant (`at`, with its offset: Beijing time reads +08:00). */
type GoldenStep = { at: string; note?: string } & (
  | { book: string }
  | { repay: { repaymentId: string; loanId: string; amountMinor: string; valueDate: string; kind?: 'REGULAR' | 'PREPAYMENT' } }
  | { reverse: { loanId: string; repaymentId: string; reversalId: string } }
  | { event: { loanId: string; type: 'COMPENSATION' | 'TRANSFER' | 'BUYBACK'; eventId: string; valueDate: string; fromLenderId?: string; toLenderId?: string; principalMinor?: string; sellerLenderId?: string; buyerId?: string } }
  | { fees: { loanId: string; period: string } }
  | { settle: string }
);

interface GoldenItem {
  lenderId: string;
  counterparty: string;
  component: SettlementComponent;
  receivableMinor: string;
  payableMinor: string;
  why: string;
}

interface GoldenInstruction {
  payer: string;
  payee: string;
  amountMinor: string;
  valueDate: string;
  why: string;
}

interface GoldenSettlement {
  businessDate: string;
  days: string[];
  items: GoldenItem[];
  instructions: GoldenInstruction[];
}

interface Golden {
  name: string;
  description: string;
  program: GoldenProgram;
  loans: GoldenLoan[];
  steps: GoldenStep[];
  expected: {
    /** Every entry booked, by id: the settlement day it landed on (`bookedOn`). */
    landedOn: Record<string, string>;
    settlements: GoldenSettlement[];
  };
}

function lenderOf(p: GoldenParticipant): Lender {
  if (p.role === 'LEAD') return aLeadLender({ lenderId: p.lenderId });
  if (p.role === 'PARTNER') return aPartnerLender(p.lenderId);
  return aLender({ lenderId: p.lenderId, roles: [p.role], institutionType: 'NON_BANK' });
}

function programOf(g: GoldenProgram): Program {
  const base = aProgramTerms();
  const rules = (g.feeRules ?? []).map((r) => ({ ...r, amountMinor: r.amountMinor === null ? null : BigInt(r.amountMinor) }));
  return aProgram({
    participants: g.participants.map((p, i) => aParticipant(p.lenderId, p.role, p.targetShareBps, { priority: i, yieldRate: p.yieldRate ?? null })),
    split: { ...base.split, interestBasis: g.interestBasis },
    fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: g.guarantorLenderId ?? null, ...(rules.length > 0 ? { rules } : {}) },
    dayCount: g.dayCount,
    settlement: { ...base.settlement, netting: g.netting, calendar: g.calendar },
  });
}

function bookingOf(loan: GoldenLoan): BookLoanRequestBody {
  return {
    loanId: loan.loanId,
    programId: PROGRAM_ID,
    programVersion: null,
    borrower: { borrowerId: `BRW-${loan.loanId}`, type: 'INDIVIDUAL', region: 'CN-44', secured: false },
    currency: 'CNY',
    principalMinor: BigInt(loan.principalMinor),
    annualRate: loan.annualRate,
    termMonths: loan.termMonths,
    repaymentMethod: loan.repaymentMethod,
    disbursementDate: loan.disbursementDate,
    disbursementReference: `DISB-${loan.loanId}`,
    fundingPlan: loan.fundingPlan.map((p) => ({ lenderId: p.lenderId, amountMinor: BigInt(p.amountMinor) })),
  };
}

function changeOf(step: GoldenStep): RepaymentStepInput | null {
  if ('repay' in step) {
    const r = step.repay;
    return { action: 'BOOK', repayment: { ...r, amountMinor: BigInt(r.amountMinor), currency: 'CNY', channel: 'BANK_TRANSFER', kind: r.kind ?? 'REGULAR' } };
  }
  if ('reverse' in step) {
    const r = step.reverse;
    return { action: 'REVERSE', loanId: r.loanId, repaymentId: r.repaymentId, reversal: { reversalId: r.reversalId, reason: 'BOUNCED', comment: null } };
  }
  if ('event' in step) {
    const { loanId, type, eventId, valueDate } = step.event;
    const reason = `Golden ${type.toLowerCase()}`;
    if (type === 'COMPENSATION') return { action: 'EVENT', loanId, event: { type, eventId, valueDate, reason } };
    if (type === 'TRANSFER') {
      const { fromLenderId, toLenderId, principalMinor } = step.event;
      return { action: 'EVENT', loanId, event: { type, eventId, valueDate, reason, fromLenderId: fromLenderId!, toLenderId: toLenderId!, principalMinor: BigInt(principalMinor!) } };
    }
    return { action: 'EVENT', loanId, event: { type, eventId, valueDate, reason, sellerLenderId: step.event.sellerLenderId!, buyerId: step.event.buyerId!, expectedPriceMinor: null } };
  }
  return null;
}

interface Settled {
  businessDate: string;
  days: readonly string[];
  items: { lenderId: string; counterparty: string; component: SettlementComponent; receivableMinor: string; payableMinor: string }[];
  instructions: { payer: string; payee: string; amountMinor: string; valueDate: string }[];
  /** Per party: what the instructions move (received less paid). */
  movedByInstructions: Record<string, string>;
  /** Per party: what the clearing legs of the entries booked on the settled days say it is owed, net. */
  movedByLedger: Record<string, string>;
}

async function play(golden: Golden): Promise<{ landedOn: Record<string, string>; settlements: Settled[] }> {
  const first = new Date(golden.steps[0]!.at).toISOString();
  const stores = createInMemoryStores(first);
  const program = programOf(golden.program);
  seed(stores, { lenders: golden.program.participants.map(lenderOf), programs: [program] });
  const bookingDeps: LoansDeps = { ...stores };
  const loan = (id: string) => stores.loans.get(id);
  const changeDeps: RepaymentBookDeps = { loan, repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock };
  const feeDeps: PeriodFeeDeps = { loan, repayments: stores.repayments, ledger: stores.ledger, clock: stores.clock };
  const settlementDeps: SettlementDeps = { ...stores, calendar: (id) => businessCalendar(stores, id), files: new InMemoryFileStore(), shardCount: LOAN_SHARDS };
  const loans = new Map(golden.loans.map((l) => [l.loanId, l]));
  const settlements: Settled[] = [];

  for (const step of golden.steps) {
    const now = new Date(step.at).toISOString();
    stores.clock.set(now);
    if ('book' in step) {
      const request = bookingOf(loans.get(step.book)!);
      const body = JSON.parse(JSON.stringify(request, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
      const answer = await runIdempotent(stores.idempotency, { operation: 'bookLoan', clientId: 'lead-ops-client', userId: 'lead-ops-client', key: `book-${step.book}`, body, now }, (seal) =>
        bookLoan(bookingDeps, request, seal, now),
      );
      expect(answer.statusCode, `booking ${step.book}`).toBe(201);
      continue;
    }
    if ('fees' in step) {
      await bookPeriodFees(feeDeps, step.fees.loanId, step.fees.period);
      continue;
    }
    if ('settle' in step) {
      settlements.push(await settle(stores, settlementDeps, step.settle));
      continue;
    }
    const change = changeOf(step)!;
    const result = await splitAndBook(changeDeps, change);
    expect(result.status, `${step.at}: ${JSON.stringify(change, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`).toBe(change.action === 'REVERSE' ? 'REVERSED' : 'BOOKED');
  }
  const landedOn = Object.fromEntries([...stores.db.entries.values()].map((e) => [e.entryId, e.bookedOn]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  return { landedOn, settlements };
}

async function settle(stores: ReturnType<typeof createInMemoryStores>, deps: SettlementDeps, businessDate: string): Promise<Settled> {
  const opened = await openRun(deps, { businessDate });
  for (const { shard } of opened.shards) await gatherShard(deps, businessDate, opened.attempt, shard);
  const instructed = await instruct(deps, businessDate, opened.attempt);
  const run = await closeRun(deps, businessDate, opened.attempt, instructed);
  expect(run.status).toBe('SETTLED');
  const days = Object.values(run.daysByCalendar).flat();

  const merged = new SettlementItems();
  for (const shard of await stores.settlements.shards(businessDate)) for (const item of shard.items) merged.addItem(item);
  const items = merged.list().map((i) => ({ lenderId: i.lenderId, counterparty: i.counterparty, component: i.component, receivableMinor: String(i.receivableMinor), payableMinor: String(i.payableMinor) }));

  const stored = await stores.settlements.instructions(businessDate);
  const instructions = stored.map((i) => ({ payer: i.payer, payee: i.payee, amountMinor: String(i.amountMinor), valueDate: i.valueDate }));
  const movedByInstructions = Object.fromEntries([...netByParty(stored)].map(([key, v]) => [key.split('|')[1]!, String(v)]).filter(([, v]) => v !== '0'));

  // From the ledger itself: each book's clearing legs (Dr: owed to it), and the collection account the opposite of every leg that clears with it.
  const ledger = new Map<string, bigint>();
  const add = (party: string, amount: bigint) => ledger.set(party, (ledger.get(party) ?? 0n) + amount);
  for (const entry of stores.db.entries.values()) {
    if (entry.bookedOn === undefined || !days.includes(entry.bookedOn)) continue;
    for (const leg of entry.legs) {
      if (leg.account !== 'SETTLEMENT_CLEARING') continue;
      const signed = leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor;
      add(leg.lenderId, signed);
      if (leg.counterparty === ESCROW) add(ESCROW, -signed);
    }
  }
  const movedByLedger = Object.fromEntries([...ledger].filter(([, v]) => v !== 0n).map(([k, v]) => [k, String(v)]));
  return { businessDate, days, items, instructions, movedByInstructions, movedByLedger };
}

const files = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json')).sort();

describe('the golden settlements', () => {
  it('has at least ten scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of files) {
    const golden = JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as Golden;
    it(`${golden.name}: ${golden.description}`, async () => {
      const { landedOn, settlements } = await play(golden);
      expect(landedOn).toEqual(golden.expected.landedOn);
      expect(settlements.map((s) => s.businessDate)).toEqual(golden.expected.settlements.map((s) => s.businessDate));
      for (const [i, want] of golden.expected.settlements.entries()) {
        const got = settlements[i]!;
        const strip = <T extends { why: string }>(xs: T[]) => xs.map(({ why: _why, ...rest }) => rest);
        expect(got.days, `${want.businessDate} days`).toEqual(want.days);
        expect(got.items, `${want.businessDate} items`).toEqual(strip(want.items));
        expect(got.instructions, `${want.businessDate} instructions`).toEqual(strip(want.instructions));
        expect(got.movedByInstructions, `${want.businessDate}: the instructions move what the ledger cleared`).toEqual(got.movedByLedger);
      }
    });
  }
});
