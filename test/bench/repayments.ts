import { randomUUID } from 'node:crypto';
import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ledgerKeys } from '../../shared/adapters/dynamodb/ledger-keys.ts';
import { stateKeys } from '../../shared/adapters/dynamodb/state-keys.ts';
import { LOCAL_CREDENTIALS, type LocalStack } from '../../infra/local/stack.ts';
import { LOCAL_REGION } from '../../infra/local/template.ts';
import { formatMs, percentile } from './stats.ts';
import { call, setUpProgram } from './setup.ts';

/**
 * Repayments end to end over HTTP: `POST /v1/repayments` → the RepaymentSplit workflow (Express,
 * synchronous) → SplitAndBook and Publish, on loans booked first. Prints; asserts nothing about time.
 */

const CLIENTS = 8;
const BATCH = 25;
/** Half a year before the run (2026-11-29): five monthly instalments are due, 2026-07-02 to 2026-11-02. */
const DISBURSEMENT_DATE = '2026-06-02';
const LAST_VALUE_DATE = '2026-11-29';
/** Each loan gets one payment per instalment due, in value-date order. */
const PAYMENTS_PER_LOAN = 5;
/** What an overpayment pays above the instalment (300.00 yuan, to suspense under the default terms). */
const OVERPAYMENT_MINOR = 30_000n;

interface Instalment {
  readonly dueDate: string;
  readonly amountMinor: bigint;
}
interface Payment {
  readonly loanId: string;
  readonly valueDate: string;
  readonly amountMinor: bigint;
}

type Counts = NonNullable<ReturnType<LocalStack['dynamoDbCounts']>>;
const NO_COUNTS: Counts = { requests: {}, readRequests: 0, writeItems: 0, transactionalWriteItems: 0 };

/** Books each client's loans, the 8 clients at once (not measured). */
async function bookLoans(stack: LocalStack, token: string, setup: Awaited<ReturnType<typeof setUpProgram>>, loansByClient: readonly string[][]): Promise<void> {
  await Promise.all(
    loansByClient.map(async (loanIds) => {
      for (const loanId of loanIds) {
        const { status } = await call(stack, token, 'POST', '/v1/loans', {
          loanId,
          programId: setup.programId,
          borrower: { borrowerId: `PB-${loanId}`, type: 'INDIVIDUAL', region: 'CN-31' },
          currency: 'CNY',
          principalMinor: '1000003',
          annualRate: '0.108',
          termMonths: 12,
          repaymentMethod: 'EQUAL_INSTALLMENT',
          disbursementDate: DISBURSEMENT_DATE,
          disbursementReference: `R-${loanId}`,
          fundingPlan: [
            { lenderId: setup.lead, amountMinor: '400001' },
            { lenderId: setup.a, amountMinor: '300001' },
            { lenderId: setup.b, amountMinor: '300001' },
          ],
        });
        if (status !== 201) throw new Error(`bench setup: loan ${loanId} answered ${status}`);
      }
    }),
  );
}

/** The instalments due by the last value date; every bench loan has the same terms, so the same schedule. */
async function instalmentsDue(stack: LocalStack, token: string, loanId: string): Promise<Instalment[]> {
  const { status, json } = await call(stack, token, 'GET', `/v1/loans/${loanId}/repayments`);
  const rows = (json as { instalments?: { dueDate: string; principalMinor: string; interestMinor: string }[] } | null)?.instalments ?? [];
  const due = rows.filter((r) => r.dueDate <= LAST_VALUE_DATE).map((r) => ({ dueDate: r.dueDate, amountMinor: BigInt(r.principalMinor) + BigInt(r.interestMinor) }));
  if (status !== 200 || due.length < PAYMENTS_PER_LOAN) throw new Error(`bench setup: ${due.length} instalments due on ${loanId}`);
  return due.slice(0, PAYMENTS_PER_LOAN);
}

/**
 * One loan's payments in value-date order, by the loan's number: half pay each instalment on its
 * due date; a quarter pay 40% of the first instalment on time and catch up with the next one; a
 * quarter overpay the first instalment.
 */
