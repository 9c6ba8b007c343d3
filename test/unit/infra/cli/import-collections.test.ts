import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatImportReport, importCollections } from '../../../../infra/cli/import-collections.ts';

const HEADER = 'repayment_id,loan_id,amount,currency,value_date,channel,kind';
const API = 'https://api.colend.test/';
const TOKEN = 'header.payload.signature';
const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'colend-import-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
function fileWith(lines: string[]): string {
  const path = join(dir, `collections-${++fileCount}.csv`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function row(n: number, amount = '10.00'): string {
  return `R-${String(n).padStart(4, '0')},L-${n},${amount},CNY,2026-03-01,AUTO_DEBIT,`;
}

interface Call {
  readonly url: string;
  readonly method: string | undefined;
  readonly headers: Record<string, string>;
  readonly body: { repayments: Record<string, unknown>[] };
}

type Answer = (body: Call['body'], callIndex: number) => { status: number; body: unknown };

/** A fetch that records each call and answers with `answer`; BOOKED for every repayment by default. */
function fakeApi(answer: Answer = (body) => ({ status: 200, body: { results: body.repayments.map((r) => ({ repaymentId: r.repaymentId, status: 'BOOKED' })) } })) {
  const calls: Call[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as Call['body'];
    calls.push({ url: String(input), method: init?.method, headers: init?.headers as Record<string, string>, body });
    const reply = answer(body, calls.length - 1);
    return new Response(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body), { status: reply.status });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('importCollections', () => {
  it('posts the valid lines with the token, amounts as strings of digits, and reports each line', async () => {
    const api = fakeApi();
    const file = fileWith([HEADER, row(1, '1234.5'), 'R-0002,L-2,0.01,CNY,20260302,COUNTER,PREPAYMENT']);
    const report = await importCollections({ file, apiUrl: API, token: TOKEN, fetch: api.fetch, runId: 'run-0001' });

    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]).toEqual({
      url: 'https://api.colend.test/v1/repayments',
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'import:run-0001:0' },
      body: {
        repayments: [
          { repaymentId: 'R-0001', loanId: 'L-1', amountMinor: '123450', currency: 'CNY', valueDate: '2026-03-01', channel: 'AUTO_DEBIT', kind: 'REGULAR' },
          { repaymentId: 'R-0002', loanId: 'L-2', amountMinor: '1', currency: 'CNY', valueDate: '2026-03-02', channel: 'COUNTER', kind: 'PREPAYMENT' },
        ],
      },
    });
    expect(report).toEqual({
      file,
      format: 'CSV',
      lines: [
        { line: 2, repaymentId: 'R-0001', outcome: 'BOOKED', error: null, errors: [] },
        { line: 3, repaymentId: 'R-0002', outcome: 'BOOKED', error: null, errors: [] },
      ],
      counts: { lines: 2, booked: 2, replayed: 0, refused: 0, invalid: 0 },
    });
    expect(formatImportReport(report)).toEqual(['lines: 2, booked: 2, replayed: 0, refused: 0, invalid: 0']);
  });

  it('sends 250 valid lines as 100, 100 and 50, in the order of the file', async () => {
    const api = fakeApi();
    const rows = Array.from({ length: 250 }, (_, i) => row(i + 1));
    const report = await importCollections({ file: fileWith([HEADER, ...rows]), apiUrl: 'https://api.colend.test', token: TOKEN, fetch: api.fetch });

    expect(api.calls.map((c) => c.body.repayments.length)).toEqual([100, 100, 50]);
    expect(api.calls.map((c) => c.url)).toEqual(Array(3).fill('https://api.colend.test/v1/repayments'));
    expect(api.calls.flatMap((c) => c.body.repayments.map((r) => r.repaymentId))).toEqual(Array.from({ length: 250 }, (_, i) => `R-${String(i + 1).padStart(4, '0')}`));
    expect(report.counts).toEqual({ lines: 250, booked: 250, replayed: 0, refused: 0, invalid: 0 });
    expect(report.lines.map((l) => l.line)).toEqual(Array.from({ length: 250 }, (_, i) => i + 2));
  });

  it('never sends an invalid line, and reports it with its line and field', async () => {
    const api = fakeApi();
    const rows = Array.from({ length: 101 }, (_, i) => row(i + 1));
    rows[4] = 'R-0005,L-5,-3.00,CNY,2026-03-01,AUTO_DEBIT,';
    rows[7] = 'R-0008,L-8,1.00,CNY,2026-02-30,ATM,';
    const report = await importCollections({ file: fileWith([HEADER, ...rows]), apiUrl: API, token: TOKEN, fetch: api.fetch });

    expect(api.calls.map((c) => c.body.repayments.length)).toEqual([99]);
    const sent = api.calls[0]?.body.repayments.map((r) => r.repaymentId);
    expect(sent).not.toContain('R-0005');
    expect(sent).not.toContain('R-0008');
    expect(report.lines.filter((l) => l.outcome === 'INVALID')).toEqual([
      { line: 6, repaymentId: null, outcome: 'INVALID', error: { code: 'too_small', path: 'amountMinor', message: 'must be positive (got "-3.00")' }, errors: [{ code: 'too_small', path: 'amountMinor', message: 'must be positive (got "-3.00")' }] },
      {
        line: 9,
        repaymentId: null,
        outcome: 'INVALID',
        error: { code: 'iso-date', path: 'valueDate', message: 'must be a calendar date YYYY-MM-DD (got "2026-02-30")' },
        errors: [
          { code: 'iso-date', path: 'valueDate', message: 'must be a calendar date YYYY-MM-DD (got "2026-02-30")' },
          { code: 'invalid_value', path: 'channel', message: 'Invalid option: expected one of "AUTO_DEBIT"|"BANK_TRANSFER"|"COUNTER"|"THIRD_PARTY"|"OTHER" (got "ATM")' },
        ],
      },
    ]);
    expect(report.counts).toEqual({ lines: 101, booked: 99, replayed: 0, refused: 0, invalid: 2 });
    expect(formatImportReport(report)).toEqual([
      'line 6 INVALID amountMinor: must be positive (got "-3.00")',
      'line 9 INVALID valueDate: must be a calendar date YYYY-MM-DD (got "2026-02-30"); channel: Invalid option: expected one of "AUTO_DEBIT"|"BANK_TRANSFER"|"COUNTER"|"THIRD_PARTY"|"OTHER" (got "ATM")',
      'lines: 101, booked: 99, replayed: 0, refused: 0, invalid: 2',
    ]);
  });

  it('sends nothing when every line is invalid, and reports a refused header once', async () => {
    const api = fakeApi();
    const report = await importCollections({ file: fileWith(['repayment_id,loan_id,amount,currency,value_date,channel,memo', row(1)]), apiUrl: API, token: TOKEN, fetch: api.fetch });
    expect(api.calls).toEqual([]);
    expect(report.counts).toEqual({ lines: 1, booked: 0, replayed: 0, refused: 0, invalid: 1 });
    expect(formatImportReport(report)).toEqual(['line 1 INVALID header: unknown column "memo"', 'lines: 1, booked: 0, replayed: 0, refused: 0, invalid: 1']);
  });

  it('reports BOOKED, REPLAYED and REFUSED per line from the API answer', async () => {
    const api = fakeApi((body) => ({
      status: 200,
      body: {
        results: [
          { repaymentId: body.repayments[0]?.repaymentId, status: 'BOOKED', entryId: 'REPAYMENT#R-0001' },
          { repaymentId: body.repayments[1]?.repaymentId, status: 'REPLAYED' },
          { repaymentId: body.repayments[2]?.repaymentId, status: 'REFUSED', error: { code: 'LOAN_NOT_FOUND', message: 'no loan L-3', details: { loanId: 'L-3' } } },
        ],
      },
    }));
    const report = await importCollections({ file: fileWith([HEADER, row(1), row(2), row(3)]), apiUrl: API, token: TOKEN, fetch: api.fetch });
    expect(report.lines).toEqual([
      { line: 2, repaymentId: 'R-0001', outcome: 'BOOKED', error: null, errors: [] },
      { line: 3, repaymentId: 'R-0002', outcome: 'REPLAYED', error: null, errors: [] },
      { line: 4, repaymentId: 'R-0003', outcome: 'REFUSED', error: { code: 'LOAN_NOT_FOUND', message: 'no loan L-3' }, errors: [{ code: 'LOAN_NOT_FOUND', message: 'no loan L-3' }] },
    ]);
    expect(formatImportReport(report)).toEqual(['line 4 R-0003 REFUSED LOAN_NOT_FOUND: no loan L-3', 'lines: 3, booked: 1, replayed: 1, refused: 1, invalid: 0']);
  });

  it('reports a 400 answer on every line of its batch only, with the status, code and message', async () => {
    const api = fakeApi((body, index) =>
      index === 1
        ? { status: 400, body: { code: 'VALIDATION_FAILED', message: 'repayments.3.loanId: unknown', details: { path: 'repayments.3.loanId' } } }
        : { status: 200, body: { results: body.repayments.map((r) => ({ repaymentId: r.repaymentId, status: 'BOOKED' })) } },
    );
    const rows = Array.from({ length: 205 }, (_, i) => row(i + 1));
    const report = await importCollections({ file: fileWith([HEADER, ...rows]), apiUrl: API, token: TOKEN, fetch: api.fetch });

    expect(api.calls.map((c) => c.body.repayments.length)).toEqual([100, 100, 5]);
    const refused = report.lines.filter((l) => l.outcome === 'REFUSED');
    expect(refused.map((l) => l.line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 102));
    expect(refused[0]).toEqual({
      line: 102,
      repaymentId: 'R-0101',
      outcome: 'REFUSED',
      error: { code: 'VALIDATION_FAILED', message: 'repayments.3.loanId: unknown (HTTP 400)', status: 400 },
      errors: [{ code: 'VALIDATION_FAILED', message: 'repayments.3.loanId: unknown (HTTP 400)', status: 400 }],
    });
    expect(report.counts).toEqual({ lines: 205, booked: 105, replayed: 0, refused: 100, invalid: 0 });
    expect(formatImportReport(report)[0]).toBe('line 102 R-0101 REFUSED VALIDATION_FAILED: repayments.3.loanId: unknown (HTTP 400)');
  });

  it('reports a 500 answer that is not JSON with its status and text', async () => {
    const api = fakeApi(() => ({ status: 500, body: 'upstream timed out' }));
    const report = await importCollections({ file: fileWith([HEADER, row(1), 'R-0002,L-2,x,CNY,2026-03-01,AUTO_DEBIT,', row(3)]), apiUrl: API, token: TOKEN, fetch: api.fetch });
    const error = { code: 'HTTP_500', message: 'the API answered HTTP 500: upstream timed out', status: 500 };
    expect(report.lines).toEqual([
      { line: 2, repaymentId: 'R-0001', outcome: 'REFUSED', error, errors: [error] },
      {
        line: 3,
        repaymentId: null,
        outcome: 'INVALID',
        error: { code: 'decimal-format', path: 'amountMinor', message: 'must be an amount in major units such as 1234.56 (got "x")' },
        errors: [{ code: 'decimal-format', path: 'amountMinor', message: 'must be an amount in major units such as 1234.56 (got "x")' }],
      },
      { line: 4, repaymentId: 'R-0003', outcome: 'REFUSED', error, errors: [error] },
    ]);
    expect(report.counts).toEqual({ lines: 3, booked: 0, replayed: 0, refused: 2, invalid: 1 });
    expect(formatImportReport(report)).toEqual([
      'line 2 R-0001 REFUSED HTTP_500: the API answered HTTP 500: upstream timed out',
      'line 3 INVALID amountMinor: must be an amount in major units such as 1234.56 (got "x")',
      'line 4 R-0003 REFUSED HTTP_500: the API answered HTTP 500: upstream timed out',
      'lines: 3, booked: 0, replayed: 0, refused: 2, invalid: 1',
    ]);
  });

  it('refuses every line of a 200 answer that does not match what was sent', async () => {
    const short = fakeApi(() => ({ status: 200, body: { results: [] } }));
    const report = await importCollections({ file: fileWith([HEADER, row(1), row(2)]), apiUrl: API, token: TOKEN, fetch: short.fetch });
    expect(report.lines.map((l) => [l.outcome, l.error?.code])).toEqual([
      ['REFUSED', 'BAD_RESPONSE'],
      ['REFUSED', 'BAD_RESPONSE'],
    ]);

    const swapped = fakeApi(() => ({ status: 200, body: { results: [{ repaymentId: 'R-0002', status: 'BOOKED' }, { repaymentId: 'R-0002', status: 'BOOKED' }] } }));
    const second = await importCollections({ file: fileWith([HEADER, row(1), row(2)]), apiUrl: API, token: TOKEN, fetch: swapped.fetch });
    expect(second.lines.map((l) => [l.repaymentId, l.outcome])).toEqual([
      ['R-0001', 'REFUSED'],
      ['R-0002', 'BOOKED'],
    ]);
  });

  it('reports an unreachable API on every line sent', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof globalThis.fetch;
    const report = await importCollections({ file: fileWith([HEADER, row(1)]), apiUrl: API, token: TOKEN, fetch });
    expect(report.lines).toEqual([
      { line: 2, repaymentId: 'R-0001', outcome: 'REFUSED', error: { code: 'UNREACHABLE', message: 'the API could not be reached: fetch failed' }, errors: [{ code: 'UNREACHABLE', message: 'the API could not be reached: fetch failed' }] },
    ]);
  });

  it('reads a pipe-delimited file with a BOM and CRLF', async () => {
    const api = fakeApi();
    const file = join(dir, 'collections.txt');
    writeFileSync(file, '\uFEFFR-1|L-1|1234.5|CNY|20260301|BANK_TRANSFER|\r\n\r\nR-2|L-2|0.01|INR|2026-03-01|OTHER|PREPAYMENT\r\n');
    const report = await importCollections({ file, apiUrl: API, token: TOKEN, fetch: api.fetch });
    expect(report.format).toBe('PIPE');
    expect(api.calls[0]?.body.repayments.map((r) => [r.repaymentId, r.amountMinor, r.valueDate])).toEqual([
      ['R-1', '123450', '2026-03-01'],
      ['R-2', '1', '2026-03-01'],
    ]);
    expect(report.lines.map((l) => [l.line, l.outcome])).toEqual([
      [1, 'BOOKED'],
      [3, 'BOOKED'],
    ]);
  });

  it('refuses a file that is not UTF-8', async () => {
    const file = join(dir, 'gbk.txt');
    writeFileSync(file, Buffer.from([0x52, 0x2d, 0x31, 0x7c, 0xbb, 0xb9, 0xbf, 0xee, 0x0a]));
    await expect(importCollections({ file, apiUrl: API, token: TOKEN, fetch: fakeApi().fetch })).rejects.toThrow(`${file} is not UTF-8 text`);
  });
});

