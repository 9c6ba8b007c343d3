import { spawnSync } from 'node:child_process';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditRecord } from '../../shared/domain/audit.ts';
import { auditKeys } from '../../shared/adapters/dynamodb/audit-keys.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb/index.ts';
import { findAuditTable } from '../../infra/cli/audit-verify.ts';
import { api, dynamoDbClient } from './support/stack.ts';
import { createWorld, loanBody, post, uniqueKey, type World } from './support/world.ts';

let w: World;
let loanId: string;
let key: string;
/** The booking's record as the API lists it, read before any command runs (a command blocks this process while the server's idle sockets close). */
let booked: AuditRecord;
const today = new Date().toISOString().slice(0, 10);

interface Listing {
  readonly lenderId: string | null;
  readonly items: AuditRecord[];
  readonly cursor: string | null;
}

/** Every record of today a caller may read, page after page. */
async function readAll(tokenValue: string): Promise<Listing[]> {
  const pages: Listing[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; json: unknown } = await api(`/v1/audit?date=${today}&limit=100${cursor === null ? '' : `&cursor=${cursor}`}`, { token: tokenValue });
    expect(res.status).toBe(200);
    const page = res.json as Listing;
    pages.push(page);
    cursor = page.cursor;
  } while (cursor !== null);
  return pages;
}

function colend(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'infra/cli/colend.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
}

beforeAll(async () => {
  w = await createWorld();
  loanId = `AU-${w.suffix}-1`;
  key = uniqueKey('audit');
  expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId), key)).status).toBe(201);
});

describe('the audit trail of the API', () => {
  it('records the booking: who, what, the answer, the lenders; once, however often it is replayed', async () => {
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId), key)).status).toBe(201);
    const records = (await readAll(w.tokens.lead)).flatMap((p) => p.items).filter((r) => r.action === 'bookLoan' && r.after?.loanId === loanId);
    expect(records).toHaveLength(1);
    const [record] = records as [AuditRecord];
    booked = record;
    expect(record).toMatchObject({ route: 'POST /v1/loans', status: 201, target: {}, executionId: null, date: today, actor: { kind: 'USER', roles: ['LEAD'] } });
    expect(record.auditKey).toMatch(new RegExp(`^REQ#bookLoan#.+#${key}$`));
    expect(record.lenderIds).toEqual(expect.arrayContaining([w.lead, w.bankA]));
    expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shows a partner only the records that name its lender, and the lead every one', async () => {
    const partner = (await readAll(w.tokens.bankA)).flatMap((p) => p.items);
    expect(partner.length).toBeGreaterThan(0);
    for (const record of partner) expect(record.lenderIds).toContain(w.bankA);
    expect(partner.some((r) => r.action === 'bookLoan' && r.after?.loanId === loanId)).toBe(true);
    const outsider = (await readAll(w.tokens.outsider)).flatMap((p) => p.items);
    expect(outsider.filter((r) => r.after?.loanId === loanId)).toEqual([]);
    const lead = (await readAll(w.tokens.lead)).flatMap((p) => p.items);
    expect(lead.length).toBeGreaterThanOrEqual(partner.length);
  });

  it('refuses a cursor of another listing, naming cursor', async () => {
    const mine = await readAll(w.tokens.bankA);
    const leadPage = (await api(`/v1/audit?date=${today}&limit=1`, { token: w.tokens.lead })).json as Listing;
    expect(leadPage.cursor).not.toBeNull();
    const res = await api(`/v1/audit?date=${today}&cursor=${leadPage.cursor}`, { token: w.tokens.bankA });
    expect([res.status, (res.json as { details: { path: string } }).details.path]).toEqual([400, 'cursor']);
    expect(mine.at(-1)?.cursor).toBeNull();
  });
});

describe('colend audit verify', () => {
  const doc = createDocumentClient(dynamoDbClient());
  let table: string;
  let original: Record<string, unknown> | undefined;

  beforeAll(async () => {
    table = await findAuditTable(dynamoDbClient());
  });

  afterAll(async () => {
    if (original !== undefined) await doc.send(new PutCommand({ TableName: table, Item: original }));
  });

  it('recomputes every chain of the day and finds it whole', () => {
    const run = colend('audit', 'verify', '--date', today, '--endpoint', inject('dynamodbEndpoint'));
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^audit of ${today}: \\d+ records in 8 chains`, 'm'));
    expect(run.stdout).toContain('VERIFIED: every chain recomputes, every record links to the one before it');
    expect(run.status).toBe(0);
  });

  it('names the record changed in the table, and exits 1', async () => {
    const itemKey = auditKeys.record(booked.date, booked.chain, booked.seq);
    original = (await doc.send(new GetCommand({ TableName: table, Key: itemKey }))).Item;
    expect(original).toBeDefined();
    await doc.send(new PutCommand({ TableName: table, Item: { ...original, status: 200 } }));
    const run = colend('audit', 'verify', '--date', today, '--endpoint', inject('dynamodbEndpoint'));
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`FIRST BAD RECORD chain ${booked.chain} record ${booked.seq} (${booked.auditKey}): its fields do not hash to its stored hash (stored ${booked.hash}, computed `);
  });

  it('names the usage when the date is missing', () => {
    const run = colend('audit', 'verify');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--date YYYY-MM-DD is required');
  });
});
