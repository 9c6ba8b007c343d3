import { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { readCounterpartBatches, readCounterpartFile, type ReadCounterpartOptions } from '../../../../../shared/adapters/files/counterpart-reader.ts';
import { csvCopy, xlsxCopy } from '../../../../../shared/adapters/files/human-copies.ts';
import { loanMasterFile, type LoanMasterRow } from '../../../../../shared/adapters/files/settlement-files.ts';
import {
  CounterpartFileError,
  MAX_FILE_ERRORS,
  type BankStatementMappingInput,
  type CounterpartFileType,
  type CounterpartRecord,
} from '../../../../../shared/domain/counterpart-records.ts';
import { ValidationError } from '../../../../../shared/domain/errors.ts';

/** Reads the bytes in small chunks (a multi-byte character and a line are cut across chunks), keeping what was handed on before any error. */
async function read<T extends CounterpartFileType>(bytes: Buffer | string, options: ReadCounterpartOptions<T>, chunkSize = 7) {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += chunkSize) chunks.push(buffer.subarray(i, i + chunkSize));
  const records: CounterpartRecord<T>[] = [];
  let error: unknown = null;
  try {
    for await (const record of readCounterpartFile(Readable.from(chunks), options)) records.push(record);
  } catch (caught) {
    error = caught;
  }
  return { records, error: error as CounterpartFileError | null };
}

/** The refusal's problems, or a failure when the file was not refused. */
function problemsOf(error: CounterpartFileError | null) {
  if (!(error instanceof CounterpartFileError)) throw new Error(`expected the file to be refused, got ${String(error)}`);
  expect(error.code).toBe('FILE_MALFORMED');
  return error.errors;
}

const REPAYMENT_HEADER =
  'business_date|lender_id|loan_id|event_type|event_id|value_date|booked_on|currency|principal_amount|interest_amount|penalty_amount|fee_amount|suspense_amount|guarantee_amount|loss_amount|total_amount|corrects_entry';
const REPAYMENT = '2026-03-02|BANK-A|L-0001|REPAYMENT|R-0001|2026-03-01|2026-03-02|CNY|700.00|35.50|0.00|0.00|0.00|0.00|0.00|735.50|';
const REVERSAL = '2026-03-02|BANK-A|L-0001|REVERSAL|RV-0001|2026-03-01|2026-03-02|CNY|-700.00|-35.50|0.00|0.00|0.00|0.00|0.00|-735.50|REPAYMENT#R-0001';

const repaymentRecord = {
  line: 2,
  businessDate: '2026-03-02',
  lenderId: 'BANK-A',
  loanId: 'L-0001',
  eventType: 'REPAYMENT',
  eventId: 'R-0001',
  valueDate: '2026-03-01',
  bookedOn: '2026-03-02',
  currency: 'CNY',
  principalMinor: 70000n,
  interestMinor: 3550n,
  penaltyMinor: 0n,
  feeMinor: 0n,
  suspenseMinor: 0n,
  guaranteeMinor: 0n,
  lossMinor: 0n,
  totalMinor: 73550n,
  correctsEntry: null,
};

