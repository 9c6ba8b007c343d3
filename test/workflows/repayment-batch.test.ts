import { App, Stack } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { StateGraph } from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { repaymentBatchDefinition } from '../../workflows/repayment-batch/definition.ts';
import { RepaymentBatchStates } from '../../workflows/repayment-batch/states.ts';
import { repaymentBatchStepInput } from '../../functions/repayment-batch/schema.ts';
import { loanGroup, type BatchReport } from '../../shared/contracts/repayments.ts';
import { applyEntry, openPosition } from '../../shared/domain/ledger.ts';
import { disbursementEntry, type Loan } from '../../shared/domain/loan.ts';
import { emptyLedger } from '../../shared/domain/repayment-booking.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { toJson } from '../../shared/json.ts';
import { bookLoanGroup } from '../../shared/use-cases/loan-changes.ts';
import { batchReport, groupByLoan } from '../../shared/use-cases/repayment-batch.ts';
import type { GroupResult, GroupedBatch } from '../../shared/contracts/repayments.ts';
import { LOAN_ID, NOW, aLoan } from '../support/builders.ts';
import { createInMemoryStores, type InMemoryStores } from '../support/in-memory-stores.ts';

type Json = Record<string, unknown>;

let asl: Json;

beforeAll(() => {
  const stack = new Stack(new App(), 'WorkflowTest');
  const fn = (id: string) => new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
  const chain = repaymentBatchDefinition(stack, { batch: fn('BatchFn'), bookLoanGroup: fn('BookLoanGroupFn'), maxConcurrency: 8 });
  asl = stack.resolve(new StateGraph(chain.startState, 'RepaymentBatch').toGraphJson()) as Json;
});

const states = () => asl['States'] as Record<string, Json>;

describe('RepaymentBatch ASL', () => {
  it('groups by loan, books each loan in a Map eight loans at a time, and reports: three states, none that only forwards, each failing into BatchFailed', () => {
    expect(asl['StartAt']).toBe(RepaymentBatchStates.groupByLoan);
    expect(Object.keys(states())).toEqual([RepaymentBatchStates.groupByLoan, RepaymentBatchStates.bookLoans, RepaymentBatchStates.report, RepaymentBatchStates.batchFailed]);
    for (const name of [RepaymentBatchStates.groupByLoan, RepaymentBatchStates.bookLoans, RepaymentBatchStates.report]) {
      expect(states()[name]?.['Catch'], name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: RepaymentBatchStates.batchFailed }]);
    }
    expect(states()[RepaymentBatchStates.batchFailed]).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    expect(states()[RepaymentBatchStates.groupByLoan]).toMatchObject({ Type: 'Task', Parameters: { step: 'GROUP', 'repayments.$': '$.repayments' }, Next: RepaymentBatchStates.bookLoans });
    expect(states()[RepaymentBatchStates.bookLoans]).toMatchObject({ Type: 'Map', ItemsPath: '$.groups', MaxConcurrency: 8, ResultPath: '$.booked', Next: RepaymentBatchStates.report });
    const processor = states()[RepaymentBatchStates.bookLoans]?.['ItemProcessor'] as { States: Record<string, Json> };
    expect(Object.keys(processor.States)).toEqual([RepaymentBatchStates.bookLoanGroup]);
    expect(states()[RepaymentBatchStates.report]).toMatchObject({ Type: 'Task', Parameters: { step: 'REPORT', 'rows.$': '$.rows', 'refused.$': '$.refused', 'booked.$': '$.booked' }, End: true });
  });
});

