import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitAndBook, type RepaymentBookDeps } from '../../shared/use-cases/loan-changes.ts';
import { systemClock } from '../../shared/adapters/clock.ts';
import { decode } from '../../shared/adapters/dynamodb/codec.ts';
import { createDocumentClient, ALL_STORES, createStores } from '../../shared/adapters/dynamodb/index.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import { findTables, verifyLedger } from '../../infra/cli/ledger-verify.ts';
import { startDynamoDbMeter, type DynamoDbCounts } from '../../infra/local/dynamodb-meter.ts';
import { LOCAL_CREDENTIALS } from '../../infra/local/stack.ts';
import { LOCAL_REGION } from '../../infra/local/template.ts';
import { LONG_LOAN_TERMS, longLoanSteps } from '../support/long-loan.ts';
import { api, dynamodbEndpoint } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, loanBody, post, programBody, type World } from './support/world.ts';

/*
 * A 30-year loan's book at 1,000 events, booked through the SplitAndBook use case on DynamoDB
 * Local behind the counting meter: what each event reads and writes does not grow with the loan's
 * age, and the book verifies. docs/repayment-booking.md.
 */

let w: World;
let meter: Awaited<ReturnType<typeof startDynamoDbMeter>>;
let client: DynamoDBClient;

beforeAll(async () => {
  w = await createWorld();
  meter = await startDynamoDbMeter(dynamodbEndpoint());
  client = new DynamoDBClient({ endpoint: meter.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  client.destroy();
  await meter.close();
});

interface Cost {
  readonly reads: number;
  readonly items: number;
  readonly wcu: number;
}

function costOf(before: DynamoDbCounts, after: DynamoDbCounts): Cost {
  return { reads: after.readRequests - before.readRequests, items: after.writeItems - before.writeItems, wcu: after.writeUnits - before.writeUnits + after.indexWriteUnits - before.indexWriteUnits };
}

describe('a 30-year loan of 1,000 events', () => {
  it('books every event at a cost that does not grow with the loan, and passes ledger verify', { timeout: 300_000 }, async () => {
    const programId = `LONG_${w.suffix}`;
    const program = await post('/v1/programs', w.tokens.lead, programBody({ ...w, programId }, { startDate: '1996-01-01', termMonthsRange: { min: 3, max: 360 }, repaymentMethods: ['EQUAL_INSTALLMENT'] }));
    expect(program.status).toBe(201);
    const loanId = `LONG-${w.suffix}`;
    const booked = await post(
      '/v1/loans',
      w.tokens.lead,
      loanBody({ ...w, programId }, loanId, {
        ...LONG_LOAN_TERMS,
        principalMinor: LONG_LOAN_TERMS.principalMinor.toString(),
        fundingPlan: [
          { lenderId: w.lead, amountMinor: '6000000' },
          { lenderId: w.bankA, amountMinor: '4500000' },
          { lenderId: w.bankB, amountMinor: '4500000' },
        ],
      }),
    );
    expect(booked.status, JSON.stringify(booked.json)).toBe(201);
    const loan = decode<Loan>(booked.json);
    const tables = await findTables(client);
    const stores = createStores(createDocumentClient(client), tables, ALL_STORES);
    const deps: RepaymentBookDeps = { loan: async () => loan, repayments: stores.repayments, programPools: stores.programPools, clock: systemClock };

    const steps = longLoanSteps(loan);
    expect(steps).toHaveLength(1_000);
    const costs: Cost[] = [];
    /** How many lenders each change repaid principal to: each has its principal shard added to, and the borrower's principal with them. */
    const repaidTo: number[] = [];
    for (const step of steps) {
      const before = meter.counts();
      const result = await splitAndBook(deps, step);
      costs.push(costOf(before, meter.counts()));
      repaidTo.push('repayment' in result ? result.repayment.split.lenders.filter((l) => l.principalMinor !== '0').length : 0);
      expect(result.status, step.action === 'BOOK' ? step.repayment.repaymentId : 'the reversal').toBe(step.action === 'BOOK' ? 'BOOKED' : 'REVERSED');
    }

    // Every change in order reads the head with the positions, once, and writes one transaction
    // (a repayment's record is not read: its id being new is a condition of the write); none costs
    // more at the 1,000th event than at the first ones.
    const reversal = steps.findIndex((s) => s.action === 'REVERSE');
    const inOrder = costs.filter((_, i) => i !== reversal);
    expect(new Set(inOrder.map((c) => c.reads))).toEqual(new Set([1]));
    const early = costs.slice(0, 100);
    const late = costs.slice(-100);
    expect(Math.max(...late.map((c) => c.items))).toBeLessThanOrEqual(Math.max(...early.map((c) => c.items)));
    expect(Math.max(...late.map((c) => c.wcu))).toBeLessThanOrEqual(Math.max(...early.map((c) => c.wcu)));
    // The head (with the positions), the event, its entry and the repayment's record; and, when it
    // repays principal, one principal shard per lender repaid and the borrower's principal (S35, S36).
    const outstandingItems = (i: number): number => ((repaidTo[i] ?? 0) === 0 ? 0 : (repaidTo[i] ?? 0) + 1);
    expect(costs.map((c, i) => (i === reversal ? null : c.items - outstandingItems(i))).filter((n) => n !== null)).toEqual(inOrder.map(() => 4));
    expect(Math.max(...costs.map((c, i) => (i === reversal ? 0 : c.wcu - 2 * outstandingItems(i))))).toBeLessThanOrEqual(10);
    // The reversal reads the state before the payment and the events after it, then the head again
    // to know no change landed in between, and restates them.
    expect(costs[reversal]!.reads).toBe(5);

    // The whole book folded for the view: every row paid, nothing overdue.
    const account = await api<{ status: string; daysPastDue: number; outstandingPrincipalMinor: string; reschedules: number }>(`/v1/loans/${loanId}/repayments`, { token: w.tokens.lead });
    expect(account.status).toBe(200);
    expect(account.json).toMatchObject({ status: 'PAID_OFF', daysPastDue: 0, outstandingPrincipalMinor: '0', reschedules: 1 });
    const verified = await verifyLedger({ endpoint: dynamodbEndpoint(), tables });
    expect(verified.differences.filter((d) => d.loanId === loanId)).toEqual([]);
    expect(verified.differenceCount).toBe(0);
    await expectLedgerBalanced();
  });
});
