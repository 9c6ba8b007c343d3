import { describe, expect, it } from 'vitest';
import { parseCollectionFile } from '../../../../../shared/adapters/files/collection-file.ts';

const CSV_HEADER = 'repayment_id,loan_id,amount,currency,value_date,channel,kind';

function csv(...rows: string[]): string {
  return [CSV_HEADER, ...rows].join('\n') + '\n';
}

/** The errors without their messages, for exact comparison of where and what. */
function where(text: string): { line: number; path: string; rule: string }[] {
  return parseCollectionFile(text).errors.map(({ line, path, rule }) => ({ line, path, rule }));
}

function amountOf(text: string): bigint | undefined {
  return parseCollectionFile(text).repayments[0]?.request.amountMinor;
}

describe('CSV', () => {
  it('reads each line into the API request, with its physical line number', () => {
    const parsed = parseCollectionFile(csv('R-0001,L-0001,1234.56,CNY,2026-03-01,AUTO_DEBIT,', 'R-0002,L-0002,0.01,INR,2026-03-02,COUNTER,PREPAYMENT'));
    expect(parsed).toEqual({
      format: 'CSV',
      errors: [],
      repayments: [
        { line: 2, request: { repaymentId: 'R-0001', loanId: 'L-0001', amountMinor: 123456n, currency: 'CNY', valueDate: '2026-03-01', channel: 'AUTO_DEBIT', kind: 'REGULAR' } },
        { line: 3, request: { repaymentId: 'R-0002', loanId: 'L-0002', amountMinor: 1n, currency: 'INR', valueDate: '2026-03-02', channel: 'COUNTER', kind: 'PREPAYMENT' } },
      ],
    });
  });

  it('takes the header in any order and any case, kind optional, amount_minor instead of amount', () => {
    const parsed = parseCollectionFile('CHANNEL,Amount_Minor,Value_Date,Currency,Loan_ID,Repayment_ID\nTHIRD_PARTY,500,20260315,CNY,L-9,R-9\n');
    expect(parsed.errors).toEqual([]);
    expect(parsed.repayments).toEqual([
      { line: 2, request: { repaymentId: 'R-9', loanId: 'L-9', amountMinor: 500n, currency: 'CNY', valueDate: '2026-03-15', channel: 'THIRD_PARTY', kind: 'REGULAR' } },
    ]);
  });

  it('reads RFC 4180 quoted fields, with a doubled quote inside and spaces around', () => {
    const parsed = parseCollectionFile(csv('"R-1", "L-1" ,"1,234.5",CNY,2026-03-01,"OTHER",""', '"R-""2",L-2,1.00,CNY,2026-03-01,OTHER,'));
    expect(where(csv('"R-1", "L-1" ,"1234.5",CNY,2026-03-01,"OTHER",""'))).toEqual([]);
    expect(amountOf(csv('"R-1", "L-1" ,"1234.5",CNY,2026-03-01,"OTHER",""'))).toBe(123450n);
    // A thousands separator is not an amount; a quote is not an id character.
    expect(parsed.errors.map(({ line, path, rule }) => ({ line, path, rule }))).toEqual([
      { line: 2, path: 'amountMinor', rule: 'decimal-format' },
      { line: 3, path: 'repaymentId', rule: 'invalid_format' },
    ]);
  });

  it('refuses text after a closing quote and a quote inside an unquoted field, on their lines, and reads the lines around them', () => {
    const parsed = parseCollectionFile(csv('R-1,L-1,1,CNY,2026-03-01,OTHER,', '"R-2"x,L-1,1,CNY,2026-03-01,OTHER,', 'R-3,L"1,1,CNY,2026-03-01,OTHER,', 'R-4,L-1,1,CNY,2026-03-01,OTHER,'));
    expect(parsed.repayments.map((r) => [r.line, r.request.repaymentId])).toEqual([
      [2, 'R-1'],
      [5, 'R-4'],
    ]);
    expect(parsed.errors).toEqual([
      { line: 3, path: 'line', rule: 'quoting', message: 'field 1 has text after its closing quote' },
      { line: 4, path: 'line', rule: 'quoting', message: 'field 2 has a quote inside an unquoted value' },
    ]);
  });

  it('refuses a quote left open: it runs to the end of the file, so the lines after it are part of its field', () => {
    const parsed = parseCollectionFile(csv('R-1,L-1,1,CNY,2026-03-01,OTHER,', '"R-2,L-1,1,CNY,2026-03-01,OTHER,', 'R-3,L-1,1,CNY,2026-03-01,OTHER,'));
    expect(parsed.repayments.map((r) => r.line)).toEqual([2]);
    expect(parsed.errors).toEqual([{ line: 3, path: 'line', rule: 'quoting', message: 'field 1 opens a quote that is not closed before the end of the file' }]);
  });

  it('reads a quoted field over several lines as one record, numbered by the line it starts on', () => {
    const parsed = parseCollectionFile(csv('R-1,L-1,1,CNY,2026-03-01,OTHER,', '"R-2","L-2","2.50",CNY,2026-03-01,OTHER,"', 'PREPAYMENT"', 'R-3,L-3,x,CNY,2026-03-01,OTHER,'));
    expect(parsed.repayments.map((r) => [r.line, r.request.repaymentId, r.request.amountMinor, r.request.kind])).toEqual([
      [2, 'R-1', 100n, 'REGULAR'],
      [3, 'R-2', 250n, 'PREPAYMENT'],
    ]);
    expect(where(csv('R-1,L-1,1,CNY,2026-03-01,OTHER,', '"R-2","L-2","2.50",CNY,2026-03-01,OTHER,"', 'PREPAYMENT"', 'R-3,L-3,x,CNY,2026-03-01,OTHER,'))).toEqual([
      { line: 5, path: 'amountMinor', rule: 'decimal-format' },
    ]);
  });

  it('counts the lines of a quoted line break, also with CRLF, for the errors after it', () => {
    const text = ['repayment_id,loan_id,amount,currency,value_date,channel,kind', 'R-1,"L-1",1,CNY,2026-03-01,OTHER,"REG', 'ULAR"', 'R-2,L-2,x,CNY,2026-03-01,OTHER,'].join('\r\n');
    expect(where(text)).toEqual([
      { line: 2, path: 'kind', rule: 'invalid_value' },
      { line: 4, path: 'amountMinor', rule: 'decimal-format' },
    ]);
    expect(parseCollectionFile(text).errors[0]?.message).toBe('Invalid option: expected one of "REGULAR"|"PREPAYMENT" (got "REG\\r\\nULAR")');
  });

  it('requires the header: a CSV file starting with data refuses its first line as a header', () => {
    const parsed = parseCollectionFile('R-1,L-1,1.00,CNY,2026-03-01,OTHER,\n');
    expect(parsed.repayments).toEqual([]);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]).toMatchObject({ line: 1, path: 'header', rule: 'unknown-column' });
  });
});

