import { describe, expect, it } from 'vitest';
import type { BatchReport } from '../../../../shared/contracts/repayments.ts';
import { splitAndBook } from '../../../../shared/use-cases/loan-changes.ts';
import { bookPeriodFees } from '../../../../shared/use-cases/period-fees.ts';
import { getLoanRepayments, getRepayment, postLoanEvent, postRepayments, postReversal, type RepaymentsDeps } from '../../../../functions/repayments/use-case.ts';
import { applyEntry, openPosition } from '../../../../shared/domain/ledger.ts';
import { disbursementEntry } from '../../../../shared/domain/loan.ts';
import { RuleViolation, StateConflict, NotFound } from '../../../../shared/domain/errors.ts';
import type { RepaymentRequestBody } from '../../../../shared/contracts/schemas.ts';
import type { SyncWorkflow } from '../../../../shared/ports/stores.ts';
import { emptyLedger } from '../../../../shared/domain/repayment-booking.ts';
import { GUARANTOR_ID, LEAD_ID, LOAN_ID, NOW, PARTNER_A, PARTNER_B, aLender, aLimits, aLoan, aParticipant, defaultParticipants, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, seed, seedBookedLoan, type InMemoryStores } from '../../../support/in-memory-stores.ts';
import { PrometheusRegistry } from '../../../../shared/adapters/telemetry/prometheus-registry.ts';

const AT = '2025-05-05T02:00:00.000Z';

/** A workflow that records its inputs and answers from a function. */
function cannedWorkflow(answer: (input: unknown) => unknown): SyncWorkflow & { inputs: unknown[] } {
  const inputs: unknown[] = [];
  return {
    inputs,
    run: async (input: unknown) => {
      inputs.push(input);
      return answer(input);
    },
  };
}

const noWorkflow = cannedWorkflow(() => {
  throw new Error('this call does not run the workflow');
});