/** The ASL with each function ARN made concrete, for the local engine. */
function runnable(): StateMachineDefinition {
  const text = JSON.stringify(asl).replace(/\{"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]\}/g, (_, id: string) => `"arn:aws:lambda:ap-east-1:123456789012:function:${id}"`);
  return JSON.parse(text) as StateMachineDefinition;
}

const OTHER_LOAN = 'LN-2025-000002';

function seed(stores: InMemoryStores, loan: Loan): void {
  const entry = disbursementEntry(loan, NOW);
  stores.db.loans.set(loan.loanId, structuredClone(loan));
  stores.db.entries.set(`${loan.loanId}#${entry.entryId}`, entry);
  for (const part of loan.fundingPlan) stores.db.positions.set(`${loan.loanId}#${part.lenderId}`, applyEntry(openPosition(part.lenderId, loan.loanId, loan.currency), entry));
  stores.db.repaymentLedgers.set(loan.loanId, { ...emptyLedger(loan.loanId), version: 1 });
}

/** Runs the workflow with its real steps on in-memory stores; amounts travel as JSON, as in AWS. */
async function runBatch(rows: unknown[]): Promise<{ output: BatchReport; stores: InMemoryStores; groups: string[][] }> {
  const stores = createInMemoryStores('2025-05-05T02:00:00.000Z');
  seed(stores, aLoan());
  seed(stores, aLoan({ loanId: OTHER_LOAN }));
  const deps = { loan: (id: string) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock };
  const groups: string[][] = [];
  const json = <T>(value: unknown): T => JSON.parse(toJson(value)) as T;
  const machine = new StateMachine(runnable());
  const execution = machine.run(json({ repayments: rows }), {
    overrides: {
      taskResourceLocalHandlers: {
        [RepaymentBatchStates.groupByLoan]: (payload) => {
          const input = validate(repaymentBatchStepInput, payload);
          if (input.step !== 'GROUP') throw new Error('GroupByLoan runs the GROUP step');
          return json(groupByLoan(input.repayments));
        },
        [RepaymentBatchStates.bookLoanGroup]: async (payload) => {
          const group = validate(loanGroup, payload);
          groups.push(group.rows.map((r) => r.repayment.repaymentId));
          return json(await bookLoanGroup(deps, group));
        },
        [RepaymentBatchStates.report]: (payload) => {
          const input = validate(repaymentBatchStepInput, payload);
          if (input.step !== 'REPORT') throw new Error('Report runs the REPORT step');
          return json(batchReport(input.rows, input.refused as GroupedBatch['refused'], input.booked as readonly GroupResult[]));
        },
      },
    },
  });
  return { output: (await execution.result) as unknown as BatchReport, stores, groups };
}

const row = (repaymentId: string, loanId: string, valueDate: string, amountMinor: string) => ({ repaymentId, loanId, amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT' });

describe('RepaymentBatch on the local engine, with its real steps', () => {
  it("books each loan's rows in the batch's order, answers every row in that order, and reports suspense and refusals", async () => {
    const { output, stores, groups } = await runBatch([
      row('R-2', LOAN_ID, '2025-05-01', '90000'),
      row('R-9', OTHER_LOAN, '2025-04-01', '86642'),
      { repaymentId: 'R-BAD', loanId: LOAN_ID, amountMinor: '-5', currency: 'CNY', valueDate: '2025-04-01', channel: 'AUTO_DEBIT' },
      row('R-1', LOAN_ID, '2025-04-01', '86642'),
      row('R-3', 'LN-NONE', '2025-04-01', '100'),
      row('R-0', LOAN_ID, '2025-03-15', '5000'),
    ]);
    expect(groups).toEqual([['R-2', 'R-1', 'R-0'], ['R-9'], ['R-3']]);
    expect(output.results.map((r) => [r.repaymentId, r.status])).toEqual([
      ['R-2', 'BOOKED'],
      ['R-9', 'BOOKED'],
      ['R-BAD', 'REFUSED'],
      ['R-1', 'BOOKED'],
      ['R-3', 'REFUSED'],
      ['R-0', 'BOOKED'],
    ]);
    // R-1, valued before R-2 but given after it, rebooked R-2; R-0, before anything is due, is suspense.
    expect(output.results[3]).toMatchObject({ repayment: { rebooked: ['R-2'] } });
    expect(output.results[2]).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { path: 'amountMinor' } } });
    expect(output.report).toEqual({
      rows: 6,
      booked: 4,
      replayed: 0,
      refused: 2,
      loans: 3,
      suspense: [{ repaymentId: 'R-0', loanId: LOAN_ID, suspenseMinor: '5000' }],
      refusedByCode: { VALIDATION_FAILED: 1, LOAN_NOT_FOUND: 1 },
    });
    expect(stores.db.book(LOAN_ID)?.repayments.map((r) => [r.repaymentId, r.generation])).toEqual([
      ['R-2', 1],
      ['R-1', 0],
      ['R-0', 0],
    ]);
  });

  it('answers a batch delivered again with every row replayed, and books nothing more', async () => {
    const rows = [row('R-1', LOAN_ID, '2025-04-01', '86642'), row('R-1', LOAN_ID, '2025-04-01', '86642')];
    const { output, stores } = await runBatch(rows);
    expect(output.results.map((r) => r.status)).toEqual(['BOOKED', 'REPLAYED']);
    expect(output.report).toMatchObject({ booked: 1, replayed: 1, refused: 0 });
    expect(stores.db.transactions).toBe(1);
  });
});
