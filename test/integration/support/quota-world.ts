import { expiresAtEpochSeconds } from '../../../shared/http/idempotency.ts';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { ALL_STORES, createStores, type Stores } from '../../../shared/adapters/dynamodb/index.ts';
import { quotaTotals } from '../../../shared/domain/exposure.ts';
import type { ApplicationRecord } from '../../../shared/ports/stores.ts';
import { dynamodbEndpoint } from './stack.ts';
import { lenderBody, post, programBody, type World } from './world.ts';

/**
 * Lenders with tight quotas and applications planned without a review, for the tests that drive
 * the Disbursement saga's steps (and their failures) against the stack's DynamoDB Local.
 */

export const frozenClock = { now: () => '2026-11-29T10:00:00.000Z' };

/** The stores of the stack's tables, as the functions see them. */
export async function stackStores(): Promise<Stores> {
  const client = new DynamoDBClient({ endpoint: dynamodbEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  const table = (prefix: string) => TableNames.find((t) => t.startsWith(prefix)) ?? '';
  return createStores(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), { ledger: table('LedgerTable'), state: table('StateTable') }, ALL_STORES);
}

export interface QuotaWorld {
  readonly lead: string;
  readonly d: string;
  readonly e: string;
  readonly programId: string;
}

/** A fresh lead and two partners; partner D can fund exactly one 300,000-fen part. */
export async function quotaWorld(w: World, label: string): Promise<QuotaWorld> {
  const ids = { lead: `QL_${w.suffix}_${label}`, d: `QD_${w.suffix}_${label}`, e: `QE_${w.suffix}_${label}` };
  await post('/v1/lenders', w.tokens.lead, lenderBody(ids.lead, ['LEAD'], { limits: { exposureQuotaMinor: '100000000000', perBorrowerCapMinor: '20000000', maxShareBps: 4000 } }));
  await post('/v1/lenders', w.tokens.lead, lenderBody(ids.d, ['PARTNER'], { limits: { exposureQuotaMinor: '300000', perBorrowerCapMinor: '300000' } }));
  await post('/v1/lenders', w.tokens.lead, lenderBody(ids.e, ['PARTNER']));
  const programId = `QP_${w.suffix}_${label}`;
  const res = await post(
    '/v1/programs',
    w.tokens.lead,
    programBody(
      { programId, lead: ids.lead, bankA: ids.d, bankB: ids.e, guarantor: w.guarantor },
      {
        allocationPolicy: 'PRIORITY_FILL',
        participants: [
          { lenderId: ids.lead, role: 'LEAD', targetShareBps: 4000, priority: 0 },
          { lenderId: ids.d, role: 'PARTNER', targetShareBps: 3000, priority: 1 },
          { lenderId: ids.e, role: 'PARTNER', targetShareBps: 3000, priority: 2 },
        ],
        reviewTimeoutSeconds: 600,
      },
    ),
  );
  expect(res.status, res.text).toBe(201);
  return { ...ids, programId };
}

/** An application of 1,000,000 fen, PLANNED 400,000 / 300,000 / 300,000, as Allocate leaves it. */
export async function plannedApplication(stores: Stores, t: QuotaWorld, applicationId: string): Promise<void> {
  const program = await stores.programs.get(t.programId, null);
  const record: ApplicationRecord = {
    application: {
      applicationId,
      programId: t.programId,
      programVersion: program?.version ?? 1,
      borrower: { borrowerId: `BR-${applicationId}`, type: 'INDIVIDUAL', region: 'CN-31', secured: false },
      amountMinor: 1_000_000n,
      termMonths: 12,
      repaymentMethod: 'EQUAL_INSTALLMENT',
      annualRate: '0.108',
      purpose: 'Household consumption',
      leadApproval: { approved: true, reference: 'LA-1', approvedAt: '2026-11-29T08:00:00Z' },
      createdAt: frozenClock.now(),
    },
    status: 'PLANNED',
    round: 1,
    plan: [
      { lenderId: t.lead, role: 'LEAD', amountMinor: 400_000n },
      { lenderId: t.d, role: 'PARTNER', amountMinor: 300_000n },
      { lenderId: t.e, role: 'PARTNER', amountMinor: 300_000n },
    ],
    reasons: [],
    dropped: [],
    timeline: [],
    loanId: null,
  };
  await stores.applications.create(
    record,
    { step: 'Submitted', at: frozenClock.now(), event: 'SUBMITTED', detail: {}, set: {} },
    { scopeKey: `test#${applicationId}`, requestHash: 'x', statusCode: 202, responseBody: '{}', createdAt: frozenClock.now(), expiresAtEpochSeconds: expiresAtEpochSeconds(frozenClock.now()) },
  );
}

/** Each lender's quota reserved and committed, in fen, in the order given. */
export async function quotaFigures(stores: Stores, lenderIds: readonly string[]): Promise<[string, bigint, bigint][]> {
  return Promise.all(
    lenderIds.map(async (lenderId) => {
      const totals = quotaTotals(await stores.exposure.quotaShards(lenderId));
      return [lenderId, totals.reservedMinor, totals.committedMinor] as [string, bigint, bigint];
    }),
  );
}