describe('header errors: one error on the header line and no repayment', () => {
  const DATA = 'R-1,L-1,1.00,CNY,2026-03-01,OTHER,X';
  it.each([
    ['an unknown column', 'repayment_id,loan_id,amount,currency,value_date,channel,comment', 'unknown-column', 'unknown column "comment"'],
    ['a duplicate column', 'repayment_id,loan_id,amount,currency,value_date,channel,Loan_Id', 'duplicate-column', 'column loan_id appears more than once'],
    ['a missing required column', 'repayment_id,loan_id,amount,currency,kind,channel,kind2', 'unknown-column', 'unknown column "kind2"; column value_date is missing'],
    ['no amount column', 'repayment_id,loan_id,currency,value_date,channel,kind,x', 'unknown-column', 'unknown column "x"; exactly one of amount and amount_minor is needed, found neither'],
    ['both amount columns', 'repayment_id,loan_id,amount,amount_minor,currency,value_date,channel', 'amount-column', 'exactly one of amount and amount_minor is needed, found both'],
    ['a duplicate and a missing column', 'repayment_id,amount,currency,value_date,channel,kind,kind', 'duplicate-column', 'column kind appears more than once; column loan_id is missing'],
  ])('%s', (_case, header, rule, message) => {
    expect(parseCollectionFile(`${header}\n${DATA}\n`)).toEqual({ format: 'CSV', repayments: [], errors: [{ line: 1, path: 'header', rule, message }] });
  });

  it('counts the header line after leading blank lines', () => {
    expect(where('\n\nrepayment_id,loan_id,amount,currency,value_date,channel,kind,extra\n')).toEqual([{ line: 3, path: 'header', rule: 'unknown-column' }]);
  });

  it('names a missing column alone', () => {
    expect(parseCollectionFile('repayment_id,loan_id,amount,value_date,channel\n').errors).toEqual([
      { line: 1, path: 'header', rule: 'missing-column', message: 'column currency is missing' },
    ]);
  });
});