describe('colend import-collections', () => {
  let server: Server;
  let apiUrl: string;
  const received: { authorization: string | undefined; count: number }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      request.on('end', () => {
        const body = JSON.parse(text) as { repayments: { repaymentId: string; loanId: string }[] };
        received.push({ authorization: request.headers.authorization, count: body.repayments.length });
        const results = body.repayments.map((r) =>
          r.loanId === 'L-404' ? { repaymentId: r.repaymentId, status: 'REFUSED', error: { code: 'LOAN_NOT_FOUND', message: `no loan ${r.loanId}`, details: {} } } : { repaymentId: r.repaymentId, status: 'BOOKED' },
        );
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function colend(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const { COLEND_API_URL: _url, COLEND_TOKEN: _token, ...inherited } = process.env;
    return new Promise((resolve) => {
      // A home of its own: a stack `npm start` runs in this checkout is not the one these runs talk to.
      const home = { COLEND_HOME: join(tmpdir(), `colend-cli-home-${process.pid}`) };
      execFile(join(REPOSITORY_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPOSITORY_ROOT, 'infra', 'cli', 'colend.ts'), ...args], { env: { ...inherited, ...home, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });
  }

  it('prints each line not booked and the counts, and exits 1 when a line is refused or invalid', async () => {
    const file = fileWith([HEADER, row(1), 'R-0002,L-404,5.00,CNY,2026-03-01,AUTO_DEBIT,', 'R-0003,L-3,0,CNY,2026-03-01,AUTO_DEBIT,']);
    const run = await colend(['import-collections', file, '--api', apiUrl, '--token', TOKEN]);
    expect(run.stdout).toBe(['line 3 R-0002 REFUSED LOAN_NOT_FOUND: no loan L-404', 'line 4 INVALID amountMinor: must be positive (got "0")', 'lines: 3, booked: 1, replayed: 0, refused: 1, invalid: 1', ''].join('\n'));
    expect(run.code).toBe(1);
    expect(received.at(-1)).toEqual({ authorization: `Bearer ${TOKEN}`, count: 2 });
  });

  it('takes the API and the token from the environment, and exits 0 when everything is booked', async () => {
    const run = await colend(['import-collections', fileWith([HEADER, row(1), row(2)])], { COLEND_API_URL: apiUrl, COLEND_TOKEN: 'from-env' });
    expect(run.stdout).toBe('lines: 2, booked: 2, replayed: 0, refused: 0, invalid: 0\n');
    expect(run.code).toBe(0);
    expect(received.at(-1)).toEqual({ authorization: 'Bearer from-env', count: 2 });
  });

  it.each([
    [['import-collections', 'x.csv', '--token', TOKEN], 'the API URL is missing: pass --api <url> or set COLEND_API_URL'],
    [['import-collections', 'x.csv', '--api', 'http://127.0.0.1:9'], 'the token is missing: pass --token <jwt> or set COLEND_TOKEN'],
    [['import-collections'], 'usage: colend ledger verify'],
    [['import-collections', 'a.csv', 'b.csv', '--api', 'http://127.0.0.1:9', '--token', TOKEN], 'usage: colend ledger verify'],
    [['import-collections', 'x.csv', '--endpoint', 'http://127.0.0.1:9'], 'import-collections does not take --endpoint'],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const run = await colend(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('colend import-collections <file> [--api <url>] [--token <jwt>]');
  });
});