function repayment(repaymentId: string, valueDate: string, amountMinor: bigint): RepaymentRequestBody {
  return { repaymentId, loanId: LOAN_ID, amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT', kind: 'REGULAR' };
}

/** A booked loan: the loan, its disbursement entry, a position per lender and its head. */
function seeded(): InMemoryStores {
  const stores = createInMemoryStores(AT);
  const loan = aLoan();
  const entry = disbursementEntry(loan, NOW);
  stores.db.loans.set(loan.loanId, loan);
  stores.db.entries.set(`${loan.loanId}#${entry.entryId}`, entry);
  for (const part of loan.fundingPlan) stores.db.positions.set(`${loan.loanId}#${part.lenderId}`, applyEntry(openPosition(part.lenderId, loan.loanId, loan.currency), entry));
  stores.db.repaymentLedgers.set(loan.loanId, { ...emptyLedger(loan.loanId), version: 1 });
  return stores;
}

function depsWith(batch: SyncWorkflow, stores: InMemoryStores = seeded(), metrics = new PrometheusRegistry()): RepaymentsDeps {
  return {
    batch,
    loans: stores.loans,
    loan: (id) => stores.loans.get(id),
    repayments: stores.repayments,
    programPools: stores.programPools,
    lenders: stores.lenders,
    exposure: stores.exposure,
    regulatoryFigures: stores.regulatoryFigures,
    clock: stores.clock,
    metrics,
  };
}

const bookedSamples = (metrics: PrometheusRegistry): string[] => metrics.render().split('\n').filter((line) => line.startsWith('colend_repayments_booked_total{'));

describe('postRepayments', () => {
  it('books a single repayment in the function, without the workflow, and answers it with the report', async () => {
    const stores = seeded();
    const answer = await postRepayments(depsWith(noWorkflow, stores), { repayments: [repayment('R-1', '2025-04-01', 86_642n)] });
    expect(answer.results).toMatchObject([{ repaymentId: 'R-1', status: 'BOOKED', repayment: { repaymentId: 'R-1', entryId: 'REPAYMENT#R-1', split: { suspenseMinor: '0' } } }]);
    expect(answer.report).toEqual({ rows: 1, booked: 1, replayed: 0, refused: 0, loans: 1, suspense: [], refusedByCode: {} });
    expect(stores.db.transactions).toBe(1);
    expect(noWorkflow.inputs).toEqual([]);
  });

  it('counts a single repayment booked under its program, once: the same repayment again is answered, not counted', async () => {
    const stores = seeded();
    const metrics = new PrometheusRegistry();
    const deps = depsWith(noWorkflow, stores, metrics);
    await postRepayments(deps, { repayments: [repayment('R-1', '2025-04-01', 86_642n)] });
    await postRepayments(deps, { repayments: [repayment('R-1', '2025-04-01', 86_642n)] });
    expect(bookedSamples(metrics)).toEqual([`colend_repayments_booked_total{source="API",program="${aLoan().programId}"} 1`]);
    await postRepayments(deps, { repayments: [repayment('R-9', '2025-02-01', 1_000n)] });
    expect(bookedSamples(metrics)).toEqual([`colend_repayments_booked_total{source="API",program="${aLoan().programId}"} 1`]);
  });

  it('answers a single refused repayment as a refused row with the rule, and books nothing', async () => {
    const stores = seeded();
    const answer = await postRepayments(depsWith(noWorkflow, stores), { repayments: [repayment('R-1', '2025-02-01', 1_000n)] });
    expect(answer.results).toEqual([
      {
        repaymentId: 'R-1',
        status: 'REFUSED',
        error: expect.objectContaining({ code: 'VALUE_DATE_BEFORE_DISBURSEMENT', details: { path: 'valueDate', valueDate: '2025-02-01', disbursementDate: '2025-03-01' } }),
      },
    ]);
    expect(answer.report).toMatchObject({ rows: 1, booked: 0, refused: 1, refusedByCode: { VALUE_DATE_BEFORE_DISBURSEMENT: 1 } });
    expect(stores.db.transactions).toBe(0);
  });

  it('runs a call of many repayments as one execution of the batch workflow, and answers its output', async () => {
    const output: BatchReport = { results: [], report: { rows: 2, booked: 2, replayed: 0, refused: 0, loans: 1, suspense: [], refusedByCode: {} } };
    const workflow = cannedWorkflow(() => output);
    const rows = [repayment('R-1', '2025-04-01', 86_642n), repayment('R-2', '2025-05-01', 90_000n)];
    expect(await postRepayments(depsWith(workflow), { repayments: rows })).toBe(output);
    expect(workflow.inputs).toEqual([{ repayments: rows }]);
  });
});

describe('postReversal and postLoanEvent', () => {
  it('reverses a repayment in the function, on the loan of its record', async () => {
    const stores = seeded();
    const deps = depsWith(noWorkflow, stores);
    await postRepayments(deps, { repayments: [repayment('R-1', '2025-04-01', 86_642n)] });
    const answer = await postReversal(deps, 'R-1', { reversalId: 'V-1', reason: 'BOUNCED', comment: null });
    expect(answer).toMatchObject({ status: 'REVERSED', repayment: { repaymentId: 'R-1', reversal: { reversalId: 'V-1', entryId: 'REVERSAL#V-1' } } });
  });

  it('a refused reversal is the domain error itself (the edge maps it), and changes nothing', async () => {
    const stores = seeded();
    const deps = depsWith(noWorkflow, stores);
    await postRepayments(deps, { repayments: [repayment('R-1', '2025-04-01', 86_642n)] });
    await postReversal(deps, 'R-1', { reversalId: 'V-1', reason: 'BOUNCED', comment: null });
    const conflict = await rejectedBy(StateConflict, () => postReversal(deps, 'R-1', { reversalId: 'V-2', reason: 'BOUNCED', comment: null }));
    expect(conflict.code).toBe('ALREADY_REVERSED');
    expect(stores.db.transactions).toBe(2);
  });

  it('answers 404 for a repayment never booked', async () => {
    const error = await rejectedBy(NotFound, () => postReversal(depsWith(noWorkflow), 'R-9', { reversalId: 'V-1', reason: 'BOUNCED', comment: null }));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('books a transfer in the function, and refuses one of a loan that does not exist with 404', async () => {
    const deps = depsWith(noWorkflow);
    const transfer = { type: 'TRANSFER' as const, eventId: 'T-1', valueDate: '2025-04-02', reason: 'sale', fromLenderId: LEAD_ID, toLenderId: PARTNER_A, principalMinor: 10_000n };
    const answer = await postLoanEvent(deps, LOAN_ID, transfer);
    expect(answer).toMatchObject({ statusCode: 201, body: { status: 'BOOKED', event: { type: 'TRANSFER', eventId: 'T-1', entryId: 'TRANSFER#T-1' } } });
    expect((await postLoanEvent(deps, LOAN_ID, transfer)).statusCode).toBe(200);
    expect((await rejectedBy(NotFound, () => postLoanEvent(deps, 'LN-NONE', transfer))).code).toBe('NOT_FOUND');
    await rejectedBy(RuleViolation, () => postLoanEvent(deps, LOAN_ID, { ...transfer, eventId: 'T-2', principalMinor: 10_000_000n }));
  });

  it("holds a transfer's buyer to its exposure quota and its cap per borrower, as a booking would, and books nothing when refused", async () => {
    const transfer = { type: 'TRANSFER' as const, eventId: 'T-1', valueDate: '2025-04-02', reason: 'sale', fromLenderId: LEAD_ID, toLenderId: PARTNER_A, principalMinor: 10_000n };
    const quota = seeded();
    seed(quota, { lenders: [aLender({ lenderId: PARTNER_A, limits: aLimits({ exposureQuotaMinor: 9_999n }) })] });
    const short = await rejectedBy(RuleViolation, () => postLoanEvent(depsWith(noWorkflow, quota), LOAN_ID, transfer));
    expect([short.code, short.details]).toEqual([
      'EXPOSURE_QUOTA',
      { path: 'principalMinor', lenderId: PARTNER_A, rule: 'EXPOSURE_QUOTA', quotaMinor: '9999', outstandingMinor: '0', reservedMinor: '0', requestedMinor: '10000' },
    ]);
    expect(quota.db.transactions).toBe(0);

    const capped = seeded();
    seed(capped, { lenders: [aLender({ lenderId: PARTNER_A, limits: aLimits({ perBorrowerCapMinor: 9_999n }) })] });
    const cap = await rejectedBy(RuleViolation, () => postLoanEvent(depsWith(noWorkflow, capped), LOAN_ID, transfer));
    expect([cap.code, cap.details]).toEqual(['PER_BORROWER_CAP', { path: 'principalMinor', rule: 'PER_BORROWER_CAP', capMinor: '9999', existingMinor: '0', requestedMinor: '10000' }]);
    expect(capped.db.transactions).toBe(0);

    // Within both, it is booked; sent again after the room is gone, it answers as booked, not refused.
    const room = seeded();
    seed(room, { lenders: [aLender({ lenderId: PARTNER_A, limits: aLimits({ exposureQuotaMinor: 10_000n }) })] });
    const deps = depsWith(noWorkflow, room);
    expect((await postLoanEvent(deps, LOAN_ID, transfer)).statusCode).toBe(201);
    room.db.lenders.set(PARTNER_A, aLender({ lenderId: PARTNER_A, limits: aLimits({ exposureQuotaMinor: 0n }) }));
    expect((await postLoanEvent(deps, LOAN_ID, transfer)).statusCode).toBe(200);
  });

  it('books a buyback in the function (201, then 200 for the same again), and a stated price that is not the price is a 409 conflict', async () => {
    const deps = depsWith(noWorkflow);
    const buyback = { type: 'BUYBACK' as const, eventId: 'B-1', valueDate: '2025-03-15', reason: 'Partner exit', sellerLenderId: PARTNER_B, buyerId: LEAD_ID, expectedPriceMinor: null };
    const mismatch = await rejectedBy(StateConflict, () => postLoanEvent(deps, LOAN_ID, { ...buyback, expectedPriceMinor: 300_845n }));
    expect(mismatch.details).toMatchObject({ expectedPriceMinor: '300845', priceMinor: '300846' });
    const answer = await postLoanEvent(deps, LOAN_ID, buyback);
    expect(answer).toMatchObject({ statusCode: 201, body: { status: 'BOOKED', event: { type: 'BUYBACK', entryId: 'BUYBACK#B-1', buyback: { price: { priceMinor: '300846' } } } } });
    expect((await postLoanEvent(deps, LOAN_ID, buyback)).statusCode).toBe(200);
  });
});

/*
 * Reads over a loan booked for real: R-1 pays instalment 1 on time (80,600 + 6,042; the lead
 * 32,240 + 2,416, each partner 24,180 + 1,813), R-2 pays 90,000 on 2025-05-01 against instalment 2's
 * 81,087 + 5,555 (the lead 32,435 + 2,221, each partner 24,326 + 1,667) and leaves 3,358 in suspense.
 */
async function bookedLoan(): Promise<RepaymentsDeps> {
  const stores = seeded();
  const book = { loan: (id: string) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock };
  for (const [repaymentId, valueDate, amountMinor] of [
    ['R-1', '2025-04-01', 86_642n],
    ['R-2', '2025-05-01', 90_000n],
  ] as const) {
    const result = await splitAndBook(book, { action: 'BOOK', repayment: { repaymentId, loanId: LOAN_ID, amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT', kind: 'REGULAR' } });
    expect(result.status).toBe('BOOKED');
  }
  return depsWith(noWorkflow, stores);
}

function lender(lenderId: string, principalMinor: string, interestMinor: string) {
  return { lenderId, principalMinor, interestMinor, penaltyMinor: '0', feeMinor: '0', spreadMinor: '0' };
}

describe('getRepayment', () => {
  it('shows the lead and platform finance every lender’s part and the suspense', async () => {
    const deps = await bookedLoan();
    for (const principal of [leadOps, platformFinance]) {
      const view = await getRepayment(deps, principal, 'R-2');
      expect(view).toMatchObject({
        repaymentId: 'R-2',
        amountMinor: '90000',
        entryId: 'REPAYMENT#R-2',
        split: { lenders: [lender(LEAD_ID, '32435', '2221'), lender(PARTNER_A, '24326', '1667'), lender(PARTNER_B, '24326', '1667')], suspenseMinor: '3358' },
      });
    }
  });

  it('shows a partner only its own row of the split, and says suspense is not shown to it (null) rather than 0', async () => {
    const deps = await bookedLoan();
    const view = await getRepayment(deps, partnerOf(PARTNER_A), 'R-2');
    expect(view.split.lenders).toEqual([lender(PARTNER_A, '24326', '1667')]);
    // R-2 put 3,358 fen in suspense: the lead sees it, a partner is told nothing about it.
    expect(view.split.suspenseMinor).toBeNull();
    expect((await getRepayment(deps, leadOps, 'R-2')).split.suspenseMinor).toBe('3358');
    expect((await getLoanRepayments(deps, partnerOf(PARTNER_A), LOAN_ID)).repayments.map((r) => r.split.suspenseMinor)).toEqual([null, null]);
    expect((await getRepayment(deps, financeOf(PARTNER_B), 'R-1')).split.lenders).toEqual([lender(PARTNER_B, '24180', '1813')]);
  });

  it('answers 404 to a lender with no part in the loan, as for a repayment that does not exist', async () => {
    const deps = await bookedLoan();
    for (const [principal, repaymentId] of [
      [partnerOf('PARTNER-C'), 'R-1'],
      [leadOps, 'R-9'],
    ] as const) {
      const error = await rejectedBy(NotFound, () => getRepayment(deps, principal, repaymentId));
      expect([error.code, error.details]).toEqual(['NOT_FOUND', { repaymentId }]);
    }
  });
});

describe('getLoanRepayments', () => {
  it('shows the lead the account today and every repayment', async () => {
    const deps = await bookedLoan();
    const account = await getLoanRepayments(deps, leadOps, LOAN_ID);
    // 1,000,000 − 80,600 − 81,087 = 838,313; the lead 400,000 − 32,240 − 32,435 = 335,325;
    // each partner 300,000 − 24,180 − 24,326 = 251,494
    expect(account).toMatchObject({
      loanId: LOAN_ID,
      currency: 'CNY',
      asOf: '2025-05-05',
      status: 'ACTIVE',
      daysPastDue: 0,
      outstandingPrincipalMinor: 838_313n,
      penaltyOutstandingMinor: 0n,
      suspenseMinor: 3_358n,
      reschedules: 0,
      lenders: [
        { lenderId: LEAD_ID, outstandingPrincipalMinor: 335_325n },
        { lenderId: PARTNER_A, outstandingPrincipalMinor: 251_494n },
        { lenderId: PARTNER_B, outstandingPrincipalMinor: 251_494n },
      ],
    });
    expect(account.instalments).toHaveLength(12);
    expect(account.instalments?.slice(0, 2).map((r) => [r.paidPrincipalMinor, r.paidInterestMinor])).toEqual([
      [80_600n, 6_042n],
      [81_087n, 5_555n],
    ]);
    expect(account.repayments.map((r) => [r.repaymentId, r.split.lenders.length, r.split.suspenseMinor])).toEqual([
      ['R-1', 3, '0'],
      ['R-2', 3, '3358'],
    ]);
  });

  it('shows a partner only its own outstanding principal and its own part of each repayment', async () => {
    const deps = await bookedLoan();
    const account = await getLoanRepayments(deps, partnerOf(PARTNER_A), LOAN_ID);
    expect(account).toMatchObject({ outstandingPrincipalMinor: null, suspenseMinor: null, instalments: null, lenders: [{ lenderId: PARTNER_A, outstandingPrincipalMinor: 251_494n }] });
    expect(account.repayments.map((r) => r.split)).toEqual([
      expect.objectContaining({ lenders: [lender(PARTNER_A, '24180', '1813')], suspenseMinor: null }),
      expect.objectContaining({ lenders: [lender(PARTNER_A, '24326', '1667')], suspenseMinor: null }),
    ]);
  });

  it('shows a guarantor that bought a share back its own part, which it did not fund', async () => {
    const stores = createInMemoryStores(AT);
    const loan = seedBookedLoan(
      stores,
      aLoan({}, { participants: [...defaultParticipants(), aParticipant(GUARANTOR_ID, 'GUARANTOR', null)], fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID } }),
    );
    const deps = depsWith(noWorkflow, stores);
    await expect(getLoanRepayments(deps, partnerOf(GUARANTOR_ID), loan.loanId)).rejects.toBeInstanceOf(NotFound);
    await postLoanEvent(deps, loan.loanId, { type: 'BUYBACK', eventId: 'B-1', valueDate: '2025-04-11', reason: 'Guarantor buyback', sellerLenderId: PARTNER_B, buyerId: GUARANTOR_ID, expectedPriceMinor: null });
    const account = await getLoanRepayments(deps, partnerOf(GUARANTOR_ID), loan.loanId);
    expect(account.lenders).toMatchObject([{ lenderId: GUARANTOR_ID, outstandingPrincipalMinor: 300_000n }]);
    expect(account.events.map((e) => e.legs.every((leg) => leg.lenderId === GUARANTOR_ID))).toEqual([true]);
  });

  it("shows the borrower's period fees owed by rule: all of them to the lead, to a partner only those it earns", async () => {
    const stores = createInMemoryStores(AT);
    const rule = (id: string, payee: string) => ({ id, kind: 'OTHER' as const, payee, base: 'FLAT' as const, rate: null, amountMinor: 1_500n, period: 'MONTHLY' as const, payer: { kind: 'BORROWER' as const } });
    const loan = seedBookedLoan(
      stores,
      aLoan({}, { participants: [...defaultParticipants(), aParticipant(GUARANTOR_ID, 'GUARANTOR', null)], fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID, rules: [rule('TO-LEAD', LEAD_ID), rule('TO-GUARANTOR', GUARANTOR_ID)] } }),
    );
    const deps = depsWith(noWorkflow, stores);
    // March billed 1,500 under each rule; 86,642 + 2,000 on 2025-04-01 pays the instalment, then 1,500 to the lead's rule and 500 to the guarantor's
    expect((await bookPeriodFees({ loan: (id) => stores.loans.get(id), repayments: stores.repayments, ledger: stores.ledger, clock: stores.clock }, loan.loanId, '2025-03')).booked).toHaveLength(2);
    await postRepayments(deps, { repayments: [{ repaymentId: 'R-1', loanId: loan.loanId, amountMinor: 88_642n, currency: 'CNY', valueDate: '2025-04-01', channel: 'AUTO_DEBIT', kind: 'REGULAR' }] });
    expect((await getLoanRepayments(deps, leadOps, loan.loanId)).feesOwed).toEqual([{ ruleId: 'TO-GUARANTOR', amountMinor: 1_000n }]);
    expect((await getLoanRepayments(deps, partnerOf(PARTNER_A), loan.loanId)).feesOwed).toEqual([]);
  });

  it('answers 404 to a lender with no part in the loan, as for a loan that does not exist', async () => {
    const deps = await bookedLoan();
    for (const [principal, loanId] of [
      [partnerOf('PARTNER-C'), LOAN_ID],
      [leadOps, 'LN-NONE'],
    ] as const) {
      const error = await rejectedBy(NotFound, () => getLoanRepayments(deps, principal, loanId));
      expect([error.code, error.details]).toEqual(['NOT_FOUND', { loanId }]);
    }
  });
});