describe('pipe-delimited', () => {
  it('reads the fixed column order without a header', () => {
    const parsed = parseCollectionFile('R-1|L-1|1234.5|CNY|2026-03-01|AUTO_DEBIT|\nR-2|L-2|7|INR|20260302|BANK_TRANSFER|PREPAYMENT\n');
    expect(parsed).toEqual({
      format: 'PIPE',
      errors: [],
      repayments: [
        { line: 1, request: { repaymentId: 'R-1', loanId: 'L-1', amountMinor: 123450n, currency: 'CNY', valueDate: '2026-03-01', channel: 'AUTO_DEBIT', kind: 'REGULAR' } },
        { line: 2, request: { repaymentId: 'R-2', loanId: 'L-2', amountMinor: 700n, currency: 'INR', valueDate: '2026-03-02', channel: 'BANK_TRANSFER', kind: 'PREPAYMENT' } },
      ],
    });
  });

  it('recognises a header by its first field repayment_id, in any case and column order', () => {
    const parsed = parseCollectionFile('REPAYMENT_ID|amount_minor|loan_id|currency|value_date|channel\nR-1|99|L-1|CNY|2026-03-01|COUNTER\n');
    expect(parsed.format).toBe('PIPE');
    expect(parsed.errors).toEqual([]);
    expect(parsed.repayments).toEqual([
      { line: 2, request: { repaymentId: 'R-1', loanId: 'L-1', amountMinor: 99n, currency: 'CNY', valueDate: '2026-03-01', channel: 'COUNTER', kind: 'REGULAR' } },
    ]);
  });

  it('refuses a bad pipe header like a CSV one', () => {
    expect(parseCollectionFile('repayment_id|loan_id|amount|currency|value_date|channel|memo\nR-1|L-1|1|CNY|2026-03-01|COUNTER|x\n')).toEqual({
      format: 'PIPE',
      repayments: [],
      errors: [{ line: 1, path: 'header', rule: 'unknown-column', message: 'unknown column "memo"' }],
    });
  });

  it('needs all seven fields without a header, kind empty or not', () => {
    expect(where('R-1|L-1|1|CNY|2026-03-01|COUNTER\nR-2|L-1|1|CNY|2026-03-01|COUNTER|REGULAR|x\n')).toEqual([
      { line: 1, path: 'line', rule: 'field-count' },
      { line: 2, path: 'line', rule: 'field-count' },
    ]);
    expect(parseCollectionFile('R-1|L-1|1|CNY|2026-03-01|COUNTER\n').errors[0]?.message).toBe('expected 7 fields, found 6');
  });

  it('reads quoted fields as the settlement files write them: a | inside quotes is data', () => {
    const parsed = parseCollectionFile('repayment_id|loan_id|amount|currency|value_date|channel|kind\n"R-1"|"L|1"|1|CNY|2026-03-01|OTHER|\nR-2|L-2|2|CNY|2026-03-01|OTHER|\n');
    expect(parsed.format).toBe('PIPE');
    expect(parsed.errors).toEqual([{ line: 2, path: 'loanId', rule: 'invalid_format', message: `1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit (got "L|1")` }]);
    expect(parsed.repayments.map((r) => r.line)).toEqual([3]);
  });

  it('refuses an id outside the id characters, after a BOM and with CRLF', () => {
    expect(where('\uFEFFR-1|L-1|1|CNY|2026-03-01|COUNTER|\r\n还款|L-1|1|CNY|2026-03-01|COUNTER|\r\n')).toEqual([{ line: 2, path: 'repaymentId', rule: 'invalid_format' }]);
  });
});

