import fc from 'fast-check';

/*
 * The commands of the money simulator (docs/testing.md, The money simulator): what a client, a
 * risk run or the scheduler asks of the system, in terms that stay meaningful whatever happened
 * before (a loan is named by its place among the loans booked so far, a repayment by its place
 * among the repayments sent), so that a shrunk sequence still reads as a story.
 */

/** A fault injected into the command's first write: lost a race, or died after its commit. */
export type Fault = 'NONE' | 'CONFLICT' | 'CRASH';

export type RepaymentDate =
  | { readonly kind: 'DUE'; readonly instalment: number; readonly shiftDays: number }
  | { readonly kind: 'TODAY' };

export type RepaymentAmount =
  | { readonly kind: 'INSTALMENT' }
  | { readonly kind: 'PART' | 'OVER'; readonly permille: number }
  | { readonly kind: 'PAYOFF'; readonly extraPermille: number }
  | { readonly kind: 'TINY'; readonly minor: number };

/** A partner's answer to its ask. */
export interface Answer {
  readonly kind: 'APPROVE' | 'APPROVE_MIN' | 'APPROVE_PART' | 'DECLINE' | 'TIMEOUT' | 'LATE';
  /** For APPROVE_PART: where between the minimum and the amount asked. */
  readonly permille: number;
}

export type SimCommand =
  | {
      readonly type: 'BOOK';
      readonly principalMinor: bigint;
      readonly termMonths: number;
      readonly method: 'EQUAL_INSTALLMENT' | 'EQUAL_PRINCIPAL' | 'INTEREST_ONLY' | 'BULLET';
      readonly daysAgo: number;
      readonly borrower: number;
      readonly fault: Fault;
    }
  | { readonly type: 'REPAY'; readonly loan: number; readonly date: RepaymentDate; readonly amount: RepaymentAmount; readonly prepayment: boolean; readonly fault: Fault }
  | { readonly type: 'REVERSE'; readonly repayment: number; readonly fault: Fault }
  | { readonly type: 'TRANSFER'; readonly loan: number; readonly from: number; readonly to: number; readonly permille: number; readonly fault: Fault }
  | { readonly type: 'BUYBACK'; readonly loan: number; readonly seller: number; readonly buyer: 'LEAD' | 'GUARANTOR'; readonly fault: Fault }
  | { readonly type: 'COMPENSATE' | 'WRITE_OFF'; readonly loan: number; readonly fault: Fault }
  /** A command accepted before, delivered again (a duplicate delivery, possibly out of order). */
  | { readonly type: 'REDELIVER'; readonly accepted: number }
  /**
   * A finance user proposes an adjustment between a party of a loan and another party or the
   * collection account, and (mostly) another approves it.
   */
  | {
      readonly type: 'ADJUST';
      readonly loan: number;
      readonly lender: number;
      /** A party, or past the parties the collection account. */
      readonly counterparty: number;
      readonly component: 'INTEREST' | 'PENALTY' | 'FEE';
      readonly direction: 'COUNTERPARTY_OWES_LENDER' | 'LENDER_OWES_COUNTERPARTY';
      readonly amountMinor: bigint;
      readonly approve: boolean;
      readonly fault: Fault;
    }
  /**
   * The lead applies for a joint loan: the application, then the review's first round asks the
   * partners. Partners may answer at once (`answers`, as DECIDE), and the lead may report the
   * disbursement at once (`disbursement`, as DISBURSE); what is left open waits for later commands.
   */
  | {
      readonly type: 'APPLY';
      readonly amountMinor: bigint;
      readonly termMonths: number;
      readonly method: 'EQUAL_INSTALLMENT' | 'EQUAL_PRINCIPAL' | 'INTEREST_ONLY' | 'BULLET';
      readonly borrower: number;
      readonly answers: readonly Answer[];
      readonly disbursement: 'DISBURSED' | 'FAILED' | 'CANCELLED' | 'EXPIRED' | null;
      /** The fault of the application's own write. */
      readonly fault: Fault;
      /** The fault of the saga's writes that follow at once: the reservation, the booking or the release. */
      readonly sagaFault: Fault;
    }
  /**
   * Partners answer open asks of an application in review, one answer each from the ask named by
   * `partner` on: the whole amount asked, its minimum, a part between them, a decline; or the ask
   * times out, and a decision sent after that is refused. When the round is over, Allocate runs,
   * then the saga reserves the quota.
   */
  | { readonly type: 'DECIDE'; readonly application: number; readonly partner: number; readonly answers: readonly Answer[]; readonly fault: Fault }
  /** The lead reports a planned loan disbursed (`daysAgo` days ago), failed or cancelled, or its wait expires. */
  | { readonly type: 'DISBURSE'; readonly application: number; readonly outcome: 'DISBURSED' | 'FAILED' | 'CANCELLED' | 'EXPIRED'; readonly daysAgo: number; readonly fault: Fault }
  /** The profit-sharing run of a month before today, as the schedule asks for it (docs/profit-sharing.md). */
  | { readonly type: 'PROFIT_RUN'; readonly monthsBack: number; readonly fault: Fault }
  /** The period fees of a loan for a month before today (fee billing, docs/fees.md), `monthsBack` months ago. */
  | { readonly type: 'BILL_FEES'; readonly loan: number; readonly monthsBack: number; readonly fault: Fault }
  | { readonly type: 'NEXT_DAY'; readonly days: number }
  /** The clock moves to 23:30 in Beijing the same day, past the cut-off: what is booked now is settled tomorrow. */
  | { readonly type: 'EVENING' }
  /** The daily settlement of every business date before today not yet settled. */
  | { readonly type: 'SETTLE'; readonly fault: Fault }
  /** A settled date run again: the same instructions and byte-identical files. */
  | { readonly type: 'RESETTLE'; readonly run: number };

