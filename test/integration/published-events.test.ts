import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishCommitted, type BusEvent, type CommittedChange } from '../../functions/repayment-publish/use-case.ts';
import { decode } from '../../shared/adapters/dynamodb/codec.ts';
import { ledgerKeys } from '../../shared/adapters/dynamodb/ledger-keys.ts';
import { bookedOf } from '../../shared/adapters/dynamodb/repayment-store.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import { findTables } from '../../infra/cli/ledger-verify.ts';
import { LOCAL_CREDENTIALS } from '../../infra/local/stack.ts';
import { StreamPoller, streamSourcesFromTemplate } from '../../infra/local/streams.ts';
import { LOCAL_REGION, TemplateResolver } from '../../infra/local/template.ts';
import { api, dynamodbEndpoint, localTemplate } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, loanBody, post, uniqueKey, type World } from './support/world.ts';

/*
 * Events come from what was committed (docs/adr/0004): a second reader of the ledger table's
 * stream, exactly as the local stack runs the publishing function, whose bus refuses the first
 * put. The event is not lost (the stream hands the change again), not duplicated, and a repayment
 * delivered again publishes nothing.
 */

let w: World;
let dynamodb: DynamoDBClient;
let streams: DynamoDBStreamsClient;
let poller: StreamPoller;
const published: BusEvent[] = [];
let refusals = 0;
const loans = new Map<string, Loan>();

beforeAll(async () => {
  w = await createWorld();
  dynamodb = new DynamoDBClient({ endpoint: dynamodbEndpoint(), region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  streams = new DynamoDBStreamsClient({ endpoint: dynamodbEndpoint(), region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const tables = await findTables(dynamodb);
  const deps = {
    loan: async (loanId: string) => loans.get(loanId) ?? null,
    publish: async (events: readonly BusEvent[]) => {
      if (refusals === 0 && events.some((e) => e.id.includes(w.suffix))) {
        refusals += 1;
        return 0;
      }
      published.push(...events);
      return events.length;
    },
  };
  poller = new StreamPoller(streamSourcesFromTemplate(new TemplateResolver(localTemplate())), {
    dynamodb,
    streams,
    tableName: (logicalId) => (logicalId.startsWith('LedgerTable') ? tables.ledger : tables.state),
    // What the publishing function does with a batch, on this test's bus.
    invoke: async (_fn, event) => {
      const records = (event as { Records: { dynamodb: { Keys: Record<string, AttributeValue>; SequenceNumber: string; NewImage?: Record<string, AttributeValue>; OldImage?: Record<string, AttributeValue> } }[] }).Records;
      const changes: CommittedChange[] = records
        .filter((r) => loans.has(ledgerKeys.loanIdOf(String(r.dynamodb.Keys.pk?.S))))
        .map((r) => ({
          loanId: ledgerKeys.loanIdOf(String(r.dynamodb.Keys.pk?.S)),
          sequenceNumber: r.dynamodb.SequenceNumber,
          before: r.dynamodb.OldImage ? bookedOf(unmarshall(r.dynamodb.OldImage)) : null,
          after: r.dynamodb.NewImage ? bookedOf(unmarshall(r.dynamodb.NewImage)) : null,
        }));
      const failed = await publishCommitted(deps, changes);
      return { batchItemFailures: failed === null ? [] : [{ itemIdentifier: failed }] };
    },
    log: () => undefined,
  });
});

afterAll(async () => {
  await poller.stop();
  streams.destroy();
  dynamodb.destroy();
  await expectLedgerBalanced();
});

describe('events from what was committed', () => {
  it('a refused put is handed again from the stream: one event per booking, none for a replay', async () => {
    const loanId = `EV-${w.suffix}`;
    const booked = await post('/v1/loans', w.tokens.lead, loanBody(w, loanId, { disbursementDate: '2026-01-05' }));
    expect(booked.status).toBe(201);
    loans.set(loanId, decode<Loan>(booked.json));
    const repayment = { repaymentId: `EV-R-${w.suffix}`, loanId, amountMinor: '88289', currency: 'CNY', valueDate: '2026-02-05', channel: 'AUTO_DEBIT' };
    for (let delivery = 0; delivery < 2; delivery++) {
      const res = await api<{ results: { status: string }[] }>('/v1/repayments', { method: 'POST', headers: { 'idempotency-key': uniqueKey('w') }, token: w.tokens.lead, body: { repayments: [repayment] } });
      expect(res.json.results[0]?.status).toBe(delivery === 0 ? 'BOOKED' : 'REPLAYED');
    }
    poller.start();
    await poller.settled(20_000);
    expect(refusals).toBe(1);
    const ours = published.filter((e) => e.id.includes(w.suffix));
    expect(ours.map((e) => [e.id, e.detailType])).toEqual([[`REPAYMENT#EV-R-${w.suffix}`, 'colend.repayment.booked']]);
    expect(JSON.parse(ours[0]!.detail)).toMatchObject({ id: `REPAYMENT#EV-R-${w.suffix}`, loanId, repayment: { repaymentId: `EV-R-${w.suffix}`, amountMinor: '88289' } });
  });

  it('the local stack publishes the booking on its bus from the stream', async () => {
    const loanId = `EV2-${w.suffix}`;
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId, { disbursementDate: '2026-01-05' }))).status).toBe(201);
    const repaymentId = `EV2-R-${w.suffix}`;
    const res = await api<{ results: { status: string }[] }>('/v1/repayments', {
      method: 'POST',
      headers: { 'idempotency-key': uniqueKey('w') },
      token: w.tokens.lead,
      body: { repayments: [{ repaymentId, loanId, amountMinor: '88289', currency: 'CNY', valueDate: '2026-02-05', channel: 'AUTO_DEBIT' }] },
    });
    expect(res.json.results[0]?.status).toBe('BOOKED');
    let seen: { detail: { id: string } }[] = [];
    for (let tries = 0; tries < 100 && seen.length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const listed = (await api('/local/events?detailType=colend.repayment.booked', {})).json as { events: { detail: { id: string } }[] };
      seen = listed.events.filter((e) => e.detail.id === `REPAYMENT#${repaymentId}`);
    }
    expect(seen).toHaveLength(1);
  });
});