describe('amounts: major units to minor units, exactly', () => {
  it.each([
    ['1234.56', 123456n],
    ['1234.5', 123450n],
    ['1234', 123400n],
    ['0.01', 1n],
    ['0.1', 10n],
    ['007.07', 707n],
    ['9999999999999.99', 999_999_999_999_999n],
    ['10000000000000.00', 1_000_000_000_000_000n],
  ])('amount %s is %s fen', (amount, expected) => {
    expect(amountOf(csv(`R-1,L-1,${amount},CNY,2026-03-01,OTHER,`))).toBe(expected);
  });

  it.each([
    ['1', 1n],
    ['000123', 123n],
    ['1000000000000000', 1_000_000_000_000_000n],
  ])('amount_minor %s is %s fen', (amountMinor, expected) => {
    expect(amountOf(`repayment_id,loan_id,amount_minor,currency,value_date,channel\nR-1,L-1,${amountMinor},CNY,2026-03-01,OTHER\n`)).toBe(expected);
  });

  it.each([
    ['-12.34', 'too_small', 'must be positive (got "-12.34")'],
    ['0', 'too_small', 'must be positive (got "0")'],
    ['0.00', 'too_small', 'must be positive (got "0.00")'],
    ['12.345', 'minor-digits', 'has more than 2 decimal places for CNY (got "12.345")'],
    ['12.340', 'minor-digits', 'has more than 2 decimal places for CNY (got "12.340")'],
    ['abc', 'decimal-format', 'must be an amount in major units such as 1234.56 (got "abc")'],
    ['', 'decimal-format', 'must be an amount in major units such as 1234.56 (got "")'],
    ['1e3', 'decimal-format', 'must be an amount in major units such as 1234.56 (got "1e3")'],
    ['12.', 'decimal-format', 'must be an amount in major units such as 1234.56 (got "12.")'],
    ['.5', 'decimal-format', 'must be an amount in major units such as 1234.56 (got ".5")'],
    ['+5', 'decimal-format', 'must be an amount in major units such as 1234.56 (got "+5")'],
  ])('refuses amount %j on its line, as amountMinor', (amount, rule, message) => {
    const parsed = parseCollectionFile(csv('R-1,L-1,1.00,CNY,2026-03-01,OTHER,', `R-2,L-1,${amount},CNY,2026-03-01,OTHER,`));
    expect(parsed.errors).toEqual([{ line: 3, path: 'amountMinor', rule, message }]);
    expect(parsed.repayments.map((r) => r.line)).toEqual([2]);
  });

  it.each([
    ['-1', 'too_small'],
    ['0', 'too_small'],
    ['1.5', 'invalid_format'],
    ['abc', 'invalid_format'],
    ['', 'invalid_format'],
  ])('refuses amount_minor %j with the API rule', (amountMinor, rule) => {
    expect(where(`repayment_id,loan_id,amount_minor,currency,value_date,channel\nR-1,L-1,${amountMinor},CNY,2026-03-01,OTHER\n`)).toEqual([{ line: 2, path: 'amountMinor', rule }]);
  });

  it('reads fractional digits with the most any currency has when the currency is unknown', () => {
    expect(where(csv('R-1,L-1,12.345,USD,2026-03-01,OTHER,'))).toEqual([
      { line: 2, path: 'amountMinor', rule: 'minor-digits' },
      { line: 2, path: 'currency', rule: 'invalid_value' },
    ]);
    expect(parseCollectionFile(csv('R-1,L-1,12.345,USD,2026-03-01,OTHER,')).errors[0]?.message).toBe('has more than 2 decimal places (got "12.345")');
  });
});