const fault: fc.Arbitrary<Fault> = fc.constantFrom<Fault>('NONE', 'NONE', 'NONE', 'NONE', 'NONE', 'NONE', 'CONFLICT', 'CRASH');

const repaymentDate: fc.Arbitrary<RepaymentDate> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('DUE' as const), instalment: fc.nat({ max: 11 }), shiftDays: fc.oneof(fc.constant(0), fc.integer({ min: -5, max: 40 })) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'TODAY' as const }) },
);

const repaymentAmount: fc.Arbitrary<RepaymentAmount> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'INSTALMENT' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('PART' as const), permille: fc.integer({ min: 1, max: 999 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('OVER' as const), permille: fc.integer({ min: 1_001, max: 2_500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('PAYOFF' as const), extraPermille: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('TINY' as const), minor: fc.integer({ min: 1, max: 99 }) }) },
);

const loanRef = fc.nat({ max: 7 });

const method = fc.constantFrom('EQUAL_INSTALLMENT' as const, 'EQUAL_PRINCIPAL' as const, 'INTEREST_ONLY' as const, 'BULLET' as const);

const answer: fc.Arbitrary<Answer> = fc.record({
  kind: fc.constantFrom<Answer['kind']>('APPROVE', 'APPROVE', 'APPROVE', 'APPROVE', 'APPROVE_MIN', 'APPROVE_PART', 'DECLINE', 'TIMEOUT', 'LATE'),
  permille: fc.integer({ min: 0, max: 1_000 }),
});

const booking: fc.Arbitrary<Extract<SimCommand, { type: 'BOOK' }>> = fc.record({
  type: fc.constant('BOOK' as const),
  principalMinor: fc.bigInt({ min: 100_000n, max: 20_000_000n }),
  termMonths: fc.integer({ min: 1, max: 12 }),
  method,
  daysAgo: fc.integer({ min: 0, max: 200 }),
  borrower: fc.nat({ max: 3 }),
  fault,
});