function paymentsOf(loanId: string, n: number, due: readonly Instalment[]): Payment[] {
  const payments = due.map((d) => ({ loanId, valueDate: d.dueDate, amountMinor: d.amountMinor }));
  const [first, second] = payments as [Payment, Payment];
  if (n % 4 === 2) {
    const partial = (first.amountMinor * 40n) / 100n;
    payments[0] = { ...first, amountMinor: partial };
    payments[1] = { ...second, amountMinor: second.amountMinor + first.amountMinor - partial };
  } else if (n % 4 === 3) {
    payments[0] = { ...first, amountMinor: first.amountMinor + OVERPAYMENT_MINOR };
  }
  return payments;
}

function repaymentBody(p: Payment, repaymentId: string) {
  return { repaymentId, loanId: p.loanId, amountMinor: p.amountMinor.toString(), currency: 'CNY', valueDate: p.valueDate, channel: 'AUTO_DEBIT' };
}

/** Statuses of one call's answers; a call that failed as a whole fails each of its repayments. */
async function post(stack: LocalStack, token: string, items: unknown[]): Promise<string[]> {
  try {
    const { status, json } = await call(stack, token, 'POST', '/v1/repayments', { repayments: items });
    const results = (json as { results?: { status: string }[] } | null)?.results ?? [];
    return status === 200 && results.length === items.length ? results.map((r) => r.status) : items.map(() => `HTTP ${status}`);
  } catch {
    return items.map(() => 'NO ANSWER');
  }
}

function delta(after: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>): number {
  return Object.keys(after).reduce((n, k) => n + (after[k] ?? 0) - (before[k] ?? 0), 0);
}

/**
 * `repayments` repayments (a multiple of 8 × 5) posted one per call by 8 clients, each client on
 * loans of its own in value-date order (every loan's first payment, then every second one...), so
 * calls on one loan never overlap; then `batchesPerClient` calls of 25 per client, each call one
 * payment of 25 different loans of that client, all due on the same date.
 */