describe('line validation with the API schema', () => {
  it.each([
    ['an impossible date', 'R-1,L-1,1,CNY,2026-02-30,OTHER,', 'valueDate', 'iso-date', 'must be a calendar date YYYY-MM-DD (got "2026-02-30")'],
    ['an impossible compact date', 'R-1,L-1,1,CNY,20260230,OTHER,', 'valueDate', 'iso-date', 'must be a calendar date YYYY-MM-DD (got "20260230")'],
    ['a date in another form', 'R-1,L-1,1,CNY,01/03/2026,OTHER,', 'valueDate', 'iso-date', 'must be a calendar date YYYY-MM-DD (got "01/03/2026")'],
    ['an unknown channel', 'R-1,L-1,1,CNY,2026-03-01,ATM,', 'channel', 'invalid_value', 'Invalid option: expected one of "AUTO_DEBIT"|"BANK_TRANSFER"|"COUNTER"|"THIRD_PARTY"|"OTHER" (got "ATM")'],
    ['a lower-case channel', 'R-1,L-1,1,CNY,2026-03-01,counter,', 'channel', 'invalid_value', 'Invalid option: expected one of "AUTO_DEBIT"|"BANK_TRANSFER"|"COUNTER"|"THIRD_PARTY"|"OTHER" (got "counter")'],
    ['an unknown kind', 'R-1,L-1,1,CNY,2026-03-01,OTHER,EARLY', 'kind', 'invalid_value', 'Invalid option: expected one of "REGULAR"|"PREPAYMENT" (got "EARLY")'],
    ['an unknown currency', 'R-1,L-1,1,USD,2026-03-01,OTHER,', 'currency', 'invalid_value', 'Invalid option: expected one of "CNY"|"INR" (got "USD")'],
    ['an empty loan id', 'R-1,,1,CNY,2026-03-01,OTHER,', 'loanId', 'invalid_format', `1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit (got "")`],
    ['a reserved character in the id', 'R#1,L-1,1,CNY,2026-03-01,OTHER,', 'repaymentId', 'invalid_format', `1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit (got "R#1")`],
  ])('refuses %s, naming the line and the field', (_case, row, path, rule, message) => {
    expect(parseCollectionFile(csv(row))).toEqual({ format: 'CSV', repayments: [], errors: [{ line: 2, path, rule, message }] });
  });

  it('refuses an amount above the largest the platform books, with the figures', () => {
    expect(parseCollectionFile(csv('R-1,L-1,10000000000000.01,CNY,2026-03-01,OTHER,')).errors).toEqual([
      { line: 2, path: 'amountMinor', rule: 'max-amount', message: 'must be at most 1000000000000000 minor units, got 1000000000000001 (got "10000000000000.01")' },
    ]);
  });

  it('lists every problem of a line, in the order of the request fields', () => {
    expect(where(csv('R-1,L 1,-1,CNY,2026-13-01,ATM,'))).toEqual([
      { line: 2, path: 'loanId', rule: 'invalid_format' },
      { line: 2, path: 'amountMinor', rule: 'too_small' },
      { line: 2, path: 'valueDate', rule: 'iso-date' },
      { line: 2, path: 'channel', rule: 'invalid_value' },
    ]);
  });

  it('refuses a repayment id met again, on the later lines, naming the first', () => {
    const parsed = parseCollectionFile(csv('R-1,L-1,1,CNY,2026-03-01,OTHER,', 'R-2,L-1,1,CNY,2026-03-01,OTHER,', 'R-1,L-2,2,CNY,2026-03-01,OTHER,', 'R-1,L-3,3,CNY,2026-03-01,OTHER,'));
    expect(parsed.repayments.map((r) => r.line)).toEqual([2, 3]);
    expect(parsed.errors).toEqual([
      { line: 4, path: 'repaymentId', rule: 'duplicate', message: 'repayment id "R-1" repeats line 2' },
      { line: 5, path: 'repaymentId', rule: 'duplicate', message: 'repayment id "R-1" repeats line 2' },
    ]);
  });

  it('counts a repeat even when the first line was refused for something else', () => {
    expect(where(csv('R-1,L-1,0,CNY,2026-03-01,OTHER,', 'R-1,L-1,1,CNY,2026-03-01,OTHER,'))).toEqual([
      { line: 2, path: 'amountMinor', rule: 'too_small' },
      { line: 3, path: 'repaymentId', rule: 'duplicate' },
    ]);
  });

  it('refuses a line with too few or too many fields', () => {
    const parsed = parseCollectionFile(csv('R-1,L-1,1,CNY,2026-03-01,OTHER', 'R-2,L-1,1,CNY,2026-03-01,OTHER,,', 'R-3,L-1,1,CNY,2026-03-01,OTHER,'));
    expect(parsed.errors).toEqual([
      { line: 2, path: 'line', rule: 'field-count', message: 'expected 7 fields, found 6' },
      { line: 3, path: 'line', rule: 'field-count', message: 'expected 7 fields, found 8' },
    ]);
    expect(parsed.repayments.map((r) => r.request.repaymentId)).toEqual(['R-3']);
  });
});

