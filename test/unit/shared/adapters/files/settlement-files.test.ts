import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_COPY, csvCopyWriter } from '../../../../../shared/adapters/files/human-copies.ts';
import {
  DataFileWriter,
  formatRows,
  LOAN_MASTER,
  loanMasterFile,
  loanMasterFileRow,
  PIPE_DELIMITED,
  REPAYMENT_DETAIL,
  type LoanMasterRow,
} from '../../../../../shared/adapters/files/settlement-files.ts';
import { DomainError } from '../../../../../shared/domain/errors.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

/** A sink that keeps what it is given, as the file store would write it. */
function collected(): { sink: (body: AsyncIterable<Uint8Array>) => Promise<void>; bytes: () => Buffer } {
  const chunks: Uint8Array[] = [];
  return {
    sink: async (body) => {
      for await (const chunk of body) chunks.push(chunk);
    },
    bytes: () => Buffer.concat(chunks),
  };
}

/** Fields of every kind a file may hold: plain ids and amounts, and text with the characters that make csv-stringify quote. */
const field = fc.oneof(fc.constantFrom('', '0.00', '-12.30', 'LN-1', 'REPAYMENT#R-1'), fc.string({ unit: fc.constantFrom('a', '1', '|', ',', '"', '\n', '\r', ' ', '中', '.', '-') }));
const rows = fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { maxLength: 20 });

describe('lines of the files', () => {
  it('are what csv-stringify writes, for any rows, pipe-delimited and as CSV copies', () => {
    fc.assert(
      fc.property(rows, (r) => {
        expect(formatRows(r, PIPE_DELIMITED)).toBe(stringify(r, PIPE_DELIMITED.options));
        expect(formatRows(r, CSV_COPY)).toBe(stringify(r, CSV_COPY.options));
      }),
      { numRuns: 500 },
    );
  });

  it('quote a field holding the delimiter, a quote or a line break, and join the others', () => {
    expect(formatRows([['LN-1', 'a|b', 'say "hi"', 'two\nlines', '']], PIPE_DELIMITED)).toBe('LN-1|"a|b"|"say ""hi"""|"two\nlines"|\n');
    expect(formatRows([['业务日期 business_date', '1,000.00']], CSV_COPY)).toBe('业务日期 business_date,"1,000.00"\r\n');
  });
});

const masterRow = (loanId: string, principalMinor: bigint, reference = ''): LoanMasterRow => ({
  loanId,
  programId: `P|${reference}`,
  currency: 'CNY',
  disbursementDate: '2025-03-01',
  loanPrincipalMinor: 1_000_000n,
  fundedMinor: 300_000n,
  balancesMinor: { PRINCIPAL_RECEIVABLE: principalMinor, INTEREST_INCOME: -2_700n },
  dpd: 0,
  classification: 'NORMAL',
  riskAsOf: null,
});

describe('a data file written as its rows come', () => {
  it('has the bytes, SHA-256, record count and totals of the same file rendered whole, whatever the batches', async () => {
    const record = fc.record({ loanId: fc.stringMatching(/^LN-[0-9]{1,4}$/), principal: fc.bigInt({ min: -10_000_000n, max: 10_000_000n }), reference: fc.string({ maxLength: 4 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 40 }), fc.integer({ min: 1, max: 7 }), async (records, batch) => {
        const master = records.map((r) => masterRow(r.loanId, r.principal, r.reference));
        const whole = loanMasterFile('2025-03-03', 'PARTNER-A', master);
        const out = collected();
        const file = await DataFileWriter.open(LOAN_MASTER, '2025-03-03', out.sink);
        const made = master.map((r) => loanMasterFileRow('2025-03-03', 'PARTNER-A', r));
        for (let i = 0; i < made.length; i += batch) await file.write(made.slice(i, i + batch).map((r) => r.fields));
        const totals = LOAN_MASTER.amountColumns.map((_, c) => made.reduce((sum, r) => sum + r.amounts[c]!, 0n));
        const written = await file.end({ rows: made.length, totals });
        expect(out.bytes().toString('hex')).toBe(whole.body.toString('hex'));
        expect(written).toEqual({ name: whole.name, records: whole.records, totals: whole.totals, sha256: whole.sha256 });
        expect(whole.sha256).toBe(createHash('sha256').update(whole.body).digest('hex'));
      }),
      { numRuns: 100 },
    );
  });

  it('stops with a named invariant, and stores nothing, when its sources made another number of rows than it was given', async () => {
    let stored: Buffer | null = null;
    const file = await DataFileWriter.open(REPAYMENT_DETAIL, '2025-03-03', async (body) => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of body) chunks.push(chunk);
      stored = Buffer.concat(chunks);
    });
    await file.write([['2025-03-03', 'PARTNER-A', 'LN-1']]);
    const error = await rejectedBy(DomainError, () => file.end({ rows: 2, totals: [] }));
    expect(error.code).toBe('INVARIANT_VIOLATED');
    expect(error.message).toContain('a file holds every row its sources made');
    expect(error.details).toEqual({ file: 'repayment_detail_20250303.txt', made: 2, written: 1 });
    await file.abort(error);
    expect(stored).toBeNull();
  });

  it('gives its copies every row: the CSV copy with a byte order mark, the bilingual header and CRLF', async () => {
    const out = collected();
    const copy = await csvCopyWriter(LOAN_MASTER, out.sink);
    const file = await DataFileWriter.open(LOAN_MASTER, '2025-03-03', collected().sink, [copy]);
    const row = loanMasterFileRow('2025-03-03', 'PARTNER-A', masterRow('LN-1', 277_500n));
    await file.write([row.fields]);
    await file.end({ rows: 1, totals: row.amounts });
    const text = out.bytes();
    expect([...text.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, line, end] = text.subarray(3).toString('utf8').split('\r\n');
    expect(header!.split(',').slice(0, 3)).toEqual(['业务日期 business_date', '资金方编号 lender_id', '借据号 loan_id']);
    expect(line).toBe('2025-03-03,PARTNER-A,LN-1,P|,CNY,2025-03-01,10000.00,3000.00,0.300000,2775.00,0.00,0.00,0.00,27.00,0.00,0.00,0.00,0.00,0,NORMAL,');
    expect(end).toBe('');
  });
});