export async function benchRepayments(stack: LocalStack, repayments: number, batchesPerClient: number) {
  const token = await stack.mintToken({ scopes: ['lead'] });
  const run = randomUUID().slice(0, 6).toUpperCase();
  const setup = await setUpProgram(stack, token, run, 'P');
  const singleLoans = Math.ceil(repayments / (CLIENTS * PAYMENTS_PER_LOAN));
  const batchLoans = BATCH * Math.ceil(batchesPerClient / PAYMENTS_PER_LOAN);
  const single = Array.from({ length: CLIENTS }, (_, c) => Array.from({ length: singleLoans }, (_, i) => `PL-${run}-${c}-${i}`));
  const batched = Array.from({ length: CLIENTS }, (_, c) => Array.from({ length: batchLoans }, (_, i) => `PL-${run}-${c}-B${i}`));
  await bookLoans(stack, token, setup, single.map((loans, c) => [...loans, ...(batched[c] ?? [])]));
  const due = await instalmentsDue(stack, token, single[0]?.[0] ?? batched[0]?.[0] ?? '');

  // One per call: each client's payments, every loan's first before any loan's second.
  const perClient = Math.floor(repayments / CLIENTS);
  const plans = single.map((loans) => {
    const byLoan = loans.map((loanId, i) => paymentsOf(loanId, i, due));
    return Array.from({ length: PAYMENTS_PER_LOAN }, (_, k) => byLoan.map((p) => p[k] as Payment)).flat().slice(0, perClient);
  });
  const latencies: number[] = [];
  const booked: { loanId: string; repaymentId: string }[] = [];
  let failures = 0;
  const dynamoBefore = stack.dynamoDbCounts() ?? NO_COUNTS;
  const invocationsBefore = stack.invocationCounts();
  const transitionsBefore = stack.stepFunctions.transitionCounts();
  let started = performance.now();
  await Promise.all(
    plans.map(async (plan, c) => {
      for (const [i, payment] of plan.entries()) {
        const repaymentId = `PR-${run}-${c}-${i}`;
        const t0 = performance.now();
        const [status] = await post(stack, token, [repaymentBody(payment, repaymentId)]);
        latencies.push(performance.now() - t0);
        if (status === 'BOOKED') booked.push({ loanId: payment.loanId, repaymentId });
        else failures++;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const dynamo = stack.dynamoDbCounts() ?? NO_COUNTS;
  const invocations = delta(stack.invocationCounts(), invocationsBefore);
  const transitions = delta(stack.stepFunctions.transitionCounts(), transitionsBefore);

  // Batches of 25: batch b of a client pays instalment b % 5 of its loans 25 × ⌊b / 5⌋ to 25 × ⌊b / 5⌋ + 24.
  let batchedCount = 0;
  let batchFailures = 0;
  started = performance.now();
  await Promise.all(
    batched.map(async (loans, c) => {
      for (let b = 0; b < batchesPerClient; b++) {
        const group = Math.floor(b / PAYMENTS_PER_LOAN) * BATCH;
        const items = loans.slice(group, group + BATCH).map((loanId, i) => repaymentBody(paymentsOf(loanId, group + i, due)[b % PAYMENTS_PER_LOAN] as Payment, `PR-${run}-${c}-B${b}-${i}`));
        const statuses = await post(stack, token, items);
        batchedCount += items.length;
        batchFailures += statuses.filter((s) => s !== 'BOOKED').length;
      }
    }),
  );
  const batchMs = performance.now() - started;

  const sorted = latencies.sort((x, y) => x - y);
  const count = latencies.length;
  const requests = (op: string) => ((dynamo.requests[op] ?? 0) - (dynamoBefore.requests[op] ?? 0)) / count;
  return {
    repayments: count,
    failures,
    perSecond: (count / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    invocationsPerRepayment: invocations / count,
    transitionsPerRepayment: transitions / count,
    dynamoDb: {
      queries: requests('Query'),
      gets: requests('GetItem'),
      transactions: requests('TransactWriteItems'),
      reads: (dynamo.readRequests - dynamoBefore.readRequests) / count,
      itemsWritten: (dynamo.writeItems - dynamoBefore.writeItems) / count,
      transactionalItems: (dynamo.transactionalWriteItems - dynamoBefore.transactionalWriteItems) / count,
    },
    booked,
    batched: { repayments: batchedCount, failures: batchFailures, perSecond: (batchedCount / batchMs) * 1000 },
  };
}

export type RepaymentBench = Awaited<ReturnType<typeof benchRepayments>>;

export function printRepayments(r: RepaymentBench): void {
  const d = r.dynamoDb;
  console.log(
    `repayments over HTTP, ${CLIENTS} clients, one per call, ${r.repayments} repayments: ${r.perSecond.toFixed(1)}/s, p50 ${formatMs(r.p50)}, p99 ${formatMs(r.p99)}, ` +
      `${r.failures} failed; per repayment ${d.queries.toFixed(2)} queries + ${d.gets.toFixed(2)} gets (${d.reads.toFixed(2)} reads), ` +
      `${d.itemsWritten.toFixed(1)} items written (${d.transactionalItems.toFixed(1)} in ${d.transactions.toFixed(2)} transactions), ` +
      `${r.invocationsPerRepayment.toFixed(2)} function invocations, ${r.transitionsPerRepayment.toFixed(2)} state transitions`,
  );
  console.log(
    `repayments over HTTP, ${CLIENTS} clients, batches of ${BATCH} per call, ${r.batched.repayments} repayments: ${r.batched.perSecond.toFixed(1)}/s, ${r.batched.failures} failed`,
  );
}

// ---------------------------------------------------------------------------------------------
// DynamoDB capacity per repayment, as AWS would bill it (DESIGN section 13: read and write units).
//
// The meter counts requests and items, not bytes, so the sizes come from the items the measured
// repayments left behind, read straight from DynamoDB Local (unmetered) and sized by the AWS
// rules: attribute name + value; a string its UTF-8 bytes, a number 1 byte per 2 significant
// digits + 1, a boolean or null 1, a list or map 3 + 1 per element + its elements.
// Assumptions:
// - Reads are strongly consistent: the load query costs ⌈(positions + ledger item as it was before
//   the repayment) / 4 KB⌉ RCU (a query rounds the sum of what it returns, at least 1); the loan
//   GetItem (only when a warm function has not cached the loan) costs ⌈loan item / 4 KB⌉ RCU.
// - The ledger item before and after the k-th repayment is its final size less the repayments
//   booked after it (payments arrive in value-date order, so nothing is rebooked).
// - Transactional writes cost 2 WCU per item per started KB: ledger, entry, record, and the
//   position of each lender the entry has legs for.
// - Entries and positions carry gsi1 keys (projection ALL): each also writes the index, counted at
//   the standard 1 WCU per started KB.
// - Condition expressions cost nothing extra; reads of replays and conflicts do not occur here.
// - The measured mean covers each loan's first five repayments; the cost at a later repayment is
//   the same rules applied to the mean item sizes with the ledger grown by its mean per repayment.
// ---------------------------------------------------------------------------------------------

type Item = Record<string, AttributeValue>;

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/e.*$/i, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  if (v.N !== undefined) return numberBytes(v.N);
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((n, e) => n + valueBytes(e) + 1, 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + Buffer.byteLength(k, 'utf8') + valueBytes(e) + 1, 0);
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, s) => n + numberBytes(s), 0);
  if (v.BS !== undefined) return v.BS.reduce((n, b) => n + b.byteLength, 0);
  return 0;
}

function itemBytes(item: Item): number {
  return Object.entries(item).reduce((n, [name, v]) => n + Buffer.byteLength(name, 'utf8') + valueBytes(v), 0);
}

const KB = 1024;
const units = (bytes: number, unitBytes: number) => Math.max(1, Math.ceil(bytes / unitBytes));

function tableNamed(stack: LocalStack, prefix: string): string {
  const table = [...stack.tables.created, ...stack.tables.existing].find((t) => t.logicalId.startsWith(prefix));
  if (!table) throw new Error(`no ${prefix} among the local tables`);
  return table.tableName;
}

async function records(client: DynamoDBClient, table: string, repaymentIds: readonly string[]): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  for (let i = 0; i < repaymentIds.length; i += 100) {
    let keys: Item[] | undefined = repaymentIds.slice(i, i + 100).map((id) => {
      const k = stateKeys.repayment(id);
      return { pk: { S: k.pk }, sk: { S: k.sk } };
    });
    while (keys && keys.length > 0) {
      const out = await client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys } } }));
      for (const item of out.Responses?.[table] ?? []) found.set((item.pk?.S ?? '').replace(/^REPAYMENT#/, ''), item);
      keys = out.UnprocessedKeys?.[table]?.Keys as Item[] | undefined;
    }
  }
  return found;
}