describe('text the file may carry', () => {
  const rows = ['repayment_id,loan_id,amount,currency,value_date,channel,kind', 'R-1,L-1,1,CNY,2026-03-01,OTHER,', '', '  ', 'R-2,L-1,2.5,CNY,2026-03-01,OTHER,'];

  it('tolerates a BOM, CRLF, blank lines and a trailing newline, keeping physical line numbers', () => {
    const parsed = parseCollectionFile(`\uFEFF${rows.join('\r\n')}\r\n\r\n`);
    expect(parsed.format).toBe('CSV');
    expect(parsed.errors).toEqual([]);
    expect(parsed.repayments.map((r) => [r.line, r.request.repaymentId, r.request.amountMinor])).toEqual([
      [2, 'R-1', 100n],
      [5, 'R-2', 250n],
    ]);
  });

  it('reads the same without a trailing newline', () => {
    expect(parseCollectionFile(rows.join('\n')).repayments.map((r) => r.line)).toEqual([2, 5]);
  });

  it('numbers an error after blank lines by its physical line', () => {
    expect(where(`\uFEFF${[...rows, '', 'R-3,L-1,x,CNY,2026-03-01,OTHER,'].join('\r\n')}`)).toEqual([{ line: 7, path: 'amountMinor', rule: 'decimal-format' }]);
  });

  it('reads a header alone as a file with no repayment', () => {
    expect(parseCollectionFile(`${CSV_HEADER}\r\n`)).toEqual({ format: 'CSV', repayments: [], errors: [] });
  });

  it('refuses an empty file, and one of empty quoted fields alone', () => {
    expect(parseCollectionFile('\uFEFF\r\n\n')).toEqual({ format: 'CSV', repayments: [], errors: [{ line: 1, path: 'file', rule: 'empty', message: 'the file holds no line' }] });
    expect(parseCollectionFile('""\n \n').errors).toEqual([{ line: 1, path: 'file', rule: 'empty', message: 'the file holds no line' }]);
  });
});