describe('partner repayment detail (还款明细)', () => {
  it('reads our pipe-delimited layout, amounts exact to the fen, a reversal negative', async () => {
    const { records, error } = await read(`${REPAYMENT_HEADER}\n${REPAYMENT}\n${REVERSAL}\n`, { type: 'PARTNER_REPAYMENTS' });
    expect(error).toBeNull();
    expect(records).toEqual([
      repaymentRecord,
      { ...repaymentRecord, line: 3, eventType: 'REVERSAL', eventId: 'RV-0001', principalMinor: -70000n, interestMinor: -3550n, totalMinor: -73550n, correctsEntry: 'REPAYMENT#R-0001' },
    ]);
  });

  it('reads the Chinese column names, as CSV, with a BOM, CRLF, blank lines and columns in another order', async () => {
    const header = '借据号,业务日期,资金方编号,事件类型,事件编号,起息日,入账日,币种,本金,利息,罚息,费用,挂账,代偿,损失,合计,冲正原分录,partner_note';
    const row = 'L-0001,20260302,BANK-A,REPAYMENT,R-0001,2026-03-01,2026-03-02,CNY,700,35.5,0,0,0,0,0,735.50,,ours';
    const { records, error } = await read(`\uFEFF${header}\r\n\r\n${row}\r\n`, { type: 'PARTNER_REPAYMENTS' });
    expect(error).toBeNull();
    expect(records).toEqual([{ ...repaymentRecord, line: 3 }]);
  });

  it('refuses a malformed amount and a malformed date naming line, field and rule, after handing on only the rows before', async () => {
    const bad = REPAYMENT.replace('700.00', '7OO.00').replace('2026-03-01', '2026-02-30');
    const { records, error } = await read(`${REPAYMENT_HEADER}\n${REPAYMENT}\n${bad}\n${REPAYMENT}\n`, { type: 'PARTNER_REPAYMENTS' });
    expect(records.map((r) => r.line)).toEqual([2]);
    expect(problemsOf(error)).toEqual([
      { line: 3, path: 'valueDate', rule: 'date', message: 'value_date must be a real date YYYY-MM-DD or YYYYMMDD (got "2026-02-30")' },
      { line: 3, path: 'principalMinor', rule: 'decimal-format', message: 'principal_amount must be an amount in major units such as 1234.56 (got "7OO.00")' },
    ]);
  });

  it('refuses a total that is not the sum of its components', async () => {
    const { error } = await read(`${REPAYMENT_HEADER}\n${REPAYMENT.replace('735.50', '735.51')}\n`, { type: 'PARTNER_REPAYMENTS' });
    expect(problemsOf(error)).toEqual([{ line: 2, path: 'totalMinor', rule: 'total-mismatch', message: 'total_amount is 73551 minor units but its components sum to 73550' }]);
  });

  it('refuses a header without one of our columns at once, naming it', async () => {
    const { records, error } = await read(`${REPAYMENT_HEADER.replace('|booked_on', '')}\n${REPAYMENT}\n`, { type: 'PARTNER_REPAYMENTS' });
    expect(records).toEqual([]);
    expect(problemsOf(error)).toEqual([{ line: 1, path: 'header', rule: 'missing-column', message: 'column booked_on is missing' }]);
  });

  it('refuses a row with fewer fields than the header', async () => {
    const { error } = await read(`${REPAYMENT_HEADER}\n${REPAYMENT.slice(0, REPAYMENT.lastIndexOf('|'))}\n`, { type: 'PARTNER_REPAYMENTS' });
    expect(problemsOf(error)).toEqual([{ line: 2, path: 'line', rule: 'field-count', message: 'expected 17 fields as in the header, found 16' }]);
  });

  it('lists at most 100 problems, then stops reading', async () => {
    const bad = REPAYMENT.replace('CNY', 'USD');
    const lines = Array.from({ length: 150 }, () => bad);
    const { error } = await read(`${REPAYMENT_HEADER}\n${lines.join('\n')}\n`, { type: 'PARTNER_REPAYMENTS' }, 4096);
    const problems = problemsOf(error);
    expect(problems).toHaveLength(MAX_FILE_ERRORS);
    expect(problems[99]).toEqual({ line: 101, path: 'currency', rule: 'currency', message: 'currency must be one of CNY, INR (got "USD")' });
    expect(error?.truncated).toBe(true);
  });

  it('hands the same records a chunk at a time, and refuses the same file at the same point', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => REPAYMENT.replace('R-0001', `R-${i}`));
    const text = Buffer.from(`${REPAYMENT_HEADER}\n${rows.join('\n')}\n`);
    const chunks = [text.subarray(0, 70_000), text.subarray(70_000)];
    const batches: number[][] = [];
    for await (const batch of readCounterpartBatches(Readable.from(chunks), { type: 'PARTNER_REPAYMENTS' })) batches.push(batch.map((r) => r.line));
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual((await read(text, { type: 'PARTNER_REPAYMENTS' })).records.map((r) => r.line));
    const bad = Buffer.from(text.toString('utf8').replace('R-800|2026-03-01', 'R-800|2026-03-32'));
    const handed: number[] = [];
    const error = await (async () => {
      try {
        for await (const batch of readCounterpartBatches(Readable.from([bad.subarray(0, 70_000), bad.subarray(70_000)]), { type: 'PARTNER_REPAYMENTS' })) handed.push(...batch.map((r) => r.line));
      } catch (caught) {
        return caught as CounterpartFileError;
      }
      return null;
    })();
    expect(problemsOf(error).map((p) => [p.line, p.path])).toEqual([[802, 'valueDate']]);
    expect(handed).toEqual(Array.from({ length: 800 }, (_, i) => i + 2));
  });

  it('streams: the first record comes once the first 64 KiB are in, not the whole file', async () => {
    let pulled = 0;
    async function* bytes(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${REPAYMENT_HEADER}\n`);
      for (let i = 0; i < 100_000; i++) {
        pulled++;
        yield Buffer.from(`${REPAYMENT.replace('R-0001', `R-${i}`)}\n`);
      }
    }
    const records = readCounterpartFile(bytes(), { type: 'PARTNER_REPAYMENTS' });
    const first = await records.next();
    expect(first.value).toMatchObject({ line: 2, eventId: 'R-0' });
    expect(pulled).toBeLessThan(1_000);
    await records.return(undefined);
  });

  it('refuses a UTF-16 file', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${REPAYMENT_HEADER}\n`, 'utf16le')]);
    expect(problemsOf((await read(utf16, { type: 'PARTNER_REPAYMENTS' })).error)).toEqual([{ line: 1, path: 'encoding', rule: 'encoding', message: 'the file is UTF-16; Colend reads UTF-8 and GBK' }]);
  });

  it('reads a repeated row twice: duplicates are for reconciliation to report', async () => {
    const { records, error } = await read(`${REPAYMENT_HEADER}\n${REPAYMENT}\n${REPAYMENT}\n`, { type: 'PARTNER_REPAYMENTS' });
    expect(error).toBeNull();
    expect(records.map((r) => [r.line, r.eventId])).toEqual([
      [2, 'R-0001'],
      [3, 'R-0001'],
    ]);
  });

  it('refuses an empty file and a file of a header alone reads no record', async () => {
    expect(problemsOf((await read('\n\n', { type: 'PARTNER_REPAYMENTS' })).error)).toEqual([{ line: 2, path: 'header', rule: 'header-row', message: 'the file has no header line' }]);
    expect(problemsOf((await read('', { type: 'PARTNER_REPAYMENTS' })).error)).toEqual([{ line: 1, path: 'file', rule: 'empty', message: 'the file holds no line' }]);
    expect(await read(`${REPAYMENT_HEADER}\n`, { type: 'PARTNER_REPAYMENTS' })).toEqual({ records: [], error: null });
  });
});

