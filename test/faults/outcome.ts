import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { REPOSITORY_ROOT } from '../../infra/local/checkout.ts';
import { LOCAL_CREDENTIALS } from '../../infra/local/stack.ts';
import { LOCAL_REGION } from '../../infra/local/template.ts';
import type { Scenario } from './scenario.ts';

/** What a run left behind, read after its last start: bookings per repayment, the files, the ledger's verification. */
export interface Outcome {
  /** Per repayment id: its journal entries (`REPAYMENT#{id}`), the loan events that carry it, its records (S20). */
  readonly booked: ReadonlyMap<string, { entries: number; events: number; records: number }>;
  /** Every entry of the run's loans, by loan, in key order (id and legs). */
  readonly entries: ReadonlyMap<string, readonly string[]>;
  /** Every settlement file (path under the files folder) and its SHA-256. */
  readonly files: ReadonlyMap<string, string>;
  /** `colend ledger verify` on the stack: its exit status and output. */
  readonly verify: { readonly status: number | null; readonly stdout: string; readonly stderr: string };
  /** The date's run as the API shows it at the end. */
  readonly runStatus: string;
}

function filesUnder(dir: string, root = dir, found = new Map<string, string>()): Map<string, string> {
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(path, root, found);
    else {
      const bytes = readFileSync(path);
      found.set(relative(root, path), createHash('sha256').update(bytes).digest('hex'));
    }
  }
  return found;
}

/** The items of a loan's partition (L1), every page. */
async function loanItems(doc: DynamoDBDocumentClient, table: string, loanId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `LOAN#${loanId}` }, ExclusiveStartKey, ConsistentRead: true }));
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

export async function readOutcome(stack: { readonly baseUrl: string; readonly home: string }, scenario: Scenario, filesDir: string, financeToken: string): Promise<Outcome> {
  const state = JSON.parse(readFileSync(join(stack.home, 'local-stack.json'), 'utf8')) as { dynamodbEndpoint: string };
  const client = new DynamoDBClient({ endpoint: state.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const doc = DynamoDBDocumentClient.from(client);
  try {
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    const ledger = TableNames.find((t) => t.startsWith('LedgerTable'));
    const stateTable = TableNames.find((t) => t.startsWith('StateTable'));
    if (!ledger || !stateTable) throw new Error(`no ledger or state table among ${TableNames.join(', ')}`);
    const booked = new Map<string, { entries: number; events: number; records: number }>();
    for (const id of scenario.repaymentIds) booked.set(id, { entries: 0, events: 0, records: 0 });
    const entries = new Map<string, string[]>();
    for (const loanId of scenario.loanIds) {
      const items = await loanItems(doc, ledger, loanId);
      const loanEntries: string[] = [];
      for (const item of items) {
        const sk = String(item.sk);
        if (sk.startsWith('ENTRY#')) {
          const entryId = sk.slice('ENTRY#'.length);
          loanEntries.push(`${entryId} ${JSON.stringify(item.legs)}`);
          const repaid = /^REPAYMENT#(.+)$/.exec(entryId)?.[1];
          if (repaid !== undefined) {
            const counted = booked.get(repaid) ?? { entries: 0, events: 0, records: 0 };
            booked.set(repaid, { ...counted, entries: counted.entries + 1 });
          }
        } else if (sk.startsWith('EV#')) {
          const repaymentId = (item.repaymentId ?? (item.payment as { repaymentId?: string } | undefined)?.repaymentId) as string | undefined;
          if (repaymentId !== undefined) {
            const counted = booked.get(repaymentId) ?? { entries: 0, events: 0, records: 0 };
            booked.set(repaymentId, { ...counted, events: counted.events + 1 });
          }
        }
      }
      entries.set(loanId, loanEntries);
    }
    for (const id of scenario.repaymentIds) {
      const record = await doc.send(new GetCommand({ TableName: stateTable, Key: { pk: `REPAYMENT#${id}`, sk: 'REPAYMENT' }, ConsistentRead: true }));
      if (record.Item) {
        const counted = booked.get(id) ?? { entries: 0, events: 0, records: 0 };
        booked.set(id, { ...counted, records: counted.records + 1 });
      }
    }
    const run = await fetch(`${stack.baseUrl}/v1/settlement-runs/2026-12-01`, { headers: { authorization: `Bearer ${financeToken}` } });
    const runJson = (await run.json()) as { run?: { status?: string }; status?: string };
    const verify = spawnSync(process.execPath, ['--import', 'tsx', 'infra/cli/colend.ts', 'ledger', 'verify'], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, COLEND_HOME: stack.home },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return {
      booked,
      entries,
      files: filesUnder(join(filesDir, 'statements')),
      verify: { status: verify.status, stdout: verify.stdout, stderr: verify.stderr },
      runStatus: runJson.run?.status ?? runJson.status ?? `HTTP ${run.status}`,
    };
  } finally {
    client.destroy();
  }
}