export async function repaymentCapacity(stack: LocalStack, r: RepaymentBench) {
  const client = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const ledgerTable = tableNamed(stack, 'LedgerTable');
    const stateTable = tableNamed(stack, 'StateTable');
    const recordItems = await records(client, stateTable, r.booked.map((b) => b.repaymentId));
    const measured = new Set(r.booked.map((b) => b.repaymentId));
    const loanIds = [...new Set(r.booked.map((b) => b.loanId))];
    let queryRcu = 0;
    let txWcu = 0;
    let gsiWcu = 0;
    let counted = 0;
    const sizes = { ledgerBase: 0, perRepayment: 0, entry: 0, position: 0, record: 0, loan: 0, ledgers: 0, entries: 0, positions: 0 };
    for (const loanId of loanIds) {
      const items: Item[] = [];
      let ExclusiveStartKey: Item | undefined;
      do {
        const out = await client.send(
          new QueryCommand({ TableName: ledgerTable, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: ledgerKeys.loanPartition(loanId) } }, ExclusiveStartKey }),
        );
        items.push(...((out.Items ?? []) as Item[]));
        ExclusiveStartKey = out.LastEvaluatedKey as Item | undefined;
      } while (ExclusiveStartKey);
      const ledger = items.find((i) => i.entityType?.S === 'RepaymentLedger');
      if (!ledger) continue;
      const positions = new Map(items.filter((i) => i.entityType?.S === 'Position').map((i) => [i.lenderId?.S ?? '', itemBytes(i)]));
      const entries = new Map(items.filter((i) => i.entityType?.S === 'JournalEntry').map((i) => [i.entryId?.S ?? '', i]));
      const booked = ledger.repayments?.L ?? [];
      const grown = booked.map((e) => valueBytes(e) + 1);
      const ledgerBytes = itemBytes(ledger);
      const base = ledgerBytes - grown.reduce((n, g) => n + g, 0);
      const positionBytes = [...positions.values()].reduce((n, b) => n + b, 0);
      sizes.ledgerBase += base;
      sizes.perRepayment += grown.reduce((n, g) => n + g, 0);
      sizes.ledgers += 1;
      sizes.position += positionBytes;
      sizes.positions += positions.size;
      let before = 0;
      for (const [k, element] of booked.entries()) {
        const after = base + grown.slice(0, k + 1).reduce((n, g) => n + g, 0);
        const repaymentId = element.M?.repaymentId?.S ?? '';
        const entry = entries.get(element.M?.entryId?.S ?? '');
        const record = recordItems.get(repaymentId);
        if (measured.has(repaymentId) && entry && record) {
          const entryBytes = itemBytes(entry);
          const paid = new Set((entry.legs?.L ?? []).map((l) => l.M?.lenderId?.S ?? ''));
          const paidPositions = [...paid].map((id) => units(positions.get(id) ?? 0, KB)).reduce((n, u) => n + u, 0);
          queryRcu += units(positionBytes + before, 4 * KB);
          txWcu += 2 * (units(after, KB) + units(entryBytes, KB) + units(itemBytes(record), KB) + paidPositions);
          gsiWcu += units(entryBytes, KB) + paidPositions;
          counted += 1;
          sizes.entry += entryBytes;
          sizes.record += itemBytes(record);
          sizes.entries += 1;
        }
        before = after;
      }
    }
    // Every bench loan has the same terms and lenders, so one loan item stands for all.
    const loanKey = stateKeys.loan(loanIds[0] ?? '');
    const loan = await client.send(new GetItemCommand({ TableName: stateTable, Key: { pk: { S: loanKey.pk }, sk: { S: loanKey.sk } } }));
    sizes.loan = loan.Item ? itemBytes(loan.Item as Item) : 0;
    const loanRcu = units(sizes.loan, 4 * KB);
    const n = Math.max(counted, 1);
    return {
      repayments: counted,
      rcu: queryRcu / n + r.dynamoDb.gets * loanRcu,
      queryRcu: queryRcu / n,
      getRcu: r.dynamoDb.gets * loanRcu,
      transactionalWcu: txWcu / n,
      indexWcu: gsiWcu / n,
      kb: {
        ledgerBase: sizes.ledgerBase / Math.max(sizes.ledgers, 1) / KB,
        perRepayment: sizes.perRepayment / Math.max(counted, 1) / KB,
        entry: sizes.entry / n / KB,
        position: sizes.position / Math.max(sizes.positions, 1) / KB,
        record: sizes.record / n / KB,
        loan: sizes.loan / KB,
      },
    };
  } finally {
    client.destroy();
  }
}

