import { describe, expect, it } from 'vitest';
import type { RepaymentStepInput, RepaymentStepResult, RepaymentView } from '../../../../functions/repayment-book/schema.ts';
import { splitAndBook } from '../../../../functions/repayment-book/use-case.ts';
import { getLoanRepayments, getRepayment, postRepayments, reverseRepayment, type RepaymentsDeps } from '../../../../functions/repayments/use-case.ts';
import { applyEntry, openPosition } from '../../../../shared/domain/ledger.ts';
import { disbursementEntry } from '../../../../shared/domain/loan.ts';
import { HttpError } from '../../../../shared/http/errors.ts';
import type { RepaymentRequestBody } from '../../../../shared/http/schemas.ts';
import type { SyncWorkflow } from '../../../../shared/ports/stores.ts';
import { LEAD_ID, LOAN_ID, NOW, PARTNER_A, PARTNER_B, aLoan, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const AT = '2025-05-05T02:00:00.000Z';

/** The answers of the workflow are passed through untouched; a marker object stands for a repayment view. */
function aView(repaymentId: string): RepaymentView {
  return { repaymentId, loanId: LOAN_ID, marker: `view of ${repaymentId}` } as unknown as RepaymentView;
}

function refusal(statusCode: number, code: string, details: Record<string, unknown>): RepaymentStepResult {
  return { status: 'REFUSED', statusCode, error: { code, message: `refused: ${code}`, details } };
}

/** A workflow whose runs stay open until the test answers them, so it can count them in flight. */
class HeldWorkflow implements SyncWorkflow {
  readonly inputs: unknown[] = [];
  readonly open: { input: RepaymentStepInput; answer: (result: RepaymentStepResult) => void }[] = [];

  run(input: unknown): Promise<unknown> {
    this.inputs.push(input);
    return new Promise((resolve) => this.open.push({ input: input as RepaymentStepInput, answer: resolve }));
  }
}

/** A workflow that answers every run at once from a table. */
function cannedWorkflow(answer: (input: RepaymentStepInput) => RepaymentStepResult): SyncWorkflow & { inputs: unknown[] } {
  const inputs: unknown[] = [];
  return {
    inputs,
    run: async (input: unknown) => {
      inputs.push(input);
      return answer(input as RepaymentStepInput);
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function body(count: number): { repayments: RepaymentRequestBody[] } {
  return {
    repayments: Array.from({ length: count }, (_, i) => ({
      repaymentId: `R-${i + 1}`,
      loanId: LOAN_ID,
      amountMinor: 1_000n + BigInt(i),
      currency: 'CNY',
      valueDate: '2025-04-01',
      channel: 'AUTO_DEBIT' as const,
      kind: 'REGULAR' as const,
    })),
  };
}

function depsWith(split: SyncWorkflow, stores: InMemoryStores = createInMemoryStores(AT)): RepaymentsDeps {
  return { split, loans: stores.loans, repayments: stores.repayments, clock: stores.clock };
}

function idOf(input: RepaymentStepInput): string {
  if (input.action !== 'BOOK') throw new Error(`expected a booking, got ${input.action}`);
  return input.repayment.repaymentId;
}

describe('postRepayments', () => {
  it('answers in request order, with at most 8 repayments in the workflow at once', async () => {
    const workflow = new HeldWorkflow();
    const request = body(20);
    const done = postRepayments(depsWith(workflow), request);
    let mostInFlight = 0;
    for (;;) {
      await settle();
      mostInFlight = Math.max(mostInFlight, workflow.open.length);
      if (workflow.open.length === 0) break;
      // answer the latest first, so answers arrive out of request order
      for (const run of workflow.open.splice(0).reverse()) {
        const id = idOf(run.input);
        run.answer({ status: 'BOOKED', repayment: aView(id), entryIds: [`REPAYMENT#${id}`] });
      }
    }
    const { results } = await done;
    expect(mostInFlight).toBe(8);
    expect(workflow.inputs).toHaveLength(20);
    expect(workflow.inputs[0]).toEqual({ action: 'BOOK', repayment: request.repayments[0] });
    expect(results.map((r) => r.repaymentId)).toEqual(request.repayments.map((r) => r.repaymentId));
    expect(results[19]).toEqual({ repaymentId: 'R-20', status: 'BOOKED', repayment: aView('R-20') });
  });

  it('starts only as many runs as there are repayments', async () => {
    const workflow = new HeldWorkflow();
    const done = postRepayments(depsWith(workflow), body(3));
    await settle();
    expect(workflow.open).toHaveLength(3);
    for (const run of workflow.open.splice(0)) run.answer({ status: 'BOOKED', repayment: aView(idOf(run.input)), entryIds: [] });
    expect((await done).results).toHaveLength(3);
  });

  it('maps each step result: BOOKED and REPLAYED with the repayment, REFUSED with the error alone', async () => {
    const workflow = cannedWorkflow((input) => {
      const id = idOf(input);
      if (id === 'R-2') return { status: 'REPLAYED', repayment: aView(id), entryIds: [] };
      if (id === 'R-3') return refusal(422, 'VALUE_DATE_IN_FUTURE', { path: 'valueDate', today: '2025-05-05' });
      return { status: 'BOOKED', repayment: aView(id), entryIds: [`REPAYMENT#${id}`] };
    });
    const { results } = await postRepayments(depsWith(workflow), body(3));
    expect(results).toEqual([
      { repaymentId: 'R-1', status: 'BOOKED', repayment: aView('R-1') },
      { repaymentId: 'R-2', status: 'REPLAYED', repayment: aView('R-2') },
      { repaymentId: 'R-3', status: 'REFUSED', error: { code: 'VALUE_DATE_IN_FUTURE', message: 'refused: VALUE_DATE_IN_FUTURE', details: { path: 'valueDate', today: '2025-05-05' } } },
    ]);
  });
});

describe('reverseRepayment', () => {
  const reversal = { reversalId: 'V-1', reason: 'BOUNCED' as const, comment: null };

  function withRecord(split: SyncWorkflow): RepaymentsDeps {
    const stores = createInMemoryStores(AT);
    stores.db.repaymentRecords.set('R-1', { repaymentId: 'R-1', loanId: LOAN_ID, valueDate: '2025-04-01', seq: 1, resultJson: '{}', createdAt: NOW });
    return depsWith(split, stores);
  }

  it('sends the reversal through the workflow on the loan of the repayment record', async () => {
    const workflow = cannedWorkflow(() => ({ status: 'REVERSED', repayment: aView('R-1'), entryIds: ['REVERSAL#V-1'] }));
    const answer = await reverseRepayment(withRecord(workflow), 'R-1', reversal);
    expect(answer).toEqual({ status: 'REVERSED', repayment: aView('R-1') });
    expect(workflow.inputs).toEqual([{ action: 'REVERSE', loanId: LOAN_ID, repaymentId: 'R-1', reversal }]);
  });

  it("turns the step's refusal into an HttpError with the step's status code and code", async () => {
    const workflow = cannedWorkflow(() => refusal(409, 'ALREADY_REVERSED', { path: 'reversalId', reversalId: 'V-0' }));
    const error = await rejectedBy(HttpError, () => reverseRepayment(withRecord(workflow), 'R-1', reversal));
    expect([error.statusCode, error.code, error.message, error.details]).toEqual([409, 'ALREADY_REVERSED', 'refused: ALREADY_REVERSED', { path: 'reversalId', reversalId: 'V-0' }]);
  });

  it('answers 404 for a repayment never booked, without running the workflow', async () => {
    const workflow = cannedWorkflow(() => {
      throw new Error('not expected');
    });
    const error = await rejectedBy(HttpError, () => reverseRepayment(withRecord(workflow), 'R-9', reversal));
    expect([error.statusCode, error.code, error.details]).toEqual([404, 'NOT_FOUND', { repaymentId: 'R-9' }]);
    expect(workflow.inputs).toEqual([]);
  });
});

/*
 * Reads over a loan booked for real: R-1 pays instalment 1 on time (80,600 + 6,042; the lead
 * 32,240 + 2,416, each partner 24,180 + 1,813), R-2 pays 90,000 on 2025-05-01 against instalment 2's
 * 81,087 + 5,555 (the lead 32,435 + 2,221, each partner 24,326 + 1,667) and leaves 3,358 in suspense.
 */
async function bookedLoan(): Promise<RepaymentsDeps> {
  const stores = createInMemoryStores(AT);
  const loan = aLoan();
  const entry = disbursementEntry(loan, NOW);
  stores.db.loans.set(loan.loanId, loan);
  stores.db.entries.set(`${loan.loanId}#${entry.entryId}`, entry);
  for (const part of loan.fundingPlan) stores.db.positions.set(`${loan.loanId}#${part.lenderId}`, applyEntry(openPosition(part.lenderId, loan.loanId, loan.currency), entry));
  const book = { loan: (id: string) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock };
  for (const [repaymentId, valueDate, amountMinor] of [
    ['R-1', '2025-04-01', 86_642n],
    ['R-2', '2025-05-01', 90_000n],
  ] as const) {
    const result = await splitAndBook(book, { action: 'BOOK', repayment: { repaymentId, loanId: LOAN_ID, amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT', kind: 'REGULAR' } });
    expect(result.status).toBe('BOOKED');
  }
  return depsWith(
    cannedWorkflow(() => {
      throw new Error('reads do not run the workflow');
    }),
    stores,
  );
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

  it('shows a partner only its own row of the split, and no suspense', async () => {
    const deps = await bookedLoan();
    const view = await getRepayment(deps, partnerOf(PARTNER_A), 'R-2');
    expect(view.split.lenders).toEqual([lender(PARTNER_A, '24326', '1667')]);
    expect(view.split.suspenseMinor).toBe('0');
    expect((await getRepayment(deps, financeOf(PARTNER_B), 'R-1')).split.lenders).toEqual([lender(PARTNER_B, '24180', '1813')]);
  });

  it('answers 404 to a lender with no part in the loan, as for a repayment that does not exist', async () => {
    const deps = await bookedLoan();
    for (const [principal, repaymentId] of [
      [partnerOf('PARTNER-C'), 'R-1'],
      [leadOps, 'R-9'],
    ] as const) {
      const error = await rejectedBy(HttpError, () => getRepayment(deps, principal, repaymentId));
      expect([error.statusCode, error.code, error.details]).toEqual([404, 'NOT_FOUND', { repaymentId }]);
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
      expect.objectContaining({ lenders: [lender(PARTNER_A, '24180', '1813')], suspenseMinor: '0' }),
      expect.objectContaining({ lenders: [lender(PARTNER_A, '24326', '1667')], suspenseMinor: '0' }),
    ]);
  });

  it('answers 404 to a lender with no part in the loan, as for a loan that does not exist', async () => {
    const deps = await bookedLoan();
    for (const [principal, loanId] of [
      [partnerOf('PARTNER-C'), LOAN_ID],
      [leadOps, 'LN-NONE'],
    ] as const) {
      const error = await rejectedBy(HttpError, () => getLoanRepayments(deps, principal, loanId));
      expect([error.statusCode, error.code, error.details]).toEqual([404, 'NOT_FOUND', { loanId }]);
    }
  });
});