export const simCommand: fc.Arbitrary<SimCommand> = fc.oneof(
  { weight: 4, arbitrary: booking },
  { weight: 10, arbitrary: fc.record({ type: fc.constant('REPAY' as const), loan: loanRef, date: repaymentDate, amount: repaymentAmount, prepayment: fc.boolean(), fault }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('REVERSE' as const), repayment: fc.nat({ max: 30 }), fault }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('TRANSFER' as const), loan: loanRef, from: fc.nat({ max: 3 }), to: fc.nat({ max: 3 }), permille: fc.integer({ min: 1, max: 1_000 }), fault }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('BUYBACK' as const), loan: loanRef, seller: fc.nat({ max: 1 }), buyer: fc.constantFrom('LEAD' as const, 'GUARANTOR' as const), fault }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('COMPENSATE' as const, 'WRITE_OFF' as const), loan: loanRef, fault }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('REDELIVER' as const), accepted: fc.nat({ max: 30 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('ADJUST' as const),
      loan: loanRef,
      lender: fc.nat({ max: 3 }),
      counterparty: fc.nat({ max: 4 }),
      component: fc.constantFrom('INTEREST' as const, 'PENALTY' as const, 'FEE' as const),
      direction: fc.constantFrom('COUNTERPARTY_OWES_LENDER' as const, 'LENDER_OWES_COUNTERPARTY' as const),
      amountMinor: fc.bigInt({ min: 1n, max: 50_000n }),
      approve: fc.constantFrom(true, true, true, false),
      fault,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('APPLY' as const),
      amountMinor: fc.bigInt({ min: 100_000n, max: 20_000_000n }),
      termMonths: fc.integer({ min: 1, max: 12 }),
      method,
      borrower: fc.nat({ max: 3 }),
      answers: fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: fc.array(answer, { minLength: 2, maxLength: 2 }) }),
      disbursement: fc.constantFrom('DISBURSED' as const, 'DISBURSED' as const, 'FAILED' as const, 'CANCELLED' as const, 'EXPIRED' as const, null, null, null),
      fault,
      sagaFault: fault,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('DECIDE' as const),
      application: fc.nat({ max: 3 }),
      partner: fc.nat({ max: 1 }),
      answers: fc.array(answer, { minLength: 1, maxLength: 2 }),
      fault,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('DISBURSE' as const),
      application: fc.nat({ max: 3 }),
      outcome: fc.constantFrom('DISBURSED' as const, 'DISBURSED' as const, 'DISBURSED' as const, 'FAILED' as const, 'CANCELLED' as const, 'EXPIRED' as const),
      daysAgo: fc.integer({ min: 0, max: 20 }),
      fault,
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('PROFIT_RUN' as const), monthsBack: fc.integer({ min: 1, max: 7 }), fault }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('BILL_FEES' as const), loan: loanRef, monthsBack: fc.integer({ min: 1, max: 7 }), fault }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('NEXT_DAY' as const), days: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'EVENING' as const }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('SETTLE' as const), fault }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('RESETTLE' as const), run: fc.nat({ max: 10 }) }) },
);

/** The terms a sequence's program is drawn with: how interest is shared, who takes first losses, where an excess goes. */
export interface ProgramChoice {
  readonly interestBasis: 'PRO_RATA' | 'LENDER_RATE';
  readonly lossMethod: 'PRO_RATA' | 'LEAD_FIRST_LOSS';
  readonly excess: 'SUSPENSE' | 'PREPAY';
  readonly remainderRule: 'ROUNDING_PARTY' | 'LARGEST_REMAINDER';
  readonly netting: boolean;
  /** A monthly service fee of 1% a year on each partner's outstanding principal, deducted from its interest for the lead. */
  readonly serviceFee: boolean;
  /** A monthly guarantee fee of 0.5% a year on the loan's outstanding principal, paid by the borrower to the guarantor. */
  readonly borrowerFee: boolean;
  /** Partner B's exposure quota is tight (TIGHT_QUOTA_MINOR): plans and bookings find it short. */
  readonly tightQuota: boolean;
}

export const programChoice: fc.Arbitrary<ProgramChoice> = fc.record({
  interestBasis: fc.constantFrom('PRO_RATA' as const, 'LENDER_RATE' as const),
  lossMethod: fc.constantFrom('PRO_RATA' as const, 'LEAD_FIRST_LOSS' as const),
  excess: fc.constantFrom('SUSPENSE' as const, 'PREPAY' as const),
  remainderRule: fc.constantFrom('ROUNDING_PARTY' as const, 'LARGEST_REMAINDER' as const),
  netting: fc.boolean(),
  serviceFee: fc.boolean(),
  borrowerFee: fc.boolean(),
  tightQuota: fc.constantFrom(false, false, false, true),
});

export interface SimSequence {
  readonly program: ProgramChoice;
  /**
   * Whether its settlements write the statement files (WriteFiles: every lender's file set with
   * its CSV and XLSX copies, about a tenth of a second a date) or settle the money alone (OpenRun,
   * GatherShard, Instruct, CloseRun). One sequence in ten writes them.
   */
  readonly files: boolean;
  readonly commands: readonly SimCommand[];
}

/** A sequence: a program, whether its settlements write files, then its commands, the first a booking (most commands need a loan). */
export function simSequence(maxCommands: number): fc.Arbitrary<SimSequence> {
  return fc.record({
    program: programChoice,
    files: fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 9, arbitrary: fc.constant(false) }),
    commands: fc.tuple(booking, fc.array(simCommand, { maxLength: maxCommands - 1, size: 'max' })).map(([first, rest]) => [first, ...rest]),
  });
}

/** A command in one line, for the trace of a failing sequence. */
export function describeCommand(command: SimCommand): string {
  const { type, ...rest } = command;
  return `${type} ${JSON.stringify(rest, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
}