const loanRow: LoanMasterRow = {
  loanId: 'L-0001',
  programId: 'P-1',
  currency: 'CNY',
  disbursementDate: '2026-01-15',
  loanPrincipalMinor: 10_000_000n,
  fundedMinor: 3_000_000n,
  balancesMinor: { PRINCIPAL_RECEIVABLE: 2_750_000n, INTEREST_RECEIVABLE: 1_234n, SUSPENSE: -500n, INTEREST_INCOME: -45_678n, FEE_EXPENSE: 900n },
  dpd: 12,
  classification: 'SPECIAL_MENTION',
  riskAsOf: '2026-03-01',
};
const loanRecord = {
  line: 2,
  businessDate: '2026-03-02',
  lenderId: 'BANK-A',
  loanId: 'L-0001',
  programId: 'P-1',
  currency: 'CNY',
  disbursementDate: '2026-01-15',
  loanPrincipalMinor: 10_000_000n,
  fundedMinor: 3_000_000n,
  fundingShare: '0.300000',
  principalBalanceMinor: 2_750_000n,
  interestReceivableMinor: 1_234n,
  guaranteeReceivableMinor: 0n,
  suspenseBalanceMinor: 500n,
  interestIncomeMinor: 45_678n,
  penaltyIncomeMinor: 0n,
  feeIncomeMinor: 0n,
  feeExpenseMinor: 900n,
  lossMinor: 0n,
  dpd: 12,
  classification: 'SPECIAL_MENTION',
  riskAsOf: '2026-03-01',
};

