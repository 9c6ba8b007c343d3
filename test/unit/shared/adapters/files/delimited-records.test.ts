import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { DelimitedSplitter, csvParseRecords, separatorOf, splitDelimited, type DelimitedProblem, type DelimitedRecord } from '../../../../../shared/adapters/files/delimited-records.ts';

/** The splitter's records, the text pushed in chunks cut at the given points. */
function splitInChunks(text: string, delimiter: string, cuts: readonly number[]): (DelimitedRecord | DelimitedProblem)[] {
  const items: (DelimitedRecord | DelimitedProblem)[] = [];
  const splitter = new DelimitedSplitter(delimiter, (r) => items.push(r), (p) => items.push(p));
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    splitter.push(text.slice(at, Math.max(at, cut)));
    at = Math.max(at, cut);
  }
  splitter.push(text.slice(at));
  splitter.end();
  return items;
}

async function byCsvParse(text: string, delimiter: string): Promise<DelimitedRecord[]> {
  const records: DelimitedRecord[] = [];
  for await (const record of csvParseRecords([text], delimiter)) records.push(record);
  return records;
}

/** Fields compared as the readers use them: trimmed. */
const trimmed = (items: readonly (DelimitedRecord | DelimitedProblem)[]) => items.map((i) => ('fields' in i ? { line: i.line, fields: i.fields.map((f) => f.trim()) } : i));

const field = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9 ._:#-]{0,12}$/),
  fc.constantFrom('还款', '合作银行A', '1,234.56', 'a|b', 'say "hi"', 'two\nlines', 'crlf\r\nin', ' padded ', ''),
);
const rows = fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { minLength: 0, maxLength: 25 });

describe('DelimitedSplitter: csv-parse records, quote-free lines split directly', () => {
  it('gives the records and line numbers of csv-parse alone, for any rows written with RFC 4180 quoting, cut into any chunks', async () => {
    await fc.assert(
      fc.asyncProperty(rows, fc.constantFrom(',', '|'), fc.constantFrom('\n', '\r\n'), fc.array(fc.nat(2000), { maxLength: 8 }), async (table, delimiter, eol, cuts) => {
        const text = stringify(table, { delimiter, record_delimiter: eol === '\n' ? 'unix' : 'windows', quoted_match: /["\r\n]|^ | $/ });
        const expected = await byCsvParse(text, delimiter);
        expect(trimmed(splitInChunks(text, delimiter, cuts))).toEqual(trimmed(expected));
        expect(expected.map((r) => r.fields.map((f) => f.trim()))).toEqual(table.map((row) => row.map((f) => f.trim())));
      }),
      { numRuns: 300 },
    );
  });

  it('numbers records by the physical line they start on, blank lines included', () => {
    expect(splitDelimited('a,b\n\n"x\ny",z\r\nc,"d"\n', ',')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: [''] },
      { line: 3, fields: ['x\ny', 'z'] },
      { line: 5, fields: ['c', 'd'] },
    ]);
  });

  it('reports a quote problem at the record it starts, and goes on after it', () => {
    expect(splitDelimited('a,b"c\n"d"e,f\ng,h\n"open,\nrest\n', ',')).toEqual([
      { line: 1, rule: 'quoting', message: 'field 2 has a quote inside an unquoted value' },
      { line: 2, rule: 'quoting', message: 'field 1 has text after its closing quote' },
      { line: 3, fields: ['g', 'h'] },
      { line: 4, rule: 'quoting', message: 'field 1 opens a quote that is not closed before the end of the file' },
    ]);
  });

  it('refuses a line longer than the largest record instead of holding it', () => {
    const problems: DelimitedProblem[] = [];
    const splitter = new DelimitedSplitter(',', () => undefined, (p) => problems.push(p));
    splitter.push('x'.repeat(200_000));
    expect(problems).toEqual([{ line: 1, rule: 'record-size', message: 'line 1 runs over 131072 characters without a line break' }]);
  });

  it('tells the separator from the first line that is not blank, the given one on a tie', () => {
    expect(separatorOf('\n  \na|b|c,d\nx,y,z,w,v', ',')).toBe('|');
    expect(separatorOf('交易日期,交易流水号,借方发生额\n', '|')).toBe(',');
    expect(separatorOf('R-1\n', '|')).toBe('|');
    expect(separatorOf('', ',')).toBe(',');
  });
});
