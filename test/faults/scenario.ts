import { seededRandom } from '../../infra/local/dynamodb-faults.ts';

/**
 * The data of a fault-injection run, a pure function of its seed: a lead, two partner banks and
 * a guarantor, one program, and for each client its own loans and the repayments it sends, in
 * the order it sends them. A client's loans are its own, so each loan's payments arrive in one
 * order whatever the faults, and a run with faults books exactly what a run without them books.
 */

export const LENDER_IDS = { lead: 'FK_LEAD', bankA: 'FK_BANK_A', bankB: 'FK_BANK_B', guarantor: 'FK_GUARANTOR' } as const;
export const PROGRAM_ID = 'FK_PROGRAM';

/** Bookings at 10:00 in Beijing on 2026-12-01; the settlement of that date at 23:30, past its cut-off. */
export const BOOKING_CLOCK = '2026-12-01T02:00:00.000Z';
export const SETTLEMENT_CLOCK = '2026-12-01T15:30:00.000Z';
export const BUSINESS_DATE = '2026-12-01';

export interface Call {
  readonly method: 'POST';
  readonly path: string;
  /** The Idempotency-Key: the same on every retry of the call. */
  readonly key: string;
  readonly body: unknown;
  /** The repayment ids the call carries (none for setup calls). */
  readonly repaymentIds: readonly string[];
}

export interface Scenario {
  readonly seed: number;
  /** Lenders, then the program: sent one after the other before anything else. */
  readonly setup: readonly Call[];
  /** Each client's calls, sent one after the other: its loans, then its repayments. */
  readonly clients: readonly (readonly Call[])[];
  readonly repaymentIds: readonly string[];
  readonly loanIds: readonly string[];
}

const account = { bankName: 'Fault Test Bank', accountName: 'Co-lending', accountNumber: '6222000099990000' };

function lender(lenderId: string, roles: string[]) {
  return {
    lenderId,
    name: `Lender ${lenderId}`,
    roles,
    institutionType: 'NATIONAL_BANK',
    region: 'NATIONAL',
    currency: 'CNY',
    settlementAccount: account,
    limits: { exposureQuotaMinor: '100000000000', perBorrowerCapMinor: '20000000' },
  };
}

const program = {
  programId: PROGRAM_ID,
  name: 'Fault injection program',
  startDate: '2026-01-01',
  currency: 'CNY',
  leadLenderId: LENDER_IDS.lead,
  amountRange: { minMinor: '100000', maxMinor: '20000000' },
  termMonthsRange: { min: 3, max: 36 },
  repaymentMethods: ['EQUAL_INSTALLMENT', 'EQUAL_PRINCIPAL'],
  borrowerRateRange: { min: '0.05', max: '0.24' },
  participants: [
    { lenderId: LENDER_IDS.lead, role: 'LEAD', targetShareBps: 4000, priority: 0 },
    { lenderId: LENDER_IDS.bankA, role: 'PARTNER', targetShareBps: 3000, priority: 1, yieldRate: '0.065' },
    { lenderId: LENDER_IDS.bankB, role: 'PARTNER', targetShareBps: 3000, priority: 2, yieldRate: '0.07' },
    { lenderId: LENDER_IDS.guarantor, role: 'GUARANTOR', priority: 9 },
  ],
  split: { interestBasis: 'LENDER_RATE', remainderRule: 'ROUNDING_PARTY' },
};

const post = (path: string, key: string, body: unknown, repaymentIds: readonly string[] = []): Call => ({ method: 'POST', path, key, body, repaymentIds });

/** Value dates of a loan disbursed on 2026-09-01: its first three due dates, the last one today. */
const VALUE_DATES = ['2026-10-01', '2026-11-01', '2026-12-01'] as const;

/**
 * `clients` clients with `loansPerClient` loans each; each loan is paid on each of its three due
 * dates (about an instalment, sometimes less, sometimes more). A client sends a loan's first two
 * payments one per call and the third of all its loans in one call (a batch).
 */
export function faultScenario(seed: number, clients = 4, loansPerClient = 3): Scenario {
  const random = seededRandom(seed);
  const pick = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const setup = [
    ...Object.entries(LENDER_IDS).map(([, id]) => post('/v1/lenders', `fk-lender-${id}`, lender(id, id === LENDER_IDS.lead ? ['LEAD'] : id === LENDER_IDS.guarantor ? ['GUARANTOR'] : ['PARTNER']))),
    post('/v1/programs', `fk-program-${PROGRAM_ID}`, program),
  ];
  const all: Call[][] = [];
  const repaymentIds: string[] = [];
  const loanIds: string[] = [];
  for (let c = 1; c <= clients; c++) {
    const calls: Call[] = [];
    const loans: { loanId: string; principal: number }[] = [];
    for (let l = 1; l <= loansPerClient; l++) {
      const loanId = `FK-${seed}-C${c}-L${l}`;
      const principal = pick(500_000, 3_000_000);
      // Each partner at least 30% (CN-2021), the lead the rest.
      const bankA = Math.ceil((principal * 3) / 10);
      const lead = principal - 2 * bankA;
      loans.push({ loanId, principal });
      loanIds.push(loanId);
      calls.push(
        post('/v1/loans', `fk-loan-${loanId}`, {
          loanId,
          programId: PROGRAM_ID,
          borrower: { borrowerId: `BR-${loanId}`, type: 'INDIVIDUAL', region: 'CN-31' },
          currency: 'CNY',
          principalMinor: String(principal),
          annualRate: ['0.0899', '0.108', '0.1325'][pick(0, 2)],
          termMonths: [6, 12, 24][pick(0, 2)],
          repaymentMethod: random() < 0.5 ? 'EQUAL_INSTALLMENT' : 'EQUAL_PRINCIPAL',
          disbursementDate: '2026-09-01',
          disbursementReference: `DISB-${loanId}`,
          fundingPlan: [
            { lenderId: LENDER_IDS.lead, amountMinor: String(lead) },
            { lenderId: LENDER_IDS.bankA, amountMinor: String(bankA) },
            { lenderId: LENDER_IDS.bankB, amountMinor: String(bankA) },
          ],
        }),
      );
    }
    const repayment = (loan: { loanId: string; principal: number }, n: number) => {
      const repaymentId = `${loan.loanId}-R${n + 1}`;
      repaymentIds.push(repaymentId);
      // About an instalment of a loan of 6 to 24 months: from a partial payment to an excess.
      const amountMinor = String(Math.floor((loan.principal / pick(5, 20)) * (0.6 + random() * 0.8)));
      return { repaymentId, loanId: loan.loanId, amountMinor, currency: 'CNY', valueDate: VALUE_DATES[n], channel: 'AUTO_DEBIT' };
    };
    for (let n = 0; n < 2; n++) {
      for (const loan of loans) {
        const item = repayment(loan, n);
        calls.push(post('/v1/repayments', `fk-call-${item.repaymentId}`, { repayments: [item] }, [item.repaymentId]));
      }
    }
    const batch = loans.map((loan) => repayment(loan, 2));
    calls.push(post('/v1/repayments', `fk-batch-${seed}-C${c}`, { repayments: batch }, batch.map((r) => r.repaymentId)));
    all.push(calls);
  }
  return { seed, setup, clients: all, repaymentIds, loanIds };
}