describe('partner loan master (贷款主文件)', () => {
  const file = loanMasterFile('2026-03-02', 'BANK-A', [loanRow, { ...loanRow, loanId: 'L-0002', dpd: 0, classification: 'NORMAL', riskAsOf: null }]);
  const expected = [loanRecord, { ...loanRecord, line: 3, loanId: 'L-0002', dpd: 0, classification: 'NORMAL', riskAsOf: null }];

  it('reads our loan master file', async () => {
    expect(await read(file.body, { type: 'PARTNER_LOANS' })).toEqual({ records: expected, error: null });
  });

  it('reads the copies for people: the bilingual CSV (BOM, CRLF) and the XLSX sheet', async () => {
    expect(await read(csvCopy(file).body, { type: 'PARTNER_LOANS' })).toEqual({ records: expected, error: null });
    const xlsx = await xlsxCopy(file, '2026-03-02', '贷款主文件 loan master');
    expect(await read(xlsx.body, { type: 'PARTNER_LOANS' }, 4096)).toEqual({ records: expected, error: null });
  });

  it('refuses an unknown class, a negative DPD and a negative principal', async () => {
    const text = file.body.toString('utf8').replace('SPECIAL_MENTION', 'WATCH').replace('|12|', '|-1|').replace('100000.00', '-100000.00');
    expect(problemsOf((await read(text, { type: 'PARTNER_LOANS' })).error)).toEqual([
      { line: 2, path: 'loanPrincipalMinor', rule: 'non-negative', message: 'loan_principal must not be negative (got "-100000.00")' },
      { line: 2, path: 'dpd', rule: 'count', message: 'dpd must be a whole number of days, 0 or more (got "-1")' },
      { line: 2, path: 'classification', rule: 'classification', message: 'classification must be one of NORMAL, SMA_0, SMA_1, SMA_2, SPECIAL_MENTION, SUBSTANDARD, DOUBTFUL, LOSS (got "WATCH")' },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The escrow bank's statement.

const GENERIC_CSV = [
  '交易日期,交易流水号,借方发生额,贷方发生额,余额,币种,对方账号,对方户名,摘要',
  '2026-03-02,FL0001,,"1,234.56","101,234.56",人民币,6222020000000001,张三,还款 R-0001',
  '2026/03/02,FL0002,"700.00",,"100,534.56",CNY,6222020000000099,合作银行A,"结算付款 SI-20260302-P1-LEAD-BANK-A',
  '第二行"',
  '20260302,FL0003,0.00,10.00,100544.56,RMB,,,利息',
  '合计,,700.00,"1,244.56",,,,,',
  '本页 3 笔,,,,,,,,',
].join('\r\n');

const GENERIC_RECORDS = [
  {
    line: 2,
    bankReference: 'FL0001',
    valueDate: '2026-03-02',
    direction: 'CREDIT',
    amountMinor: 123456n,
    currency: 'CNY',
    counterpartyAccount: '6222020000000001',
    counterpartyName: '张三',
    memo: '还款 R-0001',
    balanceAfterMinor: 10123456n,
  },
  {
    line: 3,
    bankReference: 'FL0002',
    valueDate: '2026-03-02',
    direction: 'DEBIT',
    amountMinor: 70000n,
    currency: 'CNY',
    counterpartyAccount: '6222020000000099',
    counterpartyName: '合作银行A',
    memo: '结算付款 SI-20260302-P1-LEAD-BANK-A\r\n第二行',
    balanceAfterMinor: 10053456n,
    instructionId: 'SI-20260302-P1-LEAD-BANK-A',
  },
  { line: 5, bankReference: 'FL0003', valueDate: '2026-03-02', direction: 'CREDIT', amountMinor: 1000n, currency: 'CNY', memo: '利息', balanceAfterMinor: 10054456n },
];

describe('escrow statement through the built-in mapping (Chinese headers, debit and credit columns)', () => {
  it('reads UTF-8 with a quoted line break, thousands separators, three date forms, currency names, and stops at 合计', async () => {
    expect(await read(GENERIC_CSV, { type: 'ESCROW_STATEMENT' })).toEqual({ records: GENERIC_RECORDS, error: null });
    expect(await read(`\uFEFF${GENERIC_CSV}`, { type: 'ESCROW_STATEMENT' })).toEqual({ records: GENERIC_RECORDS, error: null });
  });

  it('reads the same bytes in GBK, told from the bytes, a character cut across chunks', async () => {
    const gbk = iconv.encode(GENERIC_CSV, 'gbk');
    expect(gbk.equals(Buffer.from(GENERIC_CSV, 'utf8'))).toBe(false);
    for (const chunkSize of [1, 5, 64 * 1024]) expect(await read(gbk, { type: 'ESCROW_STATEMENT' }, chunkSize)).toEqual({ records: GENERIC_RECORDS, error: null });
  });

  it('refuses GBK bytes read as UTF-8, naming the line they start on', async () => {
    const gbk = iconv.encode(GENERIC_CSV, 'gbk');
    expect(problemsOf((await read(gbk, { type: 'ESCROW_STATEMENT', encoding: 'UTF-8' }, 4096)).error)).toEqual([
      { line: 1, path: 'encoding', rule: 'utf-8', message: 'the bytes from line 1 on are not valid UTF-8; a GBK file needs the encoding GBK (in the mapping, or told)' },
    ]);
  });

  it('names the line and the field of a malformed amount, date and currency; both sides filled; neither', async () => {
    const rows = GENERIC_CSV.split('\r\n');
    const bad = [rows[0], '2026-03-02,FL0001,,abc,1.00,人民币,,,', '2026-13-02,FL0002,1.00,,1.00,CNY,,,', '2026-03-02,FL0003,1.00,2.00,1.00,USD,,,', '2026-03-02,FL0004,,0.00,1.00,CNY,,,', '2026-03-02,,1.00,,1.00,CNY,,,'].join('\n');
    expect(problemsOf((await read(bad, { type: 'ESCROW_STATEMENT' })).error)).toEqual([
      { line: 2, path: 'amountMinor', rule: 'decimal-format', message: '贷方发生额 must be an amount in major units such as 1234.56 (got "abc")' },
      { line: 3, path: 'valueDate', rule: 'date', message: '交易日期 must be a real date YYYY-MM-DD or YYYYMMDD or YYYY/MM/DD or YYYY/M/D (got "2026-13-02")' },
      { line: 4, path: 'currency', rule: 'currency', message: '币种 must be one of CNY, INR, 156, 356, 人民币, RMB, 印度卢比 (got "USD")' },
      { line: 4, path: 'amountMinor', rule: 'one-side', message: 'only one of 借方发生额 and 贷方发生额 may hold an amount (got "1.00" and "2.00")' },
      { line: 5, path: 'amountMinor', rule: 'required', message: '借方发生额 or 贷方发生额 must hold an amount greater than zero' },
      { line: 6, path: 'bankReference', rule: 'required', message: `交易流水号 must be the bank's flow number, 1-256 characters (got "")` },
    ]);
  });

  it('refuses a header without the flow number column at once', async () => {
    const text = GENERIC_CSV.replace('交易流水号', '凭证号');
    const { records, error } = await read(text, { type: 'ESCROW_STATEMENT' });
    expect(records).toEqual([]);
    expect(problemsOf(error)).toEqual([{ line: 1, path: 'header', rule: 'missing-column', message: 'no column 交易流水号 or 流水号 or 银行流水号 (bankReference) in the header' }]);
  });

  it('refuses a quote left open, at the line it opens', async () => {
    const text = `${GENERIC_CSV.split('\r\n').slice(0, 2).join('\n')}\n2026-03-02,FL0009,"1.00,,1.00,CNY,,,\n`;
    expect(problemsOf((await read(text, { type: 'ESCROW_STATEMENT' })).error)).toEqual([
      { line: 3, path: 'line', rule: 'quoting', message: 'field 3 opens a quote that is not closed before the end of the file' },
    ]);
  });

  it('refuses a file told to be XLSX whose bytes are not a zip', async () => {
    expect(problemsOf((await read(GENERIC_CSV, { type: 'ESCROW_STATEMENT', format: 'XLSX' })).error)).toEqual([
      { line: 1, path: 'file', rule: 'format', message: 'the file is not an XLSX workbook (its bytes do not start as a zip does)' },
    ]);
  });
});

describe('escrow statement through a mapping of its own', () => {
  const signed: BankStatementMappingInput = {
    bankId: 'ICBC-SH',
    name: 'a bank exporting English headers after two title lines',
    encoding: 'UTF-8',
    format: { kind: 'CSV', delimiter: ';' },
    headerRow: 3,
    columns: { bankReference: 'Reference', valueDate: 'Value Date', memo: 'Narrative', balanceAfter: 'Balance', repaymentId: 'Payer Ref' },
    amount: { kind: 'SIGNED', column: 'Amount', creditIs: 'POSITIVE' },
    currency: { fixed: 'CNY' },
    dateFormats: ['YYYYMMDD'],
    memoPatterns: { instructionId: '(SI-\\d{8}-[A-Za-z0-9_.:-]+)' },
  };

  it('reads a signed amount column after title lines, a fixed currency, ids from a column and from the memo', async () => {
    const text = ['Account statement;;;;;', 'Account 1001;2026-03-02;;;;', 'Value Date;Reference;Amount;Balance;Narrative;Payer Ref', '20260302;B-1;-1500.00;-1500.00;PAY SI-20260302-P1-LEAD-BANK-A ok;', '20260302;B-2;25.5;-1474.50;repayment;R-0042'].join('\n');
    expect(await read(text, { type: 'ESCROW_STATEMENT', mapping: signed })).toEqual({
      records: [
        { line: 4, bankReference: 'B-1', valueDate: '2026-03-02', direction: 'DEBIT', amountMinor: 150000n, currency: 'CNY', memo: 'PAY SI-20260302-P1-LEAD-BANK-A ok', balanceAfterMinor: -150000n, instructionId: 'SI-20260302-P1-LEAD-BANK-A' },
        { line: 5, bankReference: 'B-2', valueDate: '2026-03-02', direction: 'CREDIT', amountMinor: 2550n, currency: 'CNY', memo: 'repayment', balanceAfterMinor: -147450n, repaymentId: 'R-0042' },
      ],
      error: null,
    });
  });

  it('refuses thousands separators the mapping does not allow, and a header expected on another line', async () => {
    const text = ['x;;;;;', 'y;;;;;', 'Value Date;Reference;Amount;Balance;Narrative;Payer Ref', '20260302;B-1;1,500.00;0;;'].join('\n');
    expect(problemsOf((await read(text, { type: 'ESCROW_STATEMENT', mapping: signed })).error)).toEqual([
      { line: 4, path: 'amountMinor', rule: 'decimal-format', message: 'Amount must be an amount in major units such as 1234.56 (got "1,500.00")' },
    ]);
    expect(problemsOf((await read(text, { type: 'ESCROW_STATEMENT', mapping: { ...signed, headerRow: 2 } })).error)).toEqual([
      { line: 2, path: 'header', rule: 'missing-column', message: 'no column Reference (bankReference) in the header' },
      { line: 2, path: 'header', rule: 'missing-column', message: 'no column Value Date (valueDate) in the header' },
      { line: 2, path: 'header', rule: 'missing-column', message: 'no column Amount (amount) in the header' },
    ]);
  });

  it('reads a direction flag column (借贷标志)', async () => {
    const mapping: BankStatementMappingInput = {
      bankId: 'CCB',
      name: 'amount with a direction flag',
      format: { kind: 'CSV' },
      columns: { bankReference: '流水号', valueDate: '日期' },
      amount: { kind: 'DIRECTION', column: '金额', direction: '借贷标志', credit: ['贷', 'C'], debit: ['借', 'D'] },
      currency: { fixed: 'CNY' },
    };
    const text = '日期,流水号,金额,借贷标志\n2026-03-02,A1,12.00,贷\n2026-03-02,A2,3.00,D\n2026-03-02,A3,3.00,X\n';
    const { records, error } = await read(text, { type: 'ESCROW_STATEMENT', mapping });
    expect(records.map((r) => [r.bankReference, r.direction, r.amountMinor])).toEqual([
      ['A1', 'CREDIT', 1200n],
      ['A2', 'DEBIT', 300n],
    ]);
    expect(problemsOf(error)).toEqual([{ line: 4, path: 'direction', rule: 'direction', message: '借贷标志 must be one of 贷, C, 借, D (got "X")' }]);
  });

  it('refuses a mapping that breaks a rule before reading a byte', async () => {
    const { error } = await read(GENERIC_CSV, { type: 'ESCROW_STATEMENT', mapping: { ...signed, memoPatterns: { instructionId: '(SI-(\\d{8}))' } } });
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as unknown as ValidationError).details).toMatchObject({ path: 'memoPatterns.instructionId', rule: 'pattern-groups' });
  });

  it('reads an XLSX row that ends before the header does as empty cells, after a title line shorter than the header', async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink });
    const sheet = workbook.addWorksheet('明细');
    sheet.addRow(['账户明细']).commit();
    sheet.addRow(['交易日期', '交易流水号', '金额', '摘要']).commit();
    // No cell for the empty memo: the row has three cells where the header has four.
    sheet.addRow(['2026-03-02', 'X-1', '12.00']).commit();
    sheet.commit();
    await workbook.commit();
    const mapping: BankStatementMappingInput = {
      bankId: 'ROWS-END-EARLY',
      name: 'a workbook without cells for empty fields',
      format: { kind: 'XLSX' },
      headerRow: 2,
      columns: { bankReference: '交易流水号', valueDate: '交易日期', memo: '摘要' },
      amount: { kind: 'SIGNED', column: '金额', creditIs: 'POSITIVE' },
      currency: { fixed: 'CNY' },
    };
    expect(await read(Buffer.concat(chunks), { type: 'ESCROW_STATEMENT', mapping }, 1000)).toEqual({
      records: [{ line: 3, bankReference: 'X-1', valueDate: '2026-03-02', direction: 'CREDIT', amountMinor: 1200n, currency: 'CNY' }],
      error: null,
    });
  });

  it('reads an XLSX sheet chosen by name: number cells, date cells and text, the sheet row numbers as lines', async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useSharedStrings: true, useStyles: true });
    const other = workbook.addWorksheet('说明');
    other.addRow(['这是说明页']).commit();
    other.commit();
    const sheet = workbook.addWorksheet('明细');
    sheet.addRow(['工商银行 账户明细']).commit();
    sheet.addRow(['交易日期', '交易流水号', '借方发生额', '贷方发生额', '余额', '摘要']).commit();
    const date = sheet.addRow([new Date('2026-03-02T00:00:00.000Z'), 'X-1', null, 1234.56, 98765.4, '还款']);
    date.getCell(1).numFmt = 'yyyy-mm-dd';
    date.commit();
    sheet.addRow(['20260303', 'X-2', 0.1, null, 98765.3, { richText: [{ text: '付款 ' }, { text: 'SI-20260303-P1-LEAD-B' }] }]).commit();
    sheet.addRow([]).commit();
    sheet.addRow(['合计', null, 0.1, 1234.56]).commit();
    sheet.commit();
    await workbook.commit();
    const mapping: BankStatementMappingInput = {
      bankId: 'ICBC-XLSX',
      name: 'xlsx export',
      format: { kind: 'XLSX', sheet: '明细' },
      headerRow: 2,
      columns: { bankReference: '交易流水号', valueDate: '交易日期', balanceAfter: '余额', memo: '摘要' },
      amount: { kind: 'DEBIT_CREDIT', debit: '借方发生额', credit: '贷方发生额' },
      currency: { fixed: 'CNY' },
      memoPatterns: { instructionId: 'SI-\\d{8}-[A-Za-z0-9_.:-]+' },
      endMarkers: ['合计'],
    };
    expect(await read(Buffer.concat(chunks), { type: 'ESCROW_STATEMENT', mapping }, 1000)).toEqual({
      records: [
        { line: 3, bankReference: 'X-1', valueDate: '2026-03-02', direction: 'CREDIT', amountMinor: 123456n, currency: 'CNY', memo: '还款', balanceAfterMinor: 9876540n },
        { line: 4, bankReference: 'X-2', valueDate: '2026-03-03', direction: 'DEBIT', amountMinor: 10n, currency: 'CNY', memo: '付款 SI-20260303-P1-LEAD-B', balanceAfterMinor: 9876530n, instructionId: 'SI-20260303-P1-LEAD-B' },
      ],
      error: null,
    });
    expect(problemsOf((await read(Buffer.concat(chunks), { type: 'ESCROW_STATEMENT', mapping: { ...mapping, format: { kind: 'XLSX', sheet: 'Sheet9' } } }, 1000)).error)).toEqual([
      { line: 1, path: 'file', rule: 'sheet', message: 'the workbook has no sheet "Sheet9" (it has 2)' },
    ]);
  });
});