type Capacity = Awaited<ReturnType<typeof repaymentCapacity>>;

/** The same rules at a loan's n-th repayment, from the mean item sizes, every lender paid: how the cost grows with the ledger. */
function atRepayment(c: Capacity, n: number, lenders = 3): { rcu: number; wcu: number; indexWcu: number } {
  const ledgerKb = (k: number) => c.kb.ledgerBase + k * c.kb.perRepayment;
  const up = (kb: number, unitKb: number) => Math.max(1, Math.ceil(kb / unitKb));
  const positionsWcu = lenders * up(c.kb.position, 1);
  return {
    rcu: up(lenders * c.kb.position + (n > 1 ? ledgerKb(n - 1) : 0), 4),
    wcu: 2 * (up(ledgerKb(n), 1) + up(c.kb.entry, 1) + up(c.kb.record, 1) + positionsWcu),
    indexWcu: up(c.kb.entry, 1) + positionsWcu,
  };
}

export function printRepaymentCapacity(c: Capacity): void {
  const kb = (x: number) => `${x.toFixed(2)} KB`;
  const later = [20, 60].map((n) => ({ n, ...atRepayment(c, n) })).map((x) => `${x.n}th: ${x.rcu} RCU, ${x.wcu} + ${x.indexWcu} WCU`);
  console.log(
    `  DynamoDB capacity per repayment in AWS (${c.repayments} repayments sized): ${c.rcu.toFixed(2)} RCU (${c.queryRcu.toFixed(2)} load query + ${c.getRcu.toFixed(2)} loan gets; ` +
      `strongly consistent, 1 per started 4 KB), ${c.transactionalWcu.toFixed(2)} WCU transactional (2 per item per started KB) + ${c.indexWcu.toFixed(2)} WCU gsi1 ` +
      `(entry and positions, 1 per started KB, assumed outside the transaction's doubling)`,
  );
  console.log(
    `    item sizes: ledger ${kb(c.kb.ledgerBase)} + ${kb(c.kb.perRepayment)} per repayment booked, entry ${kb(c.kb.entry)}, position ${kb(c.kb.position)}, ` +
      `record ${kb(c.kb.record)}, loan ${kb(c.kb.loan)}; the ledger grows, so a loan's ${later.join('; ')}`,
  );
}
